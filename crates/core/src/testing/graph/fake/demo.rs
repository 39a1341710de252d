//! A ready-made tenant for the simulator and for tests that need a realistic one: the profiles a
//! bench meets (staging token, dedicated default token, AOSP with Wi-Fi for RealWear, and a
//! profile whose token has expired), and two users (an end user and a DEM enrollment account).

use std::time::Duration;

use serde_json::{json, Value};

use super::entities::{android_enterprise_qr, aosp_qr};
use super::{lock, rfc3339, FakeGraph};

/// What [`FakeGraph::seed_demo`] created.
#[derive(Debug, Clone)]
pub struct DemoTenant {
    /// Android Enterprise fully managed, staging token valid 30 days.
    pub staging_profile: String,
    /// Android Enterprise dedicated, default token valid 60 days.
    pub dedicated_profile: String,
    /// AOSP userless with Wi-Fi (RealWear), token valid 90 days (the AOSP maximum).
    pub aosp_profile: String,
    /// COPE with a staging token that expired yesterday.
    pub expired_profile: String,
    /// An end user (`ana@contoso.com`).
    pub user: String,
    /// The device enrollment manager account (`dem@contoso.com`).
    pub dem: String,
}

impl FakeGraph {
    /// Seeds the demo tenant (see the module docs); token lifetimes count from the tenant clock.
    pub fn seed_demo(&self) -> DemoTenant {
        let now = self.inner.clock.now();
        let day = Duration::from_secs(24 * 3600);
        let profile = |name: &str,
                       mode: &str,
                       token_type: &str,
                       valid_for: Option<Duration>,
                       expired: bool,
                       extra: Value| {
            let id = self.add_profile(json!({
                "displayName": name,
                "description": format!("{name} (fake tenant)"),
                "enrollmentMode": mode,
                "enrollmentTokenType": token_type,
            }));
            let token = self.inner.token_value();
            let aosp = mode.contains("AOSP");
            let (created, expires) = match (valid_for, expired) {
                (Some(v), false) => (now, now + v),
                _ => (now - 31 * day, now - day),
            };
            let qr = if aosp {
                aosp_qr(&token, &id)
            } else {
                android_enterprise_qr(&token)
            };
            let mut tenant = lock(&self.inner.tenant);
            if let Some(p) = tenant.profiles.get_mut(&id) {
                p.insert("tokenValue".into(), json!(token));
                p.insert("tokenCreationDateTime".into(), json!(rfc3339(created)));
                p.insert("tokenExpirationDateTime".into(), json!(rfc3339(expires)));
                p.insert("qrCodeContent".into(), json!(qr));
                p.insert(
                    "enrolledDeviceCount".into(),
                    json!(if expired { 12 } else { 0 }),
                );
                if let Value::Object(extra) = extra {
                    p.extend(extra);
                }
            }
            id
        };
        let staging_profile = profile(
            "Bench – fully managed (staging)",
            "corporateOwnedFullyManaged",
            "deviceStaging",
            Some(30 * day),
            false,
            json!({}),
        );
        let dedicated_profile = profile(
            "Shared scanners (dedicated)",
            "corporateOwnedDedicatedDevice",
            "default",
            Some(60 * day),
            false,
            json!({}),
        );
        let aosp_profile = profile(
            "RealWear – AOSP userless",
            "corporateOwnedAOSPUserlessDevice",
            "default",
            Some(90 * day),
            false,
            json!({"configureWifi": true, "wifiSsid": "Bench-5G", "wifiPassword": "stage-bench-2026", "wifiSecurityType": "wpa", "wifiHidden": false}),
        );
        let expired_profile = profile(
            "COPE pilot (token expired)",
            "corporateOwnedWorkProfile",
            "deviceStaging",
            None,
            true,
            json!({}),
        );
        let user = self
            .add_user(json!({"userPrincipalName": "ana@contoso.com", "displayName": "Ana Silva"}));
        let dem = self
            .add_user(json!({"userPrincipalName": "dem@contoso.com", "displayName": "Bench DEM"}));
        DemoTenant {
            staging_profile,
            dedicated_profile,
            aosp_profile,
            expired_profile,
            user,
            dem,
        }
    }
}
