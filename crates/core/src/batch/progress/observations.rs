//! A device's events read as the observations [`crate::stage::derive`] takes: sightings and
//! their evidence, Intune's statuses, technician actions, the batch's QR displays and its
//! token's state.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::batch::BatchRecord;
use crate::device::departed::EVENT_USB_LEFT;
use crate::identity::{check_identity, SerialObservation};
use crate::intune::status::{IntuneStage, IntuneStatus};
use crate::stage::{Flow, Observation, Observed};
use crate::store::{
    DeviceRecord, EventRecord, EVENT_DEM_SIGN_IN, EVENT_INTUNE_CHANGED, EVENT_INTUNE_SEEN,
    EVENT_POWERED_OFF, EVENT_SEEN, EVENT_SERIAL_IMPORTED, EVENT_USER_LOGGED_ON,
};

pub(super) fn parse_time(at: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(at, &Rfc3339).ok()
}

pub(super) fn intune_status(data: &serde_json::Value, kind: &str) -> Option<IntuneStatus> {
    let status = if kind == EVENT_INTUNE_CHANGED {
        data.get("status")?
    } else {
        data
    };
    serde_json::from_value(status.clone()).ok()
}

/// The observations in a device's events (plus the batch's QR displays and token state).
pub fn observations(
    batch: &BatchRecord,
    device: &DeviceRecord,
    events: &[EventRecord],
    qr_shown: &[(String, Option<String>)],
    now: OffsetDateTime,
) -> Vec<Observed> {
    let flow = batch.batch.spec.profile.flow;
    let dem = batch
        .batch
        .spec
        .profile
        .dem_account
        .as_deref()
        .map(str::to_ascii_lowercase);
    let mut out = Vec::new();
    for (at, _) in qr_shown {
        if let Some(at) = parse_time(at) {
            out.push(Observed {
                at,
                what: Observation::QrShown,
            });
        }
    }
    for e in events {
        let Some(at) = parse_time(&e.at) else {
            continue;
        };
        let what = match e.kind.as_str() {
            EVENT_SEEN => {
                let ev = e.data.pointer("/facts/evidence");
                let Some(ev) = ev.filter(|v| !v.is_null()) else {
                    continue;
                };
                let evidence: crate::device::StageEvidence =
                    match serde_json::from_value(ev.clone()) {
                        Ok(ev) => ev,
                        Err(_) => continue,
                    };
                Observation::Adb {
                    provisioned: evidence.device_provisioned == Some(true),
                    intune_owner: evidence.owned_by_intune(),
                    boot_count: evidence.boot_count,
                }
            }
            EVENT_POWERED_OFF => Observation::PoweredOff,
            EVENT_USB_LEFT => Observation::UsbLeft,
            EVENT_DEM_SIGN_IN => Observation::DemSignIn,
            EVENT_SERIAL_IMPORTED => Observation::SerialImported,
            EVENT_USER_LOGGED_ON => Observation::UserLoggedOn,
            EVENT_INTUNE_SEEN | EVENT_INTUNE_CHANGED => {
                let Some(status) = intune_status(&e.data, &e.kind) else {
                    continue;
                };
                match status.stage {
                    IntuneStage::Leaving => Observation::IntuneLeaving,
                    IntuneStage::Enrolled => Observation::IntuneEnrolled,
                    IntuneStage::UserAssigned if flow == Flow::WindowsDem => {
                        let upn = status
                            .user_principal_name
                            .as_deref()
                            .map(str::to_ascii_lowercase);
                        if upn.is_some() && upn == dem {
                            Observation::IntuneEnrolled
                        } else {
                            Observation::IntuneUser
                        }
                    }
                    IntuneStage::UserAssigned => Observation::IntuneUser,
                }
            }
            _ => continue,
        };
        out.push(Observed { at, what });
    }
    // Serials that disagree, noted when the device was first seen.
    let observed: Vec<SerialObservation> = device
        .serials
        .iter()
        .map(|s| SerialObservation::new(s.source, s.value.clone()))
        .collect();
    if !check_identity(&observed).is_clean() {
        if let Some(at) = parse_time(&device.first_seen) {
            out.push(Observed {
                at,
                what: Observation::SerialsDisagree,
            });
        }
    }
    // The token: expired at its expiry, revoked when the bench learned it.
    if let Some(at) = batch.token_revoked_at.as_deref().and_then(parse_time) {
        out.push(Observed {
            at,
            what: Observation::TokenUnusable { revoked: true },
        });
    }
    if let Some(expires) = batch.batch.spec.profile.token_expires.filter(|e| *e <= now) {
        out.push(Observed {
            at: expires,
            what: Observation::TokenUnusable { revoked: false },
        });
    }
    out
}
