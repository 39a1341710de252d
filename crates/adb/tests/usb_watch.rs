//! Hotplug and many devices on the scripted bus: arrival and departure within 250 ms (OS
//! hotplug and polling), a device unplugged mid-read, bounded concurrent descriptor reads, and
//! per-device leases.
#![cfg(feature = "usb")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use stagebench_adb::usb::{
    list_concurrently, watch, watch_with, DeviceLeases, ScriptedDevice, ScriptedUsb, UsbEvent,
    WatchOptions,
};
use tokio::sync::mpsc;

/// The budget from the OS event to ours.
const BUDGET: Duration = Duration::from_millis(250);

async fn next(events: &mut mpsc::Receiver<UsbEvent>, within: Duration) -> UsbEvent {
    tokio::time::timeout(within, events.recv())
        .await
        .unwrap_or_else(|_| panic!("no event within {within:?}"))
        .expect("watcher stopped")
}

async fn quiet(events: &mut mpsc::Receiver<UsbEvent>, for_: Duration) {
    if let Ok(event) = tokio::time::timeout(for_, events.recv()).await {
        panic!("unexpected event {event:?}");
    }
}

fn arrived_serial(event: &UsbEvent) -> Option<&str> {
    match event {
        UsbEvent::Arrived(info) => info.serial.as_deref(),
        UsbEvent::Left { .. } => None,
    }
}

async fn plug_and_unplug_within_budget(bus: ScriptedUsb) {
    let (tx, mut events) = mpsc::channel(16);
    bus.plug(ScriptedDevice::phone("1-1", "ALREADY")).unwrap();
    let _watcher = watch(Arc::new(bus.clone()), tx);
    // Devices present at start are reported first.
    assert_eq!(
        arrived_serial(&next(&mut events, Duration::from_secs(2)).await),
        Some("ALREADY")
    );
    // Let a polling watcher settle into its rhythm, then plug at an arbitrary moment.
    tokio::time::sleep(Duration::from_millis(330)).await;

    let plugged = Instant::now();
    bus.plug(ScriptedDevice::phone("1-4.3", "NEWCOMER"))
        .unwrap();
    let event = next(&mut events, BUDGET).await;
    let arrival = plugged.elapsed();
    let UsbEvent::Arrived(info) = event else {
        panic!("{event:?}")
    };
    assert_eq!(
        (info.port_path.as_str(), info.serial.as_deref()),
        ("1-4.3", Some("NEWCOMER"))
    );

    tokio::time::sleep(Duration::from_millis(170)).await;
    let unplugged = Instant::now();
    assert!(bus.unplug("1-4.3"));
    let event = next(&mut events, BUDGET).await;
    let departure = unplugged.elapsed();
    assert_eq!(
        event,
        UsbEvent::Left {
            port_path: "1-4.3".into()
        }
    );
    assert!(
        arrival < BUDGET && departure < BUDGET,
        "{arrival:?} {departure:?}"
    );
    quiet(&mut events, Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hotplug_events_within_250_ms() {
    plug_and_unplug_within_budget(ScriptedUsb::new()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn polled_events_within_250_ms() {
    plug_and_unplug_within_budget(ScriptedUsb::polling()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn quick_replug_is_left_then_arrived_when_polling() {
    let bus = ScriptedUsb::polling();
    let (tx, mut events) = mpsc::channel(16);
    bus.plug(ScriptedDevice::phone("1-2", "FIRST")).unwrap();
    let _watcher = watch(Arc::new(bus.clone()), tx);
    assert_eq!(
        arrived_serial(&next(&mut events, Duration::from_secs(2)).await),
        Some("FIRST")
    );
    // Swapped between two polls: same slot, new address.
    bus.unplug("1-2");
    bus.plug(ScriptedDevice::phone("1-2", "SECOND")).unwrap();
    assert_eq!(
        next(&mut events, BUDGET).await,
        UsbEvent::Left {
            port_path: "1-2".into()
        }
    );
    assert_eq!(
        arrived_serial(&next(&mut events, BUDGET).await),
        Some("SECOND")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unplugged_while_descriptors_are_read_is_one_clean_left() {
    for bus in [ScriptedUsb::new(), ScriptedUsb::polling()] {
        let (tx, mut events) = mpsc::channel(16);
        let _watcher = watch(Arc::new(bus.clone()), tx);
        tokio::time::sleep(Duration::from_millis(50)).await;
        bus.plug(ScriptedDevice::phone("1-3", "SLOW").describe_delay(Duration::from_secs(2)))
            .unwrap();
        // Let the poll (if polling) notice it and start reading, then pull it out.
        tokio::time::sleep(Duration::from_millis(230)).await;
        let unplugged = Instant::now();
        bus.unplug("1-3");
        assert_eq!(
            next(&mut events, BUDGET).await,
            UsbEvent::Left {
                port_path: "1-3".into()
            }
        );
        assert!(unplugged.elapsed() < BUDGET);
        quiet(&mut events, Duration::from_millis(400)).await;
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
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    for i in 0..50 {
        let port = format!("1-{}.{}", i / 7 + 1, i % 7 + 1);
        bus.plug(
            ScriptedDevice::phone(&port, &format!("S{i:02}"))
                .describe_delay(Duration::from_millis(40)),
        )
        .unwrap();
    }
    let mut serials = Vec::new();
    while serials.len() < 50 {
        if let Some(serial) = arrived_serial(&next(&mut events, Duration::from_secs(5)).await) {
            serials.push(serial.to_owned());
        }
    }
    let elapsed = started.elapsed();
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), 50);
    assert!(
        bus.peak_concurrent_describes() <= 8,
        "{}",
        bus.peak_concurrent_describes()
    );
    assert!(
        bus.peak_concurrent_describes() >= 4,
        "reads did not overlap"
    );
    // 50 × 40 ms one after another would be 2 s.
    assert!(elapsed < Duration::from_millis(1200), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_reads_concurrently_and_skips_devices_that_left() {
    let bus = Arc::new(ScriptedUsb::new());
    for i in 0..20 {
        bus.plug(
            ScriptedDevice::phone(&format!("2-{i}"), &format!("L{i:02}"))
                .describe_delay(Duration::from_millis(50)),
        )
        .unwrap();
    }
    let unplugger = {
        let bus = bus.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            bus.unplug("2-7");
        })
    };
    let started = Instant::now();
    let devices = list_concurrently(&bus, 5).await.unwrap();
    unplugger.await.unwrap();
    assert_eq!(devices.len(), 19);
    assert!(devices.iter().all(|d| d.port_path != "2-7"));
    assert!(bus.peak_concurrent_describes() <= 5);
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn watcher_stops_when_the_receiver_is_dropped() {
    let bus = ScriptedUsb::new();
    let (tx, events) = mpsc::channel(4);
    let watcher = watch(Arc::new(bus.clone()), tx);
    drop(events);
    tokio::time::timeout(Duration::from_secs(2), watcher.finished())
        .await
        .expect("watcher kept running")
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

    let waiter = {
        let leases = leases.clone();
        tokio::spawn(async move {
            let lease = leases.acquire("1-4.3").await;
            lease.key().to_owned()
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !waiter.is_finished(),
        "second job got the device while the first held it"
    );
    drop(first);
    let key = tokio::time::timeout(Duration::from_secs(1), waiter)
        .await
        .unwrap()
        .unwrap();
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
            tokio::time::sleep(Duration::from_millis(2)).await;
            inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }));
    }
    for job in jobs {
        job.await.unwrap();
    }
}
