//! No module import cycle in the crates: each top-level module of
//! `crates/ops/src` and `crates/ops-testing/src` is a node, and every
//! `crate::<module>` path in its code (not in comments) an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module → (module it uses → where, as `file:line`).
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The code of a line: what comes before a `//` comment.
fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or(line)
}

/// The modules a line names through `crate::`, including `crate::{a, b}` groups.
fn used_modules(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code(line);
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or(group);
            out.extend(
                inner
                    .split(',')
                    .filter_map(|item| item.trim().split("::").next())
                    .map(|name| name.trim().to_owned())
                    .filter(|name| !name.is_empty()),
            );
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

fn graph(src: &Path) -> Graph {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name != "lib" && name != "main" {
            modules.insert(name, path);
        }
    }
    let mut graph = Graph::new();
    for (module, path) in &modules {
        let edges = graph.entry(module.clone()).or_default();
        let mut files = Vec::new();
        rust_files(path, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                for used in used_modules(line) {
                    if used != *module && modules.contains_key(&used) {
                        edges
                            .entry(used)
                            .or_insert_with(|| format!("{}:{}", file.display(), number + 1));
                    }
                }
            }
        }
    }
    graph
}

/// Every cycle, as `a -> b -> a` with where each edge comes from.
fn cycles(graph: &Graph) -> Vec<String> {
    fn walk(graph: &Graph, path: &mut Vec<String>, found: &mut BTreeSet<Vec<String>>) {
        let last = path.last().unwrap().clone();
        for next in graph.get(&last).into_iter().flat_map(BTreeMap::keys) {
            if let Some(start) = path.iter().position(|m| m == next) {
                let mut cycle = path[start..].to_vec();
                // One rotation per cycle: start at its smallest module.
                let min = cycle.iter().enumerate().min_by_key(|(_, m)| *m).unwrap().0;
                cycle.rotate_left(min);
                found.insert(cycle);
            } else {
                path.push(next.clone());
                walk(graph, path, found);
                path.pop();
            }
        }
    }
    let mut found = BTreeSet::new();
    for module in graph.keys() {
        walk(graph, &mut vec![module.clone()], &mut found);
    }
    found
        .into_iter()
        .map(|cycle| {
            let steps: Vec<String> = cycle
                .iter()
                .zip(cycle.iter().cycle().skip(1))
                .map(|(a, b)| format!("{a} -> {b} ({})", graph[a][b]))
                .collect();
            steps.join(", ")
        })
        .collect()
}

#[test]
fn groups_and_comments_are_read_as_code_reads_them() {
    assert_eq!(
        used_modules("use crate::{backend::Backend, error, types::Port};"),
        ["backend", "error", "types"]
    );
    assert_eq!(
        used_modules("let x = crate::model::Model::new(); // crate::event"),
        ["model"]
    );
    assert!(used_modules("//! see [the model](crate::model)").is_empty());
}

#[test]
fn a_cycle_is_found_and_named() {
    let mut graph = Graph::new();
    graph
        .entry("a".into())
        .or_default()
        .insert("b".into(), "a.rs:1".into());
    graph
        .entry("b".into())
        .or_default()
        .insert("a".into(), "b.rs:2".into());
    graph
        .entry("c".into())
        .or_default()
        .insert("a".into(), "c.rs:3".into());
    assert_eq!(cycles(&graph), ["a -> b (a.rs:1), b -> a (b.rs:2)"]);
    graph.get_mut("b").unwrap().clear();
    assert!(cycles(&graph).is_empty());
}

#[test]
fn the_crates_have_no_module_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for crate_src in ["crates/ops/src", "crates/ops-testing/src"] {
        let found = cycles(&graph(&root.join(crate_src)));
        assert!(
            found.is_empty(),
            "module cycles in {crate_src}:\n{}",
            found.join("\n")
        );
    }
}
