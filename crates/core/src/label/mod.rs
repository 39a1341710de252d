//! Printer-true labels (issue 6): enrollment QR labels, device labels and box labels, from
//! templates as data, rendered as PNG, PDF at exact physical size, or ZPL for 203/300/600 dpi
//! thermal printers.
//!
//! Layout: this file holds the label data and the guards; [`template`] reads and checks
//! templates (built-in ones come from `assets/labels/`); [`render`] draws one label into a 1-bit
//! bitmap ([`raster`]) at the printer's resolution, with every QR module and Code 128 bar a
//! whole number of dots ([`code128`] is our encoder, [`font`] our bitmap font); [`sources`]
//! reads a batch's devices and the bench's Wi-Fi setting; [`output`] lays labels out on pages
//! and writes the files; [`request`] is what a technician asks for (collecting the labels,
//! printing them, the app's masked preview). The guards live in [`render_labels`]: an
//! enrollment label whose token check blocks printing is refused with the reason, and so is one
//! whose QR holds Wi-Fi credentials when the bench refuses those; otherwise such a label carries
//! a visible warning banner.
//!
//! Why whole dots: a QR code drawn for 300 dpi and printed at 203 dpi is resampled, modules come
//! out 1 and 2 dots wide at random, and the code stops scanning (field notes, pain point 7).
//! Denso Wave asks for at least 4 dots per module, so a payload that needs finer modules than
//! the label allows is refused, naming the smallest built-in template that would hold it.

pub mod code128;
pub mod font;
pub mod output;
pub mod raster;
pub mod render;
pub mod request;
pub mod sources;
pub mod template;

use std::fmt;

use serde::Serialize;
use time::Date;

use crate::batch::progress::TokenCheck;
use crate::batch::Batch;
use crate::remedy::{HasRemedy, Remedy};
use crate::secret::SecretText;

pub use output::{render_document, OutputFormat, RenderedDocument};
pub use render::{render_label, RenderOptions};
pub use request::{
    collect_labels, preview, printer_format, queue_print, stand_in_payload, CollectedLabels,
    LabelPreview, LabelRequest, LabelRequestError, LabelSource, PayloadUse, PreviewFacts,
    QueuedPrint,
};
pub use sources::{batch_device_labels, refuse_wifi_credentials, REFUSE_WIFI_SETTING};
pub use template::{builtin_templates, find_template, LabelKind, Template, TemplateError};

/// Fewest printer dots per QR module (Denso Wave's recommendation).
pub const MIN_QR_DOTS: u32 = 4;
/// The narrowest Code 128 bar (X-dimension) in millimetres: 2 dots at 203 dpi.
pub const MIN_BAR_MM: f64 = 0.25;
/// The resolutions ZPL output is made for.
pub const ZPL_DPIS: [u32; 3] = [203, 300, 600];

/// Fewest dots per Code 128 module at `dpi`: [`MIN_BAR_MM`] rounded up to whole dots, at least 2.
pub fn min_bar_dots(dpi: u32) -> u32 {
    let dots = (MIN_BAR_MM * f64::from(dpi) / 25.4 - 0.01).ceil();
    (dots.max(2.0)) as u32
}

/// A batch's enrollment QR label.
#[derive(Clone)]
pub struct EnrollmentLabel {
    /// The batch's name.
    pub batch: String,
    /// The enrollment profile's name.
    pub profile_name: String,
    /// When the token expires.
    pub token_expires: Option<Date>,
    /// The QR payload (token, maybe a Wi-Fi key).
    pub payload: SecretText,
    /// Whether the payload holds Wi-Fi credentials.
    pub carries_wifi_credentials: bool,
    /// The batch's token check at render time; `printing_blocked` refuses the label.
    pub token: TokenCheck,
}

impl fmt::Debug for EnrollmentLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollmentLabel")
            .field("batch", &self.batch)
            .field("profile_name", &self.profile_name)
            .field("token_expires", &self.token_expires)
            .field("carries_wifi_credentials", &self.carries_wifi_credentials)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl EnrollmentLabel {
    /// The label of `batch` with its QR `payload` and the token check made now. Wi-Fi
    /// credentials count when the profile says so or the payload holds a Wi-Fi password.
    pub fn for_batch(batch: &Batch, payload: SecretText, token: TokenCheck) -> EnrollmentLabel {
        let profile = &batch.spec.profile;
        let in_payload = payload_has_wifi_key(payload.expose());
        EnrollmentLabel {
            batch: batch.spec.name.clone(),
            profile_name: profile.profile_name.clone(),
            token_expires: profile.token_expires.map(|t| t.date()),
            payload,
            carries_wifi_credentials: profile.carries_wifi_credentials || in_payload,
            token,
        }
    }
}

/// Whether an enrollment payload holds a Wi-Fi password (Android Enterprise or AOSP keys).
pub fn payload_has_wifi_key(payload: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(payload) else {
        return false;
    };
    let key = value.get("android.app.extra.PROVISIONING_WIFI_PASSWORD");
    key.and_then(|k| k.as_str()).is_some_and(|k| !k.is_empty())
}

/// One device's label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceLabel {
    /// The serial (QR and Code 128).
    pub serial: String,
    /// Maker.
    pub maker: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// The batch's name.
    pub batch: Option<String>,
    /// Bench slot.
    pub slot: Option<u32>,
    /// When stage 2 finished on the bench.
    pub stage2_date: Option<Date>,
}

impl DeviceLabel {
    /// A label with only a serial.
    pub fn serial(serial: impl Into<String>) -> DeviceLabel {
        DeviceLabel {
            serial: serial.into(),
            maker: None,
            model: None,
            batch: None,
            slot: None,
            stage2_date: None,
        }
    }
}

/// A box's label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoxLabel {
    /// The serials in the box.
    pub serials: Vec<String>,
    /// The batch's name.
    pub batch: Option<String>,
}

/// What one label shows.
#[derive(Debug, Clone)]
pub enum LabelData {
    /// An enrollment QR label.
    Enrollment(EnrollmentLabel),
    /// A device label.
    Device(DeviceLabel),
    /// A box label.
    Box(BoxLabel),
}

impl LabelData {
    /// Its kind.
    pub fn kind(&self) -> LabelKind {
        match self {
            LabelData::Enrollment(_) => LabelKind::Enrollment,
            LabelData::Device(_) => LabelKind::Device,
            LabelData::Box(_) => LabelKind::Box,
        }
    }

    /// Who the label is for, in errors (never the payload).
    pub fn describe(&self) -> String {
        match self {
            LabelData::Enrollment(e) => format!("enrollment label of batch \"{}\"", e.batch),
            LabelData::Device(d) => format!("device label {}", d.serial),
            LabelData::Box(b) => format!("box label of {} devices", b.serials.len()),
        }
    }
}

/// Why labels could not be rendered. Messages say what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// The template is bad.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The template is for another kind of label.
    #[error("template {template} is for {template_kind} labels, not {label_kind} labels: pick a {label_kind} template")]
    KindMismatch {
        /// The template.
        template: String,
        /// Its kind.
        template_kind: &'static str,
        /// The label's kind.
        label_kind: &'static str,
    },
    /// The batch's token must not be printed.
    #[error("enrollment label of batch \"{batch}\" refused: {reason}")]
    TokenBlocked {
        /// The batch.
        batch: String,
        /// The token check's message.
        reason: String,
    },
    /// The bench refuses labels whose QR holds Wi-Fi credentials.
    #[error("enrollment label of batch \"{batch}\" refused: its QR holds Wi-Fi credentials in plain text and this bench refuses to print those (setting refuse_wifi_credentials). Show the QR on screen instead, or use a profile without a Wi-Fi key.")]
    WifiCredentialsRefused {
        /// The batch.
        batch: String,
    },
    /// A QR code or barcode does not fit its area with whole dots at the minimum size.
    #[error(transparent)]
    DoesNotFit(Box<DoesNotFit>),
    /// A QR code or barcode can't encode the value at all.
    #[error("{label}, {element}: {why}")]
    Unencodable {
        /// Which label.
        label: String,
        /// The element.
        element: String,
        /// Why.
        why: String,
    },
    /// A resolution the format can't be made for.
    #[error("{dpi} dpi is not supported for {format}: use {allowed}")]
    Dpi {
        /// Asked for.
        dpi: u32,
        /// The format.
        format: &'static str,
        /// What is.
        allowed: &'static str,
    },
    /// The label (or sheet page) at this resolution would need a raster larger than
    /// [`crate::limits::RASTER_DOTS`].
    #[error("template {template}: a {what} at {dpi} dpi is {width} × {height} dots, more than the {} dots the bench draws at once: pick a smaller template or print at a lower resolution", crate::limits::RASTER_DOTS)]
    RasterTooLarge {
        /// The template.
        template: String,
        /// Its label kind.
        kind: &'static str,
        /// `label` or `page`.
        what: &'static str,
        /// Width in dots.
        width: u32,
        /// Height in dots.
        height: u32,
        /// The resolution asked for.
        dpi: u32,
    },
    /// Sheets go to page printers.
    #[error("template {0} is a sheet for page printers; ZPL is for thermal label printers: render it as pdf or png, or pick a roll template")]
    SheetAsZpl(String),
    /// Nothing to render.
    #[error("no labels to render")]
    NoLabels,
    /// Writing the PNG failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// The PDF writer refused an image.
    #[error(transparent)]
    Pdf(#[from] crate::pdf::PdfError),
}

impl HasRemedy for LabelError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            LabelError::KindMismatch { label_kind, .. } => Some(Remedy::PickTemplate {
                kind: (*label_kind).to_owned(),
            }),
            LabelError::RasterTooLarge { kind, .. } => Some(Remedy::PickTemplate {
                kind: (*kind).to_owned(),
            }),
            _ => None,
        }
    }
}

/// A QR code or barcode that does not fit its area with whole dots at the minimum size, and
/// the smallest built-in template that would hold it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{label}: the {symbol} needs {needed_mm:.1} mm ({modules} modules at {min_dots} dots each at {dpi} dpi) but {element} of template {template} is {box_mm:.1} mm; {}", match &self.suggestion { Some(s) => format!("use template {s}, the smallest built-in one it fits at {} dpi", self.dpi), None => format!("no built-in template holds it at {} dpi: shorten the data (leave Wi-Fi or extras out of the payload) or print at a higher resolution", self.dpi) })]
pub struct DoesNotFit {
    /// Which label.
    pub label: String,
    /// `QR code` or `Code 128 barcode`.
    pub symbol: &'static str,
    /// The template.
    pub template: String,
    /// The element.
    pub element: String,
    /// Modules per side (QR) or across (Code 128), quiet zones included.
    pub modules: usize,
    /// Fewest dots per module.
    pub min_dots: u32,
    /// Resolution.
    pub dpi: u32,
    /// Space needed.
    pub needed_mm: f64,
    /// Space available (the smaller side for a QR code, the width for a barcode).
    pub box_mm: f64,
    /// The smallest built-in template of the same kind that holds it at this resolution.
    pub suggestion: Option<String>,
}

/// Checks the guards for every label, then renders them all into one document. A label that
/// does not fit gets the smallest built-in template that would hold it named in the error.
pub fn render_labels(
    template: &Template,
    labels: &[LabelData],
    format: OutputFormat,
    options: &RenderOptions,
) -> Result<RenderedDocument, LabelError> {
    for label in labels {
        check_guards(label, options)?;
    }
    render_document(template, labels, format, options)
}

/// The token and Wi-Fi guards for one label.
pub fn check_guards(label: &LabelData, options: &RenderOptions) -> Result<(), LabelError> {
    if let LabelData::Enrollment(e) = label {
        if e.token.printing_blocked {
            let reason = e
                .token
                .message
                .clone()
                .unwrap_or_else(|| format!("the batch's token is {}", e.token.state));
            return Err(LabelError::TokenBlocked {
                batch: e.batch.clone(),
                reason,
            });
        }
        if e.carries_wifi_credentials && options.refuse_wifi_credentials {
            return Err(LabelError::WifiCredentialsRefused {
                batch: e.batch.clone(),
            });
        }
    }
    Ok(())
}

/// The smallest built-in template of `kind` (by label area) on which `label` renders at `dpi`.
pub fn smallest_fitting(label: &LabelData, dpi: u32) -> Option<String> {
    let options = RenderOptions {
        dpi,
        refuse_wifi_credentials: false,
    };
    builtin_templates()
        .into_iter()
        .filter(|t| t.kind == label.kind())
        .find(|t| render::render_label_unsuggested(t, label, &options).is_ok())
        .map(|t| t.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_bar_is_a_quarter_millimetre_in_whole_dots() {
        assert_eq!(min_bar_dots(203), 2);
        assert_eq!(min_bar_dots(300), 3);
        assert_eq!(min_bar_dots(600), 6);
    }

    #[test]
    fn wifi_key_in_payload() {
        assert!(payload_has_wifi_key(
            r#"{"android.app.extra.PROVISIONING_WIFI_PASSWORD":"k"}"#
        ));
        assert!(!payload_has_wifi_key(
            r#"{"android.app.extra.PROVISIONING_WIFI_SSID":"s"}"#
        ));
        assert!(!payload_has_wifi_key("not json"));
    }
}
