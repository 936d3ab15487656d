//! The containers' simulated filesystems seen from a test: what a run
//! pushed is in `Container::get_filesystem(&ctx)`, exactly, also through a
//! path taken before the run, and mounts land in their host sources.

use ops::pebble::PushOptions;
use ops::{Charm, Framework, HandlerResult, Model, PebbleReadyEvent, on};
use ops_testing::{Container, Context, Mount, State};
use serde_json::json;
use std::fs;
use std::path::Path;

const META: &str = "name: files\ncontainers: {web: {}}\nconfig: {options: {content: {type: string, default: one}}}\n";

/// Writes its `content` option to `/etc/app/<content>.conf` and to
/// `/data/out` (a mount in these tests' States).
struct FilesCharm {
    model: Model,
}

impl Charm for FilesCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::pebble_ready("web"), Self::on_ready);
        FilesCharm {
            model: framework.model().clone(),
        }
    }
}

impl FilesCharm {
    fn on_ready(&mut self, event: &mut PebbleReadyEvent) -> HandlerResult {
        let config = self.model.config()?;
        let content = config["content"].as_str().unwrap_or_default().to_owned();
        let options = PushOptions::new().make_dirs(true);
        event
            .workload
            .push_with(&format!("/etc/app/{content}.conf"), &content, &options)?;
        event.workload.push_with("/data/out", &content, &options)?;
        Ok(())
    }
}

fn state(content: &str, host: &Path) -> State {
    State {
        config: [("content".to_owned(), json!(content))].into(),
        containers: vec![web(host)],
        ..State::default()
    }
}

fn web(host: &Path) -> Container {
    Container::new("web")
        .can_connect(true)
        .mount("data", Mount::new("/data", host))
}

/// Every path under `dir`, relative, sorted (links not followed).
fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(base).unwrap().display().to_string());
            if fs::symlink_metadata(&path).unwrap().is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn the_filesystem_holds_exactly_what_the_run_left() {
    let host = tempfile::tempdir().unwrap();
    let mut ctx = Context::<FilesCharm>::from_yaml(META).unwrap();
    let container = web(host.path());
    ctx.run(ctx.on.pebble_ready(&container), state("one", host.path()))
        .unwrap();
    let root = container.get_filesystem(&ctx).unwrap();
    assert_eq!(
        listing(&root),
        ["data", "etc", "etc/app", "etc/app/one.conf"]
    );
    assert_eq!(
        fs::read_to_string(root.join("etc/app/one.conf")).unwrap(),
        "one"
    );
    // The mount is a link to its source, where the write landed.
    assert_eq!(fs::read_to_string(host.path().join("out")).unwrap(), "one");
    assert_eq!(fs::read_to_string(root.join("data/out")).unwrap(), "one");
    assert_eq!(ctx.container_filesystem("web").unwrap(), root);
}

#[test]
fn a_path_taken_before_a_run_shows_what_the_run_left() {
    let host = tempfile::tempdir().unwrap();
    let mut ctx = Context::<FilesCharm>::from_yaml(META).unwrap();
    let container = web(host.path());
    let root = container.get_filesystem(&ctx).unwrap();
    assert!(listing(&root).is_empty());
    for content in ["one", "two", "three"] {
        ctx.run(ctx.on.pebble_ready(&container), state(content, host.path()))
            .unwrap();
        let want = format!("etc/app/{content}.conf");
        assert_eq!(listing(&root), ["data", "etc", "etc/app", want.as_str()]);
        assert_eq!(fs::read_to_string(root.join(&want)).unwrap(), content);
    }
    // Each run after the first found the earlier one's files and said so.
    let warnings = ctx
        .juju_log
        .iter()
        .filter(|line| line.message.contains("non-empty"))
        .count();
    assert_eq!(warnings, 2, "{:?}", ctx.juju_log);
    // Nothing but the containers' directories in the Context's directory.
    let context_dir = root.parent().unwrap().parent().unwrap();
    assert_eq!(
        listing(context_dir).first().map(String::as_str),
        Some("containers")
    );
    assert!(!context_dir.join("trash").exists());
}
