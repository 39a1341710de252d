//! Reading an IPP server's answers: transport and protocol failures and IPP error statuses as
//! [`PrintError`]s with the fix, and attributes as [`IppPrinter`]s and [`IppJob`]s.

use ipp::attribute::IppAttribute;
use ipp::model::{DelimiterTag, StatusCode};
use ipp::request::IppRequestResponse;
use ipp::value::IppValue;

use super::{DocumentKind, IppJob, IppJobState, IppPrinter, PrintError, WRITE_TIMEOUT};

/// `requested-attributes` with `names` (all short, constant keywords).
pub(super) fn requested_attributes(names: &[&str]) -> Vec<IppAttribute> {
    let values: Vec<IppValue> = names
        .iter()
        .filter_map(|n| Some(IppValue::Keyword((*n).try_into().ok()?)))
        .collect();
    IppAttribute::with_name("requested-attributes", IppValue::Array(values))
        .into_iter()
        .collect()
}

pub(super) fn transport(printer: &str, url: &str, e: reqwest::Error) -> PrintError {
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

pub(super) fn protocol(printer: &str, url: &str, e: impl std::fmt::Display) -> PrintError {
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
pub(super) fn check_status(
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

pub(super) fn text(value: &IppValue) -> String {
    match value {
        IppValue::Array(values) => values.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

pub(super) fn texts(value: &IppValue) -> Vec<String> {
    match value {
        IppValue::Array(values) => values.iter().map(|v| v.to_string()).collect(),
        IppValue::NoValue => Vec::new(),
        other => vec![other.to_string()],
    }
}

pub(super) fn integer(value: &IppValue) -> Option<i32> {
    match value {
        IppValue::Integer(v) | IppValue::Enum(v) => Some(*v),
        _ => None,
    }
}

pub(super) fn dpis(value: &IppValue) -> Vec<u32> {
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

pub(super) fn printer_from(attributes: &[IppAttribute]) -> IppPrinter {
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

pub(super) fn job_from(attributes: &[IppAttribute]) -> IppJob {
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
