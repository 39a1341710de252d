//! The Graph client as the sync's [`IntuneDirectory`]: status look-ups and outbox sends.
//!
//! Outbox items carry either a ready [`GraphRequest`] (`{"request": …}`, e.g. a primary user or
//! a corporate-identifier import) or, for `device-notes`, the bench's summary
//! (`{"summary": …}`): notes are read first and the summary merged into the bench's block
//! ([`merge_notes`]), so an admin's own notes survive. Each item's `operation_id` goes out as
//! its `client-request-id`.

use std::collections::BTreeMap;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::devices::device_request;
use super::{notes_request, GraphClient, GraphError, GraphRequest, ManagedDevice};
use crate::intune::status::IntuneStatus;
use crate::intune::sync::{
    merge_notes, IntuneDirectory, Lookup, SendOutcome, SyncError, KIND_NOTES,
};
use crate::intune::BoxFuture;
use crate::store::OutboxItem;

/// The bench's view of a managed device.
pub fn status_of(d: &ManagedDevice) -> IntuneStatus {
    let time = |t: Option<OffsetDateTime>| t.and_then(|t| t.format(&Rfc3339).ok());
    let (enrolled, last_sync) = (time(d.enrolled), time(d.last_sync));
    IntuneStatus::derive(
        &d.id,
        &d.device_name,
        &d.serial_number,
        Some(d.enrollment_type.as_str()),
        Some(d.management_state.as_str()),
        d.user_principal_name.as_deref(),
        d.user_display_name.as_deref(),
        enrolled.as_deref(),
        last_sync.as_deref(),
    )
}

/// A whole look-up that cannot go on: no sign-in, or Graph unreachable.
fn fatal(e: &GraphError) -> Option<SyncError> {
    match e {
        // The sign-in's own error already names the account and the next step.
        GraphError::Auth { source, .. } => Some(SyncError::Auth((**source).clone())),
        GraphError::Network { .. } => Some(SyncError::Offline(e.to_string())),
        _ => None,
    }
}

fn outcome(result: Result<(), GraphError>) -> SendOutcome {
    match result {
        Ok(()) => SendOutcome::Done,
        Err(e @ GraphError::Auth { .. }) => SendOutcome::Reauthenticate(e.to_string()),
        Err(e @ GraphError::Network { .. }) => SendOutcome::Offline(e.to_string()),
        Err(e @ GraphError::Busy { .. }) => SendOutcome::Retry {
            error: e.to_string(),
            retry_after: None,
        },
        Err(e) => SendOutcome::Fail(e.to_string()),
    }
}

impl GraphClient {
    async fn send_items(&self, items: &[OutboxItem]) -> Vec<SendOutcome> {
        // Notes: read the current ones first.
        let notes: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].kind == KIND_NOTES)
            .collect();
        let reads: Vec<GraphRequest> = notes
            .iter()
            .map(|&i| device_request(&items[i].target))
            .collect();
        let mut current: BTreeMap<usize, Result<Option<String>, GraphError>> = BTreeMap::new();
        for (&i, answer) in notes.iter().zip(self.batch(&reads).await) {
            let read = answer.map(|r| {
                let body = r.body.unwrap_or(Value::Null);
                body.get("notes").and_then(Value::as_str).map(str::to_owned)
            });
            current.insert(i, read);
        }
        let mut outcomes: Vec<Option<SendOutcome>> = vec![None; items.len()];
        let mut writes: Vec<(usize, GraphRequest)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let request = if item.kind == KIND_NOTES {
                let summary = item.payload["summary"].as_str().unwrap_or_default();
                match current.remove(&i) {
                    Some(Ok(existing)) => Ok(notes_request(
                        &item.target,
                        &merge_notes(existing.as_deref(), summary),
                    )),
                    Some(Err(e)) => Err(e),
                    None => Err(GraphError::Invalid {
                        what: format!("outbox item {}", item.id),
                        reason: "its notes were not read".into(),
                    }),
                }
            } else {
                serde_json::from_value::<GraphRequest>(item.payload["request"].clone()).map_err(|e| GraphError::Invalid {
                    what: format!("outbox item {} ({})", item.id, item.kind),
                    reason: format!("it holds no Graph request ({e}); it cannot be sent and stays failed for review"),
                })
            };
            match request {
                Ok(mut request) => {
                    request.client_request_id = Some(item.operation_id.clone());
                    writes.push((i, request));
                }
                Err(e) => outcomes[i] = Some(outcome(Err(e))),
            }
        }
        let requests: Vec<GraphRequest> = writes.iter().map(|(_, r)| r.clone()).collect();
        for ((i, _), answer) in writes.iter().zip(self.batch(&requests).await) {
            outcomes[*i] = Some(outcome(answer.map(drop)));
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or(SendOutcome::Fail("not sent".into())))
            .collect()
    }
}

impl IntuneDirectory for GraphClient {
    fn find_by_serials<'a>(
        &'a self,
        serials: &'a [String],
    ) -> BoxFuture<'a, Result<Lookup<Vec<IntuneStatus>>, SyncError>> {
        Box::pin(async move {
            let mut lookup = Lookup::default();
            for answer in self.devices_by_serials(serials).await {
                match answer.devices {
                    Ok(devices) => {
                        lookup
                            .found
                            .insert(answer.serial, devices.iter().map(status_of).collect());
                    }
                    Err(e) => {
                        if let Some(fatal) = fatal(&e) {
                            return Err(fatal);
                        }
                        lookup.failed.push((answer.serial, e.to_string()));
                    }
                }
            }
            Ok(lookup)
        })
    }

    fn find_by_ids<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Lookup<Option<IntuneStatus>>, SyncError>> {
        Box::pin(async move {
            let mut lookup = Lookup::default();
            for (id, answer) in ids.iter().zip(self.devices_by_ids(ids).await) {
                match answer {
                    Ok(device) => {
                        lookup
                            .found
                            .insert(id.clone(), device.as_ref().map(status_of));
                    }
                    Err(e) => {
                        if let Some(fatal) = fatal(&e) {
                            return Err(fatal);
                        }
                        lookup.failed.push((id.clone(), e.to_string()));
                    }
                }
            }
            Ok(lookup)
        })
    }

    fn send<'a>(
        &'a self,
        items: &'a [OutboxItem],
    ) -> BoxFuture<'a, Result<Vec<SendOutcome>, SyncError>> {
        Box::pin(async move { Ok(self.send_items(items).await) })
    }
}
