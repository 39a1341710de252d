//! `stagebench login`: sign the bench in to its tenant. A technician signs in with a device code
//! (the command prints the code and the link, waits, then says who signed in); an unattended
//! bench signs the app in with a client secret (read from standard input, never an argument) or
//! a certificate. Settings go to the bench's store, secrets to the OS keyring.

use std::io::IsTerminal as _;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use serde_json::json;
use stagebench_core::clock::SystemClock;
use stagebench_core::intune::auth::{
    CertificateSource, OsKeyring, Session, SignIn, SignInMode, TenantSettings, TenantStore, WhoAmI,
};
use stagebench_core::limits::{read_stream, read_text_file, SMALL_FILE};
use stagebench_core::secret::SecretText;
use stagebench_core::store::Store;

/// Who signs in, and how.
#[derive(Args)]
pub struct LoginArgs {
    /// The tenant: its Directory (tenant) ID or a domain such as contoso.onmicrosoft.com
    /// [default: the one this bench signed in to last].
    #[arg(long)]
    tenant: Option<String>,
    /// The app registration's Application (client) ID [default: the bench's last].
    #[arg(long)]
    client_id: Option<String>,
    /// Sign the app in (no technician) with a client secret read from standard input.
    #[arg(long, conflicts_with = "certificate")]
    client_secret_stdin: bool,
    /// Sign the app in with this certificate (PEM); needs --private-key.
    #[arg(long, value_name = "PEM", requires = "private_key")]
    certificate: Option<PathBuf>,
    /// The certificate's private key (PEM, unencrypted PKCS#8 or PKCS#1).
    #[arg(long, value_name = "PEM", requires = "certificate")]
    private_key: Option<PathBuf>,
    /// Keep the certificate in the bench's settings and its key in the OS keyring, instead of
    /// reading both files at every sign-in.
    #[arg(long, requires = "certificate")]
    import: bool,
    /// Print JSON lines: the device code prompt, then who signed in.
    #[arg(long)]
    json: bool,
}

/// Sign-in as the CLI does it: endpoints from the environment ([`super::endpoints`]), the OS
/// keyring, the wall clock.
pub fn sign_in_service() -> anyhow::Result<SignIn> {
    Ok(SignIn::new(
        super::endpoints()?,
        Arc::new(OsKeyring::new()),
        Arc::new(SystemClock),
    )?)
}

/// Writes one compact JSON object and a newline, and flushes (a waiting reader sees it at once).
pub fn write_json_line(out: &mut dyn Write, value: &serde_json::Value) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Runs `stagebench login`.
pub async fn run(
    args: &LoginArgs,
    out: &mut dyn Write,
    stdin: &mut dyn Read,
) -> anyhow::Result<()> {
    let mut store = Store::open_default().context("can't open the bench's settings")?;
    let previous = store.tenant_settings()?;
    let settings = settings(args, previous.as_ref())?;
    let sign_in = sign_in_service()?;
    sign_in.check_secret_store(&settings).await?;
    // A new sign-in replaces the old one: its secrets leave the keyring first.
    if let Some(mut previous) = previous {
        sign_in.sign_out(&previous).await?;
        previous.account = None;
        store.set_tenant_settings(&previous)?;
    }
    let session = match &settings.mode {
        SignInMode::DeviceCode => {
            let login = sign_in.start_device_code(&settings).await?;
            let prompt = login.prompt();
            if args.json {
                let mut line = serde_json::to_value(prompt)?;
                line["event"] = json!("prompt");
                write_json_line(out, &line)?;
            } else {
                writeln!(out, "{}", prompt.message)?;
                writeln!(
                    out,
                    "Waiting for the sign-in (the code works until {})…",
                    utc_time(prompt.expires_at)
                )?;
                out.flush()?;
            }
            login.finish().await?
        }
        SignInMode::ClientSecret => {
            let secret = if std::io::stdin().is_terminal() {
                // Typed without echo: nobody reads it off the screen or a terminal recording.
                rpassword::prompt_password("Client secret: ")
                    .context("reading the client secret from the terminal")?
            } else {
                let limit = SMALL_FILE.named("client secret");
                String::from_utf8(read_stream(stdin, &limit, "on standard input")?)
                    .context("the client secret on standard input is not UTF-8 text")?
            };
            sign_in
                .sign_in_with_secret(&settings, SecretText::new(secret))
                .await?
        }
        SignInMode::Certificate(CertificateSource::Imported { .. }) => {
            let path = args
                .private_key
                .as_ref()
                .context("--import needs --private-key")?;
            let key = read_text_file(path, &SMALL_FILE.named("private key"))?;
            sign_in
                .sign_in_with_certificate(&settings, Some(SecretText::new(key)))
                .await?
        }
        SignInMode::Certificate(CertificateSource::Files { .. }) => {
            sign_in.sign_in_with_certificate(&settings, None).await?
        }
    };
    store.set_tenant_settings(&session.settings())?;
    report(&session, args.json, out).await
}

/// The settings asked for, with the bench's earlier tenant and client id as defaults.
fn settings(args: &LoginArgs, previous: Option<&TenantSettings>) -> anyhow::Result<TenantSettings> {
    let first = "this bench has not signed in before: give --tenant and --client-id (Entra admin center → App registrations → your app → Overview)";
    let tenant = args
        .tenant
        .clone()
        .or_else(|| previous.map(|p| p.tenant.clone()))
        .context(first)?;
    let client_id = args
        .client_id
        .clone()
        .or_else(|| previous.map(|p| p.client_id.clone()))
        .context(first)?;
    let mode = match (&args.certificate, &args.private_key) {
        (Some(certificate), Some(_)) if args.import => {
            let certificate_pem = read_text_file(certificate, &SMALL_FILE.named("certificate"))?;
            SignInMode::Certificate(CertificateSource::Imported { certificate_pem })
        }
        (Some(certificate), Some(private_key)) => {
            SignInMode::Certificate(CertificateSource::Files {
                certificate: absolute(certificate)?,
                private_key: absolute(private_key)?,
            })
        }
        _ if args.client_secret_stdin => SignInMode::ClientSecret,
        _ => SignInMode::DeviceCode,
    };
    Ok(TenantSettings::new(&tenant, &client_id, mode)?)
}

/// Kept paths must not depend on where the next command runs.
fn absolute(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("can't resolve {}", path.display()))
}

fn utc_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second())
}

/// Prints who signed in: a sentence, or a JSON line with `"event": "signed-in"`.
async fn report(session: &Session, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let me = session.whoami().await?;
    if json {
        let mut line = serde_json::to_value(&me)?;
        line["event"] = json!("signed-in");
        return write_json_line(out, &line);
    }
    writeln!(
        out,
        "Signed in as {} to {}{}.",
        who(&me),
        me.tenant,
        tenant_id(&me)
    )?;
    Ok(())
}

/// "tech@contoso.com (Tech One)", or "app 0000…" for app-only sign-in.
pub fn who(me: &WhoAmI) -> String {
    match (&me.display_name, me.app_only) {
        (_, true) => format!("app {}", me.account),
        (Some(name), false) => format!("{} ({name})", me.account),
        (None, false) => me.account.clone(),
    }
}

/// " (tenant id …)" when the token says which tenant it came from and it differs from the settings.
pub fn tenant_id(me: &WhoAmI) -> String {
    me.tenant_id
        .as_ref()
        .filter(|t| **t != me.tenant)
        .map(|t| format!(" (tenant id {t})"))
        .unwrap_or_default()
}
