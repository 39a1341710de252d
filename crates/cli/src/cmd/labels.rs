//! `stagebench labels`: printer-true labels. `render` writes enrollment, device or box labels
//! as PNG, PDF or ZPL at the printer's resolution; `print` (sending them to printers) goes next
//! to it as its own subcommand.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use stagebench_core::batch::exchange;
use stagebench_core::intune::auth::OsKeyring;
use stagebench_core::label::{
    builtin_templates, collect_labels, find_template, queue_print, render_labels, LabelRequest,
    LabelSource, OutputFormat, PayloadUse, RenderedDocument, Template,
};
use stagebench_core::printer::PrinterStore;
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
    /// Render labels for a printer (its resolution; PDF for IPP printers, ZPL for raw and serial)
    /// and send them through the print queue.
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
    /// With --batch: only devices at this stage (new, scanning, enrolling, bench-done, in-intune,
    /// …).
    #[arg(long, requires = "batch")]
    stage: Option<Stage>,
    /// Device labels for these serials.
    #[arg(long, num_args = 1.., conflicts_with = "enrollment")]
    serial: Vec<String>,
    /// The enrollment QR label of this batch (its payload from the keyring; recorded as a QR
    /// display).
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
            sheet: t
                .sheet
                .map(|s| format!("{:?} {}x{}", s.page, s.columns, s.rows).to_lowercase()),
            description: &t.description,
        })
        .collect();
    if json {
        return super::write_json(out, &rows);
    }
    for r in rows {
        let sheet = r.sheet.map(|s| format!(" on {s}")).unwrap_or_default();
        writeln!(
            out,
            "{:<22} {:<10} {:>6.1} x {:<6.1} mm{sheet}",
            r.name, r.kind, r.width_mm, r.height_mm
        )?;
    }
    Ok(())
}

async fn run_render(args: &RenderArgs, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.list_templates {
        return list_templates(json, out);
    }
    let (Some(name), Some(path)) = (&args.template, &args.out) else {
        bail!("--template and --out are needed")
    };
    let template = find_template(name)?;
    let format = match args.format {
        Format::Png => OutputFormat::Png,
        Format::Pdf => OutputFormat::Pdf,
        Format::Zpl => OutputFormat::Zpl,
    };
    let request = request(args, name)?;
    let mut store = store_for(&request)?;
    let actor = store.technician();
    let collected = collect_labels(
        &mut store,
        &OsKeyring::new(),
        &request,
        args.dpi,
        PayloadUse::Reveal,
        &actor,
    )
    .await?;
    let doc = render_labels(&template, &collected.labels, format, &collected.options)?;
    let files = write_files(path, &doc)?;
    let report = Rendered {
        template: template.name.clone(),
        format: format.name(),
        dpi: args.dpi,
        labels: doc.labels,
        pages: doc.pages,
        page_dots: doc.page_dots,
        files,
        without_serial: collected.without_serial,
    };
    if json {
        return super::write_json(out, &report);
    }
    print_rendered(out, &template, &report)
}

/// The request `args` make, with `template` (a name or file).
fn request(args: &RenderArgs, template: &str) -> anyhow::Result<LabelRequest> {
    let source = if !args.serial.is_empty() {
        LabelSource::Serials {
            serials: args.serial.clone(),
        }
    } else if let Some(batch) = &args.batch {
        LabelSource::Batch {
            batch: batch.clone(),
            stage: args.stage,
        }
    } else if let Some(batch) = &args.enrollment {
        LabelSource::Enrollment {
            batch: batch.clone(),
        }
    } else {
        bail!("say which labels: --batch B [--stage S], --serial S…, or --enrollment B");
    };
    Ok(LabelRequest {
        template: template.to_owned(),
        source,
        copies: args.copies,
        refuse_wifi_credentials: args.refuse_wifi_credentials,
    })
}

/// The bench history, except for labels of typed serials, which need none: those get an empty
/// store in memory (so no data folder is made, and the bench's Wi-Fi setting, which only
/// enrollment labels read, is not needed).
fn store_for(request: &LabelRequest) -> anyhow::Result<Store> {
    match request.source {
        LabelSource::Serials { .. } => Ok(Store::open_in_memory()?),
        _ => Store::open_default().context("can't open the bench history"),
    }
}

/// `labels print`: rendered at the printer's resolution in the format it takes, queued (the
/// batch's guards apply as for render), and sent now; a printer that is down keeps the job
/// queued for `stagebench print-queue send`.
async fn run_print(args: &PrintArgs, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut store = super::open_signing_store("bench history").await?;
    if store.printer(&args.printer)?.is_none() {
        bail!("no printer \"{}\" on this bench: `stagebench printers` lists them, `stagebench printers add` adds one", args.printer);
    }
    let Some(name) = &args.labels.template else {
        bail!("--template is needed: `stagebench labels render --list-templates` lists them")
    };
    let request = request(&args.labels, name)?;
    let actor = store.technician();
    let queued = queue_print(
        &mut store,
        &OsKeyring::new(),
        &request,
        &args.printer,
        args.labels.dpi,
        &actor,
    )
    .await?;
    let report = super::print_queue::send_due(&mut store).await?;
    let state = store.print_job(queued.job)?;
    if json {
        return super::write_json(
            out,
            &serde_json::json!({"job": state, "labels": queued.labels, "dpi": queued.dpi, "format": queued.format, "without_serial": queued.without_serial, "sent": report}),
        );
    }
    writeln!(
        out,
        "{} label(s) for {} at {} dpi ({}): job {}",
        queued.labels, queued.printer, queued.dpi, queued.format, queued.job
    )?;
    if let Some(j) = state {
        writeln!(
            out,
            "state: {:?}{}",
            j.state,
            j.last_error
                .as_deref()
                .map(|e| format!(" — {e}"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

/// Writes the document; PNG pages past the first are numbered (`labels-002.png`).
fn write_files(path: &Path, doc: &RenderedDocument) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (i, bytes) in doc.files.iter().enumerate() {
        let target = if doc.files.len() == 1 {
            path.to_owned()
        } else {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "labels".into());
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_else(|| doc.format.name().into());
            path.with_file_name(format!("{stem}-{:03}.{ext}", i + 1))
        };
        exchange::write_private(&target, bytes)?;
        written.push(target);
    }
    Ok(written)
}

fn print_rendered(out: &mut dyn Write, template: &Template, r: &Rendered) -> anyhow::Result<()> {
    let on = if template.sheet.is_some() {
        format!("{} pages", r.pages)
    } else {
        format!("{} labels", r.pages)
    };
    writeln!(
        out,
        "rendered {} label(s) with {} at {} dpi as {} ({on}, {} x {} dots each)",
        r.labels, r.template, r.dpi, r.format, r.page_dots.0, r.page_dots.1
    )?;
    for f in &r.files {
        writeln!(out, "wrote {}", f.display())?;
    }
    if !r.without_serial.is_empty() {
        writeln!(
            out,
            "note: {} device(s) have no serial yet and got no label",
            r.without_serial.len()
        )?;
    }
    Ok(())
}
