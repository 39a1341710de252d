//! The subcommands, one per file.
//!
//! Layout: the bench: [`devices`], [`doctor`], [`slots`], [`simulate`]; enrollment codes: [`qr`];
//! the tenant: [`login`], [`logout`], [`whoami`], [`profiles`] (tokens in `profiles/token.rs`),
//! [`sync`], [`primary_user`], [`identities`]; batches: [`batch`] (the files that move between
//! benches in `batch/files.rs`), [`scan`]; printing: [`labels`], [`printers`], [`print_queue`];
//! the audit log: [`audit`]; measurements: [`benchmark`] (one file per benchmark). Shared here:
//! the async runtime, JSON output and the tenant's Graph client.

pub mod audit;
pub mod batch;
pub mod benchmark;
pub mod devices;
pub mod doctor;
pub mod identities;
pub mod labels;
pub mod login;
pub mod logout;
pub mod primary_user;
pub mod print_queue;
pub mod printers;
pub mod profiles;
pub mod qr;
pub mod scan;
pub mod simulate;
pub mod slots;
pub mod sync;
pub mod whoami;

use std::sync::Arc;

use anyhow::Context;
use stagebench_core::batch::key::load_or_create;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::intune::connect::connect;
use stagebench_core::intune::graph::GraphClient;
use stagebench_core::store::Store;

/// The async runtime for subcommands that talk to devices.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Writes `value` as pretty JSON and a newline.
pub fn write_json(
    out: &mut dyn std::io::Write,
    value: &impl serde::Serialize,
) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Opens the bench's store (`what` names it in the error) with the bench key signing the audit
/// chain's head at each append; the key is made on first use. Without a usable keyring the
/// command still runs and says its audit records are unsigned (the next signed append covers
/// them).
pub async fn open_signing_store(what: &str) -> anyhow::Result<Store> {
    let mut store = Store::open_default().with_context(|| format!("can't open the {what}"))?;
    match load_or_create(&OsKeyring::new(), &mut store).await {
        Ok(key) => store.sign_audit_with(Arc::new(key)),
        Err(e) => eprintln!("warning: this command's audit records are not signed: {e}"),
    }
    Ok(store)
}

/// The Graph client of the bench's saved sign-in, for a command, retrying as
/// [`RetryPolicy::INTERACTIVE`]. Nobody signed in gives the `stagebench login` hint.
pub fn connect_tenant(store: &Store) -> anyhow::Result<Arc<GraphClient>> {
    Ok(connect(store, RetryPolicy::INTERACTIVE)?.client)
}
