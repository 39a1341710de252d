//! `stagebench labels`: printer-true labels. `render` writes enrollment, device or box labels
//! as PNG, PDF or ZPL at the printer's resolution; `print` (sending them to printers) goes next
//! to it as its own subcommand.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use stagebench_core::batch::exchange;
use stagebench_core::batch::progress::token_check;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::label::{
    batch_device_labels, builtin_templates, check_guards, find_template, refuse_wifi_credentials, render_labels, DeviceLabel,
    EnrollmentLabel, LabelData, OutputFormat, RenderOptions, RenderedDocument, Template,
};
use stagebench_core::secret::SecretText;
use stagebench_core::stage::Stage;
use stagebench_core::store::Store;

/// Labels: render (and print).
#[derive(Args)]
pub struct LabelsArgs {
    #[command(subcommand)]
    command: LabelsCommand,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum LabelsCommand {
    /// Render labels to a PNG, PDF or ZPL file at the printer's resolution.
    Render(RenderArgs),
    /// Render labels for a printer (its resolution; PDF for IPP printers, ZPL for raw and serial) and send them through the print queue.
    Print(PrintArgs),
}

/// `labels print`.
#[derive(Args)]
pub struct PrintArgs {
    /// The printer, as `stagebench printers add` named it.
    #[arg(long)]
    printer: String,
    #[command(flatten)]
    labels: RenderArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Png,
    Pdf,
    Zpl,
}

/// `labels render`.
#[derive(Args)]
pub struct RenderArgs {
    /// List the built-in templates and stop.
    #[arg(long)]
    list_templates: bool,
    /// A built-in template's name or a template file.
    #[arg(long)]
    template: Option<String>,
    /// The printer's resolution (PNG and PDF also take others, 72–2400).
    #[arg(long, default_value_t = 203)]
    dpi: u32,
    /// The file format.
    #[arg(long, value_enum, default_value = "pdf")]
    format: Format,
    /// Where to write (PNG: one file per page, numbered when more than one).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Device labels for a batch's devices.
    #[arg(long, conflicts_with_all = ["serial", "enrollment"])]
    batch: Option<String>,
    /// With --batch: only devices at this stage (new, scanning, enrolling, bench-done, in-intune, …).
    #[arg(long, requires = "batch")]
    stage: Option<Stage>,
    /// Device labels for these serials.
    #[arg(long, num_args = 1.., conflicts_with = "enrollment")]
    serial: Vec<String>,
    /// The enrollment QR label of this batch (its payload from the keyring; recorded as a QR display).
    #[arg(long)]
    enrollment: Option<String>,
    /// Copies of each label.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    copies: u32,
    /// Refuse Wi-Fi credentials on labels even if the bench setting allows them.
    #[arg(long)]
    refuse_wifi_credentials: bool,
}

#[derive(Serialize)]
struct TemplateRow<'a> {
    name: &'a str,
    kind: &'static str,
    width_mm: f64,
    height_mm: f64,
    sheet: Option<String>,
    description: &'a str,
}

#[derive(Serialize)]
struct Rendered {
    template: String,
    format: &'static str,
    dpi: u32,
    labels: usize,
    pages: usize,
    page_dots: (u32, u32),
    files: Vec<PathBuf>,
    /// Batch devices without a serial (store ids), which got no label.
    without_serial: Vec<i64>,
}

/// Runs `stagebench labels`.
pub async fn run(args: &LabelsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match &args.command {
        LabelsCommand::Render(render) => run_render(render, args.json, out).await,
        LabelsCommand::Print(print) => run_print(print, args.json, out).await,
    }
}

fn list_templates(json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let templates = builtin_templates();
    let rows: Vec<TemplateRow> = templates
        .iter()
        .map(|t| TemplateRow {
            name: &t.name,
            kind: t.kind.name(),
            width_mm: t.width_mm,
            height_mm: t.height_mm,
            sheet: t.sheet.map(|s| format!("{:?} {}x{}", s.page, s.columns, s.rows).to_lowercase()),
            description: &t.description,
        })
        .collect();
    if json {
        return super::write_json(out, &rows);
    }
    for r in rows {
        let sheet = r.sheet.map(|s| format!(" on {s}")).unwrap_or_default();
        writeln!(out, "{:<22} {:<10} {:>6.1} x {:<6.1} mm{sheet}", r.name, r.kind, r.width_mm, r.height_mm)?;
    }
    Ok(())
}

async fn run_render(args: &RenderArgs, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.list_templates {
        return list_templates(json, out);
    }
    let (Some(name), Some(path)) = (&args.template, &args.out) else { bail!("--template and --out are needed") };
    let template = find_template(name)?;
    let format = match args.format {
        Format::Png => OutputFormat::Png,
        Format::Pdf => OutputFormat::Pdf,
        Format::Zpl => OutputFormat::Zpl,
    };
    let (labels, options, without_serial, _) = collect(args, args.dpi).await?;
    let doc = render_labels(&template, &labels, format, &options)?;
    let files = write_files(path, &doc)?;
    let report = Rendered {
        template: template.name.clone(),
        format: format.name(),
        dpi: args.dpi,
        labels: doc.labels,
        pages: doc.pages,
        page_dots: doc.page_dots,
        files,
        without_serial,
    };
    if json {
        return super::write_json(out, &report);
    }
    print_rendered(out, &template, &report)
}

/// The labels `args` ask for (copies included), the render options at `dpi`, the batch
/// devices left out for having no serial, and the batch they belong to.
async fn collect(args: &RenderArgs, dpi: u32) -> anyhow::Result<(Vec<LabelData>, RenderOptions, Vec<i64>, Option<stagebench_core::batch::BatchId>)> {
    let mut without_serial = Vec::new();
    let mut batch_id = None;
    let (labels, options) = if !args.serial.is_empty() {
        let labels = args.serial.iter().map(|s| LabelData::Device(DeviceLabel::serial(s.trim()))).collect();
        (labels, RenderOptions { dpi, refuse_wifi_credentials: args.refuse_wifi_credentials })
    } else {
        let mut store = Store::open_default().context("can't open the bench history")?;
        let options = RenderOptions { dpi, refuse_wifi_credentials: args.refuse_wifi_credentials || refuse_wifi_credentials(&store)? };
        if let Some(batch) = &args.batch {
            let record = store.find_batch(batch)?;
            batch_id = Some(record.batch.id.clone());
            let (labels, missing) = batch_device_labels(&store, &record, args.stage, store.clock_now())?;
            without_serial = missing;
            if labels.is_empty() {
                bail!("batch \"{}\" has no devices with a serial{}", record.batch.spec.name, args.stage.map(|s| format!(" at stage {}", s.name())).unwrap_or_default());
            }
            (labels.into_iter().map(LabelData::Device).collect(), options)
        } else if let Some(batch) = &args.enrollment {
            batch_id = Some(store.find_batch(batch)?.batch.id);
            (vec![enrollment_label(&mut store, batch, &options).await?], options)
        } else {
            bail!("say which labels: --batch B [--stage S], --serial S…, or --enrollment B");
        }
    };
    let labels: Vec<LabelData> = labels.iter().flat_map(|l| std::iter::repeat_n(l.clone(), args.copies as usize)).collect();
    Ok((labels, options, without_serial, batch_id))
}

/// `labels print`: rendered at the printer's resolution in the format it takes, queued (the
/// batch's guards apply as for render), and sent now; a printer that is down keeps the job
/// queued for `stagebench print-queue send`.
async fn run_print(args: &PrintArgs, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    use stagebench_core::printer::{DocumentKind, PrinterTarget};
    use stagebench_core::store::NewPrintJob;
    let mut store = Store::open_default().context("can't open the bench history")?;
    let Some(printer) = store.printer(&args.printer)? else {
        bail!("no printer \"{}\" on this bench: `stagebench printers` lists them, `stagebench printers add` adds one", args.printer);
    };
    let Some(name) = &args.labels.template else { bail!("--template is needed: `stagebench labels render --list-templates` lists them") };
    let template = find_template(name)?;
    let dpi = printer.dpi.unwrap_or(args.labels.dpi);
    let (format, kind) = match printer.target {
        PrinterTarget::Ipp { .. } => (OutputFormat::Pdf, DocumentKind::Pdf),
        _ => (OutputFormat::Zpl, DocumentKind::Zpl),
    };
    let (labels, options, without_serial, batch) = collect(&args.labels, dpi).await?;
    let doc = render_labels(&template, &labels, format, &options)?;
    let serial = match labels.as_slice() {
        [LabelData::Device(d)] => Some(d.serial.clone()),
        _ => None,
    };
    let actor = stagebench_core::batch::ops::technician(&store);
    let mut job = NewPrintJob::new(printer.name.clone(), kind, doc.files.concat(), actor);
    job.title = format!("StageBench {} ({} labels)", template.name, doc.labels);
    job.batch = batch;
    job.device_serial = serial;
    job.label_kind = Some(template.kind.name().to_owned());
    let id = store.print_enqueue(&job)?;
    let report = super::printers::send_due(&mut store).await?;
    let state = store.print_job(id)?;
    if json {
        return super::write_json(out, &serde_json::json!({"job": state, "labels": doc.labels, "dpi": dpi, "format": format.name(), "without_serial": without_serial, "sent": report}));
    }
    writeln!(out, "{} label(s) for {} at {dpi} dpi ({}): job {id}", doc.labels, printer.name, format.name())?;
    if let Some(j) = state {
        writeln!(out, "state: {:?}{}", j.state, j.last_error.as_deref().map(|e| format!(" — {e}")).unwrap_or_default())?;
    }
    Ok(())
}

/// The batch's enrollment label: the guards are checked before the payload leaves the keyring,
/// so a refused label records no QR display.
async fn enrollment_label(store: &mut Store, batch: &str, options: &RenderOptions) -> anyhow::Result<LabelData> {
    let record = store.find_batch(batch)?;
    let check = token_check(&record.batch, record.token_revoked_at.as_deref(), store.clock_now());
    let before = EnrollmentLabel::for_batch(&record.batch, SecretText::new(""), check.clone());
    check_guards(&LabelData::Enrollment(before), options)?;
    let actor = stagebench_core::batch::ops::technician(store);
    let keyring = OsKeyring::new();
    let payload = exchange::show_qr(store, &keyring, &record.batch.id, &actor).await?;
    Ok(LabelData::Enrollment(EnrollmentLabel::for_batch(&record.batch, payload, check)))
}

/// Writes the document; PNG pages past the first are numbered (`labels-002.png`).
fn write_files(path: &Path, doc: &RenderedDocument) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (i, bytes) in doc.files.iter().enumerate() {
        let target = if doc.files.len() == 1 {
            path.to_owned()
        } else {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "labels".into());
            let ext = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| doc.format.name().into());
            path.with_file_name(format!("{stem}-{:03}.{ext}", i + 1))
        };
        exchange::write_atomically(&target, bytes)?;
        written.push(target);
    }
    Ok(written)
}

fn print_rendered(out: &mut dyn Write, template: &Template, r: &Rendered) -> anyhow::Result<()> {
    let on = if template.sheet.is_some() { format!("{} pages", r.pages) } else { format!("{} labels", r.pages) };
    writeln!(
        out,
        "rendered {} label(s) with {} at {} dpi as {} ({on}, {} x {} dots each)",
        r.labels, r.template, r.dpi, r.format, r.page_dots.0, r.page_dots.1
    )?;
    for f in &r.files {
        writeln!(out, "wrote {}", f.display())?;
    }
    if !r.without_serial.is_empty() {
        writeln!(out, "note: {} device(s) have no serial yet and got no label", r.without_serial.len())?;
    }
    Ok(())
}
