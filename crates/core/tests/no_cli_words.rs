//! The core speaks the domain's words; the CLI's words live in the CLI (STYLE.md 16). An error or
//! a next step in core names its remedy as a value (`stagebench_core::remedy::Remedy`) and says
//! it in domain words ("sign in again", "add a printer named zebra"); the CLI renders that as a
//! command line and the app as a button. This test reads every string literal in `src` — outside
//! comments and `#[cfg(test)]` items — and fails when one names a `stagebench` command.

use std::path::{Path, PathBuf};

/// What no core string may contain: the CLI's name followed by a subcommand.
const CLI_WORDS: &str = "stagebench ";

/// A string literal and the line it starts on.
#[derive(Debug, PartialEq)]
struct Literal {
    line: usize,
    text: String,
}

/// The string literals of Rust source `text` that are outside comments and outside the item
/// after each `#[cfg(test)]` (a module or function, up to its closing brace).
fn literals(text: &str) -> Vec<Literal> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Brace depth, and the depth at which a skipped (test) item closes.
    let mut depth = 0usize;
    let mut skip_until: Option<usize> = None;
    // Seen `#[cfg(test)]`: the next `{` opens an item to skip (a `;` first cancels it).
    let mut test_item_next = false;
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    let ident = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            let mut nest = 0;
            while i < chars.len() {
                if at(i, "/*") {
                    nest += 1;
                    i += 2;
                } else if at(i, "*/") {
                    nest -= 1;
                    i += 2;
                    if nest == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if at(i, "#[cfg(test)]") {
            test_item_next = true;
            i += "#[cfg(test)]".len();
        } else if c == '"'
            || ((c == 'r' || at(i, "br"))
                && !ident(i.checked_sub(1).map(|p| &chars[p]))
                && raw_start(&chars, i).is_some())
        {
            let start_line = line;
            let (body, end) = if c == '"' {
                let mut j = i + 1;
                let mut body = String::new();
                while j < chars.len() && chars[j] != '"' {
                    if chars[j] == '\\' {
                        body.push(chars[j]);
                        j += 1;
                    }
                    if let Some(&ch) = chars.get(j) {
                        if ch == '\n' {
                            line += 1;
                        }
                        body.push(ch);
                    }
                    j += 1;
                }
                (body, j + 1)
            } else {
                let (hashes, open) = raw_start(&chars, i).unwrap();
                let close: String = std::iter::once('"')
                    .chain("#".repeat(hashes).chars())
                    .collect();
                let mut j = open + 1;
                let mut body = String::new();
                while j < chars.len() && !at(j, &close) {
                    if chars[j] == '\n' {
                        line += 1;
                    }
                    body.push(chars[j]);
                    j += 1;
                }
                (body, j + close.chars().count())
            };
            if skip_until.is_none() {
                out.push(Literal {
                    line: start_line,
                    text: body,
                });
            }
            i = end;
        } else if c == '\'' {
            // A char literal ('x', '\n', '"') or a lifetime ('a).
            if chars.get(i + 1) == Some(&'\\') {
                // Past the quote, the backslash and the escaped character ('\'', '\u{1b}').
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else {
            match c {
                '{' => {
                    depth += 1;
                    if test_item_next && skip_until.is_none() {
                        skip_until = Some(depth - 1);
                    }
                    test_item_next = false;
                }
                '}' => {
                    depth = depth.saturating_sub(1);
                    if skip_until == Some(depth) {
                        skip_until = None;
                    }
                }
                ';' => test_item_next = false,
                _ => {}
            }
            i += 1;
        }
    }
    out
}

/// At `r"`, `r#"`, `br##"`…: the number of `#`s and where the opening quote is.
fn raw_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i + if chars[i] == 'b' { 2 } else { 1 };
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_core_string_names_a_cli_command() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    sources(&src, &mut paths);
    paths.sort();
    let mut found = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        for literal in literals(&text) {
            if literal.text.contains(CLI_WORDS) {
                found.push(format!(
                    "src/{}:{}: {:?}",
                    path.strip_prefix(&src).unwrap().display(),
                    literal.line,
                    literal.text
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "core messages name CLI commands; say the step in domain words and give the error a \
         remedy (stagebench_core::remedy::Remedy) that the CLI renders as a command:\n{}",
        found.join("\n")
    );
}

#[test]
fn literals_are_found_outside_comments_and_test_items_only() {
    let text = r####"
//! Docs may name `stagebench login`.
/// So may "stagebench doc" comments.
const A: &str = "one"; /* "stagebench block" */
#[error("two {x}: run `stagebench login`")]
fn f<'a>(x: &'a str) -> char { let q = '"'; let e = '\''; let s = r#"three "quoted""#; '{' }
#[cfg(test)]
use something;
const B: &[u8] = br"four";
#[cfg(test)]
mod tests {
    fn t() { let s = "stagebench test"; let t = "{"; }
}
const C: &str = "five \" still five";
"####;
    let found: Vec<(usize, String)> = literals(text)
        .into_iter()
        .map(|l| (l.line, l.text))
        .collect();
    assert_eq!(
        found,
        [
            (4, "one".to_owned()),
            (5, "two {x}: run `stagebench login`".to_owned()),
            (6, "three \"quoted\"".to_owned()),
            (9, "four".to_owned()),
            (14, "five \\\" still five".to_owned()),
        ],
        "the scan above relies on this"
    );
}
