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
use stagebench_core::batch::exchange::ExchangeError;
use stagebench_core::batch::ops::technician;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::label::{
    self, builtin_templates, LabelError, LabelKind, LabelRequest, LabelRequestError, PayloadUse,
    PreviewFacts, REFUSE_WIFI_SETTING,
};
use stagebench_core::printer::PrinterStore;
use stagebench_core::store::Store;
use tauri::State;

use crate::error::ApiError;
use crate::printing::{queue_error, PrintHub};

/// The resolution a preview is drawn at when neither a printer nor a resolution is chosen.
pub const DEFAULT_DPI: u32 = 203;

/// The API error for a label request that failed.
pub fn request_error(e: LabelRequestError) -> ApiError {
    let code = match &e {
        LabelRequestError::Label(
            LabelError::TokenBlocked { .. } | LabelError::WifiCredentialsRefused { .. },
        ) => "label-blocked",
        LabelRequestError::Label(LabelError::DoesNotFit(_)) => "does-not-fit",
        LabelRequestError::Exchange(ExchangeError::TokenUnusable(_)) => "label-blocked",
        LabelRequestError::Store(_) => "internal",
        LabelRequestError::Queue(_) | LabelRequestError::Keyring(_) => "internal",
        _ => "invalid-input",
    };
    match e {
        LabelRequestError::Queue(q) => queue_error(q),
        e => ApiError {
            code,
            message: e.to_string(),
        },
    }
}

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

/// The built-in templates.
#[tauri::command]
pub fn label_templates() -> Vec<TemplateView> {
    builtin_templates()
        .into_iter()
        .map(|t| TemplateView {
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
        })
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
        let config = store.printer(name)?.ok_or_else(|| ApiError {
            code: "invalid-input",
            message: format!(
                "There is no printer {name} on this bench: pick another or add it in Printers."
            ),
        })?;
        if let Some(dpi) = config.dpi {
            return Ok(dpi);
        }
    }
    Ok(dpi.unwrap_or(DEFAULT_DPI))
}

/// Renders the first page of the labels asked for, as the printer will print it.
#[tauri::command]
pub async fn label_preview(preview: PreviewRequest) -> Result<PreviewView, ApiError> {
    let mut store = Store::open_default()?;
    let dpi = resolution(&store, preview.printer.as_deref(), preview.dpi)?;
    let actor = technician(&store);
    let payload = if preview.reveal {
        PayloadUse::Reveal
    } else {
        PayloadUse::Masked
    };
    let shown = label::preview(
        &mut store,
        &OsKeyring::new(),
        &preview.request,
        dpi,
        payload,
        &actor,
    )
    .await
    .map_err(request_error)?;
    Ok(PreviewView {
        png_base64: shown.png_base64(),
        facts: shown.facts,
    })
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

/// Renders the labels for `printer` (at its resolution, else `dpi`, else 203 dpi) and queues
/// them; the queue sends them at once.
#[tauri::command]
pub async fn labels_print(
    hub: State<'_, PrintHub>,
    request: LabelRequest,
    printer: String,
    dpi: Option<u32>,
) -> Result<PrintQueued, ApiError> {
    let mut store = Store::open_default()?;
    let actor = technician(&store);
    let fallback = dpi.unwrap_or(DEFAULT_DPI);
    let queued = label::queue_print(
        &mut store,
        &OsKeyring::new(),
        &request,
        &printer,
        fallback,
        &actor,
    )
    .await
    .map_err(request_error)?;
    hub.kick();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(PrintQueued {
        job: queued.job.0,
        labels: count(queued.labels),
        dpi: queued.dpi,
        format: queued.format.to_owned(),
        without_serial: count(queued.without_serial.len()),
    })
}

/// Whether this bench refuses enrollment labels whose QR holds Wi-Fi credentials.
#[tauri::command]
pub fn labels_refuse_wifi_get() -> Result<bool, ApiError> {
    Ok(label::refuse_wifi_credentials(&Store::open_default()?)?)
}

/// Sets the bench's refusal of Wi-Fi credentials on labels.
#[tauri::command]
pub fn labels_refuse_wifi_set(refuse: bool) -> Result<bool, ApiError> {
    let mut store = Store::open_default()?;
    store.set_bench_setting(
        REFUSE_WIFI_SETTING,
        Some(if refuse { "true" } else { "false" }),
    )?;
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

    #[test]
    fn guard_refusals_and_misfits_get_the_codes_the_screen_acts_on() {
        let blocked = request_error(LabelRequestError::Label(LabelError::TokenBlocked {
            batch: "W".into(),
            reason: "expired".into(),
        }));
        assert_eq!(blocked.code, "label-blocked");
        assert!(blocked.message.contains("expired"), "{}", blocked.message);
        assert_eq!(
            request_error(LabelRequestError::NoSerials).code,
            "invalid-input"
        );
        assert_eq!(
            request_error(LabelRequestError::UnknownPrinter("z".into())).code,
            "invalid-input"
        );
    }

    /// The TypeScript types of the Labels screen and the print queue, beside app_bindings.ts.
    #[test]
    fn ui_app_bindings_labels_match_the_rust_types() {
        use ts_rs::{Config, TS};
        fn declaration<T: TS>(cfg: &Config) -> String {
            let docs = T::docs()
                .map(|d| format!("{}\n", d.trim_end()))
                .unwrap_or_default();
            format!("{docs}export {}\n", T::decl(cfg))
        }
        let cfg = Config::new();
        let generated = [
            "// Generated from src-tauri/src/labels.rs by its test ui_app_bindings_labels_match_the_rust_types. Do not\n\
             // edit by hand: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings`.\n\
             import type { Stage } from \"./bindings\";\n"
                .to_owned(),
            declaration::<LabelKind>(&cfg),
            declaration::<label::LabelSource>(&cfg),
            declaration::<LabelRequest>(&cfg),
            declaration::<PreviewFacts>(&cfg),
            declaration::<TemplateView>(&cfg),
            declaration::<PreviewRequest>(&cfg),
            declaration::<PreviewView>(&cfg),
            declaration::<PrintQueued>(&cfg),
            declaration::<crate::printing::QueueJob>(&cfg),
            declaration::<crate::printing::QueueState>(&cfg),
            declaration::<crate::printing::PrinterView>(&cfg),
            declaration::<crate::printing::PrinterStatusView>(&cfg),
            declaration::<crate::printing::PrinterForm>(&cfg),
            declaration::<crate::printing::CupsPrinterView>(&cfg),
            declaration::<crate::printing::CupsDiscovery>(&cfg),
        ]
        .join("\n");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ui/src/lib/label_bindings.ts");
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "ui/src/lib/label_bindings.ts is out of date: run `UPDATE_BINDINGS=1 cargo test -p stagebench-app ui_app_bindings` and commit it"
        );
    }
}
