//! The web view set for a bench PC that runs all day: on Linux, WebKitGTK keeps no page cache
//! (the app is one page: the cache model for a document viewer) and draws without accelerated
//! compositing (`WEBKIT_DISABLE_COMPOSITING_MODE=1`, set before WebKit starts). The Bench is a
//! grid of text tiles that the CPU draws at once; composited through OpenGL the page process held
//! about 74 MiB more (183 → 109 MiB PSS under Xvfb's software GL, idle, WebKitGTK 2.48: Mesa's
//! render buffers), measured with `stagebench benchmark app` (scripts/measure-app.sh).
//! `STAGEBENCH_GPU_COMPOSITING=1` keeps WebKit's own choice: the end-to-end tests set it, because
//! WebKitWebDriver 2.48 never answers a screenshot from a page drawn without compositing (each
//! one timed out after 40 s, with or without repaints). A `WEBKIT_DISABLE_COMPOSITING_MODE` the
//! user set is left as it is. Other systems keep their web view's defaults.

use tauri::plugin::TauriPlugin;
use tauri::{Runtime, Webview};

/// Chooses how WebKit draws, before anything starts it: called first thing in `main`, while the
/// process has one thread.
pub fn prepare_environment() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
        && std::env::var_os("STAGEBENCH_GPU_COMPOSITING").is_none_or(|v| v != "1")
    {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
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
