//! Attached devices: read each one through the adb server, record what was seen in the store,
//! and stream bench snapshots to the CLI and the app.
//!
//! A bench snapshot is the full list of attached devices; a new one is sent whenever the adb
//! server reports a change. Devices whose adb state did not change are not read again.
//!
//! Layout: [`card`] is what one attached device shows ([`BenchDevice`]) and how its facts and
//! evidence become one; [`server`] reads devices through the adb server and watches it;
//! [`mod@record`] records read devices in the store and puts slot numbers, history and stage on
//! cards; [`usb`] reads devices straight over USB beside the adb server; [`adb_state`] is a
//! device's connection state as a card shows it; [`evidence`] reads the stage evidence (one
//! compound shell command, parsed without I/O); [`mod@preflight`] holds the rules table;
//! [`aosp_list`] Microsoft's AOSP supported-device list (a data file with its source and date);
//! [`realwear`] the RealWear models and firmware; [`version`] compares app and firmware
//! versions; [`history`] finds a card's stored device and its Intune status; [`mod@status`]
//! gives each card its one status ([`settle`]); [`departed`] keeps the tiles of devices that
//! left. The enrollment
//! profile facts the rules use are Intune's ([`crate::intune::profile`]). (The bench watcher
//! service, which adds each card's batch and stage, is the `bench` module a floor above.)
//! Reading a device is two device round trips run at once: `getprop` and the evidence command.

pub mod adb_state;
pub mod aosp_list;
pub mod card;
pub mod departed;
pub mod evidence;
pub mod history;
pub mod preflight;
pub mod realwear;
pub mod record;
pub mod server;
pub mod status;
pub mod usb;
pub mod version;

pub use adb_state::AdbState;
pub use card::{bench_device, next_step_for, serial_observations, BenchDevice, BenchEvent};
pub use departed::Departures;
pub use evidence::{parse_evidence, read_evidence, StageEvidence, EVIDENCE_COMMAND};
pub use preflight::{preflight, Finding, PreflightInput, Rule, Severity, RULES};
pub use realwear::FirmwareFacts;
pub use record::{record, ReadOptions, SharedStore, StageLookup};
pub use server::{read_device, read_devices, snapshot_server, watch_server};
pub use status::{settle, CardStatus, StatusKind};
pub use version::AppVersion;

use record::{finish, number_slots};

/// How many devices are read at once: enough for a 50-slot bench, few enough for the adb server.
pub const READ_CONCURRENCY: usize = 16;
