//! The bench's block in a device's Intune notes: the stage summary it holds, merging it into
//! the admins' notes, and queueing it in the outbox.

use super::{outbox_err, SyncError, KIND_NOTES};
use crate::ids::OutboxId;
use crate::intune::status::{IntuneStage, IntuneStatus};
use crate::store::Store;

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
        IntuneStage::Enrolled if status.staging_name => "stage 2 confirmed (staging name, no user)",
        IntuneStage::Enrolled => "enrolled, no user",
        IntuneStage::UserAssigned => "user signed in (stage 3)",
        IntuneStage::Leaving => "leaving Intune",
    };
    lines.push(format!("Intune: {stage}"));
    lines.push(format!(
        "Written by StageBench {}",
        env!("CARGO_PKG_VERSION")
    ));
    lines.join("\n")
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
