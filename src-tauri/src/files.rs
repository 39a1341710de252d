//! Where the app's files come from. A file the app reads is chosen in the native open dialog,
//! opened from Rust ([`pick`]); a file it writes is named by the page with a file name only and
//! lands in the bench's export folder ([`export_path`]). So no command takes a path the page
//! chose, and a script in the page can neither read a file elsewhere nor write over one.
//!
//! End-to-end tests cannot click in a native dialog. In debug builds only, the variable
//! [`DIALOG_ANSWER_ENV`], read once at start, names a file whose content (a path) is taken as
//! the technician's choice, read each time a dialog would open (empty: cancelled). It is set by
//! whoever starts the app, not by the page, and a release build has no such path at all.

use std::path::PathBuf;

use stagebench_core::batch::export_folder;
use tauri::{Runtime, Window};
use tauri_plugin_dialog::DialogExt;

use crate::error::{internal, ApiError};

/// Debug builds: the file that answers the open dialogs instead of the technician.
pub const DIALOG_ANSWER_ENV: &str = "STAGEBENCH_DIALOG_ANSWER";

/// What an open dialog asks for: its title, and the kind of file with its extensions.
pub struct Wanted {
    /// The dialog's title.
    pub title: &'static str,
    /// The kind of file, as the dialog's filter names it.
    pub kind: &'static str,
    /// Its extensions, without the dot.
    pub extensions: &'static [&'static str],
}

/// The file the technician chose in the native open dialog over `window`; `None` when the dialog
/// was cancelled.
pub async fn pick<R: Runtime>(
    window: &Window<R>,
    wanted: Wanted,
) -> Result<Option<PathBuf>, ApiError> {
    if let Some(answer) = test_answer() {
        return answer;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = window.dialog().file().set_parent(window);
    dialog
        .set_title(wanted.title)
        .add_filter(wanted.kind, wanted.extensions)
        .pick_file(move |chosen| drop(tx.send(chosen)));
    let chosen = rx
        .await
        .map_err(|_| internal("The file dialog closed without an answer."))?;
    chosen.map(|f| f.into_path().map_err(internal)).transpose()
}

/// The file `name` in the bench's export folder, once `name` is a plain file name.
pub fn export_path(name: &str) -> Result<PathBuf, ApiError> {
    Ok(export_folder::export_path(name)?)
}

/// An optional file name: `None` when not given or blank, else its place in the export folder.
pub fn optional_export_path(name: Option<String>) -> Result<Option<PathBuf>, ApiError> {
    name.filter(|n| !n.trim().is_empty())
        .map(|n| export_path(&n))
        .transpose()
}

#[cfg(debug_assertions)]
static ANSWER_FILE: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// Reads [`DIALOG_ANSWER_ENV`] once, at start (debug builds; release builds ignore it).
pub fn init() {
    #[cfg(debug_assertions)]
    ANSWER_FILE.get_or_init(|| std::env::var_os(DIALOG_ANSWER_ENV).map(PathBuf::from));
}

/// Debug builds started with [`DIALOG_ANSWER_ENV`]: the path its file holds (`None` inside when
/// it is empty: cancelled).
#[cfg(debug_assertions)]
fn test_answer() -> Option<Result<Option<PathBuf>, ApiError>> {
    let file = ANSWER_FILE.get()?.as_ref()?;
    let read = std::fs::read_to_string(file).map_err(|e| {
        internal(format!(
            "Can't read the dialog's answer {}: {e}",
            file.display()
        ))
    });
    Some(read.map(|text| {
        Some(text.trim())
            .filter(|t| !t.is_empty())
            .map(PathBuf::from)
    }))
}

#[cfg(not(debug_assertions))]
fn test_answer() -> Option<Result<Option<PathBuf>, ApiError>> {
    None
}
