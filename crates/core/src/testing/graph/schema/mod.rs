//! The Graph beta schema subset (vendored from `../shared/graph`, see `schema/README.md`) and a
//! checker that says whether a request — path, method, body property names and values, `$select`
//! and `$filter` — is one the real Graph beta allows.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{json, Map, Value};

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

    /// Checks an entity's property names and values against a component schema (e.g.
    /// `microsoft.graph.managedDevice`); used to keep seeded test data honest.
    pub fn check_entity(&self, schema_name: &str, value: &Value) -> Result<(), SchemaViolation> {
        let schema = json!({"$ref": format!("#/components/schemas/{schema_name}")});
        if self.doc["components"]["schemas"].get(schema_name).is_none() {
            return Err(violation(format!("no schema `{schema_name}`")));
        }
        self.check_value(&schema, value, schema_name)
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

    /// Checks a request: path, method, body property names and values, `$select`, `$filter`.
    pub fn check(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Matched, SchemaViolation> {
        let matched = self.resolve(method, path_and_query)?;
        let method = method.to_uppercase();
        let item = self
            .paths
            .iter()
            .find(|p| p.template == matched.template)
            .expect("matched");
        let op = &item.operations[&method];

        // Body.
        if matched.template == "/$batch" {
            check_batch_shape(body)?;
        } else if matched.template == REF_PATH {
            if method == "POST" {
                let Some(Value::Object(map)) = body else {
                    return Err(violation(
                        "POST users/$ref needs a body {\"@odata.id\": \".../users/{id}\"}",
                    ));
                };
                for key in map.keys() {
                    if key != "@odata.id" {
                        return Err(violation(format!(
                            "body property `{key}` is not allowed on users/$ref (only `@odata.id`)"
                        )));
                    }
                }
                match map.get("@odata.id").and_then(Value::as_str) {
                    Some(id) if id.contains("/users/") => {}
                    _ => {
                        return Err(violation(
                            "users/$ref body needs `@odata.id` pointing at .../users/{id}",
                        ))
                    }
                }
            } else if body.is_some_and(|b| !b.is_null()) {
                return Err(violation("DELETE users/$ref takes no body"));
            }
        } else if let Some(schema) = op
            .get("requestBody")
            .and_then(|rb| rb["content"]["application/json"].get("schema"))
        {
            match body {
                Some(body) => self.check_value(schema, body, "body")?,
                None if op["requestBody"]["required"] == Value::Bool(true) => {
                    return Err(violation(format!(
                        "{method} `{}` needs a JSON body",
                        matched.template
                    )));
                }
                None => {}
            }
        } else if body.is_some_and(|b| !b.is_null() && b != &Value::Object(Map::new())) {
            return Err(violation(format!(
                "{method} `{}` takes no body",
                matched.template
            )));
        }

        // $select: names must exist on the returned entity.
        if let Some(select) = matched.param("$select") {
            let entity = self.response_entity(op).ok_or_else(|| {
                violation(format!(
                    "$select is not supported on {method} `{}`",
                    matched.template
                ))
            })?;
            let props = self.properties(&entity);
            for name in select.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if !props.contains_key(name) {
                    return Err(violation(format!(
                        "$select names `{name}`, which is not a property of the returned entity"
                    )));
                }
            }
        }

        // $filter: managedDevices has limited support; the rest allow any filter on known names.
        if let Some(filter) = matched.param("$filter") {
            if matched.template == MANAGED_DEVICES {
                self.check_device_filter(filter)?;
            } else if method != "GET"
                || op.get("parameters").is_none_or(|p| {
                    !p.as_array().is_some_and(|a| {
                        a.iter().any(|p| {
                            p["name"] == "$filter"
                                || p.get("$ref")
                                    .and_then(Value::as_str)
                                    .is_some_and(|r| r.ends_with("/filter"))
                        })
                    })
                })
            {
                return Err(violation(format!(
                    "$filter is not supported on {method} `{}`",
                    matched.template
                )));
            }
        }
        Ok(matched)
    }

    /// The entity schema a GET returns (the item type for collections).
    fn response_entity(&self, op: &Value) -> Option<Value> {
        let response = self.deref(&op["responses"]["2XX"]);
        let schema = response["content"]["application/json"].get("schema")?;
        let resolved = self.deref(schema);
        let props = self.properties(&resolved);
        if let Some(value) = props.get("value") {
            let value = self.deref(value);
            if let Some(items) = value.get("items") {
                return Some(self.deref(items));
            }
        }
        Some(resolved)
    }

    fn deref(&self, schema: &Value) -> Value {
        let mut current = schema.clone();
        for _ in 0..16 {
            match current.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let name = r.rsplit('/').next().unwrap_or(r);
                    let target = if r.starts_with("#/components/responses/") {
                        self.doc["components"]["responses"][name].clone()
                    } else {
                        self.doc["components"]["schemas"][name].clone()
                    };
                    current = target;
                }
                None => return current,
            }
        }
        current
    }

    /// All properties of an object schema, through `$ref`, `allOf` and `anyOf`.
    fn properties(&self, schema: &Value) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        self.collect_properties(schema, &mut out, 0);
        out
    }

    fn collect_properties(&self, schema: &Value, out: &mut BTreeMap<String, Value>, depth: usize) {
        if depth > 16 {
            return;
        }
        let schema = self.deref(schema);
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(parts) = schema.get(key).and_then(Value::as_array) {
                for part in parts {
                    self.collect_properties(part, out, depth + 1);
                }
            }
        }
    }

    /// Checks a JSON value against a schema: property names, enum values, int32 ranges, arrays.
    fn check_value(&self, schema: &Value, value: &Value, at: &str) -> Result<(), SchemaViolation> {
        let schema = self.deref(schema);
        if value.is_null() {
            return Ok(());
        }
        // anyOf/oneOf of alternatives (e.g. nullable enum): passes if any alternative does.
        for key in ["anyOf", "oneOf"] {
            if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
                let mut first_error = None;
                for alt in alternatives {
                    let alt = self.deref(alt);
                    if alt.get("nullable") == Some(&Value::Bool(true))
                        && alt.get("properties").is_none()
                        && alt.get("enum").is_none()
                        && value.is_object()
                        && alt.get("type") == Some(&Value::String("object".into()))
                        && alternatives.len() > 1
                    {
                        continue;
                    }
                    match self.check_value(&alt, value, at) {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            first_error.get_or_insert(e);
                        }
                    }
                }
                if let Some(e) = first_error {
                    return Err(e);
                }
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            let Some(text) = value.as_str() else {
                return Err(violation(format!(
                    "{at}: expected an enum string, got {value}"
                )));
            };
            // Flag enums accept comma-separated members.
            let ok = text
                .split(',')
                .map(str::trim)
                .all(|t| allowed.iter().any(|a| a.as_str() == Some(t)));
            if !ok {
                let title = schema
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or("enum");
                return Err(violation(format!(
                    "{at}: `{text}` is not a value of {title}"
                )));
            }
            return Ok(());
        }
        let ty = schema.get("type").and_then(Value::as_str);
        let format = schema.get("format").and_then(Value::as_str);
        if matches!(format, Some("int32")) || ty == Some("integer") {
            let Some(n) = value.as_f64() else {
                return Err(violation(format!("{at}: expected a number, got {value}")));
            };
            if n.fract() != 0.0 {
                return Err(violation(format!("{at}: {value} is not an integer")));
            }
            let (min, max) = match format {
                Some("int32") => (i32::MIN as f64, i32::MAX as f64),
                Some("int64") => (i64::MIN as f64, i64::MAX as f64),
                _ => (f64::MIN, f64::MAX),
            };
            let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(min);
            let max = schema.get("maximum").and_then(Value::as_f64).unwrap_or(max);
            if n < min || n > max {
                return Err(violation(format!(
                    "{at}: {value} is outside the {} range {min}..={max}",
                    format.unwrap_or("integer")
                )));
            }
            return Ok(());
        }
        match value {
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check_value(item_schema, item, &format!("{at}[{i}]"))?;
                    }
                } else if ty.is_some() && ty != Some("array") {
                    return Err(violation(format!(
                        "{at}: expected {}, got an array",
                        ty.unwrap_or("?")
                    )));
                }
                Ok(())
            }
            Value::Object(map) => {
                let props = self.properties(&schema);
                if props.is_empty() {
                    return Ok(()); // a free-form object
                }
                for (key, v) in map {
                    if key == "@odata.type" {
                        continue;
                    }
                    let Some(prop) = props.get(key) else {
                        return Err(violation(format!(
                            "{at}: property `{key}` is not in the schema"
                        )));
                    };
                    self.check_value(prop, v, &format!("{at}.{key}"))?;
                }
                Ok(())
            }
            Value::String(_)
                if matches!(
                    ty,
                    Some("boolean") | Some("number") | Some("array") | Some("object")
                ) =>
            {
                Err(violation(format!(
                    "{at}: expected {}, got a string",
                    ty.unwrap_or("?")
                )))
            }
            Value::Bool(_) if ty.is_some_and(|t| t != "boolean") => Err(violation(format!(
                "{at}: expected {}, got a boolean",
                ty.unwrap_or("?")
            ))),
            _ => Ok(()),
        }
    }

    /// `$filter` on managedDevices: only documented properties and operators; clauses joined by
    /// `and` (an `or` only between clauses on one property whose operators include `or`).
    fn check_device_filter(&self, filter: &str) -> Result<(), SchemaViolation> {
        for (property, operator) in parse_filter(filter)? {
            let Some(ops) = self.filter_caps.get(&property) else {
                return Err(violation(format!(
                    "$filter on `{property}` is not supported on managedDevices"
                )));
            };
            if !ops.contains(&operator) {
                return Err(violation(format!(
                    "$filter operator `{operator}` on `{property}` is not supported on managedDevices (supported: {})",
                    ops.iter().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Parses a simple `$filter`: clauses `prop op 'value'` / `prop op value` / `contains(prop,'v')`,
/// joined by `and` / `or`. Returns (property, operator) pairs; an `or` adds `(property, "or")`.
pub fn parse_filter(filter: &str) -> Result<Vec<(String, String)>, SchemaViolation> {
    let mut out = Vec::new();
    let tokens = tokenize(filter)?;
    let mut i = 0;
    let mut last_property: Option<String> = None;
    let mut pending_or = false;
    while i < tokens.len() {
        let token = &tokens[i];
        let (property, operator, used) = if let Some(func) = ["contains", "startswith", "endswith"]
            .iter()
            .find(|f| token.starts_with(&format!("{f}(")))
        {
            let inner = token[func.len() + 1..].trim_end_matches(')');
            let property = inner.split(',').next().unwrap_or("").trim().to_string();
            (property, func.to_string(), 1)
        } else {
            if i + 2 >= tokens.len() {
                return Err(violation(format!(
                    "$filter `{filter}`: incomplete clause at `{token}`"
                )));
            }
            let operator = tokens[i + 1].to_lowercase();
            if !matches!(operator.as_str(), "eq" | "ne" | "lt" | "gt" | "le" | "ge") {
                return Err(violation(format!(
                    "$filter `{filter}`: unknown operator `{}`",
                    tokens[i + 1]
                )));
            }
            (token.clone(), operator, 3)
        };
        if pending_or {
            if last_property.as_deref() != Some(property.as_str()) {
                return Err(violation(format!(
                    "$filter `{filter}`: managedDevices combines different properties with `and`, not `or`"
                )));
            }
            out.push((property.clone(), "or".to_string()));
            pending_or = false;
        }
        out.push((property.clone(), operator));
        last_property = Some(property);
        i += used;
        if i < tokens.len() {
            match tokens[i].to_lowercase().as_str() {
                "and" => {}
                "or" => pending_or = true,
                other => {
                    return Err(violation(format!(
                        "$filter `{filter}`: expected `and`/`or`, found `{other}`"
                    )))
                }
            }
            i += 1;
            if i >= tokens.len() {
                return Err(violation(format!(
                    "$filter `{filter}`: ends with a conjunction"
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(violation("$filter is empty"));
    }
    Ok(out)
}

/// Splits a filter into tokens, keeping quoted strings and function calls whole.
pub(crate) fn tokenize(filter: &str) -> Result<Vec<String>, SchemaViolation> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    let mut depth = 0usize;
    let mut chars = filter.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                current.push(c);
                if in_quote && chars.peek() == Some(&'\'') {
                    current.push(chars.next().unwrap_or('\''));
                } else {
                    in_quote = !in_quote;
                }
            }
            '(' if !in_quote => {
                depth += 1;
                current.push(c);
            }
            ')' if !in_quote => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            ' ' if !in_quote && depth == 0 => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if in_quote {
        return Err(violation(format!(
            "$filter `{filter}`: unterminated string"
        )));
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    Ok(tokens)
}

/// The `$batch` body's shape (the per-request checks happen when each request runs).
fn check_batch_shape(body: Option<&Value>) -> Result<(), SchemaViolation> {
    let Some(Value::Object(map)) = body else {
        return Err(violation("$batch needs a JSON body {\"requests\": [...]}"));
    };
    for key in map.keys() {
        if key != "requests" {
            return Err(violation(format!(
                "$batch body property `{key}` is not allowed (only `requests`)"
            )));
        }
    }
    let Some(Value::Array(requests)) = map.get("requests") else {
        return Err(violation("$batch body needs a `requests` array"));
    };
    if requests.len() > BATCH_MAX {
        return Err(violation(format!(
            "$batch carries {} requests; at most {BATCH_MAX} are allowed",
            requests.len()
        )));
    }
    let mut ids = BTreeSet::new();
    for (i, request) in requests.iter().enumerate() {
        let Value::Object(r) = request else {
            return Err(violation(format!("$batch requests[{i}] is not an object")));
        };
        for key in r.keys() {
            if !matches!(
                key.as_str(),
                "id" | "method" | "url" | "headers" | "body" | "dependsOn"
            ) {
                return Err(violation(format!(
                    "$batch requests[{i}]: property `{key}` is not allowed"
                )));
            }
        }
        for key in ["id", "method", "url"] {
            if !r.get(key).is_some_and(Value::is_string) {
                return Err(violation(format!(
                    "$batch requests[{i}] needs a string `{key}`"
                )));
            }
        }
        let id = r["id"].as_str().unwrap_or_default().to_lowercase();
        if !ids.insert(id.clone()) {
            return Err(violation(format!(
                "$batch request id `{id}` is not unique (ids compare case-insensitively)"
            )));
        }
        if r.contains_key("body") {
            let has_content_type = r
                .get("headers")
                .and_then(Value::as_object)
                .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("content-type")));
            if !has_content_type {
                return Err(violation(format!(
                    "$batch requests[{i}] has a `body` but no `headers` with Content-Type"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> GraphSchema {
        GraphSchema::load()
    }

    #[test]
    fn vendored_schema_matches_shared() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/graph");
        if !shared.is_dir() {
            eprintln!(
                "skipped: {} is absent, so the vendored schema can't be compared",
                shared.display()
            );
            return;
        }
        for (name, vendored) in [
            ("graph-beta-intune-subset.openapi.json", OPENAPI_JSON),
            ("graph-beta-typemap-subset.json", TYPEMAP_JSON),
        ] {
            let original = std::fs::read(shared.join(name)).unwrap();
            assert!(
                original == vendored.as_bytes(),
                "{name} differs from ../shared/graph: copy it again"
            );
        }
    }

    #[test]
    fn allowed_requests_pass() {
        let s = schema();
        let id = "9f6b4a1e-0000-0000-0000-000000000001";
        s.check(
            "GET",
            "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles",
            None,
        )
        .unwrap();
        s.check(
            "POST",
            &format!(
                "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}/createToken"
            ),
            Some(&json!({"tokenValidityInSeconds": 7200})),
        )
        .unwrap();
        s.check("POST", &format!("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}/microsoft.graph.createToken"), Some(&json!({"tokenValidityInSeconds": 7200}))).unwrap();
        s.check(
            "POST",
            &format!(
                "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}/revokeToken"
            ),
            None,
        )
        .unwrap();
        s.check("PATCH", &format!("/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/{id}"), Some(&json!({"wifiSecurityType": "wpa", "displayName": "x", "@odata.type": "#microsoft.graph.androidDeviceOwnerEnrollmentProfile"}))).unwrap();
        s.check("GET", "/beta/deviceManagement/managedDevices?$filter=serialNumber%20eq%20'R58N'&$select=id,deviceName,serialNumber,notes", None).unwrap();
        s.check(
            "GET",
            "/deviceManagement/managedDevices?$filter=serialNumber eq 'A' or serialNumber eq 'B'",
            None,
        )
        .unwrap();
        s.check(
            "GET",
            "/deviceManagement/managedDevices?$filter=contains(deviceName,'Staging_')",
            None,
        )
        .unwrap();
        s.check(
            "GET",
            &format!("/deviceManagement/managedDevices/{id}?$select=notes,usersLoggedOn"),
            None,
        )
        .unwrap();
        s.check(
            "PATCH",
            &format!("/deviceManagement/managedDevices/{id}"),
            Some(&json!({"notes": "stage 2"})),
        )
        .unwrap();
        s.check(
            "GET",
            &format!("/deviceManagement/managedDevices/{id}/users"),
            None,
        )
        .unwrap();
        s.check(
            "POST",
            &format!("/deviceManagement/managedDevices('{id}')/users/$ref"),
            Some(&json!({"@odata.id": "https://graph.microsoft.com/beta/users/u1"})),
        )
        .unwrap();
        s.check(
            "DELETE",
            &format!("/deviceManagement/managedDevices/{id}/users/$ref"),
            None,
        )
        .unwrap();
        s.check("POST", "/beta/$batch", Some(&json!({"requests": [{"id": "1", "method": "GET", "url": "/deviceManagement/managedDevices/x"}]}))).unwrap();
        s.check("POST", "/deviceManagement/importedDeviceIdentities/importDeviceIdentityList", Some(&json!({
            "importedDeviceIdentities": [{"@odata.type": "#microsoft.graph.importedDeviceIdentity", "importedDeviceIdentifier": "R58N123ABC", "importedDeviceIdentityType": "serialNumber", "description": "Bench 3", "platform": "android"}],
            "overwriteImportedDeviceIdentities": false
        }))).unwrap();
        s.check("GET", "/deviceManagement/managedDevices/$count", None)
            .unwrap();
        assert_eq!(
            s.resolve("GET", "/deviceManagement/managedDevices/$count")
                .unwrap()
                .template,
            "/deviceManagement/managedDevices/$count"
        );
    }

    fn fails(method: &str, path: &str, body: Option<Value>, needle: &str) {
        let error = schema().check(method, path, body.as_ref()).unwrap_err();
        assert!(error.0.contains(needle), "`{error}` should name `{needle}`");
    }

    #[test]
    fn wrong_path_fails_naming_it() {
        fails(
            "GET",
            "/beta/deviceManagement/androidEnrollmentProfiles",
            None,
            "/deviceManagement/androidEnrollmentProfiles",
        );
        fails(
            "GET",
            "/beta/deviceManagement/managedDevices/x/detectedApps",
            None,
            "detectedApps",
        );
    }

    #[test]
    fn wrong_method_fails_naming_it() {
        fails(
            "PUT",
            "/beta/deviceManagement/managedDevices/x",
            None,
            "PUT",
        );
        fails(
            "GET",
            "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/createToken",
            None,
            "GET",
        );
        fails("PATCH", "/beta/$batch", None, "PATCH");
    }

    #[test]
    fn unknown_body_property_fails_naming_it() {
        fails(
            "PATCH",
            "/beta/deviceManagement/managedDevices/x",
            Some(json!({"note": "typo"})),
            "`note`",
        );
        fails(
            "POST",
            "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/createToken",
            Some(json!({"validityInSeconds": 5})),
            "validityInSeconds",
        );
        fails(
            "POST",
            "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/revokeToken",
            Some(json!({"x": 1})),
            "takes no body",
        );
        fails(
            "POST",
            "/deviceManagement/managedDevices/x/users/$ref",
            Some(json!({"userId": "u"})),
            "userId",
        );
    }

    #[test]
    fn bad_enum_value_fails_naming_it() {
        fails(
            "PATCH",
            "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x",
            Some(json!({"wifiSecurityType": "WPA"})),
            "`WPA`",
        );
        fails(
            "PATCH",
            "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x",
            Some(json!({"enrollmentMode": "fullyManaged"})),
            "fullyManaged",
        );
    }

    #[test]
    fn int32_range_is_checked() {
        fails(
            "POST",
            "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/createToken",
            Some(json!({"tokenValidityInSeconds": 3_000_000_000u64})),
            "tokenValidityInSeconds",
        );
        fails(
            "POST",
            "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles/x/createToken",
            Some(json!({"tokenValidityInSeconds": "60"})),
            "tokenValidityInSeconds",
        );
    }

    #[test]
    fn select_and_filter_are_checked() {
        fails(
            "GET",
            "/beta/deviceManagement/managedDevices?$filter=enrollmentProfileName eq 'x'",
            None,
            "enrollmentProfileName",
        );
        fails(
            "GET",
            "/beta/deviceManagement/managedDevices?$filter=notes%20eq%20'x'",
            None,
            "notes",
        );
        fails(
            "GET",
            "/beta/deviceManagement/managedDevices?$filter=serialNumber%20ne%20'x'",
            None,
            "`ne`",
        );
        fails(
            "GET",
            "/beta/deviceManagement/managedDevices?$filter=serialNumber eq 'x' or imei eq 'y'",
            None,
            "`or`",
        );
        fails(
            "GET",
            "/beta/deviceManagement/managedDevices/x?$select=id,serial",
            None,
            "`serial`",
        );
    }

    #[test]
    fn batch_shape_is_checked() {
        fails(
            "POST",
            "/$batch",
            Some(json!({"requests": [{"id": "1", "method": "PATCH", "url": "/x", "body": {}}]})),
            "Content-Type",
        );
        fails("POST", "/$batch", Some(json!({"reqs": []})), "reqs");
    }
}
