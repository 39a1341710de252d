//! TODO(owner): identity
