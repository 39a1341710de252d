//! Just enough WebDriver to time the app and see its page: start a session (WebKitWebDriver
//! launches the app), run a script in the page, end the session. Plain HTTP/1.1 on loopback,
//! one connection a request; the reply's parsing is a pure function (tested without a driver).

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A session on WebKitWebDriver at `127.0.0.1:port`.
pub struct Session {
    port: u16,
    id: String,
}

impl Session {
    /// Starts a session whose browser is the app at `binary`: the driver launches it and
    /// answers once its web view can be driven.
    pub async fn start(port: u16, binary: &str) -> anyhow::Result<Session> {
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "webkitgtk:browserOptions": { "binary": binary, "args": [] }
        } } });
        let value = request(port, "POST", "/session", Some(&caps)).await?;
        let id = value["sessionId"]
            .as_str()
            .context("WebKitWebDriver gave no session id")?
            .to_owned();
        Ok(Session { port, id })
    }

    /// Runs `script` in the page and returns what it returned.
    pub async fn run(&self, script: &str) -> anyhow::Result<Value> {
        let body = json!({ "script": script, "args": [] });
        let path = format!("/session/{}/execute/sync", self.id);
        request(self.port, "POST", &path, Some(&body)).await
    }

    /// Ends the session: the driver closes the app.
    pub async fn end(self) -> anyhow::Result<()> {
        request(self.port, "DELETE", &format!("/session/{}", self.id), None)
            .await
            .map(drop)
    }
}

async fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<Value> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .with_context(|| format!("WebKitWebDriver does not answer on port {port}"))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    parse_reply(&reply).with_context(|| format!("WebKitWebDriver's answer to {method} {path}"))
}

/// The `value` of a WebDriver reply (HTTP/1.1, a plain or chunked body); a WebDriver error
/// becomes an error with its message.
pub fn parse_reply(reply: &[u8]) -> anyhow::Result<Value> {
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers")?;
    let head = String::from_utf8_lossy(&reply[..split]);
    let raw = &reply[split + 4..];
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked { dechunk(raw)? } else { raw.to_vec() };
    let json: Value = serde_json::from_slice(&body).context("the body is not JSON")?;
    let value = json.get("value").cloned().unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        let error = value["error"].as_str().unwrap_or("error");
        let message = value["message"].as_str().unwrap_or("");
        bail!("HTTP {status}: {error}: {message}");
    }
    Ok(value)
}

/// A chunked body put back together.
fn dechunk(mut raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("a chunk without its size line")?;
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).context("a chunk size that is not hex")?;
        if size == 0 {
            return Ok(body);
        }
        let start = line_end + 2;
        let chunk = raw
            .get(start..start + size)
            .context("a chunk shorter than its size")?;
        body.extend_from_slice(chunk);
        raw = raw.get(start + size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_reply_gives_its_value() {
        let reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 36\r\n\r\n{\"value\":{\"sessionId\":\"ab-12\",\"x\":1}}";
        assert_eq!(parse_reply(reply).unwrap()["sessionId"], "ab-12");
    }

    #[test]
    fn a_chunked_reply_is_put_back_together() {
        let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{\"valu\r\n5;x=y\r\ne\":8}\r\n0\r\n\r\n";
        assert_eq!(parse_reply(reply).unwrap(), 8);
    }

    #[test]
    fn a_webdriver_error_says_what_it_was() {
        let reply = b"HTTP/1.1 404 Not Found\r\nContent-Length: 67\r\n\r\n{\"value\":{\"error\":\"no such window\",\"message\":\"closed\",\"x\":null}}";
        let e = parse_reply(reply).unwrap_err().to_string();
        assert_eq!(e, "HTTP 404: no such window: closed");
        assert!(parse_reply(b"HTTP/1.1 200 OK\r\n").is_err(), "cut short");
        assert!(parse_reply(b"HTTP/1.1 200 OK\r\n\r\nnot json").is_err());
    }
}
