//! CSV for spreadsheets (RFC 4180, CRLF line ends, UTF-8 with a byte-order mark so Excel reads
//! accents right).
//!
//! Two things spreadsheets get wrong with bench data, and what this writer does about them:
//! - **Long numbers.** Excel and LibreOffice turn a 15-digit IMEI into `3.58240E+14` and drop
//!   leading zeros from serials. Cells written with [`Csv::text`] that look like numbers are
//!   written as the formula `="…"`, which both show as the exact text (and which any other CSV
//!   reader still recognises by its `="` … `"` wrapping).
//! - **Formula injection.** A serial or a device name that starts with `=`, `+`, `-`, `@`, a tab
//!   or a carriage return would run as a formula; such cells get a leading `'`.

/// Builds a CSV document row by row.
#[derive(Debug, Clone)]
pub struct Csv {
    out: String,
    columns: usize,
}

/// A byte-order mark: Excel reads UTF-8 CSV correctly only with one.
pub const BOM: &str = "\u{feff}";

impl Csv {
    /// A document with this header row.
    pub fn new(header: &[&str]) -> Csv {
        let mut csv = Csv {
            out: String::from(BOM),
            columns: header.len(),
        };
        let cells: Vec<String> = header.iter().map(|h| plain(h)).collect();
        csv.push(&cells);
        csv
    }

    /// Appends a row of cells already made with [`Csv::text`] or [`Csv::plain`] (short rows are
    /// padded with empty cells, so every row has the header's width).
    pub fn row(&mut self, cells: &[String]) {
        let mut cells = cells.to_vec();
        cells.resize(self.columns.max(cells.len()), String::new());
        self.push(&cells);
    }

    fn push(&mut self, cells: &[String]) {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(cell);
        }
        self.out.push_str("\r\n");
    }

    /// A cell that must stay text in a spreadsheet (serials, IMEIs, ids).
    pub fn text(value: &str) -> String {
        if looks_numeric(value) {
            // `="…"` — inside, a quote would end the string; digits never contain one.
            quote(&format!("=\"{value}\""))
        } else {
            plain(value)
        }
    }

    /// An ordinary cell (names, dates, notes), protected against formula injection.
    pub fn plain(value: &str) -> String {
        plain(value)
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Digits only (possibly with one leading `+`/`-` or a decimal point or exponent a spreadsheet
/// would read as a number): what spreadsheets would turn into a number.
fn looks_numeric(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty()
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && v.parse::<f64>().is_ok()
}

fn plain(value: &str) -> String {
    let guarded = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    };
    if guarded.contains([',', '"', '\n', '\r']) || guarded != guarded.trim() {
        quote(&guarded)
    } else {
        guarded
    }
}

fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imeis_and_serials_stay_text_and_formulas_are_defused() {
        let mut csv = Csv::new(&["serial", "imei", "note"]);
        csv.row(&[
            Csv::text("R5CR100001"),
            Csv::text("358240051111110"),
            Csv::plain("=HYPERLINK(\"x\")"),
        ]);
        csv.row(&[
            Csv::text("0012345"),
            Csv::text("1E5"),
            Csv::plain("a, \"b\"\nc"),
        ]);
        csv.row(&[Csv::text("-")]);
        let out = csv.finish();
        let lines: Vec<&str> = out.trim_start_matches(BOM).split("\r\n").collect();
        assert_eq!(lines[0], "serial,imei,note");
        assert_eq!(
            lines[1],
            "R5CR100001,\"=\"\"358240051111110\"\"\",\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(
            lines[2],
            "\"=\"\"0012345\"\"\",\"=\"\"1E5\"\"\",\"a, \"\"b\"\"\nc\""
        );
        assert_eq!(
            lines[3], "'-,,",
            "a lone '-' is guarded, the row padded to 3 cells"
        );
        assert!(out.starts_with(BOM));
    }
}
