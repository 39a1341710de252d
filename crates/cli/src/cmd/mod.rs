//! The subcommands, one per file.
//!
//! Layout: the bench: [`devices`], [`doctor`], [`slots`], [`simulate`]; enrollment codes: [`qr`];
//! the tenant: [`login`], [`logout`], [`whoami`], [`profiles`] (tokens in `profiles/token.rs`),
//! [`sync`], [`primary_user`], [`identities`]; batches: [`batch`] (the files that move between
//! benches in `batch/files.rs`), [`scan`]; printing: [`labels`], [`printers`], [`print_queue`];
//! the audit log: [`audit`]; measurements: [`benchmark`] (one file per benchmark). Shared here:
//! the async runtime, JSON output and the tenant's Graph client.

pub mod audit;
pub mod batch;
pub mod benchmark;
pub mod devices;
pub mod doctor;
pub mod identities;
pub mod labels;
pub mod login;
pub mod logout;
pub mod primary_user;
pub mod print_queue;
pub mod printers;
pub mod profiles;
pub mod qr;
pub mod restage;
pub mod scan;
pub mod simulate;
pub mod slots;
pub mod sync;
pub mod technician;
pub mod whoami;

use std::borrow::Cow;
use std::io::Write;
use std::sync::{Arc, Once};

use anyhow::Context;
use stagebench_core::batch::key::load_or_create;
use stagebench_core::clock::SystemClock;
use stagebench_core::intune::auth::{endpoints_from_env, overrides_from_env, OsKeyring};
use stagebench_core::intune::backoff::RetryPolicy;
use stagebench_core::intune::connect::connect_with;
use stagebench_core::intune::graph::GraphClient;
use stagebench_core::intune::Endpoints;
use stagebench_core::store::Store;

/// The async runtime for subcommands that talk to devices.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Writes `value` as pretty JSON and a newline.
pub fn write_json(
    out: &mut dyn std::io::Write,
    value: &impl serde::Serialize,
) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Text that came from a device, a file, Intune or a scanner, safe to print: control
/// characters (escape sequences, carriage returns, newlines, C1 codes) and the bidirectional
/// overrides that reorder what a terminal shows are written as `\u{…}` escapes, so such text
/// can neither drive the terminal nor forge a line of output. The one way the CLI prints text
/// it did not write itself.
pub fn shown(text: &str) -> Cow<'_, str> {
    escaped(text, |c| c.is_control() || is_bidi_override(c))
}

/// The bidirectional overrides and isolates that reorder what a terminal shows.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character `unsafe_char` picks written as a `\u{…}` escape.
fn escaped(text: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Standard output for people: the last guard behind [`shown`]. Whatever a command writes as
/// text reaches the terminal with control characters other than newline and tab (escape
/// sequences, carriage returns, bells, C1 codes) and bidirectional overrides escaped, so a
/// serial, model, printer or audit detail that slipped past `shown` still cannot drive the
/// terminal. A write that is not UTF-8 (a PNG on standard output) passes as it is; `--json`
/// output is not wrapped (JSON escapes control characters itself).
pub struct TerminalSafe<W: Write>(pub W);

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => {
                let safe = escaped(text, |c| {
                    (c.is_control() && c != '\n' && c != '\t') || is_bidi_override(c)
                });
                self.0.write_all(safe.as_bytes())?;
                Ok(buf.len())
            }
            Err(_) => self.0.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Where the bench signs in and calls Graph: Microsoft, or what `STAGEBENCH_AUTHORITY` and
/// `STAGEBENCH_GRAPH_URL` name instead, each named in a warning on standard error (once per
/// run) and refused unless https (plain http only to this computer, with
/// `STAGEBENCH_ALLOW_HTTP_LOOPBACK=1`), before anything is sent.
pub fn endpoints() -> anyhow::Result<Endpoints> {
    static WARNED: Once = Once::new();
    WARNED.call_once(|| {
        for replaced in overrides_from_env() {
            eprintln!("warning: {replaced}");
        }
    });
    Ok(endpoints_from_env()?)
}

/// Opens the bench's store (`what` names it in the error) with the bench key signing the audit
/// chain's head at each append; the key is made on first use. Without a usable keyring the
/// command still runs and says its audit records are unsigned (the next signed append covers
/// them).
pub async fn open_signing_store(what: &str) -> anyhow::Result<Store> {
    let mut store = Store::open_default().with_context(|| format!("can't open the {what}"))?;
    match load_or_create(&OsKeyring::new(), &mut store).await {
        Ok(key) => store.sign_audit_with(Arc::new(key)),
        Err(e) => eprintln!("warning: this command's audit records are not signed: {e}"),
    }
    Ok(store)
}

/// The Graph client of the bench's saved sign-in, for a command, retrying as
/// [`RetryPolicy::INTERACTIVE`]. Nobody signed in gives the `stagebench login` hint.
pub fn connect_tenant(store: &Store) -> anyhow::Result<Arc<GraphClient>> {
    let connection = connect_with(
        store,
        endpoints()?,
        Arc::new(OsKeyring::new()),
        Arc::new(SystemClock),
        RetryPolicy::INTERACTIVE,
    )?;
    Ok(connection.client)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::{shown, TerminalSafe};

    #[test]
    fn standard_output_escapes_what_slipped_past_shown_and_keeps_lines_and_bytes() {
        let mut out = TerminalSafe(Vec::new());
        writeln!(out, "serial\tAB\u{1b}[31mC\r\u{202e}D").unwrap();
        out.write_all(&[0x89, b'P', b'N', b'G', 0x1b, 0xff])
            .unwrap();
        let mut expected = b"serial\tAB\\u{1b}[31mC\\u{d}\\u{202e}D\n".to_vec();
        expected.extend_from_slice(&[0x89, b'P', b'N', b'G', 0x1b, 0xff]);
        assert_eq!(out.0, expected);
    }

    #[test]
    fn shown_escapes_what_could_drive_the_terminal() {
        assert!(matches!(
            shown("Warehouse Wi-Fi ü"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            shown("\u{1b}[2J\u{1b}]0;owned\u{7}net\r\nerror: fake\u{9b}\u{202e}"),
            "\\u{1b}[2J\\u{1b}]0;owned\\u{7}net\\u{d}\\u{a}error: fake\\u{9b}\\u{202e}"
        );
    }
}
