//! `AdbServer` against servers that are missing, silent or refusing: every failure names the
//! address (and serial) and ends in bounded time.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use stagebench_adb::{AdbError, AdbServer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// A one-connection-at-a-time "server" that reads a request and answers with `reply`.
async fn scripted_server(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 256];
            let _ = stream.read(&mut request).await;
            let _ = stream.write_all(reply).await;
            // Keep the socket open so a missing answer is a timeout, not EOF.
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    });
    addr
}

#[tokio::test]
async fn a_missing_server_is_an_error_naming_the_address() {
    let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = AdbServer::new(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    let error = server.devices().await.unwrap_err();
    assert!(
        matches!(error, AdbError::ServerUnreachable { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let addr = scripted_server(b"").await;
    let server = AdbServer::new(addr).with_timeout(Duration::from_millis(200));
    let error = server.shell("S1", "getprop").await.unwrap_err();
    assert!(
        matches!(&error, AdbError::Timeout { service, .. } if service == "host:transport:S1"),
        "{error:?}"
    );
    assert!(error.to_string().contains(&addr.to_string()), "{error}");
}

#[tokio::test]
async fn fail_replies_become_causes() {
    let addr = scripted_server(b"FAIL0015device 'S1' not found").await;
    let error = AdbServer::new(addr).get_serialno("S1").await.unwrap_err();
    assert!(
        matches!(&error, AdbError::DeviceNotFound { serial, .. } if serial == "S1"),
        "{error:?}"
    );

    let addr = scripted_server(b"FAIL0015device unauthorized.\n").await;
    let error = AdbServer::new(addr).properties("S2").await.unwrap_err();
    assert!(
        matches!(&error, AdbError::DeviceUnauthorized { serial, .. } if serial == "S2"),
        "{error:?}"
    );

    let addr = scripted_server(b"HTTP/1.1 400 Bad Request\r\n").await;
    let error = AdbServer::new(addr).version().await.unwrap_err();
    assert!(matches!(error, AdbError::Protocol { .. }), "{error:?}");
}

#[tokio::test]
async fn connect_failures_are_errors() {
    let addr = scripted_server(b"OKAY002efailed to connect to '10.0.0.9:5555': No route").await;
    let error = AdbServer::new(addr)
        .connect("10.0.0.9:5555")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AdbError::ConnectFailed { host_port, .. } if host_port == "10.0.0.9:5555"),
        "{error:?}"
    );
}
