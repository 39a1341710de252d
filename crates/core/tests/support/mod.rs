//! Helpers shared by crates/core's integration tests.
#![allow(dead_code)]

pub mod auth;
pub mod batch;
pub mod crash;
pub mod graph;
