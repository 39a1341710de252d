//! `stagebench batch show`: where the time goes in a batch — devices per hour (and per
//! technician), time in each stage, the slowest devices, the estimated end — as JSON and for
//! people, from an hour of bench history.

use stagebench_e2e::cli::CliBench;
use stagebench_e2e::history;

/// An hour of history (five devices done by Ana and Ben, one stuck enrolling, eight expected):
/// `batch show --json` carries the figures beside the progress, and the human `batch show`
/// prints the same numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_show_says_where_the_time_goes() {
    let bench = CliBench {
        data: tempfile::tempdir().unwrap(),
        graph: None,
        adb_port: None,
    };
    let start = time::OffsetDateTime::now_utc() - time::Duration::minutes(60);
    let batch = history::write(bench.data.path(), start);
    let id = batch.id.as_str();

    let shown = bench.json(&["batch", "show", id, "--json"]).await;
    assert_eq!(shown["batch"]["id"], id, "the progress is still there");
    assert_eq!(shown["devices"].as_array().unwrap().len(), 6);
    let stats = &shown["stats"];
    assert_eq!(stats["done_stage"], "bench-done");
    assert_eq!(
        (
            stats["devices"].as_u64(),
            stats["target"].as_u64(),
            stats["done"].as_u64()
        ),
        (Some(6), Some(8), Some(5))
    );
    assert_eq!(
        stats["per_hour"].as_f64(),
        Some(7.3),
        "5 done in the 41 min from the first start"
    );
    let techs: Vec<(String, u64, f64)> = stats["technicians"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["technician"].as_str().unwrap().to_owned(),
                t["done"].as_u64().unwrap(),
                t["per_hour"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(techs, [("Ana".into(), 3, 7.2), ("Ben".into(), 2, 7.1)]);
    let stage = |name: &str| {
        stats["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == name)
            .unwrap_or_else(|| panic!("no {name} in {stats}"))
            .clone()
    };
    assert_eq!(stage("scanning")["median_secs"], 180);
    assert_eq!(
        (
            stage("enrolling")["median_secs"].as_u64(),
            stage("enrolling")["now"].as_u64()
        ),
        (Some(360), Some(1))
    );
    assert_eq!(
        stage("bench-done")["now"],
        5,
        "powered off, waiting for Intune"
    );
    let slow = &stats["slowest"][0];
    assert_eq!(
        (slow["serial"].as_str(), slow["slot"].as_u64()),
        (Some(history::SERIALS[5]), Some(6))
    );
    assert_eq!(
        (slow["stuck"].as_bool(), slow["slowest_stage"].as_str()),
        (Some(true), Some("enrolling"))
    );
    let eta = &stats["eta"];
    assert_eq!(
        (eta["state"].as_str(), eta["remaining"].as_u64()),
        (Some("estimated"), Some(3))
    );
    assert_eq!(
        eta["recent_per_hour"].as_f64(),
        Some(5.0),
        "5 done in the last hour"
    );
    assert!(eta["at"].is_string(), "{eta}");

    let text = bench.ok(&["batch", "show", id]).await;
    for line in [
        "Where the time goes",
        "done      5 of 8 (Bench done) · 7.3 devices per hour",
        "Ana: 3 done · 7.2/h",
        "Ben: 2 done · 7.1/h",
        "Enrolling median 6 min 00 s over 5 device(s) · 1 there now",
        "slow      R5CW1006 (slot 6)",
        "— STUCK: check it",
        "(3 to go at 5.0/h)",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
}

/// The signed report carries the same figures as `batch show` at the same moment, signed with
/// the rest: it verifies, and a figure changed afterwards breaks the signature.
#[test]
fn the_signed_report_carries_the_same_figures_and_still_verifies() {
    use stagebench_core::batch::exchange::export_report_with;
    use stagebench_core::batch::key::ReportSigningKey;
    use stagebench_core::batch::report::{verify, ReportError};
    use stagebench_core::batch::stats::batch_stats;
    use stagebench_core::batch::BatchStore;
    use stagebench_core::clock::ManualClock;
    use stagebench_core::store::{Store, FILE_NAME};

    let data = tempfile::tempdir().unwrap();
    let start = time::OffsetDateTime::now_utc() - time::Duration::minutes(60);
    let batch = history::write(data.path(), start);
    let clock = ManualClock::new(start + time::Duration::minutes(60));
    let mut store = Store::open(&data.path().join(FILE_NAME))
        .unwrap()
        .with_clock(clock);
    let record = store.find_batch(batch.id.as_str()).unwrap();
    let shown = batch_stats(&store, &record).unwrap();

    let key = ReportSigningKey::generate();
    let path = data.path().join("wave2.stagebench-report");
    export_report_with(&mut store, &key, &batch.id, "Ana", &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let report = verify(&bytes).expect("the report verifies").report;
    let stats = report.stats.expect("the report carries the figures");
    assert_eq!(stats, shown, "the same numbers as batch show");
    assert_eq!((stats.done, stats.target), (5, 8));
    assert_eq!(
        stats.per_hour.map(|r| r.to_string()).as_deref(),
        Some("7.3")
    );

    // One figure changed by hand: the signature no longer matches.
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"per_hour\":7.3"), "{text}");
    let forged = text.replacen("\"per_hour\":7.3", "\"per_hour\":9.3", 1);
    assert!(matches!(
        verify(forged.as_bytes()),
        Err(ReportError::Tampered)
    ));
}
