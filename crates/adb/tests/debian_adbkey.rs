//! Key files made by Debian's real `adb` (1.0.41) read by `AdbKey`, and our Android public key
//! encoding checked byte for byte against adb's own `adbkey.pub`.

use stagebench_adb::auth::{parse_android_public_key, verify_token_signature};
use stagebench_adb::AdbKey;

#[test]
fn debian_adb_key_files_parse_and_match_our_encoding() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("adbkey");
    let output = stagebench_adb::testing::adb_command(home.path())
        .arg("keygen")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "adb keygen failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(
        pem.starts_with("-----BEGIN PRIVATE KEY-----"),
        "Debian adb writes PKCS#8"
    );
    let key = AdbKey::load(&path).unwrap();
    let theirs = std::fs::read_to_string(home.path().join("adbkey.pub")).unwrap();
    let public = parse_android_public_key(&theirs).unwrap();
    assert_eq!(
        public,
        key.public_key(),
        "adbkey.pub modulus/exponent match the private key"
    );

    // Same blob (words, n0inv, modulus, rr, exponent); only the user@host comment may differ.
    let ours = key.android_public_key();
    assert_eq!(ours.split(' ').next(), theirs.split(' ').next());

    let token = [0x5au8; 20];
    assert!(verify_token_signature(
        &public,
        &token,
        &key.sign_token(&token)
    ));
}
