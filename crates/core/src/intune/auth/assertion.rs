//! Certificate credentials: a JWT client assertion signed with the certificate's private key.
//!
//! Format (MicrosoftDocs/entra-docs `docs/identity-platform/certificate-credentials.md`, 2024-04
//! revision; RFC 7523 for the jwt-bearer client assertion): header `alg` = `RS256`, `typ` = `JWT`,
//! `x5t` = base64url of the SHA-1 thumbprint of the DER certificate (the page's example: hex
//! `84E05C1D98BCE3A5421D225B140B36E86A3D5534` → `hOBcHZi846VCHSJbFAs26Go9VTQ`); claims `aud` =
//! the token endpoint `…/{tenant}/oauth2/v2.0/token`, `iss` = `sub` = the client id, a unique
//! `jti`, and `nbf`/`iat`/`exp` in seconds (exp at most 5–10 minutes after nbf). It is sent as
//! `client_assertion` with `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
//! (intune-android-adb.md §3.7). The current learn.microsoft.com page recommends `PS256` with
//! `x5t#S256` (SHA-256 thumbprint) instead; RS256 with `x5t` is the older form, still accepted.

use std::fmt;
use std::path::Path;

use rand::RngCore as _;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use rsa::signature::{SignatureEncoding as _, Signer as _};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use time::OffsetDateTime;
use x509_cert::der::{Decode as _, Encode as _};

use super::claims::base64url;
use crate::intune::SignInError;
use crate::secret::SecretText;

/// `client_assertion_type` for a certificate-signed JWT.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: long enough for one token request, short if it leaks.
const LIFETIME_SECONDS: i64 = 600;

/// An app registration's certificate with its private key. Prints only the thumbprint.
pub struct ClientCertificate {
    der: Vec<u8>,
    key: RsaPrivateKey,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// From PEM text: an X.509 certificate and its unencrypted RSA private key (PKCS#8
    /// `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`). The key must belong to the
    /// certificate.
    pub fn from_pem(
        certificate_pem: &str,
        private_key_pem: &SecretText,
    ) -> Result<ClientCertificate, SignInError> {
        let der = certificate_der(certificate_pem)?;
        let key = RsaPrivateKey::from_pkcs8_pem(private_key_pem.expose())
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(private_key_pem.expose()))
            .map_err(|_| SignInError::Config(
                "the private key is not an unencrypted RSA key in PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY); export it without a password, e.g. `openssl pkcs8 -topk8 -nocrypt`".into(),
            ))?;
        let certificate = ClientCertificate { der, key };
        if certificate.public_key()? != RsaPublicKey::from(&certificate.key) {
            return Err(SignInError::Config(format!(
                "the private key does not belong to the certificate {}: give the key the certificate was made with",
                certificate.thumbprint()
            )));
        }
        Ok(certificate)
    }

    /// Reads both PEM files. Errors name the file and what is wrong with it.
    pub fn load(certificate: &Path, private_key: &Path) -> Result<ClientCertificate, SignInError> {
        let read = |path: &Path, what: &'static str| {
            let limit = crate::limits::SMALL_FILE.named(what);
            crate::limits::read_text_file(path, &limit)
                .map_err(|e| SignInError::Config(e.to_string()))
        };
        let cert = read(certificate, "certificate")?;
        let key = SecretText::new(read(private_key, "private key")?);
        ClientCertificate::from_pem(&cert, &key).map_err(|e| match e {
            SignInError::Config(m) => SignInError::Config(format!(
                "{} / {}: {m}",
                certificate.display(),
                private_key.display()
            )),
            other => other,
        })
    }

    /// The SHA-1 thumbprint as the Entra admin center shows it (40 upper-case hex digits).
    pub fn thumbprint(&self) -> String {
        Sha1::digest(&self.der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    /// The `x5t` header value: base64url of the SHA-1 thumbprint.
    pub fn x5t(&self) -> String {
        x5t_of(&self.der)
    }

    fn public_key(&self) -> Result<RsaPublicKey, SignInError> {
        public_key_of(&self.der)
    }

    /// A signed client assertion for `client_id` at `token_url`, valid from `now` for ten minutes.
    pub fn assertion(&self, client_id: &str, token_url: &str, now: OffsetDateTime) -> SecretText {
        let mut jti = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut jti);
        let jti: String = jti.iter().map(|b| format!("{b:02x}")).collect();
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t()});
        let t = now.unix_timestamp();
        let claims = serde_json::json!({
            "aud": token_url, "iss": client_id, "sub": client_id, "jti": jti,
            "nbf": t, "iat": t, "exp": t + LIFETIME_SECONDS,
        });
        let signing_input = format!(
            "{}.{}",
            base64url(header.to_string().as_bytes()),
            base64url(claims.to_string().as_bytes())
        );
        let signature = SigningKey::<Sha256>::new(self.key.clone()).sign(signing_input.as_bytes());
        SecretText::new(format!(
            "{signing_input}.{}",
            base64url(&signature.to_bytes())
        ))
    }
}

/// The DER bytes of a PEM certificate (the first `CERTIFICATE` block; other blocks are skipped).
pub fn certificate_der(certificate_pem: &str) -> Result<Vec<u8>, SignInError> {
    let begin = "-----BEGIN CERTIFICATE-----";
    let end = "-----END CERTIFICATE-----";
    let block = certificate_pem
        .find(begin)
        .and_then(|start| {
            certificate_pem[start..]
                .find(end)
                .map(|len| &certificate_pem[start..start + len + end.len()])
        })
        .ok_or_else(|| {
            SignInError::Config(
                "no PEM certificate (BEGIN CERTIFICATE) found: give the certificate in PEM form"
                    .into(),
            )
        })?;
    let cert =
        <x509_cert::Certificate as x509_cert::der::DecodePem>::from_pem(block).map_err(|e| {
            SignInError::Config(format!(
                "the certificate can't be read ({e}): give an X.509 certificate in PEM form"
            ))
        })?;
    cert.to_der()
        .map_err(|e| SignInError::Config(format!("the certificate can't be encoded ({e})")))
}

/// The `x5t` of a DER certificate: base64url of its SHA-1 thumbprint.
pub fn x5t_of(der: &[u8]) -> String {
    base64url(&Sha1::digest(der))
}

/// The RSA public key of a DER certificate.
pub fn public_key_of(der: &[u8]) -> Result<RsaPublicKey, SignInError> {
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| SignInError::Config(format!("the certificate can't be read ({e})")))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| {
            SignInError::Config(format!("the certificate's public key can't be read ({e})"))
        })?;
    RsaPublicKey::from_public_key_der(&spki)
        .map_err(|_| SignInError::Config("the certificate's key is not RSA: Entra client assertions here are RS256, so use an RSA certificate".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x5t_is_base64url_of_the_sha1_thumbprint_as_in_microsofts_example() {
        let hex = "84E05C1D98BCE3A5421D225B140B36E86A3D5534";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(base64url(&bytes), "hOBcHZi846VCHSJbFAs26Go9VTQ");
    }

    #[test]
    fn unreadable_pem_says_what_to_give() {
        let key = SecretText::new("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----");
        let e = ClientCertificate::from_pem("not a cert", &key)
            .unwrap_err()
            .to_string();
        assert!(e.contains("BEGIN CERTIFICATE"), "{e}");
        let e = ClientCertificate::load(
            Path::new("/nonexistent/cert.pem"),
            Path::new("/nonexistent/key.pem"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("/nonexistent/cert.pem") && e.contains("check the path"),
            "{e}"
        );
    }
}
