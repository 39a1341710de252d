//! What a fake device is: its properties, canned shell answers and authentication behaviour.

use std::collections::BTreeMap;
use std::time::Duration;

use super::sync::FakeFile;
use crate::wire::{A_VERSION, A_VERSION_MIN, MAX_PAYLOAD, MAX_PAYLOAD_V1};

/// A canned answer to one exact shell command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellAnswer {
    /// What the command prints on stdout.
    pub stdout: String,
    /// Its exit code (shell v2 only; the raw `shell:` service has none).
    pub exit_code: u8,
}

/// How the fake device treats a host's RSA key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeAuth {
    /// `ro.adb.secure=0`: CNXN straight away.
    Off,
    /// Send a TOKEN; unknown signatures get a new TOKEN; when the host offers its public key the
    /// user "taps Allow": the key is remembered (for later connections too) and CNXN follows.
    AcceptAfterPrompt,
    /// Only these keys (Android public key strings, as in `adbkey.pub`) are accepted; an offered
    /// public key is ignored, so other hosts stay `unauthorized`.
    KnownKeysOnly(Vec<String>),
    /// Never accept: the host stays `unauthorized`.
    Reject,
}

/// Everything a fake device knows about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeDeviceConfig {
    /// The serial, also `ro.serialno` and `ro.boot.serialno`. Through an adb server the
    /// device is listed under its `host:port`, not this.
    pub serial: String,
    /// System properties answered by `getprop`.
    pub properties: BTreeMap<String, String>,
    /// Exact-match shell commands, checked before the built-in ones.
    pub shell_answers: BTreeMap<String, ShellAnswer>,
    /// Authentication behaviour.
    pub auth: FakeAuth,
    /// Features in the CNXN banner; advertise only what the fake implements (`shell_v2`,
    /// `cmd`, `stat_v2`).
    pub banner_features: Vec<String>,
    /// Files the sync service starts with, by absolute path.
    pub files: BTreeMap<String, FakeFile>,
    /// A slow device: wait this long before sending each message.
    pub reply_delay: Duration,
    /// The protocol version announced in CNXN.
    pub version: u32,
    /// The largest payload announced in CNXN; a host WRTE larger than the negotiated size
    /// makes the device drop the connection, as adbd does.
    pub max_payload: usize,
    /// A flaky link: each connection is cut after sending this many bytes (mid-message if it
    /// falls there), as when a cable is pulled during a read. The device keeps listening.
    pub cut_after_bytes: Option<usize>,
}

impl FakeDeviceConfig {
    /// A plausible Android 14 phone with this serial and no authentication.
    pub fn new(serial: &str) -> Self {
        let properties = [
            ("ro.serialno", serial),
            ("ro.boot.serialno", serial),
            ("ro.product.manufacturer", "StageBench"),
            ("ro.product.brand", "stagebench"),
            ("ro.product.model", "FakePhone"),
            ("ro.product.name", "fakephone"),
            ("ro.product.device", "fakephone"),
            ("ro.product.cpu.abi", "arm64-v8a"),
            ("ro.build.version.release", "14"),
            ("ro.build.version.sdk", "34"),
            ("ro.build.id", "UP1A.231005.007"),
            ("ro.build.display.id", "UP1A.231005.007"),
            ("ro.build.type", "user"),
            ("sys.boot_completed", "1"),
        ];
        let config = Self {
            serial: serial.to_owned(),
            properties: properties
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            shell_answers: BTreeMap::new(),
            auth: FakeAuth::Off,
            banner_features: vec!["shell_v2".into(), "cmd".into()],
            files: BTreeMap::new(),
            reply_delay: Duration::ZERO,
            cut_after_bytes: None,
            version: A_VERSION,
            max_payload: MAX_PAYLOAD,
        };
        config.with_fingerprint()
    }

    /// Set one property.
    pub fn property(mut self, key: &str, value: &str) -> Self {
        self.properties.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Answer the exact command `command` with `stdout` and `exit_code`.
    pub fn shell_answer(mut self, command: &str, stdout: &str, exit_code: u8) -> Self {
        let answer = ShellAnswer {
            stdout: stdout.to_owned(),
            exit_code,
        };
        self.shell_answers.insert(command.to_owned(), answer);
        self
    }

    /// Set the authentication behaviour.
    pub fn auth(mut self, auth: FakeAuth) -> Self {
        self.auth = auth;
        self
    }

    /// `ro.product.manufacturer` (and a lower-case `ro.product.brand`).
    pub fn manufacturer(self, manufacturer: &str) -> Self {
        self.property("ro.product.manufacturer", manufacturer)
            .property("ro.product.brand", &manufacturer.to_lowercase())
            .with_fingerprint()
    }

    /// `ro.product.model`.
    pub fn model(self, model: &str) -> Self {
        self.property("ro.product.model", model)
    }

    /// `ro.product.device` and `ro.product.name`.
    pub fn device(self, device: &str) -> Self {
        self.property("ro.product.device", device)
            .property("ro.product.name", device)
            .with_fingerprint()
    }

    /// `ro.build.version.release` and `ro.build.version.sdk`.
    pub fn android(self, release: &str, sdk: u32) -> Self {
        self.property("ro.build.version.release", release)
            .property("ro.build.version.sdk", &sdk.to_string())
            .with_fingerprint()
    }

    /// Replace the banner features.
    pub fn features(mut self, features: &[&str]) -> Self {
        self.banner_features = features.iter().map(|f| (*f).to_owned()).collect();
        self
    }

    /// Start with a file at `path` (mode 0644, mtime 0).
    pub fn file(mut self, path: &str, data: impl Into<Vec<u8>>) -> Self {
        let file = FakeFile {
            data: data.into(),
            mode: 0o644,
            mtime: 0,
        };
        self.files.insert(path.to_owned(), file);
        self
    }

    /// Wait `delay` before sending each message (a slow or busy device).
    pub fn reply_delay(mut self, delay: Duration) -> Self {
        self.reply_delay = delay;
        self
    }

    /// An Android < 9 adbd: protocol version 0x01000000 (checksums required) and 4096-byte
    /// payloads.
    pub fn old_protocol(mut self) -> Self {
        self.version = A_VERSION_MIN;
        self.max_payload = MAX_PAYLOAD_V1;
        self
    }

    /// Cut every connection after sending `bytes` bytes.
    pub fn cut_after_bytes(mut self, bytes: usize) -> Self {
        self.cut_after_bytes = Some(bytes);
        self
    }

    fn prop(&self, key: &str) -> &str {
        self.properties.get(key).map(String::as_str).unwrap_or("")
    }

    /// `ro.build.fingerprint` in Android's `brand/name/device:release/id/incremental:type/tags`
    /// form, kept in step with the helpers above.
    fn with_fingerprint(self) -> Self {
        let fingerprint = format!(
            "{}/{}/{}:{}/{}/1:{}/release-keys",
            self.prop("ro.product.brand"),
            self.prop("ro.product.name"),
            self.prop("ro.product.device"),
            self.prop("ro.build.version.release"),
            self.prop("ro.build.id"),
            self.prop("ro.build.type"),
        );
        self.property("ro.build.fingerprint", &fingerprint)
    }

    /// The CNXN identity:
    /// `device::ro.product.name=…;ro.product.model=…;ro.product.device=…;features=…`.
    pub fn banner(&self) -> String {
        format!(
            "device::ro.product.name={};ro.product.model={};ro.product.device={};features={}",
            self.prop("ro.product.name"),
            self.prop("ro.product.model"),
            self.prop("ro.product.device"),
            self.banner_features.join(","),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sets_the_usual_properties_and_banner() {
        let config = FakeDeviceConfig::new("S1")
            .manufacturer("Zebra")
            .model("TC58")
            .device("tc58")
            .android("13", 33);
        assert_eq!(config.properties["ro.boot.serialno"], "S1");
        assert_eq!(
            config.properties["ro.build.fingerprint"],
            "zebra/tc58/tc58:13/UP1A.231005.007/1:user/release-keys"
        );
        assert_eq!(
            config.banner(),
            "device::ro.product.name=tc58;ro.product.model=TC58;ro.product.device=tc58;features=shell_v2,cmd"
        );
    }
}
