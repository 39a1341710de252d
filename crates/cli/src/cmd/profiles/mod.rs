//! `stagebench profiles`: the tenant's Android Enterprise and AOSP enrollment profiles, active
//! or not (seed rule 33), with each token's state and countdown; `show --reveal` prints a token
//! and its QR content only while the token is valid (rule 30), and never an AOSP profile's
//! plain-text token (rule 34). `profiles token …` (in `profiles/token.rs`) creates, revokes and
//! exports tokens.
//!
//! A profile is named by its id or by its display name (ignoring case) when exactly one profile
//! has it. Graph's list leaves tokens out, so every profile is then read by id for its token
//! state; tokens stay inside [`EnrollmentProfile`] and are printed only by `show --reveal`.

mod token;

use std::io::{BufRead, Write};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde::Serialize;
use stagebench_core::audit::AuditAction;
use stagebench_core::intune::graph::{EnrollmentProfile, GraphClient};
use stagebench_core::intune::view::{profile_view, ProfileView};
use stagebench_core::store::Store;
use time::OffsetDateTime;

/// What to do with the profiles.
#[derive(Args)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    command: ProfilesCommand,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum ProfilesCommand {
    /// Every profile, active or not: mode, token type, token state and time left, enrolled devices,
    /// Wi-Fi.
    List,
    /// One profile in full; --reveal adds its token and QR content while the token is valid.
    Show(ShowArgs),
    /// Create, revoke or export a profile's enrollment token.
    Token(token::TokenArgs),
}

/// Which profile, and whether to print its secrets.
#[derive(Args)]
struct ShowArgs {
    /// The profile's id, or its display name (ignoring case).
    profile: String,
    /// Also print the token and the QR code content (only a valid token; AOSP: the QR content
    /// only).
    #[arg(long)]
    reveal: bool,
}

/// Runs `stagebench profiles`. `input` and `interactive` are the terminal a revoke is confirmed on.
pub async fn run(
    args: &ProfilesArgs,
    out: &mut dyn Write,
    input: &mut dyn BufRead,
    interactive: bool,
) -> anyhow::Result<()> {
    let store = Store::open_default().context("can't open the bench's settings")?;
    let client = super::connect_tenant(&store)?;
    match &args.command {
        ProfilesCommand::List => list(&client, args.json, out).await,
        ProfilesCommand::Show(show_args) => show(&client, show_args, args.json, out).await,
        ProfilesCommand::Token(token_args) => {
            token::run(&client, token_args, args.json, out, input, interactive).await
        }
    }
}

/// Records a token action or reveal in the bench's audit log (the token by reference only).
pub(crate) async fn audit(
    action: AuditAction,
    profile: &EnrollmentProfile,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let mut store = super::open_signing_store("bench history for the audit log").await?;
    let actor = store.technician();
    stagebench_core::batch::exchange::audit_profile(&mut store, &actor, action, profile, detail)?;
    Ok(())
}

/// Now, for token states (the bench's clock: a token is refused offline too, rule 30).
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Every profile, each read by id so its token state is known (the list leaves tokens out).
async fn read_all(client: &Arc<GraphClient>) -> anyhow::Result<Vec<EnrollmentProfile>> {
    Ok(client.enrollment_profiles_with_tokens().await?)
}

/// The profile `wanted` names among `profiles`: the one with that id, else the only one with
/// that display name (ignoring case). The error lists the candidates.
fn pick<'a>(
    profiles: &'a [EnrollmentProfile],
    wanted: &str,
) -> anyhow::Result<&'a EnrollmentProfile> {
    let wanted = wanted.trim();
    if let Some(p) = profiles.iter().find(|p| p.id.eq_ignore_ascii_case(wanted)) {
        return Ok(p);
    }
    let named: Vec<&EnrollmentProfile> = profiles
        .iter()
        .filter(|p| p.display_name.trim().to_lowercase() == wanted.to_lowercase())
        .collect();
    let describe = |ps: &[&EnrollmentProfile]| {
        ps.iter()
            .map(|p| format!("\"{}\" ({}, id {})", p.display_name, p.mode, p.id))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match named.as_slice() {
        [one] => Ok(one),
        [] if profiles.is_empty() => bail!("the tenant has no Android Enterprise or AOSP enrollment profiles: create one in Intune (Devices → Android → Enrollment)"),
        [] => {
            let close: Vec<&EnrollmentProfile> =
                profiles.iter().filter(|p| p.display_name.to_lowercase().contains(&wanted.to_lowercase())).collect();
            let candidates = if close.is_empty() { profiles.iter().collect() } else { close };
            bail!("no enrollment profile has the id or name \"{wanted}\"; the candidates are: {}", describe(&candidates))
        }
        many => bail!("{} enrollment profiles are named \"{wanted}\": {}; name one by its id", many.len(), describe(many)),
    }
}

/// The profile `wanted` names, read by id (token included).
pub(crate) async fn find(client: &GraphClient, wanted: &str) -> anyhow::Result<EnrollmentProfile> {
    let listed = client.enrollment_profiles().await?;
    let id = pick(&listed, wanted)?.id.clone();
    Ok(client.enrollment_profile(&id).await?)
}

/// `valid, 29 d left`, `valid, 5 h left`, `expired`, `no token`.
fn token_summary(view: &ProfileView) -> String {
    match (view.token_state.as_str(), view.token_expires_in_seconds) {
        ("valid", Some(s)) if s >= 86_400 => format!("valid, {} d left", s / 86_400),
        ("valid", Some(s)) if s >= 3600 => format!("valid, {} h left", s / 3600),
        ("valid", Some(s)) => format!("valid, {} min left", s / 60),
        ("valid", None) => "valid, no expiry".into(),
        ("none", _) => "no token".into(),
        (state, _) => state.into(),
    }
}

/// An RFC 3339 time as people read it: `2026-12-22 10:23 UTC`.
fn short_time(rfc3339: &str) -> String {
    match OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
        }
        Err(_) => rfc3339.to_owned(),
    }
}

/// `enrollmentTokenType` in words.
fn token_type_label(graph: &str) -> &str {
    match graph {
        "deviceStaging" => "staging",
        "corporateOwnedDedicatedDeviceWithAzureADSharedMode" => "shared (Entra)",
        other => other,
    }
}

async fn list(client: &Arc<GraphClient>, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let now = now();
    let views: Vec<ProfileView> = read_all(client)
        .await?
        .iter()
        .map(|p| profile_view(p, now))
        .collect();
    if json {
        return super::write_json(out, &views);
    }
    if views.is_empty() {
        writeln!(out, "The tenant has no Android Enterprise or AOSP enrollment profiles: create one in Intune (Devices → Android → Enrollment).")?;
        return Ok(());
    }
    let header = ["NAME", "MODE", "TOKEN TYPE", "TOKEN", "ENROLLED", "WI-FI"].map(String::from);
    let rows: Vec<[String; 6]> = views
        .iter()
        .map(|v| {
            [
                v.display_name.clone(),
                v.mode_label.clone(),
                token_type_label(&v.token_type).to_owned(),
                token_summary(v),
                v.enrolled_device_count
                    .map_or("-".into(), |n| n.to_string()),
                v.wifi_ssid.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    for v in views.iter().filter(|v| !v.warnings.is_empty()) {
        writeln!(out, "\n{}:", v.display_name)?;
        for w in &v.warnings {
            writeln!(out, "  ! {w}")?;
        }
    }
    writeln!(out, "\nDetails: stagebench profiles show <name or id>")?;
    Ok(())
}

/// `show --json`: the view, plus the secrets `--reveal` asked for.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Shown<'a> {
    #[serde(flatten)]
    view: &'a ProfileView,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_code_content: Option<&'a str>,
}

/// Why nothing is revealed for `view`, with the command that fixes it.
fn refusal(view: &ProfileView) -> anyhow::Error {
    let state = match view.token_state.as_str() {
        "none" => "has no token (it was revoked, or none was created)".to_owned(),
        _ => format!(
            "has an expired or revoked token (expired {})",
            view.token_expires
                .as_deref()
                .map_or("at an unknown time".into(), short_time)
        ),
    };
    let days = if view.aosp || view.mode == "corporateOwnedDedicatedDevice" {
        90
    } else {
        30
    };
    anyhow::anyhow!(
        "enrollment profile \"{}\" {state}: such a token is never shown or printed. Create a new one with `stagebench profiles token create \"{}\" --days {days}`, then reveal it",
        view.display_name,
        view.display_name
    )
}

async fn show(
    client: &GraphClient,
    args: &ShowArgs,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let now = now();
    let profile = find(client, &args.profile).await?;
    let view = profile_view(&profile, now);
    let (mut token, mut qr) = (None, None);
    if args.reveal {
        if view.token_state != "valid" {
            return Err(refusal(&view));
        }
        token = profile.usable_token(now).map(|t| t.expose());
        qr = profile.usable_qr_content(now).map(|q| q.expose());
        if token.is_none() && qr.is_none() {
            bail!("Graph gave no token or QR content for enrollment profile \"{}\": try again, or create a new token", view.display_name);
        }
        audit(
            AuditAction::QrReveal,
            &profile,
            serde_json::json!({"surface": "cli"}),
        )
        .await?;
    }
    if json {
        return super::write_json(
            out,
            &Shown {
                view: &view,
                token,
                qr_code_content: qr,
            },
        );
    }
    let v = &view;
    writeln!(out, "{}", v.display_name)?;
    writeln!(out, "  id:           {}", v.id)?;
    if let Some(d) = &v.description {
        writeln!(out, "  description:  {d}")?;
    }
    writeln!(out, "  mode:         {} ({})", v.mode_label, v.mode)?;
    writeln!(
        out,
        "  token type:   {} ({})",
        token_type_label(&v.token_type),
        v.token_type
    )?;
    let expires = v
        .token_expires
        .as_deref()
        .map(|t| format!(", expires {}", short_time(t)))
        .unwrap_or_default();
    let created = v
        .token_created
        .as_deref()
        .map(|t| format!(", created {}", short_time(t)))
        .unwrap_or_default();
    writeln!(
        out,
        "  token:        {}{expires}{created}",
        token_summary(v)
    )?;
    match token {
        Some(t) => writeln!(out, "  token value:  {t}")?,
        None if v.aosp && args.reveal => writeln!(out, "  token value:  not shown: an AOSP token alone cannot enroll a device; use the QR code")?,
        None if v.token_masked.is_some() => writeln!(out, "  token value:  {} (add --reveal to print it)", v.token_masked.as_deref().unwrap_or_default())?,
        None => {}
    }
    match qr {
        Some(q) => writeln!(out, "  QR content:   {q}")?,
        None if v.qr_available => {
            writeln!(out, "  QR content:   available (add --reveal to print it)")?
        }
        None => writeln!(out, "  QR content:   none (no valid token)")?,
    }
    let enrolled = v
        .enrolled_device_count
        .map_or("unknown".into(), |n| n.to_string());
    let usage = v
        .token_usage_count
        .map(|n| format!(" ({n} with the current token)"))
        .unwrap_or_default();
    writeln!(out, "  enrolled:     {enrolled} devices{usage}")?;
    if let Some(ssid) = &v.wifi_ssid {
        writeln!(
            out,
            "  Wi-Fi:        {ssid}{}",
            if v.wifi_has_password {
                " (with a key)"
            } else {
                ""
            }
        )?;
    }
    for w in &v.warnings {
        writeln!(out, "  ! {w}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(id: &str, name: &str) -> EnrollmentProfile {
        EnrollmentProfile::from_json(
            json!({"id": id, "displayName": name, "enrollmentMode": "corporateOwnedFullyManaged"}),
        )
        .unwrap()
    }

    #[test]
    fn profiles_are_picked_by_id_or_unique_name_and_errors_list_candidates() {
        let ps = [
            profile("a-1", "Bench"),
            profile("b-2", "Scanners"),
            profile("c-3", "scanners"),
        ];
        assert_eq!(pick(&ps, "A-1").unwrap().id, "a-1");
        assert_eq!(pick(&ps, " bench ").unwrap().id, "a-1");
        let e = pick(&ps, "SCANNERS").unwrap_err().to_string();
        assert!(
            e.contains("2 enrollment profiles")
                && e.contains("b-2")
                && e.contains("c-3")
                && e.contains("by its id"),
            "{e}"
        );
        let e = pick(&ps, "scan").unwrap_err().to_string();
        assert!(
            e.contains("candidates") && e.contains("b-2") && !e.contains("a-1"),
            "{e}"
        );
        let e = pick(&ps, "nothing").unwrap_err().to_string();
        assert!(e.contains("a-1") && e.contains("b-2"), "{e}");
        assert!(pick(&[], "x")
            .unwrap_err()
            .to_string()
            .contains("no Android Enterprise"));
    }
}
