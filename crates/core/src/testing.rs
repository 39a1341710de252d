//! TODO(owner): testing
