//! Intune through Microsoft Graph (beta): what the bench sends and how it copes when the tenant
//! or the network says no.
//!
//! Layout: [`backoff`] is the pure fault policy (which statuses are retried, how long to wait,
//! and the per-app request budgets that keep the client under Graph's throttling limits). The
//! durable queue of changes bound for Intune is the store's outbox
//! ([`crate::store::OutboxItem`]), because it is a table.
//!
//! How the client drains the outbox (the client itself comes later):
//!
//! 1. `Store::outbox_due(now, 20)` gives the pending items that are due, oldest first (and puts
//!    items whose send was interrupted by a crash back in line once their lease has run out);
//! 2. `Store::outbox_claim(ids, now)` marks them in flight, so a kill mid-send is visible;
//! 3. [`backoff::Budget::try_take_n`] for the service and kind, waiting the returned duration
//!    instead of sending into a 429;
//! 4. one `POST /$batch` with up to 20 inner requests (Graph's limit; each inner request is
//!    throttled and answered on its own, the outer status is 200 even when they fail);
//! 5. per inner status, [`backoff::classify`]: `Success` → `outbox_done`; `Retry` →
//!    [`backoff::RetryPolicy::next_delay`] with the inner `Retry-After`, then `outbox_retry`
//!    (or `outbox_fail` once attempts are exhausted); `Reauthenticate` → refresh the token,
//!    `outbox_retry` with no delay, and ask for a sign-in when the refresh fails; `Fail` →
//!    `outbox_fail` with Graph's error message.
//!
//! Resending after a crash is safe: every item carries an `operation_id` (sent as
//! `client-request-id`), and the writes we queue set a value rather than add one — `PATCH
//! managedDevices/{id}` with `notes` and `PUT`/`POST …/users/$ref` for the primary user leave the
//! same state when applied twice; corporate identifiers are imported with `overwriteImportedDeviceIdentities`.

pub mod backoff;
