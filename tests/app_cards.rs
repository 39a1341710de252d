//! Cards that tell the truth, in the real app under Xvfb over WebDriver, with fake devices
//! through Debian's real adb server: one status per card (a device whose own evidence says "not
//! provisioned" while Intune shows a user on it says they disagree, never "Done"); two live
//! devices with the same serial are a problem on both cards; slot numbers stay current when a
//! refresh re-sends an older read (renumbered 2 → 12, then the active batch changes); a device
//! that is unplugged stays as a grey tile with its slot, time and serial until dismissed, and
//! plugging it back brings its card back live. `stagebench devices --json` gives each device
//! the same status. Screenshots land in artifacts/e2e/.

use stagebench_core::batch::{Batch, BatchStore};
use stagebench_core::identity::{SerialObservation, SerialSource};
use stagebench_core::intune::status::{IntuneStatus, IntuneStatusStore};
use stagebench_core::store::{Sighting, Store, FILE_NAME};
use stagebench_core::testing::{simulated_device, RealAdbServer};
use stagebench_e2e::attach_fakes;
use stagebench_e2e::cli::{ok, stagebench};
use stagebench_e2e::webdriver::{
    absent, attr_is, click, connect, present, screenshot, select, start_driver, text_matching,
    text_of, wait_for,
};

/// The CSS selector of the live card keyed `key` (its adb transport: the fake's address).
fn card(key: &str) -> String {
    format!("#device-cards li.card[data-key='{key}']")
}

/// The grey tile keyed `key`.
fn tile(key: &str) -> String {
    format!("#device-cards li.tile.unplugged[data-key='{key}']")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_never_contradict_themselves_and_unplugged_devices_stay_as_tiles() {
    let adb = RealAdbServer::start().await.expect("real adb server");
    // A: fresh (not provisioned); B: another fresh device; C and D: one serial on two devices.
    let fakes = attach_fakes(&adb, [0, 4, 1, 1].map(simulated_device).to_vec()).await;
    let keys: Vec<String> = fakes.iter().map(|f| f.addr().to_string()).collect();
    let serial = |i: usize| simulated_device([0, 4, 1, 1][i]).properties["ro.serialno"].clone();
    let (a, b, c, d) = (&keys[0], &keys[1], &keys[2], &keys[3]);

    // The bench: slots 1-4, a batch, and the last sync found A in Intune with a user on it.
    let data = tempfile::tempdir().unwrap();
    let wave = Batch::for_tests("Wave 1", &[]);
    {
        let mut store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        for (n, key) in keys.iter().enumerate() {
            store.assign_slot(key, n as u32 + 1, None).unwrap();
        }
        store.create_batch(&wave).unwrap();
        let id = store
            .record_sighting(&Sighting::new([SerialObservation::new(
                SerialSource::RoSerialno,
                serial(0),
            )]))
            .unwrap();
        let status = IntuneStatus::derive(
            "md-a",
            &format!("ana_AndroidEnterprise_{}", serial(0)),
            &serial(0),
            Some("androidEnterpriseFullyManaged"),
            Some("managed"),
            Some("ana@contoso.com"),
            Some("Ana"),
            None,
            None,
        );
        store
            .record_intune_status(Some(id), &status, time::OffsetDateTime::now_utc())
            .unwrap();
    }

    // The CLI gives each device the one status the app will show.
    let out = stagebench(&["devices", "--json"], data.path(), Some(adb.port()));
    ok(&out, "devices --json");
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let kind_of = |key: &str| {
        listed
            .iter()
            .find(|d| d["key"] == key)
            .map(|d| d["status"]["kind"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(kind_of(a).as_deref(), Some("disagree"), "{listed:?}");
    assert_eq!(kind_of(c).as_deref(), Some("problem"));
    assert_eq!(kind_of(d).as_deref(), Some("problem"));
    assert!(listed.iter().all(|d| d["unplugged_at"].is_null()));

    let (_driver, port) = start_driver(data.path(), adb.port(), &[]).await;
    let client = connect(port).await;
    let status_of = |key: &str| format!("{} .card-status", card(key));
    for key in &keys {
        let status = status_of(key);
        wait_for(&client, "every card with its status", || {
            present(&client, &status)
        })
        .await;
    }

    // One status per card: A's evidence and Intune disagree, and nothing on it says "Done".
    let status_a = status_of(a);
    wait_for(&client, "A's disagreement", || {
        attr_is(&client, &status_a, "data-kind", "disagree")
    })
    .await;
    let a_text = text_of(&client, &card(a)).await.unwrap();
    assert!(
        a_text.contains("Device and Intune disagree") && !a_text.contains("Done"),
        "{a_text}"
    );
    assert!(
        !a_text.contains("not seen yet"),
        "Intune's line agrees with the status: {a_text}"
    );

    // The same serial on two live devices: a problem on both cards, each naming the other.
    for (key, other) in [(c, 4), (d, 3)] {
        let status = status_of(key);
        wait_for(&client, "the duplicate serial on both cards", || {
            text_matching(&client, &status, |t| t.contains("Duplicate serial"))
        })
        .await;
        // The status word heads the tile; its next step, naming the other slot, is under it.
        let text = text_of(&client, &card(key)).await.unwrap();
        assert!(text.contains(&format!("slot {other}")), "{text}");
    }
    screenshot(&client, "cards-status.png").await;

    // Renumbered from 2 to 12 elsewhere, then the active batch changes (a refresh that re-sends
    // the older reads): the card says Slot 12, and every other card keeps its number.
    {
        let mut store = Store::open(&data.path().join(FILE_NAME)).unwrap();
        store.free_slot(2).unwrap();
        store.assign_slot(b, 12, None).unwrap();
    }
    select(&client, "#active-batch", wave.id.as_str()).await;
    let slot_b = format!("{} .slot-number", card(b));
    wait_for(&client, "B renumbered to 12", || {
        text_matching(&client, &slot_b, |t| t == "Slot 12")
    })
    .await;
    for (key, n) in [(a, 1), (c, 3), (d, 4)] {
        assert_eq!(
            text_of(&client, &format!("{} .slot-number", card(key)))
                .await
                .as_deref(),
            Some(format!("Slot {n}").as_str()),
            "slot numbers stay after a refresh"
        );
    }

    // B is unplugged: a grey tile in its place says where, when and which device.
    adb.client().disconnect(b).await.unwrap();
    let tile_label = format!("{} .tile-label", tile(b));
    let label = wait_for(&client, "B's grey tile", || {
        text_matching(&client, &tile_label, |t| t.contains("unplugged"))
    })
    .await;
    assert!(
        label.contains("Slot 12 — unplugged") && label.contains(&serial(1)),
        "{label}"
    );
    assert!(text_of(&client, &card(b)).await.is_none(), "no live card");
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
            vec![serde_json::json!(tile(b))],
        )
        .await
        .unwrap();
    screenshot(&client, "cards-unplugged-tile.png").await;
    click(&client, &format!("{} .tile-dismiss", tile(b))).await;
    let (tile_b, status_b) = (tile(b), status_of(b));
    wait_for(&client, "the tile dismissed", || absent(&client, &tile_b)).await;

    // Plugged back in: live again. Unplugged once more and back without a dismissal: no tile.
    adb.client().connect(b).await.unwrap();
    wait_for(&client, "B live again", || present(&client, &status_b)).await;
    adb.client().disconnect(b).await.unwrap();
    wait_for(&client, "B's tile again", || present(&client, &tile_b)).await;
    adb.client().connect(b).await.unwrap();
    wait_for(&client, "B back, its tile gone", || async {
        present(&client, &status_b).await?;
        absent(&client, &tile_b).await
    })
    .await;
    screenshot(&client, "cards-replugged.png").await;
    client.close().await.unwrap();
}
