//! Driving the real app over WebDriver: the driver, the session, waiting, reading and typing.

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use stagebench_core::testing::free_port;
use tokio::process::{Child, Command};

use crate::{artifacts_dir, built_binary};

/// Starts WebKitWebDriver on a free port; it launches the app with `app_data` as its data folder,
/// `adb_port` as the adb server and `env` added. Needs an X display (Xvfb under `make test`).
pub async fn start_driver(
    app_data: &std::path::Path,
    adb_port: u16,
    env: &[(&str, String)],
) -> (Child, u16) {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no DISPLAY: run the end-to-end tests under Xvfb (`make test` does this)"
    );
    let port = free_port().unwrap();
    let driver = Command::new("WebKitWebDriver")
        .arg(format!("--port={port}"))
        .env("TAURI_WEBVIEW_AUTOMATION", "true")
        .env("ANDROID_ADB_SERVER_PORT", adb_port.to_string())
        .env("STAGEBENCH_DATA_DIR", app_data)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("WebKitWebDriver runs (package webkit2gtk-driver; `make test` installs it)");
    (driver, port)
}

/// A WebDriver session on the driver at `port` that runs the built app.
pub async fn connect(port: u16) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "webkitgtk:browserOptions".into(),
        serde_json::json!({ "binary": built_binary("stagebench-app").to_string_lossy(), "args": [] }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("WebDriver session did not start within 30 s: {e}"),
        }
    }
}

/// A screenshot after the page has painted, also saved as `artifacts/e2e/<name>`.
pub async fn screenshot(client: &Client, name: &str) -> Vec<u8> {
    // WebKit can hand back the previous frame right after a change; let it paint first.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let png = client.screenshot().await.expect("WebDriver screenshot");
    std::fs::write(artifacts_dir("e2e").join(name), &png).unwrap();
    png
}

/// Waits until `check` gives `Some`, polling every 100 ms; panics with `what` after `secs`.
pub async fn wait_for<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The visible text of the first element matching `css`.
pub async fn text_of(client: &Client, css: &str) -> Option<String> {
    client.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

/// An attribute of the first element matching `css`.
pub async fn attr_of(client: &Client, css: &str, name: &str) -> Option<String> {
    client
        .find(Locator::Css(css))
        .await
        .ok()?
        .attr(name)
        .await
        .ok()?
}

/// Clicks the first element matching `css` (panics naming it when missing).
pub async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Clears the input matching `css` and types `text` into it.
pub async fn type_into(client: &Client, css: &str, text: &str) {
    let input = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Sets an input's value from script and fires `input` (for date and select fields).
pub async fn set_value(client: &Client, css: &str, value: &str) {
    client
        .execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![serde_json::json!(css), serde_json::json!(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}
