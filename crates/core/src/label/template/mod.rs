//! Label templates as data: JSON files in `assets/labels/` (built in with `include_str!`, so
//! the binary needs no files beside it) or any file a bench adds, checked on load.
//!
//! A template is one label (`width_mm` × `height_mm`), optionally repeated on a `sheet` (A4 or
//! US Letter, rows × columns with margins and gaps), and a list of elements positioned in
//! millimetres from the label's top-left corner:
//! `qr` (a field as QR code), `code128` (a field as barcode), `text` (a field with an optional
//! `prefix`, or a literal `text`; `size_pt`, `bold`, `max_lines`) and `warning` (a black
//! banner that says the QR holds Wi-Fi credentials, blank otherwise).
//!
//! Layout: this file holds the template's types and what can be wrong with one; `parse` reads
//! the JSON (a file, or text); `check` holds the rules a template must keep (sizes, edges,
//! overlaps, sheets, the enrollment label's QR and warning); `builtin` embeds the built-in
//! files and finds a template by name or path.

use serde::{Deserialize, Serialize};

mod builtin;
mod check;
mod parse;

pub use builtin::{builtin_templates, find_template};

/// What a label is for; decides which fields its elements may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum LabelKind {
    /// A batch's enrollment QR code with its profile, token expiry and Wi-Fi warning.
    Enrollment,
    /// One device: serial as QR and Code 128, maker and model, batch, slot, stage-2 date.
    Device,
    /// A shipping box: its serials, batch and device count.
    Box,
}

impl LabelKind {
    /// `enrollment`, `device` or `box`.
    pub fn name(self) -> &'static str {
        match self {
            LabelKind::Enrollment => "enrollment",
            LabelKind::Device => "device",
            LabelKind::Box => "box",
        }
    }

    /// The fields labels of this kind have.
    pub fn fields(self) -> &'static [Field] {
        match self {
            LabelKind::Enrollment => &[
                Field::Payload,
                Field::ProfileName,
                Field::TokenExpires,
                Field::Batch,
            ],
            LabelKind::Device => &[
                Field::Serial,
                Field::Maker,
                Field::Model,
                Field::MakerModel,
                Field::Batch,
                Field::Slot,
                Field::Stage2Date,
            ],
            LabelKind::Box => &[Field::Serials, Field::Count, Field::Batch],
        }
    }
}

/// A value a label element shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    /// The enrollment QR payload (a secret: only ever drawn as a QR code).
    Payload,
    /// The enrollment profile's name.
    ProfileName,
    /// The token's expiry date (`YYYY-MM-DD`).
    TokenExpires,
    /// The batch's name.
    Batch,
    /// The device's serial.
    Serial,
    /// The maker.
    Maker,
    /// The model.
    Model,
    /// Maker and model in one line.
    MakerModel,
    /// The bench slot number.
    Slot,
    /// When stage 2 finished on the bench (`YYYY-MM-DD`).
    Stage2Date,
    /// Every serial in the box (one per line in a QR code, comma-separated in text).
    Serials,
    /// How many devices are in the box.
    Count,
}

impl Field {
    const ALL: [Field; 12] = [
        Field::Payload,
        Field::ProfileName,
        Field::TokenExpires,
        Field::Batch,
        Field::Serial,
        Field::Maker,
        Field::Model,
        Field::MakerModel,
        Field::Slot,
        Field::Stage2Date,
        Field::Serials,
        Field::Count,
    ];

    /// Its name in template files (`profile-name`, …).
    pub fn name(self) -> &'static str {
        match self {
            Field::Payload => "payload",
            Field::ProfileName => "profile-name",
            Field::TokenExpires => "token-expires",
            Field::Batch => "batch",
            Field::Serial => "serial",
            Field::Maker => "maker",
            Field::Model => "model",
            Field::MakerModel => "maker-model",
            Field::Slot => "slot",
            Field::Stage2Date => "stage2-date",
            Field::Serials => "serials",
            Field::Count => "count",
        }
    }

    fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A rectangle on the label, in millimetres from its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Area {
    /// Left edge.
    pub x_mm: f64,
    /// Top edge.
    pub y_mm: f64,
    /// Width.
    pub w_mm: f64,
    /// Height.
    pub h_mm: f64,
}

impl Area {
    fn overlaps(&self, other: &Area) -> bool {
        const EPS: f64 = 1e-6;
        self.x_mm + EPS < other.x_mm + other.w_mm
            && other.x_mm + EPS < self.x_mm + self.w_mm
            && self.y_mm + EPS < other.y_mm + other.h_mm
            && other.y_mm + EPS < self.y_mm + self.h_mm
    }
}

/// What a text element shows.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum TextContent {
    /// A field's value after a fixed prefix; nothing at all when the field is empty.
    Field {
        /// The field.
        field: Field,
        /// Text before the value ("Slot ").
        prefix: String,
    },
    /// Fixed text.
    Literal {
        /// The text.
        text: String,
    },
}

/// What an element draws.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ElementKind {
    /// A QR code of a field, as large as whole dots per module allow in the area.
    Qr {
        /// The field encoded.
        field: Field,
    },
    /// A Code 128 barcode of a field, bars the full height of the area.
    Code128 {
        /// The field encoded.
        field: Field,
    },
    /// Text in the label font, wrapped to the area.
    Text {
        /// What it says.
        content: TextContent,
        /// Line height in points.
        size_pt: f64,
        /// Heavier strokes.
        bold: bool,
        /// Most lines drawn; longer text ends in `...`.
        max_lines: u32,
    },
    /// A black banner with a white warning, drawn only when the label has one (Wi-Fi
    /// credentials in its QR).
    Warning {
        /// Line height in points.
        size_pt: f64,
    },
}

/// One element of a template.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Element {
    /// How errors name it: its `id` from the file, or `element N (type)`.
    pub name: String,
    /// Where it goes.
    pub area: Area,
    /// What it draws.
    pub kind: ElementKind,
}

/// Standard page sizes for sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum PageSize {
    /// 210 × 297 mm.
    A4,
    /// 8.5 × 11 in.
    Letter,
}

impl PageSize {
    /// Width and height in millimetres.
    pub fn mm(self) -> (f64, f64) {
        match self {
            PageSize::A4 => (210.0, 297.0),
            PageSize::Letter => (215.9, 279.4),
        }
    }
}

/// A sheet of labels for page printers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Sheet {
    /// The page.
    pub page: PageSize,
    /// Rows of labels.
    pub rows: u32,
    /// Columns of labels.
    pub columns: u32,
    /// From the page's top edge to the first row.
    pub margin_top_mm: f64,
    /// From the page's left edge to the first column.
    pub margin_left_mm: f64,
    /// Between columns.
    #[serde(default)]
    pub gap_x_mm: f64,
    /// Between rows.
    #[serde(default)]
    pub gap_y_mm: f64,
}

impl Sheet {
    /// Labels per page.
    pub fn per_page(&self) -> usize {
        self.rows as usize * self.columns as usize
    }

    /// Top-left corner of the `index`-th label on a page (row by row), in mm.
    pub fn origin_mm(&self, index: usize, label_w: f64, label_h: f64) -> (f64, f64) {
        let columns = self.columns.max(1) as usize;
        let (row, col) = (index / columns, index % columns);
        (
            self.margin_left_mm + col as f64 * (label_w + self.gap_x_mm),
            self.margin_top_mm + row as f64 * (label_h + self.gap_y_mm),
        )
    }
}

/// A checked template.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Template {
    /// Its name (`device-2x1in`).
    pub name: String,
    /// What it is for, for people.
    pub description: String,
    /// The label kind.
    pub kind: LabelKind,
    /// Label width.
    pub width_mm: f64,
    /// Label height.
    pub height_mm: f64,
    /// The sheet, for page printers; `None` for a roll of single labels.
    pub sheet: Option<Sheet>,
    /// The elements, drawn in order.
    pub elements: Vec<Element>,
    /// Where it came from: `built-in:<file>` or the path it was loaded from.
    pub source: String,
}

/// What is wrong with a template.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateProblem {
    /// The file can't be read.
    #[error("can't read it: {0}")]
    Io(String),
    /// Not valid JSON, or a key or value that templates don't have.
    #[error("{0}")]
    Syntax(String),
    /// A field name templates don't know, or one this label kind does not have.
    #[error("unknown field {field:?} for a {kind} label; use one of: {allowed}")]
    UnknownField {
        /// The name given.
        field: String,
        /// The template's kind.
        kind: &'static str,
        /// The fields that kind has.
        allowed: String,
    },
    /// A field drawn in a way it can't be (the payload as text, a batch name as a QR).
    #[error("field {field:?} can't be drawn as {element}; {hint}")]
    FieldNotAllowed {
        /// The field.
        field: &'static str,
        /// The element type.
        element: &'static str,
        /// What is allowed.
        hint: &'static str,
    },
    /// A zero or negative size.
    #[error("{0} must be greater than zero")]
    ZeroSize(&'static str),
    /// The element reaches past the label's edge.
    #[error("reaches outside the {label_w} × {label_h} mm label (x {x}..{x_end} mm, y {y}..{y_end} mm): move or shrink it")]
    OutsideLabel {
        /// Label width.
        label_w: f64,
        /// Label height.
        label_h: f64,
        /// Left.
        x: f64,
        /// Right.
        x_end: f64,
        /// Top.
        y: f64,
        /// Bottom.
        y_end: f64,
    },
    /// A QR code or barcode area overlaps another element: the symbol's quiet zone would be
    /// printed over and scanners would fail.
    #[error("overlaps {other}: a QR code or barcode needs its area to itself (its quiet zone is part of it)")]
    Overlap {
        /// The other element.
        other: String,
    },
    /// The sheet's labels don't fit on its page.
    #[error("{columns} × {rows} labels of {label_w} × {label_h} mm with these margins and gaps need {need_w:.1} × {need_h:.1} mm, more than the {page_w} × {page_h} mm page")]
    SheetTooSmall {
        /// Columns.
        columns: u32,
        /// Rows.
        rows: u32,
        /// Label width.
        label_w: f64,
        /// Label height.
        label_h: f64,
        /// Width needed.
        need_w: f64,
        /// Height needed.
        need_h: f64,
        /// Page width.
        page_w: f64,
        /// Page height.
        page_h: f64,
    },
    /// A size or count past the bench's limit ([`crate::limits`]): a label a raster could not
    /// hold, a sheet of thousands of labels, text of a million points.
    #[error("{what} is {value}, more than the {limit} a label template may have: make it smaller")]
    OverLimit {
        /// The key or count at fault (`width_mm`, `labels per sheet`).
        what: &'static str,
        /// Its value, with its unit.
        value: String,
        /// The limit, with its unit.
        limit: String,
    },
    /// The file is larger than a template can be ([`crate::limits::TEMPLATE_FILE`]).
    #[error("{0}")]
    TooLarge(String),
    /// An enrollment template without a warning banner could hide that the QR holds Wi-Fi
    /// credentials.
    #[error("an enrollment template needs a `warning` element: a label whose QR holds Wi-Fi credentials must say so")]
    NoWarning,
    /// An enrollment template without the payload as QR code.
    #[error("an enrollment template needs a `qr` element with field \"payload\"")]
    NoPayloadQr,
}

/// A template that can't be used, with the file and element at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("label template {file}{}: {problem}", element.as_ref().map(|e| format!(", {e}")).unwrap_or_default())]
pub struct TemplateError {
    /// The file (or `built-in:<file>`).
    pub file: String,
    /// The element, when the problem is in one.
    pub element: Option<String>,
    /// What is wrong.
    pub problem: TemplateProblem,
}

impl Template {
    /// Label area in mm², to tell the smaller of two templates.
    pub fn area_mm2(&self) -> f64 {
        self.width_mm * self.height_mm
    }

    /// Page size in mm: the sheet's page, or the label itself.
    pub fn page_mm(&self) -> (f64, f64) {
        self.sheet
            .map(|s| s.page.mm())
            .unwrap_or((self.width_mm, self.height_mm))
    }
}
