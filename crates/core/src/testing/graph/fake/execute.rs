//! Each Graph operation the fake implements, answered from the tenant, and paged lists.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use serde_json::{json, Map, Value};

use std::time::Duration;

use super::entities::{
    android_enterprise_qr, aosp_qr, default_profile, device_filter, encode, project, DeviceFilter,
    AOSP_MAX_VALIDITY,
};
use super::http::Reply;
use super::identity_rules;
use super::{lock, rfc3339, Inner, DEVICES, IDENTITIES, PROFILES};
use crate::testing::graph::schema::Matched;

impl Inner {
    pub(super) fn execute(&self, method: &str, m: &Matched, body: Option<Value>) -> Reply {
        let id = m.ids.first().cloned().unwrap_or_default();
        let t = m.template.as_str();
        let profile_item = format!("{PROFILES}/{{androidDeviceOwnerEnrollmentProfile-id}}");
        let device_item = format!("{DEVICES}/{{managedDevice-id}}");
        let now = self.clock.now();
        let mut tenant = lock(&self.tenant);
        match (method, t) {
            ("GET", PROFILES) => {
                // List answers leave tokens out: read one profile by id for them.
                let items = tenant
                    .profiles
                    .values()
                    .map(|p| {
                        let mut p = p.clone();
                        p.insert("tokenValue".into(), Value::Null);
                        p.insert("qrCodeContent".into(), Value::Null);
                        p
                    })
                    .collect();
                self.list(
                    m,
                    "deviceManagement/androidDeviceOwnerEnrollmentProfiles",
                    items,
                )
            }
            ("POST", PROFILES) => {
                let Some(Value::Object(given)) = body else {
                    return Reply::error(400, "BadRequest", "body needed");
                };
                let id = self.new_id();
                let mut stored = default_profile(&id, now);
                stored.extend(
                    given
                        .into_iter()
                        .filter(|(k, _)| !k.starts_with('@') && k != "id"),
                );
                tenant.profiles.insert(id, stored.clone());
                Reply::json(201, Value::Object(stored))
            }
            ("GET", x) if x == profile_item => match tenant.profiles.get(&id) {
                Some(p) => Reply::json(200, project(p, m)),
                None => Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id),
            },
            ("PATCH", x) if x == profile_item => match tenant.profiles.get_mut(&id) {
                Some(p) => {
                    if let Some(Value::Object(changes)) = body {
                        p.extend(changes.into_iter().filter(|(k, _)| !k.starts_with('@')));
                    }
                    p.insert("lastModifiedDateTime".into(), json!(rfc3339(now)));
                    Reply::empty(204)
                }
                None => Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id),
            },
            ("DELETE", x) if x == profile_item => match tenant.profiles.remove(&id) {
                Some(_) => Reply::empty(204),
                None => Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id),
            },
            ("POST", x) if x == format!("{profile_item}/createToken") => {
                let token = self.token_value();
                let Some(p) = tenant.profiles.get_mut(&id) else {
                    return Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id);
                };
                let Some(seconds) = body
                    .as_ref()
                    .and_then(|b| b["tokenValidityInSeconds"].as_i64())
                else {
                    return Reply::error(400, "BadRequest", "tokenValidityInSeconds is required");
                };
                let aosp = p["enrollmentMode"]
                    .as_str()
                    .is_some_and(|m| m.contains("AOSP"));
                if seconds <= 0 || (aosp && seconds > AOSP_MAX_VALIDITY) {
                    return Reply::error(
                        400,
                        "BadRequest",
                        &format!(
                            "tokenValidityInSeconds {seconds} is out of range{}",
                            if aosp {
                                " (AOSP tokens last at most 90 days)"
                            } else {
                                ""
                            }
                        ),
                    );
                }
                let qr = if aosp {
                    aosp_qr(&token, &id)
                } else {
                    android_enterprise_qr(&token)
                };
                p.insert("tokenValue".into(), json!(token));
                p.insert("tokenCreationDateTime".into(), json!(rfc3339(now)));
                p.insert(
                    "tokenExpirationDateTime".into(),
                    json!(rfc3339(now + Duration::from_secs(seconds as u64))),
                );
                p.insert("qrCodeContent".into(), json!(qr));
                p.insert("enrollmentTokenUsageCount".into(), json!(0));
                p.insert("lastModifiedDateTime".into(), json!(rfc3339(now)));
                Reply::empty(204)
            }
            ("POST", x) if x == format!("{profile_item}/revokeToken") => {
                match tenant.profiles.get_mut(&id) {
                    Some(p) => {
                        p.insert("tokenValue".into(), Value::Null);
                        p.insert("qrCodeContent".into(), Value::Null);
                        p.insert("tokenExpirationDateTime".into(), json!(rfc3339(now)));
                        p.insert("lastModifiedDateTime".into(), json!(rfc3339(now)));
                        Reply::empty(204)
                    }
                    None => Reply::not_found("androidDeviceOwnerEnrollmentProfile", &id),
                }
            }
            ("GET", DEVICES) => {
                let filter = m
                    .param("$filter")
                    .filter(|_| !lock(&self.faults).ignore_device_filter)
                    .map(device_filter);
                // One serial asked for: the index gives the candidates (still matched below).
                let candidates: Option<Vec<String>> = filter
                    .as_ref()
                    .and_then(DeviceFilter::only_serial)
                    .map(|s| tenant.with_serial(s));
                let tenant = &*tenant;
                let all: Box<dyn Iterator<Item = &Map<String, Value>>> = match &candidates {
                    Some(ids) => Box::new(ids.iter().filter_map(|id| tenant.devices.get(id))),
                    None => Box::new(tenant.devices.values()),
                };
                let items = all
                    .filter(|d| filter.as_ref().is_none_or(|f| f.matches(d)))
                    .map(|d| {
                        // Lists return notes as null; read one device with $select=notes.
                        let mut d = d.clone();
                        d.insert("notes".into(), Value::Null);
                        d
                    })
                    .collect();
                self.list(m, "deviceManagement/managedDevices", items)
            }
            ("GET", x) if x == device_item => match tenant.devices.get(&id) {
                Some(d) => Reply::json(200, project(d, m)),
                None => Reply::not_found("managedDevice", &id),
            },
            ("PATCH", x) if x == device_item => match tenant.devices_mut().get_mut(&id) {
                Some(d) => {
                    if let Some(Value::Object(changes)) = body {
                        d.extend(changes.into_iter().filter(|(k, _)| !k.starts_with('@')));
                    }
                    Reply::empty(204)
                }
                None => Reply::not_found("managedDevice", &id),
            },
            ("GET", x) if x == format!("{device_item}/users") => {
                if !tenant.devices.contains_key(&id) {
                    return Reply::not_found("managedDevice", &id);
                }
                let users: Vec<Value> = tenant
                    .primary_users
                    .get(&id)
                    .and_then(|u| tenant.users.get(u))
                    .map(|u| vec![Value::Object(u.clone())])
                    .unwrap_or_default();
                Reply::json(
                    200,
                    json!({"@odata.context": format!("{}/$metadata#users", self.base), "value": users}),
                )
            }
            ("POST", x) if x == format!("{device_item}/users/$ref") => {
                let user_id = body
                    .as_ref()
                    .and_then(|b| b["@odata.id"].as_str())
                    .and_then(|u| u.rsplit('/').next())
                    .unwrap_or_default()
                    .to_string();
                let Some(user) = tenant.users.get(&user_id).cloned() else {
                    return Reply::not_found("user", &user_id);
                };
                let Some(device) = tenant.devices_mut().get_mut(&id) else {
                    return Reply::not_found("managedDevice", &id);
                };
                device.insert("userId".into(), json!(user_id));
                for (from, to) in [
                    ("userPrincipalName", "userPrincipalName"),
                    ("displayName", "userDisplayName"),
                    ("mail", "emailAddress"),
                ] {
                    device.insert(to.into(), user.get(from).cloned().unwrap_or(json!("")));
                }
                tenant.primary_users.insert(id, user_id);
                Reply::empty(204)
            }
            ("DELETE", x) if x == format!("{device_item}/users/$ref") => {
                let Some(device) = tenant.devices_mut().get_mut(&id) else {
                    return Reply::not_found("managedDevice", &id);
                };
                for k in [
                    "userId",
                    "userPrincipalName",
                    "userDisplayName",
                    "emailAddress",
                ] {
                    device.insert(k.into(), json!(""));
                }
                tenant.primary_users.remove(&id);
                Reply::empty(204)
            }
            ("POST", x) if x == format!("{device_item}/syncDevice") => {
                match tenant.devices_mut().get_mut(&id) {
                    Some(d) => {
                        d.insert("lastSyncDateTime".into(), json!(rfc3339(now)));
                        Reply::empty(204)
                    }
                    None => Reply::not_found("managedDevice", &id),
                }
            }
            ("GET", IDENTITIES) => {
                let items = tenant.identities.values().cloned().collect();
                self.list(m, "deviceManagement/importedDeviceIdentities", items)
            }
            ("POST", x) if x == format!("{IDENTITIES}/importDeviceIdentityList") => {
                let overwrite = body
                    .as_ref()
                    .is_some_and(|b| b["overwriteImportedDeviceIdentities"] == json!(true));
                let given = body
                    .as_ref()
                    .and_then(|b| b["importedDeviceIdentities"].as_array().cloned())
                    .unwrap_or_default();
                if given.len() > 5000 {
                    return Reply::error(400, "BadRequest", "at most 5,000 identities per request");
                }
                if let Some(why) = given.iter().find_map(identity_rules::refusal) {
                    return Reply::error(400, "BadRequest", &why);
                }
                let mut results = Vec::new();
                for identity in given {
                    let Value::Object(mut map) = identity else {
                        continue;
                    };
                    map.remove("@odata.type");
                    let identifier = map
                        .get("importedDeviceIdentifier")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let existing = tenant
                        .identities
                        .iter()
                        .find(|(_, v)| {
                            v["importedDeviceIdentifier"].as_str() == Some(identifier.as_str())
                        })
                        .map(|(k, _)| k.clone());
                    let status = existing.is_none() || overwrite;
                    if status {
                        let id = existing.unwrap_or_else(|| self.new_id());
                        map.insert("id".into(), json!(id));
                        map.insert("createdDateTime".into(), json!(rfc3339(now)));
                        map.insert("lastModifiedDateTime".into(), json!(rfc3339(now)));
                        map.entry("enrollmentState")
                            .or_insert(json!("notContacted"));
                        tenant.identities.insert(id, map.clone());
                    }
                    map.insert("status".into(), json!(status));
                    results.push(Value::Object(map));
                }
                Reply::json(200, json!({"value": results}))
            }
            _ => Reply::error(
                501,
                "NotImplemented",
                &format!("the fake Graph does not implement {method} {t} yet"),
            ),
        }
    }

    /// A collection answer, paged by `Faults::page_size` or `$top`, resumed by `$skiptoken`.
    fn list(&self, m: &Matched, context: &str, items: Vec<Map<String, Value>>) -> Reply {
        let skip: usize = m
            .param("$skiptoken")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let top: Option<usize> = m.param("$top").and_then(|s| s.parse().ok());
        let page = match (lock(&self.faults).page_size, top) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let total = items.len();
        let end = page.map_or(total, |p| (skip + p).min(total));
        let value: Vec<Value> = items
            .into_iter()
            .skip(skip)
            .take(end.saturating_sub(skip))
            .map(|i| project(&i, m))
            .collect();
        let mut answer =
            json!({"@odata.context": format!("{}/$metadata#{context}", self.base), "value": value});
        if end < total {
            let mut query = String::new();
            for (k, v) in m.query.iter().filter(|(k, _)| k != "$skiptoken") {
                let _ = write!(query, "{}={}&", encode(k), encode(v));
            }
            let _ = write!(query, "$skiptoken={end}");
            answer["@odata.nextLink"] = json!(format!("{}{}?{query}", self.base, m.path));
        }
        Reply::json(200, answer)
    }

    /// An enrollment token: 20 upper-case letters, like Intune's.
    pub(super) fn token_value(&self) -> String {
        let mut x = self
            .ids
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ 0xD1B5_4A32_D192_ED03;
        (0..20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b'A' + (x % 26) as u8)
            })
            .collect()
    }
}
