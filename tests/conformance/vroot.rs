//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_vroot.py>.
//!
//! Upstream's `charm_root=` is `Context::charm_root(dir)`: the charm runs
//! with that directory as its charm directory (`model.juju_context().charm_dir`)
//! and the metadata comes from the Context. Upstream also writes the
//! Context's metadata files into the root for the length of the run and
//! restores them afterwards; the harness never writes to the root, so the
//! "after the run" assertions are ported and the "during the run" ones
//! (the root's `metadata.yaml` holds the Context's metadata) have no
//! counterpart.

use ops::{ActiveStatus, Charm, CharmMeta, Framework, HandlerResult, Model, StartEvent, on};
use ops_testing::{Context, State};
use pretty_assertions::assert_eq;
use std::path::{Path, PathBuf};

/// Upstream's `MyCharm`: reads two files under its charm directory and puts
/// them in its status. Upstream reads them in `__init__`; a Rust charm sets
/// statuses in handlers, so this one does it on start, the event run.
struct MyCharm {
    model: Model,
}

impl Charm for MyCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::start(), Self::on_start);
        MyCharm {
            model: framework.model().clone(),
        }
    }
}

impl MyCharm {
    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        let root = &self.model.juju_context().charm_dir;
        let foo_bar = std::fs::read_to_string(root.join("src").join("foo.bar"))?;
        let qux = std::fs::read_to_string(root.join("src").join("baz").join("qux.kaboodle"))?;
        // Upstream: the Context's metadata wins over the root's (`not karl!`).
        assert_eq!(self.model.meta().name, "my-charm");
        self.model
            .unit()
            .set_status(ActiveStatus::new(format!("{foo_bar} {qux}")))?;
        Ok(())
    }
}

/// Upstream's `charm_virtual_root` fixture: a directory with
/// `src/foo.bar` ("hello") and `src/baz/qux.kaboodle` ("world"), removed
/// when dropped.
struct VirtualRoot(PathBuf);

impl VirtualRoot {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("conformance-vroot-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src").join("baz")).unwrap();
        std::fs::write(dir.join("src").join("foo.bar"), "hello").unwrap();
        std::fs::write(dir.join("src").join("baz").join("qux.kaboodle"), "world").unwrap();
        VirtualRoot(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for VirtualRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn context(root: &VirtualRoot) -> Context<MyCharm> {
    Context::new(CharmMeta::new("my-charm")).charm_root(root.path())
}

#[test]
fn test_charm_virtual_root() {
    let root = VirtualRoot::new("plain");
    let mut ctx = context(&root);
    let out = ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(out.unit_status, ActiveStatus::new("hello world"));
}

#[test]
fn test_charm_virtual_root_cleanup_if_exists() {
    let root = VirtualRoot::new("exists");
    let meta_file = root.path().join("metadata.yaml");
    let raw_ori_meta = "name: karl\n";
    std::fs::write(&meta_file, raw_ori_meta).unwrap();
    let mut ctx = context(&root);
    // The charm checks that its metadata is the Context's, not karl.
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert!(meta_file.exists());
    assert_eq!(std::fs::read_to_string(&meta_file).unwrap(), raw_ori_meta);
}

#[test]
fn test_charm_virtual_root_cleanup_if_not_exists() {
    let root = VirtualRoot::new("not-exists");
    let meta_file = root.path().join("metadata.yaml");
    assert!(!meta_file.exists());
    let mut ctx = context(&root);
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert!(!meta_file.exists());
}
