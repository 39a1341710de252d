//! Hand-made histories: an empty batch, one device, devices still in progress, a stuck device,
//! two technicians, another flow, and clocks that were set back or moved on.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::batch::{Batch, BatchRecord};
use crate::clock::{timestamp, Clock, ManualClock};
use crate::ids::{DeviceId, EventId};
use crate::intune::status::{IntuneStage, IntuneStatus};
use crate::store::{EVENT_INTUNE_SEEN, EVENT_POWERED_OFF, EVENT_SEEN};

fn t0() -> OffsetDateTime {
    ManualClock::at_test_epoch().now()
}

/// `min` minutes after the test epoch.
fn at(min: i64) -> OffsetDateTime {
    t0() + Duration::minutes(min)
}

fn record(flow: Flow, expected: Option<u32>) -> BatchRecord {
    let mut batch = Batch::for_tests("Wave 3", &[]);
    batch.spec.profile.flow = flow;
    batch.spec.expected_count = expected;
    BatchRecord {
        batch,
        token_revoked_at: None,
        closed_at: None,
    }
}

/// A device's history, written event by event.
struct Device {
    id: i64,
    events: Vec<EventRecord>,
}

impl Device {
    fn new(id: i64) -> Device {
        Device {
            id,
            events: Vec::new(),
        }
    }

    fn event(mut self, min: i64, kind: &str, data: serde_json::Value) -> Device {
        let n = i64::try_from(self.events.len()).unwrap();
        self.events.push(EventRecord {
            id: EventId(self.id * 1000 + n),
            device: Some(DeviceId(self.id)),
            at: timestamp(at(min)),
            kind: kind.into(),
            data,
        });
        self
    }

    /// Read in slot `usb:1-<id>`, enrolled (provisioned, Intune's agent as owner) or not.
    fn seen(self, min: i64, enrolled: bool) -> Device {
        let slot = format!("usb:1-{}", self.id);
        let evidence = json!({
            "device_provisioned": enrolled,
            "user_setup_complete": enrolled,
            "device_owner": enrolled.then_some("com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"),
            "boot_count": 2, "intune_app": null, "company_portal": null, "authenticator": null,
            "imei": null, "firmware": {}, "unread": []
        });
        self.event(
            min,
            EVENT_SEEN,
            json!({"slot": slot, "facts": {"evidence": evidence}}),
        )
    }

    fn powered_off(self, min: i64, by: &str) -> Device {
        self.event(min, EVENT_POWERED_OFF, json!({"technician": by}))
    }

    fn in_intune(self, min: i64) -> Device {
        let status = IntuneStatus {
            intune_id: format!("intune-{}", self.id),
            device_name: format!("Staging_S{}", self.id),
            serial_number: format!("S{}", self.id),
            stage: IntuneStage::Enrolled,
            staging_name: true,
            enrollment_type: None,
            management_state: None,
            user_principal_name: None,
            user_display_name: None,
            enrolled: None,
            last_sync: None,
        };
        self.event(
            min,
            EVENT_INTUNE_SEEN,
            serde_json::to_value(status).unwrap(),
        )
    }

    /// Plugged in at `start`, enrolled `enroll` minutes later, powered off `off` minutes after.
    fn staged(id: i64, start: i64, enroll: i64, off: i64, by: &str) -> Device {
        Device::new(id)
            .seen(start, false)
            .seen(start + enroll, true)
            .powered_off(start + enroll + off, by)
    }

    fn history(self) -> DeviceHistory {
        let first = self
            .events
            .first()
            .map(|e| e.at.clone())
            .unwrap_or_default();
        DeviceHistory {
            device: DeviceRecord {
                id: DeviceId(self.id),
                serials: Vec::new(),
                slot: None,
                facts: json!({}),
                first_seen: first.clone(),
                last_seen: first,
            },
            serial: Some(format!("S{}", self.id)),
            slot: Some(u32::try_from(self.id).unwrap()),
            events: self.events,
        }
    }
}

/// The QR shown `min` minutes after the epoch by `by`.
fn qr(min: i64, by: &str) -> (String, Option<String>) {
    (timestamp(at(min)), Some(by.into()))
}

fn stats(
    record: &BatchRecord,
    devices: Vec<Device>,
    qr: Vec<(String, Option<String>)>,
    now: i64,
) -> BatchStats {
    let history = BatchHistory {
        record,
        devices: devices.into_iter().map(Device::history).collect(),
        qr_shown: qr,
    };
    figures(&history, &ManualClock::new(at(now)))
}

fn stage(s: &BatchStats, which: Stage) -> &StageTime {
    s.stages.iter().find(|t| t.stage == which).unwrap()
}

#[test]
fn an_empty_batch_has_no_rate_and_no_estimate() {
    let r = record(Flow::StagingToken, None);
    let s = stats(&r, vec![], vec![], 0);
    assert_eq!((s.devices, s.target, s.done, s.per_hour), (0, 0, 0, None));
    assert!(s.technicians.is_empty() && s.slowest.is_empty() && s.notes.is_empty());
    let names: Vec<Stage> = s.stages.iter().map(|t| t.stage).collect();
    assert_eq!(
        names,
        [
            Stage::New,
            Stage::Scanning,
            Stage::Enrolling,
            Stage::BenchDone
        ]
    );
    assert!(s
        .stages
        .iter()
        .all(|t| t.finished == 0 && t.median_secs.is_none()));
    assert_eq!(s.eta.state, EtaState::NotEnoughData);
    assert_eq!(
        s.eta.reason.as_deref(),
        Some("no device has joined the batch yet")
    );

    // Expecting ten, none started: ten to go, still no estimate.
    let r = record(Flow::StagingToken, Some(10));
    let s = stats(&r, vec![], vec![], 0);
    assert_eq!(
        (s.target, s.eta.remaining, s.eta.state),
        (10, 10, EtaState::NotEnoughData)
    );
    assert_eq!(s.eta.reason.as_deref(), Some("no device has started yet"));
}

#[test]
fn one_device_gives_its_stage_times_its_technician_and_the_batch_done() {
    let r = record(Flow::StagingToken, None);
    // The QR was up before the device was plugged in: it goes straight to "scan the QR".
    let d = Device::staged(1, 0, 4, 8, "Ben");
    let s = stats(&r, vec![d], vec![qr(-5, "Ana")], 30);
    assert_eq!((s.devices, s.target, s.done), (1, 1, 1));
    assert_eq!(
        s.per_hour.map(|p| p.to_string()).as_deref(),
        Some("5.0"),
        "1 in 12 min"
    );
    assert_eq!(
        stage(&s, Stage::New).finished,
        0,
        "passed through, not stood in"
    );
    assert_eq!(stage(&s, Stage::Scanning).median_secs, Some(4 * 60));
    assert_eq!(stage(&s, Stage::Enrolling).median_secs, Some(8 * 60));
    // Waiting for Intune since it was powered off.
    let waiting = stage(&s, Stage::BenchDone);
    assert_eq!((waiting.now, waiting.longest_now_secs), (1, Some(18 * 60)));
    assert_eq!(
        s.technicians,
        [TechnicianRate {
            technician: Some("Ben".into()),
            done: 1,
            per_hour: s.per_hour
        }]
    );
    let slow = &s.slowest[0];
    assert_eq!(
        (slow.bench_secs, slow.finished, slow.stuck),
        (12 * 60, true, false)
    );
    assert_eq!(
        (slow.stage, slow.slowest_stage, slow.slowest_stage_secs),
        (Stage::BenchDone, Stage::Enrolling, 8 * 60)
    );
    assert_eq!(
        (s.eta.state, s.eta.at, s.eta.remaining),
        (EtaState::Done, Some(at(12)), 0)
    );
}

#[test]
fn devices_in_progress_leave_the_rest_to_the_recent_rate() {
    let r = record(Flow::StagingToken, Some(10));
    // One device every ten minutes: plugged at 0, 10, 20, 30, each done 10 minutes later.
    let mut devices: Vec<Device> = (0..4)
        .map(|i| Device::staged(i + 1, i * 10, 3, 7, "Ana"))
        .collect();
    // A fifth is enrolling since minute 45, a sixth was just plugged in.
    devices.push(Device::new(5).seen(42, false).seen(45, true));
    devices.push(Device::new(6).seen(49, false));
    let s = stats(&r, devices, vec![qr(0, "Ana")], 50);
    assert_eq!((s.devices, s.target, s.done), (6, 10, 4));
    assert_eq!(
        s.per_hour.unwrap().to_string(),
        "6.0",
        "4 done in the 40 min from the first start"
    );
    let enrolling = stage(&s, Stage::Enrolling);
    assert_eq!(
        (enrolling.finished, enrolling.median_secs, enrolling.now),
        (4, Some(7 * 60), 1)
    );
    assert_eq!(enrolling.longest_now_secs, Some(5 * 60));
    assert_eq!(stage(&s, Stage::Scanning).now, 1);
    // 4 done in the 50 minutes worked: 4.8 an hour, 6 to go: 75 minutes from now.
    assert_eq!(s.eta.state, EtaState::Estimated);
    assert_eq!(s.eta.recent_per_hour.unwrap().to_string(), "4.8");
    assert_eq!((s.eta.remaining, s.eta.at), (6, Some(at(50 + 75))));
    // The slowest: done ones took 10 min; the enrolling one 8 min so far, not stuck.
    assert_eq!(s.slowest.len(), 5);
    assert!(s.slowest.iter().all(|d| !d.stuck));
    assert_eq!(s.slowest[0].bench_secs, 600);
}

#[test]
fn a_stuck_device_is_the_slowest_and_says_where() {
    let r = record(Flow::StagingToken, Some(4));
    let devices = vec![
        Device::staged(1, 0, 2, 8, "Ana"),
        Device::staged(2, 10, 2, 8, "Ana"),
        Device::staged(3, 20, 2, 8, "Ana"),
        // Enrolling since minute 3 and never powered off.
        Device::new(4).seen(1, false).seen(3, true).seen(90, true),
    ];
    let s = stats(&r, devices, vec![qr(0, "Ana")], 123);
    let first = &s.slowest[0];
    assert_eq!(
        (first.device_id, first.serial.as_deref(), first.slot),
        (4, Some("S4"), Some(4))
    );
    assert_eq!(
        (first.finished, first.stuck, first.stage),
        (false, true, Stage::Enrolling)
    );
    assert_eq!(
        (first.slowest_stage, first.slowest_stage_secs),
        (Stage::Enrolling, 120 * 60)
    );
    assert_eq!(first.bench_secs, 122 * 60);
    assert!(s.slowest[1..].iter().all(|d| d.finished && !d.stuck));
    // Its wait is not a finished stage time: the median stays the others' 8 minutes.
    let enrolling = stage(&s, Stage::Enrolling);
    assert_eq!(
        (enrolling.median_secs, enrolling.longest_now_secs),
        (Some(8 * 60), Some(120 * 60))
    );
    // Nothing done in the last hour: no estimate, and it says why.
    assert_eq!(s.eta.state, EtaState::NotEnoughData);
    assert_eq!(
        s.eta.reason.as_deref(),
        Some("0 device(s) done in the last 60 min; an estimate needs 2")
    );
}

#[test]
fn each_technician_gets_the_devices_they_finished() {
    let r = record(Flow::StagingToken, None);
    let devices = vec![
        Device::staged(1, 0, 5, 5, "Ana"),
        Device::staged(2, 0, 10, 10, "Ana"),
        Device::staged(3, 30, 5, 5, "Ben"),
        // Enrolled with no technician action at all: the QR's technician before it was done.
        Device::new(4).seen(0, false).seen(5, true).in_intune(20),
    ];
    let s = stats(&r, devices, vec![qr(-1, "Ana"), qr(25, "Cleo")], 60);
    let got: Vec<(Option<&str>, u32, String)> = s
        .technicians
        .iter()
        .map(|t| {
            (
                t.technician.as_deref(),
                t.done,
                t.per_hour.map(|p| p.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (Some("Ana"), 3, "9.0".into()),
            (Some("Ben"), 1, "6.0".into()),
        ],
        "Ana: 3 in the 20 min from 0 to 20; Ben: 1 in 10 min"
    );
    assert_eq!(s.done, 4);
}

#[test]
fn other_flows_are_done_once_intune_shows_the_device() {
    let r = record(Flow::AospUserless, None);
    let devices = vec![
        Device::new(1).seen(0, false).seen(3, true).in_intune(9),
        Device::new(2).seen(0, false).seen(4, true),
    ];
    let s = stats(&r, devices, vec![qr(0, "Ana")], 20);
    assert_eq!((s.done_stage, s.done), (Stage::InIntune, 1));
    let names: Vec<Stage> = s.stages.iter().map(|t| t.stage).collect();
    assert_eq!(names, [Stage::New, Stage::Scanning, Stage::Enrolling]);
    assert_eq!(stage(&s, Stage::Enrolling).median_secs, Some(6 * 60));
    assert_eq!(s.eta.remaining, 1);
}

#[test]
fn a_clock_set_back_gives_no_negative_time_and_says_so() {
    let r = record(Flow::StagingToken, None);
    let devices = vec![
        Device::staged(1, 0, 5, 5, "Ana"),
        Device::staged(2, 10, 5, 5, "Ana"),
        Device::new(3).seen(15, false).seen(20, true),
    ];
    let clock = ManualClock::new(at(25));
    let history = BatchHistory {
        record: &r,
        devices: devices.into_iter().map(Device::history).collect(),
        qr_shown: vec![qr(0, "Ana")],
    };
    assert!(figures(&history, &clock).notes.is_empty());

    // Set back to minute 12: later events count as now.
    clock.set(at(12));
    let s = figures(&history, &clock);
    assert_eq!(s.at, at(12));
    assert!(
        s.notes[0].starts_with("4 event(s) are dated later than the clock now"),
        "{:?}",
        s.notes
    );
    assert_eq!(
        s.done, 2,
        "device 2, powered off 'at 20', counts as done now"
    );
    assert!(s.slowest.iter().all(|d| d.bench_secs <= 12 * 60));
    assert!(s
        .stages
        .iter()
        .all(|t| t.longest_now_secs.unwrap_or(0) <= 12 * 60));

    // Moved on by three hours: nothing recent, so no estimate; the overall rate stays.
    clock.set(at(25) + Duration::hours(3));
    let later = figures(&history, &clock);
    assert_eq!(later.per_hour.unwrap().to_string(), "6.0");
    assert_eq!(later.eta.state, EtaState::NotEnoughData);
    assert!(later.slowest[0].stuck, "enrolling for three hours");
}

#[test]
fn a_history_whose_times_go_backwards_is_noted() {
    let r = record(Flow::StagingToken, None);
    // Powered off "before" it enrolled: the clock went back 6 minutes between the two.
    let d = Device::new(1)
        .seen(0, false)
        .seen(10, true)
        .powered_off(4, "Ana")
        .seen(12, true);
    let s = stats(&r, vec![d], vec![qr(0, "Ana")], 30);
    assert!(
        s.notes
            .iter()
            .any(|n| n.starts_with("The clock went back by up to 6 min 0 s")),
        "{:?}",
        s.notes
    );
    assert!(s.slowest.iter().all(|d| d.bench_secs <= 30 * 60));
}

#[test]
fn rates_keep_tenths_through_json() {
    let rate = PerHour::of(3, Duration::minutes(40)).unwrap();
    assert_eq!((rate.tenths(), rate.to_string()), (45, "4.5".into()));
    let json = serde_json::to_string(&rate).unwrap();
    assert_eq!(json, "4.5");
    assert_eq!(serde_json::from_str::<PerHour>(&json).unwrap(), rate);
    assert!(serde_json::from_str::<PerHour>("-1").is_err());
    assert_eq!(PerHour::of(3, Duration::seconds(59)), None);
}
