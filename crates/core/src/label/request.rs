//! What a technician asks for, "these labels, with this template", and the two things both the
//! CLI and the app do with it: collect the labels from the store and keyring
//! ([`collect_labels`]), and render them for a printer and queue the job ([`queue_print`]).
//! The app's live preview ([`preview`]) is here too, because its masking is a secrets rule.
//!
//! The enrollment label's payload leaves the keyring only after the guards pass, and only
//! through [`exchange::show_qr`], which records a QR display. A preview that is not revealed
//! never holds the payload: it draws a stand-in of the same byte length whose QR code has the
//! same number of modules ([`stand_in_payload`]), so the layout, module size and fit are those
//! of the real label, and only the payload's length and Wi-Fi flag are read.

use serde::{Deserialize, Serialize};

use super::raster::mm_to_dots;
use super::template::{ElementKind, Field};
use super::{
    batch_device_labels, check_guards, find_template, payload_has_wifi_key,
    refuse_wifi_credentials, render_labels, BoxLabel, DeviceLabel, EnrollmentLabel, LabelData,
    LabelError, LabelKind, OutputFormat, RenderOptions, Template,
};
use crate::batch::exchange::{self, qr_secret_name, ExchangeError};
use crate::batch::progress::{token_check, TokenCheck};
use crate::batch::BatchStore;
use crate::ids::BatchId;
use crate::ids::PrintJobId;
use crate::intune::auth::SecretStore;
use crate::intune::SignInError;
use crate::printer::{DocumentKind, PrinterConfig, PrinterStore, PrinterTarget};
use crate::qr::QrCode;
use crate::remedy::{HasRemedy, Remedy};
use crate::secret::SecretText;
use crate::stage::Stage;
use crate::store::{BatchStoreError, NewPrintJob, PrintJobError, Store, StoreError};

/// Most copies of each label one request may ask for.
pub const MAX_COPIES: u32 = 1000;

/// The preview's note when the enrollment QR holds Wi-Fi credentials.
pub const WIFI_WARNING_NOTE: &str =
    "The QR holds Wi-Fi credentials in plain text: the label carries a warning banner. Keep printed labels out of sight and shred them after staging.";

/// Which labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LabelSource {
    /// Device labels for serials typed or scanned.
    Serials {
        /// The serials (trimmed; blank ones are dropped).
        serials: Vec<String>,
    },
    /// Device labels for a batch's devices, optionally only those at one stage.
    Batch {
        /// The batch's id, id prefix or name.
        batch: String,
        /// Only devices at this stage.
        stage: Option<Stage>,
    },
    /// The batch's enrollment QR label.
    Enrollment {
        /// The batch's id, id prefix or name.
        batch: String,
    },
}

/// A request for labels: the template, what to label, copies of each, and whether to refuse
/// Wi-Fi credentials even when the bench setting allows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LabelRequest {
    /// A built-in template's name or a template file.
    pub template: String,
    /// What to label.
    pub source: LabelSource,
    /// Copies of each label, 1 to [`MAX_COPIES`].
    pub copies: u32,
    /// Refuse Wi-Fi credentials on labels even if the bench setting allows them.
    pub refuse_wifi_credentials: bool,
}

/// Whether an enrollment label gets its real payload or the masked stand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadUse {
    /// The real payload, read through [`exchange::show_qr`] (audited as a QR display).
    Reveal,
    /// A stand-in of the same size ([`stand_in_payload`]); nothing is audited, nothing secret drawn.
    Masked,
}

/// The labels a request gives, ready to render.
#[derive(Debug, Clone)]
pub struct CollectedLabels {
    /// Every label, copies included, in order.
    pub labels: Vec<LabelData>,
    /// How to render them (resolution, and the bench's Wi-Fi refusal).
    pub options: RenderOptions,
    /// Batch devices left out for having no serial yet (store ids).
    pub without_serial: Vec<i64>,
    /// The batch the labels belong to.
    pub batch: Option<BatchId>,
    /// The batch's token check, for an enrollment label.
    pub token: Option<TokenCheck>,
    /// Whether the enrollment label shows the stand-in instead of the payload.
    pub masked: bool,
}

/// Why a request's labels could not be collected, rendered or queued. Messages say what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabelRequestError {
    /// Rendering, or a guard, refused.
    #[error(transparent)]
    Label(#[from] LabelError),
    /// The batch can't be found.
    #[error(transparent)]
    Batch(#[from] BatchStoreError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the enrollment QR failed (none kept here, token unusable, keyring).
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// The keyring could not be read.
    #[error(transparent)]
    Keyring(#[from] SignInError),
    /// Queueing the print failed.
    #[error(transparent)]
    Queue(#[from] PrintJobError),
    /// The batch has no device that can be labelled.
    #[error("batch \"{batch}\" has no devices with a serial{}", stage.map(|s| format!(" at stage {}", s.name())).unwrap_or_default())]
    NoDevices {
        /// The batch's name.
        batch: String,
        /// The stage asked for.
        stage: Option<Stage>,
    },
    /// No serial was given.
    #[error("no serials to label: type or scan at least one")]
    NoSerials,
    /// Copies out of range.
    #[error("{0} copies: ask for 1 to 1000 copies of each label")]
    Copies(u32),
    /// The printer is not on this bench.
    #[error("no printer \"{0}\" on this bench: pick one of the bench's printers, or add one")]
    UnknownPrinter(String),
}

impl HasRemedy for LabelRequestError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            LabelRequestError::Label(e) => e.remedy(),
            LabelRequestError::Batch(e) => e.remedy(),
            LabelRequestError::Exchange(e) => e.remedy(),
            LabelRequestError::Keyring(e) => e.remedy(),
            LabelRequestError::Queue(e) => e.remedy(),
            LabelRequestError::UnknownPrinter(_) => Some(Remedy::PickPrinter),
            LabelRequestError::Store(_)
            | LabelRequestError::NoDevices { .. }
            | LabelRequestError::NoSerials
            | LabelRequestError::Copies(_) => None,
        }
    }
}

/// Collects the labels of `request` rendered at `dpi`. An enrollment label's guards are
/// checked before its payload is read; with [`PayloadUse::Reveal`] the payload is read through
/// [`exchange::show_qr`] (recorded as a QR display by `actor`).
pub async fn collect_labels(
    store: &mut Store,
    secrets: &dyn SecretStore,
    request: &LabelRequest,
    dpi: u32,
    payload: PayloadUse,
    actor: &str,
) -> Result<CollectedLabels, LabelRequestError> {
    if !(1..=MAX_COPIES).contains(&request.copies) {
        return Err(LabelRequestError::Copies(request.copies));
    }
    let options = RenderOptions {
        dpi,
        refuse_wifi_credentials: request.refuse_wifi_credentials || refuse_wifi_credentials(store)?,
    };
    // A box template boxes the devices asked for; an enrollment QR only goes on an enrollment
    // template, said before its payload is read.
    let template = find_template(&request.template).map_err(LabelError::from)?;
    let template_kind = template.kind;
    if matches!(request.source, LabelSource::Enrollment { .. })
        != (template_kind == LabelKind::Enrollment)
    {
        let label_kind = if template_kind == LabelKind::Enrollment {
            "device or box"
        } else {
            LabelKind::Enrollment.name()
        };
        return Err(LabelError::KindMismatch {
            template: template.name,
            template_kind: template_kind.name(),
            label_kind,
        }
        .into());
    }
    let mut collected = CollectedLabels {
        labels: Vec::new(),
        options,
        without_serial: Vec::new(),
        batch: None,
        token: None,
        masked: false,
    };
    match &request.source {
        LabelSource::Serials { serials } => {
            collected.labels = serials
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(|s| LabelData::Device(DeviceLabel::serial(s)))
                .collect();
            if collected.labels.is_empty() {
                return Err(LabelRequestError::NoSerials);
            }
        }
        LabelSource::Batch { batch, stage } => {
            let record = store.find_batch(batch)?;
            collected.batch = Some(record.batch.id.clone());
            let (labels, missing) = batch_device_labels(store, &record, *stage, store.clock_now())?;
            collected.without_serial = missing;
            if labels.is_empty() {
                return Err(LabelRequestError::NoDevices {
                    batch: record.batch.spec.name.clone(),
                    stage: *stage,
                });
            }
            collected.labels = labels.into_iter().map(LabelData::Device).collect();
        }
        LabelSource::Enrollment { batch } => {
            let record = store.find_batch(batch)?;
            let check = token_check(
                &record.batch,
                record.token_revoked_at.as_deref(),
                store.clock_now(),
            );
            let before =
                EnrollmentLabel::for_batch(&record.batch, SecretText::new(""), check.clone());
            check_guards(&LabelData::Enrollment(before), &options)?;
            let label = match payload {
                PayloadUse::Reveal => {
                    let payload =
                        exchange::show_qr(store, secrets, &record.batch.id, actor).await?;
                    EnrollmentLabel::for_batch(&record.batch, payload, check.clone())
                }
                PayloadUse::Masked => {
                    let real = secrets
                        .get(&qr_secret_name(&record.batch.id))
                        .await?
                        .ok_or_else(|| ExchangeError::NoQr(record.batch.id.clone()))?;
                    let wifi = payload_has_wifi_key(real.expose());
                    let mut label = EnrollmentLabel::for_batch(
                        &record.batch,
                        SecretText::new(stand_in_payload(real.expose())),
                        check.clone(),
                    );
                    label.carries_wifi_credentials |= wifi;
                    collected.masked = true;
                    label
                }
            };
            let label = LabelData::Enrollment(label);
            check_guards(&label, &options)?;
            collected.batch = Some(record.batch.id.clone());
            collected.token = Some(check);
            collected.labels = vec![label];
        }
    }
    if template_kind == LabelKind::Box {
        collected.labels = box_label(collected.labels).into_iter().collect();
    }
    collected.labels = collected
        .labels
        .iter()
        .flat_map(|l| std::iter::repeat_n(l.clone(), request.copies as usize))
        .collect();
    Ok(collected)
}

/// With a box template, the devices asked for go in one box: one label with every serial (in
/// order) and their batch.
fn box_label(labels: Vec<LabelData>) -> Option<LabelData> {
    if labels.is_empty() {
        return None;
    }
    let batch = labels.iter().find_map(|l| match l {
        LabelData::Device(d) => d.batch.clone(),
        _ => None,
    });
    let serials = labels
        .into_iter()
        .filter_map(|l| match l {
            LabelData::Device(d) => Some(d.serial),
            _ => None,
        })
        .collect();
    Some(LabelData::Box(BoxLabel { serials, batch }))
}

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

/// A preview: the first page as PNG, and the facts the technician checks before printing.
#[derive(Debug, Clone)]
pub struct LabelPreview {
    /// The first page (a roll's first label, a sheet's first page), 1-bit PNG at `facts.dpi`.
    pub png: Vec<u8>,
    /// What it shows.
    pub facts: PreviewFacts,
}

impl LabelPreview {
    /// The PNG as base64, for an `<img src="data:image/png;base64,…">`.
    pub fn png_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.png)
    }
}

/// The facts of a preview.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PreviewFacts {
    /// The template.
    pub template: String,
    /// Resolution, dots per inch.
    pub dpi: u32,
    /// One label's size in millimetres.
    pub label_mm: (f64, f64),
    /// One label's size in dots.
    pub label_dots: (u32, u32),
    /// The previewed page's size in dots (the label on a roll, the whole sheet otherwise).
    pub page_dots: (u32, u32),
    /// Dots per QR module on the first label (`None` without a QR code).
    pub qr_module_dots: Option<u32>,
    /// QR modules per side, quiet zone included.
    pub qr_modules: Option<u32>,
    /// Labels, copies included.
    pub labels: u32,
    /// Pages (labels on a roll, sheets on a page printer).
    pub pages: u32,
    /// Things to know before printing (Wi-Fi banner, devices left out, token expiring).
    pub warnings: Vec<String>,
    /// Batch devices without a serial, which get no label.
    pub without_serial: u32,
    /// Whether the enrollment QR shows a stand-in instead of the real payload.
    pub masked: bool,
    /// Whether the enrollment QR holds Wi-Fi credentials (the label carries the banner).
    pub wifi_credentials: bool,
}

/// Renders the first page of `request`'s labels at `dpi` as PNG, with its facts. An
/// enrollment label is masked unless `payload` is [`PayloadUse::Reveal`] (audited).
pub async fn preview(
    store: &mut Store,
    secrets: &dyn SecretStore,
    request: &LabelRequest,
    dpi: u32,
    payload: PayloadUse,
    actor: &str,
) -> Result<LabelPreview, LabelRequestError> {
    let template = find_template(&request.template).map_err(LabelError::from)?;
    let collected = collect_labels(store, secrets, request, dpi, payload, actor).await?;
    let per_page = template.sheet.map(|s| s.per_page()).unwrap_or(1).max(1);
    let first_page = &collected.labels[..collected.labels.len().min(per_page)];
    let doc = render_labels(&template, first_page, OutputFormat::Png, &collected.options)?;
    let png = doc.files.into_iter().next().ok_or(LabelError::NoLabels)?;
    let (qr_module_dots, qr_modules) = qr_size(&template, &collected.labels[0], dpi).unzip();
    let wifi_credentials =
        matches!(&collected.labels[0], LabelData::Enrollment(e) if e.carries_wifi_credentials);
    let mut warnings = Vec::new();
    if wifi_credentials {
        warnings.push(WIFI_WARNING_NOTE.to_owned());
    }
    if let Some(message) = collected.token.as_ref().and_then(|t| t.message.clone()) {
        warnings.push(message);
    }
    if !collected.without_serial.is_empty() {
        warnings.push(format!(
            "{} device(s) have no serial yet and get no label",
            collected.without_serial.len()
        ));
    }
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(LabelPreview {
        png,
        facts: PreviewFacts {
            template: template.name.clone(),
            dpi,
            label_mm: (template.width_mm, template.height_mm),
            label_dots: (
                mm_to_dots(template.width_mm, dpi),
                mm_to_dots(template.height_mm, dpi),
            ),
            page_dots: doc.page_dots,
            qr_module_dots,
            qr_modules,
            labels: count(collected.labels.len()),
            pages: count(collected.labels.len().div_ceil(per_page)),
            warnings,
            without_serial: count(collected.without_serial.len()),
            masked: collected.masked,
            wifi_credentials,
        },
    })
}

/// Dots per module and modules per side of the first QR code on `label`, as the renderer
/// draws it: the largest whole number of dots that fits the element's area.
fn qr_size(template: &Template, label: &LabelData, dpi: u32) -> Option<(u32, u32)> {
    template.elements.iter().find_map(|element| {
        let ElementKind::Qr { field } = element.kind else {
            return None;
        };
        let value = match (label, field) {
            (LabelData::Enrollment(e), Field::Payload) => e.payload.expose().to_owned(),
            (LabelData::Device(d), Field::Serial) => d.serial.clone(),
            (LabelData::Box(b), Field::Serials) => b.serials.join("\n"),
            _ => return None,
        };
        let side = u32::try_from(QrCode::encode(value.as_bytes()).ok()?.side_modules()).ok()?;
        let a = &element.area;
        let w = mm_to_dots(a.x_mm + a.w_mm, dpi).saturating_sub(mm_to_dots(a.x_mm, dpi));
        let h = mm_to_dots(a.y_mm + a.h_mm, dpi).saturating_sub(mm_to_dots(a.y_mm, dpi));
        Some((w.min(h) / side, side))
    })
}

/// What a masked enrollment QR encodes instead of `payload`: readable text of exactly the same
/// byte length whose QR code has as many modules as the payload's, so the preview's layout,
/// module size and fit are the real label's.
///
/// QR encoders pack digits tighter than upper-case text, and that tighter than other bytes. The
/// stand-in is first sought as lower-case text followed by digits, split (by bisection) where
/// its code reaches the payload's size: only the payload's length survives. When the encoder's
/// segments make the payload dearer than any such split, the stand-in keeps each character's
/// class instead (digit, upper-case set, other), which the encoder segments identically: then
/// which characters were digits or upper-case survives too, never the characters. A payload
/// with non-ASCII characters is encoded whole as UTF-8 bytes, and so is its stand-in.
pub fn stand_in_payload(payload: &str) -> String {
    const TEXT: &str = "maskedpreview";
    let n = payload.len();
    let text = |len: usize| -> String { TEXT.chars().cycle().take(len).collect() };
    if !payload.is_ascii() {
        // At least two bytes, since a non-ASCII character takes two or more.
        return format!("{}é", text(n.saturating_sub(2)));
    }
    let side = |s: &str| {
        QrCode::encode(s.as_bytes())
            .map(|c| c.side_modules())
            .unwrap_or(usize::MAX)
    };
    let target = side(payload);
    let candidate = |text_len: usize| format!("{}{}", text(text_len), "0".repeat(n - text_len));
    // The smallest text length whose code is at least the payload's size.
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if side(&candidate(mid)) >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let split = candidate(lo);
    if side(&split) == target {
        return split;
    }
    let (mut upper, mut lower) = ("MASKED".chars().cycle(), TEXT.chars().cycle());
    payload
        .chars()
        .map(|c| match c {
            '0'..='9' => '0',
            'A'..='Z' | ' ' | '$' | '%' | '*' | '+' | '-' | '.' | '/' | ':' => {
                upper.next().unwrap_or('X')
            }
            _ => lower.next().unwrap_or('x'),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stand_in_has_the_payloads_length_and_qr_size_and_none_of_its_text() {
        let token = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789ab";
        let ae = format!(
            r#"{{"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver","android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{{"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN":"{token}"}}}}"#
        );
        let with_wifi = ae.replace('}', r#","android.app.extra.PROVISIONING_WIFI_SSID":"Bench café","android.app.extra.PROVISIONING_WIFI_PASSWORD":"s3cret"}"#);
        let ascii_wifi = with_wifi.replace("café", "cafe");
        for payload in [
            ae.as_str(),
            with_wifi.as_str(),
            ascii_wifi.as_str(),
            "12345678901234567890",
            "A",
            "SERIAL-R5CR1",
        ] {
            let stand_in = stand_in_payload(payload);
            assert_eq!(stand_in.len(), payload.len(), "{stand_in}");
            let (real, fake) = (
                QrCode::encode(payload.as_bytes()).unwrap(),
                QrCode::encode(stand_in.as_bytes()).unwrap(),
            );
            assert_eq!(
                fake.side_modules(),
                real.side_modules(),
                "{payload} → {stand_in}"
            );
            assert!(
                !stand_in.contains(token)
                    && !stand_in.contains("s3cret")
                    && !stand_in.contains("android"),
                "{stand_in}"
            );
        }
    }
}
