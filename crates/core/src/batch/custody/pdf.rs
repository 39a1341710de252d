//! The chain of custody as an A4 PDF, laid out top to bottom with [`crate::pdf`].
//!
//! Nothing is hidden by the layout: long values wrap (up to a few lines per cell, then `…`; the
//! CSV has every value in full), a table that runs onto the next page repeats its header, and a
//! device's block (heading, serials, timeline) starts on a new page when it would not fit on the
//! current one but fits on an empty one.

use std::collections::HashSet;
use std::fmt::Write as _;

use time::OffsetDateTime;

use super::{device_ids, entries, CustodyInput, DeviceIds, Entry};
use crate::batch::BatchOrigin;
use crate::pdf::{fit_width, text_width, wrap_lines, Font, Page, PdfDocument, RectStyle, A4};
use crate::stage::Stage;

// The A4 page, in points.
const MARGIN: f32 = 40.0;
const TOP: f32 = 40.0;
const BOTTOM: f32 = A4.1 - 50.0;
const WIDTH: f32 = A4.0 - 2.0 * MARGIN;
/// Body text size and line pitch.
const BODY: f32 = 8.0;
const ROW: f32 = 11.0;
/// Where values start after their label.
const LABEL: f32 = 130.0;
const SMALL_LABEL: f32 = 60.0;
/// Lines a table cell may take before it is cut.
const CELL_LINES: usize = 4;

/// A table: column titles and widths (summing to at most [`WIDTH`]).
type Columns = [(&'static str, f32)];

const SUMMARY: [(&str, f32); 2] = [("Stage", 160.0), ("Devices", 80.0)];
const TIMELINE: [(&str, f32); 4] = [
    ("Time (UTC)", 88.0),
    ("Event", 100.0),
    ("Detail", 247.0),
    ("Who", 80.0),
];
const TRAIL: [(&str, f32); 5] = [
    ("Time (UTC)", 88.0),
    ("Action", 80.0),
    ("Device", 82.0),
    ("Detail", 185.0),
    ("Who", 80.0),
];

/// A table row, each cell already broken into lines.
type Row = Vec<Vec<String>>;

fn wrap_row(columns: &Columns, cells: &[&str]) -> Row {
    columns
        .iter()
        .zip(cells)
        .map(|((_, width), cell)| wrap_lines(Font::Helvetica, BODY, cell, width - 4.0, CELL_LINES))
        .collect()
}

fn row_height(row: &Row) -> f32 {
    row.iter().map(Vec::len).max().unwrap_or(1) as f32 * ROW
}

/// Pages being filled top to bottom.
struct Sheet {
    doc: PdfDocument,
    /// The baseline of the next line.
    y: f32,
    running_header: String,
}

impl Sheet {
    fn new(doc: PdfDocument, running_header: String) -> Sheet {
        let mut doc = doc;
        doc.add_page(A4.0, A4.1);
        Sheet {
            doc,
            y: TOP + 12.0,
            running_header,
        }
    }

    fn page(&mut self) -> &mut Page {
        match self.doc.last_page_mut() {
            Some(page) => page,
            None => unreachable!("the sheet always has a page"),
        }
    }

    fn new_page(&mut self) {
        let header = fit_width(Font::Helvetica, BODY, &self.running_header, WIDTH);
        let page = self.doc.add_page(A4.0, A4.1);
        page.text(MARGIN, TOP, BODY, Font::Helvetica, &header);
        page.line(MARGIN, TOP + 4.0, MARGIN + WIDTH, TOP + 4.0, 0.5);
        self.y = TOP + 20.0;
    }

    /// Makes room for `height` points below the current line (when it fits on a page at all);
    /// true when that took a new page.
    fn need(&mut self, height: f32) -> bool {
        let room_on_empty_page = BOTTOM - (TOP + 20.0);
        if self.y + height.min(room_on_empty_page) > BOTTOM {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// One line of text, cut to the page's width.
    fn line(&mut self, size: f32, font: Font, text: &str) {
        self.need(size + 3.0);
        let y = self.y;
        let text = fit_width(font, size, text, WIDTH);
        self.page().text(MARGIN, y, size, font, &text);
        self.y += size + 3.0;
    }

    fn heading(&mut self, text: &str) {
        // A heading never ends a page: keep room for a few lines under it.
        self.need(22.0 + 3.0 * ROW);
        self.y += 8.0;
        self.line(11.0, Font::HelveticaBold, text);
        self.y += 3.0;
    }

    /// A label and its value wrapped beside it (`indent` points from the margin).
    fn field(&mut self, label: &str, lines: &[String], font: Font, size: f32, indent: f32) {
        let pitch = size + 3.5;
        for (i, text) in lines.iter().enumerate() {
            self.need(pitch);
            let y = self.y;
            let page = self.page();
            if i == 0 {
                page.text(MARGIN, y, size, Font::HelveticaBold, label);
            }
            page.text(MARGIN + indent, y, size, font, text);
            self.y += pitch;
        }
    }

    /// A header block line: label, value (wrapped on up to three lines).
    fn fact(&mut self, label: &str, value: &str, font: Font) {
        let lines = wrap_lines(font, 9.0, value, WIDTH - LABEL, 3);
        self.field(label, &lines, font, 9.0, LABEL);
    }

    /// A table's header row, on a light gray band.
    fn table_header(&mut self, columns: &Columns) {
        self.need(2.0 * ROW);
        let y = self.y;
        let band: f32 = columns.iter().map(|(_, w)| w).sum();
        let page = self.page();
        page.rect(
            MARGIN,
            y - BODY - 1.5,
            band,
            ROW,
            RectStyle::Fill { gray: 0.9 },
        );
        let mut x = MARGIN;
        for (title, width) in columns {
            page.text(x + 2.0, y, BODY, Font::HelveticaBold, title);
            x += width;
        }
        self.y += ROW;
    }

    /// A table row; on a new page the table's header is repeated first.
    fn table_row(&mut self, columns: &Columns, row: &Row) {
        if self.need(row_height(row)) {
            self.table_header(columns);
        }
        let y = self.y;
        let page = self.page();
        let mut x = MARGIN;
        for ((_, width), lines) in columns.iter().zip(row) {
            for (i, line) in lines.iter().enumerate() {
                page.text(x + 2.0, y + i as f32 * ROW, BODY, Font::Helvetica, line);
            }
            x += width;
        }
        self.y += row_height(row);
    }
}

/// `2025-01-31 08:15:00`, in UTC.
fn pdf_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn entry_time(entry: &Entry<'_>) -> String {
    entry.at.map_or_else(|| entry.at_text.to_owned(), pdf_time)
}

fn or_dash(value: Option<String>) -> String {
    value
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "—".to_owned())
}

/// The chain of custody as an A4 PDF: the batch's facts, devices per stage, each device with its
/// serials (and where each was read), slot, model, final stage and timeline, then the batch's
/// audit trail; a running header and "page N of M" on every page.
pub fn custody_pdf(input: &CustodyInput) -> Vec<u8> {
    let batch = &input.batch;
    let title = format!("Chain of custody — {}", batch.spec.name);
    let doc = PdfDocument::new()
        .with_title(title.clone())
        .with_creation_date(input.generated_at);
    let mut sheet = Sheet::new(doc, format!("{title} · batch {}", batch.id.short()));
    for line in wrap_lines(Font::HelveticaBold, 16.0, &title, WIDTH, 2) {
        sheet.line(16.0, Font::HelveticaBold, &line);
    }
    sheet.y += 6.0;

    let ids: Vec<DeviceIds> = input.devices.iter().map(device_ids).collect();
    facts(&mut sheet, input);
    summary(&mut sheet, input);

    let entries = entries(input);
    let mut per_device: Vec<Vec<&Entry<'_>>> = vec![Vec::new(); input.devices.len()];
    for entry in &entries {
        if let Some(i) = entry.device {
            per_device[i].push(entry);
        }
    }
    sheet.heading("Devices");
    for (i, timeline) in per_device.iter().enumerate() {
        device(&mut sheet, input, i, &ids[i], timeline);
    }

    sheet.heading("Audit trail");
    let trail: Vec<&Entry<'_>> = entries.iter().filter(|e| e.audit_id.is_some()).collect();
    if trail.is_empty() {
        sheet.line(BODY, Font::Helvetica, "No audited actions for this batch.");
    } else {
        sheet.table_header(&TRAIL);
        for entry in trail {
            let device = match entry.device {
                Some(i) => ids[i].serial.as_str(),
                None => entry.other_serial.unwrap_or(""),
            };
            let time = entry_time(entry);
            let row = wrap_row(
                &TRAIL,
                &[&time, entry.kind, device, &entry.detail, entry.who],
            );
            sheet.table_row(&TRAIL, &row);
        }
    }
    footers(sheet.doc, input)
}

/// The header block: what the batch is, who made it and this document.
fn facts(sheet: &mut Sheet, input: &CustodyInput) {
    let batch = &input.batch;
    let spec = &batch.spec;
    let profile = &spec.profile;
    let profile_text = match (
        profile.profile_name.is_empty(),
        profile.profile_id.is_empty(),
    ) {
        (false, false) => format!("{} ({})", profile.profile_name, profile.profile_id),
        (false, true) => profile.profile_name.clone(),
        (true, false) => profile.profile_id.clone(),
        (true, true) => "—".to_owned(),
    };
    let origin = match &batch.origin {
        BatchOrigin::Local => "created on this bench".to_owned(),
        BatchOrigin::Pack {
            pack_id,
            created_by,
        } => {
            format!("imported from bench pack {pack_id} made by {created_by}")
        }
    };
    let seen: HashSet<&str> = input
        .devices
        .iter()
        .flat_map(|d| d.serials.iter().map(|s| s.value.as_str()))
        .collect();
    let mut devices = input.devices.len().to_string();
    if !spec.expected_serials.is_empty() {
        let missing = spec
            .expected_serials
            .iter()
            .filter(|s| !seen.contains(s.as_str()))
            .count();
        let expected = spec.expected_serials.len();
        let _ = write!(
            devices,
            " ({missing} of {expected} expected serials not seen)"
        );
    }
    let token_expires = profile.token_expires.map_or_else(
        || "does not expire".to_owned(),
        |t| format!("{} UTC", pdf_time(t)),
    );

    sheet.fact("Batch id", batch.id.as_str(), Font::Courier);
    sheet.fact("Profile", &profile_text, Font::Helvetica);
    let flow = format!("{} ({})", profile.flow.name(), profile.enrollment_mode);
    sheet.fact("Flow", &flow, Font::Helvetica);
    sheet.fact("Token expires", &token_expires, Font::Helvetica);
    sheet.fact(
        "Vendor / site",
        &or_dash(Some(spec.vendor.clone())),
        Font::Helvetica,
    );
    sheet.fact(
        "Due",
        &or_dash(spec.due.map(|d| d.to_string())),
        Font::Helvetica,
    );
    let expected = or_dash(spec.expected_count.map(|c| c.to_string()));
    sheet.fact("Expected count", &expected, Font::Helvetica);
    sheet.fact("Devices", &devices, Font::Helvetica);
    let created = format!(
        "{} UTC by {}, {origin}",
        pdf_time(batch.created_at),
        batch.created_by
    );
    sheet.fact("Created", &created, Font::Helvetica);
    let generated = format!(
        "{} UTC by {}",
        pdf_time(input.generated_at),
        input.generated_by
    );
    sheet.fact("Generated", &generated, Font::Helvetica);
    match &input.signer_fingerprint {
        Some(fingerprint) => sheet.fact("Bench key", fingerprint, Font::Courier),
        None => sheet.fact(
            "Bench key",
            "none: this document is not signed",
            Font::Helvetica,
        ),
    }
    if let Some(head) = &input.audit_head {
        let row = format!("row {}, hash {}", head.row, head.hash);
        sheet.fact("Audit head", &row, Font::Courier);
        sheet.fact("Head signature", &head.signature, Font::Courier);
    }
}

/// Devices per stage: the flow's stages in order, then any other stage a device is in.
fn summary(sheet: &mut Sheet, input: &CustodyInput) {
    let mut stages: Vec<(Stage, usize)> = input
        .batch
        .spec
        .profile
        .flow
        .stages()
        .iter()
        .map(|s| (*s, 0))
        .collect();
    for device in &input.devices {
        match stages.iter_mut().find(|(s, _)| *s == device.stage) {
            Some((_, n)) => *n += 1,
            None => stages.push((device.stage, 1)),
        }
    }
    sheet.heading("Devices per stage");
    sheet.table_header(&SUMMARY);
    for (stage, n) in &stages {
        sheet.table_row(
            &SUMMARY,
            &wrap_row(&SUMMARY, &[stage.label(), &n.to_string()]),
        );
    }
    let total = input.devices.len().to_string();
    sheet.table_row(&SUMMARY, &wrap_row(&SUMMARY, &["Total", &total]));
}

/// One device's block: heading, serials with their sources, problems, timeline.
fn device(
    sheet: &mut Sheet,
    input: &CustodyInput,
    i: usize,
    ids: &DeviceIds,
    timeline: &[&Entry<'_>],
) {
    let device = &input.devices[i];
    let mut heading = format!("Device {}", i + 1);
    if !ids.serial.is_empty() {
        let _ = write!(heading, " — {}", ids.serial);
    }
    if let Some(slot) = device.slot {
        let _ = write!(heading, " · slot {slot}");
    }
    let model: Vec<&str> = [&device.manufacturer, &device.model]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !model.is_empty() {
        let _ = write!(heading, " · {}", model.join(" "));
    }
    if let Some(os) = &device.os_version {
        let _ = write!(heading, " · OS {os}");
    }
    let _ = write!(heading, " · final stage: {}", device.stage.label());

    // Each distinct value once, with every source it was read from.
    let mut serials: Vec<(&str, Vec<&str>)> = Vec::new();
    for s in &device.serials {
        match serials.iter_mut().find(|(v, _)| *v == s.value) {
            Some((_, sources)) => sources.push(s.source.as_str()),
            None => serials.push((&s.value, vec![s.source.as_str()])),
        }
    }
    let serials: Vec<String> = serials
        .iter()
        .map(|(v, sources)| format!("{v} ({})", sources.join(", ")))
        .collect();
    let room = WIDTH - SMALL_LABEL;
    let serial_lines = wrap_lines(Font::Helvetica, BODY, &serials.join("; "), room, 8);
    let problem_lines = wrap_lines(Font::Helvetica, BODY, &device.problems.join(", "), room, 4);
    let rows: Vec<Row> = timeline
        .iter()
        .map(|e| wrap_row(&TIMELINE, &[&entry_time(e), e.kind, &e.detail, e.who]))
        .collect();

    let pitch = BODY + 3.5;
    let mut height = 6.0 + 12.0 + serial_lines.len() as f32 * pitch + ROW;
    if !device.problems.is_empty() {
        height += problem_lines.len() as f32 * pitch;
    }
    height += rows.iter().map(row_height).sum::<f32>();
    sheet.need(height);

    sheet.y += 6.0;
    sheet.line(9.0, Font::HelveticaBold, &heading);
    sheet.field("Serials", &serial_lines, Font::Helvetica, BODY, SMALL_LABEL);
    if !device.problems.is_empty() {
        sheet.field(
            "Problems",
            &problem_lines,
            Font::Helvetica,
            BODY,
            SMALL_LABEL,
        );
    }
    if rows.is_empty() {
        sheet.line(BODY, Font::Helvetica, "No events recorded.");
        return;
    }
    sheet.table_header(&TIMELINE);
    for row in &rows {
        sheet.table_row(&TIMELINE, row);
    }
}

/// A rule, who made the document and "page N of M" at the foot of every page.
fn footers(mut doc: PdfDocument, input: &CustodyInput) -> Vec<u8> {
    let total = doc.page_count();
    let left = format!(
        "StageBench · batch {} · generated {} UTC by {}",
        input.batch.id.short(),
        pdf_time(input.generated_at),
        input.generated_by
    );
    let left = fit_width(Font::Helvetica, 7.0, &left, WIDTH - 80.0);
    let y = A4.1 - 25.0;
    for (n, page) in doc.pages_mut().enumerate() {
        page.line(MARGIN, y - 10.0, MARGIN + WIDTH, y - 10.0, 0.5);
        page.text(MARGIN, y, 7.0, Font::Helvetica, &left);
        let number = format!("page {} of {total}", n + 1);
        let x = MARGIN + WIDTH - text_width(Font::Helvetica, 7.0, &number);
        page.text(x, y, 7.0, Font::Helvetica, &number);
    }
    doc.finish()
}
