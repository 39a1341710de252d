//! `stagebench batch`: batches of devices to stage — create one from a tenant profile (or, for
//! an offline bench, from a flow and a token expiry), follow each device's stage, link scanned
//! serials, record technician actions, and move the batch between admin and vendor as an
//! encrypted bench pack and a signed report (in `batch/files.rs`).

mod files;
mod stats;

use std::io::Write;

use anyhow::bail;
use clap::{Args, Subcommand};
use stagebench_core::batch::action::TechnicianAction;
use stagebench_core::batch::exchange;
use stagebench_core::batch::ops::{self, parse_date, parse_expiry, NewBatchError};
use stagebench_core::batch::progress::{batch_progress, token_check, BatchProgress};
use stagebench_core::batch::stats::batch_stats;
use stagebench_core::batch::BatchStore;
use stagebench_core::batch::{BatchSpec, ProfileFacts};
use stagebench_core::identity::WindowsTuple;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::stage::Flow;
use stagebench_core::store::{Store, StoreHandle};

/// What to do with batches.
#[derive(Args)]
pub struct BatchArgs {
    #[command(subcommand)]
    command: BatchCommand,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum BatchCommand {
    /// Create a batch: a tenant profile (--profile) or, offline, a flow and token expiry.
    New(NewArgs),
    /// Every batch with its progress in one line.
    List,
    /// One batch: token, progress per stage, problems, every device with its next step, and where
    /// the time goes (devices per hour, time per stage, the slowest devices, the estimated end).
    Show {
        /// The batch: its id (or the first 8+ digits) or its name.
        batch: String,
    },
    /// Make a batch the bench's active one (devices seen that belong to no batch join it); --clear
    /// to stop.
    Active {
        /// The batch.
        batch: Option<String>,
        /// No active batch.
        #[arg(long, conflicts_with = "batch")]
        clear: bool,
    },
    /// Link scanned or typed serials (box or device labels) to a batch; unknown serials become
    /// devices.
    Add {
        /// The batch.
        batch: String,
        /// Serials.
        #[arg(required = true)]
        serials: Vec<String>,
        /// Windows: the devices' manufacturer (Win32_ComputerSystem.Manufacturer), kept with
        /// each serial: Intune's Windows corporate identifier is manufacturer, model and serial.
        #[arg(long, requires = "model")]
        manufacturer: Option<String>,
        /// Windows: the devices' model (Win32_ComputerSystem.Model).
        #[arg(long, requires = "manufacturer")]
        model: Option<String>,
    },
    /// Record a technician action on a device: powered-off, dem-sign-in, serial-imported,
    /// user-logged-on.
    Mark {
        /// A serial of the device.
        serial: String,
        /// The action.
        action: String,
    },
    /// Close a batch: it stays for reports and audits; no device joins it any more.
    Close {
        /// The batch.
        batch: String,
    },
    #[command(flatten)]
    Files(files::FilesCommand),
}

/// `batch new`.
#[derive(Args)]
struct NewArgs {
    /// A name people recognise.
    #[arg(long)]
    name: String,
    /// The vendor or site staging it.
    #[arg(long)]
    vendor: String,
    /// The tenant's enrollment profile (id or name); needs `stagebench login`.
    #[arg(long, conflicts_with_all = ["flow", "token_expires"])]
    profile: Option<String>,
    /// Offline: the flow (staging-token, default-token, aosp-userless, aosp-user-associated,
    /// windows-dem).
    #[arg(long)]
    flow: Option<Flow>,
    /// Offline: when the token expires (YYYY-MM-DD or RFC 3339).
    #[arg(long)]
    token_expires: Option<String>,
    /// Windows DEM: the DEM account's UPN.
    #[arg(long)]
    dem: Option<String>,
    /// When it is due (YYYY-MM-DD).
    #[arg(long)]
    due: Option<String>,
    /// How many devices are expected.
    #[arg(long)]
    expected: Option<u32>,
    /// Expected serials (repeat, or comma-separated).
    #[arg(long = "serial", value_delimiter = ',')]
    serials: Vec<String>,
    /// A file of expected serials, one per line (or comma/semicolon separated).
    #[arg(long)]
    serials_file: Option<std::path::PathBuf>,
    /// Make it the bench's active batch.
    #[arg(long)]
    activate: bool,
}

/// Runs `stagebench batch`.
pub async fn run(args: &BatchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = super::open_signing_store("bench history").await?;
    match &args.command {
        BatchCommand::New(new) => create(&mut store, new, args.json, out).await,
        BatchCommand::List => list(&store, args.json, out),
        BatchCommand::Show { batch } => {
            let record = store.find_batch(batch)?;
            let progress = batch_progress(&store, &record, store.clock_now())?;
            let stats = batch_stats(&store, &record)?;
            if args.json {
                let shown = stats::Shown {
                    progress: &progress,
                    stats: &stats,
                };
                return super::write_json(out, &shown);
            }
            show(&progress, out)?;
            writeln!(out, "Where the time goes")?;
            stats::show(&stats, out)
        }
        BatchCommand::Active { batch, clear } => {
            match (batch, clear) {
                (Some(b), _) => {
                    let record = store.find_batch(b)?;
                    store.set_active_batch(Some(&record.batch.id))?;
                }
                (None, true) => store.set_active_batch(None)?,
                (None, false) => {}
            }
            let active = store.active_batch()?;
            let name = match &active {
                Some(id) => Some(store.find_batch(id.as_str())?.batch.spec.name),
                None => None,
            };
            if args.json {
                return super::write_json(
                    out,
                    &serde_json::json!({"active": active, "name": name}),
                );
            }
            match (active, name) {
                (Some(id), Some(name)) => writeln!(out, "active batch: {name} ({})", id.short())?,
                _ => writeln!(
                    out,
                    "no active batch: devices join a batch only when it expects their serial"
                )?,
            }
            Ok(())
        }
        BatchCommand::Add {
            batch,
            serials,
            manufacturer,
            model,
        } => {
            let record = store.find_batch(batch)?;
            let mut added = Vec::new();
            for s in serials
                .iter()
                .flat_map(|s| s.split([',', ';']))
                .filter(|s| !s.trim().is_empty())
            {
                let (device, joined) = match (manufacturer, model) {
                    (Some(m), Some(mo)) => {
                        let tuple = WindowsTuple::new(m, mo, s).map_err(anyhow::Error::msg)?;
                        ops::link_windows_device(&mut store, &record.batch.id, &tuple)?
                    }
                    _ => ops::link_serial(&mut store, &record.batch.id, s)?,
                };
                added.push(serde_json::json!({"serial": s.trim().to_ascii_uppercase(), "device": device.0, "joined": joined}));
            }
            if args.json {
                return super::write_json(out, &added);
            }
            for a in &added {
                let joined = a["joined"].as_bool().unwrap_or(false);
                writeln!(
                    out,
                    "{}  {}",
                    a["serial"].as_str().unwrap_or(""),
                    if joined {
                        "added"
                    } else {
                        "already in the batch"
                    }
                )?;
            }
            Ok(())
        }
        BatchCommand::Mark { serial, action } => {
            let action: TechnicianAction = action.parse()?;
            let ids = store.devices_with_serial(&serial.trim().to_ascii_uppercase())?;
            let device = match ids.as_slice() {
                [one] => *one,
                [] => bail!("no device on this bench has the serial {serial}: `stagebench devices` lists them, `stagebench batch add` links a scanned one"),
                many => bail!("{} devices share the serial {serial}: use the slot in the app to tell them apart", many.len()),
            };
            let technician = store.technician();
            action.record(&mut store, device, &technician)?;
            let stage =
                stagebench_core::batch::progress::stage_of(&store, device, store.clock_now())?;
            if args.json {
                return super::write_json(
                    out,
                    &serde_json::json!({"device": device.0, "action": action, "stage": stage.map(|(_, s)| s)}),
                );
            }
            match stage {
                Some((_, s)) => {
                    writeln!(out, "{serial}: {} — {}", s.stage.label(), s.instruction)?;
                    if let Some(remedy) = &s.remedy {
                        writeln!(out, "hint: {}", crate::remedy::command(remedy))?;
                    }
                }
                None => writeln!(out, "{serial}: recorded (the device is in no batch)")?,
            }
            Ok(())
        }
        BatchCommand::Close { batch } => {
            let record = store.find_batch(batch)?;
            let keyring = OsKeyring::new();
            exchange::close_batch(&StoreHandle::new(store), &keyring, batch).await?;
            if args.json {
                return super::write_json(out, &serde_json::json!({"closed": record.batch.id}));
            }
            writeln!(
                out,
                "closed {} ({})",
                record.batch.spec.name,
                record.batch.id.short()
            )?;
            Ok(())
        }
        BatchCommand::Files(cmd) => files::run(&mut store, cmd, args.json, out).await,
    }
}

fn read_serials(new: &NewArgs) -> anyhow::Result<Vec<String>> {
    let mut serials: Vec<String> = new.serials.clone();
    if let Some(path) = &new.serials_file {
        let list = stagebench_core::limits::SERIAL_LIST.named("serials file");
        let text = stagebench_core::limits::read_text_file(path, &list)?;
        serials.extend(text.split(['\n', '\r', ',', ';', '\t']).map(str::to_owned));
    }
    Ok(serials)
}

async fn create(
    store: &mut Store,
    new: &NewArgs,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let profile = match (&new.profile, new.flow) {
        (Some(p), _) => {
            let client = super::connect_tenant(store)?;
            let profile = super::profiles::find(&client, p).await?;
            ProfileFacts::from_profile(&profile)
        }
        (None, Some(flow)) => ProfileFacts::offline(
            flow,
            format!("({})", flow.name()),
            new.token_expires.as_deref().map(parse_expiry).transpose().map_err(anyhow::Error::msg)?,
            new.dem.clone(),
        ),
        (None, None) => bail!("say which profile (--profile NAME, signed in) or, offline, which flow (--flow staging-token …)"),
    };
    let mut profile = profile;
    if profile.dem_account.is_none() {
        profile.dem_account = new.dem.clone();
    }
    let spec = BatchSpec {
        name: new.name.clone(),
        profile,
        vendor: new.vendor.clone(),
        due: new
            .due
            .as_deref()
            .map(parse_date)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        expected_count: new.expected,
        expected_serials: read_serials(new)?,
    };
    let who = store.technician();
    let batch = ops::create_batch(store, spec, &who).map_err(|e| {
        // The core names what is missing; the CLI names the flag that gives it.
        let flag = match &e {
            NewBatchError::NoName => "--name",
            NewBatchError::NoVendor => "--vendor",
            NewBatchError::NoDemAccount => "--dem",
            _ => return anyhow::Error::from(e),
        };
        anyhow::anyhow!("{e}: give it with {flag}")
    })?;
    if new.activate {
        store.set_active_batch(Some(&batch.id))?;
    }
    files::audit_batch_created(store, &batch, &who)?;
    let token = token_check(&batch, None, store.clock_now());
    if json {
        return super::write_json(out, &serde_json::json!({"batch": batch, "token": token}));
    }
    writeln!(
        out,
        "created batch {} ({}): {} for {}",
        batch.spec.name,
        batch.id.short(),
        batch.spec.profile.flow.name(),
        batch.spec.vendor
    )?;
    if let Some(m) = &token.message {
        writeln!(out, "warning: {m}")?;
    }
    if let Some(remedy) = &token.remedy {
        writeln!(out, "hint: {}", crate::remedy::command(remedy))?;
    }
    Ok(())
}

fn list(store: &Store, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let now = store.clock_now();
    let mut all = Vec::new();
    for record in store.batches()? {
        all.push(batch_progress(store, &record, now)?);
    }
    if json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|p| serde_json::json!({
                "id": p.batch.id, "name": p.batch.spec.name, "vendor": p.batch.spec.vendor, "flow": p.batch.spec.profile.flow,
                "due": p.batch.spec.due.map(|d| d.to_string()), "devices": p.devices.len(), "expected": p.batch.spec.expected_count,
                "token": p.token.state, "active": p.active, "closed": p.closed, "problems": p.problems.len(),
                "counts": p.counts,
            }))
            .collect();
        return super::write_json(out, &rows);
    }
    if all.is_empty() {
        writeln!(out, "No batches yet: `stagebench batch new` creates one, `stagebench batch import-pack` imports a customer's.")?;
    }
    for p in &all {
        let counts: Vec<String> = p
            .counts
            .iter()
            .filter(|c| c.count > 0)
            .map(|c| format!("{} {}", c.count, c.label.to_lowercase()))
            .collect();
        writeln!(
            out,
            "{}  {:<28} {:<20} {:>4}/{:<4} token {:<18} {}{}{}",
            p.batch.id.short(),
            p.batch.spec.name,
            p.batch.spec.vendor,
            p.devices.len(),
            p.batch
                .spec
                .expected_count
                .map(|c| c.to_string())
                .unwrap_or_else(|| "?".into()),
            p.token.state,
            counts.join(", "),
            if p.active { "  [active]" } else { "" },
            if p.closed { "  [closed]" } else { "" },
        )?;
    }
    Ok(())
}

fn show(p: &BatchProgress, out: &mut dyn Write) -> anyhow::Result<()> {
    let b = &p.batch;
    writeln!(out, "{} ({})", b.spec.name, b.id)?;
    writeln!(
        out,
        "  profile   {} — {}",
        b.spec.profile.profile_name,
        b.spec.profile.flow.name()
    )?;
    writeln!(out, "  vendor    {}", b.spec.vendor)?;
    if let Some(due) = b.spec.due {
        writeln!(out, "  due       {due}")?;
    }
    writeln!(
        out,
        "  token     {}{}",
        p.token.state,
        p.token
            .expires
            .as_deref()
            .map(|e| format!(" (expires {e})"))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "  devices   {} of {}",
        p.devices.len(),
        b.spec
            .expected_count
            .map(|c| c.to_string())
            .unwrap_or_else(|| "?".into())
    )?;
    let counts: Vec<String> = p
        .counts
        .iter()
        .map(|c| format!("{}: {}", c.label, c.count))
        .collect();
    writeln!(out, "  stages    {}", counts.join(" · "))?;
    for problem in &p.problems {
        let devices = if problem.devices.is_empty() {
            String::new()
        } else {
            format!(" [{}]", problem.devices.join(", "))
        };
        writeln!(out, "  problem   {}{devices}", problem.message)?;
        if let Some(remedy) = &problem.remedy {
            writeln!(out, "            {}", crate::remedy::command(remedy))?;
        }
    }
    if !p.not_seen.is_empty() {
        writeln!(out, "  not seen  {}", p.not_seen.join(", "))?;
    }
    for d in &p.devices {
        writeln!(
            out,
            "  {:>4}  {:<18} {:<16} {:<14} {}",
            d.slot.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
            d.serial.as_deref().unwrap_or("?"),
            d.model.as_deref().unwrap_or(""),
            d.state.stage.label(),
            d.state.instruction
        )?;
        if let Some(remedy) = &d.state.remedy {
            writeln!(out, "        {}", crate::remedy::command(remedy))?;
        }
    }
    Ok(())
}
