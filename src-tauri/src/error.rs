//! Errors as the UI sees them: `{code, message}`. A code exists only where the UI acts on it.

use serde::Serialize;
use stagebench_core::enrollment_qr::EnrollmentQrError;

/// An error returned by a command.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ApiError {
    /// `invalid-input`: the technician can fix the input; `internal`: anything else.
    pub code: &'static str,
    /// What went wrong and what to do, for people.
    pub message: String,
}

impl From<EnrollmentQrError> for ApiError {
    fn from(e: EnrollmentQrError) -> Self {
        ApiError { code: "invalid-input", message: e.to_string() }
    }
}

impl From<stagebench_core::store::SlotError> for ApiError {
    fn from(e: stagebench_core::store::SlotError) -> Self {
        ApiError { code: "invalid-input", message: e.to_string() }
    }
}

impl From<stagebench_core::store::StoreError> for ApiError {
    fn from(e: stagebench_core::store::StoreError) -> Self {
        ApiError { code: "internal", message: e.to_string() }
    }
}
