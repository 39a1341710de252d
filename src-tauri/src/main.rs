// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    stagebench_app::webview::prepare_environment();
    stagebench_app::run();
}
