//! Printing a request: its labels rendered for the printer (PDF for IPP, ZPL for raw and
//! serial, at the printer's resolution) and queued as one job; the queue sends it. An
//! enrollment label is queued sealed ([`sealed`]): its QR holds the token.

use serde::Serialize;

use super::{collect_labels, LabelRequest, LabelRequestError, PayloadUse};
use crate::ids::PrintJobId;
use crate::intune::auth::SecretStore;
use crate::label::{find_template, render_labels, LabelData, LabelError, OutputFormat};
use crate::printer::{sealed, DocumentKind, PrinterConfig, PrinterStore, PrinterTarget};
use crate::store::{NewPrintJob, Store};

/// What a printer's labels are rendered as: PDF for IPP printers, ZPL for raw and serial ones.
pub fn printer_format(printer: &PrinterConfig) -> (OutputFormat, DocumentKind) {
    match printer.target {
        PrinterTarget::Ipp { .. } => (OutputFormat::Pdf, DocumentKind::Pdf),
        PrinterTarget::Raw { .. } | PrinterTarget::Serial { .. } => {
            (OutputFormat::Zpl, DocumentKind::Zpl)
        }
    }
}

/// A print put in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedPrint {
    /// The job.
    pub job: PrintJobId,
    /// The printer.
    pub printer: String,
    /// The template.
    pub template: String,
    /// Labels in the job (copies included).
    pub labels: usize,
    /// Resolution rendered at.
    pub dpi: u32,
    /// `pdf` or `zpl`.
    pub format: &'static str,
    /// Batch devices left out for having no serial yet (store ids).
    pub without_serial: Vec<i64>,
}

/// Renders `request`'s labels for the printer named `printer` (at its resolution, else
/// `fallback_dpi`; PDF for IPP, ZPL for raw and serial) and queues them as one job by `actor`.
/// Sending is the queue's work ([`crate::printer::drain_once`]). An enrollment label's payload
/// is read (and audited) only after its guards pass.
pub async fn queue_print(
    store: &mut Store,
    secrets: &dyn SecretStore,
    request: &LabelRequest,
    printer: &str,
    fallback_dpi: u32,
    actor: &str,
) -> Result<QueuedPrint, LabelRequestError> {
    let config = store
        .printer(printer)?
        .ok_or_else(|| LabelRequestError::UnknownPrinter(printer.to_owned()))?;
    let template = find_template(&request.template).map_err(LabelError::from)?;
    let dpi = config.dpi.unwrap_or(fallback_dpi);
    let (format, kind) = printer_format(&config);
    let collected = collect_labels(store, secrets, request, dpi, PayloadUse::Reveal, actor).await?;
    let doc = render_labels(&template, &collected.labels, format, &collected.options)?;
    let serial = match collected.labels.as_slice() {
        [LabelData::Device(d)] => Some(d.serial.clone()),
        _ => None,
    };
    let mut job = NewPrintJob::new(config.name.clone(), kind, doc.files.concat(), actor);
    if collected
        .labels
        .iter()
        .any(|l| matches!(l, LabelData::Enrollment(_)))
    {
        // The QR holds the token (and maybe a Wi-Fi key): it waits sealed, its key in the
        // keyring, and is cleared when the job ends.
        job.data = sealed::seal(secrets, &doc.files.concat()).await?;
    }
    job.title = format!("StageBench {} ({} labels)", template.name, doc.labels);
    job.batch = collected.batch;
    job.device_serial = serial;
    job.label_kind = Some(template.kind.name().to_owned());
    let id = store.print_enqueue(&job)?;
    Ok(QueuedPrint {
        job: id,
        printer: config.name,
        template: template.name,
        labels: doc.labels,
        dpi,
        format: format.name(),
        without_serial: collected.without_serial,
    })
}
