//! TODO(owner): provisioning
