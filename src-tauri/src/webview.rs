//! The web view set for a bench PC that runs all day: on Linux, WebKitGTK keeps no page cache
//! (the app is one page: the cache model for a document viewer). GPU compositing stays as
//! WebKitGTK chooses: switched off (`WEBKIT_DISABLE_COMPOSITING_MODE=1`) it saved about 4 MiB
//! of private memory under Xvfb and left WebKitWebDriver's screenshots hanging, so it is not the
//! default. Measured with `stagebench benchmark app` (scripts/measure-app.sh).
//! Other systems keep their web view's defaults.

use tauri::plugin::TauriPlugin;
use tauri::{Runtime, Webview};

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
