//! Secret text: enrollment tokens and Wi-Fi keys.
//!
//! [`SecretText`] wraps [`secrecy::SecretString`], so the memory is zeroed on drop, and adds
//! what the bench needs: `Debug` and `Display` print `[redacted]`, [`SecretText::masked`] gives
//! a fixed placeholder for the UI, and there is deliberately no `Serialize`, so a secret cannot
//! slip into JSON, a log line or a support bundle by accident. Reading the clear value takes an
//! explicit [`SecretText::expose`].

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// What `Debug` and `Display` print instead of the value.
pub const REDACTED: &str = "[redacted]";

/// What [`SecretText::masked`] returns for any non-empty secret.
///
/// Always eight bullets, whatever the secret: showing the first character or the length would
/// leak part of a short Wi-Fi key, and a technician only needs to see that a value is set.
pub const MASK: &str = "••••••••";

/// A secret string (enrollment token, Wi-Fi key) that never prints itself.
pub struct SecretText(SecretString);

impl SecretText {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The clear value. Call sites that use it should be few and easy to audit.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// A placeholder safe to show or log: [`MASK`] (eight bullets, length hidden), or an empty
    /// string when the secret itself is empty, so "not set" stays visible.
    pub fn masked(&self) -> String {
        if self.expose().is_empty() {
            String::new()
        } else {
            MASK.to_owned()
        }
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl Clone for SecretText {
    fn clone(&self) -> Self {
        Self::new(self.expose())
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for SecretText {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretText {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// Reading a secret from config or a bench pack is fine; writing one out is not (no `Serialize`).
impl<'de> serde::Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SecretString::deserialize(deserializer).map(Self)
    }
}

/// A parser's message (serde's) with every quoted or back-quoted value replaced by `…`: serde
/// quotes the value it rejects (``invalid type: string "hunter2"``, ``integer `12345678` ``), and
/// a value from a document that holds a token or a Wi-Fi key never belongs in an error. What
/// was expected, and the field names serde back-quotes, are lost with them; the kind of
/// mistake stays.
pub fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    let mut escaped = false;
    for c in message.chars() {
        match open {
            None if c == '"' || c == '`' => {
                out.push(c);
                out.push('…');
                open = Some(c);
            }
            None => out.push(c),
            Some(_) if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => {
                out.push(c);
                open = None;
            }
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "hunter2-S3cr3t!";

    #[test]
    fn debug_and_display_never_contain_the_value() {
        let secret = SecretText::new(VALUE);
        for printed in [
            format!("{secret:?}"),
            format!("{secret:#?}"),
            format!("{secret}"),
            format!("{:?}", Some(secret.clone())),
            format!("{:?}", vec![secret.clone()]),
        ] {
            assert!(!printed.contains(VALUE), "{printed}");
            assert!(!printed.contains("hunter"), "{printed}");
            assert!(printed.contains(REDACTED), "{printed}");
        }
    }

    #[test]
    fn expose_returns_the_value_and_clone_keeps_it() {
        let secret = SecretText::from(VALUE);
        assert_eq!(secret.expose(), VALUE);
        assert_eq!(secret.clone().expose(), VALUE);
    }

    #[test]
    fn masked_hides_the_length() {
        assert_eq!(SecretText::new("12345678").masked(), MASK);
        assert_eq!(SecretText::new("x".repeat(63)).masked(), MASK);
        assert_eq!(SecretText::new("").masked(), "");
        assert!(!SecretText::new(VALUE).masked().contains('h'));
    }

    #[test]
    fn deserializes_from_a_json_string() {
        let secret: SecretText = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(secret.expose(), "abc");
    }

    #[test]
    fn parser_messages_lose_their_values() {
        for (json, secret) in [
            (r#""hunter2""#, "hunter2"),
            (r#""a \" quote""#, "quote"),
            ("12345678", "12345678"),
        ] {
            let e = serde_json::from_str::<bool>(json).unwrap_err();
            let shown = without_values(&e.to_string());
            assert!(
                !shown.contains(secret) && shown.contains("invalid type"),
                "{shown}"
            );
        }
    }
}
