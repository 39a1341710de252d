//! Core's floors, read from its source: the store uses only the ground floor, `identity` and
//! the audit record types; no module uses one on a floor above its own; and no two top-level
//! modules use each other, however indirectly. The floors are the ones `lib.rs` describes.
//!
//! A module "uses" another when its text names `crate::<module>` anywhere (code, `cfg(test)` and
//! feature-gated code, doc links and comments alike) or lists it in a `use crate::{…}` group.
//! Paths that climb with `super::` stay inside their own top-level module in this crate, so they
//! are not followed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors, lowest first. A module may use modules on its own floor or below; the ground
/// floor uses nothing above it. A new top-level module goes on one of them (and into the
/// layout paragraph of `lib.rs`).
const FLOORS: &[(&str, &[&str])] = &[
    ("ground", &["ids", "clock", "remedy", "limits"]),
    (
        "values",
        &[
            "secret",
            "identity",
            "stage",
            "audit",
            "provisioning",
            "qr",
            "pdf",
        ],
    ),
    ("store", &["store"]),
    (
        "domain",
        &[
            "intune",
            "device",
            "batch",
            "scanner",
            "bench",
            "printer",
            "label",
            "enrollment_qr",
            "doctor",
            "demo",
        ],
    ),
    ("testing", &["testing"]),
];

/// What the store's files may use (STYLE.md 18, "Rows are plain"): the ground floor (ids, time,
/// and the remedies its errors name), `identity` and the audit record types. Domain types stay
/// above it: the store gets a row type and the domain module converts.
const STORE_MAY_USE: &[&str] = &["ids", "clock", "remedy", "identity", "audit"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules: `src/*.rs` but `lib.rs`, and the folders of `src`.
fn modules(src: &Path) -> BTreeSet<String> {
    std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_owned();
            match name.strip_suffix(".rs") {
                Some("lib") => None,
                Some(stem) => Some(stem.to_owned()),
                None => p.is_dir().then_some(name),
            }
        })
        .collect()
}

/// Every `.rs` file under `dir`, as (path relative to `src`, text), in path order.
fn sources(src: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The top-level module a file belongs to (`store/print_jobs.rs` → `store`).
fn top_of(rel: &str) -> &str {
    let first = rel.split('/').next().unwrap_or(rel);
    first.strip_suffix(".rs").unwrap_or(first)
}

fn ident_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first path segments named after `crate::` in `text`: `crate::store::Store` gives `store`,
/// `use crate::{audit::AuditEntry, ids}` gives `audit` and `ids`.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        // `stagebench_core::…` and `other_crate::…` are not this crate's `crate::`.
        if text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => break,
                    '}' => depth -= 1,
                    ',' if depth == 1 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        let name = ident_at(&group[i..]);
                        if !name.is_empty() {
                            out.insert(name.to_owned());
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident_at(rest);
            if !name.is_empty() {
                out.insert(name.to_owned());
            }
        }
    }
    out
}

/// Who uses whom: module → module it uses → the files that do.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn graph(src: &Path) -> Graph {
    let modules = modules(src);
    let mut graph = Graph::new();
    for (rel, text) in sources(src) {
        let top = top_of(&rel);
        if top == "lib" {
            continue;
        }
        for used in crate_refs(&text) {
            if used != top && modules.contains(&used) {
                graph
                    .entry(top.to_owned())
                    .or_default()
                    .entry(used)
                    .or_default()
                    .insert(rel.clone());
            }
        }
    }
    graph
}

/// The strongly connected components of more than one module (Tarjan), each sorted.
fn circles(graph: &Graph, modules: &BTreeSet<String>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        let used: Vec<&'a str> = w
            .graph
            .get(v)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for u in used {
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.stack.contains(&u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(u) = w.stack.pop() {
                component.push(u.to_owned());
                if u == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for m in modules {
        if !walk.index.contains_key(m.as_str()) {
            visit(&mut walk, m);
        }
    }
    walk.found
}

fn floor_of(module: &str) -> Option<(usize, &'static str)> {
    FLOORS
        .iter()
        .enumerate()
        .find(|(_, (_, members))| members.contains(&module))
        .map(|(i, (name, _))| (i, *name))
}

#[test]
fn the_store_uses_only_the_ground_floor_identity_and_audit_records() {
    let modules = modules(&src());
    let mut wrong = Vec::new();
    for (rel, text) in sources(&src()) {
        if top_of(&rel) != "store" {
            continue;
        }
        for used in crate_refs(&text) {
            if used != "store" && modules.contains(&used) && !STORE_MAY_USE.contains(&used.as_str())
            {
                wrong.push(format!("src/{rel} uses crate::{used}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the store holds plain rows and may use only {STORE_MAY_USE:?} (STYLE.md 18): give it a \
         row type of ids, strings, numbers, times or JSON, and convert in the domain module:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_module_uses_one_on_a_floor_above_its_own() {
    let src = src();
    let modules = modules(&src);
    let unplaced: Vec<&String> = modules.iter().filter(|m| floor_of(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "top-level modules on no floor: {unplaced:?}; put each on one in FLOORS here and in the \
         layout paragraph of lib.rs"
    );
    let mut wrong = Vec::new();
    for (module, used) in graph(&src) {
        let (floor, floor_name) = floor_of(&module).unwrap();
        for (target, files) in used {
            let (target_floor, target_name) = floor_of(&target).unwrap();
            if target_floor > floor {
                wrong.push(format!(
                    "{module} ({floor_name}) uses {target} ({target_name}) in {files:?}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a module uses one on a floor above its own: move the \
         value type down or the function up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_top_level_modules_use_each_other() {
    let src = src();
    let graph = graph(&src);
    let found = circles(&graph, &modules(&src));
    let explain: Vec<String> = found
        .iter()
        .map(|circle| {
            let mut lines = vec![format!("circle: {}", circle.join(", "))];
            for a in circle {
                for (b, files) in graph.get(a).into_iter().flatten() {
                    if circle.contains(b) {
                        lines.push(format!("  {a} -> {b}: {files:?}"));
                    }
                }
            }
            lines.join("\n")
        })
        .collect();
    assert!(
        found.is_empty(),
        "core's top-level modules must not use each other in a circle; move a value type down \
         or a function up:\n{}",
        explain.join("\n")
    );
}

#[test]
fn uses_are_found_in_paths_groups_and_docs_but_not_other_crates() {
    let text = "use crate::store::{Store, StoreError};\n\
                use crate::{audit::AuditEntry, ids, clock::{Clock, timestamp}};\n\
                /// See [`crate::printer::PrinterConfig`].\n\
                #[cfg(test)] fn t() { crate::batch::progress::stage_of(); }\n\
                use stagebench_core::label::Template; use foo_crate::x;\n";
    let found: Vec<String> = crate_refs(text).into_iter().collect();
    assert_eq!(
        found,
        ["audit", "batch", "clock", "ids", "printer", "store"],
        "the checks above rely on this"
    );
    let mut g = Graph::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        g.entry(a.into()).or_default().entry(b.into()).or_default();
    }
    let all = ["a", "b", "c", "d"].map(String::from).into();
    assert_eq!(circles(&g, &all), [["a", "b", "c"].map(String::from)]);
}
