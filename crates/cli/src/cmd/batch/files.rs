//! The batch commands that move files between admin and vendor: `export-pack` / `import-pack`
//! (the encrypted bench pack), `qr` (the pack's enrollment QR, while its token is usable),
//! `export-report` / `import-report` (the signed report and its CSV), `reconcile` (against
//! Intune) and `custody` (the chain of custody as PDF and CSV).
//!
//! Passphrases never come from the command line (other users can read it in the process list):
//! `--passphrase-file`, `--passphrase-env`, or a prompt on the terminal; `export-pack` without
//! any makes a strong one and prints it once.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use stagebench_core::batch::exchange::{self, Exported};
use stagebench_core::batch::pack::{check_passphrase, generate_passphrase};
use stagebench_core::batch::Batch;
use stagebench_core::batch::BatchStore;
use stagebench_core::enrollment_qr::EnrollmentQr;
use stagebench_core::intune::auth::{OsKeyring, TenantStore};
use stagebench_core::limits::{self, read_text_file, ByteLimit};
use stagebench_core::secret::SecretText;
use stagebench_core::stage::Flow;
use stagebench_core::store::Store;

/// Where a passphrase comes from.
#[derive(Args, Clone)]
pub struct PassphraseArgs {
    /// Read the passphrase from this file (first line).
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Read the passphrase from this environment variable.
    #[arg(long)]
    passphrase_env: Option<String>,
}

impl PassphraseArgs {
    fn read(&self) -> anyhow::Result<Option<SecretText>> {
        if let Some(path) = &self.passphrase_file {
            let text = read_text_file(path, &limits::SMALL_FILE.named("passphrase file"))?;
            return Ok(Some(SecretText::new(
                text.lines().next().unwrap_or("").trim_end_matches('\r'),
            )));
        }
        if let Some(var) = &self.passphrase_env {
            let value = std::env::var(var).with_context(|| {
                format!("environment variable {var} (for --passphrase-env) is not set")
            })?;
            return Ok(Some(SecretText::new(value)));
        }
        if std::io::stdin().is_terminal() {
            // Typed without echo: nobody reads it off the screen or a terminal recording.
            let typed = rpassword::prompt_password("Bench pack passphrase: ")
                .context("reading the passphrase from the terminal")?;
            return Ok(Some(SecretText::new(typed)));
        }
        Ok(None)
    }
}

/// The file commands (flattened into `stagebench batch`).
#[derive(Subcommand)]
pub enum FilesCommand {
    /// Admin: seal the batch, its profile facts and the QR payload (token inside) into an encrypted
    /// bench pack.
    ExportPack {
        /// The batch.
        batch: String,
        /// Where to write the pack (.age).
        #[arg(long)]
        out: PathBuf,
        /// The enrollment QR payload (JSON) when the batch has no tenant profile (e.g. from
        /// `stagebench qr --reveal`).
        #[arg(long)]
        payload_file: Option<PathBuf>,
        /// The vendor bench's key, the only one whose report of this batch is then taken: its
        /// fingerprint (SHA256:…, from the vendor's Settings screen), its public key, or a file
        /// holding either.
        #[arg(long, value_name = "FINGERPRINT|FILE")]
        vendor_key: Option<String>,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// Vendor: import a bench pack on this (offline) bench.
    ImportPack {
        /// The pack file.
        file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseArgs,
        /// Make it the bench's active batch.
        #[arg(long)]
        activate: bool,
    },
    /// The batch's enrollment QR (while its token is usable): on the terminal, or as PNG with
    /// --out.
    Qr {
        /// The batch.
        batch: String,
        /// Write a PNG here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Vendor: write the batch report, signed with this bench's key (and a CSV view with --csv).
    ExportReport {
        /// The batch.
        batch: String,
        /// Where to write the report.
        #[arg(long)]
        out: PathBuf,
        /// Also write a CSV for spreadsheets here.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Admin: verify and import a vendor's report; a tampered or truncated file is refused, and
    /// so is one whose signer is not trusted for its batch (another key than the pack named, a
    /// first key to confirm, or a batch this bench never exported) unless accepted.
    ImportReport {
        /// The report file.
        file: PathBuf,
        /// Trust the report's signer, given by its fingerprint (compare it with the one on the
        /// vendor's Settings screen first); kept in the audit log.
        #[arg(long, value_name = "FINGERPRINT")]
        accept_key: Option<String>,
    },
    /// Admin: the batch against Intune — matched, missing in Intune, unexpected, not staged.
    Reconcile {
        /// The batch.
        batch: String,
    },
    /// The batch's chain of custody as PDF and/or CSV.
    Custody {
        /// The batch.
        batch: String,
        /// Write the PDF here.
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Write the CSV here.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
}

fn keyring() -> Arc<OsKeyring> {
    Arc::new(OsKeyring::new())
}

/// The file at `path` within `limit` (a pack or report past it is refused by its length).
fn read_file(path: &Path, limit: &ByteLimit) -> anyhow::Result<Vec<u8>> {
    Ok(limits::read_file(path, limit)?)
}

/// A vendor key as given to `--vendor-key`: the text itself, or what the file it names holds.
fn key_text(given: &str) -> anyhow::Result<String> {
    let path = Path::new(given);
    if !given.trim_start().starts_with("SHA256:") && path.is_file() {
        return std::fs::read_to_string(path)
            .with_context(|| format!("can't read the vendor key file {}", path.display()));
    }
    Ok(given.to_owned())
}

/// Records a new batch in the audit log.
pub fn audit_batch_created(store: &mut Store, batch: &Batch, actor: &str) -> anyhow::Result<()> {
    Ok(exchange::audit_created(store, batch, actor)?)
}

fn print_exported(out: &mut dyn Write, what: &str, e: &Exported) -> anyhow::Result<()> {
    writeln!(
        out,
        "wrote {what} {} ({} bytes{})",
        e.path.display(),
        e.bytes,
        if e.devices > 0 {
            format!(", {} devices", e.devices)
        } else {
            String::new()
        }
    )?;
    if let Some(f) = &e.fingerprint {
        writeln!(out, "signed by bench key {f}")?;
    }
    if let Some(w) = &e.warning {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

/// Runs a file command.
pub async fn run(
    store: &mut Store,
    cmd: &FilesCommand,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let actor = store.technician();
    match cmd {
        FilesCommand::ExportPack {
            batch,
            out: path,
            payload_file,
            vendor_key,
            passphrase,
        } => {
            let vendor_key = vendor_key.as_deref().map(key_text).transpose()?;
            let record = store.find_batch(batch)?;
            let payload = pack_payload(store, &record.batch, payload_file.as_deref()).await?;
            let (pass, generated) = match passphrase.read()? {
                Some(p) => (p, false),
                None => (generate_passphrase(), true),
            };
            check_passphrase(&pass)?;
            let tenant = store.tenant_settings().ok().flatten().map(|t| t.tenant);
            let exported = exchange::export_pack(
                store,
                &record.batch.id,
                payload,
                &pass,
                tenant,
                vendor_key.as_deref(),
                &actor,
                path,
            )?;
            if json {
                let mut v = serde_json::to_value(&exported)?;
                if generated {
                    v["passphrase"] = serde_json::Value::String(pass.expose().to_owned());
                }
                return super::super::write_json(out, &v);
            }
            print_exported(out, "bench pack", &exported)?;
            if generated {
                writeln!(out, "passphrase: {}", pass.expose())?;
                writeln!(out, "Give the passphrase to the vendor another way than the pack (phone, a separate message); it is not stored anywhere.")?;
            }
            Ok(())
        }
        FilesCommand::ImportPack {
            file,
            passphrase,
            activate,
        } => {
            let bytes = read_file(file, &limits::BENCH_PACK)?;
            let Some(pass) = passphrase.read()? else {
                bail!("the bench pack needs its passphrase: --passphrase-file FILE, --passphrase-env VAR, or run it in a terminal to be asked");
            };
            let secrets = keyring();
            let batch =
                exchange::import_pack(store, secrets.as_ref(), &bytes, &pass, &actor, file).await?;
            if *activate {
                store.set_active_batch(Some(&batch.id))?;
            }
            if json {
                return super::super::write_json(out, &batch);
            }
            writeln!(
                out,
                "imported batch {} ({}) for {}: {} with {} expected serials",
                batch.spec.name,
                batch.id.short(),
                batch.spec.vendor,
                batch.spec.profile.flow.name(),
                batch.spec.expected_serials.len()
            )?;
            if let Some(e) = batch.spec.profile.token_expires {
                writeln!(
                    out,
                    "token expires {}",
                    stagebench_core::clock::timestamp(e)
                )?;
            }
            if batch.spec.profile.carries_wifi_credentials {
                writeln!(out, "warning: the QR carries Wi-Fi credentials in plain text: don't leave printed codes lying around")?;
            }
            Ok(())
        }
        FilesCommand::Qr { batch, out: path } => {
            let record = store.find_batch(batch)?;
            let secrets = keyring();
            let payload =
                match exchange::show_qr(store, secrets.as_ref(), &record.batch.id, &actor).await {
                    // A batch made on this (signed-in) bench: its QR comes from the tenant, and is
                    // kept in the keyring so the bench can show it offline too.
                    Err(exchange::ExchangeError::NoQr(_))
                        if !record.batch.spec.profile.profile_id.is_empty() =>
                    {
                        let payload = pack_payload(store, &record.batch, None).await?;
                        exchange::keep_qr(secrets.as_ref(), &record.batch.id, &payload).await?;
                        exchange::show_qr(store, secrets.as_ref(), &record.batch.id, &actor).await?
                    }
                    other => other?,
                };
            let aosp = matches!(
                record.batch.spec.profile.flow,
                Flow::AospUserless | Flow::AospUserAssociated
            );
            let qr = EnrollmentQr::from_profile_content(payload.expose(), aosp)?;
            match path {
                Some(p) => {
                    exchange::write_private(p, &qr.code.to_png(8)?)?;
                    if json {
                        return super::super::write_json(
                            out,
                            &serde_json::json!({"out": p, "qr": qr.code.facts()}),
                        );
                    }
                    writeln!(out, "wrote {}", p.display())?;
                }
                None if json => {
                    return super::super::write_json(
                        out,
                        &serde_json::json!({"qr": qr.code.facts()}),
                    )
                }
                None => write!(out, "{}", qr.code.to_terminal())?,
            }
            Ok(())
        }
        FilesCommand::ExportReport {
            batch,
            out: path,
            csv,
        } => {
            let record = store.find_batch(batch)?;
            let secrets = keyring();
            let exported =
                exchange::export_report(store, secrets.as_ref(), &record.batch.id, &actor, path)
                    .await?;
            if let Some(csv_path) = csv {
                let bytes = read_file(path, &limits::REPORT)?;
                let verified = stagebench_core::batch::report::verify(&bytes)?;
                exchange::write_private(
                    csv_path,
                    stagebench_core::batch::report::report_csv(&verified.report).as_bytes(),
                )?;
            }
            if json {
                return super::super::write_json(out, &exported);
            }
            print_exported(out, "batch report", &exported)
        }
        FilesCommand::ImportReport { file, accept_key } => {
            let bytes = read_file(file, &limits::REPORT)?;
            let accept = accept_key.as_deref();
            let imported = exchange::import_report(store, &bytes, &actor, file, accept)?;
            if json {
                return super::super::write_json(out, &imported);
            }
            writeln!(
                out,
                "verified and imported the report of {} ({}): {} devices",
                imported.batch_name,
                imported.batch.short(),
                imported.devices
            )?;
            writeln!(
                out,
                "signed by bench key {} — compare it with the fingerprint in the vendor's Settings",
                imported.signer
            )?;
            let stages: Vec<String> = imported
                .stages
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect();
            writeln!(out, "stages: {}", stages.join(", "))?;
            if let Some(why) = &imported.accepted {
                writeln!(
                    out,
                    "accepted bench key {} ({why}); the audit log keeps the decision, and the key is trusted for this batch from now on",
                    imported.signer
                )?;
            }
            if imported.new_batch {
                writeln!(
                    out,
                    "note: this batch was not on this machine; it was added from the report"
                )?;
            }
            if !imported.other_signers.is_empty() {
                writeln!(
                    out,
                    "warning: earlier reports of this batch were signed by other bench keys: {}",
                    imported.other_signers.join(", ")
                )?;
            }
            Ok(())
        }
        FilesCommand::Reconcile { batch } => {
            let record = store.find_batch(batch)?;
            let client = super::super::connect_tenant(store)?;
            let result =
                exchange::reconcile(store, client.as_ref(), &record.batch.id, &actor).await?;
            if json {
                return super::super::write_json(out, &result);
            }
            writeln!(
                out,
                "{} ({}) against Intune{}",
                record.batch.spec.name,
                record.batch.id.short(),
                if result.reports.is_empty() {
                    " (this bench's own records: no report imported)"
                } else {
                    ""
                }
            )?;
            writeln!(out, "  matched            {}", result.matched.len())?;
            writeln!(
                out,
                "  missing in Intune  {}",
                result.missing_in_intune.len()
            )?;
            for d in &result.missing_in_intune {
                writeln!(
                    out,
                    "      {}  (reported {})",
                    d.serial,
                    d.reported_stage.map(|s| s.label()).unwrap_or("-")
                )?;
            }
            writeln!(out, "  unexpected         {}", result.unexpected.len())?;
            for d in &result.unexpected {
                writeln!(
                    out,
                    "      {}  in Intune as {} but in no report",
                    d.serial,
                    d.intune_name.as_deref().unwrap_or("?")
                )?;
            }
            writeln!(out, "  not staged         {}", result.not_staged.len())?;
            if !result.not_expected.is_empty() {
                writeln!(
                    out,
                    "  not expected       {} ({})",
                    result.not_expected.len(),
                    result.not_expected.join(", ")
                )?;
            }
            if !result.failed.is_empty() {
                writeln!(out, "warning: {} serials could not be looked up this time (throttled or offline): run reconcile again", result.failed.len())?;
            }
            Ok(())
        }
        FilesCommand::Custody { batch, pdf, csv } => {
            if pdf.is_none() && csv.is_none() {
                bail!("say where to write the chain of custody: --pdf FILE and/or --csv FILE");
            }
            let record = store.find_batch(batch)?;
            let fingerprint = stagebench_core::batch::key::load(keyring().as_ref())
                .await
                .ok()
                .flatten()
                .map(|k| k.public().fingerprint);
            let files = (pdf.as_deref(), csv.as_deref());
            exchange::export_custody(store, &record.batch.id, &actor, fingerprint, files)?;
            if !json {
                if let Some(head) = store.audit_signed_head()? {
                    writeln!(
                        out,
                        "audit head: row {} {} (signed by {})",
                        head.row, head.hash, head.signer
                    )?;
                }
            }
            if json {
                return super::super::write_json(out, &serde_json::json!({"pdf": pdf, "csv": csv}));
            }
            for p in pdf.iter().chain(csv.iter()) {
                writeln!(out, "wrote {}", p.display())?;
            }
            Ok(())
        }
    }
}

/// The QR payload for a pack: the tenant profile's `qrCodeContent` (read now, so the token is
/// the current one), a payload file, or nothing for Windows DEM.
async fn pack_payload(
    store: &Store,
    batch: &Batch,
    payload_file: Option<&Path>,
) -> anyhow::Result<SecretText> {
    if let Some(path) = payload_file {
        let text = read_text_file(path, &limits::SMALL_FILE.named("payload file"))?;
        serde_json::from_str::<serde_json::Value>(&text)
            .with_context(|| format!("{} is not a QR payload (JSON)", path.display()))?;
        return Ok(SecretText::new(text.trim()));
    }
    if batch.spec.profile.flow == Flow::WindowsDem {
        return Ok(SecretText::new("null"));
    }
    if batch.spec.profile.profile_id.is_empty() {
        bail!(
            "batch {} has no tenant profile: give its QR payload with --payload-file",
            batch.id.short()
        );
    }
    let client = super::super::connect_tenant(store)?;
    let profile = client
        .enrollment_profile(&batch.spec.profile.profile_id)
        .await?;
    let now = time::OffsetDateTime::now_utc();
    match profile.usable_qr_content(now) {
        Some(content) => Ok(content.clone()),
        None => bail!("the profile \"{}\" has no usable token (expired or revoked): create a new one (stagebench profiles token create) before making the pack", profile.display_name),
    }
}
