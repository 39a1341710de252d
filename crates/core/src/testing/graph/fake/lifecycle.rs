//! Devices that move through Intune's stages on the fake tenant's clock, the way staged devices
//! do in a real tenant (DESIGN.md stage model; seed rule 68): after the bench scans the QR the
//! device appears as `Staging_<serial>_AndroidEnterprise_MM/DD/YY_H.MM AM` with no user (stage 2);
//! when the user signs in, the user's name replaces `Staging` and the device gets a user, a
//! logged-on entry and a primary user (stage 3). AOSP devices appear with the AOSP enrollment
//! type; userless ones never get a user.
//!
//! Steps fall due by [`GraphClock`](super::GraphClock) time and are applied before each request is answered, so a
//! test on a manual clock moves devices by advancing it, and the simulator on the wall clock sees
//! them arrive by themselves.

use std::time::Duration;

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{lock, rfc3339, FakeGraph, Inner};

/// Which enrollment the device goes through (sets its enrollment type, agent and name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeEnrollmentFlow {
    /// Android Enterprise fully managed with a staging token: `Staging_…` until the user signs in.
    Staging,
    /// Android Enterprise fully managed with a default token: the user enrolls it.
    FullyManaged,
    /// AOSP userless (RealWear): enrolled, never a user.
    AospUserless,
    /// AOSP user-associated: enrolled, then a user.
    AospUserAssociated,
}

/// A scripted device: when it enrolls and when (and as whom) its user signs in, counted from
/// the moment it is scheduled.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    /// The serial Intune will report.
    pub serial: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Which enrollment.
    pub flow: FakeEnrollmentFlow,
    /// Delay until it appears in Intune.
    pub enrolls_after: Duration,
    /// The user (UPN) and the delay after enrollment until they sign in.
    pub user: Option<(String, Duration)>,
}

impl Lifecycle {
    /// A staging-token device that enrolls after `enrolls_after` and has no user yet.
    pub fn staged(serial: &str, enrolls_after: Duration) -> Lifecycle {
        Lifecycle {
            serial: serial.to_owned(),
            manufacturer: "samsung".into(),
            model: "SM-G991B".into(),
            flow: FakeEnrollmentFlow::Staging,
            enrolls_after,
            user: None,
        }
    }

    /// Adds the user sign-in, `after` the enrollment.
    pub fn then_user(mut self, upn: &str, after: Duration) -> Lifecycle {
        self.user = Some((upn.to_owned(), after));
        self
    }
}

#[derive(Debug)]
pub(super) struct Scheduled {
    life: Lifecycle,
    enroll_at: OffsetDateTime,
    device_id: Option<String>,
    user_done: bool,
}

/// Intune's name date: `MM/DD/YY_H.MM AM`.
fn name_stamp(t: OffsetDateTime) -> String {
    let (h, pm) = match t.hour() {
        0 => (12, false),
        h @ 1..=11 => (h, false),
        12 => (12, true),
        h => (h - 12, true),
    };
    format!(
        "{:02}/{:02}/{:02}_{}.{:02} {}",
        u8::from(t.month()),
        t.day(),
        t.year() % 100,
        h,
        t.minute(),
        if pm { "PM" } else { "AM" }
    )
}

impl FakeGraph {
    /// Schedules a device's life in the tenant (see the module docs).
    pub fn schedule(&self, life: Lifecycle) {
        let enroll_at = self.inner.clock.now() + life.enrolls_after;
        lock(&self.inner.lifecycles).push(Scheduled {
            life,
            enroll_at,
            device_id: None,
            user_done: false,
        });
    }

    /// Applies the steps that are due now (requests do this by themselves; tests that read the
    /// tenant directly call it).
    pub fn advance_lifecycles(&self) {
        advance(&self.inner);
    }

    /// Brings the next step of the device scheduled as `serial` to now: its enrollment, or once
    /// enrolled its user's sign-in. Returns whether there was such a step.
    pub fn hurry(&self, serial: &str) -> bool {
        let now = self.inner.clock.now();
        let hurried = lock(&self.inner.lifecycles)
            .iter_mut()
            .find(|s| {
                s.life.serial == serial
                    && !s.user_done
                    && (s.device_id.is_none() || s.life.user.is_some())
            })
            .map(|s| {
                if s.device_id.is_none() {
                    s.enroll_at = s.enroll_at.min(now);
                } else if let Some((_, after)) = &mut s.life.user {
                    let since = (now - s.enroll_at).try_into().unwrap_or(Duration::ZERO);
                    *after = (*after).min(since);
                }
            })
            .is_some();
        self.advance_lifecycles();
        hurried
    }

    /// The managed device id a scheduled serial got, once it enrolled.
    pub fn scheduled_device_id(&self, serial: &str) -> Option<String> {
        lock(&self.inner.lifecycles)
            .iter()
            .find(|s| s.life.serial == serial)
            .and_then(|s| s.device_id.clone())
    }
}

/// Applies due steps, in time order.
pub(super) fn advance(inner: &Inner) {
    let now = inner.clock.now();
    let mut lifecycles = lock(&inner.lifecycles);
    for s in lifecycles.iter_mut() {
        if s.device_id.is_none() && s.enroll_at <= now {
            s.device_id = Some(enroll(inner, &s.life, s.enroll_at));
        }
        if let (Some(id), Some((upn, after)), false) = (&s.device_id, &s.life.user, s.user_done) {
            let at = s.enroll_at + *after;
            if at <= now {
                sign_in(inner, id, &s.life, upn, s.enroll_at, at);
                s.user_done = true;
            }
        }
    }
}

fn enroll(inner: &Inner, life: &Lifecycle, at: OffsetDateTime) -> String {
    let id = inner.new_id();
    let (enrollment_type, agent, mode) = match life.flow {
        FakeEnrollmentFlow::Staging | FakeEnrollmentFlow::FullyManaged => (
            "androidEnterpriseFullyManaged",
            "googleCloudDevicePolicyController",
            "AndroidEnterprise",
        ),
        FakeEnrollmentFlow::AospUserless => {
            ("androidAOSPUserlessDeviceEnrollment", "intuneAosp", "AOSP")
        }
        FakeEnrollmentFlow::AospUserAssociated => {
            ("androidAOSPUserOwnedDeviceEnrollment", "intuneAosp", "AOSP")
        }
    };
    let name = match life.flow {
        FakeEnrollmentFlow::Staging => format!("Staging_{}_{mode}_{}", life.serial, name_stamp(at)),
        _ => format!("{}_{mode}_{}", life.model, name_stamp(at)),
    };
    let device = json!({
        "id": id,
        "deviceName": name,
        "managedDeviceName": name,
        "serialNumber": life.serial,
        "manufacturer": life.manufacturer,
        "model": life.model,
        "operatingSystem": "Android",
        "osVersion": "14",
        "managementState": "managed",
        "deviceEnrollmentType": enrollment_type,
        "managementAgent": agent,
        "enrolledDateTime": rfc3339(at),
        "lastSyncDateTime": rfc3339(at),
        "notes": Value::Null,
        "userId": "",
        "userPrincipalName": "",
        "userDisplayName": "",
        "emailAddress": "",
        "usersLoggedOn": [],
    });
    let Value::Object(map) = device else {
        unreachable!("a JSON object literal")
    };
    lock(&inner.tenant).devices_mut().insert(id.clone(), map);
    id
}

fn sign_in(
    inner: &Inner,
    id: &str,
    life: &Lifecycle,
    upn: &str,
    enrolled: OffsetDateTime,
    at: OffsetDateTime,
) {
    let mut tenant = lock(&inner.tenant);
    let existing = tenant
        .users
        .values()
        .find(|u| u.get("userPrincipalName").and_then(Value::as_str) == Some(upn))
        .and_then(|u| u.get("id").and_then(Value::as_str).map(str::to_owned));
    let user_id = existing.unwrap_or_else(|| {
        let user_id = inner.new_id();
        let display = upn.split('@').next().unwrap_or(upn).to_owned();
        let user = json!({"id": user_id, "userPrincipalName": upn, "displayName": display});
        if let Value::Object(map) = user {
            tenant.users.insert(user_id.clone(), map);
        }
        user_id
    });
    let prefix = upn.split('@').next().unwrap_or(upn);
    let mode = match life.flow {
        FakeEnrollmentFlow::AospUserless | FakeEnrollmentFlow::AospUserAssociated => "AOSP",
        FakeEnrollmentFlow::Staging | FakeEnrollmentFlow::FullyManaged => "AndroidEnterprise",
    };
    let Some(device) = tenant.devices_mut().get_mut(id) else {
        return; // removed by the test meanwhile
    };
    let name = format!("{prefix}_{mode}_{}", name_stamp(enrolled));
    for (k, v) in [
        ("deviceName", json!(name)),
        ("managedDeviceName", json!(name)),
        ("userId", json!(user_id)),
        ("userPrincipalName", json!(upn)),
        ("userDisplayName", json!(prefix)),
        ("emailAddress", json!(upn)),
        ("lastSyncDateTime", json!(rfc3339(at))),
        (
            "usersLoggedOn",
            json!([{"userId": user_id, "lastLogOnDateTime": rfc3339(at)}]),
        ),
    ] {
        device.insert(k.into(), v);
    }
    tenant.primary_users.insert(id.to_owned(), user_id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Date, Month, Time};

    #[test]
    fn name_stamps_follow_the_documented_form() {
        let at = |h, m| {
            OffsetDateTime::new_utc(
                Date::from_calendar_date(2024, Month::June, 22).unwrap(),
                Time::from_hms(h, m, 0).unwrap(),
            )
        };
        assert_eq!(name_stamp(at(4, 20)), "06/22/24_4.20 AM");
        assert_eq!(name_stamp(at(0, 5)), "06/22/24_12.05 AM");
        assert_eq!(name_stamp(at(12, 0)), "06/22/24_12.00 PM");
        assert_eq!(name_stamp(at(16, 20)), "06/22/24_4.20 PM");
    }
}
