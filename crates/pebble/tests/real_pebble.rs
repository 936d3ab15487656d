//! The client against a real Pebble daemon (see `.ci/install-pebble`).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::Daemon;
use pebble::{
    Check, CheckStatus, Error, FileType, Layer, NoticeType, NoticesOptions, Override, PushOptions,
    Service, ServiceStartup, ServiceStatus,
};

macro_rules! daemon {
    () => {
        match Daemon::start() {
            Some(d) => d,
            None => return,
        }
    };
}

#[test]
fn system_info_reports_the_version() {
    let d = daemon!();
    let info = d.client.system_info().unwrap();
    assert!(info.version.starts_with('v'), "{info:?}");
}

#[test]
fn layers_combine_and_replan_starts_enabled_services() {
    let d = daemon!();
    let c = &d.client;
    let base = Layer::new().summary("base").service(
        "sleeper",
        Service::new("sleep 1000")
            .startup(ServiceStartup::Enabled)
            .env("A", "1"),
    );
    c.add_layer("base", &base, false).unwrap();
    // The same label without combine is refused.
    let err = c.add_layer("base", &base, false).unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status_code == 400),
        "{err}"
    );
    // Combining merges into the existing layer.
    let extra = Layer::new().service(
        "sleeper",
        Service::default()
            .with_override(Override::Merge)
            .env("B", "2"),
    );
    c.add_layer("base", &extra, true).unwrap();
    let plan = c.plan().unwrap();
    let svc = &plan.services["sleeper"];
    assert_eq!(svc.command, "sleep 1000");
    assert_eq!(svc.environment.len(), 2);
    // Our local merge agrees with the daemon's.
    let mut local = base.clone();
    local.merge(&extra).unwrap();
    assert_eq!(local.services["sleeper"].environment, svc.environment);

    // A layer without override is rejected by the daemon.
    let bad = Layer::new().service("x", Service::default());
    let err = c.add_layer("bad", &bad, false).unwrap_err();
    assert!(err.to_string().contains("override"), "{err}");

    assert_eq!(
        c.services(&["sleeper"]).unwrap()[0].current,
        ServiceStatus::Inactive
    );
    let change = c.replan_services().unwrap();
    assert!(change.ready);
    let info = &c.services(&["sleeper"]).unwrap()[0];
    assert_eq!(info.current, ServiceStatus::Active);
    assert!(info.is_running());

    c.stop_services(&["sleeper"]).unwrap();
    assert_eq!(
        c.services::<&str>(&[]).unwrap()[0].current,
        ServiceStatus::Inactive
    );
    c.start_services(&["sleeper"]).unwrap();
    c.restart_services(&["sleeper"]).unwrap();
    assert!(c.services(&["sleeper"]).unwrap()[0].is_running());

    // Signals reach a running service; an unknown one is an API error.
    c.send_signal("SIGHUP", &["sleeper"])
        .unwrap_or_else(|e| panic!("{e}"));
    let err = c.send_signal("SIGHUP", &["nope"]).unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err}");
    c.stop_services(&["sleeper"]).unwrap();
}

#[test]
fn a_service_that_exits_at_once_fails_its_change() {
    let d = daemon!();
    let c = &d.client;
    c.add_layer(
        "l",
        &Layer::new().service("dies", Service::new("false")),
        false,
    )
    .unwrap();
    let err = c.start_services(&["dies"]).unwrap_err();
    let Error::Change(ce) = &err else {
        panic!("expected a change error, got {err}");
    };
    assert!(ce.change.err.is_some());
    assert!(!ce.task_logs().is_empty(), "{err}");
    // Unknown services are refused outright.
    let err = c.start_services(&["missing"]).unwrap_err();
    assert!(matches!(err, Error::Api(e) if e.status_code == 400));
}

#[test]
fn a_failing_check_goes_down_and_can_be_stopped_and_started() {
    let d = daemon!();
    let c = &d.client;
    let layer = Layer::new()
        .check("bad", Check::exec("false").period("100ms").threshold(1))
        // A long period: under load a 100 ms run of `true` can time out
        // and take a threshold-1 check down.
        .check("good", Check::exec("true").period("10s").threshold(3));
    c.add_layer("checks", &layer, false).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let checks = c.checks::<&str>(None, &["bad"]).unwrap();
        if checks[0].status == CheckStatus::Down {
            assert!(checks[0].failures >= 1);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "check never went down: {checks:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let good = &c.checks(None, &["good"]).unwrap()[0];
    assert_eq!(good.status, CheckStatus::Up);
    assert_eq!(c.stop_checks(&["good"]).unwrap(), ["good"]);
    assert_eq!(
        c.checks(None, &["good"]).unwrap()[0].status,
        CheckStatus::Inactive
    );
    assert!(c.stop_checks(&["good"]).unwrap().is_empty());
    assert_eq!(c.start_checks(&["good"]).unwrap(), ["good"]);
    assert_eq!(c.checks::<&str>(None, &[]).unwrap().len(), 2);
}

#[test]
fn files_push_pull_list_mkdir_remove() {
    let d = daemon!();
    let c = &d.client;
    let small = d.path("a/b/hello.txt");
    c.push_bytes(
        &small,
        b"hi\n",
        &PushOptions::new().make_dirs(true).permissions(0o600),
    )
    .unwrap();
    assert_eq!(c.pull(&small).unwrap(), b"hi\n");
    let info = &c.list_files(&small, None, false).unwrap()[0];
    assert_eq!(info.file_type, FileType::File);
    assert_eq!(info.permissions, 0o600);
    assert_eq!(info.size, Some(3));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&small).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // A multi-megabyte file round-trips intact, streamed both ways.
    let big: Vec<u8> = (0..5_000_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let big_path = d.path("big.bin");
    c.push(&big_path, &big[..], &PushOptions::new()).unwrap();
    let mut out = Vec::new();
    assert_eq!(c.pull_to(&big_path, &mut out).unwrap(), big.len() as u64);
    assert!(out == big);

    // Without make_dirs, a missing parent is a path error.
    let err = c
        .push_bytes(&d.path("no/such/x"), b"x", &PushOptions::new())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Path(e) if e.kind == "not-found"),
        "{err}"
    );

    // Pulling a missing file or a directory is a path error.
    let err = c.pull(&d.path("missing")).unwrap_err();
    assert!(
        matches!(&err, Error::Path(e) if e.kind == "not-found"),
        "{err}"
    );
    assert!(matches!(c.pull(&d.path("a")), Err(Error::Path(_))));

    c.make_dir(
        &d.path("x/y/z"),
        &PushOptions::new().make_dirs(true).permissions(0o700),
    )
    .unwrap();
    let err = c.make_dir(&d.path("q/r"), &PushOptions::new()).unwrap_err();
    assert!(matches!(err, Error::Path(_)), "{err}");
    let listed = c.list_files(&d.path(""), None, false).unwrap();
    let mut names: Vec<_> = listed.iter().map(|f| f.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["a", "big.bin", "x"]);
    let dirs = c.list_files(&d.path(""), Some("*.bin"), false).unwrap();
    assert_eq!(dirs.len(), 1);
    let itself = c.list_files(&d.path("x/y/z"), None, true).unwrap();
    assert_eq!(itself[0].file_type, FileType::Directory);
    assert_eq!(itself[0].permissions, 0o700);

    // A missing path lists as a 404 API error.
    let err = c.list_files(&d.path("missing"), None, false).unwrap_err();
    assert!(matches!(&err, Error::Api(e) if e.is_not_found()), "{err}");

    // Non-recursive remove of a non-empty dir fails; recursive succeeds.
    assert!(matches!(
        c.remove_path(&d.path("a"), false),
        Err(Error::Path(_))
    ));
    c.remove_path(&d.path("a"), true).unwrap();
    c.remove_path(&big_path, false).unwrap();
    assert!(!std::path::Path::new(&big_path).exists());
}

#[test]
fn notices_notify_list_and_wait() {
    let d = daemon!();
    let c = &d.client;
    let mut data = BTreeMap::new();
    data.insert("k".to_owned(), "v".to_owned());
    let id = c.notify("example.com/thing", &data, None).unwrap();
    let id2 = c
        .notify("example.com/thing", &BTreeMap::new(), None)
        .unwrap();
    assert_eq!(id, id2, "same key: same notice, new occurrence");
    let notices = c
        .notices(&NoticesOptions::new().notice_type(NoticeType::Custom))
        .unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].key, "example.com/thing");
    assert_eq!(notices[0].occurrences, 2);
    assert_eq!(c.notice(&id).unwrap().id, id);

    // Waiting with nothing new times out empty.
    let after = notices[0].last_repeated.clone();
    let start = Instant::now();
    let none = c
        .wait_notices(
            &NoticesOptions::new().key("example.com/other"),
            Duration::from_millis(300),
        )
        .unwrap();
    assert!(none.is_empty());
    assert!(start.elapsed() >= Duration::from_millis(250));

    // A notice from another thread wakes a waiter.
    let c2 = c.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        c2.notify("example.com/other", &BTreeMap::new(), None)
            .unwrap();
    });
    let got = c
        .wait_notices(
            &NoticesOptions::new().key("example.com/other").after(after),
            Duration::from_secs(10),
        )
        .unwrap();
    t.join().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].key, "example.com/other");

    let err = c.notify("not a key", &BTreeMap::new(), None).unwrap_err();
    assert!(matches!(err, Error::Api(e) if e.status_code == 400));
}

#[test]
fn changes_are_listed_and_waited_for() {
    let d = daemon!();
    let c = &d.client;
    c.add_layer(
        "l",
        &Layer::new().service("s", Service::new("sleep 1000")),
        false,
    )
    .unwrap();
    let id = c.services_action_no_wait("start", &["s"]).unwrap();
    let change = c.wait_change(&id, Duration::from_secs(10)).unwrap();
    assert!(change.ready);
    assert_eq!(change.kind, "start");
    assert!(!change.tasks.is_empty());
    assert!(c.changes(true, None).unwrap().iter().any(|ch| ch.id == id));
    assert_eq!(c.change(&id).unwrap().id, id);
    let err = c.change(&"999999".into()).unwrap_err();
    assert!(matches!(err, Error::Api(e) if e.is_not_found()));
    c.stop_services(&["s"]).unwrap();
}

#[test]
fn identities_round_trip() {
    let d = daemon!();
    let c = &d.client;
    let mut ids = BTreeMap::new();
    ids.insert(
        "alice".to_owned(),
        pebble::Identity::local(pebble::IdentityAccess::Read, 4242),
    );
    c.replace_identities(&ids).unwrap();
    let got = c.identities().unwrap();
    assert_eq!(got["alice"].local.as_ref().unwrap().user_id, 4242);
    c.remove_identities(&["alice"]).unwrap();
    assert!(!c.identities().unwrap().contains_key("alice"));
}

#[test]
fn autostart_starts_enabled_services_and_needs_one() {
    let d = daemon!();
    let c = &d.client;
    c.add_layer(
        "l",
        &Layer::new().service("off", Service::new("sleep 1000")),
        false,
    )
    .unwrap();
    let err = c.autostart_services().unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status_code == 400 && e.kind.as_deref() == Some("no-default-services")),
        "{err}"
    );
    c.add_layer(
        "m",
        &Layer::new().service(
            "on",
            Service::new("sleep 1000").startup(ServiceStartup::Enabled),
        ),
        false,
    )
    .unwrap();
    let change = c.autostart_services().unwrap();
    assert!(change.ready && change.err.is_none(), "{change:?}");
    let infos = c.services::<&str>(&[]).unwrap();
    let status = |n: &str| infos.iter().find(|s| s.name == n).unwrap().current.clone();
    assert_eq!(status("on"), ServiceStatus::Active);
    assert_eq!(status("off"), ServiceStatus::Inactive);
    // A finished change cannot be aborted.
    let err = c.abort_change(&change.id).unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status_code == 400),
        "{err}"
    );
    c.stop_services(&["on"]).unwrap();
}

#[test]
fn a_service_action_gives_up_at_the_change_timeout() {
    let d = daemon!();
    // Ignores SIGTERM, so stopping it takes its whole kill-delay.
    let mut svc = Service::new("sh -c 'trap \"\" TERM; while true; do sleep 0.1; done'");
    svc.kill_delay = Some("1s".into());
    d.client
        .add_layer("l", &Layer::new().service("stubborn", svc), false)
        .unwrap();
    d.client.start_services(&["stubborn"]).unwrap();
    let impatient = d
        .client
        .clone()
        .with_change_timeout(Duration::from_millis(200));
    let start = Instant::now();
    let err = impatient.stop_services(&["stubborn"]).unwrap_err();
    let Error::Timeout { change_id, timeout } = &err else {
        panic!("expected a timeout, got {err}");
    };
    assert_eq!(*timeout, Duration::from_millis(200));
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(err.to_string().contains("wait again"), "{err}");
    // The work goes on: waiting again sees it finish.
    let change = d
        .client
        .wait_change(&change_id.as_str().into(), Duration::from_secs(10))
        .unwrap();
    assert!(change.ready);
    assert_eq!(
        d.client.services(&["stubborn"]).unwrap()[0].current,
        ServiceStatus::Inactive
    );
}

#[test]
fn push_and_make_dir_set_the_owner() {
    use std::os::unix::fs::MetadataExt;
    let d = daemon!();
    let c = &d.client;
    // The tests run as root when the daemon can change owners; skip otherwise.
    if std::fs::metadata(d.path("")).unwrap().uid() != 0 {
        eprintln!("SKIPPED: not root, cannot change file owners");
        return;
    }
    let by_name = d.path("by-name");
    c.push_bytes(
        &by_name,
        b"x",
        &PushOptions::new().user("daemon").group("daemon"),
    )
    .unwrap();
    let meta = std::fs::metadata(&by_name).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (1, 1));
    let info = &c.list_files(&by_name, None, false).unwrap()[0];
    assert_eq!(info.user, "daemon");
    assert_eq!(info.group_id, Some(1));

    let by_id = d.path("by-id");
    c.push_bytes(&by_id, b"y", &PushOptions::new().user_id(1).group_id(1))
        .unwrap();
    assert_eq!(std::fs::metadata(&by_id).unwrap().uid(), 1);

    let dir = d.path("owned/dir");
    c.make_dir(
        &dir,
        &PushOptions::new()
            .make_dirs(true)
            .user_id(1)
            .group("daemon")
            .permissions(0o750),
    )
    .unwrap();
    let info = &c.list_files(&dir, None, true).unwrap()[0];
    assert_eq!((info.user_id, info.permissions), (Some(1), 0o750));

    // An unknown user is the daemon's per-path error.
    let err = c
        .push_bytes(
            &d.path("z"),
            b"z",
            &PushOptions::new().user("no-such-user-x"),
        )
        .unwrap_err();
    assert!(matches!(&err, Error::Path(_)), "{err}");
}
