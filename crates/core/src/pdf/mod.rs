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
//! Layout: this file holds the document ([`PdfDocument`]) and writing it out; `page` what is
//! drawn on a page ([`Page`]: text, lines, rectangles, images); `font` the standard fonts'
//! widths and WinAnsi encoding; `tests` checks the output with poppler.
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
mod page;

use std::fmt::Write as _;

use time::OffsetDateTime;

pub use font::{encode as win_ansi_bytes, fit_width, text_width, win_ansi, wrap_lines, Font};
pub use page::{Page, RectStyle};

use page::{deflate, finite, num};

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
