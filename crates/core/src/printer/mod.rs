//! Label printers: where already-rendered labels (PDF, PNG or ZPL bytes) go, and the queue that
//! gets them there.
//!
//! Layout: `document` is what is printed ([`Document`], [`DocumentKind`], and the test
//! documents); `target` the printer settings ([`PrinterConfig`], [`PrinterTarget`]) and which
//! documents a printer takes; `error` the errors ([`PrintError`], each transient or permanent
//! and naming the printer and the fix); this file the one seam the queue needs
//! ([`PrintTransport`]); `system` the real printers behind it ([`SystemPrinters`], which picks
//! an adapter by target). The adapters are [`ipp`] (CUPS and IPP Everywhere printers, listing
//! included), [`raw`] (TCP port 9100, Zebra) and [`serial`]. [`status`] reads whether a
//! printer is ready (Zebra `~HS`, IPP printer state). [`queue`] drains the store's `print_jobs`
//! table through any transport, holding ZPL jobs while a Zebra says it cannot print; `saved`
//! turns the store's printer rows into [`PrinterConfig`]s ([`PrinterStore`]); [`sealed`] keeps a
//! label that carries a secret encrypted while it waits, its key in the OS keyring; [`worker`]
//! is the service that drains the queue in the background and publishes it on a `watch` channel.
//! Rendering labels is not here (the `label` module, a floor above). With the `testing`
//! feature, [`fake`] is a Zebra on a local TCP port that answers `~HS` as told and keeps what it
//! is sent, and [`fake_ipp`] an IPP printer that keeps its jobs and answers them when told.
//!
//! Everything here is portable: IPP and raw TCP are plain sockets, serial ports go through the
//! `serialport` crate on Linux, macOS and Windows.

mod document;
mod error;
#[cfg(any(test, feature = "testing"))]
pub mod fake;
#[cfg(any(test, feature = "testing"))]
pub mod fake_ipp;
pub mod ipp;
pub mod queue;
pub mod raw;
mod saved;
pub mod sealed;
pub mod serial;
pub mod status;
mod system;
mod target;
pub mod worker;

use std::future::Future;
use std::time::Duration;

use serde::Serialize;

pub use document::{test_pdf, test_zpl, Document, DocumentKind};
pub use error::PrintError;
pub use ipp::{IppClient, IppJob, IppJobState, IppPrinter};
pub use queue::{drain_once, drain_once_with, PrintDrainReport};
pub use saved::{test_label, PrinterStore};
pub use status::{Condition, HostStatus, HostStatusError, PrinterStatus, Readiness};
pub use system::SystemPrinters;
pub use target::{check_document, PrinterConfig, PrinterTarget};
pub use worker::{PrintWorker, QueueJob, QueueState};

/// The port Zebra and most label printers take raw jobs on.
pub const RAW_PORT: u16 = 9100;

/// How long a connection to a printer may take before the attempt counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one write (or an IPP request as a whole) may stall.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Resolutions a printer may be saved with, and PNG and PDF labels rendered at (ZPL: only the
/// print head's, `label::ZPL_DPIS`).
pub const DPI_RANGE: std::ops::RangeInclusive<u32> = 72..=2400;

/// What a printer said when it took a job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// The printer's own job reference, when it has one (IPP: the `job-uri`).
    pub remote_job: Option<String>,
}

/// The seam between the print queue and printers: the real one is [`SystemPrinters`]; tests
/// pass fakes that fail on cue.
pub trait PrintTransport {
    /// Sends `copies` copies of `document` to `printer`.
    fn send(
        &self,
        printer: &PrinterConfig,
        document: &Document,
        copies: u32,
    ) -> impl Future<Output = Result<Sent, PrintError>> + Send;

    /// Whether `printer` is ready. The queue asks before sending ZPL to a raw or serial
    /// printer and holds the job while a blocking condition lasts. A transport that cannot tell
    /// says [`Readiness::Unknown`] (the default), and jobs go as before.
    fn status(&self, printer: &PrinterConfig) -> impl Future<Output = PrinterStatus> + Send {
        let name = printer.name.clone();
        async move {
            PrinterStatus::unknown(
                name,
                "this transport does not ask printers for their status",
            )
        }
    }
}
