//! The print queue on an in-memory store: a job's life, lease recovery, cancelling, refusals.

use super::*;
use crate::audit::AuditRecord;
use crate::clock::{Clock, ManualClock};
use crate::store::AuditFilter;

fn store() -> (Store, ManualClock) {
    let clock = ManualClock::at_test_epoch();
    (
        Store::open_in_memory().unwrap().with_clock(clock.clone()),
        clock,
    )
}

#[test]
fn a_job_goes_queued_sending_done_with_an_audit_record() {
    let (mut store, clock) = store();
    let mut job = NewPrintJob::new("zebra", "zpl", b"^XA^XZ".to_vec(), "zoë");
    job.device_serial = Some("R58N".into());
    job.label_kind = Some("device".into());
    let id = store.print_enqueue(&job).unwrap();
    let due = store.print_due(clock.now(), 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].state, due[0].bytes, due[0].attempts),
        (PrintJobState::Queued, 6, 0)
    );
    let PrintClaim {
        token,
        job: claimed,
    } = store.print_claim(id).unwrap().unwrap();
    assert_eq!(
        (claimed.state, claimed.attempts),
        (PrintJobState::Sending, 1)
    );
    assert!(store.print_claim(id).unwrap().is_none(), "claimed once");
    assert_eq!(
        store.print_job_data(id).unwrap(),
        Some(PrintData::Bytes(b"^XA^XZ".to_vec()))
    );
    let done = store.print_done(id, &token, clock.now(), None).unwrap();
    assert_eq!(done.state, PrintJobState::Done);
    let log: Vec<AuditRecord> = store.audit_log(&AuditFilter::default()).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].action.as_str(),
            log[0].device.as_deref(),
            log[0].actor.as_str()
        ),
        ("label-print", Some("R58N"), "zoë")
    );
    assert_eq!(log[0].detail["printer"], "zebra");
    assert!(matches!(
        store.print_done(id, &token, clock.now(), None),
        Err(PrintJobError::WrongState { .. })
    ));
}

#[test]
fn a_lost_send_is_recovered_after_the_lease_and_failed_jobs_retry_by_hand() {
    let (mut store, clock) = store();
    let id = store
        .print_enqueue(&NewPrintJob::new("zebra", "zpl", b"x".to_vec(), "t"))
        .unwrap();
    store.print_claim(id).unwrap().unwrap();
    assert!(store.print_due(clock.now(), 10).unwrap().is_empty());
    clock.advance(time::Duration::try_from(PRINT_LEASE).unwrap());
    let due = store.print_due(clock.now(), 10).unwrap();
    assert_eq!(
        (due[0].id, due[0].state, due[0].attempts),
        (id, PrintJobState::Queued, 1)
    );
    let token = store.print_claim(id).unwrap().unwrap().token;
    store
        .print_retry(id, &token, clock.now(), Duration::from_secs(4), "refused")
        .unwrap();
    assert!(
        store.print_due(clock.now(), 10).unwrap().is_empty(),
        "not before its backoff"
    );
    clock.advance(time::Duration::seconds(4));
    assert_eq!(store.print_due(clock.now(), 10).unwrap().len(), 1);
    let token = store.print_claim(id).unwrap().unwrap().token;
    let failed = store
        .print_fail(id, &token, clock.now(), "printer zebra: gave up")
        .unwrap();
    assert_eq!((failed.state, failed.attempts), (PrintJobState::Failed, 3));
    let again = store.print_requeue(id).unwrap();
    assert_eq!((again.state, again.attempts), (PrintJobState::Queued, 0));
    assert!(matches!(
        store.print_requeue(id),
        Err(PrintJobError::WrongState { .. })
    ));
    assert!(matches!(
        store.print_requeue(PrintJobId(99)),
        Err(PrintJobError::Unknown(_))
    ));
}

#[test]
fn a_queued_job_is_cancelled_and_not_sent_but_one_being_sent_is_not() {
    let (mut store, clock) = store();
    let first = store
        .print_enqueue(&NewPrintJob::new("zebra", "zpl", b"x".to_vec(), "t"))
        .unwrap();
    let second = store
        .print_enqueue(&NewPrintJob::new("zebra", "zpl", b"y".to_vec(), "t"))
        .unwrap();
    let cancelled = store.print_cancel(first, "ana").unwrap();
    assert_eq!(cancelled.state, PrintJobState::Failed);
    assert_eq!(
        cancelled.last_error.as_deref(),
        Some("cancelled by ana; retry sends it again")
    );
    let due: Vec<PrintJobId> = store
        .print_due(clock.now(), 10)
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(due, [second], "a cancelled job is not sent");
    store.print_claim(second).unwrap().unwrap();
    let err = store.print_cancel(second, "ana").unwrap_err();
    assert!(
        err.to_string().contains("may already be at the printer"),
        "{err}"
    );
    assert!(
        matches!(
            store.print_cancel(first, "ana"),
            Err(PrintJobError::WrongState { .. })
        ),
        "cancelled once"
    );
    assert_eq!(
        store.print_requeue(first).unwrap().state,
        PrintJobState::Queued,
        "retry puts it back"
    );
    assert!(matches!(
        store.print_cancel(PrintJobId(99), "ana"),
        Err(PrintJobError::Unknown(_))
    ));
}

#[test]
fn bad_jobs_are_refused_with_the_fix() {
    let (mut store, _) = store();
    let mut job = NewPrintJob::new("zebra", "zpl", Vec::new(), "t");
    assert!(store
        .print_enqueue(&job)
        .unwrap_err()
        .to_string()
        .contains("render the label first"));
    job.data = PrintData::Bytes(b"x".to_vec());
    job.copies = 0;
    assert!(store
        .print_enqueue(&job)
        .unwrap_err()
        .to_string()
        .contains("1 to 1000"));
}

#[test]
fn only_the_claims_owner_reports_its_result_and_a_renewed_claim_is_not_recovered() {
    let (mut store, clock) = store();
    let lease = time::Duration::try_from(PRINT_LEASE).unwrap();
    let id = store
        .print_enqueue(&NewPrintJob::new("zebra", "zpl", b"x".to_vec(), "t"))
        .unwrap();
    clock.advance(time::Duration::seconds(7));
    let first = store.print_claim(id).unwrap().unwrap();
    let stamped = |t| Some(crate::clock::timestamp(t));
    assert_eq!(
        first.job.claimed_at,
        stamped(clock.now()),
        "stamped when taken"
    );
    assert_eq!(first.job.lease_until, stamped(clock.now() + lease));

    // Renewed halfway, the claim outlives its first lease.
    clock.advance(lease / 2);
    assert!(store.print_renew(&first.token).unwrap());
    clock.advance(lease / 2 + time::Duration::seconds(1));
    assert!(store.print_due(clock.now(), 10).unwrap().is_empty());

    // The owner stalls past its lease; another process takes the job over.
    clock.advance(lease);
    assert_eq!(store.print_due(clock.now(), 10).unwrap()[0].id, id);
    let second = store.print_claim(id).unwrap().unwrap();
    assert_ne!(second.token, first.token);
    let before = store.print_job(id).unwrap();

    // The stalled owner's result changes nothing, and says so.
    let err = store
        .print_done(id, &first.token, clock.now(), Some("late"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            PrintJobError::ClaimLost {
                state: PrintJobState::Sending,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("taken over by another process"));
    assert_eq!(err.remedy(), Some(Remedy::ListPrintJobs));
    assert!(matches!(
        store.print_retry(id, &first.token, clock.now(), Duration::ZERO, "x"),
        Err(PrintJobError::ClaimLost { .. })
    ));
    assert!(matches!(
        store.print_fail(id, &first.token, clock.now(), "x"),
        Err(PrintJobError::ClaimLost { .. })
    ));
    assert!(
        !store.print_renew(&first.token).unwrap(),
        "holds nothing now"
    );
    assert_eq!(store.print_job(id).unwrap(), before, "the job is untouched");
    assert!(store.audit_log(&AuditFilter::default()).unwrap().is_empty());

    // The new owner's result counts.
    let done = store
        .print_done(id, &second.token, clock.now(), None)
        .unwrap();
    assert_eq!((done.state, done.attempts), (PrintJobState::Done, 2));
    assert_eq!(store.audit_log(&AuditFilter::default()).unwrap().len(), 1);
}

#[test]
fn a_late_result_counts_while_no_one_has_claimed_the_job_since() {
    let (mut store, clock) = store();
    let id = store
        .print_enqueue(&NewPrintJob::new("zebra", "zpl", b"x".to_vec(), "t"))
        .unwrap();
    let claim = store.print_claim(id).unwrap().unwrap();
    clock.advance(time::Duration::try_from(PRINT_LEASE).unwrap());
    assert_eq!(store.print_due(clock.now(), 10).unwrap()[0].id, id);
    // The label did print: it is not printed again.
    let done = store
        .print_done(id, &claim.token, clock.now(), None)
        .unwrap();
    assert_eq!(done.state, PrintJobState::Done);
    assert!(store.print_due(clock.now(), 10).unwrap().is_empty());
}
