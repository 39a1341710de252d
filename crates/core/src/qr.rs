//! TODO(owner): qr
