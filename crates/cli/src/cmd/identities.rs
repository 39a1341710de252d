//! `stagebench identities import`: upload corporate identifiers to Intune, from the bench's own
//! devices or from a file, checked before anything is sent.
//!
//! Android Enterprise (fully managed, dedicated, COPE) and AOSP devices are corporate-owned at
//! enrollment, so for them this is optional bookkeeping (reference §3.4). The command says so
//! every time. Windows takes manufacturer, model and serial together, never an IMEI or a serial
//! alone (Microsoft Learn, *Identify devices as corporate-owned*, ms.date 2025-04-11; the seed 004
//! runbook's "serial numbers" is older): `--platform windows` reads and sends that tuple.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use stagebench_core::intune::graph::identities::{
    check_identifier, from_devices, read_list, Refused, NOT_NEEDED_FOR_ANDROID_CORPORATE,
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
    /// Upload serials, IMEIs or (Windows) manufacturer,model,serial as corporate identifiers.
    Import(ImportArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Serial,
    Imei,
    /// Manufacturer, model and serial (Windows' only type).
    ManufacturerModelSerial,
}

#[derive(Clone, Copy, ValueEnum)]
enum Platform {
    Android,
    Windows,
}

#[derive(Args)]
struct ImportArgs {
    /// Identifier type (one type per upload, as Intune requires); by default `serial` for
    /// Android and `manufacturer-model-serial` for Windows, which takes nothing else.
    #[arg(long = "type", value_enum)]
    kind: Option<Kind>,
    /// Take them from the bench's devices (Android: serials read from ro.serialno, or IMEIs;
    /// Windows: scanned serials with the manufacturer and model `batch add` captured).
    #[arg(long, conflicts_with = "file")]
    from_bench: bool,
    /// Take them from a file: one per line; Android `identifier` or `identifier,details`,
    /// Windows `manufacturer,model,serial` (no header, no details; ≤ 5,000 rows and 5 MB).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Details for every identifier (≤ 128 characters; a file's own details win). Android only.
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
    /// What the bench knows the device by (the serial inside a Windows identifier).
    #[serde(skip)]
    serial: Option<String>,
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
    let platform = match args.platform {
        Platform::Android => IdentityPlatform::Android,
        Platform::Windows => IdentityPlatform::Windows,
    };
    let kind = match (args.kind, platform) {
        (Some(Kind::Serial), _) => IdentifierType::SerialNumber,
        (Some(Kind::Imei), _) => IdentifierType::Imei,
        (Some(Kind::ManufacturerModelSerial), _) | (None, IdentityPlatform::Windows) => {
            IdentifierType::ManufacturerModelSerial
        }
        (None, IdentityPlatform::Android) => IdentifierType::SerialNumber,
    };
    let mut store = Store::open_default().context("can't open the bench's store")?;
    let description = args.description.as_deref();
    let read = match (&args.file, args.from_bench) {
        (Some(path), _) => {
            let list = stagebench_core::limits::SERIAL_LIST.named("identifiers file");
            let text = stagebench_core::limits::read_text_file(path, &list)?;
            read_list(&text, kind, platform, description)
        }
        (None, true) => from_devices(&store.devices()?, kind, platform, description),
        (None, false) => bail!("say where the identifiers come from: --from-bench or --file FILE"),
    };
    let read = read.map_err(|why| anyhow::anyhow!("nothing was sent: {why}"))?;
    if read.is_empty() {
        bail!(
            "no identifiers to import: the source has none of type {}",
            kind.as_str()
        );
    }
    let items: Vec<CorporateIdentifier> = read.iter().filter_map(|r| r.clone().ok()).collect();
    let mut sent = if args.dry_run {
        items
            .iter()
            .map(|i| match check_identifier(i) {
                Ok(()) => row(i, "valid", None),
                Err(why) => row(i, "invalid", Some(why)),
            })
            .collect::<Vec<_>>()
    } else if items.is_empty() {
        Vec::new()
    } else {
        let client = super::connect_tenant(&store)?;
        client
            .import_identities(&items, args.overwrite)
            .await
            .into_iter()
            .zip(&items)
            .map(|(r, i)| match r.outcome {
                ImportOutcome::Imported => row(i, "imported", None),
                ImportOutcome::Kept => row(
                    i,
                    "kept",
                    Some("Intune already had it (use --overwrite to replace its details)".into()),
                ),
                ImportOutcome::Invalid(why) => row(i, "invalid", Some(why)),
                ImportOutcome::Failed(e) => row(i, "failed", Some(e.to_string())),
            })
            .collect()
    }
    .into_iter();
    // Refused lines keep their place among the rest.
    let rows: Vec<Row> = read
        .into_iter()
        .filter_map(|r| match r {
            Ok(_) => sent.next(),
            Err(Refused { given, reason }) => Some(Row {
                identifier: given,
                serial: None,
                outcome: "invalid",
                reason: Some(reason),
            }),
        })
        .collect();
    let failed = rows
        .iter()
        .filter(|r| matches!(r.outcome, "invalid" | "failed"))
        .count();
    if !args.dry_run {
        // Stage 1 of Windows Device Preparation: the device is a corporate identifier now.
        let technician = store.technician();
        for r in rows
            .iter()
            .filter(|r| matches!(r.outcome, "imported" | "kept"))
        {
            let Some(serial) = &r.serial else { continue };
            for device in store.devices_with_serial(serial)? {
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

fn row(item: &CorporateIdentifier, outcome: &'static str, reason: Option<String>) -> Row {
    Row {
        identifier: item.identifier.clone(),
        serial: item.bench_serial(),
        outcome,
        reason,
    }
}
