//! The three standard fonts the writer uses, their WinAnsi encoding and their advance widths.
//!
//! The standard 14 fonts are built into every PDF reader, so nothing is embedded; text is encoded
//! as WinAnsi (Windows code page 1252), which covers Western European accents, the euro sign,
//! typographic quotes, dashes and the ellipsis. Widths come from Adobe's published font metrics
//! (AFM) for Helvetica and Helvetica-Bold: exact for printable ASCII, close for accented letters
//! (taken from the base letter), an average for the rest. Courier is monospaced (600/1000 em).

/// A standard PDF font.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Font {
    /// Helvetica (Arial on most screens).
    Helvetica,
    /// Helvetica-Bold.
    HelveticaBold,
    /// Courier, monospaced: for serials, hashes and fingerprints.
    Courier,
}

impl Font {
    /// Every font, in resource order (`/F1`, `/F2`, `/F3`).
    pub(super) const ALL: [Font; 3] = [Font::Helvetica, Font::HelveticaBold, Font::Courier];

    /// The PostScript name.
    pub(super) fn base_name(self) -> &'static str {
        match self {
            Font::Helvetica => "Helvetica",
            Font::HelveticaBold => "Helvetica-Bold",
            Font::Courier => "Courier",
        }
    }

    /// The page resource name.
    pub(super) fn resource(self) -> &'static str {
        match self {
            Font::Helvetica => "F1",
            Font::HelveticaBold => "F2",
            Font::Courier => "F3",
        }
    }

    /// Advance width of one WinAnsi code, in 1/1000 em.
    fn advance(self, code: u8) -> u16 {
        let table = match self {
            Font::Courier => return 600,
            Font::Helvetica => &HELVETICA,
            Font::HelveticaBold => &HELVETICA_BOLD,
        };
        match code {
            0x20..=0x7e => table[usize::from(code - 0x20)],
            0x85 | 0x97 | 0x89 | 0x8c | 0x99 => 1000, // … — ‰ Œ ™
            0x95 => 350,                              // •
            0xa0 | 0xb7 => 278,                       // no-break space, middle dot
            0xa9 | 0xae => 737,                       // © ®
            0xb0 => 400,                              // °
            0xc6 => 1000,                             // Æ
            0xe6 => 889,                              // æ
            0xc0..=0xff => match ACCENTED_BASE.as_bytes().get(usize::from(code - 0xc0)) {
                Some(&base) => table[usize::from(base - 0x20)],
                None => 556,
            },
            _ => 556,
        }
    }
}

/// For 0xC0..=0xFF, the ASCII letter whose width the accented letter shares (`#`: handled above;
/// `+` for × and ÷, which are as wide as plus; `I` for ì í î ï, which are as wide as I).
const ACCENTED_BASE: &str = "AAAAAA#CEEEEIIIIDNOOOOO+OUUUUYPbaaaaaa#ceeeeIIIIonooooo+ouuuuypy";

/// Helvetica, codes 0x20..=0x7E (AFM widths; 0x27 is quotesingle and 0x60 grave in WinAnsi).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space-/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0-?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @-O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P-_
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `-o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p-~
];

/// Helvetica-Bold, codes 0x20..=0x7E.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // space-/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0-?
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // @-O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // P-_
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // `-o
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // p-~
];

/// The WinAnsi code of `c`, or `None` when the encoding has no such character.
pub fn win_ansi(c: char) -> Option<u8> {
    let code = match c {
        ' '..='~' => c as u8,
        // Latin-1's upper half is the same in WinAnsi.
        '\u{a0}'..='\u{ff}' => c as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    };
    Some(code)
}

/// `text` in WinAnsi: tabs and line breaks become spaces (a text call draws one line), any other
/// character the encoding lacks becomes `?`.
pub fn encode(text: &str) -> Vec<u8> {
    text.chars().map(encode_char).collect()
}

fn encode_char(c: char) -> u8 {
    match c {
        '\t' | '\n' | '\r' => b' ',
        c => win_ansi(c).unwrap_or(b'?'),
    }
}

/// The width of `text` set in `font` at `size` points, in points (as drawn: unmappable characters
/// count as `?`).
pub fn text_width(font: Font, size: f32, text: &str) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| u32::from(font.advance(encode_char(c))))
        .sum();
    units as f32 * size / 1000.0
}

/// `text` cut so that it fits in `max_width` points, ending in `…` when cut (empty when not even
/// the ellipsis fits).
pub fn fit_width(font: Font, size: f32, text: &str, max_width: f32) -> String {
    if text_width(font, size, text) <= max_width {
        return text.to_owned();
    }
    let scale = size / 1000.0;
    let budget = max_width - f32::from(font.advance(0x85)) * scale;
    if budget < 0.0 {
        return String::new();
    }
    let mut used = 0.0;
    let mut out = String::new();
    for c in text.chars() {
        used += f32::from(font.advance(encode_char(c))) * scale;
        if used > budget {
            break;
        }
        out.push(c);
    }
    // No dangling space before the ellipsis.
    let kept = out.trim_end().len();
    out.truncate(kept);
    out.push('…');
    out
}

/// `text` broken at spaces into lines of at most `max_width` points (a word wider than a line is
/// broken between characters), at most `max_lines` of them: when more would be needed, the last
/// line is cut with `…`. Always at least one line (maybe empty).
pub fn wrap_lines(
    font: Font,
    size: f32,
    text: &str,
    max_width: f32,
    max_lines: usize,
) -> Vec<String> {
    let max_lines = max_lines.max(1);
    let width = |s: &str| text_width(font, size, s);
    let space = width(" ");
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_width = 0.0;
    let mut full = false;
    'words: for word in text.split([' ', '\t', '\n']).filter(|w| !w.is_empty()) {
        let word_width = width(word);
        if current.is_empty() && word_width <= max_width {
            current = word.to_owned();
            current_width = word_width;
            continue;
        }
        if !current.is_empty() && current_width + space + word_width <= max_width {
            current.push(' ');
            current.push_str(word);
            current_width += space + word_width;
            continue;
        }
        // The word starts a new line (a word wider than a line fills as many as it needs).
        let pieces: Vec<char> = word.chars().collect();
        let mut rest = &pieces[..];
        loop {
            if !current.is_empty() {
                if lines.len() + 1 == max_lines {
                    full = true;
                    lines.push(std::mem::take(&mut current));
                    break 'words;
                }
                lines.push(std::mem::take(&mut current));
                current_width = 0.0;
            }
            if rest.is_empty() {
                break;
            }
            let mut taken = 0;
            for c in rest {
                let mut buf = [0u8; 4];
                let w = width(c.encode_utf8(&mut buf));
                if taken > 0 && current_width + w > max_width {
                    break;
                }
                current.push(*c);
                current_width += w;
                taken += 1;
            }
            rest = &rest[taken..];
            if rest.is_empty() {
                break;
            }
        }
    }
    if full {
        if let Some(last) = lines.last_mut() {
            *last = fit_width(font, size, &format!("{last}…"), max_width);
        }
    } else if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_western_european_text() {
        assert_eq!(encode("Zoë Müller"), b"Zo\xeb M\xfcller");
        assert_eq!(
            encode("€ – — … “x”"),
            [0x80, b' ', 0x96, b' ', 0x97, b' ', 0x85, b' ', 0x93, b'x', 0x94]
        );
        assert_eq!(encode("a\tb\nc 漢 😀"), b"a b c ? ?");
    }

    #[test]
    fn widths_follow_the_metrics() {
        assert_eq!(text_width(Font::Helvetica, 10.0, "Hello"), 22.78);
        assert_eq!(text_width(Font::HelveticaBold, 10.0, "Hello"), 24.45);
        assert_eq!(text_width(Font::Courier, 10.0, "Hello"), 30.0);
        assert_eq!(
            text_width(Font::Helvetica, 10.0, "é"),
            text_width(Font::Helvetica, 10.0, "e")
        );
        assert_eq!(text_width(Font::Helvetica, 1000.0, "…"), 1000.0);
    }

    #[test]
    fn text_wraps_at_spaces_and_is_cut_after_the_last_line() {
        let w = |t: &str, width: f32, max: usize| wrap_lines(Font::Courier, 10.0, t, width, max);
        // Courier 10 pt: 6 pt per character.
        assert_eq!(w("aa bb cc", 30.0, 3), ["aa bb", "cc"]);
        assert_eq!(w("  aa   bb ", 60.0, 3), ["aa bb"]);
        assert_eq!(w("", 60.0, 3), [""]);
        assert_eq!(w("abcdefghijkl", 30.0, 5), ["abcde", "fghij", "kl"]);
        assert_eq!(w("aa bb cc dd", 30.0, 2), ["aa bb", "cc dd"]);
        assert_eq!(w("aa bb cc dd ee", 30.0, 2), ["aa bb", "cc d…"]);
        assert_eq!(w("aaaaa bbbbb ccccc", 30.0, 2), ["aaaaa", "bbbb…"]);
        assert_eq!(w("aa abcdefghijkl", 30.0, 2), ["aa", "abcd…"]);
        assert_eq!(w("x", 30.0, 0), ["x"], "at least one line");
        for line in w(&"word ".repeat(200), 100.0, 4) {
            assert!(text_width(Font::Courier, 10.0, &line) <= 100.0, "{line}");
        }
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let text = "Warehouse scanners, wave 3";
        assert_eq!(fit_width(Font::Helvetica, 10.0, text, 500.0), text);
        let cut = fit_width(Font::Helvetica, 10.0, text, 60.0);
        assert!(cut.ends_with('…') && cut.len() < text.len(), "{cut}");
        assert!(text_width(Font::Helvetica, 10.0, &cut) <= 60.0);
        assert_eq!(fit_width(Font::Courier, 10.0, "abcdef", 30.0), "abcd…");
        assert_eq!(fit_width(Font::Helvetica, 10.0, "abc", 1.0), "");
    }
}
