//! Where an IPP printer is reached: `ipp://host/path` at `http://host:631/path` (`ipps://` at
//! `https://`), and `CUPS_SERVER`'s forms as a URI.

use super::{PrintError, IPP_PORT};

/// `CUPS_SERVER`'s value as an IPP URI.
pub(super) fn cups_server_uri(env: Option<&str>) -> String {
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

pub(super) fn printer_uri(printer: &str, url: &str) -> Result<ipp::prelude::Uri, PrintError> {
    // Checks the URL as http_url does, so both agree on what is valid.
    http_url(printer, url)?;
    url.trim().parse().map_err(|e| PrintError::BadAddress {
        printer: printer.to_owned(),
        address: url.to_owned(),
        detail: format!("{e}"),
    })
}
