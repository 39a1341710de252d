//! `stagebench identities import`: upload corporate identifiers (serials or IMEIs) to Intune,
//! from the bench's own devices or from a file, checked before anything is sent.
//!
//! Android Enterprise (fully managed, dedicated, COPE) and AOSP devices are corporate-owned at
//! enrollment, so for them this is optional bookkeeping; Windows Device Preparation uses serials
//! (seed 004). The command says so every time (reference §3.4).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use stagebench_core::identity::{is_identifying_serial, SerialSource};
use stagebench_core::intune::graph::identities::{
    check_identifier, NOT_NEEDED_FOR_ANDROID_CORPORATE,
};
use stagebench_core::intune::graph::{
    CorporateIdentifier, IdentifierType, IdentityPlatform, ImportOutcome,
};
use stagebench_core::store::Store;

/// What to do with corporate identifiers.
#[derive(Args)]
pub struct IdentitiesArgs {
    #[command(subcommand)]
    what: IdentitiesWhat,
}

#[derive(Subcommand)]
enum IdentitiesWhat {
    /// Upload serials or IMEIs as corporate identifiers.
    Import(ImportArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Serial,
    Imei,
}

#[derive(Clone, Copy, ValueEnum)]
enum Platform {
    Android,
    Windows,
}

#[derive(Args)]
struct ImportArgs {
    /// Identifier type (one type per upload, as Intune requires).
    #[arg(long = "type", value_enum, default_value = "serial")]
    kind: Kind,
    /// Take them from the bench's devices (serials read from ro.serialno, or IMEIs).
    #[arg(long, conflicts_with = "file")]
    from_bench: bool,
    /// Take them from a file: one identifier per line, optionally `identifier,details`.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Details for every identifier (≤ 128 characters; a file's own details win).
    #[arg(long)]
    description: Option<String>,
    /// The devices' platform.
    #[arg(long, value_enum, default_value = "android")]
    platform: Platform,
    /// Replace the details of identifiers Intune already has.
    #[arg(long)]
    overwrite: bool,
    /// Check and list them; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row {
    identifier: String,
    /// `valid` (dry run), `imported`, `kept`, `invalid` or `failed`.
    outcome: &'static str,
    reason: Option<String>,
}

#[derive(Serialize)]
struct Report {
    note: &'static str,
    dry_run: bool,
    rows: Vec<Row>,
}

/// Runs `stagebench identities …`.
pub async fn run(args: &IdentitiesArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let IdentitiesWhat::Import(args) = &args.what;
    let kind = match args.kind {
        Kind::Serial => IdentifierType::SerialNumber,
        Kind::Imei => IdentifierType::Imei,
    };
    let platform = match args.platform {
        Platform::Android => IdentityPlatform::Android,
        Platform::Windows => IdentityPlatform::Windows,
    };
    let mut store = Store::open_default().context("can't open the bench's store")?;
    let mut items: Vec<CorporateIdentifier> = Vec::new();
    let item = |identifier: &str, description: Option<String>| CorporateIdentifier {
        kind,
        identifier: identifier.trim().to_owned(),
        description: description.or_else(|| args.description.clone()),
        platform,
    };
    match (&args.file, args.from_bench) {
        (Some(path), _) => {
            let list = stagebench_core::limits::SERIAL_LIST.named("identifiers file");
            let text = stagebench_core::limits::read_text_file(path, &list)?;
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                let (id, details) = match line.split_once(',') {
                    Some((id, d)) => (id, Some(d.trim().to_owned()).filter(|d| !d.is_empty())),
                    None => (line, None),
                };
                items.push(item(id, details));
            }
        }
        (None, true) => {
            // Windows serials are scanned or typed from the box or label (`batch add`).
            let wanted = match (args.kind, platform) {
                (Kind::Serial, IdentityPlatform::Windows) => SerialSource::Scanner,
                (Kind::Serial, _) => SerialSource::RoSerialno,
                (Kind::Imei, _) => SerialSource::Imei,
            };
            for device in store.devices()? {
                for s in device
                    .serials
                    .iter()
                    .filter(|s| s.source == wanted && is_identifying_serial(&s.value))
                {
                    items.push(item(&s.value, None));
                }
            }
        }
        (None, false) => bail!("say where the identifiers come from: --from-bench or --file FILE"),
    }
    if items.is_empty() {
        bail!(
            "no identifiers to import: the source has none of type {}",
            kind.as_str()
        );
    }
    let rows: Vec<Row> = if args.dry_run {
        items
            .iter()
            .map(|i| match check_identifier(i) {
                Ok(()) => Row {
                    identifier: i.identifier.clone(),
                    outcome: "valid",
                    reason: None,
                },
                Err(why) => Row {
                    identifier: i.identifier.clone(),
                    outcome: "invalid",
                    reason: Some(why),
                },
            })
            .collect()
    } else {
        let client = super::connect_tenant(&store)?;
        client
            .import_identities(&items, args.overwrite)
            .await
            .into_iter()
            .map(|r| {
                let (outcome, reason) = match r.outcome {
                    ImportOutcome::Imported => ("imported", None),
                    ImportOutcome::Kept => (
                        "kept",
                        Some(
                            "Intune already had it (use --overwrite to replace its details)".into(),
                        ),
                    ),
                    ImportOutcome::Invalid(why) => ("invalid", Some(why)),
                    ImportOutcome::Failed(e) => ("failed", Some(e.to_string())),
                };
                Row {
                    identifier: r.identifier,
                    outcome,
                    reason,
                }
            })
            .collect()
    };
    let failed = rows
        .iter()
        .filter(|r| matches!(r.outcome, "invalid" | "failed"))
        .count();
    if !args.dry_run {
        // Stage 1 of Windows Device Preparation: the serial is a corporate identifier now.
        let technician = store.technician();
        for r in rows
            .iter()
            .filter(|r| matches!(r.outcome, "imported" | "kept"))
        {
            for device in store.devices_with_serial(&r.identifier)? {
                store.record_action(
                    device,
                    stagebench_core::store::EVENT_SERIAL_IMPORTED,
                    &technician,
                )?;
            }
        }
    }
    if args.json {
        super::write_json(
            out,
            &Report {
                note: NOT_NEEDED_FOR_ANDROID_CORPORATE,
                dry_run: args.dry_run,
                rows,
            },
        )?;
    } else {
        writeln!(out, "Note: {NOT_NEEDED_FOR_ANDROID_CORPORATE}")?;
        for r in &rows {
            match &r.reason {
                Some(why) => writeln!(out, "{:<24} {:<9} {why}", r.identifier, r.outcome)?,
                None => writeln!(out, "{:<24} {}", r.identifier, r.outcome)?,
            }
        }
        if args.dry_run {
            writeln!(out, "Dry run: nothing was sent.")?;
        }
    }
    if failed > 0 {
        bail!("{failed} identifier(s) were not imported; fix them (see above) and run again");
    }
    Ok(())
}
