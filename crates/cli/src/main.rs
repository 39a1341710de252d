//! `stagebench`: the StageBench command line. One file per subcommand in `cmd/`; each writes to
//! any `Write` and has `--json` for machines. Errors name the bad input and the fix, and exit 1;
//! the fix the core names as a remedy is printed as this CLI's command line ([`remedy`]).
//!
//! Layout: [`cmd`] holds the subcommands, one module each, and what they share (the runtime,
//! JSON output, the tenant's client); [`remedy`] words the core's remedies as command lines and
//! reports a failure; this file parses the command line and runs the subcommand.

mod cmd;
mod remedy;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// StageBench: enrollment QR codes and device reads for Android staging benches.
#[derive(Parser)]
#[command(name = "stagebench", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build, check and render an enrollment QR code.
    Qr(cmd::qr::QrArgs),
    /// List attached devices with their serials, maker, model and Android version.
    Devices(cmd::devices::DevicesArgs),
    /// Check this bench: data folder, adb server, adb tool, USB access; each problem with its fix.
    Doctor(cmd::doctor::DoctorArgs),
    /// List, assign or free bench slots (the numbers technicians see, one per USB port).
    Slots(cmd::slots::SlotsArgs),
    /// Benchmarks on fake devices and a fake tenant: device reads, USB events, Graph refresh,
    /// reports, labels, custody.
    Benchmark(cmd::benchmark::BenchmarkArgs),
    /// Run fake devices (varied makers and models, one a RealWear) until stopped; --tenant adds a
    /// fake Intune tenant.
    Simulate(cmd::simulate::SimulateArgs),
    /// Sign the bench in to its tenant: a technician with a device code, or the app with a client
    /// secret or certificate.
    Login(cmd::login::LoginArgs),
    /// Sign the bench out: its secrets leave the OS keyring.
    Logout(cmd::logout::LogoutArgs),
    /// Who is signed in, to which tenant, with which permissions.
    Whoami(cmd::whoami::WhoamiArgs),
    /// Who actions are recorded under on this bench; --set NAME names the technician.
    Technician(cmd::technician::TechnicianArgs),
    /// The tenant's enrollment profiles and their tokens: list, show, create, revoke, export for
    /// Zero-touch or KME.
    Profiles(cmd::profiles::ProfilesArgs),
    /// Read Intune's status of the bench's devices and send the changes waiting in the outbox.
    Sync(cmd::sync::SyncArgs),
    /// Windows devices enrolled with a DEM account: make the user who signed in primary.
    PrimaryUser(cmd::primary_user::PrimaryUserArgs),
    /// Before wiping returned devices: what Intune still holds under their serials and what to
    /// do first (Delete for corporate Android, factory reset protection on Android 15 COPE).
    Restage(cmd::restage::RestageArgs),
    /// Corporate identifiers: upload serials or IMEIs to Intune (optional for Android corporate
    /// modes).
    Identities(cmd::identities::IdentitiesArgs),
    /// Batches: create, follow each device's stage, bench packs for vendors, signed reports,
    /// reconcile with Intune.
    Batch(cmd::batch::BatchArgs),
    /// Scanned box or device serials join a batch: a serial-port scanner (--port) or a keyboard
    /// wedge on standard input.
    Scan(cmd::scan::ScanArgs),
    /// Labels: render enrollment, device and box labels as PNG, PDF or ZPL at the printer's
    /// resolution.
    Labels(cmd::labels::LabelsArgs),
    /// The audit log: every QR display, label print, token action, pack and report; --verify checks
    /// its hash chain.
    Audit(cmd::audit::AuditArgs),
    /// Printers: the bench's (IPP, raw TCP 9100, serial), the CUPS server's, serial ports; add,
    /// remove, test.
    Printers(cmd::printers::PrintersArgs),
    /// The print queue: jobs with their state; retry a failed one, or send what is due.
    PrintQueue(cmd::print_queue::PrintQueueArgs),
}

fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STAGEBENCH_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let cli = Cli::parse();
    // Every subcommand's `--json` flag (before any `--`): a failure is then JSON too.
    let json = std::env::args()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    let stdout = std::io::stdout();
    // People's output goes through the terminal guard; JSON is escaped by serde_json itself.
    let mut out: Box<dyn std::io::Write> = if json {
        Box::new(stdout.lock())
    } else {
        Box::new(cmd::TerminalSafe(stdout.lock()))
    };
    let result = match cli.command {
        Command::Qr(args) => cmd::qr::run(&args, &mut out),
        Command::Devices(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::devices::run(&args, &mut out)))
        }
        Command::Doctor(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::doctor::run(&args, &mut out)))
        }
        Command::Slots(args) => cmd::slots::run(&args, &mut out),
        Command::Technician(args) => cmd::technician::run(&args, &mut out),
        Command::Benchmark(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::benchmark::run(&args, &mut out)))
        }
        Command::Simulate(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::simulate::run(&args, &mut out)))
        }
        Command::Login(args) => cmd::runtime()
            .and_then(|rt| rt.block_on(cmd::login::run(&args, &mut out, &mut std::io::stdin()))),
        Command::Logout(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::logout::run(&args, &mut out)))
        }
        Command::Whoami(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::whoami::run(&args, &mut out)))
        }
        Command::Profiles(args) => {
            let stdin = std::io::stdin();
            let interactive = stdin.is_terminal();
            cmd::runtime().and_then(|rt| {
                rt.block_on(cmd::profiles::run(
                    &args,
                    &mut out,
                    &mut stdin.lock(),
                    interactive,
                ))
            })
        }
        Command::Sync(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::sync::run(&args, &mut out)))
        }
        Command::PrimaryUser(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::primary_user::run(&args, &mut out)))
        }
        Command::Restage(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::restage::run(&args, &mut out)))
        }
        Command::Identities(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::identities::run(&args, &mut out)))
        }
        Command::Batch(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::batch::run(&args, &mut out)))
        }
        Command::Audit(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::audit::run(&args, &mut out)))
        }
        Command::Scan(args) => cmd::scan::run(&args, &mut out, &mut std::io::stdin().lock()),
        Command::Printers(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::printers::run(&args, &mut out)))
        }
        Command::PrintQueue(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::print_queue::run(&args, &mut out)))
        }
        Command::Labels(args) => {
            cmd::runtime().and_then(|rt| rt.block_on(cmd::labels::run(&args, &mut out)))
        }
    };
    match result {
        Ok(()) => {
            let _ = out.flush();
            ExitCode::SUCCESS
        }
        Err(e) => {
            remedy::report(&e, json, &mut out, &mut std::io::stderr());
            let _ = out.flush();
            ExitCode::FAILURE
        }
    }
}
