//! What is printed: a rendered label or sheet and what its bytes are, and the small test
//! documents `printers test` sends.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a document is, so the right printer gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// A PDF at the label's physical size (IPP printers, sheets).
    Pdf,
    /// A PNG at the printer's resolution (IPP printers that take images).
    Png,
    /// Zebra Programming Language (raw TCP and serial thermal printers).
    Zpl,
}

impl DocumentKind {
    /// The name used in the store and on the command line: `pdf`, `png`, `zpl`.
    pub fn name(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Png => "png",
            DocumentKind::Zpl => "zpl",
        }
    }

    /// The MIME type sent as IPP `document-format`.
    pub fn mime(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Png => "image/png",
            DocumentKind::Zpl => "application/vnd.zebra-zpl",
        }
    }

    /// The name people read: `PDF`, `PNG`, `ZPL`.
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "PDF",
            DocumentKind::Png => "PNG",
            DocumentKind::Zpl => "ZPL",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<DocumentKind> for String {
    fn from(kind: DocumentKind) -> String {
        kind.name().to_owned()
    }
}

impl FromStr for DocumentKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [DocumentKind::Pdf, DocumentKind::Png, DocumentKind::Zpl]
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown document kind {s:?}; use pdf, png or zpl"))
    }
}

/// A rendered label or sheet, ready to print.
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    /// What the bytes are.
    pub kind: DocumentKind,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The job's title (IPP `job-name`); ignored by raw and serial printers.
    pub title: String,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .field("title", &self.title)
            .finish()
    }
}

/// A one-page test PDF, `width_pt` × `height_pt` points, with `text` and a QR code of `text`
/// (`stagebench printers test`).
pub fn test_pdf(text: &str, width_pt: f32, height_pt: f32) -> Vec<u8> {
    use crate::pdf::{Font, PdfDocument};
    let mut doc = PdfDocument::new().with_title("StageBench printer test");
    let page = doc.add_page(width_pt, height_pt);
    let margin = 6.0;
    if let Ok(qr) = crate::qr::QrCode::encode(text.as_bytes()) {
        let side = qr.side_modules();
        let dark: Vec<bool> = (0..side * side)
            .map(|i| {
                // side_modules includes the quiet zone; is_dark takes module coordinates.
                let quiet = (side - qr.width()) / 2;
                let (x, y) = (i % side, i / side);
                x >= quiet
                    && y >= quiet
                    && x - quiet < qr.width()
                    && y - quiet < qr.width()
                    && qr.is_dark(x - quiet, y - quiet)
            })
            .collect();
        let box_side = (height_pt - 2.0 * margin).min(width_pt / 2.0);
        let px = u32::try_from(side).unwrap_or(u32::MAX);
        let _ = page.image_mono(margin, margin, box_side, box_side, px, px, &dark);
        page.text(
            box_side + 2.0 * margin,
            height_pt / 2.0,
            8.0,
            Font::Helvetica,
            text,
        );
    } else {
        page.text(margin, height_pt / 2.0, 8.0, Font::Helvetica, text);
    }
    doc.finish()
}

/// A tiny ZPL label with `text` and a QR code of `text` (`stagebench printers test`).
pub fn test_zpl(text: &str) -> Vec<u8> {
    // ZPL field data ends at ^FS and treats ^ and ~ as commands: keep them out of the text.
    let text: String = text
        .chars()
        .map(|c| if matches!(c, '^' | '~') { '-' } else { c })
        .collect();
    format!("^XA^CI28^FO20,20^BQN,2,4^FDQA,{text}^FS^FO200,40^A0N,24,24^FD{text}^FS^XZ\n")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_documents_are_well_formed() {
        assert!(test_pdf("StageBench", 144.0, 72.0).starts_with(b"%PDF-"));
        let zpl = String::from_utf8(test_zpl("a^b")).unwrap();
        assert!(zpl.starts_with("^XA") && zpl.trim_end().ends_with("^XZ") && zpl.contains("a-b"));
    }
}
