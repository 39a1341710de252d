//! Labels to files: PNG (1-bit, exact size in dots, `pHYs` resolution), PDF at exact physical
//! size (each label's raster embedded 1:1 on whole-dot positions, with an invisible text layer
//! over its printed text so a sheet can be searched for a serial and the text selected), and
//! ZPL (`^GFA` graphic fields of the exact raster, `^PW`/`^LL` from the label size).
//!
//! A roll template gives one page per label; a sheet template puts `rows × columns` labels on
//! each page. PNG output has one image per page; PDF and ZPL one file for everything.

use std::fmt::Write as _;

use serde::Serialize;

use super::raster::{mm_to_dots, Bitmap};
use super::render::{check_raster, render_label_with_text, RenderOptions, TextLine};
use super::{LabelData, LabelError, Template, ZPL_DPIS};
use crate::pdf::{Font, PdfDocument};
use crate::printer::DPI_RANGE;

/// Courier's capital height, 562/1000 em (Adobe's AFM): the text layer's size is chosen so its
/// capitals stand as tall as the bitmap font's.
const COURIER_CAP_HEIGHT: f32 = 0.562;

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputFormat {
    /// One 1-bit PNG per page.
    Png,
    /// One PDF, pages at the exact physical size.
    Pdf,
    /// One ZPL stream for Zebra-compatible thermal printers.
    Zpl,
}

impl OutputFormat {
    /// `png`, `pdf` or `zpl`.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Png => "png",
            OutputFormat::Pdf => "pdf",
            OutputFormat::Zpl => "zpl",
        }
    }
}

/// Rendered labels.
#[derive(Debug, Clone)]
pub struct RenderedDocument {
    /// The format.
    pub format: OutputFormat,
    /// The files: one per page for PNG, exactly one for PDF and ZPL.
    pub files: Vec<Vec<u8>>,
    /// Labels rendered.
    pub labels: usize,
    /// Pages (labels on a roll, sheets on a page printer).
    pub pages: usize,
    /// Page size in dots.
    pub page_dots: (u32, u32),
}

/// Renders every label with `template` into one document (no guards: see
/// [`super::render_labels`]).
pub fn render_document(
    template: &Template,
    labels: &[LabelData],
    format: OutputFormat,
    options: &RenderOptions,
) -> Result<RenderedDocument, LabelError> {
    let dpi = options.dpi;
    match format {
        OutputFormat::Zpl if !ZPL_DPIS.contains(&dpi) => {
            return Err(LabelError::Dpi {
                dpi,
                format: "zpl",
                allowed: "203, 300 or 600 (the print head's resolution)",
            })
        }
        OutputFormat::Zpl if template.sheet.is_some() => {
            return Err(LabelError::SheetAsZpl(template.name.clone()))
        }
        _ if !DPI_RANGE.contains(&dpi) => {
            return Err(LabelError::Dpi {
                dpi,
                format: format.name(),
                allowed: "72 to 2400 dpi",
            })
        }
        _ => {}
    }
    if labels.is_empty() {
        return Err(LabelError::NoLabels);
    }
    let per_page = template.sheet.map(|s| s.per_page()).unwrap_or(1);
    let (page_w_mm, page_h_mm) = template.page_mm();
    let page_dots = (mm_to_dots(page_w_mm, dpi), mm_to_dots(page_h_mm, dpi));
    if template.sheet.is_some() && format == OutputFormat::Png {
        // A PNG sheet is one raster of the whole page (a PDF places each label's own raster).
        check_raster(template, "page", page_dots, dpi)?;
    }
    let mut files = Vec::new();
    let mut pdf = PdfDocument::new().with_title(format!("StageBench labels ({})", template.name));
    let mut zpl = String::new();
    let mut pages = 0;
    for chunk in labels.chunks(per_page) {
        pages += 1;
        let mut rasters = Vec::with_capacity(chunk.len());
        let mut texts: Vec<Vec<TextLine>> = Vec::with_capacity(chunk.len());
        for label in chunk {
            let rendered = render_label_with_text(template, label, options)?;
            rasters.push(rendered.bitmap);
            texts.push(rendered.text);
        }
        // Each label's top-left corner on the page, snapped to whole dots.
        let origins: Vec<(u32, u32)> = (0..rasters.len())
            .map(|i| match &template.sheet {
                Some(sheet) => {
                    let (x, y) = sheet.origin_mm(i, template.width_mm, template.height_mm);
                    (mm_to_dots(x, dpi), mm_to_dots(y, dpi))
                }
                None => (0, 0),
            })
            .collect();
        match format {
            OutputFormat::Png => {
                let page = if template.sheet.is_some() {
                    let mut page = Bitmap::new(page_dots.0, page_dots.1);
                    for (raster, &(x, y)) in rasters.iter().zip(&origins) {
                        page.draw(raster, x, y);
                    }
                    page
                } else {
                    rasters
                        .pop()
                        .unwrap_or_else(|| Bitmap::new(page_dots.0, page_dots.1))
                };
                files.push(png(&page, dpi)?);
            }
            OutputFormat::Pdf => {
                let pt = |mm: f64| (mm * 72.0 / 25.4) as f32;
                let dot_pt = |dots: u32| (f64::from(dots) * 72.0 / f64::from(dpi)) as f32;
                let page = pdf.add_page(pt(page_w_mm), pt(page_h_mm));
                for ((raster, lines), &(x, y)) in rasters.iter().zip(&texts).zip(&origins) {
                    page.image_mono_packed(
                        dot_pt(x),
                        dot_pt(y),
                        dot_pt(raster.width()),
                        dot_pt(raster.height()),
                        raster.width(),
                        raster.height(),
                        raster.packed(),
                    )?;
                    // Courier is monospaced like the bitmap font: stretched to the drawn cells,
                    // each character lies over its own image, so a selection covers the text.
                    for line in lines {
                        let glyph = line.glyph_height();
                        page.hidden_text(
                            dot_pt(x + line.x),
                            dot_pt(y + line.y + glyph),
                            dot_pt(glyph) / COURIER_CAP_HEIGHT,
                            Font::Courier,
                            &line.text,
                            dot_pt(line.width()),
                        );
                    }
                }
            }
            OutputFormat::Zpl => {
                for raster in &rasters {
                    zpl.push_str(&zpl_label(raster));
                }
            }
        }
    }
    match format {
        OutputFormat::Pdf => files.push(pdf.finish()),
        OutputFormat::Zpl => files.push(zpl.into_bytes()),
        OutputFormat::Png => {}
    }
    Ok(RenderedDocument {
        format,
        files,
        labels: labels.len(),
        pages,
        page_dots,
    })
}

/// A 1-bit grayscale PNG of `bitmap` (black on white) with its resolution in `pHYs`.
pub fn png(bitmap: &Bitmap, dpi: u32) -> Result<Vec<u8>, LabelError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, bitmap.width(), bitmap.height());
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let per_metre = (f64::from(dpi) / 0.0254).round() as u32;
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    // PNG gray: 1 is white; our bits are 1 for black. Padding bits stay whatever: ignored.
    let inverted: Vec<u8> = bitmap.packed().iter().map(|b| !b).collect();
    let mut writer = encoder
        .write_header()
        .map_err(|e| LabelError::Png(e.to_string()))?;
    writer
        .write_image_data(&inverted)
        .map_err(|e| LabelError::Png(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| LabelError::Png(e.to_string()))?;
    Ok(out)
}

/// One label as ZPL: print width and label length from the raster, the raster as one `^GFA`
/// field at the origin.
pub fn zpl_label(raster: &Bitmap) -> String {
    let total = raster.packed().len();
    let mut out = String::with_capacity(total * 2 + 80);
    let _ = write!(
        out,
        "^XA\n^PW{}\n^LL{}\n^LH0,0\n^FO0,0^GFA,{total},{total},{},",
        raster.width(),
        raster.height(),
        raster.stride()
    );
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in raster.packed() {
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 15)] as char);
    }
    out.push_str("^FS\n^XZ\n");
    out
}

/// One label read back from ZPL written by [`zpl_label`]: `^PW`, `^LL` and the `^GFA` raster.
#[derive(Debug, Clone)]
pub struct ZplLabel {
    /// `^PW`, dots.
    pub print_width: u32,
    /// `^LL`, dots.
    pub label_length: u32,
    /// The graphic field.
    pub raster: Bitmap,
}

/// Reads back the labels of a ZPL stream as [`zpl_label`] writes them (uncompressed ASCII hex
/// `^GFA`), for tests and previews. Errors say what is missing.
pub fn read_zpl(text: &str) -> Result<Vec<ZplLabel>, String> {
    let mut labels = Vec::new();
    for block in text.split("^XA").skip(1) {
        let number = |tag: &str| -> Result<u32, String> {
            let at = block.find(tag).ok_or_else(|| format!("{tag} missing"))? + tag.len();
            let digits: String = block[at..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            digits.parse().map_err(|_| format!("{tag} has no number"))
        };
        let print_width = number("^PW")?;
        let label_length = number("^LL")?;
        let at = block.find("^GFA,").ok_or("^GFA missing")? + 5;
        let end = block[at..].find("^FS").ok_or("^FS missing after ^GFA")? + at;
        let mut parts = block[at..end].splitn(4, ',');
        let mut next_number = |what: &str| -> Result<usize, String> {
            parts
                .next()
                .and_then(|p| p.trim().parse().ok())
                .ok_or_else(|| format!("^GFA {what} missing"))
        };
        let total = next_number("byte count")?;
        let _field = next_number("field count")?;
        let stride = next_number("bytes per row")?;
        let hex: Vec<u8> = parts
            .next()
            .ok_or("^GFA data missing")?
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if hex.len() != total * 2 || stride == 0 || total % stride != 0 {
            return Err(format!(
                "^GFA says {total} bytes of {stride} per row but holds {} hex digits",
                hex.len()
            ));
        }
        let value = |h: u8| {
            (h as char)
                .to_digit(16)
                .map(|v| v as u8)
                .ok_or_else(|| format!("{:?} is not hex", h as char))
        };
        let mut bits = Vec::with_capacity(total);
        for pair in hex.chunks_exact(2) {
            bits.push(value(pair[0])? << 4 | value(pair[1])?);
        }
        let width = u32::try_from(stride * 8)
            .map_err(|_| "too wide")?
            .min(print_width);
        let height = u32::try_from(total / stride).map_err(|_| "too tall")?;
        let raster = Bitmap::from_packed(width, height, bits).ok_or("^GFA rows don't match ^PW")?;
        labels.push(ZplLabel {
            print_width,
            label_length,
            raster,
        });
    }
    Ok(labels)
}
