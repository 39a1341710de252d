//! Drawing one label into a [`Bitmap`] at the printer's resolution.
//!
//! Each element's area is snapped to whole dots (both edges rounded, so neighbours stay
//! apart). A QR code gets the largest whole number of dots per module that fits its area, at
//! least [`MIN_QR_DOTS`], with its 4-module quiet zone inside the area; a Code 128 barcode the
//! largest whole number of dots per module across the area's width (at least
//! [`min_bar_dots`]) with 10-module quiet zones, bars the area's full height. Both are centred
//! in their areas on whole dots. Text uses the bitmap font at a whole scale.
//!
//! [`render_label_with_text`] also says where each line of human-readable text went
//! ([`TextLine`]), so a PDF can lay a searchable text layer over the raster. Only text drawn on
//! the label is listed: what a QR code or barcode encodes (an enrollment token, a Wi-Fi key)
//! never is.

use super::code128::Code128;
use super::font::{self, CELL_H, CELL_W};
use super::raster::{dots_to_mm, mm_to_dots, Bitmap};
use super::template::{Area, Element, ElementKind, Field, TextContent};
use super::{
    min_bar_dots, smallest_fitting, DoesNotFit, LabelData, LabelError, Template, MIN_QR_DOTS,
};
use crate::qr::{QrCode, QrError};

/// How labels are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Printer resolution, dots per inch.
    pub dpi: u32,
    /// Refuse enrollment labels whose QR holds Wi-Fi credentials (instead of warning on them).
    pub refuse_wifi_credentials: bool,
}

/// What the Wi-Fi warning banner says.
pub const WIFI_WARNING: &str =
    "CONTAINS WI-FI CREDENTIALS - keep out of sight, shred after staging";

/// One line of text as drawn on a label: the bitmap font's cells, [`CELL_W`] × [`CELL_H`]
/// units of `scale` dots each, from (`x`, `y`) rightwards, one cell per character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    /// The line as written (the bitmap shows characters outside ASCII as their fallbacks).
    pub text: String,
    /// Left edge of the first cell, in dots from the label's left edge.
    pub x: u32,
    /// Top of the line's cells, in dots from the label's top edge.
    pub y: u32,
    /// Dots per font unit.
    pub scale: u32,
}

impl TextLine {
    /// The cells' width in dots (letter spacing included).
    pub fn width(&self) -> u32 {
        self.text.chars().count() as u32 * CELL_W * self.scale
    }

    /// Glyph height in dots (capitals, no line spacing).
    pub fn glyph_height(&self) -> u32 {
        7 * self.scale
    }
}

/// A label's bitmap and the lines of text drawn on it.
#[derive(Debug, Clone)]
pub struct RenderedLabel {
    /// The label at the printer's resolution.
    pub bitmap: Bitmap,
    /// Every line of human-readable text, in drawing order.
    pub text: Vec<TextLine>,
}

/// Renders one label: a bitmap of the label's size in dots. A QR code or barcode that does not
/// fit names the smallest built-in template that would hold it. The guards
/// ([`super::check_guards`]) are the caller's: [`super::render_labels`] applies them.
pub fn render_label(
    template: &Template,
    label: &LabelData,
    options: &RenderOptions,
) -> Result<Bitmap, LabelError> {
    render_label_with_text(template, label, options).map(|rendered| rendered.bitmap)
}

/// [`render_label`], with where its text lines went.
pub fn render_label_with_text(
    template: &Template,
    label: &LabelData,
    options: &RenderOptions,
) -> Result<RenderedLabel, LabelError> {
    let mut text = Vec::new();
    let bitmap = render_into(template, label, options, &mut text).map_err(|error| match error {
        LabelError::DoesNotFit(mut fit) => {
            fit.suggestion = smallest_fitting(label, options.dpi);
            LabelError::DoesNotFit(fit)
        }
        other => other,
    })?;
    Ok(RenderedLabel { bitmap, text })
}

/// [`render_label`] without looking for a template that fits.
pub(super) fn render_label_unsuggested(
    template: &Template,
    label: &LabelData,
    options: &RenderOptions,
) -> Result<Bitmap, LabelError> {
    render_into(template, label, options, &mut Vec::new())
}

/// Refuses a raster of `size` dots past [`crate::limits::RASTER_DOTS`] before it is made.
pub(super) fn check_raster(
    template: &Template,
    what: &'static str,
    (width, height): (u32, u32),
    dpi: u32,
) -> Result<(), LabelError> {
    if u64::from(width) * u64::from(height) <= crate::limits::RASTER_DOTS {
        return Ok(());
    }
    Err(LabelError::RasterTooLarge {
        template: template.name.clone(),
        kind: template.kind.name(),
        what,
        width,
        height,
        dpi,
    })
}

/// Draws the label, noting each line of text in `lines`.
fn render_into(
    template: &Template,
    label: &LabelData,
    options: &RenderOptions,
    lines: &mut Vec<TextLine>,
) -> Result<Bitmap, LabelError> {
    if template.kind != label.kind() {
        return Err(LabelError::KindMismatch {
            template: template.name.clone(),
            template_kind: template.kind.name(),
            label_kind: label.kind().name(),
        });
    }
    let dpi = options.dpi;
    let size = (
        mm_to_dots(template.width_mm, dpi),
        mm_to_dots(template.height_mm, dpi),
    );
    check_raster(template, "label", size, dpi)?;
    let mut bitmap = Bitmap::new(size.0, size.1);
    for element in &template.elements {
        let area = DotArea::of(&element.area, dpi);
        match &element.kind {
            ElementKind::Qr { field } => draw_qr(
                &mut bitmap,
                template,
                element,
                area,
                &symbol_value(label, *field, true),
                label,
                dpi,
            )?,
            ElementKind::Code128 { field } => draw_code128(
                &mut bitmap,
                template,
                element,
                area,
                &symbol_value(label, *field, false),
                label,
                dpi,
            )?,
            ElementKind::Text {
                content,
                size_pt,
                bold,
                max_lines,
            } => {
                let text = match content {
                    TextContent::Literal { text } => text.clone(),
                    TextContent::Field { field, prefix } => match text_value(label, *field) {
                        Some(v) if !v.is_empty() => format!("{prefix}{v}"),
                        _ => continue,
                    },
                };
                draw_text(
                    &mut bitmap,
                    lines,
                    area,
                    &text,
                    TextStyle {
                        size_pt: *size_pt,
                        bold: *bold,
                        max_lines: *max_lines,
                        white: false,
                    },
                    dpi,
                );
            }
            ElementKind::Warning { size_pt } => {
                if let LabelData::Enrollment(e) = label {
                    if e.carries_wifi_credentials {
                        bitmap.fill(area.x, area.y, area.w, area.h, true);
                        let inset = DotArea {
                            x: area.x + area.h.min(area.w) / 12,
                            y: area.y + area.h / 10,
                            w: area.w - area.h.min(area.w) / 6,
                            h: area.h - area.h / 5,
                        };
                        let style = TextStyle {
                            size_pt: *size_pt,
                            bold: true,
                            max_lines: u32::MAX,
                            white: true,
                        };
                        draw_text(&mut bitmap, lines, inset, WIFI_WARNING, style, dpi);
                    }
                }
            }
        }
    }
    Ok(bitmap)
}

/// An element's area in whole dots.
#[derive(Debug, Clone, Copy)]
struct DotArea {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

impl DotArea {
    fn of(area: &Area, dpi: u32) -> DotArea {
        let x = mm_to_dots(area.x_mm, dpi);
        let y = mm_to_dots(area.y_mm, dpi);
        let w = mm_to_dots(area.x_mm + area.w_mm, dpi).saturating_sub(x);
        let h = mm_to_dots(area.y_mm + area.h_mm, dpi).saturating_sub(y);
        DotArea { x, y, w, h }
    }
}

/// The text a QR code or barcode encodes (box serials one per line).
fn symbol_value(label: &LabelData, field: Field, _qr: bool) -> String {
    match (label, field) {
        (LabelData::Enrollment(e), Field::Payload) => e.payload.expose().to_owned(),
        (LabelData::Box(b), Field::Serials) => b.serials.join("\n"),
        _ => text_value(label, field).unwrap_or_default(),
    }
}

/// A field as text; `None` when the label has no value for it. Never the payload.
fn text_value(label: &LabelData, field: Field) -> Option<String> {
    match (label, field) {
        (LabelData::Enrollment(e), Field::ProfileName) => Some(e.profile_name.clone()),
        (LabelData::Enrollment(e), Field::TokenExpires) => e.token_expires.map(|d| d.to_string()),
        (LabelData::Enrollment(e), Field::Batch) => Some(e.batch.clone()),
        (LabelData::Device(d), Field::Serial) => Some(d.serial.clone()),
        (LabelData::Device(d), Field::Maker) => d.maker.clone(),
        (LabelData::Device(d), Field::Model) => d.model.clone(),
        (LabelData::Device(d), Field::MakerModel) => {
            let both: Vec<&str> = [d.maker.as_deref(), d.model.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            (!both.is_empty()).then(|| both.join(" "))
        }
        (LabelData::Device(d), Field::Batch) => d.batch.clone(),
        (LabelData::Device(d), Field::Slot) => d.slot.map(|s| s.to_string()),
        (LabelData::Device(d), Field::Stage2Date) => d.stage2_date.map(|d| d.to_string()),
        (LabelData::Box(b), Field::Serials) => Some(b.serials.join(", ")),
        (LabelData::Box(b), Field::Count) => Some(b.serials.len().to_string()),
        (LabelData::Box(b), Field::Batch) => b.batch.clone(),
        _ => None,
    }
}

fn draw_qr(
    bitmap: &mut Bitmap,
    template: &Template,
    element: &Element,
    area: DotArea,
    value: &str,
    label: &LabelData,
    dpi: u32,
) -> Result<(), LabelError> {
    let unencodable = |why: String| LabelError::Unencodable {
        label: label.describe(),
        element: element.name.clone(),
        why,
    };
    if value.is_empty() {
        return Err(unencodable("nothing to encode (the value is empty)".into()));
    }
    let code = match QrCode::encode(value.as_bytes()) {
        Ok(code) => code,
        Err(QrError::TooLong { bytes, max, ec }) => {
            return Err(unencodable(format!(
                "{bytes} bytes is more than any QR code holds ({max} at level {ec}): shorten it"
            )))
        }
        Err(other) => return Err(unencodable(other.to_string())),
    };
    let side = code.side_modules() as u32;
    let module = area.w.min(area.h) / side;
    if module < MIN_QR_DOTS {
        return Err(LabelError::DoesNotFit(Box::new(DoesNotFit {
            label: label.describe(),
            symbol: "QR code",
            template: template.name.clone(),
            element: element.name.clone(),
            modules: side as usize,
            min_dots: MIN_QR_DOTS,
            dpi,
            needed_mm: dots_to_mm(side * MIN_QR_DOTS, dpi),
            box_mm: dots_to_mm(area.w.min(area.h), dpi),
            suggestion: None,
        })));
    }
    let px = side * module;
    let left = area.x + (area.w - px) / 2;
    let top = area.y + (area.h - px) / 2;
    let quiet = crate::qr::QUIET_ZONE as u32;
    let width = code.width();
    for my in 0..width {
        for mx in 0..width {
            if code.is_dark(mx, my) {
                bitmap.fill(
                    left + (mx as u32 + quiet) * module,
                    top + (my as u32 + quiet) * module,
                    module,
                    module,
                    true,
                );
            }
        }
    }
    Ok(())
}

fn draw_code128(
    bitmap: &mut Bitmap,
    template: &Template,
    element: &Element,
    area: DotArea,
    value: &str,
    label: &LabelData,
    dpi: u32,
) -> Result<(), LabelError> {
    let code = Code128::encode(value).map_err(|why| LabelError::Unencodable {
        label: label.describe(),
        element: element.name.clone(),
        why: why.to_string(),
    })?;
    let side = code.side_modules() as u32;
    let module = area.w / side;
    let min = min_bar_dots(dpi);
    if module < min {
        return Err(LabelError::DoesNotFit(Box::new(DoesNotFit {
            label: label.describe(),
            symbol: "Code 128 barcode",
            template: template.name.clone(),
            element: element.name.clone(),
            modules: side as usize,
            min_dots: min,
            dpi,
            needed_mm: dots_to_mm(side * min, dpi),
            box_mm: dots_to_mm(area.w, dpi),
            suggestion: None,
        })));
    }
    let left = area.x + (area.w - side * module) / 2 + super::code128::QUIET_ZONE as u32 * module;
    for (i, bar) in code.modules().into_iter().enumerate() {
        if bar {
            bitmap.fill(left + i as u32 * module, area.y, module, area.h, true);
        }
    }
    Ok(())
}

/// How a text element is drawn.
#[derive(Debug, Clone, Copy)]
struct TextStyle {
    size_pt: f64,
    bold: bool,
    max_lines: u32,
    /// White dots (text on a black banner).
    white: bool,
}

/// Text wrapped into the area at the largest whole scale near `size_pt` that fits one line;
/// each line drawn is noted in `lines`.
fn draw_text(
    bitmap: &mut Bitmap,
    lines: &mut Vec<TextLine>,
    area: DotArea,
    text: &str,
    style: TextStyle,
    dpi: u32,
) {
    let wanted = (style.size_pt * f64::from(dpi) / 72.0 / f64::from(CELL_H))
        .round()
        .max(1.0) as u32;
    // The largest scale up to `wanted` whose glyphs (7 units tall) fit the area's height.
    let scale = wanted.min(area.h / 7).max(1);
    if 7 * scale > area.h {
        return;
    }
    let fitting_lines = 1 + (area.h - 7 * scale) / (CELL_H * scale);
    let max_chars = ((area.w + scale) / (CELL_W * scale)) as usize;
    if max_chars == 0 {
        return;
    }
    let wrapped = font::wrap(text, max_chars, style.max_lines.min(fitting_lines) as usize);
    for (i, line) in wrapped.into_iter().enumerate() {
        let y = area.y + i as u32 * CELL_H * scale;
        font::draw_text(bitmap, area.x, y, &line, scale, style.bold, style.white);
        lines.push(TextLine {
            text: line,
            x: area.x,
            y,
            scale,
        });
    }
}
