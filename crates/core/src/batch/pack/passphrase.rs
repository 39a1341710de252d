//! Pack passphrases: whether one is good enough to protect a pack sent by e-mail, and new
//! random ones that always are.

use rand::Rng;

use super::PackError;
use crate::secret::SecretText;

/// The fewest characters [`check_passphrase`] accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Characters of generated passphrases: digits and capitals without 0/O, 1/I, which people
/// misread (32 of them, so 5 bits each).
const PASSPHRASE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Whether `p` is good enough to protect a pack sent by e-mail: at least
/// [`MIN_PASSPHRASE_CHARS`] characters, at least two kinds of character (lower-case letters,
/// capitals, digits, anything else), at least five different characters, and no space at either
/// end (easily lost when copied).
pub fn check_passphrase(p: &SecretText) -> Result<(), PackError> {
    let p = p.expose();
    let weak = |reason| Err(PackError::WeakPassphrase { reason });
    if p.chars().count() < MIN_PASSPHRASE_CHARS {
        return weak("it is shorter than 12 characters");
    }
    if p.trim() != p {
        return weak("it starts or ends with a space, which is easily lost when it is copied");
    }
    let kinds = [
        p.chars().any(char::is_lowercase),
        p.chars().any(char::is_uppercase),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 {
        return weak("it uses only one kind of character");
    }
    let mut distinct: Vec<char> = p.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return weak("it repeats a few characters");
    }
    Ok(())
}

/// A new random passphrase: six groups of four characters joined by `-`
/// (`K7QF-2ZD9-…`), 120 random bits, from capitals and digits without 0/O and 1/I.
pub fn generate_passphrase() -> SecretText {
    loop {
        let mut rng = rand::rngs::OsRng;
        let mut out = String::with_capacity(29);
        for i in 0..24 {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(char::from(
                PASSPHRASE_ALPHABET[rng.gen_range(0..PASSPHRASE_ALPHABET.len())],
            ));
        }
        let passphrase = SecretText::new(out);
        // Practically always true; looping keeps "generated passes the check" a guarantee.
        if check_passphrase(&passphrase).is_ok() {
            return passphrase;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_rules() {
        for weak in [
            "short1A",
            "alllowercaseletters",
            "ABCDEFGHIJKLMN",
            "123456789012",
            "aaaaaa111111",
            " padded-Pass1 ",
        ] {
            let err = check_passphrase(&SecretText::new(weak)).unwrap_err();
            assert!(
                matches!(err, PackError::WeakPassphrase { .. }),
                "{weak}: {err}"
            );
            assert!(!err.to_string().contains(weak.trim()), "{err}");
        }
        for ok in ["correct horse battery", "Tr0ub4dor&3xyz", "k7qf-2zd9-mnpq"] {
            check_passphrase(&SecretText::new(ok)).unwrap();
        }
    }

    #[test]
    fn generated_passphrases_have_the_documented_shape() {
        let a = generate_passphrase();
        let b = generate_passphrase();
        assert_ne!(a.expose(), b.expose());
        let groups: Vec<&str> = a.expose().split('-').collect();
        assert_eq!(groups.len(), 6);
        assert!(groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|c| PASSPHRASE_ALPHABET.contains(&c))));
        check_passphrase(&a).unwrap();
    }
}
