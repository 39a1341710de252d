//! A batch's chain of custody, for the customer's auditor: every device with its serials, slot
//! and stage timeline, and every audited action on the batch (QR codes shown, labels printed,
//! tokens, packs and reports moved), as a CSV ([`custody_csv`]) and as a printable A4 PDF
//! ([`custody_pdf`]).
//!
//! Which audit records belong to the batch: those with its id, and those without a batch about
//! one of its devices (by serial). Both outputs are built in one pass over the events after one
//! sort by time, so a batch of thousands of devices takes well under a second.
//!
//! Layout: this file gathers the records and writes the CSV; `pdf` lays out the PDF.

mod pdf;

use std::collections::HashMap;

use time::OffsetDateTime;

use super::csv::Csv;
use super::{Batch, ReportDevice};
use crate::audit::{AuditRecord, SignedHead};
use crate::clock::timestamp;
use crate::identity::SerialSource;

pub use pdf::custody_pdf;

/// What a chain-of-custody document is made from.
#[derive(Debug, Clone)]
pub struct CustodyInput {
    /// The batch.
    pub batch: Batch,
    /// Its devices, in the order to list them.
    pub devices: Vec<ReportDevice>,
    /// Audit records (those of other batches are left out).
    pub audit: Vec<AuditRecord>,
    /// When the document is made.
    pub generated_at: OffsetDateTime,
    /// Who makes it.
    pub generated_by: String,
    /// The fingerprint of the bench key that signs the batch report, when there is one.
    pub signer_fingerprint: Option<String>,
    /// The bench's audit chain head, signed by that key, when the document is made: the audit
    /// log, rewritten later, no longer matches it.
    pub audit_head: Option<SignedHead>,
}

/// One line of the chain: a device's stage event or an audit record.
struct Entry<'a> {
    /// `None` when an audit record's time does not parse (shown as written, listed last).
    at: Option<OffsetDateTime>,
    at_text: &'a str,
    /// Index into `CustodyInput::devices`.
    device: Option<usize>,
    /// The serial an audit record names, when it matches no device.
    other_serial: Option<&'a str>,
    kind: &'a str,
    detail: String,
    who: &'a str,
    audit_id: Option<i64>,
}

/// Serials by device, computed once.
struct DeviceIds {
    /// The serial people use (the first non-IMEI serial, by source preference).
    serial: String,
    /// The first IMEI.
    imei: String,
    /// The second (a third or more, rare, ` / `-separated after it).
    imei2: String,
}

/// Sources in the order their serial is preferred as "the" serial.
const SERIAL_PREFERENCE: [SerialSource; 6] = [
    SerialSource::RoSerialno,
    SerialSource::BootSerialno,
    SerialSource::UsbDescriptor,
    SerialSource::Intune,
    SerialSource::Scanner,
    SerialSource::AdbTransport,
];

fn device_ids(device: &ReportDevice) -> DeviceIds {
    let serial = SERIAL_PREFERENCE
        .iter()
        .find_map(|source| device.serials.iter().find(|s| s.source == *source))
        .map(|s| s.value.clone())
        .unwrap_or_default();
    let mut imeis: Vec<&str> = Vec::new();
    for s in device
        .serials
        .iter()
        .filter(|s| s.source == SerialSource::Imei)
    {
        if !imeis.contains(&s.value.as_str()) {
            imeis.push(&s.value);
        }
    }
    DeviceIds {
        serial,
        imei: imeis.first().map(|s| (*s).to_owned()).unwrap_or_default(),
        imei2: imeis
            .get(1..)
            .map(|rest| rest.join(" / "))
            .unwrap_or_default(),
    }
}

/// Every entry of the chain, oldest first (entries at the same instant keep their input order:
/// devices in order, then audit records by id).
fn entries(input: &CustodyInput) -> Vec<Entry<'_>> {
    let mut by_serial: HashMap<&str, usize> = HashMap::new();
    for (i, device) in input.devices.iter().enumerate() {
        for serial in &device.serials {
            by_serial.entry(serial.value.as_str()).or_insert(i);
        }
    }
    let mut out = Vec::new();
    for (i, device) in input.devices.iter().enumerate() {
        for event in &device.events {
            out.push(Entry {
                at: Some(event.at),
                at_text: "",
                device: Some(i),
                other_serial: None,
                kind: &event.kind,
                detail: event.detail.clone(),
                who: event.technician.as_deref().unwrap_or(""),
                audit_id: None,
            });
        }
    }
    let batch_id = input.batch.id.as_str();
    let mut audit: Vec<&AuditRecord> = input
        .audit
        .iter()
        .filter(|r| match (&r.batch, &r.device) {
            (Some(b), _) => b == batch_id,
            (None, Some(serial)) => by_serial.contains_key(serial.as_str()),
            (None, None) => false,
        })
        .collect();
    audit.sort_by_key(|r| r.id);
    for record in audit {
        let device = record
            .device
            .as_deref()
            .and_then(|s| by_serial.get(s).copied());
        out.push(Entry {
            at: OffsetDateTime::parse(&record.at, &time::format_description::well_known::Rfc3339)
                .ok(),
            at_text: &record.at,
            device,
            other_serial: if device.is_none() {
                record.device.as_deref()
            } else {
                None
            },
            kind: &record.action,
            detail: audit_detail(record),
            who: &record.actor,
            audit_id: Some(record.id),
        });
    }
    out.sort_by_key(|e| (e.at.is_none(), e.at));
    out
}

/// An audit record's token reference and detail as one line.
fn audit_detail(record: &AuditRecord) -> String {
    let mut parts = Vec::new();
    if let Some(token) = &record.token {
        parts.push(format!("token: {token}"));
    }
    match &record.detail {
        serde_json::Value::Null => {}
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match value {
                    serde_json::Value::String(s) => parts.push(format!("{key}: {s}")),
                    other => parts.push(format!("{key}: {other}")),
                }
            }
        }
        serde_json::Value::String(s) => parts.push(s.clone()),
        other => parts.push(other.to_string()),
    }
    parts.join(", ")
}

fn time_text(entry: &Entry<'_>) -> String {
    entry.at.map_or_else(|| entry.at_text.to_owned(), timestamp)
}

/// The chain as CSV: one row per event, oldest first, with the device's serial, IMEIs and slot.
pub fn custody_csv(input: &CustodyInput) -> String {
    let ids: Vec<DeviceIds> = input.devices.iter().map(device_ids).collect();
    let mut csv = Csv::new(&[
        "time (UTC)",
        "batch",
        "serial",
        "imei",
        "imei 2",
        "slot",
        "event",
        "detail",
        "who",
        "audit id",
    ]);
    let batch = Csv::text(input.batch.id.as_str());
    for entry in entries(input) {
        let (serial, imei, imei2, slot) = match entry.device {
            Some(i) => (
                ids[i].serial.as_str(),
                ids[i].imei.as_str(),
                ids[i].imei2.as_str(),
                input.devices[i]
                    .slot
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            ),
            None => (entry.other_serial.unwrap_or(""), "", "", String::new()),
        };
        csv.row(&[
            Csv::plain(&time_text(&entry)),
            batch.clone(),
            Csv::text(serial),
            Csv::text(imei),
            Csv::text(imei2),
            Csv::plain(&slot),
            Csv::plain(entry.kind),
            Csv::plain(&entry.detail),
            Csv::plain(entry.who),
            entry.audit_id.map(|id| id.to_string()).unwrap_or_default(),
        ]);
    }
    csv.finish()
}
