//! Driving the real app over WebDriver: the driver, the session, waiting, reading and acting.
//!
//! Every wait is on what the page shows ([`wait_for`] with a look such as [`text`] or
//! [`attr_is`]) and, when it gives up, says what it waited for, what it saw last, the page's
//! error banners, and where the screenshot of that moment is.
//!
//! Clicks hit-test and click in one step inside the page ([`click`]): WebDriver's own click
//! finds the element's centre first and presses the mouse there later, so a panel above that
//! grows meanwhile (the print queue's channel publishing a new job, say) moves the button away
//! and the press lands on nothing.

use std::future::Future;
use std::process::Stdio;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use stagebench_core::testing::free_port;
use tokio::process::{Child, Command};

use crate::wait::{poll, Look};
use crate::{artifacts_dir, built_binary};

/// Starts WebKitWebDriver on a free port and returns once it listens; it launches the app with
/// `app_data` as its data folder, `adb_port` as the adb server and `env` added. Needs an X
/// display (Xvfb under `make test`). A port taken meanwhile by another test makes the driver
/// exit: it is started again on another.
pub async fn start_driver(
    app_data: &std::path::Path,
    adb_port: u16,
    env: &[(&str, String)],
) -> (Child, u16) {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no DISPLAY: run the end-to-end tests under Xvfb (`make test` does this)"
    );
    let mut exits = Vec::new();
    for _ in 0..3 {
        let port = free_port().unwrap();
        let mut driver = Command::new("WebKitWebDriver")
            .arg(format!("--port={port}"))
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            // WebKitWebDriver never answers a screenshot of a page drawn without compositing,
            // the app's default on Linux (src-tauri/src/webview.rs): keep WebKit's own choice.
            .env("STAGEBENCH_GPU_COMPOSITING", "1")
            .env("ANDROID_ADB_SERVER_PORT", adb_port.to_string())
            .env("STAGEBENCH_DATA_DIR", app_data)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("WebKitWebDriver runs (package webkit2gtk-driver; `make test` installs it)");
        let listening = crate::wait::until("WebKitWebDriver to listen", || {
            let exited = driver.try_wait();
            async move {
                if let Ok(Some(status)) = exited {
                    return Ok(Err(status));
                }
                match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                    Ok(_) => Ok(Ok(())),
                    Err(e) => Err(format!("port {port}: {e}")),
                }
            }
        })
        .await;
        match listening {
            Ok(()) => return (driver, port),
            Err(status) => exits.push(format!("port {port}: {status}")),
        }
    }
    panic!("WebKitWebDriver did not start: {exits:?}")
}

/// A WebDriver session on the driver at `port` that runs the built app, once the driver
/// listens and the app's window is up.
pub async fn connect(port: u16) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "webkitgtk:browserOptions".into(),
        serde_json::json!({ "binary": built_binary("stagebench-app").to_string_lossy(), "args": [] }),
    );
    let client = crate::wait::until("a WebDriver session with the app", || async {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(|e| format!("WebKitWebDriver on port {port} said: {e}"))
    })
    .await;
    // The app's own page, not the blank one WebKit starts with.
    crate::wait::until("the app's navigation", || present(&client, "nav")).await;
    client
}

/// Waits until `look` gives `Ok`. Giving up (after [`crate::wait::PATIENCE`]) panics with what
/// it waited for, the last look, the page's error banners, and a screenshot of that moment.
pub async fn wait_for<T, F, Fut>(client: &Client, what: &str, look: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Look<T>>,
{
    match poll(what, look).await {
        Ok(value) => value,
        Err(gave_up) => {
            let problems = problems_shown(client).await;
            let name: String = what
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let shot = artifacts_dir("e2e").join(format!("gave-up-{name}.png"));
            let saved = match client.screenshot().await {
                Ok(png) => std::fs::write(&shot, png)
                    .map(|()| shot.display().to_string())
                    .unwrap_or_else(|e| format!("not saved: {e}")),
                Err(e) => format!("not taken: {e}"),
            };
            panic!("{gave_up}; the page's banners: {problems:?}; screenshot: {saved}")
        }
    }
}

/// The text of every error or warning banner and flag on the page.
async fn problems_shown(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for element in client
        .find_all(Locator::Css(".banner.bad, .banner.warn, .flag.bad"))
        .await
        .unwrap_or_default()
    {
        if let Ok(text) = element.text().await {
            out.push(text);
        }
    }
    out
}

/// A screenshot of the page as it is now (after WebKit painted the latest change), also saved
/// as `artifacts/e2e/<name>`.
pub async fn screenshot(client: &Client, name: &str) -> Vec<u8> {
    painted(client).await;
    let png = client.screenshot().await.expect("WebDriver screenshot");
    std::fs::write(artifacts_dir("e2e").join(name), &png).unwrap();
    png
}

/// Screenshots until `read` finds in one what the test waits for (WebKit can hand back the
/// frame before the latest change); the one that matched is saved as `artifacts/e2e/<name>`.
pub async fn screenshot_until<T>(
    client: &Client,
    name: &str,
    what: &str,
    read: impl Fn(&[u8]) -> Look<T>,
) -> T {
    let read = &read;
    let (value, png) = wait_for(client, what, || async move {
        painted(client).await;
        let png = client
            .screenshot()
            .await
            .map_err(|e| format!("no screenshot: {e}"))?;
        read(&png).map(|value| (value, png))
    })
    .await;
    std::fs::write(artifacts_dir("e2e").join(name), &png).unwrap();
    value
}

/// Returns once the page has rendered two animation frames since it was asked.
async fn painted(client: &Client) {
    // Two frames: the first may be the one already being drawn when the change came.
    let _ = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await;
}

/// The visible text of the first element matching `css` (`None` when there is none).
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

/// Look: the first element matching `css`.
pub async fn element(client: &Client, css: &str) -> Look<Element> {
    client
        .find(Locator::Css(css))
        .await
        .map_err(|e| format!("no `{css}` ({e})"))
}

/// Look: `css` is on the page.
pub async fn present(client: &Client, css: &str) -> Look<()> {
    element(client, css).await.map(drop)
}

/// Look: `css` is not on the page (any more).
pub async fn absent(client: &Client, css: &str) -> Look<()> {
    match text_of(client, css).await {
        None => Ok(()),
        Some(text) => Err(format!("`{css}` is still there, saying {text:?}")),
    }
}

/// Look: the visible text of the first element matching `css`.
pub async fn text_at(client: &Client, css: &str) -> Look<String> {
    element(client, css)
        .await?
        .text()
        .await
        .map_err(|e| format!("`{css}` has no text ({e})"))
}

/// Look: the visible text of `css`, once `accept` takes it.
pub async fn text_matching(
    client: &Client,
    css: &str,
    accept: impl Fn(&str) -> bool,
) -> Look<String> {
    let text = text_at(client, css).await?;
    if accept(&text) {
        Ok(text)
    } else {
        Err(format!("`{css}` says {text:?}"))
    }
}

/// Look: the value of the input or select matching `css`, once it is not empty.
pub async fn filled(client: &Client, css: &str) -> Look<String> {
    element(client, css)
        .await?
        .prop("value")
        .await
        .map_err(|e| format!("`{css}`: {e}"))?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("`{css}` is empty"))
}

/// Look: attribute `name` of `css`.
pub async fn attr(client: &Client, css: &str, name: &str) -> Look<String> {
    element(client, css)
        .await?
        .attr(name)
        .await
        .map_err(|e| format!("`{css}` [{name}]: {e}"))?
        .ok_or_else(|| format!("`{css}` has no {name}"))
}

/// Look: attribute `name` of `css` is `want`.
pub async fn attr_is(client: &Client, css: &str, name: &str, want: &str) -> Look<()> {
    let got = attr(client, css, name).await?;
    if got == want {
        Ok(())
    } else {
        Err(format!("`{css}` has {name}={got:?}, not {want:?}"))
    }
}

/// Look: every element matching `css`, once there are `count` of them.
pub async fn count_of(client: &Client, css: &str, count: usize) -> Look<Vec<Element>> {
    let found = client
        .find_all(Locator::Css(css))
        .await
        .map_err(|e| format!("`{css}`: {e}"))?;
    if found.len() == count {
        Ok(found)
    } else {
        Err(format!("{} of `{css}`, not {count}", found.len()))
    }
}

/// Clicks the first element matching `css` once it is on the page, enabled and not covered.
/// The hit test and the click run in one script turn in the page, so nothing can move the
/// element in between (see the module's notes).
pub async fn click(client: &Client, css: &str) {
    wait_for(client, &format!("`{css}` to be clicked"), || async {
        let said = client
            .execute(CLICK, vec![serde_json::json!(css)])
            .await
            .map_err(|e| format!("the click script failed: {e}"))?;
        match said.as_str() {
            Some("clicked") => Ok(()),
            Some(why) => Err(why.to_owned()),
            None => Err(format!("the click script said {said}")),
        }
    })
    .await
}

/// Finds, checks and clicks in one turn of the page's event loop; says why it could not.
const CLICK: &str = r#"
const css = arguments[0];
const el = document.querySelector(css);
if (!el) return `no element matches ${css}`;
if (el.matches(':disabled')) return `${css} is disabled`;
el.scrollIntoView({ block: 'center', inline: 'center' });
const r = el.getBoundingClientRect();
if (r.width === 0 || r.height === 0) return `${css} is not displayed`;
const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
if (!hit || !(hit === el || el.contains(hit))) {
  const what = hit ? `${hit.tagName.toLowerCase()}#${hit.id}.${hit.className}` : 'nothing';
  return `${css} is covered by ${what}`;
}
el.click();
return 'clicked';
"#;

/// Clears the input matching `css` (once it is there and enabled) and types `text` into it.
pub async fn type_into(client: &Client, css: &str, text: &str) {
    let input = wait_for(client, &format!("`{css}` to type into"), || async {
        let input = element(client, css).await?;
        match input.is_enabled().await {
            Ok(true) => Ok(input),
            Ok(false) => Err(format!("`{css}` is disabled")),
            Err(e) => Err(format!("`{css}`: {e}")),
        }
    })
    .await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Sets an input's value from script and fires `input` (for date and select fields).
pub async fn set_value(client: &Client, css: &str, value: &str) {
    wait_for(client, &format!("`{css}` to set"), || present(client, css)).await;
    client
        .execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![serde_json::json!(css), serde_json::json!(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Picks the option with `value` in the select matching `css`, once the select offers it.
pub async fn select(client: &Client, css: &str, value: &str) {
    let option = format!("{css} option[value='{value}']");
    wait_for(client, &format!("{value:?} offered in `{css}`"), || async {
        match element(client, &option).await {
            Ok(_) => Ok(()),
            Err(_) => Err(format!(
                "`{css}` offers {:?}",
                option_values(client, css).await
            )),
        }
    })
    .await;
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{css} = {value}: {e}"));
}

async fn option_values(client: &Client, css: &str) -> Vec<String> {
    let mut values = Vec::new();
    for option in client
        .find_all(Locator::Css(&format!("{css} option")))
        .await
        .unwrap_or_default()
    {
        values.push(
            option
                .attr("value")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
        );
    }
    values
}
