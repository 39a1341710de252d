//! The Profiles screen's commands: enrollment profiles with their token state, and a token's
//! QR code, reveal, replacement and revocation. Each reads the profile fresh from Graph and
//! checks its token against the clock, so an expired or revoked token is never shown.

use std::time::Duration;

use stagebench_core::audit::AuditAction;
use stagebench_core::enrollment_qr::{EnrollmentQr, QrView};
use stagebench_core::intune::connect::Connection;
use stagebench_core::intune::graph::{EnrollmentProfile, TokenState};
use stagebench_core::intune::view::{profile_view, ProfileView};
use stagebench_core::store::Store;
use tauri::State;
use time::OffsetDateTime;

use crate::batches;
use crate::bench::BenchHub;
use crate::error::ApiError;
use crate::tenant::TenantHub;

/// One profile, token included, read now; the call's outcome tells the hub whether Graph answers.
async fn fetch(hub: &TenantHub, id: &str) -> Result<(Connection, EnrollmentProfile), ApiError> {
    let connection = hub.connection()?;
    let result = connection.client.enrollment_profile(id).await;
    hub.contact(&result);
    Ok((connection, result?))
}

/// Records a QR display, reveal or token action in the bench's audit log (the token by
/// reference only). Showing a secret the log can't record is refused.
fn audit(action: AuditAction, p: &EnrollmentProfile) -> Result<(), ApiError> {
    let mut store = Store::open_default()?;
    let actor = stagebench_core::batch::ops::technician(&store);
    stagebench_core::batch::exchange::audit_profile(
        &mut store,
        &actor,
        action,
        p,
        serde_json::json!({"surface": "app"}),
    )?;
    Ok(())
}

/// Why a profile's token can't be shown.
fn unusable(p: &EnrollmentProfile, now: OffsetDateTime) -> ApiError {
    let message = match p.token_state(now) {
        TokenState::None => format!("“{}” has no token: create one first.", p.display_name),
        state @ TokenState::Expired { .. } => format!(
            "The token of “{}” is {state}: it is never shown or printed. Create a new token.",
            p.display_name
        ),
        TokenState::Valid { .. } if p.mode.is_aosp() => format!(
            "“{}” is an AOSP profile: its token alone cannot enroll a device, only its QR code can.",
            p.display_name
        ),
        TokenState::Valid { .. } => {
            format!("Intune gave no QR content for “{}”: create a new token.", p.display_name)
        }
    };
    ApiError {
        code: "token-unusable",
        message,
    }
}

/// Every enrollment profile, active or not, with its token state (no secrets).
#[tauri::command]
pub async fn profiles_list(hub: State<'_, TenantHub>) -> Result<Vec<ProfileView>, ApiError> {
    let connection = hub.connection()?;
    let result = connection.client.enrollment_profiles_with_tokens().await;
    hub.contact(&result);
    let now = OffsetDateTime::now_utc();
    Ok(result?.iter().map(|p| profile_view(p, now)).collect())
}

/// A profile's token for typing in (`afw#setup`), only while it is usable; never for AOSP.
#[tauri::command]
pub async fn profile_reveal_token(
    hub: State<'_, TenantHub>,
    id: String,
) -> Result<String, ApiError> {
    let (_, p) = fetch(&hub, &id).await?;
    let now = OffsetDateTime::now_utc();
    let token = p
        .usable_token(now)
        .map(|t| t.expose().to_owned())
        .ok_or_else(|| unusable(&p, now))?;
    audit(AuditAction::QrReveal, &p)?;
    Ok(token)
}

/// The QR code of a profile's `qrCodeContent` (verbatim), only while its token is usable. The
/// token and payload stay out of the answer: revealing the token is its own call. Showing it
/// counts as "QR shown" for the open batches staged with this profile.
#[tauri::command]
pub async fn profile_qr(
    hub: State<'_, TenantHub>,
    bench: State<'_, BenchHub>,
    id: String,
) -> Result<QrView, ApiError> {
    let (_, p) = fetch(&hub, &id).await?;
    let now = OffsetDateTime::now_utc();
    let content = p.usable_qr_content(now).ok_or_else(|| unusable(&p, now))?;
    let qr =
        EnrollmentQr::from_profile_content(content.expose(), p.mode.is_aosp()).map_err(|e| {
            ApiError {
                code: "internal",
                message: format!(
                    "Intune's QR content for “{}” can't be shown: {e}",
                    p.display_name
                ),
            }
        })?;
    audit(AuditAction::QrDisplay, &p)?;
    if let Err(e) = batches::qr_shown(&bench, &id) {
        tracing::warn!(error = %e.message, "could not note that the QR was shown");
    }
    Ok(QrView {
        token: None,
        payload: String::new(),
        ..qr.view()
    })
}

/// Creates a token valid for `days` (replacing the current one: it stops working).
#[tauri::command]
pub async fn profile_token_create(
    hub: State<'_, TenantHub>,
    id: String,
    days: u32,
) -> Result<ProfileView, ApiError> {
    let (connection, p) = fetch(&hub, &id).await?;
    let validity = Duration::from_secs(u64::from(days) * 86_400);
    let result = connection.client.create_token(&id, p.mode, validity).await;
    hub.contact(&result);
    let created = result?;
    audit(AuditAction::TokenCreate, &created)?;
    Ok(profile_view(&created, OffsetDateTime::now_utc()))
}

/// Revokes the token at once, once the technician has typed the profile's name; open batches
/// staged with the profile flag their devices that had not enrolled.
#[tauri::command]
pub async fn profile_token_revoke(
    hub: State<'_, TenantHub>,
    bench: State<'_, BenchHub>,
    id: String,
    confirm_name: String,
) -> Result<ProfileView, ApiError> {
    let (connection, p) = fetch(&hub, &id).await?;
    if confirm_name.trim() != p.display_name.trim() {
        return Err(ApiError {
            code: "invalid-input",
            message: format!(
                "Type the profile's name exactly as shown (“{}”) to revoke its token.",
                p.display_name
            ),
        });
    }
    let result = connection.client.revoke_token(&id).await;
    hub.contact(&result);
    result?;
    audit(AuditAction::TokenRevoke, &p)?;
    bench.refresh(false);
    let (_, revoked) = fetch(&hub, &id).await?;
    Ok(profile_view(&revoked, OffsetDateTime::now_utc()))
}
