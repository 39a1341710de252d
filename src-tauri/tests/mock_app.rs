//! The real app (`stagebench_app::configure`: its state and every command) on Tauri's mock
//! runtime, called through the IPC as the webview calls it: commands that write and read the
//! store (opened once, in the data folder the environment names), `{code, message}` errors, a
//! service's view, and a watch command over a channel.

use serde_json::{json, Value};
use stagebench_core::store::{Store, FILE_NAME};
use tauri::test::{mock_builder, mock_context, noop_assets};
use tauri::{Manager, WebviewWindowBuilder};

mod ipc;
use ipc::invoke;

#[test]
fn commands_answer_through_the_ipc_over_the_one_store() {
    let data = tempfile::tempdir().unwrap();
    // The only test in this binary: the data folder is the app's to read at setup.
    std::env::set_var("STAGEBENCH_DATA_DIR", data.path());
    let app = stagebench_app::configure(mock_builder())
        .build(mock_context(noop_assets()))
        .expect("the app builds on the mock runtime");
    assert!(
        app.try_state::<stagebench_app::state::App>().is_some(),
        "configure opened the store and made the services"
    );
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();

    // Written through one command, read back through another and from the file itself.
    let slot = invoke(
        &webview,
        "slot_assign",
        json!({"port": "usb:1-4", "number": 3, "label": "left"}),
    )
    .unwrap();
    assert_eq!(
        (slot["number"].as_u64(), slot["label"].as_str()),
        (Some(3), Some("left"))
    );
    let slots = invoke(&webview, "slots_list", json!({})).unwrap();
    assert_eq!(slots.as_array().map(Vec::len), Some(1), "{slots}");
    let named = invoke(&webview, "technician_set", json!({"name": " Ana "})).unwrap();
    assert_eq!(
        (named["setting"].as_str(), named["effective"].as_str()),
        (Some("Ana"), Some("Ana"))
    );
    let file = Store::open(&data.path().join(FILE_NAME)).unwrap();
    assert_eq!(
        file.bench_setting("technician").unwrap().as_deref(),
        Some("Ana")
    );
    assert_eq!(file.slots().unwrap().len(), 1);

    // Errors cross as {code, message}.
    let taken = invoke(
        &webview,
        "slot_assign",
        json!({"port": "usb:1-5", "number": 3, "label": null}),
    )
    .unwrap_err();
    assert_eq!(taken["code"], "invalid-input", "{taken}");
    assert!(taken["message"].as_str().unwrap().contains('3'), "{taken}");
    assert_eq!(
        taken["remedy"],
        json!({"step": "free-slot", "number": 3}),
        "the core's remedy crosses the IPC as data: {taken}"
    );
    let unknown = invoke(&webview, "batch_show", json!({"id": "ffff"})).unwrap_err();
    assert_eq!(unknown["code"], "invalid-input", "{unknown}");
    let gone = invoke(
        &webview,
        "bench_action",
        json!({"key": "R58N1", "action": "powered-off"}),
    )
    .unwrap_err();
    assert_eq!(
        gone,
        json!({"code": "invalid-input", "message": "That device is no longer on the bench: plug it back in first."})
    );
    let bad_qr = invoke(
        &webview,
        "qr_render",
        json!({"request": {"source": {"kind": "token", "token": "T0K3N"}, "wifi": {"ssid": "Bench", "security": "WPA", "password": "short", "hidden": false}}}),
    )
    .unwrap_err();
    assert_eq!(bad_qr["code"], "invalid-input");
    assert!(
        !bad_qr.to_string().contains("short"),
        "no secret in the error: {bad_qr}"
    );

    // The services answer too.
    assert_eq!(
        invoke(&webview, "batches_list", json!({})).unwrap(),
        json!([])
    );
    assert_eq!(
        invoke(&webview, "print_queue_list", json!({})).unwrap(),
        json!([])
    );
    let scanner = invoke(&webview, "scanner_settings_get", json!({})).unwrap();
    assert_eq!(scanner, json!({"port": null, "baud": 9600}));
    let templates = invoke(&webview, "label_templates", json!({})).unwrap();
    assert!(templates.as_array().is_some_and(|t| !t.is_empty()));
    let held = invoke(&webview, "scanner_add_held", json!({"batch": "ffff"})).unwrap_err();
    assert_eq!(held["code"], "invalid-input");
    // A watch command takes the view's channel and answers at once.
    assert_eq!(
        invoke(
            &webview,
            "scanner_watch",
            json!({"onEvent": "__CHANNEL__:7"})
        ),
        Ok(Value::Null)
    );
}
