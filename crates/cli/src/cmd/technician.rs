//! `stagebench technician`: who actions and events are recorded under on this bench (the
//! `technician` bench setting, else `STAGEBENCH_TECHNICIAN`, else the person signed in to the
//! tenant, else the OS user), and naming or forgetting the bench's technician.

use std::io::Write;

use anyhow::Context;
use clap::Args;
use stagebench_core::store::{Store, TECHNICIAN_SETTING};

/// Show, set or clear the technician.
#[derive(Args)]
pub struct TechnicianArgs {
    /// Name the technician at this bench (recorded on every action and event from now on).
    #[arg(long, value_name = "NAME", conflicts_with = "clear")]
    set: Option<String>,
    /// Forget the bench's technician: the signed-in person, else the OS user, is recorded.
    #[arg(long)]
    clear: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `stagebench technician`.
pub fn run(args: &TechnicianArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench's settings")?;
    if let Some(name) = &args.set {
        let name = name.trim();
        anyhow::ensure!(
            !name.is_empty(),
            "the technician's name is blank: give a name, or --clear to forget it"
        );
        store.set_bench_setting(TECHNICIAN_SETTING, Some(name))?;
    } else if args.clear {
        store.set_bench_setting(TECHNICIAN_SETTING, None)?;
    }
    let on_record = store.technician_on_record();
    if args.json {
        return super::write_json(out, &on_record);
    }
    let from = serde_json::to_value(on_record.source)?;
    writeln!(
        out,
        "{} (from: {})",
        super::shown(&on_record.name),
        from.as_str().unwrap_or("-")
    )?;
    Ok(())
}
