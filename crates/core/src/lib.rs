//! StageBench core: the domain, with no GUI and no CLI dependencies.
//!
//! Layout, in floors: a module uses modules on its own floor or below, never above, and no two
//! top-level modules use each other (`tests/layers.rs` checks both).
//!
//! 1. Ground floor: [`ids`] (the row and job ids, and the batch id), [`clock`] (where "now"
//!    comes from, and how a time is written), [`remedy`] (the next step an error names, as a
//!    value each front end words its own way) and [`limits`] (how large each input may be, and
//!    reading files and HTTP answers within those limits). They use nothing above them.
//! 2. Values: [`secret`] (tokens and Wi-Fi keys as secret text); [`identity`] (what a serial is
//!    and whether a device's serials agree); [`stage`] (where a device stands in its
//!    enrollment flow); [`audit`] (the audit log's record types); [`provisioning`] (enrollment
//!    QR payloads); [`qr`] (QR codes); [`pdf`] (a small PDF writer).
//! 3. The store: [`store`], the SQLite file (devices, serials, slots, the event log, the audit
//!    chain, batches, the Intune outbox, printers and print jobs). It holds plain rows and uses
//!    only the ground floor, `identity` and the audit records.
//! 4. The domain, each module converting the store's rows to its own types, in this order:
//!    [`intune`] (Microsoft Intune through Graph: sign-in, the enrollment profile facts, the
//!    device status, sync, and the tenant service that runs the sync loop), [`device`]
//!    (reading attached devices and recording them), [`batch`] (batches, bench packs, signed
//!    reports, progress), [`scanner`] (barcode scanners, and the one rule for a scan: join a
//!    batch or be held), [`mod@bench`] (the bench watcher service: attached devices with their
//!    batch and stage), [`printer`] (IPP/CUPS, raw TCP and serial printers, their queue and its
//!    worker), [`label`] (printer-true enrollment, device and box labels); beside them
//!    [`enrollment_qr`] (technician input to a checked payload and its QR), [`doctor`]
//!    (whether the bench can do its job) and [`demo`] (the remote control of a running
//!    simulated bench, for the CLI and the app's demo panel).
//! 5. `testing` (feature `testing`): the simulated bench and fakes used by tests and demos. It
//!    may use anything; nothing else uses it.
#![warn(missing_docs)]

pub mod audit;
pub mod batch;
pub mod bench;
pub mod clock;
pub mod demo;
pub mod device;
pub mod doctor;
pub mod enrollment_qr;
pub mod identity;
pub mod ids;
pub mod intune;
pub mod label;
pub mod limits;
pub mod pdf;
pub mod printer;
pub mod provisioning;
pub mod qr;
pub mod remedy;
pub mod scanner;
pub mod secret;
pub mod stage;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
