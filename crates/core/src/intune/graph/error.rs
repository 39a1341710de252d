//! What went wrong talking to Graph: each cause names the thing (profile, device, serial) and
//! the next step. Messages carry Graph's own error code and message (`{"error": {"code",
//! "message"}}`), never a bearer token, an enrollment token or a Wi-Fi key: request bodies and
//! headers are never quoted.

use std::sync::Arc;

use serde_json::Value;

use super::request::GraphRequest;
use crate::intune::SignInError;
use crate::remedy::{HasRemedy, Remedy};

/// The longest piece of Graph's message kept in an error (they can run to a stack trace).
const MESSAGE_MAX: usize = 300;

/// Why a Graph call did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GraphError {
    /// No usable access token: the sign-in is missing or no longer accepted (Graph said 401
    /// to a fresh token too). The UI asks the technician to sign in again.
    #[error("{what}: {source}")]
    Auth {
        /// The call.
        what: String,
        /// Why.
        source: Arc<SignInError>,
    },
    /// Graph kept answering 429/502/503/504 until the retries ran out.
    #[error("Graph kept refusing {what} as busy (HTTP {status}) for {attempts} attempts; nothing was lost: try again in a few minutes (queued changes are resent by the outbox)")]
    Busy {
        /// The call.
        what: String,
        /// The last status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// Graph could not be reached (timeouts, refused or broken connections) until the retries
    /// ran out.
    #[error("could not reach Microsoft Graph for {what} ({reason}) after {attempts} attempts: check the bench's network or proxy and try again")]
    Network {
        /// The call.
        what: String,
        /// The transport's reason.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
    /// 404: the thing is gone (deleted in Intune, or a wrong id).
    #[error("{what}: not found in Intune ({code}: {message}); it may have been deleted: refresh and pick it again")]
    NotFound {
        /// The call.
        what: String,
        /// Graph's error code.
        code: String,
        /// Graph's message.
        message: String,
    },
    /// 403: the app registration or the signed-in user lacks a permission.
    #[error("{what}: Graph denied access ({code}: {message}); the app registration needs {permission} (with admin consent) and the signed-in user an Intune role that allows it")]
    Forbidden {
        /// The call.
        what: String,
        /// Graph's error code.
        code: String,
        /// Graph's message.
        message: String,
        /// The permission the call needs (reference §3.2).
        permission: &'static str,
    },
    /// Any other refusal (400, 409, 500…): resending the same request fails the same way.
    #[error("{what}: Graph refused it with HTTP {status} ({code}: {message})")]
    Refused {
        /// The call.
        what: String,
        /// The status.
        status: u16,
        /// Graph's error code.
        code: String,
        /// Graph's message.
        message: String,
    },
    /// Graph answered something this client cannot read (or pointed a next link elsewhere).
    #[error(
        "{what}: unexpected answer from Graph ({reason}); if it persists, export a support bundle"
    )]
    BadAnswer {
        /// The call.
        what: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Graph's answer was larger than [`crate::limits::GRAPH_RESPONSE`] (the body was cut
    /// there, not read whole); not retried, since the same request gets the same answer.
    #[error("{source}")]
    TooLarge {
        /// The call.
        what: String,
        /// The limit and what to do.
        source: crate::limits::InputError,
    },
    /// Refused before sending: the input breaks a rule Graph or Intune enforces.
    #[error("{what}: {reason}")]
    Invalid {
        /// The thing.
        what: String,
        /// The rule broken, the limit, and what to do.
        reason: String,
    },
}

impl HasRemedy for GraphError {
    /// The sign-in's remedy when the call needed one; Graph's own refusals name none.
    fn remedy(&self) -> Option<Remedy> {
        match self {
            GraphError::Auth { source, .. } => source.remedy(),
            _ => None,
        }
    }
}

impl GraphError {
    /// An [`SignInError`] while calling `what`.
    pub fn auth(what: &str, error: SignInError) -> GraphError {
        GraphError::Auth {
            what: what.to_owned(),
            source: Arc::new(error),
        }
    }

    /// Whether trying the same call later may succeed (busy or unreachable Graph).
    pub fn retry_later(&self) -> bool {
        matches!(self, GraphError::Busy { .. } | GraphError::Network { .. })
    }

    /// Whether the technician must sign in again before anything else works.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, GraphError::Auth { .. })
    }

    /// The error for a final (not retried) non-success answer to `request`.
    pub(super) fn from_answer(
        status: u16,
        body: Option<&Value>,
        request: &GraphRequest,
    ) -> GraphError {
        let what = request.describe();
        let (code, message) = graph_error(body);
        match status {
            404 => GraphError::NotFound {
                what,
                code,
                message,
            },
            403 => GraphError::Forbidden {
                what,
                code,
                message,
                permission: request.permission(),
            },
            _ => GraphError::Refused {
                what,
                status,
                code,
                message,
            },
        }
    }
}

/// Graph's `{"error": {"code", "message"}}`, with placeholders when absent; the message is
/// cut to [`MESSAGE_MAX`] characters.
fn graph_error(body: Option<&Value>) -> (String, String) {
    let error = body.and_then(|b| b.get("error"));
    let text = |key: &str| {
        error
            .and_then(|e| e.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::trim)
    };
    let code = text("code").unwrap_or("no error code").to_owned();
    let message = text("message").unwrap_or("no message");
    let message = match message.char_indices().nth(MESSAGE_MAX) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    };
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intune::graph::request::HttpMethod;
    use serde_json::json;

    #[test]
    fn refusals_carry_graphs_code_and_the_next_step() {
        let request = GraphRequest::new(
            HttpMethod::Patch,
            "/deviceManagement/managedDevices/d1",
            "notes of managed device d1",
        );
        let body =
            json!({"error": {"code": "Forbidden", "message": "Application is not authorized"}});
        let e = GraphError::from_answer(403, Some(&body), &request);
        let text = e.to_string();
        assert!(
            text.contains("notes of managed device d1")
                && text.contains("Forbidden: Application is not authorized"),
            "{text}"
        );
        assert!(
            text.contains("DeviceManagementManagedDevices.ReadWrite.All"),
            "{text}"
        );
        let e = GraphError::from_answer(404, None, &request);
        assert!(e.to_string().contains("no error code: no message"), "{e}");
        assert!(matches!(
            GraphError::from_answer(400, Some(&json!("x")), &request),
            GraphError::Refused { status: 400, .. }
        ));
        let long = json!({"error": {"code": "X", "message": "é".repeat(400)}});
        let GraphError::Refused { message, .. } =
            GraphError::from_answer(500, Some(&long), &request)
        else {
            panic!()
        };
        assert_eq!(message.chars().count(), MESSAGE_MAX + 1);
    }

    #[test]
    fn auth_errors_ask_for_a_sign_in() {
        let e = GraphError::auth("enrollment profiles", SignInError::NotSignedIn);
        assert!(e.needs_sign_in() && !e.retry_later());
        assert!(e.to_string().contains("sign in first"), "{e}");
        assert_eq!(e.remedy(), Some(Remedy::SignIn));
        assert!(GraphError::Busy {
            what: "x".into(),
            status: 429,
            attempts: 8
        }
        .retry_later());
    }
}
