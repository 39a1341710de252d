//! Where the time goes, on the Batches screen of the real app under Xvfb over WebDriver: a
//! bench that worked an hour on a batch (five devices done by Ana and Ben, one stuck enrolling,
//! eight expected) shows devices done and per hour, per technician, the estimated end, the
//! time-per-stage chart with its text alternative, and the stuck device first among the
//! slowest. The screenshot lands in artifacts/e2e/batch-time.png.

use stagebench_core::testing::free_port;
use stagebench_e2e::history;
use stagebench_e2e::webdriver::{
    attr_is, click, connect, count_of, screenshot, start_driver, text_at, text_matching, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batches_screen_charts_where_the_time_goes() {
    let data = tempfile::tempdir().unwrap();
    let start = time::OffsetDateTime::now_utc() - time::Duration::minutes(60);
    let batch = history::write(data.path(), start);

    let no_adb = free_port().unwrap();
    let env = [("STAGEBENCH_TECHNICIAN", "Ana".to_string())];
    let (_driver, port) = start_driver(data.path(), no_adb, &env).await;
    let client = connect(port).await;

    click(&client, "#nav-batches").await;
    let item = format!("#batch-list .batch-item[data-id='{}']", batch.id);
    wait_for(&client, "the batch in the list", || text_at(&client, &item)).await;
    click(&client, &item).await;

    // The figures: the same numbers `batch show` prints for this history.
    wait_for(&client, "5 of 8 done", || {
        text_matching(&client, "#stats-done", |t| t == "5 of 8")
    })
    .await;
    let rate = wait_for(&client, "devices per hour", || {
        text_at(&client, "#stats-rate")
    })
    .await;
    assert_eq!(rate, "7.3");
    let techs = wait_for(&client, "the technicians", || {
        text_at(&client, "#stats-technicians")
    })
    .await;
    assert!(
        techs.contains("Ana: 3 done · 7.2 per hour")
            && techs.contains("Ben: 2 done · 7.1 per hour"),
        "{techs}"
    );
    wait_for(&client, "the estimate", || {
        attr_is(&client, "#stats-eta", "data-state", "estimated")
    })
    .await;
    let eta = text_at(&client, "#stats-eta").await.unwrap();
    assert!(eta.contains("3 to go at 5.0 an hour"), "{eta}");

    // The chart: one row per stage before Intune, labelled, with its text alternative.
    count_of(&client, "#stats-chart g.stage-row", 4)
        .await
        .unwrap();
    let enrolling = text_at(&client, "#stats-chart g.stage-row[data-stage='enrolling']")
        .await
        .unwrap();
    assert!(
        enrolling.contains("Enrolling") && enrolling.contains("median 6 min 00 s over 5"),
        "{enrolling}"
    );
    let alternative = client
        .execute(
            "return document.querySelector('#stats-chart desc').textContent",
            vec![],
        )
        .await
        .unwrap();
    let alternative = alternative.as_str().unwrap_or_default().to_owned();
    assert!(
        alternative.contains("5 of 8 devices done, 7.3 devices per hour.")
            && alternative.contains("Scanning: median 3 min 00 s over 6."),
        "{alternative}"
    );
    attr_is(&client, "#stats-chart", "role", "img")
        .await
        .unwrap();

    // The slowest: the device stuck enrolling comes first, flagged.
    let first = wait_for(&client, "the slowest devices", || {
        text_at(&client, "#stats-slowest tbody tr:first-child")
    })
    .await;
    assert!(
        first.contains(history::SERIALS[5])
            && first.contains("Enrolling")
            && first.contains("Stuck — check it"),
        "{first}"
    );
    client
        .execute(
            "document.querySelector('#batch-time').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "batch-time.png").await;
}
