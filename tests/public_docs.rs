//! What a reader of the docs relies on, checked against the tree: every
//! page in `docs/` is doctested, and the crate roots show their re-exports
//! with summaries.

use std::fs;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The README promises that every page in docs/ is compiled and run; a new
/// page that `tests/src/lib.rs` does not include would break that promise.
#[test]
fn every_docs_page_is_doctested() {
    let root = repo_root();
    let harness = fs::read_to_string(root.join("tests/src/lib.rs")).expect("tests/src/lib.rs");
    let mut missing = Vec::new();
    for entry in fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.expect("a docs/ entry").path();
        if path.extension().is_some_and(|ext| ext == "md") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let include = format!("include_str!(\"../../docs/{name}\")");
            if !harness.contains(&include) {
                missing.push(name);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs pages not doctested: {missing:?}; add `#[doc = include_str!(\"../../docs/<page>\")]` \
         on a module in tests/src/lib.rs"
    );
}

/// A bare `pub use` at a crate root shows in rustdoc as a "Re-exports" line
/// without its summary; `#[doc(inline)]` shows the item itself.
#[rstest::rstest]
#[case("crates/ops/src/lib.rs")]
#[case("crates/ops-testing/src/lib.rs")]
#[case("crates/juju-integration/src/lib.rs")]
fn crate_root_reexports_are_inlined(#[case] file: &str) {
    let source = fs::read_to_string(repo_root().join(file)).expect("crate root");
    let mut previous = "";
    let mut bare = Vec::new();
    for line in source.lines() {
        // Only top-level items: `internal` and `prelude` are indented.
        if line.starts_with("pub use ") && previous.trim() != "#[doc(inline)]" {
            bare.push(line.to_owned());
        }
        previous = line;
    }
    assert!(
        bare.is_empty(),
        "{file}: re-exports without #[doc(inline)]: {bare:#?}"
    );
}
