//! `stagebench audit`: the append-only audit log — who showed which batch's QR, printed labels,
//! created or revoked a token, exported or imported a pack or a report — newest first, and
//! `--verify`, which checks the log's hash chain and the heads the bench key signed (an edited,
//! removed or rehashed row is named).

use std::io::Write;

use anyhow::Context;
use clap::Args;
use stagebench_core::audit::{AuditAction, HeadVerifier};
use stagebench_core::batch::key::{load, BenchPublicKey};
use stagebench_core::batch::BatchStore;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::store::{AuditCheck, AuditFilter, SignedAuditCheck, Store};

/// Which audit rows to show.
#[derive(Args)]
pub struct AuditArgs {
    /// Only this batch (id, id prefix or name).
    #[arg(long)]
    batch: Option<String>,
    /// Only this action (qr-display, label-print, token-create, token-revoke, pack-export,
    /// report-import, …).
    #[arg(long)]
    action: Option<String>,
    /// Only rows about the device with this serial.
    #[arg(long)]
    device: Option<String>,
    /// At most this many rows (newest).
    #[arg(long, default_value_t = 200)]
    limit: usize,
    /// Check the hash chain instead of listing.
    #[arg(long)]
    verify: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The bench's own public key, to check the signed heads with (never one read from the store).
async fn bench_key() -> Option<BenchPublicKey> {
    match load(&OsKeyring::new()).await {
        Ok(key) => key.map(|k| k.public()),
        Err(e) => {
            eprintln!("warning: the signed heads' signatures are not checked: {e}");
            None
        }
    }
}

fn write_verified(out: &mut dyn Write, verified: &SignedAuditCheck) -> anyhow::Result<()> {
    match &verified.check {
        AuditCheck::Intact { rows, head } => writeln!(
            out,
            "audit log intact: {rows} rows, chain head {}",
            head.as_deref().unwrap_or("(empty)")
        )?,
        AuditCheck::Broken { row, reason } => {
            writeln!(out, "audit log BROKEN at row {row}: {reason}")?
        }
    }
    match &verified.signed_head {
        Some(h) => writeln!(
            out,
            "signed head: row {} (bench key {}); {} rows after it not signed yet",
            h.row, h.signer, verified.unsigned_rows
        )?,
        None => writeln!(
            out,
            "no signed head yet: no row was appended with the bench key"
        )?,
    }
    match &verified.checked_with {
        Some(key) => writeln!(out, "signatures checked with this bench's key {key}")?,
        None => writeln!(
            out,
            "signatures not checked: this bench has no key in the keyring"
        )?,
    }
    Ok(())
}

/// Runs `stagebench audit`.
pub async fn run(args: &AuditArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench history")?;
    if args.verify {
        let key = bench_key().await;
        let verified = store.audit_verify_signed(key.as_ref().map(|k| k as &dyn HeadVerifier))?;
        if args.json {
            super::write_json(out, &verified)?;
        } else {
            write_verified(out, &verified)?;
        }
        if !verified.check.is_intact() {
            anyhow::bail!("the audit log was changed outside StageBench (see above): keep this store file as evidence and tell your Intune admin");
        }
        return Ok(());
    }
    let action = match &args.action {
        Some(a) => Some(a.parse::<AuditAction>().map_err(anyhow::Error::msg)?),
        None => None,
    };
    let batch = match &args.batch {
        Some(b) => Some(store.find_batch(b)?.batch.id),
        None => None,
    };
    let filter = AuditFilter {
        batch,
        action,
        device: args.device.clone(),
        limit: Some(args.limit),
        ..AuditFilter::default()
    };
    let rows = store.audit_log(&filter)?;
    if args.json {
        return super::write_json(out, &rows);
    }
    if rows.is_empty() {
        writeln!(out, "No audit records match.")?;
    }
    for r in &rows {
        writeln!(
            out,
            "{}  {:<14} {:<16} {}{}{}",
            r.at,
            r.action,
            r.actor,
            r.batch
                .as_deref()
                .map(|b| format!("batch {} ", &b[..b.len().min(8)]))
                .unwrap_or_default(),
            r.device
                .as_deref()
                .map(|d| format!("device {d} "))
                .unwrap_or_default(),
            r.token
                .as_deref()
                .map(|t| format!("token {t}"))
                .unwrap_or_default(),
        )?;
    }
    Ok(())
}
