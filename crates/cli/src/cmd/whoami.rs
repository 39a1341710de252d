//! `stagebench whoami`: who is signed in on this bench, to which tenant, with which permissions,
//! and until when the current access token works. Exits 1 when nobody is signed in.

use std::io::Write;

use anyhow::Context;
use clap::Args;
use stagebench_core::intune::auth::TenantStore;
use stagebench_core::intune::SignInError;
use stagebench_core::store::Store;

/// How to print.
#[derive(Args)]
pub struct WhoamiArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `stagebench whoami`.
pub async fn run(args: &WhoamiArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench's settings")?;
    let settings = store.tenant_settings()?.ok_or(SignInError::NotSignedIn)?;
    let session = super::login::sign_in_service()?.resume(&settings)?;
    let me = session.whoami().await?;
    // A refresh may have learnt the account's name; keep it for the app and the next run.
    if session.settings() != settings {
        store.set_tenant_settings(&session.settings())?;
    }
    if args.json {
        return super::write_json(out, &me);
    }
    let expires = me
        .access_token_expires_at
        .format(&time::format_description::well_known::Rfc3339)?;
    writeln!(out, "account:   {}", super::login::who(&me))?;
    writeln!(
        out,
        "tenant:    {}{}",
        me.tenant,
        super::login::tenant_id(&me)
    )?;
    writeln!(out, "client id: {}", me.client_id)?;
    writeln!(out, "sign-in:   {}", me.mode)?;
    writeln!(out, "scopes:    {}", me.scopes.join(" "))?;
    writeln!(out, "token valid until {expires}")?;
    Ok(())
}
