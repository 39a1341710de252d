//! `$batch` (reference §3.5): at most 20 requests with ids unique case-insensitively, relative
//! URLs, `headers` with Content-Type when there is a body; the answer is 200 with the inner
//! answers in any order, and each inner request is throttled on its own (inner 429, with or
//! without `Retry-After`).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::error::GraphError;
use super::request::{GraphRequest, GraphResponse, HttpMethod};
use super::send::{rejected_twice, Answer};
use super::{lock, GraphClient};
use crate::intune::backoff::{classify, Outcome, RequestKind, RetryAfter, Service};

/// Graph's limit of requests in one `$batch`.
pub const BATCH_MAX: usize = 20;

/// `$batch`es in flight at once: enough to hide a slow tenant's latency, few enough to stay
/// polite (the per-service budget still paces every inner request).
pub const BATCHES_IN_FLIGHT: usize = 4;

impl GraphClient {
    /// Sends `requests` in `$batch`es of up to [`BATCH_MAX`], one result per request in the
    /// same order. Inner requests that were throttled or failed for a passing reason (or got no
    /// answer) are resent in the next batch after the longest inner `Retry-After` (or backoff);
    /// the rest are final (an inner 401 too: the envelope's token was accepted). Once the
    /// sign-in fails, later batches are not sent.
    ///
    /// The first `$batch` goes alone (a sign-in that no longer works then costs one request,
    /// not one per batch in flight); after it, up to [`BATCHES_IN_FLIGHT`] are sent at once.
    pub async fn batch(&self, requests: &[GraphRequest]) -> Vec<Result<GraphResponse, GraphError>> {
        let mut results = Vec::with_capacity(requests.len());
        let chunks: Vec<&[GraphRequest]> = requests.chunks(BATCH_MAX).collect();
        let (first, rest) = chunks.split_at(chunks.len().min(1));
        for group in std::iter::once(first).chain(rest.chunks(BATCHES_IN_FLIGHT)) {
            let signed_out = results
                .iter()
                .find_map(|r: &Result<GraphResponse, GraphError>| {
                    r.as_ref().err().filter(|e| e.needs_sign_in())
                })
                .cloned();
            match signed_out {
                Some(error) => {
                    let n: usize = group.iter().map(|c| c.len()).sum();
                    results.extend((0..n).map(|_| Err(error.clone())));
                }
                None => {
                    let answers = futures_util::future::join_all(
                        group.iter().map(|chunk| self.batch_of_20(chunk)),
                    )
                    .await;
                    results.extend(answers.into_iter().flatten());
                }
            }
        }
        results
    }

    async fn batch_of_20(&self, chunk: &[GraphRequest]) -> Vec<Result<GraphResponse, GraphError>> {
        let mut results: Vec<Option<Result<GraphResponse, GraphError>>> =
            chunk.iter().map(|_| None).collect();
        let mut pending: Vec<(usize, String)> = Vec::new();
        for (i, request) in chunk.iter().enumerate() {
            match self.relative(&request.url, &request.describe()) {
                Ok(url) => pending.push((i, url)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        let mut round = 0;
        while !pending.is_empty() {
            round += 1;
            let mut counts: HashMap<Option<Service>, (u32, u32)> = HashMap::new();
            for (i, _) in &pending {
                let count = counts.entry(chunk[*i].service()).or_default();
                match chunk[*i].method.kind() {
                    RequestKind::Read => count.0 += 1,
                    RequestKind::Write => count.1 += 1,
                }
            }
            for (service, (reads, writes)) in counts {
                self.pace(service, reads, writes).await;
            }
            let inner: Vec<Value> = pending
                .iter()
                .map(|(i, url)| inner_request(*i, url, &chunk[*i]))
                .collect();
            let envelope = GraphRequest::new(
                HttpMethod::Post,
                "/$batch",
                format!("a $batch of {} requests", inner.len()),
            )
            .with_body(json!({ "requests": inner }));
            let answers = match self
                .exchange(&envelope, false)
                .await
                .and_then(|r| inner_answers(r, &envelope, self.timer.utc()))
            {
                Ok(answers) => answers,
                Err(error) => {
                    for (i, _) in pending.drain(..) {
                        results[i] = Some(Err(error.clone()));
                    }
                    break;
                }
            };
            let mut again = Vec::new();
            let mut longest: Option<RetryAfter> = None;
            let mut last_status = 0;
            for (i, url) in pending {
                let request = &chunk[i];
                let Some(answer) = answers.get(&(i + 1).to_string()) else {
                    again.push((i, url));
                    continue;
                };
                match classify(answer.status) {
                    Outcome::Success => {
                        results[i] = Some(Ok(GraphResponse {
                            status: answer.status,
                            body: answer.body.clone(),
                        }))
                    }
                    Outcome::Retry => {
                        last_status = answer.status;
                        longest = match (longest, answer.retry_after) {
                            (Some(RetryAfter(a)), Some(RetryAfter(b))) => {
                                Some(RetryAfter(a.max(b)))
                            }
                            (a, b) => a.or(b),
                        };
                        again.push((i, url));
                    }
                    Outcome::Reauthenticate => {
                        results[i] = Some(Err(rejected_twice(&request.describe())))
                    }
                    Outcome::Fail => {
                        results[i] = Some(Err(GraphError::from_answer(
                            answer.status,
                            answer.body.as_ref(),
                            request,
                        )))
                    }
                }
            }
            if again.is_empty() {
                break;
            }
            let services: Vec<Option<Service>> =
                again.iter().map(|(i, _)| chunk[*i].service()).collect();
            let delay = self
                .policy
                .next_delay(round, longest, &mut *lock(&self.rng));
            let Some(delay) = delay else {
                for (i, _) in again {
                    results[i] = Some(Err(GraphError::Busy {
                        what: chunk[i].describe(),
                        status: last_status,
                        attempts: round,
                    }));
                }
                break;
            };
            for service in services {
                self.hold(service, delay);
            }
            tracing::debug!(
                again = again.len(),
                ?delay,
                round,
                "inner $batch requests busy; retrying them"
            );
            self.timer.sleep(delay).await;
            pending = again;
        }
        results
            .into_iter()
            .zip(chunk)
            .map(|(result, request)| {
                result.unwrap_or_else(|| {
                    Err(GraphError::BadAnswer {
                        what: request.describe(),
                        reason: "no answer in the $batch".into(),
                    })
                })
            })
            .collect()
    }
}

/// One inner request of a `$batch` body (`id` is the 1-based position in the chunk).
fn inner_request(index: usize, url: &str, request: &GraphRequest) -> Value {
    let mut inner =
        json!({"id": (index + 1).to_string(), "method": request.method.as_str(), "url": url});
    let mut headers = Map::new();
    if let Some(body) = &request.body {
        headers.insert("Content-Type".into(), json!("application/json"));
        inner["body"] = body.clone();
    }
    if let Some(id) = &request.client_request_id {
        headers.insert("client-request-id".into(), json!(id));
    }
    if !headers.is_empty() {
        inner["headers"] = Value::Object(headers);
    }
    inner
}

/// The inner answers of a `$batch` response, by id.
fn inner_answers(
    response: GraphResponse,
    envelope: &GraphRequest,
    now: time::OffsetDateTime,
) -> Result<HashMap<String, Answer>, GraphError> {
    let bad = |reason: &str| GraphError::BadAnswer {
        what: envelope.describe(),
        reason: reason.to_owned(),
    };
    let body = response.body.ok_or_else(|| bad("no JSON body"))?;
    let responses = body
        .get("responses")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `responses` array"))?;
    let mut answers = HashMap::new();
    for answer in responses {
        let (Some(id), Some(status)) = (
            answer.get("id").and_then(Value::as_str),
            answer
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok()),
        ) else {
            continue;
        };
        let retry_after = answer
            .get("headers")
            .and_then(Value::as_object)
            .and_then(|h| {
                h.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
            })
            .and_then(|(_, v)| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .and_then(|v| RetryAfter::parse(&v, now));
        answers.insert(
            id.to_lowercase(),
            Answer {
                status,
                retry_after,
                body: answer.get("body").cloned(),
            },
        );
    }
    Ok(answers)
}
