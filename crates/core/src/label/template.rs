//! Label templates as data: JSON files in `assets/labels/` (built in with `include_str!`, so
//! the binary needs no files beside it) or any file a bench adds, checked on load.
//!
//! A template is one label (`width_mm` × `height_mm`), optionally repeated on a `sheet` (A4 or
//! US Letter, rows × columns with margins and gaps), and a list of elements positioned in
//! millimetres from the label's top-left corner:
//! `qr` (a field as QR code), `code128` (a field as barcode), `text` (a field with an optional
//! `prefix`, or a literal `text`; `size_pt`, `bold`, `max_lines`) and `warning` (a black
//! banner that says the QR holds Wi-Fi credentials, blank otherwise).

use std::path::Path;

use serde::{Deserialize, Serialize};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    name: String,
    #[serde(default)]
    description: String,
    kind: LabelKind,
    width_mm: f64,
    height_mm: f64,
    #[serde(default)]
    sheet: Option<Sheet>,
    elements: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
enum RawElement {
    Qr {
        #[serde(default)]
        id: Option<String>,
        field: String,
        x_mm: f64,
        y_mm: f64,
        w_mm: f64,
        h_mm: f64,
    },
    Code128 {
        #[serde(default)]
        id: Option<String>,
        field: String,
        x_mm: f64,
        y_mm: f64,
        w_mm: f64,
        h_mm: f64,
    },
    Text {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        field: Option<String>,
        #[serde(default)]
        prefix: Option<String>,
        #[serde(default)]
        text: Option<String>,
        size_pt: f64,
        #[serde(default)]
        bold: bool,
        #[serde(default = "one")]
        max_lines: u32,
        x_mm: f64,
        y_mm: f64,
        w_mm: f64,
        h_mm: f64,
    },
    Warning {
        #[serde(default)]
        id: Option<String>,
        size_pt: f64,
        x_mm: f64,
        y_mm: f64,
        w_mm: f64,
        h_mm: f64,
    },
}

fn one() -> u32 {
    1
}

/// The built-in templates' files, embedded at build time.
const BUILTIN: [(&str, &str); 8] = [
    (
        "device-2x1in.json",
        include_str!("../../../../assets/labels/device-2x1in.json"),
    ),
    (
        "device-50x30mm.json",
        include_str!("../../../../assets/labels/device-50x30mm.json"),
    ),
    (
        "device-a4-3x8.json",
        include_str!("../../../../assets/labels/device-a4-3x8.json"),
    ),
    (
        "device-letter-3x10.json",
        include_str!("../../../../assets/labels/device-letter-3x10.json"),
    ),
    (
        "enrollment-50x30mm.json",
        include_str!("../../../../assets/labels/enrollment-50x30mm.json"),
    ),
    (
        "enrollment-4x6in.json",
        include_str!("../../../../assets/labels/enrollment-4x6in.json"),
    ),
    (
        "enrollment-a4-2x3.json",
        include_str!("../../../../assets/labels/enrollment-a4-2x3.json"),
    ),
    (
        "box-4x6in.json",
        include_str!("../../../../assets/labels/box-4x6in.json"),
    ),
];

/// Every built-in template, smallest label first within each kind.
pub fn builtin_templates() -> Vec<Template> {
    let mut all: Vec<Template> = BUILTIN
        .iter()
        .map(|(file, text)| {
            // Built-in files are checked by the tests; a bad one is a build mistake.
            Template::from_json(text, &format!("built-in:{file}"))
                .expect("built-in label templates are valid")
        })
        .collect();
    all.sort_by(|a, b| {
        a.kind
            .name()
            .cmp(b.kind.name())
            .then(a.area_mm2().total_cmp(&b.area_mm2()))
    });
    all
}

/// A built-in template by name, or else a template file at that path.
pub fn find_template(name_or_path: &str) -> Result<Template, TemplateError> {
    if let Some(t) = builtin_templates()
        .into_iter()
        .find(|t| t.name == name_or_path)
    {
        return Ok(t);
    }
    let path = Path::new(name_or_path);
    if !path.exists() && !name_or_path.contains(['/', '.']) {
        let names: Vec<String> = builtin_templates().into_iter().map(|t| t.name).collect();
        return Err(TemplateError {
            file: name_or_path.to_owned(),
            element: None,
            problem: TemplateProblem::Io(format!(
                "no built-in template of that name and no such file; built-in: {}",
                names.join(", ")
            )),
        });
    }
    Template::load(path)
}

impl Template {
    /// Reads and checks a template file.
    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| TemplateError {
            file: file.clone(),
            element: None,
            problem: TemplateProblem::Io(e.to_string()),
        })?;
        Template::from_json(&text, &file)
    }

    /// Parses and checks a template; `file` names it in errors.
    pub fn from_json(text: &str, file: &str) -> Result<Template, TemplateError> {
        let fail = |element: Option<String>, problem| TemplateError {
            file: file.to_owned(),
            element,
            problem,
        };
        let raw: RawTemplate = serde_json::from_str(text)
            .map_err(|e| fail(None, TemplateProblem::Syntax(e.to_string())))?;
        let mut elements = Vec::with_capacity(raw.elements.len());
        for (i, value) in raw.elements.into_iter().enumerate() {
            let type_name = value
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or("?")
                .to_owned();
            let fallback = format!("element {} ({type_name})", i + 1);
            let named = value
                .get("id")
                .and_then(|t| t.as_str())
                .map(|id| format!("element {} {id:?}", i + 1));
            let name = named.unwrap_or(fallback);
            let element: RawElement = serde_json::from_value(value)
                .map_err(|e| fail(Some(name.clone()), TemplateProblem::Syntax(e.to_string())))?;
            elements.push(
                element_from_raw(element, raw.kind, name)
                    .map_err(|(name, p)| fail(Some(name), p))?,
            );
        }
        let template = Template {
            name: raw.name,
            description: raw.description,
            kind: raw.kind,
            width_mm: raw.width_mm,
            height_mm: raw.height_mm,
            sheet: raw.sheet,
            elements,
            source: file.to_owned(),
        };
        template
            .check()
            .map_err(|(element, problem)| fail(element, problem))?;
        Ok(template)
    }

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

    fn check(&self) -> Result<(), (Option<String>, TemplateProblem)> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if self.name.trim().is_empty() {
            return Err((None, TemplateProblem::ZeroSize("the template's name")));
        }
        if !positive(self.width_mm) {
            return Err((None, TemplateProblem::ZeroSize("width_mm")));
        }
        if !positive(self.height_mm) {
            return Err((None, TemplateProblem::ZeroSize("height_mm")));
        }
        if let Some(sheet) = &self.sheet {
            if sheet.rows == 0 {
                return Err((None, TemplateProblem::ZeroSize("sheet.rows")));
            }
            if sheet.columns == 0 {
                return Err((None, TemplateProblem::ZeroSize("sheet.columns")));
            }
            let (page_w, page_h) = sheet.page.mm();
            let cols = f64::from(sheet.columns);
            let rows = f64::from(sheet.rows);
            let need_w =
                sheet.margin_left_mm + cols * self.width_mm + (cols - 1.0) * sheet.gap_x_mm;
            let need_h =
                sheet.margin_top_mm + rows * self.height_mm + (rows - 1.0) * sheet.gap_y_mm;
            let negative = [
                sheet.margin_left_mm,
                sheet.margin_top_mm,
                sheet.gap_x_mm,
                sheet.gap_y_mm,
            ]
            .iter()
            .any(|v| *v < 0.0 || !v.is_finite());
            if negative || need_w > page_w + 0.01 || need_h > page_h + 0.01 {
                return Err((
                    None,
                    TemplateProblem::SheetTooSmall {
                        columns: sheet.columns,
                        rows: sheet.rows,
                        label_w: self.width_mm,
                        label_h: self.height_mm,
                        need_w,
                        need_h,
                        page_w,
                        page_h,
                    },
                ));
            }
        }
        const EPS: f64 = 1e-6;
        for e in &self.elements {
            let a = e.area;
            let bad = |p| Err((Some(e.name.clone()), p));
            if !positive(a.w_mm) {
                return bad(TemplateProblem::ZeroSize("w_mm"));
            }
            if !positive(a.h_mm) {
                return bad(TemplateProblem::ZeroSize("h_mm"));
            }
            if !(a.x_mm.is_finite() && a.y_mm.is_finite())
                || a.x_mm < -EPS
                || a.y_mm < -EPS
                || a.x_mm + a.w_mm > self.width_mm + EPS
                || a.y_mm + a.h_mm > self.height_mm + EPS
            {
                return bad(TemplateProblem::OutsideLabel {
                    label_w: self.width_mm,
                    label_h: self.height_mm,
                    x: a.x_mm,
                    x_end: a.x_mm + a.w_mm,
                    y: a.y_mm,
                    y_end: a.y_mm + a.h_mm,
                });
            }
            match e.kind {
                ElementKind::Text {
                    size_pt, max_lines, ..
                } => {
                    if !positive(size_pt) {
                        return bad(TemplateProblem::ZeroSize("size_pt"));
                    }
                    if max_lines == 0 {
                        return bad(TemplateProblem::ZeroSize("max_lines"));
                    }
                }
                ElementKind::Warning { size_pt } if !positive(size_pt) => {
                    return bad(TemplateProblem::ZeroSize("size_pt"))
                }
                _ => {}
            }
        }
        for (i, e) in self.elements.iter().enumerate() {
            if !matches!(e.kind, ElementKind::Qr { .. } | ElementKind::Code128 { .. }) {
                continue;
            }
            if let Some(other) = self
                .elements
                .iter()
                .enumerate()
                .find(|(j, o)| *j != i && e.area.overlaps(&o.area))
            {
                return Err((
                    Some(e.name.clone()),
                    TemplateProblem::Overlap {
                        other: other.1.name.clone(),
                    },
                ));
            }
        }
        if self.kind == LabelKind::Enrollment {
            if !self.elements.iter().any(|e| {
                matches!(
                    e.kind,
                    ElementKind::Qr {
                        field: Field::Payload
                    }
                )
            }) {
                return Err((None, TemplateProblem::NoPayloadQr));
            }
            if !self
                .elements
                .iter()
                .any(|e| matches!(e.kind, ElementKind::Warning { .. }))
            {
                return Err((None, TemplateProblem::NoWarning));
            }
        }
        Ok(())
    }
}

fn field_of(name: &str, kind: LabelKind) -> Result<Field, TemplateProblem> {
    Field::parse(name)
        .filter(|f| kind.fields().contains(f))
        .ok_or_else(|| TemplateProblem::UnknownField {
            field: name.to_owned(),
            kind: kind.name(),
            allowed: kind
                .fields()
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn element_from_raw(
    raw: RawElement,
    kind: LabelKind,
    name: String,
) -> Result<Element, (String, TemplateProblem)> {
    let fail = |p| (name.clone(), p);
    let (id, area, kind) = match raw {
        RawElement::Qr {
            id,
            field,
            x_mm,
            y_mm,
            w_mm,
            h_mm,
        } => {
            let field = field_of(&field, kind).map_err(fail)?;
            if !matches!(field, Field::Payload | Field::Serial | Field::Serials) {
                return Err(fail(TemplateProblem::FieldNotAllowed {
                    field: field.name(),
                    element: "a QR code",
                    hint: "QR codes hold \"payload\", \"serial\" or \"serials\"",
                }));
            }
            (
                id,
                Area {
                    x_mm,
                    y_mm,
                    w_mm,
                    h_mm,
                },
                ElementKind::Qr { field },
            )
        }
        RawElement::Code128 {
            id,
            field,
            x_mm,
            y_mm,
            w_mm,
            h_mm,
        } => {
            let field = field_of(&field, kind).map_err(fail)?;
            if field != Field::Serial {
                return Err(fail(TemplateProblem::FieldNotAllowed {
                    field: field.name(),
                    element: "a Code 128 barcode",
                    hint: "barcodes hold \"serial\"",
                }));
            }
            (
                id,
                Area {
                    x_mm,
                    y_mm,
                    w_mm,
                    h_mm,
                },
                ElementKind::Code128 { field },
            )
        }
        RawElement::Text {
            id,
            field,
            prefix,
            text,
            size_pt,
            bold,
            max_lines,
            x_mm,
            y_mm,
            w_mm,
            h_mm,
        } => {
            let content = match (field, text) {
                (Some(field), None) => {
                    let field = field_of(&field, kind).map_err(fail)?;
                    if field == Field::Payload {
                        return Err(fail(TemplateProblem::FieldNotAllowed {
                            field: field.name(),
                            element: "text",
                            hint: "the payload holds the token (and maybe a Wi-Fi key): it is only drawn as a QR code",
                        }));
                    }
                    TextContent::Field {
                        field,
                        prefix: prefix.unwrap_or_default(),
                    }
                }
                (None, Some(text)) if prefix.is_none() => TextContent::Literal { text },
                _ => return Err(fail(TemplateProblem::Syntax(
                    "a text element has either \"field\" (with an optional \"prefix\") or \"text\""
                        .into(),
                ))),
            };
            (
                id,
                Area {
                    x_mm,
                    y_mm,
                    w_mm,
                    h_mm,
                },
                ElementKind::Text {
                    content,
                    size_pt,
                    bold,
                    max_lines,
                },
            )
        }
        RawElement::Warning {
            id,
            size_pt,
            x_mm,
            y_mm,
            w_mm,
            h_mm,
        } => (
            id,
            Area {
                x_mm,
                y_mm,
                w_mm,
                h_mm,
            },
            ElementKind::Warning { size_pt },
        ),
    };
    let _ = id;
    Ok(Element { name, area, kind })
}
