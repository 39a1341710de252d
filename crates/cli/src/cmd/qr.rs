//! `stagebench qr`: build, check and render an enrollment QR code.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde::Serialize;
use stagebench_core::enrollment_qr::{EnrollmentQr, QrRequest, QrSource, WifiInput};
use stagebench_core::limits;

/// Where the payload comes from (exactly one) and how to render it.
#[derive(Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["token", "token_env", "export_file", "aosp_content"]))]
pub struct QrArgs {
    /// An Android Enterprise enrollment token (default or staging); `-` reads it from standard
    /// input. Prefer `-` or --token-env: an argument is visible to other users (`ps`) and lands
    /// in shell history.
    #[arg(long, value_name = "TOKEN|-")]
    token: Option<String>,
    /// Read the enrollment token from this environment variable.
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
    /// The JSON file Intune exports for a token (Token > Export); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    export_file: Option<PathBuf>,
    /// An AOSP profile's qrCodeContent, verbatim; `@FILE` reads it from a file, `-` from standard
    /// input.
    #[arg(long, value_name = "TEXT|@FILE")]
    aosp_content: Option<String>,
    /// Wi-Fi network name to add to an Android Enterprise payload.
    #[arg(long)]
    wifi_ssid: Option<String>,
    /// Wi-Fi security: NONE, WPA, WEP or EAP [default: WPA with a password, NONE without].
    #[arg(long, value_name = "TYPE", requires = "wifi_ssid")]
    wifi_security: Option<String>,
    /// Wi-Fi key. Prefer --wifi-password-env: a key on the command line lands in shell history.
    #[arg(long, requires = "wifi_ssid", conflicts_with = "wifi_password_env")]
    wifi_password: Option<String>,
    /// Read the Wi-Fi key from this environment variable.
    #[arg(long, value_name = "VAR", requires = "wifi_ssid")]
    wifi_password_env: Option<String>,
    /// The Wi-Fi network hides its SSID.
    #[arg(long, requires = "wifi_ssid")]
    wifi_hidden: bool,
    /// Write the QR to this file (.png or .svg).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Output format [default: from --out's extension, else terminal].
    #[arg(long, value_enum)]
    format: Option<QrFormat>,
    /// Pixels per module for PNG and SVG (whole pixels keep the code crisp).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    module_px: u32,
    /// Print the payload summary and QR facts as JSON.
    #[arg(long)]
    json: bool,
    /// Also print the exact payload, secrets included.
    #[arg(long)]
    reveal: bool,
}

/// How the QR is written.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QrFormat {
    /// A PNG image.
    Png,
    /// An SVG image.
    Svg,
    /// Unicode blocks on the terminal.
    Terminal,
}

#[derive(Serialize)]
struct QrReport<'a> {
    summary: stagebench_core::provisioning::PayloadSummary,
    qr: stagebench_core::qr::QrFacts,
    out: Option<&'a Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
}

fn read_text(path: &Path, what: &'static str) -> anyhow::Result<String> {
    let limit = limits::SMALL_FILE.named(what);
    if path == Path::new("-") {
        let bytes = limits::read_stream(std::io::stdin(), &limit, "from standard input")?;
        return String::from_utf8(bytes)
            .with_context(|| format!("the {what} on standard input is not UTF-8 text"));
    }
    Ok(limits::read_text_file(path, &limit)?)
}

impl QrArgs {
    fn request(&self) -> anyhow::Result<QrRequest> {
        let source = if let Some(token) = &self.token {
            let token = match token.as_str() {
                "-" => read_text(Path::new("-"), "the enrollment token")?,
                given => given.to_owned(),
            };
            QrSource::Token {
                token: token.trim_end_matches(['\r', '\n']).to_owned(),
            }
        } else if let Some(var) = &self.token_env {
            QrSource::Token {
                token: std::env::var(var).with_context(|| {
                    format!("environment variable {var} (for --token-env) is not set")
                })?,
            }
        } else if let Some(path) = &self.export_file {
            QrSource::Export {
                text: read_text(path, "export file")?,
            }
        } else if let Some(content) = &self.aosp_content {
            let text = match content.strip_prefix('@') {
                Some(path) => read_text(Path::new(path), "AOSP QR content file")?,
                None if content == "-" => read_text(Path::new("-"), "AOSP QR content")?,
                None => content.clone(),
            };
            QrSource::Aosp { text }
        } else {
            bail!("give one of --token, --token-env, --export-file or --aosp-content");
        };
        let password = match &self.wifi_password_env {
            Some(var) => Some(std::env::var(var).with_context(|| {
                format!("environment variable {var} (for --wifi-password-env) is not set")
            })?),
            None => self.wifi_password.clone(),
        };
        let wifi = self.wifi_ssid.as_ref().map(|ssid| WifiInput {
            ssid: ssid.clone(),
            security: self.wifi_security.clone().unwrap_or_else(|| {
                if password.is_some() {
                    "WPA".into()
                } else {
                    "NONE".into()
                }
            }),
            password: password.clone(),
            hidden: self.wifi_hidden,
        });
        Ok(QrRequest { source, wifi })
    }

    fn format(&self) -> anyhow::Result<QrFormat> {
        if let Some(f) = self.format {
            if f == QrFormat::Terminal && self.out.is_some() {
                bail!("--format terminal writes to the terminal; drop --out or pick --format png or svg");
            }
            return Ok(f);
        }
        let Some(out) = &self.out else {
            return Ok(QrFormat::Terminal);
        };
        match out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Ok(QrFormat::Png),
            Some("svg") => Ok(QrFormat::Svg),
            _ => bail!(
                "can't tell the format of '{}': name it .png or .svg, or pass --format",
                out.display()
            ),
        }
    }
}

/// Runs `stagebench qr`.
pub fn run(args: &QrArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let format = args.format()?;
    let qr = EnrollmentQr::build(&args.request()?)?;
    let image: Option<Vec<u8>> = match format {
        QrFormat::Png => Some(qr.code.to_png(args.module_px)?),
        QrFormat::Svg => Some(qr.code.to_svg(args.module_px).into_bytes()),
        QrFormat::Terminal => None,
    };
    if let (Some(path), Some(bytes)) = (&args.out, &image) {
        // The QR holds the token: owner-only, whole or not at all, never through a planted link.
        stagebench_files::write_private(path, bytes)?;
    }
    let payload = args.reveal.then(|| qr.payload.qr_text());
    if args.json {
        let report = QrReport {
            summary: qr.payload.summary(),
            qr: qr.code.facts(),
            out: args.out.as_deref(),
            payload,
        };
        return super::write_json(out, &report);
    }
    match (&args.out, image) {
        (None, Some(bytes)) => out.write_all(&bytes)?,
        (None, None) => write!(out, "{}", qr.code.to_terminal())?,
        (Some(_), _) => {}
    }
    if args.out.is_some() || format == QrFormat::Terminal {
        write_summary(out, &qr, args.out.as_deref())?;
        if let Some(p) = payload {
            writeln!(out, "payload: {p}")?;
        }
    }
    Ok(())
}

fn write_summary(
    out: &mut dyn Write,
    qr: &EnrollmentQr,
    path: Option<&Path>,
) -> anyhow::Result<()> {
    let s = qr.payload.summary();
    let f = qr.code.facts();
    writeln!(out, "kind: {}", s.kind)?;
    if let Some(t) = &s.token_masked {
        writeln!(out, "token: {t}")?;
    }
    if let Some(ssid) = &s.wifi_ssid {
        writeln!(
            out,
            "wifi: {} ({})",
            super::shown(ssid),
            super::shown(s.wifi_security.as_deref().unwrap_or("?"))
        )?;
    }
    if let Some(p) = &s.wifi_password_masked {
        writeln!(out, "wifi password: {p}")?;
    }
    writeln!(
        out,
        "qr: version {}, error correction {}, {} modules, {} bytes",
        f.version, f.ec_level, f.modules, f.payload_bytes
    )?;
    for w in &s.warnings {
        writeln!(out, "warning: {}", super::shown(w))?;
    }
    for n in &s.notes {
        writeln!(out, "note: {}", super::shown(n))?;
    }
    if let Some(p) = path {
        writeln!(out, "wrote {}", p.display())?;
    }
    Ok(())
}
