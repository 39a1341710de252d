//! The web view set for a bench PC that runs all day: on Linux, WebKitGTK draws without GPU
//! compositing ([`before_start`]: under Xvfb or on a PC without a GPU driver that is Mesa's
//! software GL, which held half of the page process's memory) and keeps no page cache (the app is
//! one page: the cache model for a document viewer). Measured with `stagebench benchmark app` (scripts/measure-app.sh).
//! Other systems keep their web view's defaults.

use tauri::plugin::TauriPlugin;
use tauri::{Runtime, Webview};

/// WebKitGTK's switch for drawing without GPU compositing, read once when it starts.
#[cfg(target_os = "linux")]
const NO_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Before anything starts (WebKitGTK reads the switch once, and a policy set on a web view that
/// is already loading comes too late: its page process has set up GL by then): no GPU
/// compositing, unless the environment already says otherwise (`WEBKIT_DISABLE_COMPOSITING_MODE=0`
/// brings it back on a PC where it helps). Call it first in `main`, while no other thread runs.
pub fn before_start() {
    #[cfg(target_os = "linux")]
    if std::env::var_os(NO_COMPOSITING).is_none() {
        std::env::set_var(NO_COMPOSITING, "1");
    }
}

/// Applies the settings to every web view when it is made.
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("stagebench-webview")
        .on_webview_ready(|webview| set_up(&webview))
        .build()
}

fn set_up<R: Runtime>(webview: &Webview<R>) {
    #[cfg(target_os = "linux")]
    if let Err(e) = webview.with_webview(linux::set_up) {
        tracing::warn!(error = %e, "could not set the web view up for low memory");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = webview;
}

#[cfg(target_os = "linux")]
mod linux {
    use tauri::webview::PlatformWebview;
    use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};

    pub fn set_up(platform: PlatformWebview) {
        let view = platform.inner();
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
    }
}
