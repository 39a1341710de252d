//! What the webview may call, on the real app's context (its tauri.conf.json and the command
//! permissions build.rs made) over Tauri's mock runtime: the `main` window calls the app's
//! commands; another window, a command the manifest does not declare and a plugin command are
//! refused; the file commands take a file name in the export folder, never a path; the CSP
//! shuts objects, `<base>` and form posts. And the three lists of commands (the handler in
//! src/lib.rs, build.rs's manifest, the capability) are one list.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};
use tauri::test::mock_builder;
use tauri::{WebviewUrl, WebviewWindowBuilder};

mod ipc;
use ipc::invoke;

fn refused(answer: Result<Value, Value>) -> String {
    let err = answer.expect_err("refused");
    let text = err.as_str().map(str::to_owned).unwrap_or(err.to_string());
    assert!(text.contains("not allowed"), "an ACL refusal: {text}");
    text
}

#[test]
fn the_window_calls_only_what_it_is_granted_and_files_stay_in_the_export_folder() {
    let (data, exports) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The only test in this binary that reads the environment: the app's to read at setup.
    std::env::set_var("STAGEBENCH_DATA_DIR", data.path());
    std::env::set_var("STAGEBENCH_EXPORT_DIR", exports.path());
    let app = stagebench_app::configure(mock_builder())
        .build(stagebench_app::context())
        .expect("the app builds on the mock runtime with its own context");
    let csp = app.config().app.security.csp.clone().expect("a CSP");
    let csp = csp.to_string();
    for directive in ["object-src 'none'", "base-uri 'none'", "form-action 'none'"] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    let url = WebviewUrl::App("index.html".into());
    let main = WebviewWindowBuilder::new(&app, "main", url.clone())
        .build()
        .unwrap();
    let other = WebviewWindowBuilder::new(&app, "other", url)
        .build()
        .unwrap();

    // Granted to main, by name; refused to any other window.
    assert_eq!(invoke(&main, "slots_list", json!({})).unwrap(), json!([]));
    let text = refused(invoke(&other, "slots_list", json!({})));
    assert!(text.contains("slots_list"), "{text}");
    // A command nobody declared, and plugin commands the page never needs, are refused.
    refused(invoke(
        &main,
        "read_text_file",
        json!({"path": "/etc/passwd"}),
    ));
    refused(invoke(&main, "plugin:dialog|open", json!({"options": {}})));
    refused(invoke(&main, "plugin:window|close", json!({})));

    // A file to write is a name in the export folder: a path or a trick is refused, before
    // anything is written.
    let form = json!({"form": {"name": "Wave 3", "vendor": "Acme", "due": null,
        "expected_count": 2, "expected_serials": [],
        "profile": {"kind": "offline", "flow": "staging-token", "profile_name": null,
            "token_expires": null, "dem_account": null}}});
    let made = invoke(&main, "batch_create", form).unwrap();
    let batch = made["batch"]["id"].as_str().unwrap().to_owned();
    let outside = data.path().join("custody.csv");
    for name in [
        outside.display().to_string(),
        "../custody.csv".into(),
        "..".into(),
    ] {
        let err = invoke(
            &main,
            "batch_custody",
            json!({"batch": batch, "pdfFile": null, "csvFile": name}),
        )
        .unwrap_err();
        assert_eq!(err["code"], "invalid-input", "{name}: {err}");
        assert!(
            err["message"].as_str().unwrap().contains("export folder"),
            "{err}"
        );
    }
    assert!(
        !outside.exists(),
        "nothing written outside the export folder"
    );
    let written = invoke(
        &main,
        "batch_custody",
        json!({"batch": batch, "pdfFile": "Wave 3 custody.pdf", "csvFile": "Wave 3 custody.csv"}),
    )
    .unwrap();
    let in_folder = |name: &str| exports.path().join(name).display().to_string();
    assert_eq!(
        written,
        json!([
            in_folder("Wave 3 custody.pdf"),
            in_folder("Wave 3 custody.csv")
        ])
    );
    assert_eq!(
        invoke(&main, "export_folder", json!({})).unwrap(),
        json!(exports.path().display().to_string())
    );
}

/// The quoted names after `start` up to `end` in `file` (build.rs's list), or the last path
/// segments (the handler's list).
fn listed(file: &str, start: &str, end: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {file}"))
        + start.len();
    let list = &text[from..from + text[from..].find(end).unwrap()];
    list.split(',')
        .map(|item| item.trim().trim_matches('"'))
        .filter(|item| !item.is_empty())
        .map(|item| item.rsplit("::").next().unwrap().to_owned())
        .collect()
}

#[test]
fn the_handler_the_manifest_and_the_capability_list_the_same_commands() {
    let handler = listed("src/lib.rs", "generate_handler![", "]");
    let manifest = listed("build.rs", "const COMMANDS: &[&str] = &[", "]");
    let capability: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities/default.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(capability["windows"], json!(["main"]), "main only");
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let wanted: BTreeSet<String> = handler
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    assert!(handler.len() > 50, "{handler:?}");
    assert_eq!(
        manifest, handler,
        "build.rs declares each registered command"
    );
    assert_eq!(
        granted, wanted,
        "main is granted exactly those, nothing else"
    );
}
