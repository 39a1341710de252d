//! Reading a template's JSON: the raw shape serde reads, then each element turned into the
//! template's own types with its field checked against the label kind.

use std::path::Path;

use serde::Deserialize;

use crate::limits::{self, InputError};

use super::{
    Area, Element, ElementKind, Field, LabelKind, Sheet, Template, TemplateError, TemplateProblem,
    TextContent,
};

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

impl Template {
    /// Reads and checks a template file.
    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let file = path.display().to_string();
        let text = limits::read_text_file(path, &limits::TEMPLATE_FILE).map_err(|e| {
            let problem = match e {
                InputError::TooLarge { .. } => TemplateProblem::TooLarge(e.to_string()),
                InputError::Unreadable { detail, .. } => TemplateProblem::Io(detail),
            };
            TemplateError {
                file: file.clone(),
                element: None,
                problem,
            }
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
        if raw.elements.len() > limits::TEMPLATE_ELEMENTS {
            return Err(fail(
                None,
                TemplateProblem::OverLimit {
                    what: "elements",
                    value: raw.elements.len().to_string(),
                    limit: limits::TEMPLATE_ELEMENTS.to_string(),
                },
            ));
        }
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
