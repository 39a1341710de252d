//! IPP printers and CUPS: list a server's printers (CUPS-Get-Printers), read one printer's
//! attributes, submit a job (Print-Job), and follow it (Get-Job-Attributes).
//!
//! The `ipp` crate encodes and parses the messages; they travel over our own `reqwest` client as
//! `POST` bodies of type `application/ipp`, so there is one TLS stack and our timeouts. An
//! `ipp://host/path` URI is reached at `http://host:631/path` (`ipps://` at `https://`), and the
//! `printer-uri` inside the request stays `ipp://…` as printers expect.

use std::io::{Cursor, Read};
use std::time::Duration;

use ipp::attribute::IppAttribute;
use ipp::model::{DelimiterTag, IppVersion, Operation, StatusCode};
use ipp::operation::builder::IppOperationBuilder;
use ipp::operation::IppOperation;
use ipp::parser::IppParser;
use ipp::payload::IppPayload;
use ipp::reader::IppReader;
use ipp::request::IppRequestResponse;
use ipp::value::IppValue;
use serde::Serialize;

use super::{Document, DocumentKind, PrintError, CONNECT_TIMEOUT, WRITE_TIMEOUT};

/// The IPP port when a URI names none.
pub const IPP_PORT: u16 = 631;

/// Environment variable CUPS clients read for the server (`host`, `host:port`; a socket path
/// is not reachable over HTTP and falls back to `localhost:631`).
pub const CUPS_SERVER_ENV: &str = "CUPS_SERVER";

/// Printer attributes asked for when listing.
const PRINTER_ATTRIBUTES: &[&str] = &[
    "printer-name",
    "printer-uri-supported",
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-is-accepting-jobs",
    "printer-info",
    "printer-make-and-model",
    "printer-resolution-supported",
    "media-supported",
    "media-default",
    "document-format-supported",
];

/// A printer as an IPP server describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IppPrinter {
    /// `printer-name` (the CUPS queue name).
    pub name: String,
    /// The URI to print to (`printer-uri-supported`, the first one).
    pub uri: Option<String>,
    /// `idle`, `processing` or `stopped`.
    pub state: String,
    /// `printer-state-reasons` other than `none`.
    pub state_reasons: Vec<String>,
    /// `printer-state-message`, if any.
    pub state_message: Option<String>,
    /// `printer-is-accepting-jobs`.
    pub accepting_jobs: Option<bool>,
    /// `printer-info` (the description people gave it).
    pub info: Option<String>,
    /// `printer-make-and-model`.
    pub make_and_model: Option<String>,
    /// `printer-resolution-supported`, in dots per inch.
    pub resolutions_dpi: Vec<u32>,
    /// `media-supported` keywords, e.g. `na_letter_8.5x11in`, `oe_2x1-label_2x1in`.
    pub media: Vec<String>,
    /// `media-default`.
    pub media_default: Option<String>,
    /// `document-format-supported` MIME types.
    pub formats: Vec<String>,
}

/// A job's state (IPP `job-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IppJobState {
    /// 3: waiting to be processed.
    Pending,
    /// 4: held (by an operator or a rule).
    PendingHeld,
    /// 5: printing.
    Processing,
    /// 6: stopped (printer problem) — it resumes when the printer does.
    ProcessingStopped,
    /// 7: canceled.
    Canceled,
    /// 8: aborted by the system.
    Aborted,
    /// 9: printed.
    Completed,
    /// A value outside IPP's list.
    Unknown,
}

impl IppJobState {
    fn from_enum(value: i32) -> IppJobState {
        match value {
            3 => IppJobState::Pending,
            4 => IppJobState::PendingHeld,
            5 => IppJobState::Processing,
            6 => IppJobState::ProcessingStopped,
            7 => IppJobState::Canceled,
            8 => IppJobState::Aborted,
            9 => IppJobState::Completed,
            _ => IppJobState::Unknown,
        }
    }

    /// Whether the job is over (completed, canceled or aborted).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            IppJobState::Completed | IppJobState::Canceled | IppJobState::Aborted
        )
    }
}

/// A submitted job, and its state when last asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IppJob {
    /// `job-id`.
    pub id: i32,
    /// `job-uri`, when given.
    pub uri: Option<String>,
    /// `job-state`.
    pub state: IppJobState,
    /// `job-state-reasons`.
    pub reasons: Vec<String>,
    /// `job-printer-state-message` or `job-state-message`, when given.
    pub message: Option<String>,
}

/// Talks IPP over HTTP. Cheap to clone.
#[derive(Debug, Clone)]
pub struct IppClient {
    http: reqwest::Client,
}

impl IppClient {
    /// A client with [`CONNECT_TIMEOUT`] to connect and [`WRITE_TIMEOUT`] per request.
    pub fn new() -> Result<IppClient, reqwest::Error> {
        IppClient::with_timeouts(CONNECT_TIMEOUT, WRITE_TIMEOUT)
    }

    /// A client with these timeouts.
    pub fn with_timeouts(
        connect: Duration,
        request: Duration,
    ) -> Result<IppClient, reqwest::Error> {
        // rustls needs one process-wide crypto provider (ipps://); installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(request)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("StageBench/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(IppClient { http })
    }

    /// The CUPS server named by `CUPS_SERVER`, as an IPP URI (`ipp://localhost:631/` when unset
    /// or a socket path).
    pub fn cups_server_from_env() -> String {
        cups_server_uri(std::env::var(CUPS_SERVER_ENV).ok().as_deref())
    }

    /// Every printer the CUPS server at `server` (`ipp://host:port/`) has, with its state,
    /// resolutions and media (CUPS-Get-Printers). `label` names the server in errors.
    pub async fn cups_printers(&self, server: &str) -> Result<Vec<IppPrinter>, PrintError> {
        let label = format!("server {server}");
        let mut request =
            IppRequestResponse::new(IppVersion::v1_1(), Operation::CupsGetPrinters, None)
                .map_err(|e| protocol(&label, server, e))?;
        for attribute in requested_attributes(PRINTER_ATTRIBUTES) {
            request
                .attributes_mut()
                .add(DelimiterTag::OperationAttributes, attribute);
        }
        let response = self.send(&label, server, request).await?;
        check_status(&label, &response, None)?;
        Ok(response
            .attributes()
            .groups_of(DelimiterTag::PrinterAttributes)
            .map(|group| printer_from(group.attributes()))
            .collect())
    }

    /// One printer's attributes (Get-Printer-Attributes).
    pub async fn printer_attributes(
        &self,
        printer: &str,
        url: &str,
    ) -> Result<IppPrinter, PrintError> {
        let uri = printer_uri(printer, url)?;
        let request = IppOperationBuilder::get_printer_attributes(uri)
            .attributes(PRINTER_ATTRIBUTES.iter().copied())
            .build()
            .map_err(|e| protocol(printer, url, e))?
            .into_ipp_request();
        let response = self.send(printer, url, request).await?;
        check_status(printer, &response, None)?;
        let found = response
            .attributes()
            .groups_of(DelimiterTag::PrinterAttributes)
            .next()
            .map(|group| printer_from(group.attributes()))
            .unwrap_or_default();
        Ok(found)
    }

    /// Submits `document` (PDF or PNG) to the printer at `url` (Print-Job) as `user`.
    pub async fn print_job(
        &self,
        printer: &str,
        url: &str,
        document: &Document,
        copies: u32,
        user: &str,
    ) -> Result<IppJob, PrintError> {
        let uri = printer_uri(printer, url)?;
        let copies = i32::try_from(copies.max(1)).unwrap_or(i32::MAX);
        let user = if user.trim().is_empty() {
            "stagebench"
        } else {
            user.trim()
        };
        let title = if document.title.trim().is_empty() {
            "StageBench label"
        } else {
            document.title.trim()
        };
        let payload = IppPayload::new(Cursor::new(document.bytes.clone()));
        let request = IppOperationBuilder::print_job(uri, payload)
            .user_name(user)
            .job_title(title)
            .document_format(document.kind.mime())
            .attributes(IppAttribute::with_name("copies", IppValue::Integer(copies)))
            .build()
            .map_err(|e| protocol(printer, url, e))?
            .into_ipp_request();
        let response = self.send(printer, url, request).await?;
        check_status(printer, &response, Some(document.kind))?;
        let job = response
            .attributes()
            .groups_of(DelimiterTag::JobAttributes)
            .next()
            .map(|group| job_from(group.attributes()))
            .ok_or_else(|| PrintError::Protocol {
                printer: printer.to_owned(),
                url: url.to_owned(),
                detail: "Print-Job succeeded without job attributes".into(),
            })?;
        Ok(job)
    }

    /// The state of job `job_id` on the printer at `url` (Get-Job-Attributes).
    pub async fn job(&self, printer: &str, url: &str, job_id: i32) -> Result<IppJob, PrintError> {
        let uri = printer_uri(printer, url)?;
        let mut request = IppOperationBuilder::get_job_attributes(uri, job_id)
            .build()
            .map_err(|e| protocol(printer, url, e))?
            .into_ipp_request();
        let wanted = [
            "job-id",
            "job-uri",
            "job-state",
            "job-state-reasons",
            "job-printer-state-message",
            "job-state-message",
        ];
        for attribute in requested_attributes(&wanted) {
            request
                .attributes_mut()
                .add(DelimiterTag::OperationAttributes, attribute);
        }
        let response = self.send(printer, url, request).await?;
        check_status(printer, &response, None)?;
        let job = response
            .attributes()
            .groups_of(DelimiterTag::JobAttributes)
            .next()
            .map(|group| job_from(group.attributes()));
        job.ok_or_else(|| PrintError::Protocol {
            printer: printer.to_owned(),
            url: url.to_owned(),
            detail: format!("no attributes for job {job_id}"),
        })
    }

    /// POSTs `request` to the HTTP URL of `url` and parses the answer.
    async fn send(
        &self,
        printer: &str,
        url: &str,
        request: IppRequestResponse,
    ) -> Result<IppRequestResponse, PrintError> {
        let http_url = http_url(printer, url)?;
        let mut body = Vec::new();
        request
            .into_read()
            .read_to_end(&mut body)
            .map_err(|e| protocol(printer, url, e))?;
        let response = self
            .http
            .post(&http_url)
            .header(reqwest::header::CONTENT_TYPE, "application/ipp")
            .body(body)
            .send()
            .await
            .map_err(|e| transport(printer, &http_url, e))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(PrintError::Http {
                printer: printer.to_owned(),
                url: http_url,
                status,
                hint: match status {
                    401 | 403 => "the server wants authentication; allow anonymous printing on this queue (CUPS: the queue's policy) or print through a local CUPS queue",
                    404 => "no printer at this path; check the printer's URL against the server's printers",
                    426 => "the server wants TLS; use an ipps:// URL",
                    _ if status >= 500 => "the server is in trouble; retry, then restart it",
                    _ => "check that the URL is an IPP printer, e.g. ipp://host:631/printers/NAME",
                },
            });
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport(printer, &http_url, e))?;
        IppParser::new(IppReader::new(Cursor::new(bytes.to_vec())))
            .parse()
            .map_err(|e| protocol(printer, url, e))
    }
}

/// `CUPS_SERVER`'s value as an IPP URI.
fn cups_server_uri(env: Option<&str>) -> String {
    match env
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.starts_with('/'))
    {
        Some(v) if v.contains("://") => v.to_owned(),
        Some(v) if v.contains(':') && !v.starts_with('[') && v.matches(':').count() > 1 => {
            format!("ipp://[{v}]:{IPP_PORT}/")
        }
        Some(v) if v.contains(':') => format!("ipp://{v}/"),
        Some(v) => format!("ipp://{v}:{IPP_PORT}/"),
        None => format!("ipp://localhost:{IPP_PORT}/"),
    }
}

/// The HTTP URL an IPP URI is reached at.
pub fn http_url(printer: &str, url: &str) -> Result<String, PrintError> {
    let bad = |detail: &str| PrintError::BadAddress {
        printer: printer.to_owned(),
        address: url.to_owned(),
        detail: detail.to_owned(),
    };
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| bad(&format!("{e}; write ipp://host:631/printers/NAME")))?;
    let scheme = match parsed.scheme() {
        "ipp" | "http" => "http",
        "ipps" | "https" => "https",
        other => {
            return Err(bad(&format!(
                "scheme {other}: is not IPP; use ipp://, ipps://, http:// or https://"
            )))
        }
    };
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("no host"))?;
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let port = match (parsed.scheme(), parsed.port()) {
        (_, Some(port)) => port,
        ("ipp" | "ipps", None) => IPP_PORT,
        ("https", None) => 443,
        _ => 80,
    };
    let mut out = format!("{scheme}://{host}:{port}{}", parsed.path());
    if let Some(query) = parsed.query() {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

fn printer_uri(printer: &str, url: &str) -> Result<ipp::prelude::Uri, PrintError> {
    // Checks the URL as http_url does, so both agree on what is valid.
    http_url(printer, url)?;
    url.trim().parse().map_err(|e| PrintError::BadAddress {
        printer: printer.to_owned(),
        address: url.to_owned(),
        detail: format!("{e}"),
    })
}

/// `requested-attributes` with `names` (all short, constant keywords).
fn requested_attributes(names: &[&str]) -> Vec<IppAttribute> {
    let values: Vec<IppValue> = names
        .iter()
        .filter_map(|n| Some(IppValue::Keyword((*n).try_into().ok()?)))
        .collect();
    IppAttribute::with_name("requested-attributes", IppValue::Array(values))
        .into_iter()
        .collect()
}

fn transport(printer: &str, url: &str, e: reqwest::Error) -> PrintError {
    if e.is_timeout() {
        return PrintError::Timeout {
            printer: printer.to_owned(),
            address: url.to_owned(),
            what: if e.is_connect() {
                "accept the connection"
            } else {
                "answer"
            },
            timeout: WRITE_TIMEOUT,
        };
    }
    // reqwest wraps the OS error; keep its text, classify as a connection failure (retryable).
    let mut text = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    PrintError::Connect {
        printer: printer.to_owned(),
        address: url.to_owned(),
        source: std::io::Error::other(text),
    }
}

fn protocol(printer: &str, url: &str, e: impl std::fmt::Display) -> PrintError {
    PrintError::Protocol {
        printer: printer.to_owned(),
        url: url.to_owned(),
        detail: e.to_string(),
    }
}

/// `ClientErrorDocumentFormatNotSupported` → `client-error-document-format-not-supported`.
pub fn status_keyword(status: StatusCode) -> String {
    let camel = format!("{status:?}");
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Turns an IPP error status into a [`PrintError`] with the fix; `sent` is the document kind
/// of a Print-Job.
fn check_status(
    printer: &str,
    response: &IppRequestResponse,
    sent: Option<DocumentKind>,
) -> Result<(), PrintError> {
    let status = response.header().status_code();
    if status.is_success() {
        return Ok(());
    }
    let message = response
        .attributes()
        .groups_of(DelimiterTag::OperationAttributes)
        .next()
        .and_then(|g| g.get("status-message"))
        .map(|a| text(a.value()));
    let (hint, transient) = match status {
        StatusCode::ClientErrorDocumentFormatNotSupported => (
            match sent {
                Some(DocumentKind::Png) => "the printer does not take PNG; print the PDF instead".to_owned(),
                Some(DocumentKind::Pdf) => "the printer does not take PDF; print the PNG instead, or print through a CUPS queue that converts PDF".to_owned(),
                _ => "the printer does not take this format; print a PDF or PNG".to_owned(),
            },
            false,
        ),
        StatusCode::ClientErrorNotFound => ("no such printer or job; check the printer's URL against the server's printers".to_owned(), false),
        StatusCode::ClientErrorNotAuthenticated | StatusCode::ClientErrorNotAuthorized | StatusCode::ClientErrorForbidden => (
            "the printer wants authentication; allow anonymous printing on this queue (CUPS: the queue's policy)".to_owned(),
            false,
        ),
        StatusCode::ServerErrorNotAcceptingJobs => (
            format!("the queue rejects jobs; accept them again (CUPS: `cupsaccept {printer}` and `cupsenable {printer}`)"),
            true,
        ),
        StatusCode::ServerErrorBusy | StatusCode::ServerErrorServiceUnavailable | StatusCode::ServerErrorTemporaryError => {
            ("the printer is busy; StageBench retries".to_owned(), true)
        }
        s if (s as i32) >= 0x0500 => ("the printer reported an internal error; retry, then power-cycle it".to_owned(), true),
        _ => ("the printer refused the request; check the printer settings and the label's format".to_owned(), false),
    };
    Err(PrintError::Ipp {
        printer: printer.to_owned(),
        status: status_keyword(status),
        message,
        hint,
        transient,
        not_found: status == StatusCode::ClientErrorNotFound,
    })
}

fn text(value: &IppValue) -> String {
    match value {
        IppValue::Array(values) => values.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn texts(value: &IppValue) -> Vec<String> {
    match value {
        IppValue::Array(values) => values.iter().map(|v| v.to_string()).collect(),
        IppValue::NoValue => Vec::new(),
        other => vec![other.to_string()],
    }
}

fn integer(value: &IppValue) -> Option<i32> {
    match value {
        IppValue::Integer(v) | IppValue::Enum(v) => Some(*v),
        _ => None,
    }
}

fn dpis(value: &IppValue) -> Vec<u32> {
    let mut out: Vec<u32> = match value {
        IppValue::Array(values) => values.iter().flat_map(dpis).collect(),
        // units 3 = dots per inch, 4 = dots per centimetre
        IppValue::Resolution {
            cross_feed, units, ..
        } => {
            let dpi = if *units == 4 {
                (*cross_feed as f64 * 2.54).round() as i64
            } else {
                i64::from(*cross_feed)
            };
            u32::try_from(dpi).ok().into_iter().collect()
        }
        _ => Vec::new(),
    };
    out.dedup();
    out
}

fn printer_from(attributes: &[IppAttribute]) -> IppPrinter {
    let mut printer = IppPrinter::default();
    for attribute in attributes {
        let value = attribute.value();
        match attribute.name().as_str() {
            "printer-name" => printer.name = text(value),
            "printer-uri-supported" => printer.uri = texts(value).into_iter().next(),
            "printer-state" => {
                printer.state = match integer(value) {
                    Some(3) => "idle".into(),
                    Some(4) => "processing".into(),
                    Some(5) => "stopped".into(),
                    _ => text(value),
                }
            }
            "printer-state-reasons" => {
                printer.state_reasons = texts(value).into_iter().filter(|r| r != "none").collect()
            }
            "printer-state-message" => {
                printer.state_message = Some(text(value)).filter(|m| !m.is_empty())
            }
            "printer-is-accepting-jobs" => {
                printer.accepting_jobs = matches!(value, IppValue::Boolean(_))
                    .then(|| matches!(value, IppValue::Boolean(true)))
            }
            "printer-info" => printer.info = Some(text(value)).filter(|m| !m.is_empty()),
            "printer-make-and-model" => {
                printer.make_and_model = Some(text(value)).filter(|m| !m.is_empty())
            }
            "printer-resolution-supported" => printer.resolutions_dpi = dpis(value),
            "media-supported" => printer.media = texts(value),
            "media-default" => printer.media_default = Some(text(value)).filter(|m| !m.is_empty()),
            "document-format-supported" => printer.formats = texts(value),
            _ => {}
        }
    }
    printer
}

fn job_from(attributes: &[IppAttribute]) -> IppJob {
    let get = |name: &str| {
        attributes
            .iter()
            .find(|a| a.name().as_str() == name)
            .map(IppAttribute::value)
    };
    IppJob {
        id: get("job-id").and_then(integer).unwrap_or(0),
        uri: get("job-uri").map(text),
        state: get("job-state")
            .and_then(integer)
            .map(IppJobState::from_enum)
            .unwrap_or(IppJobState::Unknown),
        reasons: get("job-state-reasons")
            .map(texts)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r != "none")
            .collect(),
        message: get("job-printer-state-message")
            .or_else(|| get("job-state-message"))
            .map(text)
            .filter(|m| !m.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::HasRemedy;

    #[test]
    fn ipp_uris_map_to_http_urls() {
        assert_eq!(
            http_url("p", "ipp://localhost/printers/PDF").unwrap(),
            "http://localhost:631/printers/PDF"
        );
        assert_eq!(
            http_url("p", "ipps://h:8631/ipp/print").unwrap(),
            "https://h:8631/ipp/print"
        );
        assert_eq!(
            http_url("p", "http://127.0.0.1:9/printers/x").unwrap(),
            "http://127.0.0.1:9/printers/x"
        );
        let err = http_url("zebra", "lpd://h/q").unwrap_err();
        assert!(
            err.to_string().contains("printer zebra: bad address") && !err.is_transient(),
            "{err}"
        );
        assert_eq!(
            err.remedy(),
            Some(crate::remedy::Remedy::CheckPrinter {
                name: "zebra".into()
            })
        );
    }

    #[test]
    fn cups_server_env_forms() {
        assert_eq!(cups_server_uri(None), "ipp://localhost:631/");
        assert_eq!(
            cups_server_uri(Some("/run/cups/cups.sock")),
            "ipp://localhost:631/"
        );
        assert_eq!(cups_server_uri(Some("printhost")), "ipp://printhost:631/");
        assert_eq!(
            cups_server_uri(Some("127.0.0.1:8631")),
            "ipp://127.0.0.1:8631/"
        );
    }

    #[test]
    fn status_keywords_are_ipps_own() {
        assert_eq!(
            status_keyword(StatusCode::ClientErrorDocumentFormatNotSupported),
            "client-error-document-format-not-supported"
        );
        assert_eq!(
            status_keyword(StatusCode::ServerErrorBusy),
            "server-error-busy"
        );
    }

    #[test]
    fn a_png_refused_says_to_print_the_pdf() {
        let response = IppRequestResponse::new_response(
            IppVersion::v1_1(),
            StatusCode::ClientErrorDocumentFormatNotSupported,
            1,
        )
        .unwrap();
        let err = check_status("PDF", &response, Some(DocumentKind::Png)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "printer PDF: client-error-document-format-not-supported: the printer does not take PNG; print the PDF instead"
        );
        assert!(!err.is_transient());
        let busy =
            IppRequestResponse::new_response(IppVersion::v1_1(), StatusCode::ServerErrorBusy, 1)
                .unwrap();
        assert!(check_status("PDF", &busy, None).unwrap_err().is_transient());
    }
}
