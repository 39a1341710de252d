//! The built-in templates (the files in `assets/labels/`, embedded at build time) and finding a
//! template by name or path.

use std::path::Path;

use super::{Template, TemplateError, TemplateProblem};

/// The built-in templates' files, embedded at build time.
const BUILTIN: [(&str, &str); 8] = [
    (
        "device-2x1in.json",
        include_str!("../../../../../assets/labels/device-2x1in.json"),
    ),
    (
        "device-50x30mm.json",
        include_str!("../../../../../assets/labels/device-50x30mm.json"),
    ),
    (
        "device-a4-3x8.json",
        include_str!("../../../../../assets/labels/device-a4-3x8.json"),
    ),
    (
        "device-letter-3x10.json",
        include_str!("../../../../../assets/labels/device-letter-3x10.json"),
    ),
    (
        "enrollment-50x30mm.json",
        include_str!("../../../../../assets/labels/enrollment-50x30mm.json"),
    ),
    (
        "enrollment-4x6in.json",
        include_str!("../../../../../assets/labels/enrollment-4x6in.json"),
    ),
    (
        "enrollment-a4-2x3.json",
        include_str!("../../../../../assets/labels/enrollment-a4-2x3.json"),
    ),
    (
        "box-4x6in.json",
        include_str!("../../../../../assets/labels/box-4x6in.json"),
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
