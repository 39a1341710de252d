//! Keeping the bench and Intune in step: read each bench device's Intune status into its
//! history, and drain the outbox of changes bound for Intune.
//!
//! The Graph side is behind [`IntuneDirectory`] (the Graph client implements it; tests use an
//! in-memory one), so the rules here are tested without HTTP:
//!
//! - **Matching.** A bench device whose Intune id is known is looked up by id (the serial leaves
//!   the name at stage 3; a 404 means it left Intune, and it is then looked up by serial again,
//!   because a factory reset and re-enrollment gives a new id). Other devices are looked up by
//!   each of their identifying serials (placeholders such as `1234567890ABCDEF` and network
//!   addresses never are: they would match strangers). An Intune device that matches more than
//!   one bench device by serial is recorded unmatched and reported as ambiguous rather than
//!   guessed.
//! - **Outbox.** Due items are claimed, sent as one `$batch`, and settled one by one: done;
//!   retried later (throttled, 5xx, timeout, offline — offline never uses up attempts, so a bench
//!   offline for days loses nothing); failed for good (a 4xx Graph will refuse again, or retries
//!   used up); or, on 401 that a refresh did not cure, put back and the drain stops to ask for a
//!   sign-in.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::backoff::{RetryAfter, RetryPolicy};
use super::status::{IntuneStatus, IntuneStatusStore};
use super::{BoxFuture, SignInError};
use crate::identity::is_identifying_serial;
use crate::ids::{DeviceId, OutboxId};
use crate::remedy::{HasRemedy, Remedy};
use crate::store::{IntuneChange, OutboxItem, Store, StoreError};

/// Outbox kind: a device's notes (the bench's stage summary block).
pub const KIND_NOTES: &str = "device-notes";
/// Outbox kind: set a Windows device's primary user.
pub const KIND_PRIMARY_USER: &str = "primary-user";
/// Outbox kind: import corporate identifiers.
pub const KIND_IDENTITIES: &str = "corporate-identifiers";

/// Items per drain round: Graph's `$batch` limit.
pub const BATCH: usize = 20;

/// Serials or ids handed to the directory per call: many `$batch`es' worth (the client keeps
/// several in flight), few enough that a huge fleet is not held in memory at once.
pub(crate) const LOOKUP_CHUNK: usize = 1000;

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Sign-in needed (the drain put everything back first).
    #[error(transparent)]
    Auth(#[from] SignInError),
    /// Graph or the network could not be reached; nothing was lost, the outbox waits.
    #[error("Intune is unreachable ({0}); working offline, changes wait in the outbox")]
    Offline(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Graph answered something the client could not use.
    #[error("Graph: {0}")]
    Graph(String),
}

impl HasRemedy for SyncError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            SyncError::Auth(e) => e.remedy(),
            SyncError::Offline(_) | SyncError::Store(_) | SyncError::Graph(_) => None,
        }
    }
}

/// Results of a lookup: what was found, and the keys whose lookup failed (with why), which the
/// next sync tries again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lookup<T> {
    /// By key (serial or Intune id).
    pub found: BTreeMap<String, T>,
    /// Keys that could not be looked up this time.
    pub failed: Vec<(String, String)>,
}

/// How one outbox item fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Graph took it.
    Done,
    /// Try again: throttled or a passing fault, with the server's `Retry-After` if it gave one.
    Retry {
        /// Why.
        error: String,
        /// The server's wait.
        retry_after: Option<RetryAfter>,
    },
    /// Not sent: the network or Graph is unreachable (does not use up attempts).
    Offline(String),
    /// 401 even after a refresh: a sign-in is needed.
    Reauthenticate(String),
    /// Refused for good.
    Fail(String),
}

/// The Graph operations a sync needs.
pub trait IntuneDirectory: Send + Sync {
    /// Managed devices whose `serialNumber` equals each serial (re-checked on our side), keyed
    /// by the serial asked for; a serial Intune does not know maps to an empty list.
    fn find_by_serials<'a>(
        &'a self,
        serials: &'a [String],
    ) -> BoxFuture<'a, Result<Lookup<Vec<IntuneStatus>>, SyncError>>;
    /// Managed devices by Intune id; `None` for an id Intune does not have (404).
    fn find_by_ids<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Lookup<Option<IntuneStatus>>, SyncError>>;
    /// Sends outbox items (at most [`BATCH`]); one outcome per item, in order.
    fn send<'a>(
        &'a self,
        items: &'a [OutboxItem],
    ) -> BoxFuture<'a, Result<Vec<SendOutcome>, SyncError>>;
}

/// What a status refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// Bench devices looked at.
    pub devices: usize,
    /// Bench devices Intune shows.
    pub found: usize,
    /// Intune devices seen for the first time.
    pub new_in_intune: usize,
    /// Intune devices whose status changed.
    pub changed: usize,
    /// Intune devices that are gone.
    pub gone: usize,
    /// Serials Intune shows on more than one bench device (not linked).
    pub ambiguous: Vec<String>,
    /// Lookups that failed this time (tried again next sync).
    pub failed: usize,
    /// Bench devices with no serial that can tell them apart (not looked up).
    pub unidentifiable: usize,
}

/// Reads Intune's status for every bench device into the store (see the module docs). With
/// `write_notes`, a device that Intune shows for the first time, or whose stage changed, gets
/// the bench's stage summary queued for its Intune notes ([`stage_summary`]).
pub async fn refresh_status(
    store: &mut Store,
    directory: &dyn IntuneDirectory,
    now: OffsetDateTime,
    write_notes: bool,
) -> Result<RefreshReport, SyncError> {
    let mut report = RefreshReport::default();
    let devices = store.devices()?;
    report.devices = devices.len();
    // 1. Devices with a live Intune id: by id.
    let mut by_id: BTreeMap<String, DeviceId> = BTreeMap::new();
    for d in &devices {
        for link in store.intune_links(d.id)? {
            if link.gone_since.is_none() {
                by_id.insert(link.status.intune_id.clone(), d.id);
            }
        }
    }
    let mut found_devices: BTreeSet<DeviceId> = BTreeSet::new();
    let ids: Vec<String> = by_id.keys().cloned().collect();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let lookup = directory.find_by_ids(chunk).await?;
        report.failed += lookup.failed.len();
        for (id, status) in lookup.found {
            let Some(&device) = by_id.get(&id) else {
                continue;
            };
            match status {
                Some(status) => {
                    let change = store.record_intune_status(Some(device), &status, now)?;
                    settle(
                        store,
                        &mut report,
                        Some(device),
                        &status,
                        change,
                        write_notes,
                    )?;
                    found_devices.insert(device);
                }
                None => {
                    if store.record_intune_gone(&id, now)? {
                        report.gone += 1;
                    }
                }
            }
        }
    }
    // 2. The others: by serial.
    let mut serial_owners: BTreeMap<String, BTreeSet<DeviceId>> = BTreeMap::new();
    for d in &devices {
        if found_devices.contains(&d.id) {
            continue;
        }
        let serials: BTreeSet<&str> = d
            .serials
            .iter()
            .map(|s| s.value.as_str())
            .filter(|s| is_identifying_serial(s))
            .collect();
        if serials.is_empty() {
            report.unidentifiable += 1;
        }
        for s in serials {
            serial_owners.entry(s.to_owned()).or_default().insert(d.id);
        }
    }
    let serials: Vec<String> = serial_owners.keys().cloned().collect();
    let mut seen_ids: BTreeSet<String> = BTreeSet::new();
    for chunk in serials.chunks(LOOKUP_CHUNK) {
        let lookup = directory.find_by_serials(chunk).await?;
        report.failed += lookup.failed.len();
        for (serial, statuses) in lookup.found {
            let owners = serial_owners.get(&serial).cloned().unwrap_or_default();
            for status in statuses {
                // A device found by two of its serials is recorded once.
                if !seen_ids.insert(status.intune_id.clone()) {
                    continue;
                }
                let device = if owners.len() == 1 {
                    owners.iter().next().copied()
                } else {
                    report.ambiguous.push(serial.clone());
                    None
                };
                let change = store.record_intune_status(device, &status, now)?;
                settle(store, &mut report, device, &status, change, write_notes)?;
                if let Some(d) = device {
                    found_devices.insert(d);
                }
            }
        }
    }
    // 3. Serials open batches expect that no bench device has: an expected device Intune shows
    //    but the bench never saw (staged elsewhere, or by someone else) is kept unmatched, so
    //    the batch can raise it.
    let known: BTreeSet<String> = devices
        .iter()
        .flat_map(|d| {
            d.serials
                .iter()
                .map(|s| s.value.trim().to_ascii_uppercase())
        })
        .collect();
    let expected: BTreeSet<String> = store
        .open_batches_expected_serials()?
        .into_iter()
        .filter(|s| !known.contains(s) && is_identifying_serial(s))
        .collect();
    let expected: Vec<String> = expected.into_iter().collect();
    for chunk in expected.chunks(LOOKUP_CHUNK) {
        let lookup = directory.find_by_serials(chunk).await?;
        report.failed += lookup.failed.len();
        for status in lookup.found.into_values().flatten() {
            if seen_ids.insert(status.intune_id.clone()) {
                let change = store.record_intune_status(None, &status, now)?;
                settle(store, &mut report, None, &status, change, write_notes)?;
            }
        }
    }
    report.found = found_devices.len();
    report.ambiguous.sort();
    report.ambiguous.dedup();
    Ok(report)
}

/// Counts a recorded change and queues the notes it calls for.
fn settle(
    store: &mut Store,
    report: &mut RefreshReport,
    device: Option<DeviceId>,
    status: &IntuneStatus,
    change: IntuneChange,
    write_notes: bool,
) -> Result<(), SyncError> {
    let notable = match &change {
        IntuneChange::Seen => {
            report.new_in_intune += 1;
            true
        }
        IntuneChange::Changed(changes) => {
            report.changed += 1;
            changes.notable
        }
        IntuneChange::Unchanged => false,
    };
    if let (true, true, Some(device)) = (write_notes, notable, device) {
        if let Some(record) = store.device(device)? {
            queue_notes(store, &status.intune_id, &stage_summary(&record, status))?;
        }
    }
    Ok(())
}

/// The bench's summary for a device's Intune notes: when and where it was staged, every serial
/// with its source, what the device said about itself, and what Intune says — so an admin
/// looking at the device in Intune sees the bench's evidence without StageBench.
pub fn stage_summary(record: &crate::store::DeviceRecord, status: &IntuneStatus) -> String {
    let mut lines = Vec::new();
    let slot = record.facts["slot_number"]
        .as_u64()
        .map(|n| format!(" in slot {n}"))
        .unwrap_or_default();
    lines.push(format!(
        "Bench: first seen {}, last seen {}{slot}",
        record.first_seen, record.last_seen
    ));
    let serials: Vec<String> = record
        .serials
        .iter()
        .map(|s| format!("{} {}", s.source, s.value))
        .collect();
    if !serials.is_empty() {
        lines.push(format!("Serials: {}", serials.join(", ")));
    }
    let fact = |k: &str| record.facts[k].as_str().filter(|v| !v.is_empty());
    let device: Vec<&str> = ["manufacturer", "model"]
        .into_iter()
        .filter_map(fact)
        .collect();
    if !device.is_empty() {
        let android = fact("android_release")
            .map(|v| format!(", Android {v}"))
            .unwrap_or_default();
        let build = fact("build_display_id")
            .map(|v| format!(", build {v}"))
            .unwrap_or_default();
        lines.push(format!("Device: {}{android}{build}", device.join(" ")));
    }
    let ev = &record.facts["evidence"];
    let mut evidence = Vec::new();
    if let Some(p) = ev["device_provisioned"].as_bool() {
        evidence.push(format!("provisioned {}", if p { "yes" } else { "no" }));
    }
    if let Some(owner) = ev["device_owner"].as_str() {
        evidence.push(format!(
            "device owner {}",
            owner.split('/').next().unwrap_or(owner)
        ));
    }
    if let Some(v) = ev["intune_app"].as_str() {
        evidence.push(format!("Intune app {v}"));
    }
    if let Some(n) = ev["boot_count"].as_u64() {
        evidence.push(format!("boot count {n}"));
    }
    if !evidence.is_empty() {
        lines.push(format!("Evidence: {}", evidence.join(", ")));
    }
    let stage = match status.stage {
        super::status::IntuneStage::Enrolled if status.staging_name => {
            "stage 2 confirmed (staging name, no user)"
        }
        super::status::IntuneStage::Enrolled => "enrolled, no user",
        super::status::IntuneStage::UserAssigned => "user signed in (stage 3)",
        super::status::IntuneStage::Leaving => "leaving Intune",
    };
    lines.push(format!("Intune: {stage}"));
    lines.push(format!(
        "Written by StageBench {}",
        env!("CARGO_PKG_VERSION")
    ));
    lines.join("\n")
}

/// What an outbox drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxDrainReport {
    /// Items Graph took.
    pub sent: usize,
    /// Items put back to retry later.
    pub retried: usize,
    /// Items refused for good.
    pub failed: usize,
    /// Whether the drain stopped because Graph or the network is unreachable.
    pub offline: bool,
}

/// Sends every due outbox item, [`BATCH`] at a time, until none is due at `now` (see the module
/// docs for how each outcome is settled). Stops early, with everything settled, when offline;
/// returns [`SyncError::Auth`] when a sign-in is needed.
pub async fn drain_outbox(
    store: &mut Store,
    directory: &dyn IntuneDirectory,
    policy: &RetryPolicy,
    rng: &mut (impl Rng + Send),
    now: OffsetDateTime,
) -> Result<OutboxDrainReport, SyncError> {
    let mut report = OutboxDrainReport::default();
    // Each round claims what is due; items retried in a round are due later, so this ends.
    loop {
        let due = store.outbox_due(now, BATCH)?;
        if due.is_empty() {
            return Ok(report);
        }
        let ids: Vec<OutboxId> = due.iter().map(|i| i.id).collect();
        let claimed = store.outbox_claim(&ids, now)?;
        if claimed.is_empty() {
            return Ok(report); // another drain took them
        }
        let outcomes = match directory.send(&claimed).await {
            Ok(outcomes) if outcomes.len() == claimed.len() => outcomes,
            Ok(outcomes) => {
                let why = format!("{} answers for {} requests", outcomes.len(), claimed.len());
                vec![
                    SendOutcome::Retry {
                        error: why,
                        retry_after: None
                    };
                    claimed.len()
                ]
            }
            Err(SyncError::Offline(why)) => vec![SendOutcome::Offline(why); claimed.len()],
            Err(SyncError::Auth(e)) => {
                vec![SendOutcome::Reauthenticate(e.to_string()); claimed.len()]
            }
            Err(e) => vec![
                SendOutcome::Retry {
                    error: e.to_string(),
                    retry_after: None
                };
                claimed.len()
            ],
        };
        let mut reauth: Option<String> = None;
        for (item, outcome) in claimed.iter().zip(outcomes) {
            match outcome {
                SendOutcome::Done => {
                    store.outbox_done(item.id, now).map_err(outbox_err)?;
                    report.sent += 1;
                }
                SendOutcome::Retry { error, retry_after } => {
                    match policy.next_delay(item.attempts, retry_after, rng) {
                        Some(delay) => {
                            store
                                .outbox_retry(item.id, now, delay, &error)
                                .map_err(outbox_err)?;
                            report.retried += 1;
                        }
                        None => {
                            let why = format!("{error} (gave up after {} attempts)", item.attempts);
                            store.outbox_fail(item.id, now, &why).map_err(outbox_err)?;
                            report.failed += 1;
                        }
                    }
                }
                SendOutcome::Offline(error) => {
                    // Offline does not count against the item: wait the longest backoff step.
                    let delay = policy.max_delay.min(Duration::from_secs(60));
                    store
                        .outbox_not_sent(item.id, now, delay, &error)
                        .map_err(outbox_err)?;
                    report.retried += 1;
                    report.offline = true;
                }
                SendOutcome::Reauthenticate(error) => {
                    store
                        .outbox_retry(item.id, now, Duration::ZERO, &error)
                        .map_err(outbox_err)?;
                    report.retried += 1;
                    reauth = Some(error);
                }
                SendOutcome::Fail(error) => {
                    store
                        .outbox_fail(item.id, now, &error)
                        .map_err(outbox_err)?;
                    report.failed += 1;
                }
            }
        }
        if reauth.is_some() {
            return Err(SyncError::Auth(SignInError::SignInAgain {
                account: "this bench's tenant".into(),
                reason: "Graph refused the access token after a refresh".into(),
            }));
        }
        if report.offline {
            return Ok(report);
        }
    }
}

fn outbox_err(e: crate::store::OutboxError) -> SyncError {
    match e {
        crate::store::OutboxError::Store(e) => SyncError::Store(e),
        other => SyncError::Graph(other.to_string()),
    }
}

/// A Graph request kept in the outbox: method, path relative to the Graph base
/// (`/deviceManagement/managedDevices/{id}`), and body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedRequest {
    /// `PATCH`, `POST`, ….
    pub method: String,
    /// Path and query under the Graph base.
    pub url: String,
    /// JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

/// Where the bench's block starts and ends in a device's Intune notes; text outside it is the
/// admins' and is kept.
pub const NOTES_BEGIN: &str = "[StageBench]";
/// See [`NOTES_BEGIN`].
pub const NOTES_END: &str = "[/StageBench]";

/// Puts `summary` into `existing` notes between [`NOTES_BEGIN`] and [`NOTES_END`], replacing an
/// earlier block and keeping everything else as it was.
pub fn merge_notes(existing: Option<&str>, summary: &str) -> String {
    let block = format!("{NOTES_BEGIN}\n{}\n{NOTES_END}", summary.trim());
    let existing = existing.unwrap_or("");
    match (existing.find(NOTES_BEGIN), existing.find(NOTES_END)) {
        (Some(b), Some(e)) if e > b => {
            format!(
                "{}{block}{}",
                &existing[..b],
                &existing[e + NOTES_END.len()..]
            )
        }
        _ if existing.trim().is_empty() => block,
        _ => format!("{}\n\n{block}", existing.trim_end()),
    }
}

/// Queues the bench's stage summary for a device's Intune notes (a later summary for the same
/// device replaces an unsent one). The sender reads the current notes and merges with
/// [`merge_notes`], so admins' own notes survive.
pub fn queue_notes(
    store: &mut Store,
    intune_id: &str,
    summary: &str,
) -> Result<OutboxId, SyncError> {
    let payload = serde_json::json!({"summary": summary});
    store
        .outbox_enqueue(
            KIND_NOTES,
            intune_id,
            Some(&format!("notes:{intune_id}")),
            &payload,
        )
        .map_err(outbox_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{SerialObservation, SerialSource};
    use crate::intune::status::IntuneStage;
    use crate::store::{OutboxState, Sighting};
    use rand::SeedableRng;
    use std::sync::Mutex;

    /// An in-memory Intune: devices by id; scripted send outcomes.
    #[derive(Default)]
    struct Memory {
        devices: Mutex<BTreeMap<String, IntuneStatus>>,
        outcomes: Mutex<Vec<SendOutcome>>,
        sent: Mutex<Vec<String>>,
        offline: Mutex<bool>,
    }

    impl Memory {
        fn put(&self, id: &str, serial: &str, name: &str, upn: Option<&str>) {
            let s = IntuneStatus::derive(
                id,
                name,
                serial,
                None,
                Some("managed"),
                upn,
                None,
                None,
                None,
            );
            self.devices.lock().unwrap().insert(id.into(), s);
        }
    }

    impl IntuneDirectory for Memory {
        fn find_by_serials<'a>(
            &'a self,
            serials: &'a [String],
        ) -> BoxFuture<'a, Result<Lookup<Vec<IntuneStatus>>, SyncError>> {
            Box::pin(async move {
                if *self.offline.lock().unwrap() {
                    return Err(SyncError::Offline("no route".into()));
                }
                let devices = self.devices.lock().unwrap();
                let mut lookup = Lookup::default();
                for s in serials {
                    let hits = devices
                        .values()
                        .filter(|d| &d.serial_number == s)
                        .cloned()
                        .collect();
                    lookup.found.insert(s.clone(), hits);
                }
                Ok(lookup)
            })
        }
        fn find_by_ids<'a>(
            &'a self,
            ids: &'a [String],
        ) -> BoxFuture<'a, Result<Lookup<Option<IntuneStatus>>, SyncError>> {
            Box::pin(async move {
                let devices = self.devices.lock().unwrap();
                let mut lookup = Lookup::default();
                for id in ids {
                    lookup.found.insert(id.clone(), devices.get(id).cloned());
                }
                Ok(lookup)
            })
        }
        fn send<'a>(
            &'a self,
            items: &'a [OutboxItem],
        ) -> BoxFuture<'a, Result<Vec<SendOutcome>, SyncError>> {
            Box::pin(async move {
                if *self.offline.lock().unwrap() {
                    return Err(SyncError::Offline("no route".into()));
                }
                let mut script = self.outcomes.lock().unwrap();
                let mut out = Vec::new();
                for item in items {
                    self.sent.lock().unwrap().push(item.target.clone());
                    out.push(if script.is_empty() {
                        SendOutcome::Done
                    } else {
                        script.remove(0)
                    });
                }
                Ok(out)
            })
        }
    }

    fn bench(store: &mut Store, serials: &[&str]) -> DeviceId {
        store
            .record_sighting(&Sighting::new(
                serials
                    .iter()
                    .map(|s| SerialObservation::new(SerialSource::RoSerialno, *s)),
            ))
            .unwrap()
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000)
    }

    #[tokio::test]
    async fn stage_2_by_serial_then_stage_3_by_id_after_the_serial_left_the_name() {
        let mut store = Store::open_in_memory().unwrap();
        let intune = Memory::default();
        let a = bench(&mut store, &["R58N1"]);
        let b = bench(&mut store, &["R58N2"]);
        let r = refresh_status(&mut store, &intune, now(), false)
            .await
            .unwrap();
        assert_eq!((r.devices, r.found, r.new_in_intune), (2, 0, 0));
        intune.put(
            "md-1",
            "R58N1",
            "Staging_R58N1_AndroidEnterprise_11/21/26_9.05 AM",
            None,
        );
        let r = refresh_status(&mut store, &intune, now(), false)
            .await
            .unwrap();
        assert_eq!((r.found, r.new_in_intune, r.changed), (1, 1, 0));
        assert_eq!(
            store.intune_links(a).unwrap()[0].status.stage,
            IntuneStage::Enrolled
        );
        // Stage 3: the name no longer carries the serial and Intune cleared it too.
        intune.put(
            "md-1",
            "",
            "ana_AndroidEnterprise_11/21/26_9.05 AM",
            Some("ana@contoso.com"),
        );
        let r = refresh_status(&mut store, &intune, now(), false)
            .await
            .unwrap();
        assert_eq!((r.found, r.changed), (1, 1));
        assert_eq!(
            store.intune_links(a).unwrap()[0].status.stage,
            IntuneStage::UserAssigned
        );
        assert!(store.intune_links(b).unwrap().is_empty());
        // Retired: gone by id, logged once; re-enrolled under a new id: found by serial again.
        intune.devices.lock().unwrap().clear();
        assert_eq!(
            refresh_status(&mut store, &intune, now(), false)
                .await
                .unwrap()
                .gone,
            1
        );
        assert_eq!(
            refresh_status(&mut store, &intune, now(), false)
                .await
                .unwrap()
                .gone,
            0
        );
        intune.put(
            "md-2",
            "R58N1",
            "Staging_R58N1_AndroidEnterprise_11/22/26_9.05 AM",
            None,
        );
        let r = refresh_status(&mut store, &intune, now(), false)
            .await
            .unwrap();
        assert_eq!((r.found, r.new_in_intune), (1, 1));
        let links = store.intune_links(a).unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].status.intune_id, "md-2", "the live record first");
    }

    #[tokio::test]
    async fn placeholders_are_never_looked_up_and_shared_serials_are_not_guessed() {
        let mut store = Store::open_in_memory().unwrap();
        let intune = Memory::default();
        bench(&mut store, &["1234567890ABCDEF"]);
        // Two bench devices end up sharing SHARED: a sighting that matched both (an identity
        // conflict) goes to the first and adds its serials there.
        let x = bench(&mut store, &["X1"]);
        let y = bench(&mut store, &["SHARED"]);
        bench(&mut store, &["X1", "SHARED"]);
        intune.put(
            "md-p",
            "1234567890ABCDEF",
            "Staging_1234567890ABCDEF_AndroidEnterprise_11/21/26_9.05 AM",
            None,
        );
        intune.put(
            "md-s",
            "SHARED",
            "Staging_SHARED_AndroidEnterprise_11/21/26_9.05 AM",
            None,
        );
        let r = refresh_status(&mut store, &intune, now(), false)
            .await
            .unwrap();
        assert_ne!(x, y);
        assert_eq!(r.ambiguous, ["SHARED"]);
        assert!(store.intune_links(x).unwrap().is_empty());
        assert!(store.intune_links(y).unwrap().is_empty());
        assert!(store
            .intune_all()
            .unwrap()
            .iter()
            .any(|l| l.status.intune_id == "md-s" && l.device.is_none()));
        assert_eq!(r.unidentifiable, 1);
        assert!(
            store
                .intune_all()
                .unwrap()
                .iter()
                .all(|l| l.status.intune_id != "md-p"),
            "placeholder never matched"
        );
    }

    #[tokio::test]
    async fn drain_settles_every_outcome_and_offline_costs_no_attempts() {
        let mut store = Store::open_in_memory()
            .unwrap()
            .with_clock(crate::clock::ManualClock::new(now()));
        let intune = Memory::default();
        let policy = RetryPolicy {
            max_attempts: 2,
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            jitter: false,
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let ids: Vec<OutboxId> = (0..4)
            .map(|i| queue_notes(&mut store, &format!("md-{i}"), "stage 2 done").unwrap())
            .collect();
        *intune.offline.lock().unwrap() = true;
        let r = drain_outbox(&mut store, &intune, &policy, &mut rng, now())
            .await
            .unwrap();
        assert_eq!((r.sent, r.retried, r.offline), (0, 4, true));
        *intune.offline.lock().unwrap() = false;
        *intune.outcomes.lock().unwrap() = vec![
            SendOutcome::Done,
            SendOutcome::Retry {
                error: "429".into(),
                retry_after: Some(RetryAfter(Duration::from_secs(7))),
            },
            SendOutcome::Fail("400 bad notes".into()),
            SendOutcome::Retry {
                error: "503".into(),
                retry_after: None,
            },
        ];
        let later = now() + time::Duration::minutes(5);
        let r = drain_outbox(&mut store, &intune, &policy, &mut rng, later)
            .await
            .unwrap();
        // Offline cost nothing, so the 503 item still has its second attempt left.
        assert_eq!((r.sent, r.retried, r.failed), (1, 2, 1), "{r:?}");
        let state = |id| store.outbox_item(id).unwrap().unwrap().state;
        assert_eq!(state(ids[0]), OutboxState::Done);
        assert_eq!(state(ids[1]), OutboxState::Pending);
        assert_eq!(state(ids[2]), OutboxState::Failed);
        assert_eq!(state(ids[3]), OutboxState::Pending);
        assert_eq!(store.outbox_item(ids[3]).unwrap().unwrap().attempts, 1);
        let next = store.outbox_item(ids[1]).unwrap().unwrap().next_attempt_at;
        assert!(
            next > crate::clock::timestamp(later + time::Duration::seconds(6)),
            "{next}"
        );
        // The retried ones go out once due; the 503 one had used its 2 attempts if it fails again.
        let r = drain_outbox(
            &mut store,
            &intune,
            &policy,
            &mut rng,
            later + time::Duration::seconds(8),
        )
        .await
        .unwrap();
        assert_eq!(r.sent, 2, "{r:?}");
        assert_eq!(store.outbox_len().unwrap().pending, 0);
    }

    #[tokio::test]
    async fn drain_stops_for_a_sign_in_and_keeps_the_items() {
        let mut store = Store::open_in_memory()
            .unwrap()
            .with_clock(crate::clock::ManualClock::new(now()));
        let intune = Memory::default();
        let id = queue_notes(&mut store, "md-1", "x").unwrap();
        *intune.outcomes.lock().unwrap() = vec![SendOutcome::Reauthenticate("401".into())];
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let err = drain_outbox(
            &mut store,
            &intune,
            &RetryPolicy::default(),
            &mut rng,
            now(),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("sign in again"), "{err}");
        assert!(
            matches!(err.remedy(), Some(Remedy::SignInAgain { .. })),
            "{err}"
        );
        assert_eq!(
            store.outbox_item(id).unwrap().unwrap().state,
            OutboxState::Pending
        );
        let r = drain_outbox(
            &mut store,
            &intune,
            &RetryPolicy::default(),
            &mut rng,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(r.sent, 1);
    }

    #[tokio::test]
    async fn first_sighting_and_stage_changes_queue_one_summary_per_device() {
        let mut store = Store::open_in_memory().unwrap();
        let intune = Memory::default();
        let a = store
            .record_sighting(
                &Sighting::new([
                    SerialObservation::new(SerialSource::RoSerialno, "R58N1"),
                    SerialObservation::new(SerialSource::UsbDescriptor, "R58N1"),
                ])
                .with_facts(serde_json::json!({"manufacturer": "samsung", "model": "SM-G991B", "android_release": "14", "slot_number": 3,
                    "evidence": {"device_provisioned": true, "device_owner": "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver", "intune_app": "24.7.0", "boot_count": 4}})),
            )
            .unwrap();
        intune.put(
            "md-1",
            "R58N1",
            "Staging_R58N1_AndroidEnterprise_11/21/26_9.05 AM",
            None,
        );
        refresh_status(&mut store, &intune, now(), true)
            .await
            .unwrap();
        refresh_status(&mut store, &intune, now(), true)
            .await
            .unwrap();
        assert_eq!(
            store.outbox_len().unwrap().pending,
            1,
            "unchanged: nothing more queued"
        );
        intune.put(
            "md-1",
            "R58N1",
            "ana_AndroidEnterprise_11/21/26_9.05 AM",
            Some("ana@contoso.com"),
        );
        refresh_status(&mut store, &intune, now(), true)
            .await
            .unwrap();
        // The stage-3 summary supersedes the unsent stage-2 one.
        assert_eq!(store.outbox_len().unwrap().pending, 1);
        let due = store
            .outbox_due(OffsetDateTime::now_utc() + time::Duration::days(1), 10)
            .unwrap();
        let summary = due[0].payload["summary"].as_str().unwrap();
        assert!(summary.contains("in slot 3"), "{summary}");
        assert!(
            summary.contains("Serials: ro-serialno R58N1, usb-descriptor R58N1"),
            "{summary}"
        );
        assert!(
            summary.contains("Device: samsung SM-G991B, Android 14"),
            "{summary}"
        );
        assert!(summary.contains("device owner com.google.android.apps.work.clouddpc, Intune app 24.7.0, boot count 4"), "{summary}");
        assert!(
            summary.contains("Intune: user signed in (stage 3)"),
            "{summary}"
        );
        assert_eq!(due[0].target, "md-1");
        assert_eq!(store.intune_links(a).unwrap().len(), 1);
    }

    #[test]
    fn notes_keep_the_admins_text_and_replace_only_our_block() {
        assert_eq!(
            merge_notes(None, "stage 2"),
            "[StageBench]\nstage 2\n[/StageBench]"
        );
        let admin = "Loaner pool — ask Jo";
        let once = merge_notes(Some(admin), "stage 2");
        assert_eq!(
            once,
            "Loaner pool — ask Jo\n\n[StageBench]\nstage 2\n[/StageBench]"
        );
        let twice = merge_notes(Some(&format!("{once}\nmore admin text")), "stage 3");
        assert_eq!(
            twice,
            "Loaner pool — ask Jo\n\n[StageBench]\nstage 3\n[/StageBench]\nmore admin text"
        );
        // A broken block (end before begin) is not cut into: ours is appended.
        let odd = "[/StageBench] x [StageBench]";
        assert!(merge_notes(Some(odd), "s").starts_with(odd));
    }
}
