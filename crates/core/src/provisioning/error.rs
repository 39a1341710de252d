//! Why a payload or a Wi-Fi setting was refused, and what to do about it.
//!
//! Messages name the input (a length, a position, a key) but never quote a token or a key:
//! they end up in logs, toasts and support bundles.

use super::wifi::WifiSecurity;

const EXPORT_AGAIN: &str =
    "export the token again from Intune (Devices > Android > Enrollment > profile > Token > Export)";
const AOSP_AGAIN: &str =
    "copy the QR content again from the Intune AOSP profile (Token > Export, or qrCodeContent from Graph)";

/// A refused provisioning input. Each message names the problem and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisioningError {
    /// The SSID is the empty string.
    #[error("Wi-Fi SSID is empty; an SSID is 1–32 bytes of UTF-8. Enter the network name.")]
    SsidEmpty,
    /// The SSID is longer than 32 bytes of UTF-8.
    #[error("Wi-Fi SSID is {bytes} bytes; an SSID is 1–32 bytes of UTF-8. Shorten it.")]
    SsidTooLong {
        /// Length in UTF-8 bytes (not characters).
        bytes: usize,
    },
    /// The SSID or a key contains U+0000, which Android's C layers cut at.
    #[error("Wi-Fi {field} has a NUL character (U+0000) at character {position}; remove it.")]
    NulCharacter {
        /// `SSID` or `password`.
        field: &'static str,
        /// 1-based character position.
        position: usize,
    },
    /// Security `NONE` with a password.
    #[error(
        "Wi-Fi security is NONE but a password was given; choose WPA or WEP for a network \
         with a key, or remove the password."
    )]
    PasswordOnOpenNetwork,
    /// WPA or WEP without a password.
    #[error(
        "{security} Wi-Fi needs a password; enter the network key, or choose NONE for an open network."
    )]
    PasswordMissing {
        /// The security type that needs a key.
        security: WifiSecurity,
    },
    /// WPA key of the wrong length.
    #[error(
        "WPA key is {chars} characters; use 8–63 printable ASCII characters or exactly 64 hex digits."
    )]
    WpaKeyLength {
        /// Length in characters.
        chars: usize,
    },
    /// A 64-character WPA key that is not hex.
    #[error(
        "WPA key is 64 characters but not all hex digits; a 64-character key is a raw PSK in \
         hex (0–9, a–f). Use 8–63 characters for a passphrase."
    )]
    WpaKeyNotHex,
    /// WPA passphrase with a character outside 0x20–0x7e.
    #[error(
        "WPA key has a character outside printable ASCII at position {position}; use 8–63 \
         printable ASCII characters (space to ~) or exactly 64 hex digits."
    )]
    WpaKeyNotPrintable {
        /// 1-based character position.
        position: usize,
    },
    /// WEP key of a length that is neither an ASCII nor a hex key.
    #[error(
        "WEP key is {chars} characters; use 5, 13, 16 or 29 ASCII characters or 10, 26, 32 or 58 hex digits."
    )]
    WepKeyLength {
        /// Length in characters.
        chars: usize,
    },
    /// WEP key with a hex-key length but non-hex characters.
    #[error(
        "WEP key is {chars} characters, the length of a hex key, but not all hex digits; use \
         0–9 and a–f, or an ASCII key of 5, 13, 16 or 29 characters."
    )]
    WepKeyNotHex {
        /// Length in characters.
        chars: usize,
    },
    /// WEP ASCII key with a character outside 0x20–0x7e.
    #[error(
        "WEP key has a character outside printable ASCII at position {position}; use printable \
         ASCII characters (space to ~) or hex digits."
    )]
    WepKeyNotPrintable {
        /// 1-based character position.
        position: usize,
    },
    /// Text that is not one of the four security types.
    #[error("unknown Wi-Fi security type '{value}'; use NONE, WPA, WEP or EAP.")]
    UnknownSecurity {
        /// The text given (not a secret).
        value: String,
    },
    /// Empty (or all-whitespace) enrollment token.
    #[error(
        "enrollment token is empty; copy the token from Intune (Devices > Android > Enrollment > profile > Token)."
    )]
    TokenEmpty,
    /// A control character inside the token.
    #[error(
        "enrollment token has a control character at position {position}; copy the token again \
         from Intune, without line breaks or tabs."
    )]
    TokenControlChar {
        /// 1-based character position in the trimmed token.
        position: usize,
    },
    /// The export file does not parse.
    #[error(
        "export file is not valid JSON at line {line} column {column}: {reason} — {EXPORT_AGAIN}"
    )]
    ExportNotJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's reason (never contains input text).
        reason: String,
    },
    /// The export parses, but is not a JSON object.
    #[error("export file holds a JSON {found}, not an object — {EXPORT_AGAIN}")]
    ExportNotObject {
        /// JSON type found.
        found: &'static str,
    },
    /// `qrCodeContent` is neither an object nor a string holding one.
    #[error("'qrCodeContent' in the export file is {problem} — {EXPORT_AGAIN}")]
    ExportBadQrCodeContent {
        /// What it is instead.
        problem: String,
    },
    /// A required Android Enterprise key is missing.
    #[error("export file has no '{key}', so it is not an Android Enterprise token export — {EXPORT_AGAIN}")]
    ExportMissingKey {
        /// The missing key (a path `bundle → key` for the token).
        key: String,
    },
    /// A required key has the wrong JSON type.
    #[error("'{key}' in the export file is a JSON {found}; it must be a JSON {expected} — {EXPORT_AGAIN}")]
    ExportWrongType {
        /// The key.
        key: String,
        /// JSON type found.
        found: &'static str,
        /// JSON type required.
        expected: &'static str,
    },
    /// AOSP content does not parse.
    #[error(
        "AOSP QR content is not valid JSON at line {line} column {column}: {reason} — {AOSP_AGAIN}"
    )]
    AospNotJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's reason (never contains input text).
        reason: String,
    },
    /// AOSP content parses, but is not a JSON object.
    #[error("AOSP QR content is a JSON {found}, not an object — {AOSP_AGAIN}")]
    AospNotObject {
        /// JSON type found.
        found: &'static str,
    },
    /// Wi-Fi was given for an AOSP payload.
    #[error(
        "Wi-Fi can't be added to or removed from an AOSP payload: StageBench encodes Intune's AOSP QR content \
         verbatim. Change the Wi-Fi (SSID, type, key) on the Intune AOSP enrollment profile, \
         replace the token, and load the new QR content."
    )]
    WifiOnAosp,
}

/// Line, column and reason of a JSON syntax error. The reason comes from the error's category
/// (serde_json says more only in its message text, which is not cut apart here); the line and
/// column say where.
pub(super) fn json_syntax(error: &serde_json::Error) -> (usize, usize, String) {
    let reason = match error.classify() {
        serde_json::error::Category::Eof => "the text ends before the JSON does (cut off?)",
        serde_json::error::Category::Syntax => "something JSON does not allow there",
        serde_json::error::Category::Data => "a value of the wrong kind",
        serde_json::error::Category::Io => "it could not be read",
    };
    (error.line(), error.column(), reason.to_owned())
}
