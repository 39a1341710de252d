//! A Windows device's corporate identifier: its manufacturer, model and serial together.
//!
//! Sources (issue 15 point 7; research file §7, W1–W7):
//! - Microsoft Learn, *Identify devices as corporate-owned*
//!   (<https://learn.microsoft.com/intune/intune-service/enrollment/corporate-identifiers-add>,
//!   ms.date 2025-04-11; the same table since 2024-08-08): for Windows 10 and 11 "IMEI number:
//!   Not supported", "Serial number: Not supported", "Serial number, model, manufacturer:
//!   Supported" (Windows 11 22H2 with KB5035942, Windows 10 22H2 with KB5039299). The file lists
//!   "the manufacturer, model, and serial number for each device" (`Microsoft,surface 5,01234567890123`),
//!   "Remove all periods … from the serial number", "up to 5,000 rows or 5 MB of data per file",
//!   "Don't add headers", and "Windows currently doesn't support device details in CSV files".
//! - The seed 004 runbook (`/work/shared/seeds/004_f927034bf22c8b39.txt:122, 212-217`) says
//!   Device Preparation "uses serial numbers" and imports "Serial number". Microsoft's current
//!   page differs; the bench follows Microsoft and says so in [`WINDOWS_NEEDS_TUPLE`].

use std::fmt;

/// The delimiter between manufacturer, model and serial inside one `manufacturerModelSerial`
/// identifier, as sent to Graph.
///
/// **Unconfirmed against a real tenant.** Graph's beta enum *importedDeviceIdentityType*
/// (ms.date 2024-08-01) describes `manufacturerModelSerial` as a "manufacturer + model + serial
/// number semi-colon delimited tuple with enforced order", yet Intune's own file format (the
/// Learn page above, ms.date 2025-04-11: `Microsoft,surface 5,01234567890123`), the script that
/// page gives (it joins `Win32_ComputerSystem.Manufacturer`, `.Model` and
/// `Win32_BIOS.SerialNumber` with `','`) and every public Graph caller found use a comma. The
/// bench sends the comma; should a real tenant want the semicolon, this one constant changes.
pub const TUPLE_DELIMITER: char = ',';

/// Why a Windows identifier must be manufacturer, model and serial (shown when an IMEI or a
/// serial alone is given for Windows).
pub const WINDOWS_NEEDS_TUPLE: &str = "Intune takes neither an IMEI nor a serial number alone \
as a Windows corporate identifier, only manufacturer, model and serial together (Microsoft Learn, \
'Identify devices as corporate-owned', support table, ms.date 2025-04-11). The seed 004 runbook \
says 'serial numbers'; Microsoft's current page wins. Give each device as manufacturer,model,serial \
(what Windows reports: Win32_ComputerSystem Manufacturer and Model, Win32_BIOS SerialNumber).";

/// At most this many lines in one Windows identifier file ("up to 5,000 rows or 5 MB of data
/// per file", Learn page above, ms.date 2025-04-11).
pub const WINDOWS_FILE_ROWS: usize = 5_000;

/// At most this many bytes in one Windows identifier file (5 MB, same source).
pub const WINDOWS_FILE_BYTES: usize = 5_000_000;

/// Manufacturer, model and serial of one Windows device, each trimmed and free of the
/// [`TUPLE_DELIMITER`]; the serial without periods.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WindowsTuple {
    /// `Win32_ComputerSystem.Manufacturer` ("Microsoft Corporation", "LENOVO").
    pub manufacturer: String,
    /// `Win32_ComputerSystem.Model` ("Surface Laptop 5", "21AH00FGUS").
    pub model: String,
    /// `Win32_BIOS.SerialNumber`, periods removed.
    pub serial: String,
}

impl WindowsTuple {
    /// Checks the three parts: none empty, none holding the delimiter; periods leave the serial
    /// ("Remove all periods … from the serial number", Learn, ms.date 2025-04-11).
    pub fn new(manufacturer: &str, model: &str, serial: &str) -> Result<Self, String> {
        let serial = serial.trim().replace('.', "");
        let parts = [
            ("manufacturer", manufacturer.trim()),
            ("model", model.trim()),
            ("serial", serial.as_str()),
        ];
        for (name, value) in parts {
            if value.is_empty() {
                return Err(format!(
                    "the {name} is empty: a Windows identifier needs manufacturer, model and serial"
                ));
            }
            if value.contains(TUPLE_DELIMITER) {
                return Err(format!(
                    "the {name} {value:?} holds a '{TUPLE_DELIMITER}', which separates manufacturer, \
                     model and serial for Intune; Microsoft documents no quoting for it, so the bench \
                     will not guess: check the value Windows reports and give it without the '{TUPLE_DELIMITER}'"
                ));
            }
        }
        Ok(Self {
            manufacturer: manufacturer.trim().to_owned(),
            model: model.trim().to_owned(),
            serial,
        })
    }

    /// Reads one line of a Windows identifier file: `manufacturer,model,serial`, no header, no
    /// details column. A field may be quoted as in RFC 4180 (`"Surface Laptop 5"`, `""` for a
    /// quote), but a comma left inside one is refused (see [`WindowsTuple::new`]).
    pub fn parse_line(line: &str) -> Result<Self, String> {
        let fields = split_fields(line)?;
        match fields.as_slice() {
            [m, mo, s] => Self::new(m, mo, s),
            [_] => Err(format!(
                "{:?} is a serial or IMEI alone. {WINDOWS_NEEDS_TUPLE}",
                line.trim()
            )),
            [_, _] => Err(format!(
                "{:?} has 2 fields; a Windows line is manufacturer,model,serial, with no details \
                 column (Windows doesn't support device details, Learn, ms.date 2025-04-11)",
                line.trim()
            )),
            more => Err(format!(
                "{:?} has {} fields where Windows takes 3 (manufacturer,model,serial): a stray \
                 comma? Quote a field that holds one, or remove it",
                line.trim(),
                more.len()
            )),
        }
    }

    /// Reads an identifier as sent to Graph (the three parts joined by [`TUPLE_DELIMITER`]).
    pub fn from_identifier(identifier: &str) -> Result<Self, String> {
        let parts: Vec<&str> = identifier.split(TUPLE_DELIMITER).collect();
        match parts.as_slice() {
            [m, mo, s] if !s.contains('.') => Self::new(m, mo, s),
            [_, _, s] => Err(format!(
                "serial {s} contains a period: remove the periods (Learn, ms.date 2025-04-11)"
            )),
            [_] => Err(format!("{identifier} is a serial or IMEI alone. {WINDOWS_NEEDS_TUPLE}")),
            _ => Err(format!(
                "{identifier} has {} parts; a Windows identifier is manufacturer{TUPLE_DELIMITER}model{TUPLE_DELIMITER}serial",
                parts.len()
            )),
        }
    }

    /// The identifier Graph receives: manufacturer, model, serial in that order, joined by
    /// [`TUPLE_DELIMITER`].
    pub fn identifier(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for WindowsTuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = TUPLE_DELIMITER;
        write!(
            f,
            "{}{d}{}{d}{}",
            self.manufacturer, self.model, self.serial
        )
    }
}

/// Splits a line at commas outside quotes (RFC 4180 quoting: `""` is a quote inside a quoted
/// field; spaces around a quoted field are allowed).
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.trim().chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => {
                        return Err(format!(
                            "{:?} has a quote that is never closed",
                            line.trim()
                        ))
                    }
                }
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            if chars.peek().is_some_and(|c| *c != ',') {
                return Err(format!(
                    "{:?} has text after a closing quote: quote the whole field",
                    line.trim()
                ));
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                field.push(c);
            }
        }
        fields.push(field);
        if chars.next().is_none() {
            return Ok(fields);
        }
    }
}
