//! `stagebench primary-user reassign`: Windows Autopilot Device Preparation with a device
//! enrollment manager (DEM) account (seed 004). A DEM-enrolled device shows the DEM as its
//! primary user (rule 133); this makes the user who signed in last, the DEM excluded, primary
//! instead (rule 134). The decision is the Graph client's planner
//! ([`plan_primary_user`]): *change*, *keep* (someone other than the DEM is primary already) or
//! *nothing to do* (only the DEM has signed in). `--dry-run` prints the plan and changes nothing;
//! running it twice changes nothing the second time.

use std::io::Write;

use anyhow::bail;
use clap::{Args, Subcommand};
use serde::Serialize;
use stagebench_core::intune::graph::{
    plan_primary_user, DirectoryUser, GraphClient, ManagedDevice, PrimaryUserPlan,
};
use stagebench_core::store::Store;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Which primary-user job.
#[derive(Args)]
pub struct PrimaryUserArgs {
    #[command(subcommand)]
    command: PrimaryUserCommand,
}

#[derive(Subcommand)]
enum PrimaryUserCommand {
    /// Make the latest user other than the DEM account a DEM-enrolled Windows device's primary
    /// user.
    Reassign(ReassignArgs),
}

/// The device, the DEM account, and whether to change anything.
#[derive(Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["device", "serial"]))]
struct ReassignArgs {
    /// The device enrollment manager (staging) account's UPN, e.g. dem@contoso.com.
    #[arg(long, value_name = "UPN")]
    dem: String,
    /// The Intune device id.
    #[arg(long, value_name = "ID")]
    device: Option<String>,
    /// The device's serial number (it must match exactly one Intune device).
    #[arg(long, value_name = "SERIAL")]
    serial: Option<String>,
    /// Print what would change, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// A user as printed: id, and UPN when known.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct User {
    id: String,
    upn: Option<String>,
}

impl User {
    fn from_directory(u: &DirectoryUser) -> User {
        User {
            id: u.id.clone(),
            upn: u.user_principal_name.clone(),
        }
    }
    fn label(&self) -> String {
        self.upn
            .clone()
            .unwrap_or_else(|| format!("user {}", self.id))
    }
}

/// What `reassign --json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reassignment {
    device_id: String,
    device_name: String,
    serial: String,
    dem: String,
    /// `change`, `keep` or `nothing-to-do`.
    action: &'static str,
    reason: String,
    /// Sign-ins on the device, latest first.
    signed_in: Vec<SignIn>,
    primary_before: Option<User>,
    /// The user the plan makes primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<User>,
    /// The sign-in time of that user, recorded with the change (rule 134).
    #[serde(skip_serializing_if = "Option::is_none")]
    to_last_logon: Option<String>,
    dry_run: bool,
    /// Whether Intune was changed.
    applied: bool,
    primary_after: Option<User>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignIn {
    user: User,
    last_logon: Option<String>,
}

fn rfc3339(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&Rfc3339).ok())
}

/// Runs `stagebench primary-user …`.
pub async fn run(args: &PrimaryUserArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let PrimaryUserCommand::Reassign(args) = &args.command;
    let store = Store::open_default()?;
    let client = super::connect_tenant(&store)?;
    let device = find_device(&client, args).await?;
    let before = client.primary_user(&device.id).await?;
    let plan = plan_primary_user(&device, before.as_ref(), &args.dem);
    // Names for the ids the device and its primary user tell us about.
    let mut known: Vec<User> = before.iter().map(User::from_directory).collect();
    if let (Some(id), Some(upn)) = (&device.user_id, &device.user_principal_name) {
        known.push(User {
            id: id.clone(),
            upn: Some(upn.clone()),
        });
    }
    let name = |id: &str| {
        known
            .iter()
            .find(|u| u.id.eq_ignore_ascii_case(id))
            .cloned()
            .unwrap_or(User {
                id: id.to_owned(),
                upn: None,
            })
    };
    let mut signed_in: Vec<SignIn> = device
        .users_logged_on
        .iter()
        .map(|u| SignIn {
            user: name(&u.user_id),
            last_logon: rfc3339(u.last_logon),
        })
        .collect();
    signed_in.sort_by(|a, b| b.last_logon.cmp(&a.last_logon));
    let (action, reason, to, to_last_logon) = match &plan {
        PrimaryUserPlan::Change {
            to,
            last_logon,
            reason,
            ..
        } => (
            "change",
            reason.clone(),
            Some(name(to)),
            rfc3339(*last_logon),
        ),
        PrimaryUserPlan::Keep { reason, .. } => ("keep", reason.clone(), None, None),
        PrimaryUserPlan::NothingToDo { reason } => ("nothing-to-do", reason.clone(), None, None),
    };
    let mut applied = false;
    let mut after = before.as_ref().map(User::from_directory);
    if let (false, Some(to)) = (args.dry_run, &to) {
        client.set_primary_user(&device.id, &to.id).await?;
        applied = true;
        after = client
            .primary_user(&device.id)
            .await?
            .as_ref()
            .map(User::from_directory);
        tracing::info!(device = %device.id, from = ?before.as_ref().map(|u| &u.id), to = %to.id, last_logon = ?to_last_logon, "primary user reassigned");
    }
    let report = Reassignment {
        device_id: device.id.clone(),
        device_name: device.device_name.clone(),
        serial: device.serial_number.clone(),
        dem: args.dem.clone(),
        action,
        reason,
        signed_in,
        primary_before: before.as_ref().map(User::from_directory),
        to,
        to_last_logon,
        dry_run: args.dry_run,
        applied,
        primary_after: after,
    };
    if args.json {
        return super::write_json(out, &report);
    }
    write_text(&report, out)
}

/// The device `--device` or `--serial` names.
async fn find_device(client: &GraphClient, args: &ReassignArgs) -> anyhow::Result<ManagedDevice> {
    if let Some(id) = &args.device {
        return match client.device(id).await? {
            Some(d) => Ok(d),
            None => bail!("Intune has no managed device with id {id}: copy the id from Intune (Devices → the device → Overview), or use --serial"),
        };
    }
    let serial = args.serial.as_deref().unwrap_or_default().trim();
    if serial.is_empty() {
        bail!("--serial is empty: give the device's serial number, or --device with its Intune id");
    }
    let lookup = client
        .devices_by_serials(&[serial.to_owned()])
        .await
        .into_iter()
        .next();
    let devices = match lookup {
        Some(l) => l.devices?,
        None => Vec::new(),
    };
    match devices.as_slice() {
        [one] => Ok(one.clone()), // the look-up reads usersLoggedOn too
        [] => bail!("Intune has no managed device with serial {serial}: check the serial (Settings → System → About), or wait until the device has enrolled"),
        many => {
            let ids: Vec<String> = many.iter().map(|d| format!("{} ({})", d.id, d.device_name)).collect();
            bail!("serial {serial} matches {} Intune devices: {}; pick one with --device", many.len(), ids.join(", "))
        }
    }
}

fn write_text(r: &Reassignment, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "Device {} (serial {}, id {})",
        r.device_name, r.serial, r.device_id
    )?;
    if r.signed_in.is_empty() {
        writeln!(out, "  signed in:     nobody yet")?;
    }
    for (i, s) in r.signed_in.iter().enumerate() {
        let label = if i == 0 { "signed in:" } else { "" };
        writeln!(
            out,
            "  {label:<14} {} at {}",
            s.user.label(),
            s.last_logon.as_deref().unwrap_or("an unknown time")
        )?;
    }
    let primary = |u: &Option<User>| u.as_ref().map_or("none".to_owned(), User::label);
    writeln!(out, "  primary user:  {}", primary(&r.primary_before))?;
    writeln!(out, "  DEM account:   {}", r.dem)?;
    let action = r.action.replace('-', " ");
    writeln!(out, "{action}: {}", r.reason)?;
    match (&r.to, r.dry_run, r.applied) {
        (Some(to), true, _) => {
            writeln!(out, "Dry run: would make {} the primary user; nothing was changed. Run again without --dry-run to apply.", to.label())?
        }
        (Some(_), false, true) => writeln!(out, "Changed: the primary user is now {}.", primary(&r.primary_after))?,
        _ => writeln!(out, "Nothing was changed.")?,
    }
    Ok(())
}
