//! Module-cycle checker for `crates/ops` and `crates/ops-testing`.
//!
//! Each top-level module of a crate (a file or directory directly under
//! `src/`) is a node; an edge A -> B is any `crate::B` path (in `use`
//! statements, groups `crate::{b, c}` or expressions) or any `super::`
//! path that resolves to B, written in A's files. Items re-exported by
//! `lib.rs` (`pub use b::Thing;`) resolve to the module they come from, so
//! `crate::Thing` counts as an edge to `b`. Comments and string literals are
//! skipped. The checker is a small hand-written scanner, not a Rust parser.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Where an edge was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Site {
    file: String,
    line: usize,
}

/// The module graph of one crate: for each edge, every place it is written.
#[derive(Debug, Default)]
struct Graph {
    nodes: BTreeSet<String>,
    edges: BTreeMap<(String, String), Vec<Site>>,
}

/// One source file: its path relative to `src/`, and its text.
struct SourceFile {
    rel: String,
    text: String,
}

/// The text with comments and string/char literals blanked out (newlines kept,
/// so line numbers stay right).
fn strip(text: &str) -> String {
    let bytes: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < bytes.len() && bytes[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < bytes.len() {
                if bytes[i] == '/' && bytes.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if bytes[i] == '*' && bytes.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(bytes[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !prev_is_ident(&bytes, i)
        {
            // Raw string r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while bytes.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if bytes.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= bytes.len() {
                    break;
                }
                if bytes[j] == '"' && (0..hashes).all(|k| bytes.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &bytes[i..j.min(bytes.len())] {
                out.push(blank(ch));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < bytes.len() && bytes[i] != '"' {
                if bytes[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < bytes.len() {
                    out.push(blank(bytes[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\''
            && (next == Some('\\') && bytes.get(i + 3).is_some() || bytes.get(i + 2) == Some(&'\''))
        {
            // A char literal ('x' or '\n'); lifetimes ('a) are left alone.
            let end = (i + 1..bytes.len().min(i + 12))
                .find(|&j| bytes[j] == '\'' && j > i + 1)
                .unwrap_or(i);
            for _ in i..=end {
                out.push(' ');
            }
            i = end + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(bytes: &[char], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_')
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Punct(&'static str),
}

/// Identifiers, `::`, `{`, `}`, `,` and `*`, with their line; other characters are dropped
/// (they end a path).
fn tokens(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push((Token::Ident(word.trim_start_matches('$').to_owned()), line));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push((Token::Punct("::"), line));
            i += 2;
        } else {
            let punct = match c {
                '{' => Some("{"),
                '}' => Some("}"),
                ',' => Some(","),
                '*' => Some("*"),
                ';' => Some(";"),
                c if c.is_whitespace() => None,
                _ => Some("other"),
            };
            if let Some(p) = punct {
                out.push((Token::Punct(p), line));
            }
            i += 1;
        }
    }
    out
}

fn ident(tokens: &[(Token, usize)], i: usize) -> Option<&str> {
    match tokens.get(i) {
        Some((Token::Ident(s), _)) => Some(s),
        _ => None,
    }
}

fn punct(tokens: &[(Token, usize)], i: usize, p: &str) -> bool {
    matches!(tokens.get(i), Some((Token::Punct(q), _)) if *q == p)
}

/// The first segments after a path prefix ending at `i` (just past `::`):
/// one ident, or every first segment of a `{a, b::c, d}` group.
fn first_segments(tokens: &[(Token, usize)], i: usize) -> Vec<(String, usize)> {
    if let Some(name) = ident(tokens, i) {
        return vec![(name.to_owned(), tokens[i].1)];
    }
    if !punct(tokens, i, "{") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut depth = 0;
    let mut expect_first = true;
    let mut j = i;
    while j < tokens.len() {
        match &tokens[j].0 {
            Token::Punct("{") => {
                depth += 1;
                expect_first = depth == 1;
            }
            Token::Punct("}") => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Token::Punct(",") if depth == 1 => expect_first = true,
            Token::Ident(name) if depth == 1 && expect_first => {
                out.push((name.clone(), tokens[j].1));
                expect_first = false;
            }
            _ => {}
        }
        j += 1;
    }
    out
}

/// The module path of a file relative to `src/`: `model/secret.rs` is
/// `[model, secret]`, `model/mod.rs` is `[model]`, `lib.rs` is `[]`.
fn module_path(rel: &str) -> Vec<String> {
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Names `lib.rs` re-exports, mapped to the top-level module they come from.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let toks = tokens(&strip(lib));
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < toks.len() {
        if ident(&toks, i) == Some("use") {
            let mut j = i + 1;
            if ident(&toks, j) == Some("crate") && punct(&toks, j + 1, "::") {
                j += 2;
            }
            let module = ident(&toks, j).map(str::to_owned);
            let mut k = j;
            let mut last = None;
            while k < toks.len() && !punct(&toks, k, ";") {
                match &toks[k].0 {
                    Token::Ident(name) if name != "as" && name != "self" => {
                        last = Some(name.clone())
                    }
                    Token::Punct("," | "}") => {
                        if let (Some(m), Some(l)) = (&module, last.take()) {
                            out.insert(l, m.clone());
                        }
                    }
                    _ => {}
                }
                k += 1;
            }
            if let (Some(m), Some(l)) = (&module, last) {
                out.insert(l, m.clone());
            }
            i = k;
        }
        i += 1;
    }
    out
}

/// Builds the graph of one crate from its files.
fn build_graph(files: &[SourceFile]) -> Graph {
    let mut graph = Graph::default();
    for f in files {
        if let Some(top) = module_path(&f.rel).first() {
            graph.nodes.insert(top.clone());
        }
    }
    let reexports = files
        .iter()
        .find(|f| f.rel == "lib.rs")
        .map(|f| root_reexports(&f.text))
        .unwrap_or_default();
    let resolve = |name: &str| -> Option<String> {
        if graph.nodes.contains(name) {
            Some(name.to_owned())
        } else {
            reexports.get(name).cloned()
        }
    };
    let mut edges: BTreeMap<(String, String), Vec<Site>> = BTreeMap::new();
    for f in files {
        let path = module_path(&f.rel);
        let Some(from) = path.first().cloned() else {
            continue; // lib.rs is the root, not a module.
        };
        let toks = tokens(&strip(&f.text));
        // Inline modules (`mod tests { .. }`) deepen `super::`: brace depths where they opened.
        let mut inline: Vec<usize> = Vec::new();
        let mut depth = 0usize;
        let mut i = 0;
        while i < toks.len() {
            let mut targets = Vec::new();
            if punct(&toks, i, "{") {
                depth += 1;
            } else if punct(&toks, i, "}") {
                depth = depth.saturating_sub(1);
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
            } else if ident(&toks, i) == Some("mod")
                && ident(&toks, i + 1).is_some()
                && punct(&toks, i + 2, "{")
            {
                inline.push(depth);
            } else if ident(&toks, i) == Some("crate")
                && punct(&toks, i + 1, "::")
                && !(i > 0 && punct(&toks, i - 1, "::"))
            {
                for (name, line) in first_segments(&toks, i + 2) {
                    if let Some(to) = resolve(&name) {
                        targets.push((to, line));
                    }
                }
            } else if ident(&toks, i) == Some("super")
                && punct(&toks, i + 1, "::")
                && !(i > 0 && punct(&toks, i - 1, "::"))
            {
                let mut ups = 0;
                let mut j = i;
                while ident(&toks, j) == Some("super") && punct(&toks, j + 1, "::") {
                    ups += 1;
                    j += 2;
                }
                let depth_here = path.len() + inline.len();
                if ups >= depth_here {
                    // Up to the crate root: the next segment names a module or a re-export.
                    for (name, line) in first_segments(&toks, j) {
                        if let Some(to) = resolve(&name) {
                            targets.push((to, line));
                        }
                    }
                }
                // Fewer ups stay inside `from` (or resolve to it): no edge.
                i = j;
                for (to, line) in targets.drain(..) {
                    add_edge(&mut edges, &from, &to, &f.rel, line);
                }
                continue;
            }
            for (to, line) in targets {
                add_edge(&mut edges, &from, &to, &f.rel, line);
            }
            i += 1;
        }
    }
    graph.edges = edges;
    graph
}

fn add_edge(
    edges: &mut BTreeMap<(String, String), Vec<Site>>,
    from: &str,
    to: &str,
    file: &str,
    line: usize,
) {
    if from != to {
        edges
            .entry((from.to_owned(), to.to_owned()))
            .or_default()
            .push(Site {
                file: file.to_owned(),
                line,
            });
    }
}

/// Every elementary cycle, each starting at its smallest node, in order.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut adjacency: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in graph.edges.keys() {
        adjacency.entry(a).or_default().push(b);
    }
    let mut found = Vec::new();
    for start in &graph.nodes {
        let mut stack = vec![start.as_str()];
        walk(start, &adjacency, &mut stack, &mut found);
    }
    found
}

fn walk<'a>(
    start: &str,
    adjacency: &BTreeMap<&'a str, Vec<&'a str>>,
    stack: &mut Vec<&'a str>,
    found: &mut Vec<Vec<String>>,
) {
    let Some(&here) = stack.last() else { return };
    for &next in adjacency.get(here).into_iter().flatten() {
        if next == start {
            found.push(stack.iter().map(|s| (*s).to_owned()).collect());
        } else if next > start && !stack.contains(&next) && found.len() < 10_000 {
            stack.push(next);
            walk(start, adjacency, stack, found);
            stack.pop();
        }
    }
}

/// `a -> b -> a`, then each edge with where it is written.
fn describe(graph: &Graph, cycle: &[String]) -> String {
    let mut text = cycle.join(" -> ");
    let _ = write!(text, " -> {}", cycle[0]);
    for (i, a) in cycle.iter().enumerate() {
        let b = &cycle[(i + 1) % cycle.len()];
        let sites = &graph.edges[&(a.clone(), b.clone())];
        let _ = write!(
            text,
            "\n    {a} -> {b}: {}:{}",
            sites[0].file, sites[0].line
        );
        if sites.len() > 1 {
            let more: Vec<String> = sites[1..]
                .iter()
                .take(4)
                .map(|s| format!("{}:{}", s.file, s.line))
                .collect();
            let _ = write!(text, " (also {}", more.join(", "));
            if sites.len() > 5 {
                let _ = write!(text, ", and {} more", sites.len() - 5);
            }
            text.push(')');
        }
    }
    text
}

fn read_crate(src: &Path) -> Vec<SourceFile> {
    fn visit(dir: &Path, root: &Path, out: &mut Vec<SourceFile>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                visit(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .expect("under src")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                out.push(SourceFile { rel, text });
            }
        }
    }
    let mut out = Vec::new();
    visit(src, src, &mut out);
    out
}

/// Every cycle of both crates, described; empty when there are none.
fn real_tree_cycles() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut report = Vec::new();
    for krate in ["crates/ops", "crates/ops-testing"] {
        let graph = build_graph(&read_crate(&root.join(krate).join("src")));
        for cycle in cycles(&graph) {
            report.push(format!("{krate}: {}", describe(&graph, &cycle)));
        }
    }
    report
}

#[test]
fn no_module_cycles_in_ops_and_ops_testing() {
    let report = real_tree_cycles();
    assert!(
        report.is_empty(),
        "{} module cycle(s); break each by moving the shared item down a layer:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[cfg(test)]
mod checker {
    use super::*;

    fn graph(files: &[(&str, &str)]) -> Graph {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(rel, text)| SourceFile {
                rel: (*rel).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        build_graph(&files)
    }

    fn edges(g: &Graph) -> Vec<(&str, &str)> {
        g.edges
            .keys()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect()
    }

    #[test]
    fn a_two_module_cycle_is_found_with_its_sites() {
        let g = graph(&[
            ("lib.rs", "pub mod a;\npub mod b;\n"),
            ("a.rs", "use crate::b::Thing;\n"),
            ("b/mod.rs", "\n\nfn f() { crate::a::g(); }\n"),
        ]);
        let found = cycles(&g);
        assert_eq!(found, vec![vec!["a".to_owned(), "b".to_owned()]]);
        let text = describe(&g, &found[0]);
        assert!(text.starts_with("a -> b -> a"), "{text}");
        assert!(text.contains("a -> b: a.rs:1"), "{text}");
        assert!(text.contains("b -> a: b/mod.rs:3"), "{text}");
    }

    #[test]
    fn an_acyclic_graph_passes() {
        let g = graph(&[
            ("a.rs", "use crate::b;\nuse crate::c::X;\n"),
            ("b.rs", "use crate::c;\n"),
            ("c.rs", "use std::fmt;\n"),
        ]);
        assert_eq!(edges(&g), vec![("a", "b"), ("a", "c"), ("b", "c")]);
        assert!(cycles(&g).is_empty());
    }

    #[test]
    fn use_groups_are_parsed() {
        let g = graph(&[
            (
                "a.rs",
                "use crate::{\n    b::{X, Y},\n    c,\n    d::Z as W,\n};\n",
            ),
            ("b.rs", ""),
            ("c.rs", ""),
            ("d.rs", ""),
        ]);
        assert_eq!(edges(&g), vec![("a", "b"), ("a", "c"), ("a", "d")]);
        assert_eq!(g.edges[&("a".into(), "c".into())][0].line, 3);
    }

    #[test]
    fn comments_and_strings_are_not_paths() {
        let g = graph(&[
            (
                "a.rs",
                "// use crate::b;\n/// [`crate::b::X`]\n/* crate::b */\nconst S: &str = \"crate::b\";\nconst R: &str = r#\"crate::b\"#;\n",
            ),
            ("b.rs", ""),
        ]);
        assert!(g.edges.is_empty(), "{:?}", g.edges);
    }

    #[test]
    fn super_resolves_to_the_parent_module() {
        let g = graph(&[
            ("a/mod.rs", "mod inner;\nuse super::b::X;\n"),
            ("a/inner.rs", "use super::Y;\nuse super::super::c::Z;\n"),
            (
                "a/deep.rs",
                "mod tests { use super::super::super::d::Q; use super::*; }\n",
            ),
            ("b.rs", ""),
            ("c.rs", ""),
            ("d.rs", ""),
        ]);
        assert_eq!(edges(&g), vec![("a", "b"), ("a", "c"), ("a", "d")]);
    }

    #[test]
    fn root_reexports_resolve_to_their_module() {
        let g = graph(&[
            (
                "lib.rs",
                "pub mod a;\nmod b;\npub use b::{Thing, other::Other as Renamed};\npub use crate::a::Alpha;\n",
            ),
            ("a.rs", "use crate::Thing;\nuse crate::Renamed;\n"),
            ("b/mod.rs", "use crate::Alpha;\n"),
        ]);
        assert_eq!(edges(&g), vec![("a", "b"), ("b", "a")]);
        assert_eq!(cycles(&g).len(), 1);
    }

    #[test]
    fn a_three_module_cycle_is_reported_once() {
        let g = graph(&[
            ("a.rs", "use crate::b::X;"),
            ("b.rs", "use crate::c::X;"),
            ("c.rs", "use crate::a::X; use crate::b::Y;"),
        ]);
        let found = cycles(&g);
        assert_eq!(
            found,
            vec![
                vec!["a".to_owned(), "b".to_owned(), "c".to_owned()],
                vec!["b".to_owned(), "c".to_owned()],
            ]
        );
    }
}
