//! StageBench core: the domain, with no GUI and no CLI dependencies.
//!
//! Layout: [`provisioning`] builds and checks enrollment QR payloads; [`qr`] renders them;
//! [`enrollment_qr`] turns technician input into a checked payload and its QR; [`identity`] says what a serial is and where it came from; [`label`] renders printer-true enrollment, device and box labels (PNG, PDF, ZPL); [`store`] is the SQLite store
//! (devices, serials, append-only event log); [`device`] reads attached devices and records
//! them; [`intune`] talks to Microsoft Intune through Graph (sign-in and tokens in `intune::auth`, secrets in the OS keyring; retries, budgets; its outbox is in the store); [`printer`] sends rendered labels to IPP/CUPS, raw TCP and serial printers through a queue kept in the store; `testing` (feature `testing`) holds the simulated bench used by tests and demos.
#![warn(missing_docs)]

pub mod audit;
pub mod batch;
pub mod clock;
pub mod device;
pub mod doctor;
pub mod enrollment_qr;
pub mod identity;
pub mod ids;
pub mod intune;
pub mod label;
pub mod pdf;
pub mod printer;
pub mod provisioning;
pub mod qr;
pub mod scanner;
pub mod secret;
pub mod stage;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
