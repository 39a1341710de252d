//! Client assertions as the fake checks them, and certificates for tests.

use std::time::Duration;

use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use rsa::RsaPublicKey;
use serde_json::Value;
use sha2::Sha256;
use time::OffsetDateTime;

use crate::intune::auth::from_base64url;
use crate::secret::SecretText;

pub(super) fn claims_of(jwt: &str) -> Option<Value> {
    serde_json::from_slice(&from_base64url(jwt.split('.').nth(1)?)?).ok()
}

/// Checks a client assertion as Entra does; the reason when it fails.
pub(super) fn check_assertion(
    assertion: &str,
    certificates: &[(String, RsaPublicKey)],
    client_id: &str,
    token_url: &str,
    now: OffsetDateTime,
) -> Result<(), String> {
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, _payload, signature] = parts.as_slice() else {
        return Err("not a JWT".into());
    };
    let header: Value = from_base64url(header)
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or("unreadable header")?;
    if header["alg"] != "RS256" {
        return Err(format!("alg {} is not RS256", header["alg"]));
    }
    let x5t = header["x5t"].as_str().ok_or("no x5t in the header")?;
    let (_, key) = certificates
        .iter()
        .find(|(t, _)| t == x5t)
        .ok_or("the certificate (x5t) is not registered on the application")?;
    let signature = from_base64url(signature)
        .and_then(|s| Signature::try_from(s.as_slice()).ok())
        .ok_or("unreadable signature")?;
    let signed = &assertion[..header_payload_len(assertion)];
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| "the signature does not verify with the registered certificate")?;
    let claims = claims_of(assertion).ok_or("unreadable claims")?;
    if claims["aud"] != token_url {
        return Err(format!("aud {} is not {token_url}", claims["aud"]));
    }
    if claims["iss"] != client_id || claims["sub"] != client_id {
        return Err("iss and sub must be the client id".into());
    }
    let t = now.unix_timestamp();
    let (exp, nbf) = (
        claims["exp"].as_i64().ok_or("no exp")?,
        claims["nbf"].as_i64().ok_or("no nbf")?,
    );
    // Five minutes of clock skew, as Entra allows.
    if exp <= t || nbf > t + 300 {
        return Err("the assertion is not within its valid time range".into());
    }
    if claims["jti"].as_str().is_none_or(str::is_empty) {
        return Err("no jti".into());
    }
    Ok(())
}

fn header_payload_len(jwt: &str) -> usize {
    jwt.rfind('.').unwrap_or(0)
}

/// A self-signed RSA-2048 certificate and its PKCS#8 private key, both PEM, for certificate sign-in tests.
pub fn test_certificate(common_name: &str) -> (String, SecretText) {
    use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
    use std::str::FromStr as _;
    use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
    use x509_cert::der::EncodePem as _;

    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("an RSA key");
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
    let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::from_key(key.to_public_key())
        .expect("a public key");
    let subject = x509_cert::name::Name::from_str(&format!("CN={common_name}")).expect("a name");
    let validity = x509_cert::time::Validity::from_now(Duration::from_secs(365 * 24 * 3600))
        .expect("a validity");
    let serial = x509_cert::serial_number::SerialNumber::from(u32::from_be_bytes(rand::random()));
    let certificate =
        CertificateBuilder::new(Profile::Root, serial, validity, subject, spki, &signer)
            .expect("a builder")
            .build::<Signature>()
            .expect("a certificate");
    let pem = certificate.to_pem(LineEnding::LF).expect("PEM");
    let key_pem = key.to_pkcs8_pem(LineEnding::LF).expect("PEM key");
    (pem, SecretText::new(key_pem.as_str()))
}
