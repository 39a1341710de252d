//! QR codes for enrollment payloads: encoding (the `qrcode` crate) and rendering.
//!
//! Layout: this file encodes and chooses the error-correction level; [`render`] draws a
//! [`QrCode`] as PNG, SVG or terminal text, always with a quiet zone of [`QUIET_ZONE`] modules
//! and a whole number of pixels per module, so the code stays sharp on screens and printers.
//!
//! ## Error-correction level from payload size
//! [`QrCode::encode`] picks the most robust level that keeps the code reasonably coarse:
//! - up to [`Q_MAX_BYTES`] (611, what a version-23 code holds at Q, 109×109 modules): **Q**.
//!   A plain Android Enterprise payload (about 530 bytes with a 20-character token: version 22
//!   at Q) fits; Q (25 % recovery) forgives glare, moiré and browser zoom when a phone camera
//!   reads a screen (pain point 6), and the code is no bigger than a Wi-Fi payload at M.
//! - up to [`M_MAX_BYTES`] (2,331, the most M holds): **M**, the usual default. Payloads with
//!   Wi-Fi or extras land here (about 700 bytes: version 22 at M, where Q would need 25).
//! - up to [`L_MAX_BYTES`] (2,953, the most any QR code holds in byte mode): **L**. Like Bayton's
//!   EAP generator, which drops to L past ~2,400 characters, because nothing else fits.
//!
//! If the chosen level can't hold the data (the encoder may pick other segment modes), the next
//! lower level is tried; past L, [`QrError::TooLong`] names the byte count and the maximum.

pub mod render;

use std::fmt;

use qrcode::types::QrError as EncodeError;

/// Light modules drawn around the symbol (ISO/IEC 18004 asks for 4).
pub const QUIET_ZONE: usize = 4;
/// Largest payload encoded at level Q by [`QrCode::encode`] (version 23 at Q, byte mode).
pub const Q_MAX_BYTES: usize = 611;
/// Largest payload encoded at level M by [`QrCode::encode`] (version 40 at M, byte mode).
pub const M_MAX_BYTES: usize = 2331;
/// Largest payload any QR code holds in byte mode (version 40 at L).
pub const L_MAX_BYTES: usize = 2953;

/// Error-correction level: share of the symbol that can be damaged and still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EcLevel {
    /// About 7 %.
    L,
    /// About 15 %.
    M,
    /// About 25 %.
    Q,
    /// About 30 %.
    H,
}

impl EcLevel {
    /// `L`, `M`, `Q` or `H`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::L => "L",
            Self::M => "M",
            Self::Q => "Q",
            Self::H => "H",
        }
    }

    /// Most bytes a version-40 code holds at this level in byte mode.
    pub fn max_bytes(self) -> usize {
        match self {
            Self::L => L_MAX_BYTES,
            Self::M => M_MAX_BYTES,
            Self::Q => 1663,
            Self::H => 1273,
        }
    }

    /// The level [`QrCode::encode`] starts from for a payload of `bytes` (see module docs).
    pub fn for_payload(bytes: usize) -> EcLevel {
        if bytes <= Q_MAX_BYTES {
            Self::Q
        } else if bytes <= M_MAX_BYTES {
            Self::M
        } else {
            Self::L
        }
    }

    /// The next less robust level, if any.
    fn lower(self) -> Option<EcLevel> {
        match self {
            Self::H => Some(Self::Q),
            Self::Q => Some(Self::M),
            Self::M => Some(Self::L),
            Self::L => None,
        }
    }

    fn to_encoder(self) -> qrcode::EcLevel {
        match self {
            Self::L => qrcode::EcLevel::L,
            Self::M => qrcode::EcLevel::M,
            Self::Q => qrcode::EcLevel::Q,
            Self::H => qrcode::EcLevel::H,
        }
    }
}

impl fmt::Display for EcLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a QR code could not be made or drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The payload does not fit in a version-40 code at this level.
    #[error(
        "payload is {bytes} bytes; a QR code with error correction {ec} holds at most {max} bytes. \
         Shorten the payload: leave out Wi-Fi or optional extras."
    )]
    TooLong {
        /// Payload length.
        bytes: usize,
        /// Most bytes the level holds (byte mode, version 40).
        max: usize,
        /// Level tried last.
        ec: EcLevel,
    },
    /// Module size 0 was asked for.
    #[error("module size is 0 pixels; use 1 or more pixels per module.")]
    ModuleSizeZero,
    /// The image side would not fit in `u32` pixels.
    #[error("{modules} modules at {module_px} px each is too large an image; use a smaller module size.")]
    ImageTooLarge {
        /// Modules per side, quiet zone included.
        modules: usize,
        /// Pixels per module asked for.
        module_px: u32,
    },
    /// The encoder refused the data for another reason.
    #[error("QR encoder refused the payload: {0}")]
    Encode(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Facts about a code, safe to log (no payload).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct QrFacts {
    /// QR version 1–40.
    pub version: i16,
    /// `L`, `M`, `Q` or `H`.
    pub ec_level: String,
    /// Modules per side, without the quiet zone.
    pub modules: usize,
    /// Quiet zone in modules per side ([`QUIET_ZONE`]).
    pub quiet_zone: usize,
    /// Length of the encoded payload.
    pub payload_bytes: usize,
}

/// An encoded QR symbol: a square matrix of dark and light modules.
///
/// `Debug` shows only version, level and size: the matrix is the payload (token, Wi-Fi key)
/// to anyone who renders it.
#[derive(Clone, PartialEq, Eq)]
pub struct QrCode {
    version: i16,
    ec: EcLevel,
    width: usize,
    dark: Vec<bool>,
    payload_bytes: usize,
}

impl QrCode {
    /// Encodes with the level chosen from the payload size (see module docs).
    pub fn encode(data: &[u8]) -> Result<QrCode, QrError> {
        let mut ec = EcLevel::for_payload(data.len());
        loop {
            match Self::encode_with(data, ec) {
                Err(QrError::TooLong { .. }) if ec.lower().is_some() => {
                    ec = ec.lower().expect("checked in the guard");
                }
                result => return result,
            }
        }
    }

    /// Encodes at the given level, in the smallest version that holds the data.
    pub fn encode_with(data: &[u8], ec: EcLevel) -> Result<QrCode, QrError> {
        let encoded = if data.is_ascii() {
            qrcode::QrCode::with_error_correction_level(data, ec.to_encoder())
        } else {
            encode_utf8_with_eci(data, ec.to_encoder())
        };
        let code = encoded.map_err(|error| match error {
            EncodeError::DataTooLong => QrError::TooLong {
                bytes: data.len(),
                max: ec.max_bytes(),
                ec,
            },
            other => QrError::Encode(other.to_string()),
        })?;
        let version = match code.version() {
            qrcode::Version::Normal(v) => v,
            qrcode::Version::Micro(v) => -v,
        };
        Ok(QrCode {
            version,
            ec,
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
            payload_bytes: data.len(),
        })
    }

    /// QR version (1–40).
    pub fn version(&self) -> i16 {
        self.version
    }

    /// Error-correction level.
    pub fn ec_level(&self) -> EcLevel {
        self.ec
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark. Outside the symbol (the quiet zone
    /// and beyond) everything is light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// Modules per side including the quiet zone on both sides.
    pub fn side_modules(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// Largest whole number of pixels per module so that the code with its quiet zone fits in
    /// `max_px` pixels; at least 1 (the caller then has to scale down or pick a bigger area).
    pub fn module_px_to_fit(&self, max_px: u32) -> u32 {
        let side = u32::try_from(self.side_modules()).unwrap_or(u32::MAX);
        (max_px / side).max(1)
    }

    /// Version, level, size, quiet zone and payload length.
    pub fn facts(&self) -> QrFacts {
        QrFacts {
            version: self.version,
            ec_level: self.ec.as_str().to_owned(),
            modules: self.width,
            quiet_zone: QUIET_ZONE,
            payload_bytes: self.payload_bytes,
        }
    }
}

impl fmt::Debug for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrCode")
            .field("version", &self.version)
            .field("ec", &self.ec)
            .field("width", &self.width)
            .field("payload_bytes", &self.payload_bytes)
            .finish_non_exhaustive()
    }
}

/// ECI 26 says "the bytes that follow are UTF-8". Without it scanners guess the byte-mode
/// encoding, and zbar (like some phone scanners) reads UTF-8 `é` as Shift-JIS `矇`, which
/// corrupts SSIDs and keys. Pure-ASCII payloads get no ECI, so they stay as small and as widely
/// readable as possible.
const ECI_UTF8: u32 = 26;

/// Encodes non-ASCII data behind a UTF-8 ECI header, in the smallest version that fits.
fn encode_utf8_with_eci(
    data: &[u8],
    ec: qrcode::EcLevel,
) -> qrcode::types::QrResult<qrcode::QrCode> {
    for version in 1..=40 {
        let mut bits = qrcode::bits::Bits::new(qrcode::Version::Normal(version));
        let fits = bits.push_eci_designator(ECI_UTF8).is_ok()
            && bits.push_optimal_data(data).is_ok()
            && bits.push_terminator(ec).is_ok();
        if fits {
            return qrcode::QrCode::with_bits(bits, ec);
        }
    }
    Err(EncodeError::DataTooLong)
}
