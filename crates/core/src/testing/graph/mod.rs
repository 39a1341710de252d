//! A fake Microsoft Graph beta tenant for tests and the simulator: [`FakeGraph`] serves the
//! Intune endpoints the bench uses on 127.0.0.1, keeps profiles, tokens and devices in memory,
//! checks every request against the vendored schema ([`schema::GraphSchema`]) and can inject
//! latency, throttling (429 with or without `Retry-After`), 503s and paging. The same server is
//! the tenant's identity platform (`login`: device code, refresh and client credentials grants).
//!
//! Layout: `fake` is the server and its tenant ([`FakeGraph`]); `login` the identity platform
//! it also serves; [`schema`] the vendored schema and the checker every request goes through.

mod fake;
mod login;
pub mod schema;

pub use fake::{DemoTenant, FakeEnrollmentFlow, FakeGraph, Faults, GraphClock, Lifecycle};
pub use login::test_certificate;
pub use schema::{GraphSchema, SchemaViolation};
