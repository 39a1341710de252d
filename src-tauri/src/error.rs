//! Errors as the UI sees them: `{code, message}`. A code exists only where the UI acts on it.

use serde::Serialize;
use stagebench_core::enrollment_qr::EnrollmentQrError;

/// An error returned by a command.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ApiError {
    /// `invalid-input`: the technician can fix the input; `sign-in-needed`: sign in on the Tenant
    /// screen first; `offline`: Graph or the sign-in service is unreachable, try again later;
    /// `token-unusable`: the profile's token expired, was revoked or can't be shown; `internal`:
    /// anything else.
    pub code: &'static str,
    /// What went wrong and what to do, for people.
    pub message: String,
}

impl From<EnrollmentQrError> for ApiError {
    fn from(e: EnrollmentQrError) -> Self {
        ApiError {
            code: "invalid-input",
            message: e.to_string(),
        }
    }
}

impl From<stagebench_core::store::SlotError> for ApiError {
    fn from(e: stagebench_core::store::SlotError) -> Self {
        ApiError {
            code: "invalid-input",
            message: e.to_string(),
        }
    }
}

impl From<stagebench_core::store::StoreError> for ApiError {
    fn from(e: stagebench_core::store::StoreError) -> Self {
        ApiError {
            code: "internal",
            message: e.to_string(),
        }
    }
}

impl From<stagebench_core::store::BatchStoreError> for ApiError {
    fn from(e: stagebench_core::store::BatchStoreError) -> Self {
        use stagebench_core::store::BatchStoreError;
        match e {
            BatchStoreError::Store(e) => ApiError::from(e),
            e => ApiError {
                code: "invalid-input",
                message: e.to_string(),
            },
        }
    }
}

impl From<stagebench_core::intune::AuthError> for ApiError {
    fn from(e: stagebench_core::intune::AuthError) -> Self {
        use stagebench_core::intune::state::TenantProblem;
        use stagebench_core::intune::AuthError;
        let code = match e {
            AuthError::Config(_) => "invalid-input",
            AuthError::Network { .. } => "offline",
            AuthError::NotSignedIn | AuthError::SignInAgain { .. } => "sign-in-needed",
            AuthError::Incomplete(_) | AuthError::Keyring { .. } => "internal",
        };
        let problem = TenantProblem::of_auth(&e);
        ApiError {
            code,
            message: format!("{} {}", problem.message, problem.next_step),
        }
    }
}

impl From<stagebench_core::intune::graph::GraphError> for ApiError {
    fn from(e: stagebench_core::intune::graph::GraphError) -> Self {
        use stagebench_core::intune::graph::GraphError;
        use stagebench_core::intune::state::sync_error;
        use stagebench_core::intune::sync::SyncError;
        let message = e.to_string();
        let code = match &e {
            GraphError::Invalid { .. } => "invalid-input",
            _ => match sync_error(e) {
                SyncError::Offline(_) => "offline",
                SyncError::Auth(auth) => return ApiError::from(auth),
                _ => "internal",
            },
        };
        ApiError { code, message }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use stagebench_core::intune::graph::GraphError;
    use stagebench_core::intune::AuthError;

    use super::ApiError;

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
            source: Arc::new(AuthError::Network {
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
            AuthError::SignInAgain {
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
        let limit = ApiError::from(GraphError::Invalid {
            what: "a new token".into(),
            reason: "at most 90 days".into(),
        });
        assert_eq!(
            (limit.code, limit.message.as_str()),
            ("invalid-input", "a new token: at most 90 days")
        );
        assert_eq!(
            ApiError::from(AuthError::Config("bad tenant".into())).code,
            "invalid-input"
        );
    }
}
