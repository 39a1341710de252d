//! Errors as the UI sees them: `{code, message, remedy}`. A code exists only where the UI acts
//! on it; the remedy is the core's next step as data (sign in again, add a printer named X),
//! which the UI offers as a button to the screen where it is taken. Each core error becomes one
//! here, by its type (never by its text).
//!
//! Layout: this file holds [`ApiError`] and its constructors; `from_core` turns each core error
//! into one.

use std::fmt::Display;

use serde::Serialize;
use stagebench_core::remedy::{HasRemedy, Remedy};

mod from_core;

/// An error returned by a command.
#[derive(Debug, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct ApiError {
    /// `invalid-input`: the technician can fix the input; `sign-in-needed`: sign in on the Tenant
    /// screen first; `offline`: Graph or the sign-in service is unreachable, try again later;
    /// `token-unusable`: the profile's token expired, was revoked or can't be shown;
    /// `label-blocked`: a guard refused the label (Print and Reveal are off); `does-not-fit`:
    /// the code needs a bigger label; `untrusted-signer`: a report's signing key is not trusted
    /// for its batch (the remedy carries its fingerprint, to accept); `internal`: anything else.
    pub code: &'static str,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// The next step as data, when the core named one: the UI offers it as a button. Left out
    /// when there is none, so such an error stays `{code, message}` on the wire.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub remedy: Option<Remedy>,
}

impl ApiError {
    fn new(code: &'static str, message: impl ToString) -> ApiError {
        ApiError {
            code,
            message: message.to_string(),
            remedy: None,
        }
    }

    /// `e` under `code`, with its message and the remedy it names.
    pub fn of(code: &'static str, e: &(impl Display + HasRemedy + ?Sized)) -> ApiError {
        ApiError {
            remedy: e.remedy(),
            ..ApiError::new(code, e)
        }
    }
}

/// An error the technician can fix in the input.
pub fn invalid(message: impl ToString) -> ApiError {
    ApiError::new("invalid-input", message)
}

/// Anything else.
pub fn internal(message: impl ToString) -> ApiError {
    ApiError::new("internal", message)
}

/// A core message as a sentence the UI shows: its first letter upper-case, a full stop at the end.
pub fn sentence(message: impl ToString) -> String {
    let message = message.to_string();
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
