//! The QR screen's command: a QR from typed-in details.

use stagebench_core::enrollment_qr::{EnrollmentQr, QrRequest, QrView};

use crate::error::ApiError;

/// Builds, checks and encodes an enrollment QR.
#[tauri::command]
pub fn qr_render(request: QrRequest) -> Result<QrView, ApiError> {
    Ok(EnrollmentQr::build(&request)?.view())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: serde_json::Value) -> QrRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn qr_render_returns_the_view_with_secrets_masked_in_the_summary() {
        let view = qr_render(request(serde_json::json!({
            "source": { "kind": "token", "token": "T0K3N" },
            "wifi": { "ssid": "Bench", "security": "WPA", "password": "correct horse", "hidden": false }
        })))
        .unwrap();
        let summary = serde_json::to_string(&view.summary).unwrap();
        assert!(
            !summary.contains("T0K3N") && !summary.contains("correct horse"),
            "{summary}"
        );
        assert_eq!(view.rows.len(), view.facts.modules);
        assert!(view.payload.contains("T0K3N"));
        assert_eq!(
            view.token.as_deref(),
            Some("T0K3N"),
            "the token is there for manual entry"
        );
    }

    #[test]
    fn bad_input_becomes_an_invalid_input_error_without_the_secret() {
        let err = qr_render(request(serde_json::json!({
            "source": { "kind": "token", "token": "T0K3N" },
            "wifi": { "ssid": "Bench", "security": "WPA", "password": "short", "hidden": false }
        })))
        .unwrap_err();
        assert_eq!(err.code, "invalid-input");
        assert!(err.message.contains("WPA"), "{}", err.message);
        assert!(!err.message.contains("short"), "{}", err.message);
    }
}
