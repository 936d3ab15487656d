//! The parity count: `docs/parity.md`'s upstream-test tables checked
//! against the list of upstream test functions (`tests/data/upstream-tests.txt`)
//! and against the test files.
//!
//! - every upstream test appears exactly once, in its file's section;
//! - every row naming a Rust counterpart names a function that exists
//!   (`module::…::name` → `fn name` in `tests/conformance/<module>.rs`);
//! - the totals table says, file by file, how many are ported, not
//!   applicable (a Python-only mechanism, a compile-time guarantee, no
//!   equivalent) and missing (`not in scope` / `not yet`), as counted.
//!
//! Run it with `cargo test -p conformance --test parity -- --nocapture` to
//! see the counted table; `PARITY_UPDATE=1` writes that table into
//! `docs/parity.md` (the other checks still have to pass).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// How an upstream test stands in the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Ported,
    NotApplicable,
    Missing,
}

/// One row of a per-file table.
#[derive(Debug)]
struct Row {
    line: usize,
    name: String,
    rust: Option<String>,
    standing: Standing,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    functions: usize,
    ported: usize,
    not_applicable: usize,
    missing: usize,
}

/// The upstream list: file → function names, in order.
fn upstream() -> BTreeMap<String, Vec<String>> {
    let text = fs::read_to_string(repo_root().join("tests/data/upstream-tests.txt"))
        .expect("tests/data/upstream-tests.txt");
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(file), Some(name)) = (parts.next(), parts.next()) else {
            panic!("upstream-tests.txt: bad line {line:?}; write `<file> <function> <cases>`");
        };
        files
            .entry(file.to_owned())
            .or_default()
            .push(name.to_owned());
    }
    files
}

/// The cells of a Markdown table row, `\|` kept inside a cell.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// The first `…` span of a cell.
fn code(cell: &str) -> Option<&str> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(&cell[start..start + len])
}

/// The per-file sections of the upstream-tests part: file → rows.
fn sections(parity: &str) -> BTreeMap<String, Vec<Row>> {
    let mut out: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (i, line) in parity.lines().enumerate() {
        if let Some(heading) = line.strip_prefix("### ") {
            current = heading
                .strip_prefix("[`")
                .and_then(|h| h.split_once('`'))
                .map(|(file, _)| file.to_owned())
                .filter(|file| file.ends_with(".py"));
            continue;
        }
        if line.starts_with("## ") {
            current = None;
            continue;
        }
        let Some(file) = &current else { continue };
        if !line.starts_with("| `") {
            continue;
        }
        let cells = cells(line);
        let [first, second, reason, ..] = cells.as_slice() else {
            continue;
        };
        let Some(name) = code(first) else { continue };
        let (rust, standing) = if second == "not ported" {
            let missing = reason.starts_with("not in scope") || reason.starts_with("not yet");
            let standing = if missing {
                Standing::Missing
            } else {
                Standing::NotApplicable
            };
            (None, standing)
        } else {
            (code(second).map(str::to_owned), Standing::Ported)
        };
        out.entry(file.clone()).or_default().push(Row {
            line: i + 1,
            name: name.to_owned(),
            rust,
            standing,
        });
    }
    out
}

/// Whether `module::…::name` is a function in `tests/conformance/<module>.rs`.
fn rust_test_exists(path: &str, sources: &mut BTreeMap<String, Option<String>>) -> bool {
    let segments: Vec<&str> = path.split("::").collect();
    let (Some(module), Some(name)) = (segments.first(), segments.last()) else {
        return false;
    };
    if segments.len() < 2 {
        return false;
    }
    let source = sources.entry((*module).to_owned()).or_insert_with(|| {
        fs::read_to_string(repo_root().join(format!("tests/conformance/{module}.rs"))).ok()
    });
    let Some(source) = source else { return false };
    let needle = format!("fn {name}(");
    source.contains(&needle)
}

const TABLE_HEADER: &str = "| Upstream file | functions | ported | not applicable | missing |";

fn table(counts: &BTreeMap<String, Counts>) -> String {
    let mut out = String::new();
    writeln!(out, "{TABLE_HEADER}").unwrap();
    writeln!(out, "|---|---|---|---|---|").unwrap();
    let mut total = Counts::default();
    for (file, c) in counts {
        writeln!(
            out,
            "| `{file}` | {} | {} | {} | {} |",
            c.functions, c.ported, c.not_applicable, c.missing
        )
        .unwrap();
        total.functions += c.functions;
        total.ported += c.ported;
        total.not_applicable += c.not_applicable;
        total.missing += c.missing;
    }
    write!(
        out,
        "| **total** | **{}** | **{}** | **{}** | **{}** |",
        total.functions, total.ported, total.not_applicable, total.missing
    )
    .unwrap();
    out
}

/// The totals table as `docs/parity.md` has it: its line range and text.
fn written_table(parity: &str) -> Option<(usize, usize, String)> {
    let lines: Vec<&str> = parity.lines().collect();
    let start = lines.iter().position(|l| l.trim() == TABLE_HEADER)?;
    let end = start
        + lines[start..]
            .iter()
            .position(|l| l.starts_with("| **total**"))?;
    Some((start, end, lines[start..=end].join("\n")))
}

#[test]
fn parity_table_matches_the_upstream_list_and_the_test_files() {
    let root = repo_root();
    let parity_path = root.join("docs/parity.md");
    let parity = fs::read_to_string(&parity_path).expect("docs/parity.md");
    let upstream = upstream();
    let sections = sections(&parity);
    let mut problems = Vec::new();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut sources = BTreeMap::new();

    for (file, names) in &upstream {
        let rows = sections.get(file).map(Vec::as_slice).unwrap_or_default();
        if rows.is_empty() {
            problems.push(format!(
                "docs/parity.md has no section `### [`{file}`](…)` with its tests' rows"
            ));
        }
        let c = counts.entry(file.clone()).or_default();
        c.functions = names.len();
        for name in names {
            let found: Vec<&Row> = rows.iter().filter(|r| &r.name == name).collect();
            match found.as_slice() {
                [row] => match row.standing {
                    Standing::Ported => c.ported += 1,
                    Standing::NotApplicable => c.not_applicable += 1,
                    Standing::Missing => c.missing += 1,
                },
                [] => problems.push(format!(
                    "{file}: `{name}` has no row in its section of docs/parity.md; add one (ported, or not ported with the reason)"
                )),
                more => problems.push(format!(
                    "{file}: `{name}` has {} rows (lines {}); keep one",
                    more.len(),
                    more.iter()
                        .map(|r| r.line.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        for row in rows {
            if !names.contains(&row.name) {
                problems.push(format!(
                    "docs/parity.md line {}: `{}` is not an upstream test of {file} \
                     (tests/data/upstream-tests.txt); fix the name or move the row to its file's section",
                    row.line, row.name
                ));
            }
            if row.standing == Standing::Ported {
                match &row.rust {
                    Some(path) if rust_test_exists(path, &mut sources) => {}
                    Some(path) => problems.push(format!(
                        "docs/parity.md line {}: `{}` is ported as `{path}`, but tests/conformance/{}.rs \
                         has no `fn {}`; fix the row or add the test",
                        row.line,
                        row.name,
                        path.split("::").next().unwrap_or(path),
                        path.rsplit("::").next().unwrap_or(path)
                    )),
                    None => problems.push(format!(
                        "docs/parity.md line {}: `{}` names no Rust counterpart; write it as `module::test_name`, or `not ported`",
                        row.line, row.name
                    )),
                }
            }
        }
    }
    for file in sections.keys() {
        if !upstream.contains_key(file) {
            problems.push(format!(
                "docs/parity.md has a section for {file}, which tests/data/upstream-tests.txt does not list"
            ));
        }
    }

    let counted = table(&counts);
    println!("{counted}");
    match written_table(&parity) {
        Some((_, _, written)) if written == counted => {}
        Some((start, end, _)) if std::env::var_os("PARITY_UPDATE").is_some() => {
            let lines: Vec<&str> = parity.lines().collect();
            let mut updated = lines[..start].join("\n");
            updated.push('\n');
            updated.push_str(&counted);
            updated.push('\n');
            updated.push_str(&lines[end + 1..].join("\n"));
            updated.push('\n');
            fs::write(&parity_path, updated).expect("write docs/parity.md");
        }
        Some((_, _, written)) => problems.push(format!(
            "the totals table in docs/parity.md does not match the rows; it says\n{written}\n\
             but the rows count\n{counted}\n(run with PARITY_UPDATE=1 to write the counted table)"
        )),
        None => problems.push(format!(
            "docs/parity.md has no totals table starting `{TABLE_HEADER}`; add it:\n{counted}"
        )),
    }
    assert!(
        problems.is_empty(),
        "{} parity problem(s):\n- {}",
        problems.len(),
        problems.join("\n- ")
    );
}

#[test]
fn rows_are_read_with_escaped_pipes_and_classified_by_reason() {
    let page = "\
## Upstream tests
### [`test_a.py`](https://example) → `tests/conformance/a.rs`
| Upstream test | Rust counterpart | Reason / notes |
|---|---|---|
| `test_one` ×2 | `a::test_one` | `ctx.run_with(e, s, \\|mgr\\| ..)` |
| `test_two` | not ported | not in scope: containers |
| `test_three` | not ported | not yet: custom events |
| `test_four` | not ported | Python-only: warnings |
## Next
| `test_five` | not ported | not in scope |
";
    let sections = sections(page);
    let rows = &sections["test_a.py"];
    let got: Vec<(&str, Option<&str>, Standing)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.rust.as_deref(), r.standing))
        .collect();
    assert_eq!(
        got,
        [
            ("test_one", Some("a::test_one"), Standing::Ported),
            ("test_two", None, Standing::Missing),
            ("test_three", None, Standing::Missing),
            ("test_four", None, Standing::NotApplicable),
        ]
    );
    assert_eq!(
        cells("| a | b \\| c | d |"),
        ["a", "b | c", "d"].map(String::from)
    );
}
