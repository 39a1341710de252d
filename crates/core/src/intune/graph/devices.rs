//! Managed devices by serial or by id, and their notes.
//!
//! Look-ups never page through the tenant (DESIGN: tenants of 100,000 devices): one
//! `GET /deviceManagement/managedDevices?$filter=serialNumber eq '…'&$select=…` per serial,
//! 20 to a `$batch` (reference §3.3, §3.5). Graph silently ignores filters it does not support
//! and then returns the whole list (§3.3, with the issues cited there), so every device that
//! comes back is checked against the serial here; when one does not match, the filter was
//! ignored, that serial's answer is marked [`SerialLookup::filter_ignored`] and its next
//! links are not followed.

use std::collections::HashMap;

use serde_json::json;

use super::device::{ManagedDevice, DEVICE_SELECT};
use super::error::GraphError;
use super::request::{encode, odata_string, GraphRequest, HttpMethod, MANAGED_DEVICES};
use super::send::page_of;
use super::GraphClient;

/// Pages followed for one serial (a serial shared by many devices, such as the placeholder
/// `1234567890ABCDEF`, can fill several).
const MAX_PAGES_PER_SERIAL: usize = 20;

/// What Intune knows under one serial.
#[derive(Debug, Clone)]
pub struct SerialLookup {
    /// The serial as asked.
    pub serial: String,
    /// The devices whose `serialNumber` is this serial (several when Android serials repeat).
    pub devices: Result<Vec<ManagedDevice>, GraphError>,
    /// Graph ignored the serial filter (it answered with other devices): the devices above are
    /// right, but one on a page not read may be missing.
    pub filter_ignored: bool,
}

/// The look-up of one serial.
pub fn serial_request(serial: &str) -> GraphRequest {
    let filter = format!("serialNumber eq {}", odata_string(serial));
    GraphRequest::get(
        format!(
            "{MANAGED_DEVICES}?$filter={}&$select={DEVICE_SELECT}",
            encode(&filter)
        ),
        format!("managed devices with serial {serial}"),
    )
}

/// Reading one device by id, notes included.
pub fn device_request(id: &str) -> GraphRequest {
    GraphRequest::get(
        format!(
            "{MANAGED_DEVICES}/{}?$select={DEVICE_SELECT},notes",
            encode(id)
        ),
        format!("managed device {id}"),
    )
}

/// Setting a device's notes (`PATCH managedDevices/{id}` with `{"notes": …}`, reference §3.3):
/// what [`GraphClient::set_notes`] sends, and what an outbox drain sends for a `device-notes`
/// item (target: the device id; its `operation_id` goes in
/// [`GraphRequest::client_request_id`]). Sending it twice leaves the same notes.
pub fn notes_request(device_id: &str, notes: &str) -> GraphRequest {
    GraphRequest::new(
        HttpMethod::Patch,
        format!("{MANAGED_DEVICES}/{}", encode(device_id)),
        format!("notes of managed device {device_id}"),
    )
    .with_body(json!({ "notes": notes }))
}

/// One serial being looked up.
struct Query {
    serial: String,
    found: Vec<ManagedDevice>,
    error: Option<GraphError>,
    filter_ignored: bool,
    pages: usize,
}

impl Query {
    /// Takes one page; the next link to follow, if any.
    fn take(
        &mut self,
        page: Result<(Vec<serde_json::Value>, Option<String>), GraphError>,
    ) -> Option<String> {
        self.pages += 1;
        let (items, next) = match page {
            Ok(page) => page,
            Err(error) => {
                self.error = Some(error);
                return None;
            }
        };
        for item in items {
            match ManagedDevice::from_json(item) {
                Ok(device) if device.has_serial(&self.serial) => self.found.push(device),
                Ok(_) => self.filter_ignored = true,
                Err(reason) => {
                    self.error = Some(GraphError::BadAnswer {
                        what: format!("managed devices with serial {}", self.serial),
                        reason,
                    });
                    return None;
                }
            }
        }
        if self.filter_ignored {
            tracing::warn!(serial = %self.serial, "Graph ignored the serialNumber filter; not paging through the tenant");
            return None;
        }
        let next = next?;
        if self.pages >= MAX_PAGES_PER_SERIAL {
            self.error = Some(GraphError::BadAnswer {
                what: format!("managed devices with serial {}", self.serial),
                reason: format!("more than {MAX_PAGES_PER_SERIAL} pages of devices share it"),
            });
            return None;
        }
        Some(next)
    }
}

impl GraphClient {
    /// For each serial, the managed devices Intune has under it (same order as `serials`).
    /// Serials are looked up once each (ASCII case ignored, as Graph's `eq` does), 20 to a
    /// `$batch`; an empty serial is refused without asking Graph.
    pub async fn devices_by_serials(&self, serials: &[String]) -> Vec<SerialLookup> {
        let mut queries: Vec<Query> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for serial in serials {
            let key = serial.trim().to_ascii_uppercase();
            if !key.is_empty() && !index.contains_key(&key) {
                index.insert(key, queries.len());
                queries.push(Query {
                    serial: serial.trim().to_owned(),
                    found: Vec::new(),
                    error: None,
                    filter_ignored: false,
                    pages: 0,
                });
            }
        }
        let mut round: Vec<(usize, GraphRequest)> = queries
            .iter()
            .enumerate()
            .map(|(i, q)| (i, serial_request(&q.serial)))
            .collect();
        while !round.is_empty() {
            let requests: Vec<GraphRequest> = round.iter().map(|(_, r)| r.clone()).collect();
            let answers = self.batch(&requests).await;
            let mut next = Vec::new();
            for ((i, request), answer) in round.into_iter().zip(answers) {
                let page = answer.and_then(|a| page_of(a.body, &request));
                if let Some(link) = queries[i].take(page) {
                    next.push((
                        i,
                        GraphRequest {
                            url: link,
                            ..request
                        },
                    ));
                }
            }
            round = next;
        }
        serials
            .iter()
            .map(|serial| match index.get(&serial.trim().to_ascii_uppercase()) {
                None => SerialLookup {
                    serial: serial.clone(),
                    devices: Err(GraphError::Invalid {
                        what: "a serial look-up".into(),
                        reason: "the serial is empty (Android serials may be missing): identify the device by IMEI or its bench slot".into(),
                    }),
                    filter_ignored: false,
                },
                Some(&i) => {
                    let query = &queries[i];
                    SerialLookup {
                        serial: serial.clone(),
                        devices: match &query.error {
                            Some(error) => Err(error.clone()),
                            None => Ok(query.found.clone()),
                        },
                        filter_ignored: query.filter_ignored,
                    }
                }
            })
            .collect()
    }

    /// Devices whose Intune id is known, 20 to a `$batch`, notes included; `Ok(None)` for an
    /// id Intune no longer has.
    pub async fn devices_by_ids(
        &self,
        ids: &[String],
    ) -> Vec<Result<Option<ManagedDevice>, GraphError>> {
        let requests: Vec<GraphRequest> = ids.iter().map(|id| device_request(id)).collect();
        let answers = self.batch(&requests).await;
        answers
            .into_iter()
            .zip(&requests)
            .map(|(answer, request)| device_from(answer, request))
            .collect()
    }

    /// One device by id, notes included; `Ok(None)` when Intune no longer has it.
    pub async fn device(&self, id: &str) -> Result<Option<ManagedDevice>, GraphError> {
        let request = device_request(id);
        device_from(self.send(&request).await, &request)
    }

    /// Sets a device's notes.
    pub async fn set_notes(&self, device_id: &str, notes: &str) -> Result<(), GraphError> {
        self.send(&notes_request(device_id, notes)).await.map(drop)
    }
}

fn device_from(
    answer: Result<super::GraphResponse, GraphError>,
    request: &GraphRequest,
) -> Result<Option<ManagedDevice>, GraphError> {
    let bad = |reason: String| GraphError::BadAnswer {
        what: request.describe(),
        reason,
    };
    match answer {
        Ok(answer) => {
            let body = answer.body.ok_or_else(|| bad("no JSON body".into()))?;
            ManagedDevice::from_json(body).map(Some).map_err(bad)
        }
        Err(GraphError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_filter_is_an_escaped_odata_literal() {
        let request = serial_request("AB'C 1");
        assert!(
            request.url.starts_with("/deviceManagement/managedDevices?$filter=serialNumber%20eq%20%27AB%27%27C%201%27&$select=id,"),
            "{}",
            request.url
        );
        assert_eq!(request.method, HttpMethod::Get);
    }

    #[test]
    fn notes_request_is_a_patch_of_notes_only() {
        let request = notes_request("d/1", "stage 2 done");
        assert_eq!(request.url, "/deviceManagement/managedDevices/d%2F1");
        assert_eq!(request.body, Some(json!({"notes": "stage 2 done"})));
        assert_eq!(request.method, HttpMethod::Patch);
    }
}
