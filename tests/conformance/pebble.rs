//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_e2e/test_pebble.py>.
//!
//! Upstream's `Charm` observes every event with a no-op handler and checks
//! things in `post_event`; here that is the catch-all charm and its
//! `post_event` hook (run after the dispatched event). Upstream's
//! `with ctx(...) as mgr:` blocks, which call the charm's model between
//! setup and run, are post-event hooks too.

use crate::helpers::{AnyEvent, CatchAll, Probe, catch_all, is, meta, state_delta, trigger};
use ops::pebble::{
    CheckLevel, CheckStartup, CheckStatus, Layer, LogTargetType, NoticeType, NoticesOptions,
    Override, PushOptions, ServiceStartup, ServiceStatus,
};
use ops::{
    Charm, ConfigChangedEvent, Framework, HandlerResult, Model, PebbleCheckFailedEvent,
    PebbleCheckRecoveredEvent, PebbleCustomNoticeEvent, PebbleError, PebbleReadyEvent, on,
};
use ops_testing::{CheckInfo, Container, Context, Exec, Mount, Notice, State};
use pretty_assertions::assert_eq;
use rstest::rstest;
use std::cell::RefCell;
use std::rc::Rc;

const META_FOO: &str = "name: foo\ncontainers:\n  foo: {}\n";

fn post(f: impl Fn(&Model) -> HandlerResult + 'static) -> Probe {
    Probe {
        post_event: Some(Rc::new(f)),
        ..Probe::default()
    }
}

fn layer(yaml: &str) -> Layer {
    Layer::from_yaml(yaml).expect("test layer parses")
}

fn connectable(name: &str) -> Container {
    Container::new(name).can_connect(true)
}

#[test]
fn test_no_containers() {
    let probe = post(|model| {
        assert!(model.unit().containers()?.is_empty());
        Ok(())
    });
    trigger(&State::default(), |on| on.start(), "name: foo", &probe).unwrap();
}

#[test]
fn test_containers_from_meta() {
    let probe = post(|model| {
        assert!(!model.unit().containers()?.is_empty());
        assert_eq!(model.unit().get_container("foo")?.name(), "foo");
        Ok(())
    });
    trigger(&State::default(), |on| on.start(), META_FOO, &probe).unwrap();
}

#[rstest]
fn test_connectivity(#[values(true, false)] can_connect: bool) {
    let probe = post(move |model| {
        assert_eq!(
            model.unit().get_container("foo")?.can_connect(),
            can_connect
        );
        Ok(())
    });
    let state = State {
        containers: vec![Container::new("foo").can_connect(can_connect)],
        ..State::default()
    };
    trigger(&state, |on| on.start(), META_FOO, &probe).unwrap();
}

#[test]
fn test_fs_push() {
    let text = "lorem ipsum/n alles amat gloriae foo";
    let tmp = tempfile::tempdir().unwrap();
    let pth = tmp.path().join("textfile");
    std::fs::write(&pth, text).unwrap();

    let probe = post(move |model| {
        let container = model.unit().get_container("foo")?;
        assert_eq!(container.pull_text("/bar/baz.txt")?, text);
        Ok(())
    });
    let state = State {
        containers: vec![connectable("foo").mount("bar", Mount::new("/bar/baz.txt", &pth))],
        ..State::default()
    };
    trigger(&state, |on| on.start(), META_FOO, &probe).unwrap();
}

#[rstest]
fn test_fs_pull(#[values(true, false)] make_dirs: bool) {
    let text = "lorem ipsum/n alles amat gloriae foo";
    let tmp = tempfile::tempdir().unwrap();

    let probe = post(move |model| {
        let container = model.unit().get_container("foo")?;
        let options = PushOptions::new().make_dirs(make_dirs);
        if make_dirs {
            container.push_with("/foo/bar/baz.txt", text, &options)?;
            // check that pulling immediately 'works'
            assert_eq!(container.pull_text("/foo/bar/baz.txt")?, text);
        } else {
            let err = container
                .push_with("/foo/bar/baz.txt", text, &options)
                .unwrap_err();
            assert!(matches!(err, PebbleError::Path { .. }), "{err}");
            // check that nothing was changed
            let err = container.pull("/foo/bar/baz.txt").unwrap_err();
            assert!(matches!(err, PebbleError::Path { .. }), "{err}");
        }
        Ok(())
    });
    let container = connectable("foo").mount("foo", Mount::new("/foo", tmp.path()));
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    let mut ctx = catch_all(META_FOO, &probe);
    let out = ctx.run(ctx.on.start(), &state).unwrap();

    if make_dirs {
        // this is one way to retrieve the file
        let file = tmp.path().join("bar").join("baz.txt");
        // another is:
        let base = &out.get_container("foo").unwrap().mounts["foo"].source;
        assert_eq!(file, base.join("bar").join("baz.txt"));
        // but that is actually a symlink to the context's container folder:
        let root = ctx.container_filesystem("foo").unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("foo/bar/baz.txt")).unwrap(),
            text
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
        // shortcut for API niceness purposes:
        let file = container
            .get_filesystem(&ctx)
            .unwrap()
            .join("foo/bar/baz.txt");
        assert_eq!(std::fs::read_to_string(file).unwrap(), text);
    } else {
        // nothing has changed
        let out_purged = State {
            stored_states: state.stored_states.clone(),
            ..out
        };
        assert!(state_delta(&out_purged, &state).is_empty());
    }
}

const LS: &str = "
.rw-rw-r--  228 ubuntu ubuntu 18 jan 12:05 -- charmcraft.yaml
.rw-rw-r--  497 ubuntu ubuntu 18 jan 12:05 -- config.yaml
.rw-rw-r--  900 ubuntu ubuntu 18 jan 12:05 -- CONTRIBUTING.md
drwxrwxr-x    - ubuntu ubuntu 18 jan 12:06 -- lib
.rw-rw-r--  11k ubuntu ubuntu 18 jan 12:05 -- LICENSE
.rw-rw-r-- 1,6k ubuntu ubuntu 18 jan 12:05 -- metadata.yaml
.rw-rw-r--  845 ubuntu ubuntu 18 jan 12:05 -- pyproject.toml
.rw-rw-r--  831 ubuntu ubuntu 18 jan 12:05 -- README.md
.rw-rw-r--   13 ubuntu ubuntu 18 jan 12:05 -- requirements.txt
drwxrwxr-x    - ubuntu ubuntu 18 jan 12:05 -- src
drwxrwxr-x    - ubuntu ubuntu 18 jan 12:05 -- tests
.rw-rw-r-- 1,9k ubuntu ubuntu 18 jan 12:05 -- tox.ini
";
const PS: &str = "
    PID TTY          TIME CMD
 298238 pts/3    00:00:04 zsh
1992454 pts/3    00:00:00 ps
";

#[rstest]
#[case("ls", LS)]
#[case("ps", PS)]
fn test_exec(#[case] cmd: &'static str, #[case] out: &'static str) {
    let probe = post(move |model| {
        let container = model.unit().get_container("foo")?;
        let (stdout, _) = container.exec([cmd]).wait_output()?;
        assert_eq!(stdout, out);
        Ok(())
    });
    let state = State {
        containers: vec![connectable("foo").exec(Exec::new([cmd]).stdout(out))],
        ..State::default()
    };
    trigger(&state, |on| on.start(), META_FOO, &probe).unwrap();
}

/// Upstream's three ways of giving stdin (writing to the process, a str, a
/// file-like object) are all bytes given before the command runs here.
#[rstest]
#[case::written(|| b"hello world!".to_vec())]
#[case::text(|| "hello world!".into())]
#[case::reader(|| {
    let mut buf = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Cursor::new("hello world!"), &mut buf).unwrap();
    buf
})]
fn test_exec_history_stdin(#[case] stdin: fn() -> Vec<u8>) {
    let probe = Probe::calling(move |model, event| {
        if is::<PebbleReadyEvent>(event) {
            let container = model.unit().get_container("foo")?;
            container.exec(["ls"]).stdin(stdin()).wait()?;
        }
        Ok(())
    });
    let mut ctx = catch_all(META_FOO, &probe);
    let container = connectable("foo").exec(Exec::new([] as [&str; 0]));
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    ctx.run(ctx.on.pebble_ready(&container), state).unwrap();
    assert_eq!(
        ctx.exec_history[&container.name][0].stdin_text().as_deref(),
        Some("hello world!")
    );
}

#[test]
fn test_pebble_ready() {
    let probe = post(|model| {
        assert!(model.unit().get_container("foo")?.can_connect());
        Ok(())
    });
    let container = connectable("foo");
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    trigger(&state, |on| on.pebble_ready(&container), META_FOO, &probe).unwrap();
}

struct PlanCharm {
    starting_service_status: ServiceStatus,
}

impl Charm for PlanCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        framework.observe(on::pebble_ready("foo"), Self::on_ready);
        PlanCharm {
            starting_service_status: ServiceStatus::Inactive,
        }
    }
}

impl PlanCharm {
    fn on_ready(&mut self, event: &mut PebbleReadyEvent) -> HandlerResult {
        let workload = &event.workload;
        assert_eq!(
            workload.get_plan()?,
            layer("services: {fooserv: {startup: enabled}}")
        );
        let fooserv = &workload.get_services(&["fooserv"])?["fooserv"];
        assert_eq!(fooserv.startup, ServiceStartup::Enabled);
        assert_eq!(fooserv.current, ServiceStatus::Active);

        workload.add_layer(
            "bar",
            &layer("summary: bla\ndescription: deadbeef\nservices: {barserv: {startup: disabled}}"),
            false,
        )?;
        workload.replan()?;
        assert_eq!(
            workload.get_plan()?,
            layer("services: {barserv: {startup: disabled}, fooserv: {startup: enabled}}")
        );
        assert_eq!(
            workload.get_service("barserv")?.unwrap().current,
            self.starting_service_status
        );
        workload.start(&["barserv"])?;
        // whatever the original state, starting a service sets it to active
        assert_eq!(
            workload.get_service("barserv")?.unwrap().current,
            ServiceStatus::Active
        );
        Ok(())
    }
}

#[rstest]
fn test_pebble_plan(
    #[values(ServiceStatus::Active, ServiceStatus::Inactive, ServiceStatus::Error)]
    starting_service_status: ServiceStatus,
) {
    let container = connectable("foo")
        .layer(
            "foo",
            layer("summary: bla\ndescription: deadbeef\nservices: {fooserv: {startup: enabled}}"),
        )
        .service_status("fooserv", ServiceStatus::Active)
        .service_status("barserv", starting_service_status.clone());
    let status = starting_service_status.clone();
    let mut ctx = Context::<PlanCharm>::new(meta(META_FOO)).with_charm(move |framework| {
        let mut charm = PlanCharm::new(framework);
        charm.starting_service_status = status.clone();
        charm
    });
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.pebble_ready(&container), state).unwrap();

    let container = out.get_container("foo").unwrap();
    assert_eq!(
        container.plan().services,
        layer("services: {barserv: {startup: disabled}, fooserv: {startup: enabled}}").services
    );
    let services = container.services();
    assert_eq!(services["fooserv"].current, ServiceStatus::Active);
    assert_eq!(services["fooserv"].startup, ServiceStartup::Enabled);
    assert_eq!(services["barserv"].current, ServiceStatus::Active);
    assert_eq!(services["barserv"].startup, ServiceStartup::Disabled);
}

fn exec_state(exec: Exec) -> State {
    State {
        containers: vec![connectable("foo").exec(exec)],
        ..State::default()
    }
}

#[test]
fn test_exec_wait_error() {
    let state = exec_state(Exec::new(["foo"]).stdout("hello pebble").return_code(1));
    let probe = post(|model| {
        let container = model.unit().get_container("foo")?;
        match container.exec(["foo"]).wait_output() {
            Err(PebbleError::Exec { stdout, .. }) => assert_eq!(stdout, "hello pebble"),
            other => panic!("expected an ExecError, got {other:?}"),
        }
        Ok(())
    });
    trigger(&state, |on| on.start(), META_FOO, &probe).unwrap();
}

#[rstest]
#[case(&["foo"])]
#[case(&["foo", "bar"])]
#[case(&["foo", "bar", "baz"])]
fn test_exec_wait_output(#[case] command: &'static [&'static str]) {
    let state = exec_state(Exec::new(["foo"]).stdout("hello pebble").stderr("oepsie"));
    let probe = post(move |model| {
        let container = model.unit().get_container("foo")?;
        let (out, err) = container.exec(command.iter().copied()).wait_output()?;
        assert_eq!(out, "hello pebble");
        assert_eq!(err, "oepsie");
        Ok(())
    });
    let mut ctx = catch_all(META_FOO, &probe);
    ctx.run(ctx.on.start(), &state).unwrap();
    assert_eq!(ctx.exec_history["foo"][0].command, command);
}

#[test]
fn test_exec_wait_output_error() {
    let state = exec_state(Exec::new(["foo"]).stdout("hello pebble").return_code(1));
    let probe = post(|model| {
        let container = model.unit().get_container("foo")?;
        let err = container.exec(["foo"]).wait_output().unwrap_err();
        assert!(
            matches!(err, PebbleError::Exec { exit_code: 1, .. }),
            "{err}"
        );
        Ok(())
    });
    trigger(&state, |on| on.start(), META_FOO, &probe).unwrap();
}

#[test]
fn test_pebble_custom_notice() {
    let notices = [
        Notice::new("example.com/foo"),
        Notice::new("example.com/bar").last_data([("a", "b")]),
        Notice::new("example.com/baz").occurrences(42),
    ];
    let container = connectable("foo");
    let container = notices.iter().cloned().fold(container, Container::notice);
    let expected: Vec<_> = notices.iter().map(Notice::to_pebble).collect();
    let probe = post(move |model| {
        let container = model.unit().get_container("foo")?;
        assert_eq!(container.get_notices(&NoticesOptions::new())?, expected);
        Ok(())
    });
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    trigger(
        &state,
        |on| on.pebble_custom_notice(&container, &notices[2]),
        META_FOO,
        &probe,
    )
    .unwrap();
}

#[test]
fn test_pebble_custom_notice_in_charm() {
    let key = "example.com/test/charm";
    let mut notice = Notice::new(key)
        .last_data([("foo", "bar")])
        .user_id(100)
        .occurrences(42);
    notice.first_occurred = "1979-01-25T11:00:00Z".into();
    notice.last_occurred = "2006-08-28T13:28:00Z".into();
    notice.last_repeated = "2023-09-04T09:00:00Z".into();
    notice.repeat_after = Some("168h0m0s".into());
    notice.expire_after = Some("8760h0m0s".into());
    let notices = [
        Notice::new("example.com/test/other"),
        Notice::new("example.org/test/charm").last_data([("foo", "baz")]),
        notice.clone(),
    ];
    let container = notices
        .iter()
        .cloned()
        .fold(connectable("foo"), Container::notice);
    let seen = Rc::new(RefCell::new(0));
    let count = seen.clone();
    let probe = Probe::calling(move |_, event: &mut dyn AnyEvent| {
        if let Some(event) = event.as_any().downcast_mut::<PebbleCustomNoticeEvent>() {
            assert_eq!(event.notice.notice_type, NoticeType::Custom);
            assert_eq!(event.notice.key, key);
            let full = event.notice.get()?;
            assert_eq!(
                full.last_data,
                [("foo".to_owned(), "bar".to_owned())].into()
            );
            assert_eq!(full.user_id, Some(100));
            assert_eq!(full.first_occurred, "1979-01-25T11:00:00Z");
            assert_eq!(full.last_occurred, "2006-08-28T13:28:00Z");
            assert_eq!(full.last_repeated, "2023-09-04T09:00:00Z");
            assert_eq!(full.occurrences, 42);
            assert_eq!(full.repeat_after.as_deref(), Some("168h0m0s"));
            assert_eq!(full.expire_after.as_deref(), Some("8760h0m0s"));
            *count.borrow_mut() += 1;
        }
        Ok(())
    });
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    trigger(
        &state,
        |on| on.pebble_custom_notice(&container, &notice),
        META_FOO,
        &probe,
    )
    .unwrap();
    assert_eq!(*seen.borrow(), 1);
}

const HTTP_CHECK_LAYER: &str =
    "checks: {http-check: {override: replace, startup: enabled, threshold: 3}}";

/// The check infos the failed/recovered handlers saw, by container.
type Infos = Rc<RefCell<Vec<(String, ops::pebble::CheckInfo)>>>;

fn capture_checks(infos: &Infos) -> Probe {
    let infos = infos.clone();
    Probe::calling(move |_, event: &mut dyn AnyEvent| {
        let any = event.as_any();
        let seen = if let Some(e) = any.downcast_mut::<PebbleCheckFailedEvent>() {
            Some((e.workload.name().to_owned(), e.info.get()?))
        } else if let Some(e) = any.downcast_mut::<PebbleCheckRecoveredEvent>() {
            Some((e.workload.name().to_owned(), e.info.get()?))
        } else {
            None
        };
        infos.borrow_mut().extend(seen);
        Ok(())
    })
}

#[test]
fn test_pebble_check_failed() {
    let infos = Infos::default();
    let check = CheckInfo::new("http-check")
        .successes(Some(3))
        .failures(7)
        .status(CheckStatus::Down)
        .startup(CheckStartup::Enabled)
        .threshold(Some(3));
    let container = Container::new("foo")
        .check_info(check.clone())
        .layer("layer1", layer(HTTP_CHECK_LAYER));
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    trigger(
        &state,
        |on| on.pebble_check_failed(&container, &check),
        META_FOO,
        &capture_checks(&infos),
    )
    .unwrap();
    let infos = infos.borrow();
    assert_eq!(infos.len(), 1);
    let info = &infos[0].1;
    assert_eq!(info.name, "http-check");
    assert_eq!(info.status, CheckStatus::Down);
    assert_eq!(info.successes, Some(3));
    assert_eq!(info.failures, 7);
}

#[test]
fn test_pebble_check_recovered() {
    let infos = Infos::default();
    let check = CheckInfo::new("http-check")
        .successes(None)
        .status(CheckStatus::Up)
        .startup(CheckStartup::Enabled)
        .threshold(Some(3));
    let container = Container::new("foo")
        .check_info(check.clone())
        .layer("layer1", layer(HTTP_CHECK_LAYER));
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    trigger(
        &state,
        |on| on.pebble_check_recovered(&container, &check),
        META_FOO,
        &capture_checks(&infos),
    )
    .unwrap();
    let infos = infos.borrow();
    assert_eq!(infos.len(), 1);
    let info = &infos[0].1;
    assert_eq!(info.name, "http-check");
    assert_eq!(info.status, CheckStatus::Up);
    assert_eq!(info.successes, None);
    assert_eq!(info.failures, 0);
}

#[test]
fn test_pebble_check_failed_two_containers() {
    let infos = Infos::default();
    let check = CheckInfo::new("http-check")
        .failures(7)
        .status(CheckStatus::Down)
        .startup(CheckStartup::Enabled)
        .threshold(Some(3));
    let foo = Container::new("foo")
        .check_info(check.clone())
        .layer("layer1", layer(HTTP_CHECK_LAYER));
    let bar = Container {
        name: "bar".into(),
        ..foo.clone()
    };
    let state = State {
        containers: vec![foo.clone(), bar],
        ..State::default()
    };
    trigger(
        &state,
        |on| on.pebble_check_failed(&foo, &check),
        "name: foo\ncontainers: {foo: {}, bar: {}}",
        &capture_checks(&infos),
    )
    .unwrap();
    let infos = infos.borrow();
    let foo_infos: Vec<_> = infos.iter().filter(|(c, _)| c == "foo").collect();
    let bar_infos: Vec<_> = infos.iter().filter(|(c, _)| c == "bar").collect();
    assert_eq!(foo_infos.len(), 1);
    let info = &foo_infos[0].1;
    assert_eq!(info.name, "http-check");
    assert_eq!(info.status, CheckStatus::Down);
    assert_eq!(info.successes, Some(0));
    assert_eq!(info.failures, 7);
    assert!(bar_infos.is_empty());
}

/// A charm whose pebble-ready adds `layer` as `label` (upstream's
/// `LayerCharm`, `StartCharm` and `CombineLayerCharm`), whose
/// config-changed runs `on_config`.
fn layer_probe(
    container: &'static str,
    label: &'static str,
    yaml: String,
    combine: bool,
    on_config: fn(&ops::Container) -> HandlerResult,
) -> Probe {
    Probe::calling(move |model, event| {
        let workload = model.unit().get_container(container)?;
        if is::<PebbleReadyEvent>(event) {
            workload.add_layer(label, &layer(&yaml), combine)?;
        } else if is::<ConfigChangedEvent>(event) {
            on_config(&workload)?;
        }
        Ok(())
    })
}

fn nothing(_: &ops::Container) -> HandlerResult {
    Ok(())
}

#[test]
fn test_pebble_add_layer() {
    let probe = layer_probe(
        "foo",
        "foo",
        "checks: {chk1: {override: replace}}".into(),
        false,
        nothing,
    );
    let mut ctx = catch_all(META_FOO, &probe);
    let container = connectable("foo");
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    let out = ctx.run(ctx.on.pebble_ready(&container), state).unwrap();
    let chk1 = out
        .get_container("foo")
        .unwrap()
        .get_check_info("chk1")
        .unwrap();
    assert_eq!(chk1.status, CheckStatus::Up);
}

#[test]
fn test_pebble_start_check() {
    let probe = layer_probe(
        "foo",
        "foo",
        "checks: {chk1: {override: replace, startup: disabled, threshold: 3}}".into(),
        false,
        |c| c.start_checks(&["chk1"]).map(drop).map_err(Into::into),
    );
    let mut ctx = catch_all(META_FOO, &probe);
    let container = connectable("foo");
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    // Ensure that it starts as inactive.
    let out = ctx.run(ctx.on.pebble_ready(&container), state).unwrap();
    let chk1 = out
        .get_container("foo")
        .unwrap()
        .get_check_info("chk1")
        .unwrap();
    assert_eq!(chk1.status, CheckStatus::Inactive);

    // Verify that start_checks works.
    let out = ctx.run(ctx.on.config_changed(), out).unwrap();
    let chk1 = out
        .get_container("foo")
        .unwrap()
        .get_check_info("chk1")
        .unwrap();
    assert_eq!(chk1.status, CheckStatus::Up);
}

const CHK1_LAYER: &str = "checks: {chk1: {override: replace, startup: enabled, threshold: 3}}";

fn chk1_container(status: CheckStatus) -> Container {
    let info = CheckInfo::new("chk1")
        .status(status)
        .startup(CheckStartup::Enabled)
        .threshold(Some(3));
    connectable("foo")
        .check_info(info)
        .layer("layer1", layer(CHK1_LAYER))
}

#[test]
fn test_pebble_stop_check() {
    let probe = layer_probe("foo", "unused", String::new(), false, |c| {
        c.stop_checks(&["chk1"]).map(drop).map_err(Into::into)
    });
    let mut ctx = catch_all(META_FOO, &probe);
    let state = State {
        containers: vec![chk1_container(CheckStatus::Up)],
        ..State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), state).unwrap();
    let info = out
        .get_container("foo")
        .unwrap()
        .get_check_info("chk1")
        .unwrap();
    assert_eq!(info.status, CheckStatus::Inactive);
}

#[test]
fn test_pebble_replan_checks() {
    let probe = layer_probe("foo", "unused", String::new(), false, |c| {
        c.replan().map_err(Into::into)
    });
    let mut ctx = catch_all(META_FOO, &probe);
    let state = State {
        containers: vec![chk1_container(CheckStatus::Inactive)],
        ..State::default()
    };
    let out = ctx.run(ctx.on.config_changed(), state).unwrap();
    let info = out
        .get_container("foo")
        .unwrap()
        .get_check_info("chk1")
        .unwrap();
    assert_eq!(info.status, CheckStatus::Up);
}

#[rstest]
fn test_add_layer_merge_check(
    #[values((false, "new-layer"), (true, "base"))] combine_and_name: (bool, &'static str),
    #[values(
        "checks: {server-ready: {override: merge, level: ready, http: {url: 'http://localhost:5050/version'}}}",
        "checks: {server-ready: {override: merge, level: alive, threshold: 30, startup: disabled, http: {url: 'http://localhost:5050/version'}}}"
    )]
    new_layer_yaml: &'static str,
) {
    let (combine, new_layer_name) = combine_and_name;
    let probe = layer_probe(
        "my-container",
        new_layer_name,
        new_layer_yaml.to_owned(),
        combine,
        nothing,
    );
    let mut ctx = catch_all("name: foo\ncontainers: {my-container: {}}", &probe);
    let layer_in = layer(
        "checks: {server-ready: {override: replace, level: ready, startup: enabled, threshold: 10, http: {url: 'http://localhost:5000/version'}}}",
    );
    let check_in = CheckInfo::new("server-ready")
        .level(CheckLevel::Ready)
        .threshold(Some(10))
        .startup(CheckStartup::Enabled);
    let container_in = connectable("my-container")
        .layer("base", layer_in)
        .check_info(check_in);
    assert_eq!(
        container_in.get_check_info("server-ready").unwrap().level,
        Some(CheckLevel::Ready)
    );
    let state_in = State {
        containers: vec![container_in.clone()],
        ..State::default()
    };
    let out = ctx
        .run(ctx.on.pebble_ready(&container_in), state_in)
        .unwrap();

    let check_out = out
        .get_container(&container_in.name)
        .unwrap()
        .get_check_info("server-ready")
        .unwrap();
    let new_check = &layer(new_layer_yaml).checks["server-ready"];
    assert_eq!(
        check_out.level,
        Some(new_check.level.clone().unwrap_or(CheckLevel::Ready))
    );
    assert_eq!(
        check_out.startup,
        new_check.startup.clone().unwrap_or(CheckStartup::Enabled)
    );
    assert_eq!(check_out.threshold, Some(new_check.threshold.unwrap_or(10)));
}

const MERGE_LAYER1: &str = "
services:
  server: {override: replace, command: /bin/sleep 10, summary: sum, description: desc, startup: enabled}
checks:
  server-ready:
    override: replace
    level: ready
    startup: enabled
    threshold: 10
    period: 1s
    timeout: 28s
    http: {url: 'http://localhost:5000/version'}
log-targets:
  loki: {override: replace, type: loki, location: 'https://loki.example.com', services: [server], labels: {foo: bar}}
";
const MERGE_LAYER2: &str = "
services:
  server: {override: merge, command: /bin/sleep 20}
checks:
  server-ready: {override: merge, level: alive, http: {url: 'http://localhost:5050/version'}}
log-targets:
  loki: {override: merge, location: 'https://loki2.example.com'}
";

#[rstest]
#[case("a-base", "b-base")]
#[case("b-base", "a-base")]
fn test_layers_merge_in_plan(#[case] layer1_name: &'static str, #[case] layer2_name: &'static str) {
    let probe = post(move |model| {
        let container = model.unit().get_container("my-container")?;
        container.add_layer(layer1_name, &layer(MERGE_LAYER1), false)?;
        container.add_layer(layer2_name, &layer(MERGE_LAYER2), false)?;
        Ok(())
    });
    // TODO (upstream) also a starting layer.
    let container = connectable("my-container");
    let state = State {
        containers: vec![container.clone()],
        ..State::default()
    };
    let out = trigger(
        &state,
        |on| on.update_status(),
        "name: foo\ncontainers: {my-container: {}}",
        &probe,
    )
    .unwrap();
    let plan = out.get_container(&container.name).unwrap().plan();

    let service = &plan.services["server"];
    assert_eq!(service.summary, "sum");
    assert_eq!(service.description, "desc");
    assert_eq!(service.startup, Some(ServiceStartup::Enabled));
    assert_eq!(service.r#override, Some(Override::Merge));
    assert_eq!(service.command, "/bin/sleep 20");

    let check = &plan.checks["server-ready"];
    assert_eq!(check.startup, Some(CheckStartup::Enabled));
    assert_eq!(check.threshold, Some(10));
    assert_eq!(check.period.as_deref(), Some("1s"));
    assert_eq!(check.timeout.as_deref(), Some("28s"));
    assert_eq!(check.r#override, Some(Override::Merge));
    assert_eq!(check.level, Some(CheckLevel::Alive));
    let http = check.http.as_ref().unwrap();
    assert_eq!(http.url, "http://localhost:5050/version");

    let log_target = &plan.log_targets["loki"];
    assert_eq!(log_target.target_type, Some(LogTargetType::Loki));
    assert_eq!(log_target.services, ["server"]);
    assert_eq!(
        log_target.labels,
        [("foo".to_owned(), "bar".to_owned())].into()
    );
    assert_eq!(log_target.r#override, Some(Override::Merge));
    assert_eq!(log_target.location, "https://loki2.example.com");
}

#[test]
fn test_plan_accessed_twice_does_not_accumulate_list_fields() {
    let layer1 = layer(
        "
services:
  svc-a: {override: replace, command: /bin/a, after: [other], before: [another], requires: [dep]}
checks:
  chk-a: {override: replace, level: ready, http: {url: 'http://localhost:8080'}}
log-targets:
  lt-a: {override: replace, type: loki, location: 'https://loki.example.com', services: [svc-a]}
",
    );
    let layer2 = layer(
        "
services:
  svc-a: {override: merge, command: /bin/a2, after: [redis], before: [cleanup], requires: [dep2]}
checks:
  chk-a: {override: merge, level: alive}
log-targets:
  lt-a: {override: merge, location: 'https://loki2.example.com', services: [svc-b]}
",
    );
    let container = connectable("my-container")
        .layer("base", layer1.clone())
        .layer("override", layer2);

    let plan1 = container.plan();
    let plan2 = container.plan();
    // Service list fields must not accumulate duplicates.
    assert_eq!(plan1.services["svc-a"].after, plan2.services["svc-a"].after);
    assert_eq!(
        plan1.services["svc-a"].before,
        plan2.services["svc-a"].before
    );
    assert_eq!(
        plan1.services["svc-a"].requires,
        plan2.services["svc-a"].requires
    );
    // Check fields must be stable across accesses.
    assert_eq!(plan1.checks["chk-a"].level, plan2.checks["chk-a"].level);
    // Log target list fields must not accumulate duplicates.
    assert_eq!(
        plan1.log_targets["lt-a"].services,
        plan2.log_targets["lt-a"].services
    );
    // Also verify the original layer objects are not mutated.
    let base = container.get_layer("base").unwrap();
    assert_eq!(base, &layer1);
    assert_eq!(base.services["svc-a"].after, ["other"]);
    assert_eq!(base.services["svc-a"].before, ["another"]);
    assert_eq!(base.services["svc-a"].requires, ["dep"]);
    assert_eq!(base.log_targets["lt-a"].services, ["svc-a"]);
}

fn warned_non_empty(ctx: &Context<CatchAll>) -> bool {
    ctx.juju_log
        .iter()
        .any(|line| line.message.contains("mycontainer") && line.message.contains("non-empty"))
}

#[test]
fn test_warning_on_non_empty_container() {
    let probe = Probe::calling(|model, event| {
        if is::<ops::StartEvent>(event) {
            model
                .unit()
                .get_container("mycontainer")?
                .push("/foo.txt", "hello")?;
        }
        Ok(())
    });
    let mut ctx = catch_all("name: foo\ncontainers: {mycontainer: {}}", &probe);
    let state = State {
        containers: vec![connectable("mycontainer")],
        ..State::default()
    };
    // First run populates the container root with a file.
    ctx.run(ctx.on.start(), &state).unwrap();
    // Second run should warn that the container root is non-empty.
    ctx.run(ctx.on.start(), &state).unwrap();
    assert!(warned_non_empty(&ctx));
}

#[test]
fn test_no_warning_on_empty_container() {
    let mut ctx = catch_all(
        "name: foo\ncontainers: {mycontainer: {}}",
        &Probe::default(),
    );
    let state = State {
        containers: vec![connectable("mycontainer")],
        ..State::default()
    };
    // First run creates the container root.
    ctx.run(ctx.on.start(), &state).unwrap();
    // Second run should not warn since the container root is empty.
    ctx.run(ctx.on.start(), &state).unwrap();
    assert!(!warned_non_empty(&ctx));
}
