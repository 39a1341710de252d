//! The subcommands, one per file.

pub mod bench;
pub mod devices;
pub mod doctor;
pub mod login;
pub mod logout;
pub mod qr;
pub mod simulate;
pub mod slots;
pub mod whoami;

/// The async runtime for subcommands that talk to devices.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// Writes `value` as pretty JSON and a newline.
pub fn write_json(out: &mut dyn std::io::Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}
