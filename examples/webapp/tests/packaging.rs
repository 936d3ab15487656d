//! The charm packs as `examples/leadership` does (docs/packaging.md): the
//! charmcraft part builds this package's binary and installs it with the
//! `dispatch` script that runs it. These checks keep the three names in step.

use std::path::Path;

fn read(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_charmcraft_part_builds_and_installs_this_binary_and_dispatch() {
    let charmcraft = read("charmcraft.yaml");
    for needle in [
        "source: ../..",
        "-p webapp-charm --bin webapp",
        "target/release/webapp\" \\\n        \"$CRAFT_PART_INSTALL/bin/webapp\"",
        "examples/webapp/dispatch\" \\\n        \"$CRAFT_PART_INSTALL/dispatch\"",
    ] {
        assert!(
            charmcraft.contains(needle),
            "charmcraft.yaml lacks {needle:?}"
        );
    }
    let cargo = read("Cargo.toml");
    assert!(cargo.contains("name = \"webapp-charm\""), "{cargo}");
    assert!(cargo.contains("[[bin]]\nname = \"webapp\""), "{cargo}");
}

#[test]
fn dispatch_runs_the_installed_binary_and_is_executable() {
    let dispatch = read("dispatch");
    assert!(dispatch.contains("exec ./bin/webapp"), "{dispatch}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("dispatch");
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_ne!(mode & 0o111, 0, "dispatch must be executable");
    }
}
