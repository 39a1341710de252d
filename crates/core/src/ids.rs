//! The ground floor's identifiers: the ids of the store's rows and jobs, and the batch id that
//! travels between benches. Every floor above names things by these; nothing here imports
//! anything else from the crate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A device's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeviceId(pub i64);

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// An event's row id; ids grow in the order events were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId(pub i64);

/// An outbox row id; ids grow in the order changes were queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OutboxId(pub i64);

impl fmt::Display for OutboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A print job's id; ids grow in the order jobs were queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PrintJobId(pub i64);

impl fmt::Display for PrintJobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A batch's id: 32 lowercase hex digits (128 random bits), the same on the admin's and the
/// vendor's machine, so a report finds its batch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, ts_rs::TS)]
#[ts(type = "string")]
pub struct BatchId(String);

impl Serialize for BatchId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BatchId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        BatchId::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl BatchId {
    /// A new random id.
    pub fn random() -> BatchId {
        BatchId(format!("{:032x}", rand::random::<u128>()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 8 digits, for people (unique enough on one bench; lookups accept any prefix).
    pub fn short(&self) -> &str {
        &self.0[..8]
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for BatchId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value.len() == 32
            && value
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            Ok(BatchId(value))
        } else {
            Err(format!(
                "{value:?} is not a batch id (32 lowercase hex digits)"
            ))
        }
    }
}

impl From<BatchId> for String {
    fn from(id: BatchId) -> String {
        id.0
    }
}
