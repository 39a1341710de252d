//! Checking a request against the schema: its method, its body's property names and values
//! (types, enums, int32 ranges, nested objects), `$select`, `$filter`, and a `$batch` body's
//! shape; and seeded entities against their component schema.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::{
    violation, GraphSchema, Matched, SchemaViolation, BATCH_MAX, MANAGED_DEVICES, REF_PATH,
};

impl GraphSchema {
    /// Checks an entity's property names and values against a component schema (e.g.
    /// `microsoft.graph.managedDevice`); used to keep seeded test data honest.
    pub fn check_entity(&self, schema_name: &str, value: &Value) -> Result<(), SchemaViolation> {
        let schema = json!({"$ref": format!("#/components/schemas/{schema_name}")});
        if self.doc["components"]["schemas"].get(schema_name).is_none() {
            return Err(violation(format!("no schema `{schema_name}`")));
        }
        self.check_value(&schema, value, schema_name)
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
