//! The report as CSV for spreadsheets: for reading, not for importing (no signature).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::BatchReport;
use crate::batch::csv::Csv;
use crate::identity::SerialSource;

/// The report as CSV for spreadsheets: one row per device, serials and IMEIs kept as text.
///
/// Columns: batch id, batch name, device (1-based), primary serial (the first from
/// `ro.serialno` or the USB descriptor, else the first), every serial as `value (source)`, then
/// one column per serial source that occurs in the report (values joined with `; `), slot, box
/// label (only when some device has one),
/// manufacturer, model, OS version, stage, stage 2 at (the first `powered-off` or `intune-seen`
/// event), first seen, last event and its time, technicians, problems.
pub fn report_csv(report: &BatchReport) -> String {
    let sources: Vec<SerialSource> = SerialSource::ALL
        .into_iter()
        .filter(|s| {
            report
                .devices
                .iter()
                .any(|d| d.serials.iter().any(|r| r.source == *s))
        })
        .collect();
    let mut header = vec![
        "batch id",
        "batch name",
        "device",
        "primary serial",
        "serials",
    ];
    header.extend(sources.iter().map(SerialSource::as_str));
    let box_labels = report.devices.iter().any(|d| d.box_label.is_some());
    header.push("slot");
    if box_labels {
        header.push("box label");
    }
    header.extend([
        "manufacturer",
        "model",
        "os version",
        "stage",
        "stage 2 at",
        "first seen",
        "last event",
        "last event at",
        "technicians",
        "problems",
    ]);
    let mut csv = Csv::new(&header);
    let batch_id = Csv::text(report.batch.id.as_str());
    let batch_name = Csv::plain(&report.batch.spec.name);
    for (i, device) in report.devices.iter().enumerate() {
        let primary = device
            .serials
            .iter()
            .find(|s| {
                matches!(
                    s.source,
                    SerialSource::RoSerialno | SerialSource::UsbDescriptor
                )
            })
            .or_else(|| device.serials.first())
            .map(|s| s.value.as_str())
            .unwrap_or_default();
        let all: Vec<String> = device
            .serials
            .iter()
            .map(|s| format!("{} ({})", s.value, s.source))
            .collect();
        let mut row = vec![
            batch_id.clone(),
            batch_name.clone(),
            Csv::plain(&(i + 1).to_string()),
            Csv::text(primary),
            Csv::text(&all.join("; ")),
        ];
        for source in &sources {
            let values: Vec<&str> = device
                .serials
                .iter()
                .filter(|s| s.source == *source)
                .map(|s| s.value.as_str())
                .collect();
            row.push(Csv::text(&values.join("; ")));
        }
        let stage2 = device
            .events
            .iter()
            .find(|e| e.kind == "powered-off" || e.kind == "intune-seen");
        let first = device.events.iter().map(|e| e.at).min();
        let last = device.events.iter().max_by_key(|e| e.at);
        let mut technicians: Vec<&str> = Vec::new();
        for t in device.events.iter().filter_map(|e| e.technician.as_deref()) {
            if !technicians.contains(&t) {
                technicians.push(t);
            }
        }
        let opt = |v: &Option<String>| Csv::plain(v.as_deref().unwrap_or_default());
        row.push(Csv::plain(
            &device.slot.map(|s| s.to_string()).unwrap_or_default(),
        ));
        if box_labels {
            row.push(Csv::text(device.box_label.as_deref().unwrap_or_default()));
        }
        row.extend([
            opt(&device.manufacturer),
            opt(&device.model),
            Csv::text(device.os_version.as_deref().unwrap_or_default()),
            Csv::plain(device.stage.name()),
            Csv::plain(&stage2.map(|e| rfc3339(e.at)).unwrap_or_default()),
            Csv::plain(&first.map(rfc3339).unwrap_or_default()),
            Csv::plain(last.map(|e| e.kind.as_str()).unwrap_or_default()),
            Csv::plain(&last.map(|e| rfc3339(e.at)).unwrap_or_default()),
            Csv::plain(&technicians.join("; ")),
            Csv::plain(&device.problems.join("; ")),
        ]);
        csv.row(&row);
    }
    csv.finish()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}
