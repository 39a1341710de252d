//! One Graph call as data, and the URL pieces the client builds calls from.
//!
//! A [`GraphRequest`] is what the executor sends, alone or inside a `$batch`; an outbox drain
//! builds one per item (it serializes, and never holds a secret: the bearer token is added when
//! sending). URLs are relative to the Graph base (`/deviceManagement/…`), the form `$batch`
//! requires (reference §3.5).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::intune::backoff::{GraphService, RequestKind};

/// `/deviceManagement/managedDevices`.
pub const MANAGED_DEVICES: &str = "/deviceManagement/managedDevices";
/// `/deviceManagement/androidDeviceOwnerEnrollmentProfiles`.
pub const ENROLLMENT_PROFILES: &str = "/deviceManagement/androidDeviceOwnerEnrollmentProfiles";
/// `/deviceManagement/importedDeviceIdentities`.
pub const IMPORTED_IDENTITIES: &str = "/deviceManagement/importedDeviceIdentities";

/// The HTTP methods the bench uses on Graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// Read.
    Get,
    /// Create or act (createToken, `users/$ref`, `$batch`).
    Post,
    /// Change properties (device notes).
    Patch,
    /// Remove.
    Delete,
}

impl HttpMethod {
    /// `GET`, `POST`, `PATCH`, `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// Whether Graph counts it as a write (reference §3.6: POST, PUT, PATCH, DELETE).
    pub fn kind(self) -> RequestKind {
        match self {
            HttpMethod::Get => RequestKind::Read,
            _ => RequestKind::Write,
        }
    }

    pub(super) fn reqwest(self) -> reqwest::Method {
        match self {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        }
    }
}

/// One Graph call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphRequest {
    /// The method.
    pub method: HttpMethod,
    /// Path and query below the Graph base, starting with `/`; or an `@odata.nextLink` Graph
    /// gave (absolute, and only ever followed when it is under the same base).
    pub url: String,
    /// The JSON body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// What the call is about, for error messages ("notes of managed device …"); empty means
    /// "METHOD path".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub what: String,
    /// Sent as `client-request-id` instead of a fresh one (the outbox item's `operation_id`, so
    /// a resend after a crash can be recognised in Graph's logs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
}

impl GraphRequest {
    /// A call with no body.
    pub fn new(method: HttpMethod, url: impl Into<String>, what: impl Into<String>) -> Self {
        GraphRequest {
            method,
            url: url.into(),
            body: None,
            what: what.into(),
            client_request_id: None,
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>, what: impl Into<String>) -> Self {
        GraphRequest::new(HttpMethod::Get, url, what)
    }

    /// The same call carrying `body` as JSON.
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// What the call is about, for messages.
    pub fn describe(&self) -> String {
        if self.what.is_empty() {
            format!("{} {}", self.method.as_str(), path_of(&self.url))
        } else {
            self.what.clone()
        }
    }

    /// The Graph service whose throttling limits the call counts against (reference §3.6);
    /// `None` for calls outside the two budgeted services.
    pub fn service(&self) -> Option<GraphService> {
        let path = path_of(&self.url);
        let path = path.find("/deviceManagement/").map_or(path, |i| &path[i..]);
        if path.starts_with(MANAGED_DEVICES) {
            Some(GraphService::ManagedDevices)
        } else if path.starts_with(ENROLLMENT_PROFILES) {
            Some(GraphService::EnrollmentProfiles)
        } else {
            None
        }
    }

    /// The least-privileged Graph permission the call needs (reference §3.2), for the message
    /// when Graph answers 403.
    pub fn permission(&self) -> &'static str {
        let path = path_of(&self.url);
        let write = self.method.kind() == RequestKind::Write;
        if path.contains(IMPORTED_IDENTITIES) {
            "DeviceManagementServiceConfig.ReadWrite.All"
        } else if path.contains(ENROLLMENT_PROFILES) {
            if write {
                "DeviceManagementConfiguration.ReadWrite.All"
            } else {
                "DeviceManagementConfiguration.Read.All"
            }
        } else if path.ends_with("/users/$ref") || path.ends_with("/users") {
            "DeviceManagementManagedDevices.ReadWrite.All and User.Read.All"
        } else if write {
            "DeviceManagementManagedDevices.ReadWrite.All"
        } else {
            "DeviceManagementManagedDevices.Read.All"
        }
    }
}

/// A Graph answer: status and JSON body (`None` for 204 or a body that is not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphResponse {
    /// The HTTP status (or the inner status of a `$batch` answer).
    pub status: u16,
    /// The JSON body.
    pub body: Option<Value>,
}

/// The URL without its query.
fn path_of(url: &str) -> &str {
    url.split_once('?').map_or(url, |(path, _)| path)
}

/// Left as they are in a path segment or a query value: RFC 3986 unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment (an id) or a query value.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// An OData string literal: in single quotes, a quote inside doubled (`O'Brien` → `'O''Brien'`).
pub fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_quotes_and_values_are_percent_encoded() {
        assert_eq!(odata_string("O'Bri'en"), "'O''Bri''en'");
        assert_eq!(
            encode(&format!("serialNumber eq {}", odata_string("A'B+C/D é"))),
            "serialNumber%20eq%20%27A%27%27B%2BC%2FD%20%C3%A9%27"
        );
        assert_eq!(encode("R58N-1.2_x~"), "R58N-1.2_x~");
    }

    #[test]
    fn service_and_permission_follow_the_path() {
        let device = GraphRequest::get(format!("{MANAGED_DEVICES}/1?$select=id"), "");
        assert_eq!(device.service(), Some(GraphService::ManagedDevices));
        assert_eq!(
            device.permission(),
            "DeviceManagementManagedDevices.Read.All"
        );
        let next = GraphRequest::get(
            format!("https://graph.microsoft.com/beta{ENROLLMENT_PROFILES}?$skiptoken=2"),
            "",
        );
        assert_eq!(next.service(), Some(GraphService::EnrollmentProfiles));
        let batch = GraphRequest::new(HttpMethod::Post, "/$batch", "");
        assert_eq!(batch.service(), None);
        assert_eq!(batch.describe(), "POST /$batch");
        let import = GraphRequest::new(
            HttpMethod::Post,
            format!("{IMPORTED_IDENTITIES}/importDeviceIdentityList"),
            "",
        );
        assert_eq!(
            import.permission(),
            "DeviceManagementServiceConfig.ReadWrite.All"
        );
    }

    #[test]
    fn serializes_without_empty_fields() {
        let request = GraphRequest::new(HttpMethod::Patch, "/x", "")
            .with_body(serde_json::json!({"notes": "n"}));
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"method": "PATCH", "url": "/x", "body": {"notes": "n"}})
        );
        assert_eq!(
            serde_json::from_value::<GraphRequest>(json).unwrap(),
            request
        );
    }
}
