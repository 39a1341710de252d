//! Whether one device's serials agree: the flags [`check_identity`] raises over a set of
//! observations, each with the message and next step the bench shows.

use std::fmt;

use super::{is_placeholder_serial, SerialObservation, SerialSource};

/// The result of [`check_identity`]: nothing to say when `flags` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct IdentityCheck {
    /// What is wrong with the device's serials, in the order found.
    pub flags: Vec<IdentityFlag>,
}

impl IdentityCheck {
    /// Whether the serials identify the device without doubt.
    pub fn is_clean(&self) -> bool {
        self.flags.is_empty()
    }

    /// One message per flag, each ending with the next step.
    pub fn messages(&self) -> Vec<String> {
        self.flags.iter().map(IdentityFlag::message).collect()
    }
}

/// Something about a device's serials the technician must know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "flag", rename_all = "kebab-case")]
pub enum IdentityFlag {
    /// A source gave a placeholder (see [`is_placeholder_serial`]).
    Placeholder {
        /// Where the placeholder was read.
        source: SerialSource,
        /// The placeholder, trimmed.
        value: String,
    },
    /// Two sources that should agree gave different serials (or a scanned serial matches
    /// nothing read from the device).
    Disagree {
        /// The first observation.
        a: SerialObservation,
        /// The one that differs from it.
        b: SerialObservation,
    },
    /// No source gave a serial that identifies the device.
    Missing,
}

impl IdentityFlag {
    /// What happened and what to do next, for the technician.
    pub fn message(&self) -> String {
        match self {
            IdentityFlag::Placeholder { source, value } if value.is_empty() => format!(
                "{} is empty: this source can't tell the device apart; keep the device in its \
                 bench slot and label it by slot.",
                sentence_start(source.label())
            ),
            IdentityFlag::Placeholder { source, value } => format!(
                "{} is the placeholder {value}: this device can't be told apart by serial; keep \
                 it in its bench slot and label it by slot.",
                sentence_start(source.label())
            ),
            IdentityFlag::Disagree { a, b } if b.source == SerialSource::Scanner => format!(
                "{} matches no serial read from the device ({a}): check that the label belongs \
                 to the device in this slot, then scan again.",
                sentence_start(&b.to_string())
            ),
            IdentityFlag::Disagree { a, b }
                if a.source == SerialSource::Intune || b.source == SerialSource::Intune =>
            {
                format!(
                    "{} differs from {b}: Intune may report another serial than the device \
                     shows; match them by the serial in Settings › About, and StageBench keeps \
                     both for this device.",
                    sentence_start(&a.to_string())
                )
            }
            IdentityFlag::Disagree { a, b } => format!(
                "{} differs from {b}: the device reports two serials; scan the serial on its \
                 label (or Settings › About) so the right one goes on the label, StageBench \
                 keeps both for this device.",
                sentence_start(&a.to_string())
            ),
            IdentityFlag::Missing => "No serial could be read from this device: keep it in its \
                                      bench slot and scan the serial from its label or box."
                .to_owned(),
        }
    }
}

/// Capitalizes a leading "the " so labels can start a sentence; "ro.serialno" stays as is.
fn sentence_start(text: &str) -> String {
    match text.strip_prefix("the ") {
        Some(rest) => format!("The {rest}"),
        None => text.to_owned(),
    }
}

impl fmt::Display for IdentityFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Checks the serials read from one device.
///
/// Flags every placeholder, flags [`IdentityFlag::Missing`] when no value identifies the device,
/// and flags a disagreement for each distinct serial that differs from the first one among the
/// sources that should agree (device serial family and Intune). A scanned value is flagged when
/// it equals none of the other identifying values. Values are trimmed and compared
/// case-sensitively; network addresses (see [`is_network_address`](super::is_network_address))
/// are ignored.
pub fn check_identity(observations: &[SerialObservation]) -> IdentityCheck {
    let mut flags = Vec::new();
    for o in observations {
        if is_placeholder_serial(&o.value) {
            flags.push(IdentityFlag::Placeholder {
                source: o.source,
                value: o.trimmed().to_owned(),
            });
        }
    }
    let usable: Vec<&SerialObservation> = observations.iter().filter(|o| o.identifies()).collect();
    if usable.is_empty() {
        flags.push(IdentityFlag::Missing);
        return IdentityCheck { flags };
    }

    // One representative per distinct value among sources that should agree.
    let mut distinct: Vec<&SerialObservation> = Vec::new();
    for o in usable.iter().copied() {
        if o.source.must_agree() && !distinct.iter().any(|d| d.trimmed() == o.trimmed()) {
            distinct.push(o);
        }
    }
    if let Some((first, rest)) = distinct.split_first() {
        for other in rest {
            flags.push(IdentityFlag::Disagree {
                a: (*first).clone(),
                b: (*other).clone(),
            });
        }
    }

    for scanned in usable.iter().filter(|o| o.source == SerialSource::Scanner) {
        let others: Vec<&&SerialObservation> = usable
            .iter()
            .filter(|o| o.source != SerialSource::Scanner)
            .collect();
        if let Some(first) = others.first() {
            if !others.iter().any(|o| o.trimmed() == scanned.trimmed()) {
                flags.push(IdentityFlag::Disagree {
                    a: (**first).clone(),
                    b: (*scanned).clone(),
                });
            }
        }
    }
    IdentityCheck { flags }
}
