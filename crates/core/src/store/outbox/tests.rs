//! The outbox's life on an in-memory store: superseding, leases, claims and their results.

use rusqlite::params;

use super::*;
use crate::clock::{Clock, ManualClock};
use serde_json::json;

fn store() -> (Store, ManualClock) {
    let clock = ManualClock::at_test_epoch();
    (
        Store::open_in_memory().unwrap().with_clock(clock.clone()),
        clock,
    )
}

fn secs(n: i64) -> time::Duration {
    time::Duration::seconds(n)
}

/// Queues the notes `text` for device `target`, keyed by the device.
fn notes(store: &mut Store, target: &str, text: &str) -> OutboxId {
    let key = format!("notes:{target}");
    store
        .outbox_enqueue("device-notes", target, Some(&key), &json!({"notes": text}))
        .unwrap()
}

fn ids(items: &[OutboxItem]) -> Vec<OutboxId> {
    items.iter().map(|i| i.id).collect()
}

fn event_kinds(store: &Store) -> Vec<String> {
    store
        .events(None, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn enqueue_makes_a_due_pending_item() {
    let (mut store, clock) = store();
    let id = store
        .outbox_enqueue(
            "device-notes",
            " md-1 ",
            Some("notes:md-1"),
            &json!({"notes": "stage 2"}),
        )
        .unwrap();
    let item = store.outbox_item(id).unwrap().unwrap();
    assert_eq!(item.state, OutboxState::Pending);
    assert_eq!(
        (item.kind.as_str(), item.target.as_str()),
        ("device-notes", "md-1")
    );
    assert_eq!(item.payload, json!({"notes": "stage 2"}));
    assert_eq!(item.attempts, 0);
    assert_eq!(item.created, "2025-01-01T00:00:00.000Z");
    assert_eq!(item.next_attempt_at, item.created);
    assert_eq!(item.operation_id.len(), 36);
    assert_eq!(&item.operation_id[14..15], "4");
    assert_eq!(ids(&store.outbox_due(clock.now(), 10).unwrap()), [id]);
    assert_eq!(
        store.outbox_len().unwrap(),
        OutboxCounts {
            pending: 1,
            in_flight: 0,
            failed: 0
        }
    );
    assert_eq!(event_kinds(&store), [EVENT_OUTBOX_ENQUEUED]);
    let other = store
        .outbox_enqueue("device-notes", "md-2", None, &json!({}))
        .unwrap();
    assert_ne!(
        store.outbox_item(other).unwrap().unwrap().operation_id,
        item.operation_id
    );
}

#[test]
fn empty_kind_or_target_is_refused_with_the_fix() {
    let (mut store, _) = store();
    let err = store
        .outbox_enqueue(" ", "md-1", None, &json!({}))
        .unwrap_err();
    assert!(matches!(err, OutboxError::Empty("kind")), "{err}");
    assert!(err.to_string().contains("device-notes"));
    let err = store
        .outbox_enqueue("device-notes", "", None, &json!({}))
        .unwrap_err();
    assert!(matches!(err, OutboxError::Empty("target")), "{err}");
    assert_eq!(store.outbox_len().unwrap(), OutboxCounts::default());
}

#[test]
fn a_later_change_supersedes_an_unsent_one_with_the_same_key() {
    let (mut store, clock) = store();
    let first = notes(&mut store, "md-1", "a");
    let other = notes(&mut store, "md-2", "x");
    let second = notes(&mut store, "md-1", "b");
    assert_eq!(
        store.outbox_item(first).unwrap().unwrap().state,
        OutboxState::Superseded
    );
    assert_eq!(
        ids(&store.outbox_due(clock.now(), 10).unwrap()),
        [other, second]
    );
    assert_eq!(store.outbox_len().unwrap().pending, 2);
    let superseded = store
        .events(None, usize::MAX)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == EVENT_OUTBOX_SUPERSEDED)
        .unwrap();
    assert_eq!(superseded.data["outbox_id"], json!(first.0));
    assert_eq!(superseded.data["by"], json!(second.0));
    // Without a key nothing is superseded.
    store
        .outbox_enqueue("primary-user", "md-1", None, &json!({}))
        .unwrap();
    store
        .outbox_enqueue("primary-user", "md-1", None, &json!({}))
        .unwrap();
    assert_eq!(store.outbox_len().unwrap().pending, 4);
}

#[test]
fn an_in_flight_change_is_not_superseded_and_the_newer_waits_for_it() {
    let (mut store, clock) = store();
    let now = clock.now();
    let sent = store
        .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({"notes": "a"}))
        .unwrap();
    let token = store.outbox_claim(&[sent]).unwrap().token;
    let newer = store
        .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({"notes": "b"}))
        .unwrap();
    assert_eq!(
        store.outbox_item(sent).unwrap().unwrap().state,
        OutboxState::InFlight
    );
    // In order: the newer one is not sent while the older is in flight.
    assert!(store.outbox_due(now, 10).unwrap().is_empty());
    // The older one fails for now: the newer one carries the change, so the older one is
    // superseded rather than requeued.
    store
        .outbox_retry(sent, &token, now, Duration::from_secs(1), "503")
        .unwrap();
    assert_eq!(
        store.outbox_item(sent).unwrap().unwrap().state,
        OutboxState::Superseded
    );
    assert_eq!(ids(&store.outbox_due(now, 10).unwrap()), [newer]);
}

#[test]
fn due_is_oldest_first_within_the_limit_and_respects_next_attempt() {
    let (mut store, clock) = store();
    let a = store
        .outbox_enqueue("device-notes", "md-1", None, &json!({}))
        .unwrap();
    clock.advance(secs(1));
    let b = store
        .outbox_enqueue("device-notes", "md-2", None, &json!({}))
        .unwrap();
    clock.advance(secs(1));
    let c = store
        .outbox_enqueue("device-notes", "md-3", None, &json!({}))
        .unwrap();
    let now = clock.now();
    assert_eq!(ids(&store.outbox_due(now, 2).unwrap()), [a, b]);
    assert_eq!(ids(&store.outbox_due(now, 0).unwrap()), []);
    // Not yet created at an earlier time.
    assert_eq!(ids(&store.outbox_due(now - secs(1), 10).unwrap()), [a, b]);
    let token = store.outbox_claim(&[a]).unwrap().token;
    store
        .outbox_retry(a, &token, now, Duration::from_secs(30), "429")
        .unwrap();
    assert_eq!(ids(&store.outbox_due(now, 10).unwrap()), [b, c]);
    assert_eq!(ids(&store.outbox_due(now + secs(29), 10).unwrap()), [b, c]);
    assert_eq!(
        ids(&store.outbox_due(now + secs(30), 10).unwrap()),
        [a, b, c]
    );
}

#[test]
fn claim_done_retry_fail_transitions_and_counts() {
    let (mut store, clock) = store();
    let now = clock.now();
    let [a, b, c] = ["md-1", "md-2", "md-3"].map(|t| {
        store
            .outbox_enqueue("device-notes", t, None, &json!({"t": t}))
            .unwrap()
    });
    let OutboxClaim {
        token,
        items: claimed,
    } = store.outbox_claim(&[a, b, c, OutboxId(99)]).unwrap();
    assert_eq!(ids(&claimed), [a, b, c]);
    assert!(claimed
        .iter()
        .all(|i| i.state == OutboxState::InFlight && i.attempts == 1));
    assert_eq!(
        claimed[0].claimed_at.as_deref(),
        Some("2025-01-01T00:00:00.000Z")
    );
    // Claimed once only.
    assert!(store.outbox_claim(&[a]).unwrap().items.is_empty());
    assert_eq!(
        store.outbox_len().unwrap(),
        OutboxCounts {
            pending: 0,
            in_flight: 3,
            failed: 0
        }
    );
    assert!(store.outbox_due(now, 10).unwrap().is_empty());

    store.outbox_done(a, &token, now).unwrap();
    store
        .outbox_retry(
            b,
            &token,
            now,
            Duration::from_millis(1500),
            "429 Too Many Requests",
        )
        .unwrap();
    store
        .outbox_fail(c, &token, now, "400 Bad Request: notes too long")
        .unwrap();
    assert_eq!(
        store.outbox_len().unwrap(),
        OutboxCounts {
            pending: 1,
            in_flight: 0,
            failed: 1
        }
    );

    let b_item = store.outbox_item(b).unwrap().unwrap();
    assert_eq!(b_item.state, OutboxState::Pending);
    assert_eq!(b_item.next_attempt_at, "2025-01-01T00:00:01.500Z");
    assert_eq!(b_item.last_error.as_deref(), Some("429 Too Many Requests"));
    let c_item = store.outbox_item(c).unwrap().unwrap();
    assert_eq!(c_item.state, OutboxState::Failed);
    assert_eq!(
        c_item.last_error.as_deref(),
        Some("400 Bad Request: notes too long")
    );

    // The second attempt counts.
    clock.advance(secs(2));
    let again = store.outbox_claim(&[b]).unwrap();
    assert_eq!(again.items[0].attempts, 2);
    store.outbox_done(b, &again.token, now + secs(2)).unwrap();
    assert_eq!(
        store.outbox_len().unwrap(),
        OutboxCounts {
            pending: 0,
            in_flight: 0,
            failed: 1
        }
    );

    // A result reported twice, or for nothing, is refused with the fix.
    let err = store.outbox_done(a, &token, now).unwrap_err();
    assert!(
        matches!(
            err,
            OutboxError::Finished {
                state: OutboxState::Done,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("outbox_claim"));
    assert!(matches!(
        store.outbox_fail(c, &token, now, "x").unwrap_err(),
        OutboxError::Finished { .. }
    ));
    assert!(matches!(
        store
            .outbox_retry(OutboxId(99), &token, now, Duration::ZERO, "x")
            .unwrap_err(),
        OutboxError::Unknown(OutboxId(99))
    ));

    let kinds = event_kinds(&store);
    for kind in [
        EVENT_OUTBOX_ENQUEUED,
        EVENT_OUTBOX_CLAIMED,
        EVENT_OUTBOX_DONE,
        EVENT_OUTBOX_RETRY,
        EVENT_OUTBOX_FAILED,
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} logged: {kinds:?}");
    }
    assert_eq!(
        kinds.iter().filter(|k| *k == EVENT_OUTBOX_CLAIMED).count(),
        4
    );
}

#[test]
fn a_lost_claim_goes_back_in_line_after_the_lease() {
    let (mut store, clock) = store();
    let now = clock.now();
    let a = store
        .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({}))
        .unwrap();
    let token = store.outbox_claim(&[a]).unwrap().token;
    let lease = time::Duration::try_from(OUTBOX_LEASE).unwrap();
    assert!(store
        .outbox_due(now + lease - secs(1), 10)
        .unwrap()
        .is_empty());
    assert_eq!(store.outbox_len().unwrap().in_flight, 1);
    let due = store.outbox_due(now + lease, 10).unwrap();
    assert_eq!(ids(&due), [a]);
    assert_eq!(due[0].attempts, 1, "the lost send counts as an attempt");
    assert_eq!(event_kinds(&store).last().unwrap(), EVENT_OUTBOX_RECOVERED);
    // The late answer of the lost send still counts.
    store.outbox_done(a, &token, now + lease + secs(1)).unwrap();
    assert_eq!(store.outbox_len().unwrap(), OutboxCounts::default());
}

#[test]
fn a_lost_claim_with_a_newer_change_is_superseded() {
    let (mut store, clock) = store();
    let now = clock.now();
    let a = store
        .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({"n": 1}))
        .unwrap();
    store.outbox_claim(&[a]).unwrap();
    let b = store
        .outbox_enqueue("device-notes", "md-1", Some("k"), &json!({"n": 2}))
        .unwrap();
    let lease = time::Duration::try_from(OUTBOX_LEASE).unwrap();
    assert_eq!(ids(&store.outbox_due(now + lease, 10).unwrap()), [b]);
    assert_eq!(
        store.outbox_item(a).unwrap().unwrap().state,
        OutboxState::Superseded
    );
}

#[test]
fn the_table_refuses_bad_rows() {
    let conn = crate::store::migrations::test_connection();
    let insert = |state: &str, payload: &str| {
        conn.execute(
                "INSERT INTO outbox (created, kind, target, operation_id, payload, next_attempt_at, state, updated)
                 VALUES ('t', 'k', 't', ?1, ?2, 't', ?3, 't')",
                params![format!("{state}{payload}"), payload, state],
            )
    };
    assert!(insert("pending", "{}").is_ok());
    assert!(insert("sent", "{}").is_err());
    assert!(insert("pending", "not json").is_err());
}

#[test]
fn only_the_claims_owner_reports_a_result_and_a_renewed_claim_is_not_recovered() {
    let (mut store, clock) = store();
    let lease = time::Duration::try_from(OUTBOX_LEASE).unwrap();
    let a = notes(&mut store, "md-1", "stage 2");
    clock.advance(secs(7));
    let first = store.outbox_claim(&[a]).unwrap();
    let stamped = |t| Some(crate::clock::timestamp(t));
    assert_eq!(
        first.items[0].claimed_at,
        stamped(clock.now()),
        "stamped when taken"
    );
    assert_eq!(first.items[0].lease_until, stamped(clock.now() + lease));

    clock.advance(lease / 2);
    assert!(store.outbox_renew(&first.token).unwrap());
    clock.advance(lease / 2 + secs(1));
    assert!(store.outbox_due(clock.now(), 10).unwrap().is_empty());
    assert_eq!(store.outbox_len().unwrap().in_flight, 1);

    // The drain stalls past its lease; another drain takes the item over.
    clock.advance(lease);
    assert_eq!(ids(&store.outbox_due(clock.now(), 10).unwrap()), [a]);
    let second = store.outbox_claim(&[a]).unwrap();
    assert_ne!(second.token, first.token);
    let before = store.outbox_item(a).unwrap();
    let logged = store.events(None, usize::MAX).unwrap().len();

    let err = store.outbox_done(a, &first.token, clock.now()).unwrap_err();
    assert!(
        matches!(
            err,
            OutboxError::ClaimLost {
                state: OutboxState::InFlight,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("taken over by another drain"));
    assert!(matches!(
        store.outbox_fail(a, &first.token, clock.now(), "x"),
        Err(OutboxError::ClaimLost { .. })
    ));
    assert!(matches!(
        store.outbox_not_sent(a, &first.token, clock.now(), Duration::ZERO, "x"),
        Err(OutboxError::ClaimLost { .. })
    ));
    assert!(!store.outbox_renew(&first.token).unwrap());
    assert_eq!(
        store.outbox_item(a).unwrap(),
        before,
        "the item is untouched"
    );
    assert_eq!(store.events(None, usize::MAX).unwrap().len(), logged);

    store.outbox_done(a, &second.token, clock.now()).unwrap();
    assert_eq!(store.outbox_len().unwrap(), OutboxCounts::default());
}
