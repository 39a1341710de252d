//! The real printers behind [`PrintTransport`]: IPP over HTTP, raw TCP and serial ports, each
//! asked for its status its own way.

use std::time::Duration;

use super::{
    check_document, raw, serial, status, Document, HostStatus, IppClient, PrintError,
    PrintTransport, PrinterConfig, PrinterStatus, PrinterTarget, Sent,
};

/// The real printers: IPP over HTTP, raw TCP and serial ports.
#[derive(Debug, Clone)]
pub struct SystemPrinters {
    ipp: IppClient,
    user: String,
    status_timeout: Duration,
}

impl SystemPrinters {
    /// Printers reached with `ipp`, submitting IPP jobs as `user` (IPP `requesting-user-name`).
    pub fn new(ipp: IppClient, user: impl Into<String>) -> SystemPrinters {
        SystemPrinters {
            ipp,
            user: user.into(),
            status_timeout: status::STATUS_TIMEOUT,
        }
    }

    /// How long a raw or serial printer has to answer `~HS` (default
    /// [`status::STATUS_TIMEOUT`]).
    pub fn with_status_timeout(mut self, wait: Duration) -> SystemPrinters {
        self.status_timeout = wait;
        self
    }
}

impl PrintTransport for SystemPrinters {
    async fn send(
        &self,
        printer: &PrinterConfig,
        document: &Document,
        copies: u32,
    ) -> Result<Sent, PrintError> {
        check_document(printer, document.kind)?;
        match &printer.target {
            PrinterTarget::Ipp { url } => {
                let job = self
                    .ipp
                    .print_job(&printer.name, url, document, copies, &self.user)
                    .await?;
                Ok(Sent {
                    remote_job: Some(job.uri.unwrap_or_else(|| format!("{url} job {}", job.id))),
                })
            }
            PrinterTarget::Raw { host, port } => {
                raw::send(&printer.name, host, *port, &document.bytes, copies).await?;
                Ok(Sent::default())
            }
            PrinterTarget::Serial { path, baud } => {
                serial::send(&printer.name, path, *baud, &document.bytes, copies).await?;
                Ok(Sent::default())
            }
        }
    }

    async fn status(&self, printer: &PrinterConfig) -> PrinterStatus {
        let wait = self.status_timeout;
        let whole = |answer: &[u8]| !matches!(HostStatus::parse(answer), Ok(None));
        let answer = match &printer.target {
            PrinterTarget::Ipp { url } => {
                return match self.ipp.printer_attributes(&printer.name, url).await {
                    Ok(attributes) => PrinterStatus::from_ipp(&printer.name, &attributes),
                    Err(e @ (PrintError::Connect { .. } | PrintError::Timeout { .. })) => {
                        PrinterStatus::unreachable(&printer.name, e.to_string())
                    }
                    Err(e) => PrinterStatus::unknown(&printer.name, e.to_string()),
                }
            }
            PrinterTarget::Raw { host, port } => {
                raw::query(
                    &printer.name,
                    host,
                    *port,
                    status::HOST_STATUS_QUERY,
                    wait,
                    whole,
                )
                .await
            }
            PrinterTarget::Serial { path, baud } => {
                serial::query(
                    &printer.name,
                    path,
                    *baud,
                    status::HOST_STATUS_QUERY,
                    wait,
                    whole,
                )
                .await
            }
        };
        status::from_answer(&printer.name, answer, wait)
    }
}
