//! TODO(owner): secret
