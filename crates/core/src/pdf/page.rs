//! One page and what is drawn on it, in drawing order: text in the standard fonts (shown or
//! hidden), lines, rectangles, and grayscale or 1-bit images kept Flate-compressed.

use super::{font, text_width, Font, PdfError};

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
    pub(super) width: f32,
    pub(super) height: f32,
    pub(super) content: Vec<u8>,
    pub(super) images: Vec<Image>,
}

/// An image waiting to be written: packed rows, 8 or 1 bits per pixel, already
/// Flate-compressed (so a document of thousands of labels holds compressed images only).
#[derive(Debug, Clone)]
pub(super) struct Image {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) bits: u8,
    pub(super) deflated: Vec<u8>,
}

impl Image {
    /// An image of `data` (packed rows, `bits` per pixel), compressed for keeping.
    fn deflated(width: u32, height: u32, bits: u8, data: &[u8]) -> Image {
        Image {
            width,
            height,
            bits,
            deflated: deflate(data),
        }
    }
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
        self.place(x, y, w, h, Image::deflated(px_w, px_h, 8, pixels));
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
        self.place(x, y, w, h, Image::deflated(px_w, px_h, 1, &data));
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
        self.place(x, y, w, h, Image::deflated(px_w, px_h, 1, &data));
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
pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
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

/// A number as PDF content wants it: at most two decimals, no exponent.
pub(super) fn num(v: f32) -> String {
    let v = finite(v);
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

pub(super) fn finite(v: f32) -> f32 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}
