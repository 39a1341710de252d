//! `stagebench profiles token create|revoke|export`: a profile's enrollment token (seed rule
//! 32). Creating a token replaces the current one, revoking expires it at once; neither affects
//! devices already enrolled, but QR codes and labels printed with the old token stop working.
//! Export writes the token's JSON for Google Zero-touch or Samsung KME (rules 59–63).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use stagebench_core::intune::graph::{
    check_token_validity, kme_custom_json, zero_touch_dpc_extras, ExportError, GraphClient,
    TokenState,
};
use stagebench_core::intune::view::profile_view;

use stagebench_core::audit::AuditAction;

use super::{find, now, pick, short_time, token_summary};

/// Which token operation.
#[derive(Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a new token valid for --days days; it replaces the current one, whose QR codes and
    /// labels become void.
    Create(CreateArgs),
    /// Revoke the token now: enrolled devices are unaffected, printed QR codes and labels become
    /// void.
    Revoke(RevokeArgs),
    /// Write the token's JSON for Google Zero-touch (DPC extras) or Samsung KME (Custom JSON).
    Export(ExportArgs),
}

#[derive(Args)]
struct CreateArgs {
    /// The profile's id or display name.
    profile: String,
    /// How many days the token is valid (AOSP and dedicated: at most 90).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    days: u32,
}

#[derive(Args)]
struct RevokeArgs {
    /// The profile's id or display name.
    profile: String,
    /// Revoke without asking (needed when not at a terminal).
    #[arg(long)]
    yes: bool,
}

#[derive(Args)]
struct ExportArgs {
    /// The profile's id or display name.
    profile: String,
    /// Which JSON.
    #[arg(long = "for", value_enum, value_name = "TARGET")]
    target: Target,
    /// Write it to this file (readable by you only) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Where an exported token goes.
#[derive(Clone, Copy, ValueEnum)]
enum Target {
    /// Google Zero-touch: the configuration's "DPC extras".
    ZeroTouch,
    /// Samsung Knox Mobile Enrollment: the profile's "Custom JSON Data".
    Kme,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::ZeroTouch => "zero-touch",
            Target::Kme => "kme",
        }
    }
    fn what(self) -> &'static str {
        match self {
            Target::ZeroTouch => "Zero-touch DPC extras",
            Target::Kme => "KME Custom JSON",
        }
    }
}

/// What every token change means for the bench (rule 32).
const VOIDS: &str = "Devices already enrolled are unaffected; QR codes and labels printed with the old token are void (they no longer enroll): print new ones.";

/// Runs `stagebench profiles token …`.
pub(super) async fn run(
    client: &GraphClient,
    args: &TokenArgs,
    json: bool,
    out: &mut dyn Write,
    input: &mut dyn BufRead,
    interactive: bool,
) -> anyhow::Result<()> {
    match &args.command {
        TokenCommand::Create(a) => create(client, a, json, out).await,
        TokenCommand::Revoke(a) => revoke(client, a, json, out, input, interactive).await,
        TokenCommand::Export(a) => export(client, a, json, out).await,
    }
}

async fn create(
    client: &GraphClient,
    args: &CreateArgs,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let listed = client.enrollment_profiles().await?;
    let profile = pick(&listed, &args.profile)?;
    let validity = Duration::from_secs(u64::from(args.days) * 86_400);
    // Checked here too, so the refusal says nothing was sent.
    if let Err(why) = check_token_validity(profile.mode, validity) {
        bail!(
            "enrollment profile \"{}\" ({}): {why}; nothing was sent to Intune",
            profile.display_name,
            profile.mode
        );
    }
    let updated = client
        .create_token(&profile.id, profile.mode, validity)
        .await?;
    super::audit(
        AuditAction::TokenCreate,
        &updated,
        json!({"days": args.days}),
    )
    .await?;
    let view = profile_view(&updated, now());
    if json {
        return super::super::write_json(
            out,
            &json!({"created": true, "days": args.days, "profile": view}),
        );
    }
    let until = view
        .token_expires
        .as_deref()
        .map_or("no expiry given".into(), short_time);
    writeln!(
        out,
        "New token for \"{}\": valid for {} days, until {until} ({}).",
        view.display_name,
        args.days,
        token_summary(&view)
    )?;
    writeln!(out, "It replaces the previous token. {VOIDS}")?;
    Ok(())
}

async fn revoke(
    client: &GraphClient,
    args: &RevokeArgs,
    json: bool,
    out: &mut dyn Write,
    input: &mut dyn BufRead,
    interactive: bool,
) -> anyhow::Result<()> {
    let profile = find(client, &args.profile).await?;
    let name = profile.display_name.clone();
    // An expired or already revoked token cannot enroll anything: nothing to revoke.
    let state = profile.token_state(now());
    if !matches!(state, TokenState::Valid { .. }) {
        if json {
            return super::super::write_json(
                out,
                &json!({"revoked": false, "profile": profile_view(&profile, now())}),
            );
        }
        writeln!(
            out,
            "Enrollment profile \"{name}\": {state}; nothing to revoke."
        )?;
        return Ok(());
    }
    if !args.yes {
        if !interactive {
            bail!("revoking the token of \"{name}\" needs a confirmation: run it at a terminal and type the profile name, or add --yes");
        }
        eprint!("Revoking the token of \"{name}\" voids every QR code and label printed with it (enrolled devices are unaffected).\nType the profile name to revoke it: ");
        let mut typed = String::new();
        input
            .read_line(&mut typed)
            .context("reading the confirmation")?;
        if typed.trim().to_lowercase() != name.trim().to_lowercase() {
            bail!(
                "not revoked: \"{}\" is not the profile name \"{name}\"",
                typed.trim()
            );
        }
    }
    client.revoke_token(&profile.id).await?;
    super::audit(AuditAction::TokenRevoke, &profile, json!({})).await?;
    let after = client.enrollment_profile(&profile.id).await?;
    let view = profile_view(&after, now());
    if json {
        return super::super::write_json(out, &json!({"revoked": true, "profile": view}));
    }
    writeln!(
        out,
        "Revoked the token of \"{name}\" (now: {}).",
        token_summary(&view)
    )?;
    writeln!(out, "{VOIDS}")?;
    writeln!(
        out,
        "For the next batch: stagebench profiles token create \"{name}\" --days N"
    )?;
    Ok(())
}

async fn export(
    client: &GraphClient,
    args: &ExportArgs,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let profile = find(client, &args.profile).await?;
    let now = now();
    let made = match args.target {
        Target::ZeroTouch => zero_touch_dpc_extras(&profile, now),
        Target::Kme => kme_custom_json(&profile, now),
    };
    let export = match made {
        Ok(export) => export,
        Err(e @ ExportError::NoUsableToken { .. }) => {
            bail!(
                "{e}: `stagebench profiles token create \"{}\" --days N`",
                profile.display_name
            )
        }
        Err(e) => return Err(e.into()),
    };
    let text = export.json().expose();
    super::audit(
        AuditAction::TokenExport,
        &profile,
        json!({"for": args.target.name()}),
    )
    .await?;
    let (name, target) = (&profile.display_name, args.target);
    match (&args.out, json) {
        (Some(path), _) => {
            stagebench_files::write_private(path, format!("{text}\n").as_bytes())?;
            if json {
                let summary = json!({"profile": name, "id": profile.id, "for": target.name(), "file": path, "containsToken": true, "warnings": export.warnings});
                return super::super::write_json(out, &summary);
            }
            writeln!(
                out,
                "Wrote the {} for \"{name}\" to {}.",
                target.what(),
                path.display()
            )?;
            writeln!(out, "The file contains the enrollment token: keep it private and delete it once pasted.")?;
            for w in &export.warnings {
                writeln!(out, "  ! {w}")?;
            }
        }
        (None, true) => {
            let summary = json!({"profile": name, "id": profile.id, "for": target.name(), "content": text, "containsToken": true, "warnings": export.warnings});
            super::super::write_json(out, &summary)?;
        }
        (None, false) => {
            // The JSON alone on standard output, so it can be redirected; the notes on stderr.
            writeln!(out, "{text}")?;
            eprintln!(
                "The {} above contains the enrollment token of \"{name}\": keep it private.",
                target.what()
            );
            for w in &export.warnings {
                eprintln!("  ! {w}");
            }
        }
    }
    Ok(())
}
