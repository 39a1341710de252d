//! `stagebench logout`: sign the bench out. Its refresh token, client secret or imported key
//! leave the OS keyring, and so do the QR payloads kept for batches made on this bench (they
//! come back from the tenant after the next sign-in); the tenant and client id stay as defaults
//! for the next `stagebench login`. Signing out twice is fine.

use std::io::Write;

use anyhow::Context;
use clap::Args;
use serde_json::json;
use stagebench_core::batch::exchange;
use stagebench_core::intune::auth::{OsKeyring, TenantStore};
use stagebench_core::store::{Store, StoreHandle};

/// How to print.
#[derive(Args)]
pub struct LogoutArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `stagebench logout`.
pub async fn run(args: &LogoutArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench's settings")?;
    let settings = store.tenant_settings()?;
    let was = settings.as_ref().and_then(|s| s.account.clone());
    if let Some(mut settings) = settings {
        super::login::sign_in_service()?.sign_out(&settings).await?;
        settings.account = None;
        store.set_tenant_settings(&settings)?;
    }
    exchange::forget_tenant_qrs(&StoreHandle::new(store), &OsKeyring::new()).await?;
    if args.json {
        return super::write_json(out, &json!({"signed_out": was}));
    }
    match was {
        Some(account) => writeln!(
            out,
            "Signed out {account}; its secrets are gone from the OS keyring."
        )?,
        None => writeln!(out, "Nobody was signed in.")?,
    }
    Ok(())
}
