//! `$filter` expressions: tokenized and parsed into (property, operator) pairs, and the
//! managed devices' filter checked against the documented properties and operators.

use super::{violation, GraphSchema, SchemaViolation};

impl GraphSchema {
    /// `$filter` on managedDevices: only documented properties and operators; clauses joined by
    /// `and` (an `or` only between clauses on one property whose operators include `or`).
    pub(super) fn check_device_filter(&self, filter: &str) -> Result<(), SchemaViolation> {
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
