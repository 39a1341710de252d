//! The slot editor and box labels on the real app under Xvfb, driven over WebDriver as a
//! technician uses them: keys go to whatever has the focus (never into a field the test found
//! and cleared first), so a field that is not focused, or holds text that typing appends to, is
//! caught. Issue 14 found the slot editor unfocused and pre-filled with "1" (typing "1" saved
//! slot 11), "Change slot" refusing, "Free slot" not asking, and a scanned box label becoming a
//! phantom device of the batch. Three simulated devices sit on Debian's real adb server.
//! Screenshots land in artifacts/e2e/.

use fantoccini::Client;
use stagebench_core::batch::{Batch, BatchStore};
use stagebench_core::store::{Store, FILE_NAME};
use stagebench_core::testing::{RealAdbServer, SimulatedBench};
use stagebench_e2e::bench_view::{card, on_card, serials_are};
use stagebench_e2e::wait::{Look, PATIENCE};
use stagebench_e2e::webdriver::{
    click, connect, screenshot, start_driver, text_at, type_into, wait_for,
};

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

/// The focused element's class, value and selection.
async fn focused(client: &Client) -> (String, String, Option<u64>, Option<u64>) {
    let said = client
        .execute(
            "const e = document.activeElement; \
             return [e ? e.className : '', (e && e.value) || '', \
                     e && 'selectionStart' in e ? e.selectionStart : null, \
                     e && 'selectionEnd' in e ? e.selectionEnd : null];",
            vec![],
        )
        .await
        .unwrap();
    let a = said.as_array().unwrap();
    (
        a[0].as_str().unwrap_or_default().to_owned(),
        a[1].as_str().unwrap_or_default().to_owned(),
        a[2].as_u64(),
        a[3].as_u64(),
    )
}

/// Look: the focused element has this class (and then its value and selection).
async fn focus_on(
    client: &Client,
    class: &str,
) -> Look<(String, String, Option<u64>, Option<u64>)> {
    let now = focused(client).await;
    match now.0.split_whitespace().any(|c| c == class) {
        true => Ok(now),
        false => Err(format!("the focus is on {:?}", now.0)),
    }
}

/// Types `keys` where the focus is, as a keyboard (or a keyboard-wedge scanner) does.
async fn keyboard(client: &Client, keys: &str) {
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(keys)
        .await
        .unwrap();
}

fn numbers(data: &std::path::Path) -> Vec<(u32, String)> {
    let store = Store::open(&data.join(FILE_NAME)).unwrap();
    let slots = store.slots().unwrap();
    slots.into_iter().map(|s| (s.number, s.port_path)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renumbering_is_one_focused_step_freeing_asks_and_a_box_label_ties_to_its_slot() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    let bench = SimulatedBench::start(3, None).await.unwrap();
    bench.connect_all(&adb.client()).await.unwrap();
    adb.wait_for_devices(3, PATIENCE).await.unwrap();
    let mut serials: Vec<String> = bench.models().iter().map(|m| m.0.clone()).collect();
    serials.sort();
    let data = tempfile::tempdir().unwrap();
    let wave = Batch::for_tests("Wave 14", &[]);
    {
        let mut store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        store.create_batch(&wave).unwrap();
        store.set_active_batch(Some(&wave.id)).unwrap();
    }
    let (_driver, port) = start_driver(data.path(), adb.port(), &[]).await;
    let client = connect(port).await;
    wait_for(&client, "three devices on the Bench", || {
        serials_are(&client, &serials)
    })
    .await;
    let (a, b) = (serials[0].clone(), serials[1].clone());
    let part = |serial: &str, inner: &str| format!("{} {inner}", card(serial));
    let slot_is = |serial: String, want: &'static str| {
        let client = client.clone();
        async move { on_card(&client, &serial, ".slot-number", |t| t == want).await }
    };

    // "Set slot": the field has the focus, proposes the next free number (1) selected, so typing
    // 7 makes it 7 (the trap: unfocused and pre-filled, typing "1" made 11); Enter saves.
    click(&client, &part(&a, ".slot-set")).await;
    let (_, value, start, end) = wait_for(&client, "the focus in the slot field", || {
        focus_on(&client, "slot-input")
    })
    .await;
    assert_eq!(
        (value.as_str(), start, end),
        ("1", Some(0), Some(1)),
        "the next free number, selected"
    );
    screenshot(&client, "slot-editor.png").await;
    keyboard(&client, &format!("7{ENTER}")).await;
    wait_for(&client, "slot 7 on the card", || {
        slot_is(a.clone(), "Slot 7")
    })
    .await;

    // "Change slot" moves it in one step: 7 is freed, 3 taken.
    click(&client, &part(&a, ".slot-set")).await;
    let (_, value, ..) = wait_for(&client, "the focus in the slot field", || {
        focus_on(&client, "slot-input")
    })
    .await;
    assert_eq!(value, "1", "1 is still the lowest free number");
    keyboard(&client, &format!("3{ENTER}")).await;
    wait_for(&client, "slot 3 on the card", || {
        slot_is(a.clone(), "Slot 3")
    })
    .await;
    let ports: Vec<u32> = numbers(data.path()).into_iter().map(|n| n.0).collect();
    assert_eq!(ports, [3], "the old number 7 was freed");

    // Esc leaves the field and changes nothing; the focus goes back to the button.
    click(&client, &part(&a, ".slot-set")).await;
    wait_for(&client, "the focus in the slot field", || {
        focus_on(&client, "slot-input")
    })
    .await;
    keyboard(&client, &format!("9{ESCAPE}")).await;
    wait_for(&client, "the focus back on Change slot", || {
        focus_on(&client, "slot-set")
    })
    .await;
    assert_eq!(numbers(data.path()).len(), 1);
    slot_is(a.clone(), "Slot 3").await.unwrap();

    // Another card asking for 3, which an attached device holds: refused, and the free number
    // is offered; taking it is one click.
    click(&client, &part(&b, ".slot-set")).await;
    wait_for(&client, "the focus in b's slot field", || {
        focus_on(&client, "slot-input")
    })
    .await;
    keyboard(&client, &format!("3{ENTER}")).await;
    let b_error = part(&b, ".slot-error");
    let refused = wait_for(&client, "the number refused", || text_at(&client, &b_error)).await;
    assert!(
        refused.contains("slot 3 is port") && refused.contains("another device is attached"),
        "{refused}"
    );
    assert!(!refused.contains("stagebench"), "no CLI command: {refused}");
    click(&client, &part(&b, ".slot-use-free")).await;
    wait_for(&client, "slot 1 on b", || slot_is(b.clone(), "Slot 1")).await;

    // Freeing asks first, naming the slot and the device, with the focus on Cancel.
    click(&client, &part(&a, ".slot-free")).await;
    let a_confirm = part(&a, ".slot-confirm");
    let asked = wait_for(&client, "the question", || text_at(&client, &a_confirm)).await;
    assert!(asked.contains(&format!("Free slot 3 of {a}?")), "{asked}");
    wait_for(&client, "the focus on Cancel", || {
        focus_on(&client, "slot-free-cancel")
    })
    .await;
    screenshot(&client, "slot-free-confirm.png").await;
    keyboard(&client, ENTER).await;
    wait_for(&client, "the question gone", || async {
        match text_at(&client, &a_confirm).await {
            Ok(_) => Err("still asking".to_owned()),
            Err(_) => Ok(()),
        }
    })
    .await;
    assert_eq!(numbers(data.path()).len(), 2, "Cancel freed nothing");

    // Box label, slot first: "Scan box label" on the card puts the focus in its field, and the
    // keyboard-wedge scan (ending in Enter) is that device's box label, shown on its card.
    // The tile offers "Scan box label" with its details open (the tile stays short otherwise).
    click(&client, &part(&a, ".card-details-toggle")).await;
    click(&client, &part(&a, ".box-scan-start")).await;
    wait_for(&client, "the focus in the box field", || {
        focus_on(&client, "box-input")
    })
    .await;
    keyboard(&client, &format!("box0042{ENTER}")).await;
    let a_box = part(&a, ".box-label");
    let shown = wait_for(&client, "the box label on the card", || {
        text_at(&client, &a_box)
    })
    .await;
    assert_eq!(shown, "Box BOX0042");

    // Scan first (on the batch's scan field): it waits, never a device; b's card ties it.
    click(&client, "#nav-batches").await;
    click(&client, &format!(".batch-item[data-id='{}']", wave.id)).await;
    type_into(&client, "#scan-input", &format!("BOX0043{ENTER}")).await;
    let waits = wait_for(&client, "the box label waiting", || {
        text_at(
            &client,
            "#scan-results li[data-result='waiting'][data-serial='BOX0043']",
        )
    })
    .await;
    assert!(waits.contains("waits for its slot"), "{waits}");
    click(&client, "#nav-bench").await;
    click(&client, &part(&b, ".box-tie[data-code='BOX0043']")).await;
    let b_box = part(&b, ".box-label");
    let shown = wait_for(&client, "the tied box label on b's card", || {
        text_at(&client, &b_box)
    })
    .await;
    assert_eq!(shown, "Box BOX0043");
    screenshot(&client, "box-labels.png").await;

    // No phantom device: the batch holds the three devices and no box label is a device.
    let store = Store::open(&data.path().join(FILE_NAME)).unwrap();
    assert!(store.devices_with_serial("BOX0042").unwrap().is_empty());
    assert!(store.devices_with_serial("BOX0043").unwrap().is_empty());
    let members = store.batch_devices(&wave.id).unwrap();
    assert_eq!(members.len(), 3, "no ninth (fourth) device: {members:?}");
    let labelled: Vec<Option<String>> = members
        .iter()
        .map(|(id, _, _)| store.box_label(*id).unwrap())
        .collect();
    assert_eq!(
        labelled.iter().flatten().count(),
        2,
        "both labels in the devices' histories: {labelled:?}"
    );
}
