//! Each core error as the UI sees it: the code the UI acts on (by the error's type, never its
//! text), its message and the remedy it names.

use stagebench_core::batch::exchange::ExchangeError;
use stagebench_core::batch::export_folder::ExportFolderError;
use stagebench_core::bench::{ActionError, DismissError};
use stagebench_core::demo::DemoError;
use stagebench_core::enrollment_qr::EnrollmentQrError;
use stagebench_core::intune::graph::GraphError;
use stagebench_core::intune::service::TenantError;
use stagebench_core::intune::SignInError;
use stagebench_core::label::{LabelError, LabelRequestError};
use stagebench_core::remedy::HasRemedy;
use stagebench_core::scanner::box_label::TieError;
use stagebench_core::scanner::into_batch::AddHeldError;
use stagebench_core::scanner::ScannerSettingsError;
use stagebench_core::store::{BatchStoreError, PrintJobError, SlotError, StoreError};

use super::{internal, invalid, sentence, ApiError};

impl From<EnrollmentQrError> for ApiError {
    fn from(e: EnrollmentQrError) -> Self {
        invalid(e)
    }
}

impl From<ExportFolderError> for ApiError {
    fn from(e: ExportFolderError) -> Self {
        match e {
            ExportFolderError::BadName { .. } => invalid(sentence(e)),
            e => internal(sentence(e)),
        }
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
            SignInError::Config(_) | SignInError::Endpoint(_) => "invalid-input",
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
            | ExchangeError::ReportIdReused { .. }
            | ExchangeError::Io { .. }
            | ExchangeError::Batch(_) => "invalid-input",
            ExchangeError::TokenUnusable(_) | ExchangeError::NoQr(_) => "token-unusable",
            ExchangeError::UntrustedSigner(_) => "untrusted-signer",
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

impl From<DismissError> for ApiError {
    fn from(e: DismissError) -> Self {
        invalid(sentence(e))
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

impl From<TieError> for ApiError {
    fn from(e: TieError) -> Self {
        match e {
            TieError::Store(e) => e.into(),
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
            LabelRequestError::Store(_)
            | LabelRequestError::Keyring(_)
            | LabelRequestError::Seal(_) => "internal",
            _ => "invalid-input",
        };
        match e {
            LabelRequestError::Queue(q) => q.into(),
            e => ApiError::of(code, &e),
        }
    }
}

impl From<DemoError> for ApiError {
    fn from(e: DemoError) -> Self {
        match e {
            DemoError::Refused(_) => invalid(sentence(e)),
            e => internal(sentence(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use stagebench_core::remedy::Remedy;

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
