//! Code 128 (ISO/IEC 15417) encoder: code sets B and C, switching to C for runs of digits,
//! the modulo-103 check symbol and the stop pattern.
//!
//! Symbols are kept as values (0–106) so tests can compare them with the spec's worked
//! examples; [`Code128::modules`] expands them to bars and spaces. Widths come from the spec's
//! symbol table: six alternating bar/space widths (1–4 modules) adding up to 11, and the stop
//! pattern's seven widths adding up to 13.

/// Light modules required on each side of the symbol.
pub const QUIET_ZONE: usize = 10;

/// Start symbol for code set B.
pub const START_B: u8 = 104;
/// Start symbol for code set C.
pub const START_C: u8 = 105;
/// "Switch to code set C" (in set B).
pub const CODE_C: u8 = 99;
/// "Switch to code set B" (in set C).
pub const CODE_B: u8 = 100;
/// The stop symbol.
pub const STOP: u8 = 106;

/// Bar/space widths of symbols 0–105, bar first (ISO/IEC 15417 table 1).
const WIDTHS: [&[u8; 6]; 106] = [
    b"212222", b"222122", b"222221", b"121223", b"121322", b"131222", b"122213", b"122312",
    b"132212", b"221213", b"221312", b"231212", b"112232", b"122132", b"122231", b"113222",
    b"123122", b"123221", b"223211", b"221132", b"221231", b"213212", b"223112", b"312131",
    b"311222", b"321122", b"321221", b"312212", b"322112", b"322211", b"212123", b"212321",
    b"232121", b"111323", b"131123", b"131321", b"112313", b"132113", b"132311", b"211313",
    b"231113", b"231311", b"112133", b"112331", b"132131", b"113123", b"113321", b"133121",
    b"313121", b"211331", b"231131", b"213113", b"213311", b"213131", b"311123", b"311321",
    b"331121", b"312113", b"312311", b"332111", b"314111", b"221411", b"431111", b"111224",
    b"111422", b"121124", b"121421", b"141122", b"141221", b"112214", b"112412", b"122114",
    b"122411", b"142112", b"142211", b"241211", b"221114", b"413111", b"241112", b"134111",
    b"111242", b"121142", b"121241", b"114212", b"124112", b"124211", b"411212", b"421112",
    b"421211", b"212141", b"214121", b"412121", b"111143", b"111341", b"131141", b"114113",
    b"114311", b"411113", b"411311", b"113141", b"114131", b"311141", b"411131", b"211412",
    b"211214", b"211232",
];

/// The stop pattern's widths (the stop symbol plus its 2-module termination bar).
const STOP_WIDTHS: &[u8; 7] = b"2331112";

/// Why text can't be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Code128Error {
    /// Nothing to encode.
    #[error("a Code 128 barcode needs at least one character")]
    Empty,
    /// A character outside printable ASCII (code set B covers space to `~`).
    #[error("{0:?} can't be put in a Code 128 barcode here: only printable ASCII (space to ~) is supported")]
    Unsupported(char),
}

/// An encoded Code 128 symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code128 {
    symbols: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Set {
    B,
    C,
}

/// Length of the run of ASCII digits starting at `from`.
fn digit_run(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

impl Code128 {
    /// Encodes `text`, choosing code sets so the symbol is short: set C (two digits per
    /// symbol) for a run of at least 4 digits at the start or end of the text or 6 digits in
    /// the middle, set B for everything else. An odd run puts its first digit in set B.
    pub fn encode(text: &str) -> Result<Code128, Code128Error> {
        if text.is_empty() {
            return Err(Code128Error::Empty);
        }
        if let Some(bad) = text.chars().find(|c| !(' '..='~').contains(c)) {
            return Err(Code128Error::Unsupported(bad));
        }
        let bytes = text.as_bytes();
        let mut symbols = Vec::with_capacity(bytes.len() + 4);
        let mut i = 0;
        let mut set: Option<Set> = None;
        while i < bytes.len() {
            let run = digit_run(bytes, i);
            let at_start = i == 0;
            let to_end = i + run == bytes.len();
            let worth_c = if at_start || to_end {
                run >= 4
            } else {
                run >= 6
            };
            // An odd run goes to set C one digit late, so the pairs line up with its end.
            let worth_c_now = worth_c && (run.is_multiple_of(2) || set == Some(Set::C));
            if set == Some(Set::C) && run >= 2 {
                symbols.push((bytes[i] - b'0') * 10 + (bytes[i + 1] - b'0'));
                i += 2;
                continue;
            }
            if worth_c_now {
                symbols.push(if set.is_none() { START_C } else { CODE_C });
                set = Some(Set::C);
                continue;
            }
            match set {
                None => symbols.push(START_B),
                Some(Set::C) => symbols.push(CODE_B),
                Some(Set::B) => {}
            }
            set = Some(Set::B);
            symbols.push(bytes[i] - b' ');
            i += 1;
        }
        let check = symbols
            .iter()
            .enumerate()
            .map(|(pos, &value)| u32::from(value) * (pos.max(1) as u32))
            .sum::<u32>()
            % 103;
        symbols.push(check as u8);
        symbols.push(STOP);
        Ok(Code128 { symbols })
    }

    /// The symbol values: start, data (with code-set switches), check symbol, stop.
    pub fn symbols(&self) -> &[u8] {
        &self.symbols
    }

    /// Modules without the quiet zones: 11 per symbol, 13 for the stop pattern.
    pub fn width_modules(&self) -> usize {
        (self.symbols.len() - 1) * 11 + 13
    }

    /// Modules including [`QUIET_ZONE`] on both sides.
    pub fn side_modules(&self) -> usize {
        self.width_modules() + 2 * QUIET_ZONE
    }

    /// The modules left to right, `true` for a bar, without the quiet zones.
    pub fn modules(&self) -> Vec<bool> {
        let mut out = Vec::with_capacity(self.width_modules());
        for &symbol in &self.symbols {
            let widths: &[u8] = if symbol == STOP {
                STOP_WIDTHS
            } else {
                WIDTHS[usize::from(symbol)]
            };
            for (k, &w) in widths.iter().enumerate() {
                let bar = k % 2 == 0;
                out.extend(std::iter::repeat_n(bar, usize::from(w - b'0')));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symbol_is_eleven_modules_of_three_bars() {
        for (value, widths) in WIDTHS.iter().enumerate() {
            let sum: u32 = widths.iter().map(|w| u32::from(w - b'0')).sum();
            assert_eq!(sum, 11, "symbol {value}");
            assert!(
                widths.iter().all(|w| (b'1'..=b'4').contains(w)),
                "symbol {value}"
            );
        }
        let stop: u32 = STOP_WIDTHS.iter().map(|w| u32::from(w - b'0')).sum();
        assert_eq!(stop, 13);
        let mut distinct: Vec<_> = WIDTHS.to_vec();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 106, "patterns must be distinct");
    }

    #[test]
    fn samsung_serial_switches_to_set_c_for_trailing_digits() {
        // R 5 C R in set B, then Code C, 10 00 01; check (104 + 1·50 + 2·21 + 3·35 + 4·50
        // + 5·99 + 6·10 + 7·0 + 8·1) mod 103 = 1064 mod 103 = 34.
        let code = Code128::encode("R5CR100001").unwrap();
        assert_eq!(
            code.symbols(),
            &[START_B, 50, 21, 35, 50, CODE_C, 10, 0, 1, 34, STOP]
        );
    }

    #[test]
    fn digits_only_use_set_c_from_the_start() {
        // 105 + 1·12 + 2·34 + 3·56 = 353; 353 mod 103 = 44.
        let code = Code128::encode("123456").unwrap();
        assert_eq!(code.symbols(), &[START_C, 12, 34, 56, 44, STOP]);
    }

    #[test]
    fn odd_leading_run_starts_in_b_and_pairs_the_rest() {
        // 12345: too odd to start in C; "1" in B, then C for 23 45.
        let code = Code128::encode("12345").unwrap();
        assert_eq!(&code.symbols()[..5], &[START_B, 17, CODE_C, 23, 45]);
        let check = (104 + 17 + 2 * 99 + 3 * 23 + 4 * 45) % 103;
        assert_eq!(code.symbols()[5], check as u8);
    }

    #[test]
    fn short_digit_runs_in_the_middle_stay_in_b() {
        let code = Code128::encode("AB1234CD").unwrap();
        assert!(!code.symbols().contains(&CODE_C));
        let code = Code128::encode("AB123456CD").unwrap();
        assert_eq!(&code.symbols()[..6], &[START_B, 33, 34, CODE_C, 12, 34]);
        assert_eq!(&code.symbols()[6..9], &[56, CODE_B, 35]);
    }

    #[test]
    fn modules_add_up_and_start_with_a_bar() {
        let code = Code128::encode("R5CR100001").unwrap();
        let modules = code.modules();
        assert_eq!(modules.len(), code.width_modules());
        assert_eq!(modules.len(), 10 * 11 + 13);
        assert!(modules[0] && *modules.last().unwrap());
    }

    #[test]
    fn refuses_empty_and_non_ascii() {
        assert_eq!(Code128::encode(""), Err(Code128Error::Empty));
        assert_eq!(
            Code128::encode("SN\u{e9}"),
            Err(Code128Error::Unsupported('\u{e9}'))
        );
        assert_eq!(
            Code128::encode("A\tB"),
            Err(Code128Error::Unsupported('\t'))
        );
    }
}
