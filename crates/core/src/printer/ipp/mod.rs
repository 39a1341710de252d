//! IPP printers and CUPS: list a server's printers (CUPS-Get-Printers), read one printer's
//! attributes, submit a job (Print-Job), and follow it (Get-Job-Attributes).
//!
//! The `ipp` crate encodes and parses the messages; they travel over our own `reqwest` client as
//! `POST` bodies of type `application/ipp`, so there is one TLS stack and our timeouts. An
//! `ipp://host/path` URI is reached at `http://host:631/path` (`ipps://` at `https://`), and the
//! `printer-uri` inside the request stays `ipp://…` as printers expect.
//!
//! Layout: this file holds what a server describes (printers, jobs) and [`IppClient`], which
//! sends the requests; `address` turns a printer's URI into the HTTP URL it is reached at;
//! `answer` reads the answers (IPP status to [`PrintError`], attributes to printers and jobs);
//! `tests` checks both without a server.

use std::io::{Cursor, Read};
use std::time::Duration;

use ipp::attribute::IppAttribute;
use ipp::model::{DelimiterTag, IppVersion, Operation};
use ipp::operation::builder::IppOperationBuilder;
use ipp::operation::IppOperation;
use ipp::parser::IppParser;
use ipp::payload::IppPayload;
use ipp::reader::IppReader;
use ipp::request::IppRequestResponse;
use ipp::value::IppValue;
use serde::Serialize;

use super::{Document, DocumentKind, PrintError, CONNECT_TIMEOUT, WRITE_TIMEOUT};
use crate::limits::{self, BodyError};

mod address;
mod answer;
#[cfg(test)]
mod tests;

pub use address::http_url;
pub use answer::status_keyword;

use address::{cups_server_uri, printer_uri};
use answer::{check_status, job_from, printer_from, protocol, requested_attributes, transport};

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
        let from = format!("from {http_url}");
        let bytes = limits::read_body(response, &limits::IPP_RESPONSE, &from)
            .await
            .map_err(|e| match e {
                BodyError::Transport(e) => transport(printer, &http_url, e),
                BodyError::TooLarge(source) => PrintError::TooLarge {
                    printer: printer.to_owned(),
                    source,
                },
            })?;
        IppParser::new(IppReader::new(Cursor::new(bytes)))
            .parse()
            .map_err(|e| protocol(printer, url, e))
    }
}
