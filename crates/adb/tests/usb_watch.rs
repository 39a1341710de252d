//! Hotplug and many devices on the scripted bus: arrival and departure from the OS hotplug
//! notices (no polling) or, without hotplug, from polls; a device unplugged mid-read; bounded
//! concurrent descriptor reads; per-device leases.
//!
//! Nothing here is timed. Which path reported a change is read from the bus's own record
//! (`ScriptedUsb::listings`), how many reads ran at once from its in-flight count, and "nothing
//! else happened" from the events that come before a marker device's arrival. The budget from
//! plug to event (250 ms) is measured by `stagebench benchmark usb`.
#![cfg(feature = "usb")]

mod support;

use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use stagebench_adb::usb::{
    list_concurrently, watch, watch_with, DeviceLeases, ScriptedDevice, ScriptedUsb, UsbEvent,
    WatchOptions,
};
use support::{until, within};
use tokio::sync::mpsc;

/// The budget from the OS event to ours, which `stagebench benchmark usb` measures.
const BUDGET: Duration = Duration::from_millis(250);

async fn next(events: &mut mpsc::Receiver<UsbEvent>, what: &str) -> UsbEvent {
    within(what, events.recv())
        .await
        .unwrap_or_else(|| panic!("the watcher stopped before {what}"))
}

fn arrived_serial(event: &UsbEvent) -> Option<&str> {
    match event {
        UsbEvent::Arrived(info) => info.serial.as_deref(),
        UsbEvent::Left { .. } => None,
    }
}

/// Plugs a marker device at `port` and returns every event the watcher sent before the
/// marker's arrival. Events come in order on one channel, so anything still due about earlier
/// devices (a second `Left`, a late `Arrived`) shows up here.
async fn before_marker(
    bus: &ScriptedUsb,
    events: &mut mpsc::Receiver<UsbEvent>,
    port: &str,
) -> Vec<UsbEvent> {
    bus.plug(ScriptedDevice::phone(port, "MARKER")).unwrap();
    let mut before = Vec::new();
    loop {
        let event = next(events, "the marker device's arrival").await;
        if arrived_serial(&event) == Some("MARKER") {
            return before;
        }
        before.push(event);
    }
}

/// Waits until `count` reports exactly `n`.
async fn until_count(what: &str, n: usize, count: impl Fn() -> usize) {
    until(what, || match count() {
        seen if seen == n => Ok(()),
        seen => Err(format!("{seen}")),
    })
    .await;
}

/// A device present at start, then one plugged and unplugged while the watcher runs: one
/// arrival, one departure, nothing else.
async fn plug_and_unplug(bus: &ScriptedUsb) {
    let (tx, mut events) = mpsc::channel(16);
    bus.plug(ScriptedDevice::phone("1-1", "ALREADY")).unwrap();
    let _watcher = watch(Arc::new(bus.clone()), tx);
    // Devices present at start are reported first.
    assert_eq!(
        arrived_serial(&next(&mut events, "the device present at start").await),
        Some("ALREADY")
    );

    bus.plug(ScriptedDevice::phone("1-4.3", "NEWCOMER"))
        .unwrap();
    let event = next(&mut events, "NEWCOMER's arrival").await;
    let UsbEvent::Arrived(info) = event else {
        panic!("{event:?}")
    };
    assert_eq!(
        (info.port_path.as_str(), info.serial.as_deref()),
        ("1-4.3", Some("NEWCOMER"))
    );

    assert!(bus.unplug("1-4.3"));
    assert_eq!(
        next(&mut events, "NEWCOMER's departure").await,
        UsbEvent::Left {
            port_path: "1-4.3".into()
        }
    );
    assert_eq!(before_marker(bus, &mut events, "1-9").await, []);
}

#[tokio::test(flavor = "multi_thread")]
async fn hotplug_events_come_from_the_os_notices_without_polling() {
    let bus = ScriptedUsb::new();
    plug_and_unplug(&bus).await;
    // The bus was listed once, when the watcher started: the arrival, the departure and the
    // marker were all reported from the notices, as they came, not at some next poll.
    assert_eq!(bus.listings(), 1, "the watcher polled a hotplug bus");
}

#[tokio::test(flavor = "multi_thread")]
async fn polled_events_come_from_polls() {
    // A poll every 200 ms leaves room for the descriptor read inside the budget.
    assert!(WatchOptions::default().poll_interval < BUDGET);
    let bus = ScriptedUsb::polling();
    plug_and_unplug(&bus).await;
    // Without notices each change needs a poll of its own after it: the first scan, then the
    // arrival, the departure and the marker.
    assert!(bus.listings() >= 4, "{} listings", bus.listings());
}

#[tokio::test(flavor = "multi_thread")]
async fn quick_replug_is_left_then_arrived_when_polling() {
    let bus = ScriptedUsb::polling();
    let (tx, mut events) = mpsc::channel(16);
    bus.plug(ScriptedDevice::phone("1-2", "FIRST")).unwrap();
    let _watcher = watch(Arc::new(bus.clone()), tx);
    assert_eq!(
        arrived_serial(&next(&mut events, "FIRST's arrival").await),
        Some("FIRST")
    );
    // Swapped between two polls: same slot, new address.
    bus.unplug("1-2");
    bus.plug(ScriptedDevice::phone("1-2", "SECOND")).unwrap();
    assert_eq!(
        next(&mut events, "FIRST's departure").await,
        UsbEvent::Left {
            port_path: "1-2".into()
        }
    );
    assert_eq!(
        arrived_serial(&next(&mut events, "SECOND's arrival").await),
        Some("SECOND")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unplugged_while_descriptors_are_read_is_one_clean_left() {
    for bus in [ScriptedUsb::new(), ScriptedUsb::polling()] {
        let (tx, mut events) = mpsc::channel(16);
        let _watcher = watch(Arc::new(bus.clone()), tx);
        // Its descriptors take an hour to read: only the unplug can end the read.
        bus.plug(ScriptedDevice::phone("1-3", "SLOW").describe_delay(Duration::from_secs(3600)))
            .unwrap();
        until_count("the watcher reading SLOW's descriptors", 1, || {
            bus.describes_in_flight()
        })
        .await;
        bus.unplug("1-3");
        assert_eq!(
            next(&mut events, "SLOW's departure").await,
            UsbEvent::Left {
                port_path: "1-3".into()
            }
        );
        until_count(
            "SLOW's descriptor read to end with the unplug (not after its hour)",
            0,
            || bus.describes_in_flight(),
        )
        .await;
        assert_eq!(
            before_marker(&bus, &mut events, "1-8").await,
            [],
            "one clean Left: no arrival, error or second Left for the device that left"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn many_arrivals_are_read_in_parallel_within_the_limit() {
    let bus = ScriptedUsb::new();
    let (tx, mut events) = mpsc::channel(64);
    let options = WatchOptions {
        max_concurrent_reads: 8,
        ..WatchOptions::default()
    };
    let _watcher = watch_with(Arc::new(bus.clone()), tx, options);
    // Reads wait until the test lets them go, so as many run at once as the watcher allows.
    bus.hold_describes(true);
    for i in 0..50 {
        let port = format!("1-{}.{}", i / 7 + 1, i % 7 + 1);
        bus.plug(ScriptedDevice::phone(&port, &format!("S{i:02}")))
            .unwrap();
    }
    until_count("8 descriptor reads at once (the limit)", 8, || {
        bus.describes_in_flight()
    })
    .await;
    bus.hold_describes(false);
    let mut serials = Vec::new();
    while serials.len() < 50 {
        let what = format!("arrival {} of 50", serials.len() + 1);
        if let Some(serial) = arrived_serial(&next(&mut events, &what).await) {
            serials.push(serial.to_owned());
        }
    }
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), 50);
    // Overlapping reads were seen above; never more than the limit.
    assert_eq!(
        bus.peak_concurrent_describes(),
        8,
        "{}",
        bus.peak_concurrent_describes()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_reads_concurrently_and_skips_devices_that_left() {
    let bus = Arc::new(ScriptedUsb::new());
    for i in 0..20 {
        bus.plug(ScriptedDevice::phone(
            &format!("2-{i}"),
            &format!("L{i:02}"),
        ))
        .unwrap();
    }
    bus.hold_describes(true);
    let listing = {
        let bus = bus.clone();
        tokio::spawn(async move { list_concurrently(&bus, 5).await })
    };
    until_count("5 descriptor reads at once (the limit)", 5, || {
        bus.describes_in_flight()
    })
    .await;
    // One device leaves mid-listing: whether its read runs or waits its turn, it is left out.
    assert!(bus.unplug("2-7"));
    bus.hold_describes(false);
    let devices = within("the listing to finish", listing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(devices.len(), 19);
    assert!(devices.iter().all(|d| d.port_path != "2-7"));
    assert_eq!(bus.peak_concurrent_describes(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn watcher_stops_when_the_receiver_is_dropped() {
    let bus = ScriptedUsb::new();
    let (tx, events) = mpsc::channel(4);
    let watcher = watch(Arc::new(bus.clone()), tx);
    drop(events);
    within(
        "the watcher to stop after its receiver was dropped",
        watcher.finished(),
    )
    .await
    .unwrap();
}

// --- leases ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn one_job_per_device_at_a_time() {
    let leases = DeviceLeases::new();
    let first = leases.acquire("1-4.3").await;
    assert!(leases.is_leased("1-4.3"));
    assert!(leases.try_acquire("1-4.3").is_none());
    // Another device is independent.
    let other = leases.try_acquire("1-4.4").expect("other slot free");
    assert_eq!(other.key(), "1-4.4");

    let mut waiter = Box::pin({
        let leases = leases.clone();
        async move {
            let lease = leases.acquire("1-4.3").await;
            lease.key().to_owned()
        }
    });
    // The second job asks for the device (and queues for it) while the first holds it.
    let asked = poll_fn(|cx| Poll::Ready(waiter.as_mut().poll(cx))).await;
    assert!(
        asked.is_pending(),
        "second job got the device while the first held it"
    );
    drop(first);
    let key = within("the second job to get the device the first let go", waiter).await;
    assert_eq!(key, "1-4.3");
    assert!(!leases.is_leased("1-4.3"));
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_jobs_on_one_device_never_overlap() {
    let leases = DeviceLeases::new();
    let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut jobs = Vec::new();
    for _ in 0..20 {
        let (leases, inside) = (leases.clone(), inside.clone());
        jobs.push(tokio::spawn(async move {
            let _lease = leases.acquire("1-1").await;
            let now = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            assert_eq!(now, 0, "two jobs on one device");
            // Hold the device a moment, while the others try for it (no timing is checked).
            tokio::time::sleep(Duration::from_millis(2)).await;
            inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }));
    }
    for job in jobs {
        job.await.unwrap();
    }
}
