//! Helpers shared by crates/core's integration tests.
#![allow(dead_code)]

pub mod crash;
pub mod graph;
