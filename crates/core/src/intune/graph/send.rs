//! The one executor every Graph call goes through ([`GraphClient::send`]; `$batch`, in
//! `batch.rs`, builds on it) and paged lists ([`GraphClient::get_all`]).
//!
//! Facts (reference §3.6): 429 and 503 (and 502/504, [`classify`]) are passing, with or without
//! `Retry-After`; a 401 means the access token is expired or revoked.

use std::time::Duration;

use rand::Rng;
use serde_json::Value;

use super::error::GraphError;
use super::request::{GraphRequest, GraphResponse};
use super::{lock, GraphClient};
use crate::intune::backoff::{classify, GraphService, Outcome, RequestKind, RetryAfter};
use crate::intune::SignInError;
use crate::limits::{self, BodyError};
use crate::secret::SecretText;

/// Pages followed for one list before giving up (a next link that never ends).
const MAX_PAGES: usize = 1000;

/// Why one exchange gave no answer.
enum NoAnswer {
    /// Timeout, connection or broken body: worth retrying.
    Transport(String),
    /// The body was larger than [`limits::GRAPH_RESPONSE`]: sending again would get the same.
    TooLarge(limits::InputError),
}

/// One answer off the wire.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) retry_after: Option<RetryAfter>,
    pub(super) body: Option<Value>,
}

impl GraphClient {
    /// Sends one request: paced by its service's budget, retried on passing faults, re-signed
    /// once on a 401 (see the module docs). A non-2xx final answer is an error.
    pub async fn send(&self, request: &GraphRequest) -> Result<GraphResponse, GraphError> {
        self.exchange(request, true).await
    }

    /// `exchange` with or without taking from the budget (a `$batch` envelope is not counted:
    /// its inner requests are, before it is sent).
    pub(super) async fn exchange(
        &self,
        request: &GraphRequest,
        budgeted: bool,
    ) -> Result<GraphResponse, GraphError> {
        let what = request.describe();
        let url = self.absolute(&request.url, &what)?;
        let service = request.service();
        let (reads, writes) = match request.method.kind() {
            RequestKind::Read => (1, 0),
            RequestKind::Write => (0, 1),
        };
        let mut attempt = 0;
        let mut signed_in_again = false;
        loop {
            if budgeted {
                self.pace(service, reads, writes).await;
            }
            attempt += 1;
            let token = self
                .tokens
                .access_token()
                .await
                .map_err(|e| GraphError::auth(&what, e))?;
            let answer = match self.transmit(request, &url, &token, &what).await {
                Ok(answer) => answer,
                Err(NoAnswer::TooLarge(source)) => {
                    return Err(GraphError::TooLarge { what, source })
                }
                Err(NoAnswer::Transport(reason)) => match self.backoff(attempt, None, service) {
                    Some(delay) => {
                        tracing::debug!(%what, %reason, ?delay, attempt, "Graph unreachable; retrying");
                        self.timer.sleep(delay).await;
                        continue;
                    }
                    None => {
                        return Err(GraphError::Network {
                            what,
                            reason,
                            attempts: attempt,
                        })
                    }
                },
            };
            match classify(answer.status) {
                Outcome::Success => {
                    return Ok(GraphResponse {
                        status: answer.status,
                        body: answer.body,
                    })
                }
                Outcome::Reauthenticate => {
                    self.tokens.rejected(&token);
                    if signed_in_again {
                        return Err(rejected_twice(&what));
                    }
                    tracing::debug!(%what, "Graph answered 401; retrying once with a fresh token");
                    signed_in_again = true;
                }
                Outcome::Retry => match self.backoff(attempt, answer.retry_after, service) {
                    Some(delay) => {
                        tracing::debug!(%what, status = answer.status, ?delay, attempt, "Graph busy; retrying");
                        self.timer.sleep(delay).await;
                    }
                    None => {
                        return Err(GraphError::Busy {
                            what,
                            status: answer.status,
                            attempts: attempt,
                        })
                    }
                },
                Outcome::Fail => {
                    return Err(GraphError::from_answer(
                        answer.status,
                        answer.body.as_ref(),
                        request,
                    ))
                }
            }
        }
    }

    /// GETs `first` and every `@odata.nextLink` after it; the items of every page's `value`.
    pub async fn get_all(&self, first: GraphRequest) -> Result<Vec<Value>, GraphError> {
        let mut items = Vec::new();
        let mut request = first;
        for _ in 0..MAX_PAGES {
            let answer = self.send(&request).await?;
            let (page, next) = page_of(answer.body, &request)?;
            items.extend(page);
            if items.len() > limits::GRAPH_LIST_ITEMS {
                return Err(GraphError::BadAnswer {
                    what: request.describe(),
                    reason: format!(
                        "the list has more than {} items, the most the bench reads at once",
                        limits::GRAPH_LIST_ITEMS
                    ),
                });
            }
            match next {
                Some(next) => request.url = next,
                None => return Ok(items),
            }
        }
        Err(GraphError::BadAnswer {
            what: request.describe(),
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// Waits until the service's budget has room for `reads` and `writes` (both at once) and
    /// any hold set by a 429 has passed, then takes them.
    pub(super) async fn pace(&self, service: Option<GraphService>, reads: u32, writes: u32) {
        let Some(service) = service else { return };
        loop {
            let wait = {
                let now = self.timer.now();
                let mut pacing = lock(&self.pacing);
                let held = pacing
                    .holds
                    .get(&service)
                    .map(|until| until.saturating_duration_since(now))
                    .filter(|d| !d.is_zero());
                match held {
                    Some(wait) => Err(wait),
                    None => {
                        let budget = pacing
                            .budgets
                            .entry(service)
                            .or_insert_with(|| crate::intune::backoff::Budget::new(service));
                        let mut trial = budget.clone();
                        let taken = trial
                            .try_take_n(RequestKind::Write, writes, now)
                            .and_then(|()| trial.try_take_n(RequestKind::Read, reads, now));
                        if taken.is_ok() {
                            *budget = trial;
                        }
                        taken
                    }
                }
            };
            match wait {
                Ok(()) => return,
                // More than the whole budget: never fits; send and let Graph judge.
                Err(wait) if wait == Duration::MAX => return,
                Err(wait) => self.timer.sleep(wait).await,
            }
        }
    }

    /// The wait before attempt `attempt + 1`, holding the service meanwhile; `None` when the
    /// attempts are used up.
    fn backoff(
        &self,
        attempt: u32,
        retry_after: Option<RetryAfter>,
        service: Option<GraphService>,
    ) -> Option<Duration> {
        let delay = self
            .policy
            .next_delay(attempt, retry_after, &mut *lock(&self.rng))?;
        self.hold(service, delay);
        Some(delay)
    }

    /// No request to `service` for `delay` (Graph throttles per service, so one 429 says the
    /// others would get one too).
    pub(super) fn hold(&self, service: Option<GraphService>, delay: Duration) {
        let Some(service) = service else { return };
        let Some(until) = self.timer.now().checked_add(delay) else {
            return;
        };
        let mut pacing = lock(&self.pacing);
        let hold = pacing.holds.entry(service).or_insert(until);
        *hold = (*hold).max(until);
    }

    /// One HTTP exchange (`what` names it), its body read within [`limits::GRAPH_RESPONSE`].
    async fn transmit(
        &self,
        request: &GraphRequest,
        url: &str,
        token: &SecretText,
        what: &str,
    ) -> Result<Answer, NoAnswer> {
        let request_id = request
            .client_request_id
            .clone()
            .unwrap_or_else(|| self.request_id());
        let mut builder = self
            .http
            .request(request.method.reqwest(), url)
            .bearer_auth(token.expose())
            .header("client-request-id", request_id)
            .header("accept", "application/json");
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| NoAnswer::Transport(transport(e)))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| RetryAfter::parse(v, self.timer.utc()));
        let from = format!("for {what}");
        let bytes = limits::read_body(response, &limits::GRAPH_RESPONSE, &from)
            .await
            .map_err(|e| match e {
                BodyError::Transport(e) => NoAnswer::Transport(transport(e)),
                BodyError::TooLarge(e) => NoAnswer::TooLarge(e),
            })?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// A fresh `client-request-id` (a random version-4 GUID).
    fn request_id(&self) -> String {
        let n: u128 = lock(&self.rng).gen();
        let n = (n & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
        let hex = format!("{n:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }

    /// The URL to call: the base plus a relative URL, or a next link under the same base (the
    /// bearer token never goes anywhere else).
    fn absolute(&self, url: &str, what: &str) -> Result<String, GraphError> {
        if url.starts_with('/') {
            Ok(format!("{}{url}", self.base))
        } else {
            self.relative(url, what)
                .map(|relative| format!("{}{relative}", self.base))
        }
    }

    /// The URL relative to the base, as `$batch` wants it.
    pub(super) fn relative(&self, url: &str, what: &str) -> Result<String, GraphError> {
        if url.starts_with('/') {
            return Ok(url.to_owned());
        }
        match url.strip_prefix(&self.base) {
            Some(rest) if rest.starts_with('/') => Ok(rest.to_owned()),
            _ => Err(GraphError::BadAnswer {
                what: what.to_owned(),
                reason: format!(
                    "refusing to follow `{url}`: it is not under the Graph base {}",
                    self.base
                ),
            }),
        }
    }
}

/// A second 401, with a fresh token: the sign-in itself is no longer accepted.
pub(super) fn rejected_twice(what: &str) -> GraphError {
    GraphError::auth(
        what,
        SignInError::SignInAgain {
            account: "the signed-in account".into(),
            reason: "Graph answered 401 to a freshly issued access token".into(),
        },
    )
}

/// A transport failure in words, without the URL's query (it may carry serials) or headers.
fn transport(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        return format!(
            "timed out after {} s",
            crate::intune::HTTP_TIMEOUT.as_secs()
        );
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A collection page: its `value` items and its `@odata.nextLink`.
pub(super) fn page_of(
    body: Option<Value>,
    request: &GraphRequest,
) -> Result<(Vec<Value>, Option<String>), GraphError> {
    let Some(Value::Object(mut page)) = body else {
        return Err(GraphError::BadAnswer {
            what: request.describe(),
            reason: "a list answer without a JSON object".into(),
        });
    };
    let items = match page.remove("value") {
        Some(Value::Array(items)) => items,
        _ => {
            return Err(GraphError::BadAnswer {
                what: request.describe(),
                reason: "a list answer without a `value` array".into(),
            })
        }
    };
    let next = page
        .remove("@odata.nextLink")
        .and_then(|v| v.as_str().map(str::to_owned));
    Ok((items, next))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::intune::{Endpoints, StaticToken};

    fn client() -> GraphClient {
        let tokens = Arc::new(StaticToken(SecretText::new("t")));
        GraphClient::new(&Endpoints::default(), tokens)
            .unwrap()
            .with_seed(1)
    }

    #[test]
    fn request_ids_are_version_4_guids() {
        let client = client();
        let id = client.request_id();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12],
            "{id}"
        );
        assert!(parts[2].starts_with('4'), "{id}");
        assert!(
            matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "{id}"
        );
        assert_ne!(id, client.request_id());
    }

    #[test]
    fn next_links_outside_the_base_are_refused() {
        let client = client();
        assert_eq!(
            client
                .absolute(
                    "https://graph.microsoft.com/beta/deviceManagement/managedDevices?$skiptoken=2",
                    "x"
                )
                .unwrap(),
            "https://graph.microsoft.com/beta/deviceManagement/managedDevices?$skiptoken=2"
        );
        assert_eq!(
            client
                .relative("https://graph.microsoft.com/beta/x", "x")
                .unwrap(),
            "/x"
        );
        for foreign in [
            "https://evil.example/beta/x",
            "https://graph.microsoft.com/betax/y",
            "https://graph.microsoft.com/v1.0/x",
        ] {
            assert!(
                matches!(
                    client.absolute(foreign, "x"),
                    Err(GraphError::BadAnswer { .. })
                ),
                "{foreign}"
            );
        }
    }
}
