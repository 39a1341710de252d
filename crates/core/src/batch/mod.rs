//! Batches, vendor bench packs and signed batch reports (issue 5).
//!
//! A **batch** is what a customer hands a bench to stage: an enrollment profile and its token,
//! the vendor or site doing the work, a due date, and the expected count or serial list. Its
//! devices' progress is derived from the event log by [`crate::stage`].
//!
//! Between an admin with a tenant and a vendor without one, two files travel:
//! - the **bench pack** (admin → vendor, [`pack`]): the batch, the profile's facts, the QR
//!   payload (token and Wi-Fi inside), encrypted with a passphrase in the `age` format;
//! - the **batch report** (vendor → admin, [`report`]): every device with its serials and their
//!   sources, slot, stage events and technician, signed with the bench's Ed25519 key ([`key`]),
//!   with a CSV view ([`csv`]) for spreadsheets.
//!
//! A technician's confirmations (powered off, serial imported, …) are [`action`]s.
//!
//! The types here are the plain data shared by the store, the files and the surfaces; they hold
//! no secret (the QR payload travels as [`crate::secret::SecretText`] beside them).
//!
//! Layout: this file holds the batch's plain data; [`pack`], [`report`], [`key`] and [`csv`] are
//! the files; [`exchange`] moves them in and out of the store; `stored` keeps batches in the
//! store and reads them back ([`BatchStore`]); [`ops`] is what the surfaces do with batches
//! (create, link a serial, note a QR shown); [`action`] the technician's confirmations;
//! [`progress`] derives one batch's devices and stages; [`stats`] where the time goes (devices
//! per hour, time per stage, the slowest devices, when it will be done); [`summary`] is the batch list;
//! [`custody`] writes the chain of custody; [`export_folder`] is where the app writes these files
//! (a file name checked, in the bench's own folder).

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::identity::SerialSource;
use crate::ids::BatchId;
use crate::stage::{Flow, Stage};

/// What the bench needs to know about the enrollment profile (no secret: the token and any
/// Wi-Fi key are inside the QR payload, which travels separately as a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ProfileFacts {
    /// Graph id of the profile (`androidDeviceOwnerEnrollmentProfile` or
    /// `androidForWorkEnrollmentProfile`), or empty for a batch without a tenant profile.
    pub profile_id: String,
    /// Its display name.
    pub profile_name: String,
    /// The enrollment flow the profile implies.
    pub flow: Flow,
    /// Graph's `enrollmentMode` (`corporateOwnedDedicatedDevice`, …), as Graph spells it.
    pub enrollment_mode: String,
    /// When the token expires (`None`: a token that does not expire).
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    pub token_expires: Option<OffsetDateTime>,
    /// The Wi-Fi network the QR payload joins, when it carries one.
    pub wifi_ssid: Option<String>,
    /// Whether the QR payload carries Wi-Fi credentials (a key in plain text inside the QR).
    pub carries_wifi_credentials: bool,
    /// For Windows Device Preparation: the DEM account the technician signs in with.
    pub dem_account: Option<String>,
}

/// What an admin (or a bench lead) asks for when creating a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BatchSpec {
    /// A name people recognise ("Warehouse scanners, wave 3").
    pub name: String,
    /// The profile and its token.
    pub profile: ProfileFacts,
    /// The vendor or site staging it.
    pub vendor: String,
    /// When it must be done (`YYYY-MM-DD` in files).
    #[serde(with = "iso_date", default)]
    #[ts(type = "string | null")]
    pub due: Option<Date>,
    /// How many devices are expected, when known (at least the length of `expected_serials`).
    pub expected_count: Option<u32>,
    /// The serials expected, when the customer has the list (upper-case, trimmed).
    pub expected_serials: Vec<String>,
}

/// `Option<Date>` as `"YYYY-MM-DD"` (`time` alone would write `[year, day-of-year]`).
mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    const FORMAT: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => s.serialize_str(&d.format(FORMAT).map_err(serde::ser::Error::custom)?),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => Date::parse(&text, FORMAT).map(Some).map_err(|_| {
                serde::de::Error::custom(format!("{text:?} is not a date (YYYY-MM-DD)"))
            }),
            None => Ok(None),
        }
    }
}

/// Where a batch came from on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BatchOrigin {
    /// Created here.
    Local,
    /// Imported from a bench pack.
    Pack {
        /// The pack's id.
        pack_id: String,
        /// Who made the pack (as the pack says).
        created_by: String,
    },
}

/// A batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Batch {
    /// Its id.
    pub id: BatchId,
    /// What was asked for.
    #[serde(flatten)]
    pub spec: BatchSpec,
    /// When it was created (on the admin's machine, for an imported one).
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub created_at: OffsetDateTime,
    /// Who created it.
    pub created_by: String,
    /// Where it came from.
    pub origin: BatchOrigin,
}

/// One serial of a reported device, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReportSerial {
    /// The serial (or IMEI).
    pub value: String,
    /// Where it came from.
    pub source: SerialSource,
}

/// One stage event of a reported device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReportEvent {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    /// What (`seen`, `qr-shown`, `powered-off`, `intune-seen`, …).
    pub kind: String,
    /// A short human description ("provisioned, Intune owner, boot count 3").
    pub detail: String,
    /// Who did it, for technician actions.
    pub technician: Option<String>,
}

/// One device in a batch report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ReportDevice {
    /// Every serial read, with its source.
    pub serials: Vec<ReportSerial>,
    /// The bench slot number it was staged in, when it had one.
    pub slot: Option<u32>,
    /// The maker, as the device says.
    pub manufacturer: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// Android version (or Windows build).
    pub os_version: Option<String>,
    /// Where it stood when the report was made.
    pub stage: Stage,
    /// Its stage events, oldest first.
    pub events: Vec<ReportEvent>,
    /// Ids of the problems raised for it (`reboot-during-enrollment`, …).
    pub problems: Vec<String>,
    /// The box label (asset tag) last scanned onto its slot, if any (absent from older reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub box_label: Option<String>,
}

/// The bench a report comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BenchInfo {
    /// StageBench's version (`CARGO_PKG_VERSION`).
    pub app_version: String,
    /// The technician (or technicians, comma-separated) who staged the batch.
    pub technician: String,
    /// The machine's name, when known.
    pub hostname: Option<String>,
}

pub mod action;
pub mod csv;
pub mod custody;
pub mod exchange;
pub mod export_folder;
pub mod key;
pub mod ops;
pub mod pack;
pub mod progress;
pub mod report;
pub mod stats;
mod stored;

pub use stored::{BatchRecord, BatchStore};
pub mod summary;

impl Batch {
    /// An offline staging-token batch named `name` expecting `expected`, created now by `tech`
    /// for vendor `Acme` (tests and demos).
    #[cfg(any(test, feature = "testing"))]
    pub fn for_tests(name: &str, expected: &[&str]) -> Batch {
        Batch {
            id: BatchId::random(),
            spec: BatchSpec {
                name: name.into(),
                profile: ProfileFacts::offline(Flow::StagingToken, "Offline", None, None),
                vendor: "Acme".into(),
                due: None,
                expected_count: None,
                expected_serials: expected.iter().map(|s| s.to_string()).collect(),
            },
            created_at: OffsetDateTime::now_utc(),
            created_by: "tech".into(),
            origin: BatchOrigin::Local,
        }
    }
}

impl ProfileFacts {
    /// What the admin says about a profile when no tenant is at hand: its flow, a name, when its
    /// token expires and (Windows) the DEM account. The enrollment mode follows from an AOSP
    /// flow; an Android Enterprise one leaves it unsaid; there is no Wi-Fi.
    pub fn offline(
        flow: Flow,
        profile_name: impl Into<String>,
        token_expires: Option<OffsetDateTime>,
        dem_account: Option<String>,
    ) -> ProfileFacts {
        let enrollment_mode = match flow {
            Flow::AospUserless => "corporateOwnedAOSPUserlessDevice",
            Flow::AospUserAssociated => "corporateOwnedAOSPUserAssociatedDevice",
            _ => "",
        };
        ProfileFacts {
            profile_id: String::new(),
            profile_name: profile_name.into(),
            flow,
            enrollment_mode: enrollment_mode.into(),
            token_expires,
            wifi_ssid: None,
            carries_wifi_credentials: false,
            dem_account,
        }
    }

    /// The profile as the preflight rules need it: the enrollment mode Graph named, and the
    /// token the flow implies. A staging batch whose mode is unsaid (made without a tenant) is
    /// taken as fully managed: staging exists only for fully managed and COPE, and the rules
    /// that tell those two apart (`cope-qr-only`) then stay silent, as without a profile. A
    /// default-token batch with an unsaid mode, and a Windows batch, have none.
    pub fn preflight_profile(&self) -> Option<crate::intune::profile::ProfileContext> {
        use crate::intune::profile::{EnrollmentMode, ProfileContext, TokenType};
        let named = EnrollmentMode::from_graph_name(&self.enrollment_mode);
        let (mode, token) = match self.flow {
            Flow::StagingToken => (
                named.unwrap_or(EnrollmentMode::CorporateOwnedFullyManaged),
                TokenType::DeviceStaging,
            ),
            Flow::DefaultToken => (named?, TokenType::Default),
            Flow::AospUserless => (
                named.unwrap_or(EnrollmentMode::CorporateOwnedAospUserlessDevice),
                TokenType::Default,
            ),
            Flow::AospUserAssociated => (
                named.unwrap_or(EnrollmentMode::CorporateOwnedAospUserAssociatedDevice),
                TokenType::Default,
            ),
            Flow::WindowsDem => return None,
        };
        Some(ProfileContext::new(mode, token))
    }

    /// The facts of a Graph enrollment profile (no secret is copied).
    pub fn from_profile(p: &crate::intune::graph::profiles::EnrollmentProfile) -> ProfileFacts {
        use crate::intune::profile::{EnrollmentMode, TokenType};
        let flow = match (p.mode, p.token_type) {
            (EnrollmentMode::CorporateOwnedAospUserlessDevice, _) => Flow::AospUserless,
            (EnrollmentMode::CorporateOwnedAospUserAssociatedDevice, _) => Flow::AospUserAssociated,
            (_, TokenType::DeviceStaging) => Flow::StagingToken,
            _ => Flow::DefaultToken,
        };
        ProfileFacts {
            profile_id: p.id.clone(),
            profile_name: p.display_name.clone(),
            flow,
            enrollment_mode: p.mode.graph_name().to_owned(),
            token_expires: p.token_expires,
            wifi_ssid: p.wifi.ssid.clone(),
            carries_wifi_credentials: p.wifi.password.is_some(),
            dem_account: None,
        }
    }
}

/// Upper-cases and trims serials, drops empty ones and duplicates (first kept).
pub fn normalize_serials<'a>(serials: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    serials
        .into_iter()
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty() && seen.insert(s.clone()))
        .collect()
}
