//! ADB on its own.
#![warn(missing_docs)]
