//! The charm directory a run gives the charm (`JUJU_CHARM_DIR`): the
//! charm root of `Context::from_charm_root` or `Context::charm_root`, else a
//! temporary directory of the Context's own.

use crate::common::Probe;
use ops::{Charm, Framework, HandlerResult, Model, StartEvent, on};
use ops_testing::{Context, State};
use pretty_assertions::assert_eq;
use std::path::{Path, PathBuf};

/// On start, records the charm directory and what `src/hello.txt` in it holds.
struct ReaderCharm {
    model: Model,
    seen: Probe<(PathBuf, Option<String>)>,
}

impl Charm for ReaderCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        Self::build(framework, Probe::default())
    }
}

impl ReaderCharm {
    fn build(framework: &mut Framework<Self>, seen: Probe<(PathBuf, Option<String>)>) -> Self {
        framework.observe(on::start(), Self::on_start);
        ReaderCharm {
            model: framework.model().clone(),
            seen,
        }
    }

    fn on_start(&mut self, _: &mut StartEvent) -> HandlerResult {
        let dir = self.model.juju_context().charm_dir.clone();
        let hello = std::fs::read_to_string(dir.join("src/hello.txt")).ok();
        self.seen.push((dir, hello));
        Ok(())
    }
}

fn reader(ctx: Context<ReaderCharm>) -> (Context<ReaderCharm>, Probe<(PathBuf, Option<String>)>) {
    let seen = Probe::default();
    let probe = seen.clone();
    (
        ctx.with_charm(move |fw| ReaderCharm::build(fw, probe.clone())),
        seen,
    )
}

/// A fresh charm directory with `src/hello.txt` and, if given, a metadata.yaml.
fn charm_tree(tag: &str, metadata: Option<&str>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ops-testing-charm-dir-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/hello.txt"), "hello world").unwrap();
    if let Some(metadata) = metadata {
        std::fs::write(dir.join("metadata.yaml"), metadata).unwrap();
    }
    dir
}

#[test]
fn without_a_charm_root_each_context_has_its_own_temporary_directory() {
    let (mut ctx, seen) = reader(Context::new(ops::CharmMeta::new("reader")));
    assert_eq!(ctx.charm_dir(), None, "made at the first run, not before");
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    let [(first, hello), (second, _)] = seen.take().try_into().unwrap();
    assert_eq!(first, second, "one directory for every run of a Context");
    assert_eq!(ctx.charm_dir(), Some(first.as_path()));
    assert!(first.is_dir() && first.is_absolute(), "{}", first.display());
    assert_eq!(hello, None, "the directory starts empty");

    let (mut other, other_seen) = reader(Context::new(ops::CharmMeta::new("reader")));
    other.run(other.on.start(), &State::default()).unwrap();
    let [(other_dir, _)] = other_seen.take().try_into().unwrap();
    assert_ne!(other_dir, first);

    drop(ctx);
    assert!(!first.exists(), "removed with its Context");
    assert!(other_dir.exists(), "another Context's directory stays");
}

#[test]
fn from_charm_root_runs_the_charm_in_that_directory() {
    let dir = charm_tree("from-root", Some("name: reader\n"));
    let (mut ctx, seen) = reader(Context::from_charm_root(&dir).unwrap());
    assert_eq!(ctx.charm_dir(), Some(dir.as_path()));
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    let [(charm_dir, hello)] = seen.take().try_into().unwrap();
    assert_eq!(charm_dir, dir);
    assert_eq!(hello.as_deref(), Some("hello world"));
    drop(ctx);
    assert!(
        dir.join("src/hello.txt").exists(),
        "a given root is never removed"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn charm_root_sets_the_directory_without_reading_metadata_from_it() {
    let dir = charm_tree("given", Some("name: karl\n"));
    let (ctx, seen) = reader(Context::new(ops::CharmMeta::new("reader")));
    let mut ctx = ctx.charm_root(&dir);
    let out = ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert_eq!(out, State::default());
    assert_eq!(ctx.meta().name, "reader");
    let [(charm_dir, hello)] = seen.take().try_into().unwrap();
    assert_eq!(charm_dir, dir);
    assert_eq!(hello.as_deref(), Some("hello world"));
    assert_eq!(
        std::fs::read_to_string(dir.join("metadata.yaml")).unwrap(),
        "name: karl\n",
        "the harness never writes to a given root"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_relative_charm_root_is_made_absolute() {
    let ctx = Context::<ReaderCharm>::new(ops::CharmMeta::new("reader")).charm_root("charm");
    let dir = ctx.charm_dir().unwrap();
    assert!(dir.is_absolute());
    assert!(dir.ends_with(Path::new("charm")));
}
