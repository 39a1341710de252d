//! One smart-socket connection to an adb server: `<4 hex length><service>`, answered by `OKAY`
//! or `FAIL<4 hex length><message>`; every read and write bounded by a timeout.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::AdbError;

/// An open connection to the server, remembering the request in flight for error messages.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: TcpStream,
    addr: SocketAddr,
    timeout: Duration,
    service: String,
}

impl Connection {
    pub(crate) async fn open(addr: SocketAddr, timeout: Duration) -> Result<Self, AdbError> {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err(AdbError::Timeout {
                    addr,
                    service: "connect".into(),
                    timeout,
                })
            }
            Ok(Err(source)) => return Err(AdbError::ServerUnreachable { addr, source }),
            Ok(Ok(stream)) => stream,
        };
        Ok(Self {
            stream,
            addr,
            timeout,
            service: String::new(),
        })
    }

    fn lost(&self, source: std::io::Error) -> AdbError {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            let source = std::io::Error::new(source.kind(), "the server closed the connection");
            return AdbError::ConnectionLost {
                addr: self.addr,
                service: self.service.clone(),
                source,
            };
        }
        AdbError::ConnectionLost {
            addr: self.addr,
            service: self.service.clone(),
            source,
        }
    }

    fn timed_out(&self) -> AdbError {
        AdbError::Timeout {
            addr: self.addr,
            service: self.service.clone(),
            timeout: self.timeout,
        }
    }

    pub(crate) fn protocol(&self, detail: impl Into<String>) -> AdbError {
        AdbError::Protocol {
            addr: self.addr,
            service: self.service.clone(),
            detail: detail.into(),
        }
    }

    /// Send `service` and wait for OKAY. `serial` names the device the request is about, so a
    /// FAIL becomes `DeviceNotFound` and friends.
    pub(crate) async fn request(
        &mut self,
        service: &str,
        serial: Option<&str>,
    ) -> Result<(), AdbError> {
        self.service = service.to_owned();
        let frame = format!("{:04x}{service}", service.len());
        match tokio::time::timeout(self.timeout, self.stream.write_all(frame.as_bytes())).await {
            Err(_) => return Err(self.timed_out()),
            Ok(Err(e)) => return Err(self.lost(e)),
            Ok(Ok(())) => {}
        }
        let mut status = [0u8; 4];
        self.read_exact(&mut status, true).await?;
        match &status {
            b"OKAY" => Ok(()),
            b"FAIL" => {
                let message = self.read_hex_block().await?;
                Err(AdbError::from_fail(self.addr, service, serial, message))
            }
            other => Err(self.protocol(format!(
                "status {:?} is neither OKAY nor FAIL",
                String::from_utf8_lossy(other)
            ))),
        }
    }

    /// Fill `buf`; with `bounded` false wait as long as it takes (the device tracker idles
    /// until something changes) — a vanished server still ends the wait with EOF.
    pub(crate) async fn read_exact(
        &mut self,
        buf: &mut [u8],
        bounded: bool,
    ) -> Result<(), AdbError> {
        let read = self.stream.read_exact(buf);
        let result = if bounded {
            tokio::time::timeout(self.timeout, read)
                .await
                .map_err(|_| self.timed_out())?
        } else {
            read.await
        };
        result.map(|_| ()).map_err(|e| self.lost(e))
    }

    /// Read a `<4 hex length><text>` block.
    pub(crate) async fn read_hex_block(&mut self) -> Result<String, AdbError> {
        self.read_hex_block_waiting(true).await
    }

    pub(crate) async fn read_hex_block_waiting(
        &mut self,
        bounded: bool,
    ) -> Result<String, AdbError> {
        let mut hex = [0u8; 4];
        self.read_exact(&mut hex, bounded).await?;
        let length = std::str::from_utf8(&hex)
            .ok()
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .ok_or_else(|| {
                self.protocol(format!(
                    "length {:?} is not 4 hex digits",
                    String::from_utf8_lossy(&hex)
                ))
            })?;
        let mut body = vec![0u8; length];
        self.read_exact(&mut body, true).await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// Read until the server closes the stream, failing if it goes quiet for longer than the
    /// timeout or sends more than [`crate::MAX_SERVICE_OUTPUT`] bytes.
    pub(crate) async fn read_to_end(&mut self) -> Result<Vec<u8>, AdbError> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = match tokio::time::timeout(self.timeout, self.stream.read(&mut chunk)).await {
                Err(_) => return Err(self.timed_out()),
                Ok(Err(e)) => return Err(self.lost(e)),
                Ok(Ok(n)) => n,
            };
            if n == 0 {
                return Ok(out);
            }
            if out.len() + n > crate::MAX_SERVICE_OUTPUT {
                return Err(AdbError::OutputTooLarge {
                    addr: self.addr,
                    service: self.service.clone(),
                    limit: crate::MAX_SERVICE_OUTPUT,
                });
            }
            out.extend_from_slice(&chunk[..n]);
        }
    }
}
