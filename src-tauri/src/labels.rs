//! The Labels screen's commands: the templates, a live preview (an enrollment label masked until
//! revealed; the reveal is audited as a QR display), printing through the queue, and the
//! bench's refuse-Wi-Fi setting. Thin over `stagebench_core::label::request`.
//!
//! Error codes the screen acts on, besides the usual ones: `label-blocked` (a guard refused the
//! label: the batch's token is expired, revoked or expires before the batch is due, or the QR
//! holds Wi-Fi credentials this bench refuses; Print and Reveal are off, the reason is shown)
//! and `does-not-fit` (the code needs a bigger label; the message names the smallest template
//! that holds it).

use serde::{Deserialize, Serialize};
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::label::{
    self, builtin_templates, LabelKind, LabelRequest, PayloadUse, PreviewFacts, REFUSE_WIFI_SETTING,
};
use stagebench_core::printer::PrinterStore;
use stagebench_core::store::Store;
use tauri::State;

use crate::error::{invalid, ApiError};
use crate::state::App;

/// The resolution a preview is drawn at when neither a printer nor a resolution is chosen.
pub const DEFAULT_DPI: u32 = 203;

/// A template as the picker shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct TemplateView {
    /// Its name, as requests give it.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The label kind.
    pub kind: LabelKind,
    /// One label's width.
    pub width_mm: f64,
    /// One label's height.
    pub height_mm: f64,
    /// `A4, 3 × 8` for a sheet; `None` for a roll of single labels.
    pub sheet: Option<String>,
}

impl From<label::Template> for TemplateView {
    fn from(t: label::Template) -> Self {
        TemplateView {
            sheet: t.sheet.map(|s| {
                let page = match s.page {
                    label::template::PageSize::A4 => "A4",
                    label::template::PageSize::Letter => "US Letter",
                };
                format!("{page}, {} × {}", s.columns, s.rows)
            }),
            name: t.name,
            description: t.description,
            kind: t.kind,
            width_mm: t.width_mm,
            height_mm: t.height_mm,
        }
    }
}

/// The built-in templates.
#[tauri::command]
pub fn label_templates() -> Vec<TemplateView> {
    builtin_templates()
        .into_iter()
        .map(TemplateView::from)
        .collect()
}

/// What to preview: the request, at a printer's resolution (else `dpi`, else 203 dpi); with
/// `reveal`, the enrollment label's real payload (audited as a QR display).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ts_rs::TS)]
pub struct PreviewRequest {
    /// The labels.
    pub request: LabelRequest,
    /// A bench printer whose resolution to use.
    pub printer: Option<String>,
    /// The resolution, when no printer is chosen.
    pub dpi: Option<u32>,
    /// Draw the real enrollment payload instead of the stand-in.
    pub reveal: bool,
}

/// A preview: the first page as a PNG (base64) and its facts.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PreviewView {
    /// The first page, 1-bit PNG at the printer's resolution, base64.
    pub png_base64: String,
    /// What it shows.
    pub facts: PreviewFacts,
}

fn resolution(store: &Store, printer: Option<&str>, dpi: Option<u32>) -> Result<u32, ApiError> {
    if let Some(name) = printer.filter(|p| !p.is_empty()) {
        let config = store.printer(name)?.ok_or_else(|| {
            invalid(format!(
                "There is no printer {name} on this bench: pick another or add it in Printers."
            ))
        })?;
        if let Some(dpi) = config.dpi {
            return Ok(dpi);
        }
    }
    Ok(dpi.unwrap_or(DEFAULT_DPI))
}

/// The first page of `preview`'s labels at `dpi`, by the bench's technician.
async fn render_preview(
    store: &mut Store,
    preview: &PreviewRequest,
    dpi: u32,
) -> Result<PreviewView, ApiError> {
    let (actor, secrets) = (store.technician(), OsKeyring::new());
    let payload = match preview.reveal {
        true => PayloadUse::Reveal,
        false => PayloadUse::Masked,
    };
    let shown = label::preview(store, &secrets, &preview.request, dpi, payload, &actor).await?;
    Ok(PreviewView {
        png_base64: shown.png_base64(),
        facts: shown.facts,
    })
}

/// Renders the first page of the labels asked for, as the printer will print it.
#[tauri::command]
pub async fn label_preview(
    app: State<'_, App>,
    preview: PreviewRequest,
) -> Result<PreviewView, ApiError> {
    let mut store = app.store()?.open_another()?;
    let dpi = resolution(&store, preview.printer.as_deref(), preview.dpi)?;
    render_preview(&mut store, &preview, dpi).await
}

/// What printing queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PrintQueued {
    /// The job's id.
    #[ts(type = "number")]
    pub job: i64,
    /// Labels in it.
    pub labels: u32,
    /// Resolution rendered at.
    pub dpi: u32,
    /// `pdf` or `zpl`.
    pub format: String,
    /// Batch devices without a serial, which got no label.
    pub without_serial: u32,
}

impl From<label::QueuedPrint> for PrintQueued {
    fn from(queued: label::QueuedPrint) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        PrintQueued {
            job: queued.job.0,
            labels: count(queued.labels),
            dpi: queued.dpi,
            format: queued.format.to_owned(),
            without_serial: count(queued.without_serial.len()),
        }
    }
}

/// Renders and queues `request` for `printer`, by the bench's technician.
async fn queue(
    store: &mut Store,
    request: &LabelRequest,
    printer: &str,
    fallback: u32,
) -> Result<label::QueuedPrint, ApiError> {
    let (actor, secrets) = (store.technician(), OsKeyring::new());
    Ok(label::queue_print(store, &secrets, request, printer, fallback, &actor).await?)
}

/// Renders the labels for `printer` (at its resolution, else `dpi`, else 203 dpi) and queues
/// them; the queue sends them at once.
#[tauri::command]
pub async fn labels_print(
    app: State<'_, App>,
    request: LabelRequest,
    printer: String,
    dpi: Option<u32>,
) -> Result<PrintQueued, ApiError> {
    let mut store = app.store()?.open_another()?;
    let queued = queue(&mut store, &request, &printer, dpi.unwrap_or(DEFAULT_DPI)).await?;
    app.print()?.kick();
    Ok(queued.into())
}

/// Whether this bench refuses enrollment labels whose QR holds Wi-Fi credentials.
#[tauri::command]
pub fn labels_refuse_wifi_get(app: State<'_, App>) -> Result<bool, ApiError> {
    Ok(label::refuse_wifi_credentials(&app.store()?.lock())?)
}

/// Sets the bench's refusal of Wi-Fi credentials on labels.
#[tauri::command]
pub fn labels_refuse_wifi_set(app: State<'_, App>, refuse: bool) -> Result<bool, ApiError> {
    let mut store = app.store()?.lock();
    store.set_bench_setting(REFUSE_WIFI_SETTING, Some(&refuse.to_string()))?;
    Ok(label::refuse_wifi_credentials(&store)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_listed_with_their_sheets() {
        let templates = label_templates();
        let a4 = templates
            .iter()
            .find(|t| t.name == "device-a4-3x8")
            .expect("the A4 device sheet");
        assert_eq!(a4.sheet.as_deref(), Some("A4, 3 × 8"));
        assert!(templates
            .iter()
            .any(|t| t.kind == LabelKind::Enrollment && t.sheet.is_none()));
    }
}
