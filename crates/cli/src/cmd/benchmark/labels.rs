//! `stagebench benchmark labels`: `--devices` device labels (serial as QR and Code 128, maker and
//! model, batch, slot, stage-2 date) rendered into one PDF on an A4 sheet template: time and
//! peak memory (`VmHWM`, Linux). The labels are made up in memory, so the figures are the
//! rendering's and the PDF writer's alone.

use std::io::Write;
use std::time::Instant;

use clap::Args;
use serde::Serialize;
use stagebench_core::label::{
    find_template, render_labels, DeviceLabel, LabelData, OutputFormat, RenderOptions,
};

/// Options.
#[derive(Args)]
pub struct LabelsBench {
    /// Device labels to render.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    devices: u32,
    /// The template (a sheet template makes one PDF of many pages).
    #[arg(long, default_value = "device-a4-3x8")]
    template: String,
    /// Printer resolution.
    #[arg(long, default_value_t = 300)]
    dpi: u32,
    /// Also write the PDF here.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    devices: u32,
    template: String,
    dpi: u32,
    pages: usize,
    pdf_bytes: usize,
    ms: f64,
    labels_per_second: f64,
    peak_rss_mib: Option<f64>,
}

/// Runs the benchmark.
pub fn run(args: &LabelsBench, out: &mut dyn Write) -> anyhow::Result<()> {
    let template = find_template(&args.template)?;
    let labels: Vec<LabelData> = (0..args.devices)
        .map(|i| {
            LabelData::Device(DeviceLabel {
                serial: format!("R5CR{:06}", 100_000 + i),
                maker: Some("samsung".into()),
                model: Some("SM-G991B".into()),
                batch: Some("Benchmark batch, wave 1".into()),
                slot: Some(i % 50 + 1),
                stage2_date: Some(time::macros::date!(2026 - 03 - 02)),
            })
        })
        .collect();
    let options = RenderOptions {
        dpi: args.dpi,
        refuse_wifi_credentials: false,
    };
    let started = Instant::now();
    let doc = render_labels(&template, &labels, OutputFormat::Pdf, &options)?;
    let elapsed = started.elapsed().as_secs_f64();
    let pdf = doc.files.first().map(Vec::len).unwrap_or(0);
    if let Some(path) = &args.out {
        std::fs::write(path, &doc.files[0])?;
    }
    let report = Report {
        devices: args.devices,
        template: template.name,
        dpi: args.dpi,
        pages: doc.pages,
        pdf_bytes: pdf,
        ms: elapsed * 1000.0,
        labels_per_second: f64::from(args.devices) / elapsed.max(1e-9),
        peak_rss_mib: super::peak_rss_mib(),
    };
    if args.json {
        return super::super::write_json(out, &report);
    }
    writeln!(
        out,
        "{} device labels, {} at {} dpi: {} pages, {:.1} MiB PDF in {:.0} ms ({:.0} labels/s); peak RSS {}",
        report.devices,
        report.template,
        report.dpi,
        report.pages,
        report.pdf_bytes as f64 / 1048576.0,
        report.ms,
        report.labels_per_second,
        report.peak_rss_mib.map(|m| format!("{m:.0} MiB")).unwrap_or_else(|| "unknown".into())
    )?;
    Ok(())
}
