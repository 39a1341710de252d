//! Serving requests: the identity platform's paths, then for Graph the bearer token, the base
//! path and the schema check, `$batch` envelopes taken apart, and injected faults and budgets
//! before the operation itself; every request answered is logged.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::throttle::Service;
use super::{lifecycle, lock, Exchange, Inner};
use crate::testing::graph::login;
use crate::testing::graph::schema::Matched;

/// A reply before it becomes HTTP.
#[derive(Debug)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Option<Value>,
}

impl Reply {
    pub(super) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    pub(super) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub(super) fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            json!({"error": {"code": code, "message": message, "innerError": {"request-id": "00000000-0000-0000-0000-000000000000"}}}),
        )
    }

    pub(super) fn not_found(what: &str, id: &str) -> Reply {
        Reply::error(
            404,
            "ResourceNotFound",
            &format!("{what} {id} was not found"),
        )
    }
}

fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub(super) async fn serve(
    AxumState(inner): AxumState<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if take_one(&mut lock(&inner.faults).oversized_next) {
        return oversized();
    }
    if login::is_login_path(uri.path()) {
        return login::serve(&inner, method.as_str(), uri.path(), &body);
    }
    let url = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_string(), |pq| pq.as_str().to_string());
    let latency = lock(&inner.faults).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    lifecycle::advance(&inner);
    let reply = inner.top_level(method.as_str(), &url, &headers, &body);
    lock(&inner.log).push(Exchange {
        method: method.to_string(),
        url,
        status: reply.status,
        in_batch: false,
    });
    if *inner.gate.borrow() {
        inner.held.fetch_add(1, Ordering::SeqCst);
        let _ = inner.gate.subscribe().wait_for(|held| !held).await;
    }
    to_response(reply)
}

/// Counts one down; `true` when there was one to take.
fn take_one(count: &mut u32) -> bool {
    let had = *count > 0;
    *count = count.saturating_sub(1);
    had
}

/// A 200 whose JSON body (`{"value":[],"padding":"xxx…"}`) is one byte longer than the
/// client's limit, in 64 KiB chunks and without a `Content-Length`, so only counting what
/// arrives can stop it.
fn oversized() -> Response {
    let total = crate::limits::GRAPH_RESPONSE.bytes as usize + 1;
    let (head, tail) = (&b"{\"value\":[],\"padding\":\""[..], &b"\"}"[..]);
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    let mut padding = total - head.len() - tail.len();
    let mut chunks = vec![Bytes::from_static(head)];
    while padding > 0 {
        let n = padding.min(chunk.len());
        chunks.push(chunk.slice(..n));
        padding -= n;
    }
    chunks.push(Bytes::from_static(tail));
    let stream =
        futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::convert::Infallible>));
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn to_response(reply: Reply) -> Response {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (k, v) in &reply.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let body = match reply.body {
        Some(value) => {
            builder = builder.header("content-type", "application/json");
            Body::from(serde_json::to_vec(&value).unwrap_or_default())
        }
        None => Body::empty(),
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn parse_body(bytes: &[u8]) -> Result<Option<Value>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|e| format!("body is not JSON: {e}"))
}

impl Inner {
    fn violate(&self, method: &str, url: &str, why: &str) -> Reply {
        lock(&self.violations).push(format!("{method} {url}: {why}"));
        Reply::error(400, "BadRequest", &format!("schema violation: {why}"))
    }

    fn top_level(&self, method: &str, url: &str, headers: &HeaderMap, body: &[u8]) -> Reply {
        let bearer = header_value(headers, "authorization")
            .and_then(|a| a.strip_prefix("Bearer ").map(|t| t.trim().to_string()))
            .filter(|t| !t.is_empty());
        let faults = lock(&self.faults).clone();
        let refused = match &bearer {
            None => Some("Access token is empty or invalid."),
            Some(_) if faults.reject_auth => Some("Access token is empty or invalid."),
            Some(token) if faults.rejected_tokens.contains(token) => {
                Some("Access token has been revoked.")
            }
            Some(token) => self.login.bearer_problem(token, self.clock.now()),
        };
        if let Some(message) = refused {
            return Reply::error(401, "InvalidAuthenticationToken", message);
        }
        if !url.starts_with("/beta/") {
            return self.violate(method, url, "path must start with the /beta base");
        }
        let body = match parse_body(body) {
            Ok(body) => body,
            Err(why) => return self.violate(method, url, &why),
        };
        let matched = match self.schema.check(method, url, body.as_ref()) {
            Ok(m) => m,
            Err(v) => return self.violate(method, url, &v.0),
        };
        if matched.template == "/$batch" {
            return self.batch(body.unwrap_or(Value::Null));
        }
        self.with_faults(method, &matched, body)
    }

    fn batch(&self, body: Value) -> Reply {
        let requests = body["requests"].as_array().cloned().unwrap_or_default();
        let mut statuses: HashMap<String, u16> = HashMap::new();
        let mut responses = Vec::new();
        for request in requests {
            let id = request["id"].as_str().unwrap_or_default().to_string();
            let method = request["method"]
                .as_str()
                .unwrap_or_default()
                .to_uppercase();
            let url = request["url"].as_str().unwrap_or_default().to_string();
            let inner_body = request.get("body").cloned();
            let failed_dependency = request["dependsOn"].as_array().is_some_and(|deps| {
                deps.iter()
                    .filter_map(Value::as_str)
                    .any(|d| statuses.get(&d.to_lowercase()).is_none_or(|s| *s >= 400))
            });
            let reply = if failed_dependency {
                Reply::error(
                    424,
                    "FailedDependency",
                    "a request this one depends on failed",
                )
            } else {
                match self.schema.check(&method, &url, inner_body.as_ref()) {
                    Err(v) => self.violate(&method, &url, &format!("in $batch: {}", v.0)),
                    Ok(matched) => self.with_faults(&method, &matched, inner_body),
                }
            };
            lock(&self.log).push(Exchange {
                method: method.clone(),
                url: url.clone(),
                status: reply.status,
                in_batch: true,
            });
            statuses.insert(id.to_lowercase(), reply.status);
            let mut headers: Map<String, Value> = reply
                .headers
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            if reply.body.is_some() {
                headers.insert("Content-Type".into(), json!("application/json"));
            }
            let mut entry = json!({"id": id, "status": reply.status, "headers": headers});
            if let Some(body) = reply.body {
                entry["body"] = body;
            }
            responses.push(entry);
        }
        Reply::json(200, json!({"responses": responses}))
    }

    /// Injected faults and budgets, then the request itself.
    fn with_faults(&self, method: &str, matched: &Matched, body: Option<Value>) -> Reply {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let retry = |mut reply: Reply, after: Option<u64>| {
            if let Some(s) = after {
                reply.headers.push(("Retry-After".into(), s.to_string()));
            }
            reply
        };
        {
            let mut faults = lock(&self.faults);
            let after = faults.retry_after;
            if faults.unavailable_next > 0 {
                faults.unavailable_next -= 1;
                return retry(
                    Reply::error(
                        503,
                        "ServiceUnavailable",
                        "The service is temporarily unavailable.",
                    ),
                    after,
                );
            }
            let every = faults
                .throttle_every
                .is_some_and(|k| k > 0 && n.is_multiple_of(u64::from(k)));
            if faults.throttle_next > 0 || every {
                faults.throttle_next =
                    faults
                        .throttle_next
                        .saturating_sub(if every { 0 } else { 1 });
                return retry(
                    Reply::error(429, "TooManyRequests", "Too many requests."),
                    after,
                );
            }
            if faults.budgets {
                if let Some(service) = Service::of(&matched.template) {
                    if let Some(wait) = self.spend(service, method != "GET") {
                        return retry(
                            Reply::error(429, "TooManyRequests", "Too many requests."),
                            Some(wait),
                        );
                    }
                }
            }
        }
        self.execute(method, matched, body)
    }
}
