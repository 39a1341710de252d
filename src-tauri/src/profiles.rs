//! The Profiles screen's commands: enrollment profiles with their token state, and a token's
//! QR code, reveal, replacement and revocation. Each reads the profile fresh from Graph and
//! checks its token against the clock, so an expired or revoked token is never shown.

use std::time::Duration;

use stagebench_core::audit::AuditAction;
use stagebench_core::batch::exchange::audit_profile;
use stagebench_core::batch::ops::qr_shown_for_profile;
use stagebench_core::enrollment_qr::{EnrollmentQr, QrView};
use stagebench_core::intune::connect::IntuneConnection;
use stagebench_core::intune::graph::{EnrollmentProfile, TokenState};
use stagebench_core::intune::service::TenantService;
use stagebench_core::intune::view::{profile_view, ProfileView};
use stagebench_core::store::StoreHandle;
use tauri::State;
use time::OffsetDateTime;

use crate::error::{internal, invalid, ApiError};
use crate::state::App;

/// One profile, token included, read now.
async fn fetch(tenant: &TenantService, id: &str) -> Result<EnrollmentProfile, ApiError> {
    Ok(tenant
        .call(|c| async move { c.client.enrollment_profile(id).await })
        .await?)
}

/// Records a QR display, reveal or token action in the bench's audit log (the token by
/// reference only). Showing a secret the log can't record is refused.
fn audit(store: &StoreHandle, action: AuditAction, p: &EnrollmentProfile) -> Result<(), ApiError> {
    let mut store = store.lock();
    let actor = store.technician();
    let surface = serde_json::json!({"surface": "app"});
    Ok(audit_profile(&mut store, &actor, action, p, surface)?)
}

/// Why a profile's token can't be shown.
fn unusable(p: &EnrollmentProfile, now: OffsetDateTime) -> ApiError {
    let name = &p.display_name;
    let message = match p.token_state(now) {
        TokenState::None => format!("“{name}” has no token: create one first."),
        state @ TokenState::Expired { .. } => format!(
            "The token of “{name}” is {state}: it is never shown or printed. Create a new token."
        ),
        TokenState::Valid { .. } if p.mode.is_aosp() => format!(
            "“{name}” is an AOSP profile: its token alone cannot enroll a device, only its QR code can."
        ),
        TokenState::Valid { .. } => {
            format!("Intune gave no QR content for “{name}”: create a new token.")
        }
    };
    ApiError {
        code: "token-unusable",
        message,
        remedy: None,
    }
}

/// The QR of a profile's usable content: recorded as shown (audit log, open batches staged
/// with the profile); the token and payload stay out of the view.
fn show_qr(app: &App, p: &EnrollmentProfile) -> Result<QrView, ApiError> {
    let now = OffsetDateTime::now_utc();
    let content = p.usable_qr_content(now).ok_or_else(|| unusable(p, now))?;
    let qr =
        EnrollmentQr::from_profile_content(content.expose(), p.mode.is_aosp()).map_err(|e| {
            let name = &p.display_name;
            internal(format!(
                "Intune's QR content for “{name}” can't be shown: {e}"
            ))
        })?;
    let store = app.store()?;
    audit(store, AuditAction::QrDisplay, p)?;
    let shown = {
        let mut store = store.lock();
        let actor = store.technician();
        qr_shown_for_profile(&mut store, &p.id, &actor)
    };
    match shown {
        Ok(0) => {}
        Ok(_) => app.bench.refresh(false),
        Err(e) => tracing::warn!(error = %e, "could not note that the QR was shown"),
    }
    Ok(QrView {
        token: None,
        payload: String::new(),
        ..qr.view()
    })
}

/// A profile's token for typing in, only while it is usable.
fn usable_token(p: &EnrollmentProfile) -> Result<String, ApiError> {
    let now = OffsetDateTime::now_utc();
    let token = p.usable_token(now).ok_or_else(|| unusable(p, now))?;
    Ok(token.expose().to_owned())
}

/// Revoking asks for the profile's name, typed exactly.
fn confirmed(p: EnrollmentProfile, typed: &str) -> Result<EnrollmentProfile, ApiError> {
    let name = p.display_name.clone();
    (typed.trim() == name.trim()).then_some(p).ok_or_else(|| {
        invalid(format!(
            "Type the profile's name exactly as shown (“{name}”) to revoke its token."
        ))
    })
}

fn view(p: &EnrollmentProfile) -> ProfileView {
    profile_view(p, OffsetDateTime::now_utc())
}

/// A new token for profile `id`, valid for `days` (the current one stops working).
async fn new_token(
    tenant: &TenantService,
    id: &str,
    days: u32,
) -> Result<EnrollmentProfile, ApiError> {
    let validity = Duration::from_secs(u64::from(days) * 86_400);
    let mode = fetch(tenant, id).await?.mode;
    let create =
        |c: IntuneConnection| async move { c.client.create_token(id, mode, validity).await };
    Ok(tenant.call(create).await?)
}

/// Revokes profile `id`'s token once `typed` is its name; the profile as it was.
async fn revoke(
    tenant: &TenantService,
    id: &str,
    typed: &str,
) -> Result<EnrollmentProfile, ApiError> {
    let p = confirmed(fetch(tenant, id).await?, typed)?;
    let revoke = |c: IntuneConnection| async move { c.client.revoke_token(id).await };
    tenant.call(revoke).await?;
    Ok(p)
}

/// Every enrollment profile, active or not, with its token state (no secrets).
#[tauri::command]
pub async fn profiles_list(app: State<'_, App>) -> Result<Vec<ProfileView>, ApiError> {
    let tenant = app.tenant()?;
    let profiles = tenant
        .call(|c| async move { c.client.enrollment_profiles_with_tokens().await })
        .await?;
    Ok(profiles.iter().map(view).collect())
}

/// A profile's token for typing in (`afw#setup`), only while it is usable; never for AOSP.
#[tauri::command]
pub async fn profile_reveal_token(app: State<'_, App>, id: String) -> Result<String, ApiError> {
    let p = fetch(app.tenant()?, &id).await?;
    let token = usable_token(&p)?;
    audit(app.store()?, AuditAction::QrReveal, &p)?;
    Ok(token)
}

/// The QR code of a profile's `qrCodeContent` (verbatim), only while its token is usable. The
/// token and payload stay out of the answer: revealing the token is its own call. Showing it
/// counts as "QR shown" for the open batches staged with this profile.
#[tauri::command]
pub async fn profile_qr(app: State<'_, App>, id: String) -> Result<QrView, ApiError> {
    let p = fetch(app.tenant()?, &id).await?;
    show_qr(&app, &p)
}

/// Creates a token valid for `days` (replacing the current one: it stops working).
#[tauri::command]
pub async fn profile_token_create(
    app: State<'_, App>,
    id: String,
    days: u32,
) -> Result<ProfileView, ApiError> {
    let created = new_token(app.tenant()?, &id, days).await?;
    audit(app.store()?, AuditAction::TokenCreate, &created)?;
    Ok(view(&created))
}

/// Revokes the token at once, once the technician has typed the profile's name; open batches
/// staged with the profile flag their devices that had not enrolled.
#[tauri::command]
pub async fn profile_token_revoke(
    app: State<'_, App>,
    id: String,
    confirm_name: String,
) -> Result<ProfileView, ApiError> {
    let p = revoke(app.tenant()?, &id, &confirm_name).await?;
    audit(app.store()?, AuditAction::TokenRevoke, &p)?;
    app.bench.refresh(false);
    Ok(view(&fetch(app.tenant()?, &id).await?))
}
