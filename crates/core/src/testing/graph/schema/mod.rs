//! The Graph beta schema subset (vendored from `../shared/graph`, see `schema/README.md`) and a
//! checker that says whether a request — path, method, body property names and values, `$select`
//! and `$filter` — is one the real Graph beta allows.
//!
//! Layout: this file loads the schema and resolves a request's path to one of its templates
//! ([`GraphSchema::resolve`]); `check` checks the whole request (method, body names and values
//! against the component schemas, `$select`, the `$batch` shape); `filter` reads `$filter`
//! expressions and checks the managed devices' one; `tests` tries allowed and refused requests.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

mod check;
mod filter;
#[cfg(test)]
mod tests;

pub use filter::parse_filter;
pub(crate) use filter::tokenize;

/// The vendored OpenAPI document.
pub const OPENAPI_JSON: &str = include_str!("graph-beta-intune-subset.openapi.json");
/// The vendored type map (names only, newer upstream snapshot).
pub const TYPEMAP_JSON: &str = include_str!("graph-beta-typemap-subset.json");

/// Most requests one `$batch` may carry.
pub const BATCH_MAX: usize = 20;

const REF_PATH: &str = "/deviceManagement/managedDevices/{managedDevice-id}/users/$ref";
const MANAGED_DEVICES: &str = "/deviceManagement/managedDevices";

/// A request the schema does not allow; the text names the bad part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation(pub String);

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SchemaViolation {}

fn violation(text: impl Into<String>) -> SchemaViolation {
    SchemaViolation(text.into())
}

/// One schema path: its segments (`None` = a `{…-id}` placeholder) and its operations.
#[derive(Debug)]
struct PathItem {
    template: String,
    segments: Vec<Option<String>>,
    operations: BTreeMap<String, Value>,
}

impl PathItem {
    /// A template with its `microsoft.graph.` prefixes stripped and its placeholders found.
    fn new(template: &str, operations: BTreeMap<String, Value>) -> PathItem {
        let normalised: Vec<String> = template
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| unqualify(s).to_string())
            .collect();
        let segments = normalised
            .iter()
            .map(|s| (!s.starts_with('{')).then(|| s.clone()))
            .collect();
        PathItem {
            template: format!("/{}", normalised.join("/")),
            segments,
            operations,
        }
    }
}

/// A request resolved against the schema: which template it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The schema path template (normalised: no `microsoft.graph.` prefixes), e.g.
    /// `/deviceManagement/managedDevices/{managedDevice-id}`.
    pub template: String,
    /// The values of the `{…}` placeholders, in order.
    pub ids: Vec<String>,
    /// The path, normalised (no `/beta`, no `microsoft.graph.`, `x('id')` → `x/id`).
    pub path: String,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
}

impl Matched {
    /// A query parameter's decoded value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The Graph beta schema subset.
pub struct GraphSchema {
    doc: Value,
    paths: Vec<PathItem>,
    filter_caps: BTreeMap<String, BTreeSet<String>>,
}

impl fmt::Debug for GraphSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphSchema")
            .field("paths", &self.paths.len())
            .finish()
    }
}

/// Strips a `microsoft.graph.` namespace from a path segment.
fn unqualify(segment: &str) -> &str {
    segment.strip_prefix("microsoft.graph.").unwrap_or(segment)
}

/// Decodes `%xx` and `+` in a query component.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `path?query` into normalised path segments and decoded query pairs. Accepts absolute
/// URLs (`https://graph.microsoft.com/beta/...`), a `/beta` base and batch-relative URLs.
pub fn split_request(path_and_query: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut text = path_and_query;
    if let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    {
        text = rest.find('/').map_or("", |i| &rest[i..]);
    }
    let (path, query) = text.split_once('?').unwrap_or((text, ""));
    let mut segments: Vec<String> = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode(raw);
        // OData key syntax: managedDevices('id') → managedDevices / id
        if let Some((name, key)) = decoded.split_once("('") {
            if let Some(key) = key.strip_suffix("')") {
                segments.push(unqualify(name).to_string());
                segments.push(key.to_string());
                continue;
            }
        }
        segments.push(unqualify(&decoded).to_string());
    }
    if segments.first().is_some_and(|s| s == "beta" || s == "v1.0") {
        segments.remove(0);
    }
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    (segments, query)
}

impl GraphSchema {
    /// Loads the vendored schema.
    pub fn load() -> GraphSchema {
        let doc: Value = serde_json::from_str(OPENAPI_JSON).expect("vendored OpenAPI is JSON");
        let mut paths = Vec::new();
        for (template, item) in doc["paths"].as_object().expect("paths") {
            let operations = item
                .as_object()
                .expect("path item")
                .iter()
                .filter(|(m, _)| matches!(m.as_str(), "get" | "post" | "patch" | "put" | "delete"))
                .map(|(m, op)| (m.to_uppercase(), op.clone()))
                .collect();
            paths.push(PathItem::new(template, operations));
        }
        // Documented extras (not in the OpenAPI description).
        for extra in doc["x-bench-documented-extras"].as_array().expect("extras") {
            let method = extra["method"].as_str().expect("method").to_string();
            let extra = PathItem::new(extra["path"].as_str().expect("path"), BTreeMap::new());
            match paths.iter_mut().find(|p| p.template == extra.template) {
                Some(existing) => {
                    existing.operations.entry(method).or_insert(Value::Null);
                }
                None => {
                    let mut extra = extra;
                    extra.operations.insert(method, Value::Null);
                    paths.push(extra);
                }
            }
        }
        let filter_caps = doc["x-bench-managedDevice-filter-capabilities"]["properties"]
            .as_object()
            .expect("filter capabilities")
            .iter()
            .map(|(k, v)| {
                let ops = v["operators"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|o| o.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                (k.clone(), ops)
            })
            .collect();
        GraphSchema {
            doc,
            paths,
            filter_caps,
        }
    }

    /// Resolves a request's path to a schema template, without checking anything else.
    pub fn resolve(&self, method: &str, path_and_query: &str) -> Result<Matched, SchemaViolation> {
        let (segments, query) = split_request(path_and_query);
        let path = format!("/{}", segments.join("/"));
        let candidates: Vec<&PathItem> = self
            .paths
            .iter()
            .filter(|p| {
                p.segments.len() == segments.len()
                    && p.segments
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t.as_ref().is_none_or(|t| t == s))
            })
            .collect();
        // Prefer the most literal match ($count over {id}).
        let Some(item) = candidates
            .iter()
            .max_by_key(|p| p.segments.iter().filter(|s| s.is_some()).count())
        else {
            return Err(violation(format!(
                "path `{path}` is not in the Graph beta schema"
            )));
        };
        let method = method.to_uppercase();
        if !item.operations.contains_key(&method) {
            let allowed: Vec<&str> = item.operations.keys().map(String::as_str).collect();
            return Err(violation(format!(
                "method {method} is not allowed on `{}` (allowed: {})",
                item.template,
                allowed.join(", ")
            )));
        }
        let ids = item
            .segments
            .iter()
            .zip(&segments)
            .filter(|(t, _)| t.is_none())
            .map(|(_, s)| s.clone())
            .collect();
        Ok(Matched {
            template: item.template.clone(),
            ids,
            path,
            query,
        })
    }
}
