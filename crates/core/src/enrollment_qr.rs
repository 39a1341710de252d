//! The enrollment QR a technician asks for: technician input → checked payload → QR code.
//! The CLI's `stagebench qr` and the app's QR view both go through [`EnrollmentQr::build`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::provisioning::{Payload, PayloadSummary, ProvisioningError, WifiConfig, WifiSecurity};
use crate::qr::{QrCode, QrError, QrFacts};

/// Where the payload comes from.
#[derive(Clone, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum QrSource {
    /// An Android Enterprise enrollment token (default or staging).
    Token {
        /// The token value.
        token: String,
    },
    /// The JSON Intune exports for a token (Token > Export).
    Export {
        /// The file's text.
        text: String,
    },
    /// An AOSP profile's `qrCodeContent`, shown verbatim.
    Aosp {
        /// The content, exactly as Intune gave it.
        text: String,
    },
}

impl fmt::Debug for QrSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            QrSource::Token { .. } => "Token",
            QrSource::Export { .. } => "Export",
            QrSource::Aosp { .. } => "Aosp",
        };
        write!(f, "QrSource::{kind}([redacted])")
    }
}

/// Wi-Fi the technician wants in the payload.
#[derive(Clone, Deserialize, ts_rs::TS)]
pub struct WifiInput {
    /// The network name.
    pub ssid: String,
    /// `NONE`, `WPA`, `WEP` or `EAP`.
    pub security: String,
    /// The key, if the network has one.
    pub password: Option<String>,
    /// Whether the network hides its SSID.
    #[serde(default)]
    pub hidden: bool,
}

impl fmt::Debug for WifiInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WifiInput")
            .field("ssid", &self.ssid)
            .field("security", &self.security)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("hidden", &self.hidden)
            .finish()
    }
}

/// A request for an enrollment QR.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct QrRequest {
    /// Where the payload comes from.
    pub source: QrSource,
    /// Optional Wi-Fi extras (not for AOSP payloads).
    pub wifi: Option<WifiInput>,
}

/// Why an enrollment QR could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EnrollmentQrError {
    /// The payload or the Wi-Fi settings are not valid.
    #[error(transparent)]
    Payload(#[from] ProvisioningError),
    /// The payload does not fit in a QR code.
    #[error(transparent)]
    Qr(#[from] QrError),
    /// Wi-Fi was given for an AOSP payload, which is shown verbatim.
    #[error("AOSP QR content is shown exactly as Intune made it, so Wi-Fi can't be added here: change the Wi-Fi on the AOSP enrollment profile in Intune, create a new token, and use its new QR content.")]
    WifiOnAosp,
    /// The Wi-Fi security type is not one Android knows.
    #[error("Wi-Fi security '{0}' is not one of NONE, WPA, WEP or EAP: pick one of those (WPA covers WPA2-PSK).")]
    Security(String),
}

/// What the QR view shows: a safe summary, the QR facts and modules, and the payload to reveal.
#[derive(Serialize, ts_rs::TS)]
pub struct QrView {
    /// The payload summary, secrets masked.
    pub summary: PayloadSummary,
    /// Version, error correction, size.
    pub facts: QrFacts,
    /// One string per row of modules, `1` = dark, without the quiet zone.
    pub rows: Vec<String>,
    /// The exact payload. It holds secrets: the UI shows it only when the technician reveals it.
    pub payload: String,
    /// The enrollment token for typing in by hand (`afw#setup`), when the payload has one.
    /// A secret: shown only when revealed.
    pub token: Option<String>,
}

impl fmt::Debug for QrView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrView")
            .field("summary", &self.summary)
            .field("facts", &self.facts)
            .finish_non_exhaustive()
    }
}

/// A checked payload and its QR code.
#[derive(Debug)]
pub struct EnrollmentQr {
    /// The payload.
    pub payload: Payload,
    /// Its QR code.
    pub code: QrCode,
}

impl WifiInput {
    /// Checks the Wi-Fi settings.
    pub fn to_config(&self) -> Result<WifiConfig, EnrollmentQrError> {
        let security: WifiSecurity = self
            .security
            .parse()
            .map_err(|_| EnrollmentQrError::Security(self.security.clone()))?;
        let password = self.password.as_deref().filter(|p| !p.is_empty());
        Ok(WifiConfig::new(
            &self.ssid,
            security,
            password,
            self.hidden,
        )?)
    }
}

impl EnrollmentQr {
    /// Builds and checks the payload, then encodes it.
    pub fn build(request: &QrRequest) -> Result<EnrollmentQr, EnrollmentQrError> {
        let wifi = request
            .wifi
            .as_ref()
            .map(WifiInput::to_config)
            .transpose()?;
        let payload = match &request.source {
            QrSource::Token { token } => Payload::android_enterprise(token, wifi.as_ref())?,
            QrSource::Export { text } => Payload::from_intune_export(text, wifi.as_ref())?,
            QrSource::Aosp { text } => {
                if wifi.is_some() {
                    return Err(EnrollmentQrError::WifiOnAosp);
                }
                Payload::from_aosp_content(text)?
            }
        };
        let code = QrCode::encode(payload.qr_text().as_bytes())?;
        Ok(EnrollmentQr { payload, code })
    }

    /// The QR of an enrollment profile: its `qrCodeContent` encoded verbatim (reference §1.1,
    /// §2), read as AOSP content or as an Android Enterprise payload. Hand it only a usable
    /// token's content ([`crate::intune::graph::EnrollmentProfile::usable_qr_content`]).
    pub fn from_profile_content(
        content: &str,
        aosp: bool,
    ) -> Result<EnrollmentQr, EnrollmentQrError> {
        let payload = if aosp {
            Payload::from_aosp_content(content)?
        } else {
            Payload::from_qr_code_content(content)?
        };
        let code = QrCode::encode(payload.qr_text().as_bytes())?;
        Ok(EnrollmentQr { payload, code })
    }

    /// The rows of modules as `0`/`1` strings.
    pub fn rows(&self) -> Vec<String> {
        let w = self.code.width();
        (0..w)
            .map(|y| {
                (0..w)
                    .map(|x| if self.code.is_dark(x, y) { '1' } else { '0' })
                    .collect()
            })
            .collect()
    }

    /// What the QR view shows.
    pub fn view(&self) -> QrView {
        QrView {
            summary: self.payload.summary(),
            facts: self.code.facts(),
            rows: self.rows(),
            payload: self.payload.qr_text().to_string(),
            token: self
                .payload
                .enrollment_token()
                .map(|t| t.expose().to_string()),
        }
    }
}
