//! The production backend's Pebble calls, through the `Container` facade,
//! against a real Pebble daemon (skipped with a note when none is
//! installed, as the `juju-pebble` tests are; `.ci/run` requires one).

#[path = "../../pebble/tests/common/mod.rs"]
mod common;

use ops::backend::juju::JujuBackend;
use ops::pebble::{FileType, Layer, NoticesOptions, ServiceStatus};
use ops::{CharmMeta, JujuContext, Model, PebbleError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A model whose unit has the containers `web` (served by `daemon`, its
/// socket linked at `<dir>/web/pebble.socket` as Juju lays it out) and
/// `db` (no Pebble).
fn model(daemon: &common::Daemon, containers_dir: &std::path::Path) -> Model {
    let web = containers_dir.join("web");
    std::fs::create_dir_all(&web).unwrap();
    std::os::unix::fs::symlink(
        daemon.dir.path().join("pebble.socket"),
        web.join("pebble.socket"),
    )
    .unwrap();
    let meta = CharmMeta::from_yaml("name: app\ncontainers: {web: {}, db: {}}").unwrap();
    let context = JujuContext {
        unit_name: "app/0".into(),
        ..JujuContext::default()
    };
    let backend = JujuBackend::new().with_pebble_dir(containers_dir);
    Model::new(Arc::new(backend), Arc::new(meta), context)
}

#[test]
fn the_container_facade_drives_a_real_pebble() {
    let Some(daemon) = common::Daemon::start() else {
        return;
    };
    let containers = tempfile::tempdir().unwrap();
    let model = model(&daemon, containers.path());
    let web = model.unit().get_container("web").unwrap();
    assert!(web.can_connect());

    let layer = Layer::from_yaml(
        "summary: web\nservices:\n  srv: {override: replace, command: sleep 60, startup: enabled}\n\
         checks:\n  alive: {override: replace, exec: {command: 'true'}, period: 1s}\n",
    )
    .unwrap();
    web.add_layer("base", &layer, false).unwrap();
    assert_eq!(web.get_plan().unwrap().services["srv"].command, "sleep 60");
    web.replan().unwrap();
    assert_eq!(
        web.get_service("srv").unwrap().unwrap().current,
        ServiceStatus::Active
    );
    assert!(web.get_service("missing").unwrap().is_none());
    assert!(web.get_check("alive").unwrap().is_some());
    web.stop(&["srv"]).unwrap();
    assert_eq!(
        web.get_service("srv").unwrap().unwrap().current,
        ServiceStatus::Inactive
    );
    web.restart(&["srv"]).unwrap();
    web.send_signal("SIGHUP", &["srv"]).unwrap();

    let dir = daemon.path("conf");
    web.make_dir(&dir, true).unwrap();
    assert!(web.isdir(&dir).unwrap());
    let file = format!("{dir}/app.conf");
    web.push(&file, "port = 8080\n").unwrap();
    assert_eq!(web.pull_text(&file).unwrap(), "port = 8080\n");
    assert!(web.exists(&file).unwrap());
    let listed = web.list_files(&dir, Some("*.conf")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].file_type, FileType::File);
    web.remove_path(&dir, true).unwrap();
    assert!(!web.exists(&file).unwrap());
    let err = web.pull(&file).unwrap_err();
    assert!(err.is_not_found(), "{err}");

    // Waiting a little for the check to have run keeps the next call honest.
    let deadline = Instant::now() + Duration::from_secs(5);
    while web
        .get_check("alive")
        .unwrap()
        .unwrap()
        .successes
        .unwrap_or(1)
        == 0
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(web.stop_checks(&["alive"]).unwrap(), ["alive"]);
    assert_eq!(web.start_checks(&["alive"]).unwrap(), ["alive"]);
    assert!(web.get_notices(&NoticesOptions::new()).is_ok());

    let (stdout, stderr) = web
        .exec([
            "sh",
            "-c",
            "read line; echo \"$GREETING $line\"; echo oops >&2",
        ])
        .env("GREETING", "hello")
        .stdin("world\n")
        .wait_output()
        .unwrap();
    assert_eq!(stdout, "hello world\n");
    assert_eq!(stderr, "oops\n");
    let output = web.exec(["sh", "-c", "exit 3"]).output().unwrap();
    assert_eq!(output.exit_code, 3);
    match web.exec(["sh", "-c", "echo out; exit 2"]).wait_output() {
        Err(PebbleError::Exec {
            exit_code, stdout, ..
        }) => {
            assert_eq!(exit_code, 2);
            assert_eq!(stdout, "out\n");
        }
        other => panic!("expected an exec error, got {other:?}"),
    }
    let err = web.exec(["no-such-program-here"]).wait().unwrap_err();
    assert!(matches!(err, PebbleError::Api { code: 400, .. }), "{err}");

    let err = web.start(&["nope"]).unwrap_err();
    assert!(matches!(err, PebbleError::Api { code: 400, .. }), "{err}");
    assert_eq!(err.container(), "web");
}

#[test]
fn a_container_without_pebble_cannot_connect() {
    let Some(daemon) = common::Daemon::start() else {
        return;
    };
    let containers = tempfile::tempdir().unwrap();
    let model = model(&daemon, containers.path());
    let db = model.unit().get_container("db").unwrap();
    assert!(!db.can_connect());
    let err = db.get_plan().unwrap_err();
    assert!(err.is_connection(), "{err}");
    assert!(err.to_string().contains("\"db\""), "{err}");
    let err = model.unit().get_container("nope").unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}
