//! IPP addresses, CUPS_SERVER forms and IPP statuses, without a server.

use ipp::model::StatusCode;

use super::answer::check_status;
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
    let busy = IppRequestResponse::new_response(IppVersion::v1_1(), StatusCode::ServerErrorBusy, 1)
        .unwrap();
    assert!(check_status("PDF", &busy, None).unwrap_err().is_transient());
}
