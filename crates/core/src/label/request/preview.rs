//! The app's live preview: the first page of a request's labels as PNG with the facts a
//! technician checks, masked with a stand-in payload of the same size unless revealed.

use serde::Serialize;

use super::{collect_labels, LabelRequest, LabelRequestError, PayloadUse, WIFI_WARNING_NOTE};
use crate::intune::auth::SecretStore;
use crate::label::raster::mm_to_dots;
use crate::label::template::{ElementKind, Field};
use crate::label::{find_template, render_labels, LabelData, LabelError, OutputFormat, Template};
use crate::qr::QrCode;
use crate::store::Store;

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
