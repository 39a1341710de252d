//! Answers from servers and printers within the bench's limits (`stagebench_core::limits`): a
//! Graph answer, a token endpoint's answer, an IPP answer and a label printer's status answer
//! longer than their limits are cut where the limit is passed and refused with an error naming
//! the answer, the limit and the next step, never read whole. The Graph and sign-in answers
//! come from the fake tenant (streamed without a length); IPP and raw status from a loopback
//! server written here.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use stagebench_core::intune::auth::SignInMode;
use stagebench_core::intune::graph::GraphError;
use stagebench_core::limits::{GRAPH_RESPONSE, IPP_RESPONSE, PRINTER_STATUS};
use stagebench_core::printer::{IppClient, PrintError};
use stagebench_core::remedy::{HasRemedy, Remedy};
use stagebench_core::secret::SecretText;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test]
async fn an_oversized_graph_answer_is_cut_at_the_limit_and_not_retried() {
    let (graph, _, client) = support::graph::setup().await;
    graph.faults(|f| f.oversized_next = 1);
    let error = client.enrollment_profiles().await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, GraphError::TooLarge { .. }), "{message}");
    assert!(
        message.starts_with("the Graph response for ")
            && message.contains("is longer than the 32 MiB limit: check the Graph address"),
        "{message}"
    );
    assert_eq!(GRAPH_RESPONSE.bytes, 32 << 20);
    // Refused, not retried: the fault answered once and nothing else was asked.
    assert_eq!(graph.http_requests(), 0, "{:?}", graph.exchanges());
}

#[tokio::test]
async fn an_oversized_token_endpoint_answer_fails_the_sign_in_naming_the_limit() {
    let bench = support::auth::bench().await;
    let app = support::auth::settings(SignInMode::ClientSecret);
    bench.fake.add_app(&app.client_id, support::auth::SECRET);
    bench.fake.faults(|f| f.oversized_next = 1);
    let error = bench
        .sign_in
        .sign_in_with_secret(&app, SecretText::new(support::auth::SECRET))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("the sign-in response from http://127.0.0.1:")
            && message.contains("is longer than the 1 MiB limit"),
        "{message}"
    );
}

/// A loopback HTTP server answering every request 200 with `length` bytes of `fill`, without a
/// `Content-Length` (the body ends when it closes); counts the bytes it managed to send.
async fn flood_server(content_type: &'static str, length: u64) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                read_request(&mut stream).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\nconnection: close\r\n\r\n"
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![0u8; 64 * 1024];
                let mut left = length;
                while left > 0 {
                    let n = left.min(chunk.len() as u64) as usize;
                    if stream.write_all(&chunk[..n]).await.is_err() {
                        return;
                    }
                    counter.fetch_add(n as u64, Ordering::Relaxed);
                    left -= n as u64;
                }
            });
        }
    });
    (addr, sent)
}

/// Reads one HTTP request: its head, then as many body bytes as its `Content-Length` says.
async fn read_request(stream: &mut tokio::net::TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let body_start = loop {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&seen[..body_start]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = seen.len() - body_start;
    while have < length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
}

#[tokio::test]
async fn an_oversized_ipp_answer_is_refused_naming_the_printer_and_the_limit() {
    // Four times the limit, so reading it whole would show in the bytes sent.
    let (addr, sent) = flood_server("application/ipp", 4 * IPP_RESPONSE.bytes).await;
    let url = format!("ipp://{addr}/printers/flood");
    let error = IppClient::new()
        .unwrap()
        .printer_attributes("flood", &url)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, PrintError::TooLarge { .. }), "{message}");
    assert!(
        message.starts_with("printer flood: the IPP response from http://127.0.0.1:")
            && message.contains("is longer than the 4 MiB limit: check that"),
        "{message}"
    );
    assert!(!error.is_transient());
    assert_eq!(
        error.remedy(),
        Some(Remedy::CheckPrinter {
            name: "flood".into()
        })
    );
    assert!(
        sent.load(Ordering::Relaxed) < 4 * IPP_RESPONSE.bytes,
        "the client stopped reading before the end"
    );
}

#[tokio::test]
async fn a_raw_printer_that_floods_its_status_answer_is_cut_at_the_limit() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let mut request = [0u8; 16];
        let _ = stream.read(&mut request).await;
        // No `~HS` answer ever completes: line noise until the bench hangs up.
        let noise = vec![b'#'; 4096];
        while stream.write_all(&noise).await.is_ok() {}
    });
    let answer = stagebench_core::printer::raw::query(
        "zebra",
        "127.0.0.1",
        addr.port(),
        b"~HS",
        Duration::from_secs(30),
        |_| false,
    )
    .await;
    let error = answer.unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("printer zebra: the printer status answer from 127.0.0.1:")
            && message.contains("is longer than the 64 KiB limit"),
        "{message}"
    );
    assert_eq!(PRINTER_STATUS.bytes, 64 << 10);
}
