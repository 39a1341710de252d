//! TODO(owner): device
