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
//!
//! Layout: this file holds the request and collecting its labels; `print` renders them for a
//! printer and queues the job; `preview` renders the first page for the app, masked unless
//! revealed ([`stand_in_payload`]).

use serde::{Deserialize, Serialize};

use super::{
    batch_device_labels, check_guards, find_template, payload_has_wifi_key,
    refuse_wifi_credentials, BoxLabel, DeviceLabel, EnrollmentLabel, LabelData, LabelError,
    LabelKind, RenderOptions,
};
use crate::batch::exchange::{self, qr_secret_name, ExchangeError};
use crate::batch::progress::{token_check, TokenCheck};
use crate::batch::BatchStore;
use crate::ids::BatchId;
use crate::intune::auth::SecretStore;
use crate::intune::SignInError;
use crate::printer::sealed::SealError;
use crate::remedy::{HasRemedy, Remedy};
use crate::secret::SecretText;
use crate::stage::Stage;
use crate::store::{BatchStoreError, PrintJobError, Store, StoreError};

mod preview;
mod print;

pub use preview::{preview, stand_in_payload, LabelPreview, PreviewFacts};
pub use print::{printer_format, queue_print, QueuedPrint};

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
    /// Sealing an enrollment label for the queue failed (the keyring).
    #[error(transparent)]
    Seal(#[from] SealError),
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
            LabelRequestError::Seal(SealError::Keyring(e)) => e.remedy(),
            LabelRequestError::UnknownPrinter(_) => Some(Remedy::PickPrinter),
            LabelRequestError::Store(_)
            | LabelRequestError::Seal(_)
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
