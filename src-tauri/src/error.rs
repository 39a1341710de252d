//! Errors as the UI sees them: `{code, message, remedy}`. A code exists only where the UI acts
//! on it; the remedy is the core's next step as data (sign in again, add a printer named X),
//! which the UI offers as a button to the screen where it is taken. Each core error becomes one
//! here, by its type (never by its text).

use std::fmt::Display;

use serde::Serialize;
use stagebench_core::batch::exchange::ExchangeError;
use stagebench_core::bench::ActionError;
use stagebench_core::enrollment_qr::EnrollmentQrError;
use stagebench_core::intune::graph::GraphError;
use stagebench_core::intune::service::TenantError;
use stagebench_core::intune::SignInError;
use stagebench_core::label::{LabelError, LabelRequestError};
use stagebench_core::remedy::{HasRemedy, Remedy};
use stagebench_core::scanner::into_batch::AddHeldError;
use stagebench_core::scanner::ScannerSettingsError;
use stagebench_core::store::{BatchStoreError, PrintJobError, SlotError, StoreError};

/// An error returned by a command.
#[derive(Debug, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct ApiError {
    /// `invalid-input`: the technician can fix the input; `sign-in-needed`: sign in on the Tenant
    /// screen first; `offline`: Graph or the sign-in service is unreachable, try again later;
    /// `token-unusable`: the profile's token expired, was revoked or can't be shown;
    /// `label-blocked`: a guard refused the label (Print and Reveal are off); `does-not-fit`:
    /// the code needs a bigger label; `internal`: anything else.
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

impl From<EnrollmentQrError> for ApiError {
    fn from(e: EnrollmentQrError) -> Self {
        invalid(e)
    }
}

impl From<SlotError> for ApiError {
    fn from(e: SlotError) -> Self {
        ApiError::of("invalid-input", &e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        internal(e)
    }
}

impl From<BatchStoreError> for ApiError {
    fn from(e: BatchStoreError) -> Self {
        match e {
            BatchStoreError::Store(e) => ApiError::from(e),
            e => ApiError::of("invalid-input", &e),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> Self {
        use stagebench_core::intune::state::TenantProblem;
        let code = match e {
            SignInError::Config(_) => "invalid-input",
            SignInError::Network { .. } => "offline",
            SignInError::NotSignedIn | SignInError::SignInAgain { .. } => "sign-in-needed",
            SignInError::Incomplete(_) | SignInError::Keyring { .. } => "internal",
        };
        let problem = TenantProblem::of_auth(&e);
        ApiError {
            remedy: problem.remedy,
            ..ApiError::new(code, format!("{} {}", problem.message, problem.next_step))
        }
    }
}

impl From<GraphError> for ApiError {
    fn from(e: GraphError) -> Self {
        use stagebench_core::intune::state::sync_error;
        use stagebench_core::intune::sync::SyncError;
        let message = e.to_string();
        let remedy = e.remedy();
        let code = match &e {
            GraphError::Invalid { .. } => "invalid-input",
            _ => match sync_error(e) {
                SyncError::Offline(_) => "offline",
                SyncError::Auth(auth) => return ApiError::from(auth),
                _ => "internal",
            },
        };
        ApiError {
            remedy,
            ..ApiError::new(code, message)
        }
    }
}

impl From<TenantError> for ApiError {
    fn from(e: TenantError) -> Self {
        match e {
            TenantError::Auth(e) => e.into(),
            TenantError::Store(e) => e.into(),
            TenantError::Graph(e) => e.into(),
        }
    }
}

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> Self {
        let code = match &e {
            ExchangeError::Pack { .. }
            | ExchangeError::Report { .. }
            | ExchangeError::Io { .. }
            | ExchangeError::Batch(_) => "invalid-input",
            ExchangeError::TokenUnusable(_) | ExchangeError::NoQr(_) => "token-unusable",
            ExchangeError::Sync(_) => "offline",
            _ => "internal",
        };
        ApiError::of(code, &e)
    }
}

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Store(e) => e.into(),
            e => invalid(sentence(e)),
        }
    }
}

impl From<AddHeldError> for ApiError {
    fn from(e: AddHeldError) -> Self {
        match e {
            AddHeldError::Batch(e) => e.into(),
            e => invalid(sentence(e)),
        }
    }
}

impl From<ScannerSettingsError> for ApiError {
    fn from(e: ScannerSettingsError) -> Self {
        match e {
            ScannerSettingsError::Baud(_) | ScannerSettingsError::Port(_) => invalid(e),
            e => internal(e),
        }
    }
}

impl From<PrintJobError> for ApiError {
    fn from(e: PrintJobError) -> Self {
        match e {
            PrintJobError::Store(e) => e.into(),
            e => ApiError::of("invalid-input", &e),
        }
    }
}

impl From<LabelRequestError> for ApiError {
    fn from(e: LabelRequestError) -> Self {
        let code = match &e {
            LabelRequestError::Label(
                LabelError::TokenBlocked { .. } | LabelError::WifiCredentialsRefused { .. },
            ) => "label-blocked",
            LabelRequestError::Label(LabelError::DoesNotFit(_)) => "does-not-fit",
            LabelRequestError::Exchange(ExchangeError::TokenUnusable(_)) => "label-blocked",
            LabelRequestError::Store(_) | LabelRequestError::Keyring(_) => "internal",
            _ => "invalid-input",
        };
        match e {
            LabelRequestError::Queue(q) => q.into(),
            e => ApiError::of(code, &e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn graph_and_sign_in_errors_get_the_codes_the_ui_acts_on() {
        let offline = ApiError::from(GraphError::Network {
            what: "w".into(),
            reason: "refused".into(),
            attempts: 4,
        });
        assert_eq!(offline.code, "offline");
        let login_down = GraphError::Auth {
            what: "w".into(),
            source: Arc::new(SignInError::Network {
                url: "u".into(),
                reason: "r".into(),
            }),
        };
        assert_eq!(
            ApiError::from(login_down).code,
            "offline",
            "an unreachable sign-in service is offline too"
        );
        let refused = ApiError::from(GraphError::auth(
            "w",
            SignInError::SignInAgain {
                account: "tech@contoso.com".into(),
                reason: "invalid_grant".into(),
            },
        ));
        assert_eq!(refused.code, "sign-in-needed");
        assert!(
            refused.message.contains("Tenant screen")
                && !refused.message.contains("stagebench login"),
            "{}",
            refused.message
        );
        assert_eq!(
            refused.remedy,
            Some(Remedy::SignInAgain {
                account: "tech@contoso.com".into()
            }),
            "the UI offers the sign-in as a button"
        );
        assert_eq!(
            serde_json::to_value(ApiError::from(SignInError::NotSignedIn)).unwrap()["remedy"],
            serde_json::json!({"step": "sign-in"})
        );
        let taken = ApiError::from(SlotError::NumberTaken {
            number: 5,
            port_path: "1-4.2".into(),
        });
        assert_eq!(
            (taken.code, taken.remedy),
            ("invalid-input", Some(Remedy::FreeSlot { number: 5 }))
        );
        let limit = ApiError::from(GraphError::Invalid {
            what: "a new token".into(),
            reason: "at most 90 days".into(),
        });
        assert_eq!(
            (limit.code, limit.message.as_str()),
            ("invalid-input", "a new token: at most 90 days")
        );
        assert_eq!(
            ApiError::from(SignInError::Config("bad tenant".into())).code,
            "invalid-input"
        );
        assert_eq!(
            ApiError::from(TenantError::Auth(SignInError::NotSignedIn)).code,
            "sign-in-needed"
        );
    }

    #[test]
    fn guard_refusals_and_misfits_get_the_codes_the_labels_screen_acts_on() {
        let blocked = ApiError::from(LabelRequestError::Label(LabelError::TokenBlocked {
            batch: "W".into(),
            reason: "expired".into(),
        }));
        assert_eq!(blocked.code, "label-blocked");
        assert!(blocked.message.contains("expired"), "{}", blocked.message);
        assert_eq!(
            ApiError::from(LabelRequestError::NoSerials).code,
            "invalid-input"
        );
        let unknown = ApiError::from(LabelRequestError::UnknownPrinter("z".into()));
        assert_eq!(
            (unknown.code, unknown.remedy),
            ("invalid-input", Some(Remedy::PickPrinter))
        );
        let action = ApiError::from(ActionError::NotOnBench);
        assert_eq!(
            (action.code, action.message.as_str()),
            (
                "invalid-input",
                "That device is no longer on the bench: plug it back in first."
            )
        );
        assert_eq!(
            ApiError::from(AddHeldError::Closed {
                name: "Wave 1".into()
            })
            .message,
            "Batch “Wave 1” is closed: devices can no longer join it."
        );
    }
}
