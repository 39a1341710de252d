//! `$batch` (reference §3.5): at most 20 requests with ids unique case-insensitively, relative
//! URLs, `headers` with Content-Type when there is a body; the answer is 200 with the inner
//! answers in any order, and each inner request is throttled on its own (inner 429, with or
//! without `Retry-After`).

use std::collections::{HashMap, VecDeque};

use serde_json::{json, Map, Value};

use super::error::GraphError;
use super::request::{GraphRequest, GraphResponse, HttpMethod};
use super::send::{rejected_twice, Answer};
use super::{lock, GraphClient};
use crate::intune::backoff::{classify, GraphService, Outcome, RequestKind, RetryAfter};

/// Graph's limit of requests in one `$batch`.
pub const BATCH_MAX: usize = 20;

/// `$batch`es in flight at once: enough to hide a slow tenant's latency, few enough to stay
/// polite (the per-service budget still paces every inner request).
pub const BATCHES_IN_FLIGHT: usize = 4;

/// How one inner request fared in one `$batch`.
enum Round {
    /// Done: an answer or an error that resending would not change.
    Final(Result<GraphResponse, GraphError>),
    /// Throttled or a passing fault (or no answer): send it again.
    Again {
        status: u16,
        retry_after: Option<RetryAfter>,
    },
}

impl GraphClient {
    /// Sends `requests` in `$batch`es of up to [`BATCH_MAX`], one result per request in the
    /// same order. Inner requests that were throttled or failed for a passing reason (or got no
    /// answer) go back to the front of the queue and ride in the next `$batch`es with the
    /// requests not yet sent, so a throttled request costs no extra HTTP request; meanwhile the
    /// service is held for the longest inner `Retry-After` (or backoff). The rest are final (an
    /// inner 401 too: the envelope's token was accepted). Once the sign-in fails, nothing more
    /// is sent.
    ///
    /// The first `$batch` goes alone (a sign-in that no longer works then costs one request,
    /// not one per batch in flight); after it, up to `BATCHES_IN_FLIGHT` are sent at once.
    pub async fn batch(&self, requests: &[GraphRequest]) -> Vec<Result<GraphResponse, GraphError>> {
        let mut results: Vec<Option<Result<GraphResponse, GraphError>>> =
            requests.iter().map(|_| None).collect();
        let mut attempts = vec![0u32; requests.len()];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for (i, request) in requests.iter().enumerate() {
            match self.relative(&request.url, &request.describe()) {
                Ok(_) => queue.push_back(i),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        let mut first = true;
        while !queue.is_empty() {
            let in_flight = if first { 1 } else { BATCHES_IN_FLIGHT };
            first = false;
            let mut chunks: Vec<Vec<usize>> = Vec::new();
            while chunks.len() < in_flight && !queue.is_empty() {
                let n = queue.len().min(BATCH_MAX);
                chunks.push(queue.drain(..n).collect());
            }
            let rounds = futures_util::future::join_all(
                chunks.iter().map(|chunk| self.batch_round(requests, chunk)),
            )
            .await;
            let mut again: Vec<usize> = Vec::new();
            let mut longest: Option<RetryAfter> = None;
            let mut worst = 0;
            let mut last_status = 0;
            for (i, round) in rounds.into_iter().flatten() {
                match round {
                    Round::Final(result) => results[i] = Some(result),
                    Round::Again {
                        status,
                        retry_after,
                    } => {
                        attempts[i] += 1;
                        worst = worst.max(attempts[i]);
                        last_status = status;
                        longest = match (longest, retry_after) {
                            (Some(RetryAfter(a)), Some(RetryAfter(b))) => {
                                Some(RetryAfter(a.max(b)))
                            }
                            (a, b) => a.or(b),
                        };
                        again.push(i);
                    }
                }
            }
            if let Some(error) = results
                .iter()
                .flatten()
                .find_map(|r| r.as_ref().err().filter(|e| e.needs_sign_in()))
                .cloned()
            {
                for i in queue.drain(..).chain(again) {
                    results[i] = Some(Err(error.clone()));
                }
                break;
            }
            if again.is_empty() {
                continue;
            }
            let Some(delay) = self
                .policy
                .next_delay(worst, longest, &mut *lock(&self.rng))
            else {
                for i in again {
                    results[i] = Some(Err(GraphError::Busy {
                        what: requests[i].describe(),
                        status: last_status,
                        attempts: attempts[i],
                    }));
                }
                continue;
            };
            tracing::debug!(
                again = again.len(),
                ?delay,
                "inner $batch requests busy; resending them"
            );
            let mut unpaced = false;
            for &i in &again {
                match requests[i].service() {
                    Some(service) => self.hold(Some(service), delay),
                    None => unpaced = true,
                }
            }
            if unpaced {
                // No service hold covers these: wait here.
                self.timer.sleep(delay).await;
            }
            for i in again.into_iter().rev() {
                queue.push_front(i);
            }
        }
        results
            .into_iter()
            .zip(requests)
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

    /// Sends `chunk` (indexes into `requests`, at most [`BATCH_MAX`]) as one `$batch`.
    async fn batch_round(&self, requests: &[GraphRequest], chunk: &[usize]) -> Vec<(usize, Round)> {
        let mut counts: HashMap<Option<GraphService>, (u32, u32)> = HashMap::new();
        for &i in chunk {
            let count = counts.entry(requests[i].service()).or_default();
            match requests[i].method.kind() {
                RequestKind::Read => count.0 += 1,
                RequestKind::Write => count.1 += 1,
            }
        }
        for (service, (reads, writes)) in counts {
            self.pace(service, reads, writes).await;
        }
        let mut inner = Vec::with_capacity(chunk.len());
        for (position, &i) in chunk.iter().enumerate() {
            // Checked when queued; relative() is pure.
            let url = self
                .relative(&requests[i].url, &requests[i].describe())
                .unwrap_or_default();
            inner.push(inner_request(position, &url, &requests[i]));
        }
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
                return chunk
                    .iter()
                    .map(|&i| (i, Round::Final(Err(error.clone()))))
                    .collect()
            }
        };
        chunk
            .iter()
            .enumerate()
            .map(|(position, &i)| {
                let request = &requests[i];
                let Some(answer) = answers.get(&(position + 1).to_string()) else {
                    return (
                        i,
                        Round::Again {
                            status: 0,
                            retry_after: None,
                        },
                    );
                };
                let round = match classify(answer.status) {
                    Outcome::Success => Round::Final(Ok(GraphResponse {
                        status: answer.status,
                        body: answer.body.clone(),
                    })),
                    Outcome::Retry => Round::Again {
                        status: answer.status,
                        retry_after: answer.retry_after,
                    },
                    Outcome::Reauthenticate => {
                        Round::Final(Err(rejected_twice(&request.describe())))
                    }
                    Outcome::Fail => Round::Final(Err(GraphError::from_answer(
                        answer.status,
                        answer.body.as_ref(),
                        request,
                    ))),
                };
                (i, round)
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
