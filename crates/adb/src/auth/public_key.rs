//! Android's public key format (`adbkey.pub`, AUTH(RSAPUBLICKEY), `/data/misc/adb/adb_keys`) and
//! token signature checks.
//!
//! The key is `base64(RSAPublicKey) + " user@host"`, where `RSAPublicKey` is 524 bytes of
//! little-endian u32 words: modulus size in words (64), `n0inv = -1/n mod 2^32`, the modulus
//! (256 bytes LE), `rr = R^2 mod n` with `R = 2^2048` (256 bytes LE), and the exponent.

use base64::Engine as _;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use thiserror::Error;

/// Bits in an adb key.
pub const KEY_BITS: usize = 2048;
const WORDS: usize = KEY_BITS / 32;
const MODULUS_BYTES: usize = KEY_BITS / 8;
/// Size of the binary `RSAPublicKey` blob.
pub const PUBLIC_KEY_BLOB_LEN: usize = 4 + 4 + MODULUS_BYTES + MODULUS_BYTES + 4;

/// Why an Android public key string could not be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PublicKeyError {
    /// The first word is not base64.
    #[error("android public key is not base64 ({0}); expected the text of an adbkey.pub file")]
    Base64(String),
    /// The blob has the wrong size.
    #[error("android public key blob is {0} bytes, expected {PUBLIC_KEY_BLOB_LEN} (RSA-2048); only 2048-bit adb keys are supported")]
    BlobLength(usize),
    /// The word count is not 64.
    #[error("android public key says {0} modulus words, expected 64 (RSA-2048)")]
    Words(u32),
    /// Modulus or exponent rejected by the RSA library.
    #[error("android public key has an invalid modulus or exponent: {0}")]
    Invalid(String),
}

/// The 524-byte `RSAPublicKey` blob for a 2048-bit key.
pub fn encode_public_key_blob(key: &RsaPublicKey) -> Vec<u8> {
    let n = key.n();
    let mut modulus = n.to_bytes_le();
    modulus.resize(MODULUS_BYTES, 0);
    let n0 = u32::from_le_bytes([modulus[0], modulus[1], modulus[2], modulus[3]]);
    // Newton's iteration for the inverse of an odd number mod 2^32: each step doubles the
    // correct low bits (3 → 6 → 12 → 24 → 48).
    let mut inverse = n0;
    for _ in 0..4 {
        inverse = inverse.wrapping_mul(2u32.wrapping_sub(n0.wrapping_mul(inverse)));
    }
    let rr = (BigUint::from(1u8) << (2 * KEY_BITS)) % n;
    let mut rr = rr.to_bytes_le();
    rr.resize(MODULUS_BYTES, 0);
    let mut exponent = key.e().to_bytes_le();
    exponent.resize(4, 0);
    let exponent = [exponent[0], exponent[1], exponent[2], exponent[3]];

    let mut blob = Vec::with_capacity(PUBLIC_KEY_BLOB_LEN);
    blob.extend_from_slice(&(WORDS as u32).to_le_bytes());
    blob.extend_from_slice(&inverse.wrapping_neg().to_le_bytes());
    blob.extend_from_slice(&modulus);
    blob.extend_from_slice(&rr);
    blob.extend_from_slice(&exponent);
    blob
}

/// `base64(blob) + " " + comment`, the text of an `adbkey.pub` file (without newline).
pub fn format_android_public_key(key: &RsaPublicKey, comment: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(encode_public_key_blob(key));
    format!("{encoded} {comment}")
}

/// Parse the text of an `adbkey.pub` file or an AUTH(RSAPUBLICKEY) payload (a trailing NUL and
/// the `user@host` comment are ignored). Like adbd, only the modulus and exponent are read.
pub fn parse_android_public_key(text: &str) -> Result<RsaPublicKey, PublicKeyError> {
    let word = text
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .split_whitespace()
        .next()
        .unwrap_or("");
    let blob = base64::engine::general_purpose::STANDARD
        .decode(word)
        .map_err(|e| PublicKeyError::Base64(e.to_string()))?;
    if blob.len() != PUBLIC_KEY_BLOB_LEN {
        return Err(PublicKeyError::BlobLength(blob.len()));
    }
    let u32_at = |i: usize| u32::from_le_bytes([blob[i], blob[i + 1], blob[i + 2], blob[i + 3]]);
    let words = u32_at(0);
    if words as usize != WORDS {
        return Err(PublicKeyError::Words(words));
    }
    let modulus = BigUint::from_bytes_le(&blob[8..8 + MODULUS_BYTES]);
    let exponent = BigUint::from(u32_at(PUBLIC_KEY_BLOB_LEN - 4));
    RsaPublicKey::new(modulus, exponent).map_err(|e| PublicKeyError::Invalid(e.to_string()))
}

/// The signature scheme adb uses: PKCS#1 v1.5 with the SHA-1 DigestInfo prefix, where the
/// 20-byte token itself stands in for the digest (it is not hashed again).
pub fn token_signature_scheme() -> Pkcs1v15Sign {
    Pkcs1v15Sign::new::<sha1::Sha1>()
}

/// Whether `signature` is `key`'s adb signature of `token` (what adbd checks on AUTH(SIGNATURE)).
pub fn verify_token_signature(key: &RsaPublicKey, token: &[u8], signature: &[u8]) -> bool {
    key.verify(token_signature_scheme(), token, signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_wrong_sizes_and_garbage() {
        assert!(matches!(
            parse_android_public_key("!!!"),
            Err(PublicKeyError::Base64(_))
        ));
        assert_eq!(
            parse_android_public_key("QUJD user@host"),
            Err(PublicKeyError::BlobLength(3))
        );
        let mut blob = vec![0u8; PUBLIC_KEY_BLOB_LEN];
        blob[0] = 32;
        let text = base64::engine::general_purpose::STANDARD.encode(blob);
        assert_eq!(
            parse_android_public_key(&text),
            Err(PublicKeyError::Words(32))
        );
    }
}
