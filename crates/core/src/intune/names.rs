//! Intune's device names for staged Android devices, read tolerantly.
//!
//! Facts (seed rule 68, memdocs `device-staging-overview.md`, reference §1.3): a staged device
//! shows in Intune as `Staging_<serialnumber>_<enrollmentmode>_MM/DD/YY_H.MM`; once the user
//! signs in (stage 3) the user name replaces the `Staging` prefix. The documented example is
//! `Staging_ XX1234_AnroidEnterprise_06/22/2024_ 4.20 AM` — a stray space after two of the
//! underscores, a four-digit year where the pattern says two, a 12-hour clock, and a typo in the
//! mode. So the parser trims every part, takes the date and time from the right (a user name or
//! serial may itself contain `_`), accepts two- or four-digit years, `.` or `:` in the time, an
//! optional AM/PM, and keeps the mode as written (with [`DeviceName::mode_is_android_enterprise`]
//! forgiving small typos). Names that follow none of this (a profile's own
//! `deviceNameTemplate`, a renamed device) give `None`; the caller then relies on
//! `serialNumber` and `userPrincipalName`, which is why stage detection never depends on the
//! name alone.

use time::{Date, Month, PrimitiveDateTime, Time};

/// Whose name is in front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameOwner {
    /// `Staging_<serial>_…`: enrolled at the bench, no user yet (stage 2).
    Staging {
        /// The serial as Intune wrote it (trimmed).
        serial: String,
    },
    /// `<user>_…`: a user has signed in (stage 3).
    User {
        /// The user name as Intune wrote it.
        user: String,
    },
}

/// A parsed Intune device name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceName {
    /// Staging serial or user.
    pub owner: NameOwner,
    /// The enrollment mode as written (e.g. `AndroidEnterprise`, or the docs' `AnroidEnterprise`).
    pub mode: String,
    /// When the device enrolled, in the tenant's local time as the name gives it (no zone), when
    /// the date and time parse.
    pub enrolled: Option<PrimitiveDateTime>,
}

impl DeviceName {
    /// The serial when the name is still a staging name.
    pub fn staging_serial(&self) -> Option<&str> {
        match &self.owner {
            NameOwner::Staging { serial } => Some(serial),
            NameOwner::User { .. } => None,
        }
    }

    /// Whether this staging name is for `serial` (case and spaces ignored: names are typed into
    /// Intune's reports by people and the documented example carries a stray space).
    pub fn is_staging_for(&self, serial: &str) -> bool {
        self.staging_serial()
            .is_some_and(|s| squash(s) == squash(serial))
    }

    /// Whether the mode reads as Android Enterprise, allowing up to two typos.
    pub fn mode_is_android_enterprise(&self) -> bool {
        edit_distance(&squash(&self.mode), "androidenterprise") <= 2
    }
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Parses an Intune device name (see the module docs); `None` when it does not follow the
/// staging convention.
pub fn parse_device_name(name: &str) -> Option<DeviceName> {
    let parts: Vec<&str> = name.split('_').map(str::trim).collect();
    // The date is the last part that parses as one; a time may follow it.
    let date_at = parts.iter().rposition(|p| parse_date(p).is_some())?;
    let date = parse_date(parts[date_at])?;
    let time = match &parts[date_at + 1..] {
        [] => None,
        [t] => Some(parse_time(t)?),
        _ => return None,
    };
    // Before the date: <prefix…>_<mode>, with a non-empty prefix.
    if date_at < 2 {
        return None;
    }
    let mode = parts[date_at - 1];
    let prefix = &parts[..date_at - 1];
    if mode.is_empty() || prefix.iter().all(|p| p.is_empty()) {
        return None;
    }
    let owner = if prefix[0].eq_ignore_ascii_case("staging") {
        // `Staging_<mode>_<date>` (no serial) is not a name Intune writes.
        if prefix.len() < 2 {
            return None;
        }
        let serial = prefix[1..].join("_");
        if serial.is_empty() {
            return None;
        }
        NameOwner::Staging { serial }
    } else {
        NameOwner::User {
            user: prefix.join("_"),
        }
    };
    Some(DeviceName {
        owner,
        mode: mode.to_owned(),
        enrolled: time.map(|t| PrimitiveDateTime::new(date, t)),
    })
}

/// `MM/DD/YY` or `MM/DD/YYYY` (US order, as Intune writes it).
fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.split('/').map(str::trim);
    let (m, d, y) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
        return None;
    }
    let year: i32 = match y.len() {
        2 => 2000 + y.parse::<i32>().ok()?,
        4 => y.parse().ok()?,
        _ => return None,
    };
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year, month, d.parse().ok()?).ok()
}

/// `H.MM` or `H:MM`, 24-hour, or 12-hour with `AM`/`PM` (any case, space optional).
fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim();
    let upper = s.to_ascii_uppercase();
    let (clock, meridiem) = if let Some(rest) = upper.strip_suffix("AM") {
        (rest.trim(), Some(false))
    } else if let Some(rest) = upper.strip_suffix("PM") {
        (rest.trim(), Some(true))
    } else {
        (upper.as_str(), None)
    };
    let (h, m) = clock.split_once(['.', ':'])?;
    let (h, m) = (h.trim(), m.trim());
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let mut hour: u8 = h.parse().ok()?;
    let minute: u8 = m.parse().ok()?;
    match meridiem {
        Some(pm) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour = (hour % 12) + if pm { 12 } else { 0 };
        }
        None if hour > 23 => return None,
        None => {}
    }
    Time::from_hms(hour, minute, 0).ok()
}

/// Levenshtein distance (small strings only).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(y: i32, m: u8, d: u8, h: u8, mi: u8) -> PrimitiveDateTime {
        PrimitiveDateTime::new(
            Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap(),
            Time::from_hms(h, mi, 0).unwrap(),
        )
    }

    #[test]
    fn the_documented_example_parses_despite_its_spaces_year_and_typo() {
        let n = parse_device_name("Staging_ XX1234_AnroidEnterprise_06/22/2024_ 4.20 AM").unwrap();
        assert_eq!(
            n.owner,
            NameOwner::Staging {
                serial: "XX1234".into()
            }
        );
        assert_eq!(n.mode, "AnroidEnterprise");
        assert!(n.mode_is_android_enterprise());
        assert_eq!(n.enrolled, Some(dt(2024, 6, 22, 4, 20)));
        assert!(n.is_staging_for("xx1234"));
        assert!(!n.is_staging_for("XX12345"));
    }

    #[test]
    fn names_by_convention_and_variants() {
        type Want = Option<(NameOwner, &'static str, Option<PrimitiveDateTime>)>;
        let cases: &[(&str, Want)] = &[
            (
                "Staging_R58N123ABC_AndroidEnterprise_11/21/26_9.05",
                Some((
                    NameOwner::Staging {
                        serial: "R58N123ABC".into(),
                    },
                    "AndroidEnterprise",
                    Some(dt(2026, 11, 21, 9, 5)),
                )),
            ),
            (
                "staging_R58N123ABC_AndroidEnterprise_11/21/26_12.05 PM",
                Some((
                    NameOwner::Staging {
                        serial: "R58N123ABC".into(),
                    },
                    "AndroidEnterprise",
                    Some(dt(2026, 11, 21, 12, 5)),
                )),
            ),
            (
                "Staging_R58N_123_AndroidEnterprise_1/2/2026_12:30am",
                Some((
                    NameOwner::Staging {
                        serial: "R58N_123".into(),
                    },
                    "AndroidEnterprise",
                    Some(dt(2026, 1, 2, 0, 30)),
                )),
            ),
            (
                "jdoe_AndroidEnterprise_11/21/26_9.05",
                Some((
                    NameOwner::User {
                        user: "jdoe".into(),
                    },
                    "AndroidEnterprise",
                    Some(dt(2026, 11, 21, 9, 5)),
                )),
            ),
            (
                "first_last_AndroidEnterprise_11/21/26_ 4.20 PM",
                Some((
                    NameOwner::User {
                        user: "first_last".into(),
                    },
                    "AndroidEnterprise",
                    Some(dt(2026, 11, 21, 16, 20)),
                )),
            ),
            // No time: the date still anchors the name.
            (
                "Staging_ABC_AndroidEnterprise_11/21/26",
                Some((
                    NameOwner::Staging {
                        serial: "ABC".into(),
                    },
                    "AndroidEnterprise",
                    None,
                )),
            ),
            // Not the convention.
            ("Galaxy Tab A8", None),
            ("BENCH-R58N123ABC", None),
            ("Staging__AndroidEnterprise_11/21/26_9.05", None),
            ("_AndroidEnterprise_11/21/26_9.05", None),
            ("Staging_ABC_11/21/26_9.05", None),
            ("Staging_ABC_AndroidEnterprise_13/21/26_9.05", None),
            ("Staging_ABC_AndroidEnterprise_02/30/26_9.05", None),
            ("Staging_ABC_AndroidEnterprise_11/21/26_25.00", None),
            ("Staging_ABC_AndroidEnterprise_11/21/26_13.00 PM", None),
            ("Staging_ABC_AndroidEnterprise_11/21/26_9.05_extra", None),
            ("", None),
        ];
        for (name, want) in cases {
            let got = parse_device_name(name).map(|n| (n.owner, n.mode, n.enrolled));
            let want = want.clone().map(|(o, m, e)| (o, m.to_owned(), e));
            assert_eq!(got, want, "{name:?}");
        }
    }

    #[test]
    fn mode_typos_are_forgiven_within_two_edits_only() {
        let mode = |m: &str| DeviceName {
            owner: NameOwner::User { user: "u".into() },
            mode: m.into(),
            enrolled: None,
        };
        assert!(mode("AndroidEnterprise").mode_is_android_enterprise());
        assert!(mode("Android Enterprise").mode_is_android_enterprise());
        assert!(mode("AndriodEnterprise").mode_is_android_enterprise());
        assert!(mode("AndroidEnterprize").mode_is_android_enterprise());
        assert!(!mode("AOSP").mode_is_android_enterprise());
        assert!(!mode("WindowsDevicePrep").mode_is_android_enterprise());
    }

    #[test]
    fn random_names_never_panic_and_round_trip_when_well_formed() {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "Staging", "_", " ", "/", ".", ":", "AM", "pm", "1", "12", "2024", "31", "AB_C", "ü",
            "", "__",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(68);
        for _ in 0..20_000 {
            let name: String = (0..rng.gen_range(0..12))
                .map(|_| pieces[rng.gen_range(0..pieces.len())])
                .collect();
            let _ = parse_device_name(&name);
        }
        for i in 0..500u32 {
            let serial = format!("S{i:05}X");
            let (h, m) = (1 + i % 12, i % 60);
            let name = format!(
                "Staging_{serial}_AndroidEnterprise_{:02}/{:02}/26_{h}.{m:02} PM",
                1 + i % 12,
                1 + i % 28
            );
            let parsed = parse_device_name(&name).unwrap_or_else(|| panic!("{name}"));
            assert!(parsed.is_staging_for(&serial), "{name}");
            assert_eq!(
                parsed.enrolled.unwrap().hour(),
                (h % 12 + 12) as u8,
                "{name}"
            );
        }
    }
}
