//! The subcommands, one per file.

pub mod bench;
pub mod devices;
pub mod doctor;
pub mod identities;
pub mod login;
pub mod logout;
pub mod primary_user;
pub mod profiles;
pub mod qr;
pub mod simulate;
pub mod slots;
pub mod sync;
pub mod whoami;

use std::sync::Arc;
use std::time::Duration;

use stagebench_core::intune::auth::endpoints_from_env;
use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::intune::connect::{connect, Connection};
use stagebench_core::intune::graph::GraphClient;
use stagebench_core::store::Store;

/// The async runtime for subcommands that talk to devices.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// Writes `value` as pretty JSON and a newline.
pub fn write_json(out: &mut dyn std::io::Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// How hard a command someone is waiting on retries Graph: four attempts within about ten
/// seconds, instead of the background default of about four minutes. An unreachable tenant
/// then answers in seconds; nothing is lost, because the outbox keeps what was not sent and the
/// next run tries again. A `Retry-After` is still honoured in full.
pub fn interactive_policy() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, base: Duration::from_secs(1), max_delay: Duration::from_secs(5), jitter: true }
}

/// The bench's saved sign-in and a Graph client for a command (see [`interactive_policy`]).
/// Nobody signed in gives the `stagebench login` hint.
pub fn connect_tenant(store: &Store) -> anyhow::Result<(Connection, Arc<GraphClient>)> {
    let connection = connect(store)?;
    let client = GraphClient::new(&endpoints_from_env(), Arc::new(connection.session.clone()))?
        .with_retry_policy(interactive_policy());
    Ok((connection, Arc::new(client)))
}
