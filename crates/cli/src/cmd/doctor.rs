//! `stagebench doctor`: is this bench ready? Each problem comes with its fix. `--network`
//! checks the staging network instead: the endpoints enrollment needs, each failure with the
//! enrollment step that will likely fail and what the network team must open.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::bail;
use clap::Args;
use stagebench_adb::server::AdbServer;
use stagebench_core::doctor::network::{self, EndpointsFile, Resolver};
use stagebench_core::doctor::{self, CheckStatus};

/// Which adb server to check and how to print.
#[derive(Args)]
pub struct DoctorArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Mend what doctor can first (the data folder and its files made owner-only), then check.
    #[arg(long)]
    fix: bool,
    /// The adb server [default: 127.0.0.1:$ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037].
    #[arg(long, value_name = "HOST:PORT")]
    adb_server: Option<SocketAddr>,
    /// Check the staging network instead: can this network reach Intune, Microsoft sign-in and
    /// Google's provisioning and Play endpoints (TCP connects, a few seconds).
    #[arg(long)]
    network: bool,
    /// With --network: send HOST (or HOST:PORT, or * for every host) to IP:PORT instead of
    /// looking it up; hosts not given are then not tried. Repeatable.
    #[arg(long, value_name = "HOST[:PORT]=IP:PORT", requires = "network")]
    resolve: Vec<String>,
}

/// Runs `stagebench doctor`; fails (exit 1) when any check fails.
pub async fn run(args: &DoctorArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let server = args
        .adb_server
        .map(AdbServer::new)
        .unwrap_or_else(AdbServer::from_env);
    let mended = if args.fix { doctor::fix()? } else { Vec::new() };
    let checks = if args.network {
        network::run(&EndpointsFile::builtin(), &Resolver::parse(&args.resolve)?).await
    } else {
        doctor::run(&server).await
    };
    if !args.json {
        for path in &mended {
            writeln!(out, "made owner-only: {}", path.display())?;
        }
    }
    if args.json {
        super::write_json(out, &checks)?;
    } else {
        for c in &checks {
            let mark = match c.status {
                CheckStatus::Ok => "ok  ",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "FAIL",
            };
            writeln!(out, "[{mark}] {:<17} {}", c.id, c.message)?;
            match (&c.fix, c.fixable) {
                (Some(fix), true) => writeln!(
                    out,
                    "       {:<17} fix: {fix}: run `stagebench doctor --fix`",
                    ""
                )?,
                (Some(fix), false) => writeln!(out, "       {:<17} fix: {fix}", "")?,
                (None, _) => {}
            }
        }
    }
    if doctor::any_failed(&checks) {
        bail!("some checks failed: see the fixes above");
    }
    Ok(())
}
