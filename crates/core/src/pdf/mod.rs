//! A small PDF 1.4 writer for reports and label sheets: text in the standard fonts, lines,
//! rectangles, and grayscale or 1-bit images (QR codes), on pages of any size.
//!
//! Coordinates are in points (1/72 in) from the page's **top-left** corner, y growing downward,
//! as in a page layout (PDF itself counts from the bottom-left; [`Page`] converts). A text's y is
//! its baseline. Text is set in the standard fonts ([`Font`]), which every reader has, encoded as
//! WinAnsi: Western European text prints as written, other characters as `?`. Use
//! [`text_width`] and [`fit_width`] to lay out columns and cut long values with `…`.
//! [`Page::hidden_text`] writes text that is not painted (render mode 3): laid over an image of
//! the same text (a label's raster), it makes the page searchable and selectable.
//!
//! Content and image streams are Flate-compressed. Images are drawn with `/Interpolate false`,
//! so a QR code's modules keep sharp edges at any zoom; scale them by whole multiples of their
//! pixel size for print.
//!
//! ```
//! use stagebench_core::pdf::{Font, PdfDocument, A4};
//! let mut doc = PdfDocument::new();
//! let page = doc.add_page(A4.0, A4.1);
//! page.text(72.0, 72.0, 12.0, Font::Helvetica, "Hello, bench");
//! let bytes = doc.finish();
//! assert!(bytes.starts_with(b"%PDF-1.4"));
//! ```

mod font;

use std::fmt::Write as _;

use time::OffsetDateTime;

pub use font::{encode as win_ansi_bytes, fit_width, text_width, win_ansi, wrap_lines, Font};

/// A4 portrait (210 × 297 mm), in points.
pub const A4: (f32, f32) = (595.28, 841.89);

/// US Letter portrait (8.5 × 11 in), in points.
pub const LETTER: (f32, f32) = (612.0, 792.0);

/// A drawing call the writer cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// The pixel buffer does not hold `width × height` pixels.
    #[error("image of {width}×{height} pixels needs {expected} values, got {found}")]
    PixelCount {
        /// Pixels per row.
        width: u32,
        /// Rows.
        height: u32,
        /// Values needed.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// An image without pixels.
    #[error("an image needs at least one pixel (got {width}×{height})")]
    EmptyImage {
        /// Pixels per row.
        width: u32,
        /// Rows.
        height: u32,
    },
}

/// How [`Page::rect`] paints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RectStyle {
    /// The outline, in black, this many points wide.
    Stroke {
        /// Line width in points.
        width: f32,
    },
    /// The inside, in this gray (0 black … 1 white), without outline.
    Fill {
        /// Gray level.
        gray: f32,
    },
}

/// One page: its size and what is drawn on it, in drawing order.
#[derive(Debug, Clone)]
pub struct Page {
    width: f32,
    height: f32,
    content: Vec<u8>,
    images: Vec<Image>,
}

/// An image waiting to be written: packed rows, 8 or 1 bits per pixel, already
/// Flate-compressed (so a document of thousands of labels holds compressed images only).
#[derive(Debug, Clone)]
struct Image {
    width: u32,
    height: u32,
    bits: u8,
    deflated: Vec<u8>,
}

impl Page {
    /// Width in points.
    pub fn width(&self) -> f32 {
        self.width
    }

    /// Height in points.
    pub fn height(&self) -> f32 {
        self.height
    }

    /// Draws `text` on one line in black, its baseline's left end at (`x`, `y`).
    pub fn text(&mut self, x: f32, y: f32, size: f32, font: Font, text: &str) {
        let head = format!(
            "BT /{} {} Tf 1 0 0 1 {} {} Tm ",
            font.resource(),
            num(size),
            num(x),
            num(self.height - y)
        );
        self.content.extend_from_slice(head.as_bytes());
        self.string_and_show(text);
        self.content.extend_from_slice(b" ET\n");
    }

    /// Writes `text` on one line without painting it (text render mode 3), its baseline's left
    /// end at (`x`, `y`), stretched or squeezed horizontally to span `width` points: readers
    /// find it, copy it and highlight it, and the page looks the same. Lay it over an image of
    /// the same text so a selection covers what it says.
    pub fn hidden_text(&mut self, x: f32, y: f32, size: f32, font: Font, text: &str, width: f32) {
        let natural = text_width(font, size, text);
        if natural <= 0.0 || !width.is_finite() || width <= 0.0 {
            return;
        }
        // Tr and Tz outlive ET (they are graphics state): q … Q keeps them to this text.
        let head = format!(
            "q BT 3 Tr {} Tz /{} {} Tf 1 0 0 1 {} {} Tm ",
            num(100.0 * width / natural),
            font.resource(),
            num(size),
            num(x),
            num(self.height - y)
        );
        self.content.extend_from_slice(head.as_bytes());
        self.string_and_show(text);
        self.content.extend_from_slice(b" ET Q\n");
    }

    /// `(text) Tj`, the string's bytes WinAnsi (not UTF-8); only the delimiters need escaping.
    fn string_and_show(&mut self, text: &str) {
        self.content.push(b'(');
        for byte in font::encode(text) {
            if matches!(byte, b'(' | b')' | b'\\') {
                self.content.push(b'\\');
            }
            self.content.push(byte);
        }
        self.content.extend_from_slice(b") Tj");
    }

    /// Draws a black line `width` points wide from (`x1`, `y1`) to (`x2`, `y2`).
    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        let op = format!(
            "q {} w 0 G {} {} m {} {} l S Q\n",
            num(width),
            num(x1),
            num(self.height - y1),
            num(x2),
            num(self.height - y2)
        );
        self.content.extend_from_slice(op.as_bytes());
    }

    /// Draws a rectangle whose top-left corner is (`x`, `y`).
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, style: RectStyle) {
        let corner = format!(
            "{} {} {} {} re",
            num(x),
            num(self.height - y - h),
            num(w),
            num(h)
        );
        let op = match style {
            RectStyle::Stroke { width } => format!("q {} w 0 G {corner} S Q\n", num(width)),
            RectStyle::Fill { gray } => format!("q {} g {corner} f Q\n", num(gray.clamp(0.0, 1.0))),
        };
        self.content.extend_from_slice(op.as_bytes());
    }

    /// Draws an 8-bit grayscale image (`pixels`: `px_w × px_h` values, rows top to bottom,
    /// 0 black … 255 white) into the box whose top-left corner is (`x`, `y`).
    #[allow(clippy::too_many_arguments)]
    pub fn image_gray(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        px_w: u32,
        px_h: u32,
        pixels: &[u8],
    ) -> Result<(), PdfError> {
        check_size(px_w, px_h, pixels.len())?;
        self.place(
            x,
            y,
            w,
            h,
            Image {
                width: px_w,
                height: px_h,
                bits: 8,
                deflated: deflate(pixels),
            },
        );
        Ok(())
    }

    /// Draws a 1-bit image (`dark`: `px_w × px_h` values, rows top to bottom, `true` for black)
    /// into the box whose top-left corner is (`x`, `y`): QR codes, barcodes.
    #[allow(clippy::too_many_arguments)]
    pub fn image_mono(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        px_w: u32,
        px_h: u32,
        dark: &[bool],
    ) -> Result<(), PdfError> {
        check_size(px_w, px_h, dark.len())?;
        // Rows are padded to whole bytes; in DeviceGray a 1 bit is white.
        let row_bytes = (px_w as usize).div_ceil(8);
        let mut data = vec![0xffu8; row_bytes * px_h as usize];
        for (i, &is_dark) in dark.iter().enumerate() {
            if is_dark {
                let (row, col) = (i / px_w as usize, i % px_w as usize);
                data[row * row_bytes + col / 8] &= !(0x80 >> (col % 8));
            }
        }
        self.place(
            x,
            y,
            w,
            h,
            Image {
                width: px_w,
                height: px_h,
                bits: 1,
                deflated: deflate(&data),
            },
        );
        Ok(())
    }

    /// [`Page::image_mono`] from packed rows: `ceil(px_w / 8)` bytes per row, most significant
    /// bit first, a 1 bit black (as label rasters keep them), without a bool per pixel.
    #[allow(clippy::too_many_arguments)]
    pub fn image_mono_packed(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        px_w: u32,
        px_h: u32,
        packed: &[u8],
    ) -> Result<(), PdfError> {
        let row_bytes = px_w.div_ceil(8);
        // Checked as `row_bytes × px_h` bytes (the "values" of a packed image).
        check_size(row_bytes, px_h, packed.len()).map_err(|e| match e {
            PdfError::EmptyImage { .. } => PdfError::EmptyImage {
                width: px_w,
                height: px_h,
            },
            other => other,
        })?;
        // In DeviceGray a 1 bit is white: invert.
        let data: Vec<u8> = packed.iter().map(|b| !b).collect();
        self.place(
            x,
            y,
            w,
            h,
            Image {
                width: px_w,
                height: px_h,
                bits: 1,
                deflated: deflate(&data),
            },
        );
        Ok(())
    }

    fn place(&mut self, x: f32, y: f32, w: f32, h: f32, image: Image) {
        let op = format!(
            "q {} 0 0 {} {} {} cm /Im{} Do Q\n",
            num(w),
            num(h),
            num(x),
            num(self.height - y - h),
            self.images.len()
        );
        self.content.extend_from_slice(op.as_bytes());
        self.images.push(image);
    }
}

/// zlib-compressed `data` (what `/FlateDecode` reads), holding only its own length: miniz
/// starts from a buffer half the input's size and keeps that capacity, which for thousands of
/// kept images is most of the memory (5,000 labels at 600 dpi: 360 MiB before, see README).
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut deflated = miniz_oxide::deflate::compress_to_vec_zlib(data, 6);
    deflated.shrink_to_fit();
    deflated
}

fn check_size(width: u32, height: u32, found: usize) -> Result<(), PdfError> {
    if width == 0 || height == 0 {
        return Err(PdfError::EmptyImage { width, height });
    }
    let expected = (width as usize).saturating_mul(height as usize);
    if found != expected {
        return Err(PdfError::PixelCount {
            width,
            height,
            expected,
            found,
        });
    }
    Ok(())
}

/// A PDF document being built page by page.
#[derive(Debug, Clone)]
pub struct PdfDocument {
    pages: Vec<Page>,
    title: Option<String>,
    created: OffsetDateTime,
}

impl Default for PdfDocument {
    fn default() -> Self {
        PdfDocument::new()
    }
}

impl PdfDocument {
    /// An empty document created now.
    pub fn new() -> PdfDocument {
        PdfDocument {
            pages: Vec::new(),
            title: None,
            created: OffsetDateTime::now_utc(),
        }
    }

    /// Sets the creation date written in the document's information (reproducible output).
    pub fn with_creation_date(mut self, created: OffsetDateTime) -> PdfDocument {
        self.created = created;
        self
    }

    /// Sets the title readers show in their window (any Unicode).
    pub fn with_title(mut self, title: impl Into<String>) -> PdfDocument {
        self.title = Some(title.into());
        self
    }

    /// Adds a page of this size, in points (see [`A4`], [`LETTER`]), and returns it for drawing.
    pub fn add_page(&mut self, width: f32, height: f32) -> &mut Page {
        self.pages.push(Page {
            width: finite(width),
            height: finite(height),
            content: Vec::new(),
            images: Vec::new(),
        });
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// How many pages there are.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The page added last, to go on drawing on it.
    pub fn last_page_mut(&mut self) -> Option<&mut Page> {
        self.pages.last_mut()
    }

    /// Every page, in order, to draw on again (footers with "page N of M", for example).
    pub fn pages_mut(&mut self) -> impl Iterator<Item = &mut Page> {
        self.pages.iter_mut()
    }

    /// The finished file. A document without pages gets one blank A4 page (a PDF needs one).
    pub fn finish(mut self) -> Vec<u8> {
        if self.pages.is_empty() {
            self.add_page(A4.0, A4.1);
        }
        let mut w = Writer::default();
        w.out.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
        // Fixed objects: 1 catalog, 2 page tree, 3 information, then the fonts; pages follow.
        let first_font = 4;
        let first_page = first_font + Font::ALL.len();
        let mut next = first_page;
        let mut page_ids = Vec::with_capacity(self.pages.len());
        for page in &self.pages {
            page_ids.push(next);
            next += 2 + page.images.len();
        }

        w.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
        let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();
        let tree = format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            kids.len()
        );
        w.object(2, tree.as_bytes());
        let mut info = format!(
            "<< /Producer (StageBench) /Creator (StageBench) /CreationDate ({}) ",
            pdf_date(self.created)
        );
        if let Some(title) = &self.title {
            let _ = write!(info, "/Title {} ", utf16_hex(title));
        }
        info.push_str(">>");
        w.object(3, info.as_bytes());
        let mut font_refs = String::new();
        for (i, font) in Font::ALL.into_iter().enumerate() {
            let id = first_font + i;
            let dict = format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>",
                font.base_name()
            );
            w.object(id, dict.as_bytes());
            let _ = write!(font_refs, "/{} {id} 0 R ", font.resource());
        }

        for (page, id) in self.pages.iter().zip(page_ids) {
            let images: String = (0..page.images.len())
                .map(|i| format!("/Im{i} {} 0 R ", id + 2 + i))
                .collect();
            let dict = format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /ProcSet [/PDF /Text /ImageB] /Font << {font_refs}>> /XObject << {images}>> >> /Contents {} 0 R >>",
                num(page.width),
                num(page.height),
                id + 1
            );
            w.object(id, dict.as_bytes());
            w.stream(id + 1, "", &page.content);
            for (i, image) in page.images.iter().enumerate() {
                let dict = format!(
                    "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent {} /Interpolate false ",
                    image.width, image.height, image.bits
                );
                w.deflated_stream(id + 2 + i, &dict, &image.deflated);
            }
        }
        w.finish(next, 3)
    }
}

/// Objects written one after the other, remembering where each starts for the xref table.
#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    offsets: Vec<(usize, usize)>,
}

impl Writer {
    fn object(&mut self, id: usize, body: &[u8]) {
        self.offsets.push((id, self.out.len()));
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    /// A Flate-compressed stream; `dict` holds entries other than the length and the filter.
    fn stream(&mut self, id: usize, dict: &str, data: &[u8]) {
        self.deflated_stream(id, dict, &deflate(data));
    }

    /// A stream already compressed with [`deflate`].
    fn deflated_stream(&mut self, id: usize, dict: &str, packed: &[u8]) {
        let mut body = format!(
            "<< {dict}/Length {} /Filter /FlateDecode >>\nstream\n",
            packed.len()
        )
        .into_bytes();
        body.extend_from_slice(packed);
        body.extend_from_slice(b"\nendstream");
        self.object(id, &body);
    }

    /// The xref table and trailer; `size` is one more than the highest object id.
    fn finish(mut self, size: usize, info: usize) -> Vec<u8> {
        self.offsets.sort_unstable();
        let xref = self.out.len();
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
        let mut expected = 1;
        for &(id, offset) in &self.offsets {
            // Every id below `size` is written exactly once; a gap would be a bug here.
            debug_assert_eq!(id, expected, "object ids must be contiguous");
            expected = id + 1;
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {size} /Root 1 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        );
        self.out.extend_from_slice(table.as_bytes());
        self.out
    }
}

/// A number as PDF content wants it: at most two decimals, no exponent.
fn num(v: f32) -> String {
    let v = finite(v);
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

fn finite(v: f32) -> f32 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// `D:YYYYMMDDHHmmSSZ`, the PDF date format, in UTC.
fn pdf_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A PDF text string in UTF-16BE with a byte-order mark, as hex (for the information
/// dictionary, which is not limited to WinAnsi).
fn utf16_hex(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

#[cfg(test)]
mod tests;
