//! Every wrapped command against the fake `juju`: the exact argv sent, and
//! how its output and failures are read. The fake refuses any argv it was
//! not scripted with, so each successful call proves its argv.

use juju_integration::{
    AddModel, AddUnit, ConfigValue, Deploy, DestroyModel, Error, ExecTarget, RemoveUnit,
    SecretContent, Ssh, UpdateSecret,
};
use pretty_assertions::assert_eq;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

mod common;
use common::{FakeJuju, Reply};

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

#[test]
fn deploy_sends_model_after_the_subcommand_and_only_the_options_given() {
    let mut fake = FakeJuju::new();
    fake.on(&["deploy", "--model", "m", "postgresql"], &[Reply::ok("")]);
    fake.juju()
        .deploy("postgresql", &Deploy::default())
        .unwrap();
    assert_eq!(
        fake.calls(),
        [argv(&["deploy", "--model", "m", "postgresql"])]
    );
}

#[test]
fn deploy_with_every_option() {
    let mut fake = FakeJuju::new();
    let want = [
        "deploy",
        "--model",
        "m",
        "postgresql-k8s",
        "db",
        "--base",
        "ubuntu@22.04",
        "--channel",
        "14/stable",
        "--config",
        "port=5432",
        "--config",
        "verbose=true",
        "--constraints",
        "mem=2G",
        "--force",
        "--num-units",
        "3",
        "--resource",
        "image=postgres:14",
        "--revision",
        "42",
        "--to",
        "0,1",
        "--trust",
    ];
    fake.on(&want, &[Reply::ok("")]);
    let options = Deploy {
        app: Some("db".into()),
        channel: Some("14/stable".into()),
        revision: Some(42),
        base: Some("ubuntu@22.04".into()),
        config: BTreeMap::from([
            ("port".to_owned(), ConfigValue::from(5432)),
            ("verbose".to_owned(), true.into()),
        ]),
        constraints: BTreeMap::from([("mem".to_owned(), "2G".to_owned())]),
        resources: BTreeMap::from([("image".to_owned(), "postgres:14".to_owned())]),
        num_units: 3,
        to: vec!["0".into(), "1".into()],
        trust: true,
        force: true,
    };
    fake.juju().deploy("postgresql-k8s", &options).unwrap();
    assert_eq!(fake.calls(), [argv(&want)]);
}

#[test]
fn deploy_local_makes_the_path_local() {
    let mut fake = FakeJuju::new();
    fake.on(
        &["deploy", "--model", "m", "./leadership.charm"],
        &[Reply::ok("")],
    );
    fake.on(
        &[
            "deploy",
            "--model",
            "m",
            "/abs/leadership.charm",
            "--num-units",
            "3",
        ],
        &[Reply::ok("")],
    );
    let juju = fake.juju();
    juju.deploy_local("leadership.charm", &Deploy::default())
        .unwrap();
    juju.deploy_local(
        "/abs/leadership.charm",
        &Deploy {
            num_units: 3,
            ..Deploy::default()
        },
    )
    .unwrap();
    assert_eq!(fake.calls().len(), 2);
}

#[test]
fn integrate_and_remove_relation() {
    let mut fake = FakeJuju::new();
    fake.on(
        &["integrate", "--model", "m", "webapp:db", "database"],
        &[Reply::ok("")],
    );
    fake.on(
        &["remove-relation", "--model", "m", "webapp", "database"],
        &[Reply::ok("")],
    );
    let juju = fake.juju();
    juju.integrate("webapp:db", "database").unwrap();
    juju.remove_relation("webapp", "database").unwrap();
    assert_eq!(
        fake.calls(),
        [
            argv(&["integrate", "--model", "m", "webapp:db", "database"]),
            argv(&["remove-relation", "--model", "m", "webapp", "database"]),
        ]
    );
}

#[test]
fn config_get_set_and_reset() {
    let mut fake = FakeJuju::new();
    let config = json!({
        "application": "leadership",
        "charm": "leadership",
        "settings": {
            "port": {"default": 8080, "description": "Port.", "source": "default", "type": "int", "value": 8080},
            "username": {"description": "User.", "source": "unset", "type": "string"},
        }
    });
    fake.on(
        &["config", "--model", "m", "--format", "json", "leadership"],
        &[Reply::ok(&config.to_string())],
    );
    fake.on(
        &[
            "config",
            "--model",
            "m",
            "leadership",
            "port=9090",
            "username=root",
        ],
        &[Reply::ok("")],
    );
    fake.on(
        &[
            "config",
            "--model",
            "m",
            "leadership",
            "--reset",
            "port,username",
        ],
        &[Reply::ok("")],
    );
    let juju = fake.juju();
    let values = juju.config("leadership").unwrap();
    assert_eq!(values, BTreeMap::from([("port".to_owned(), json!(8080))]));
    juju.set_config(
        "leadership",
        [
            ("port", ConfigValue::from(9090)),
            ("username", "root".into()),
        ],
    )
    .unwrap();
    juju.reset_config("leadership", &["port", "username"])
        .unwrap();
    assert_eq!(fake.calls().len(), 3);
}

fn task_json(unit: &str, status: &str, code: i64, results: Value) -> String {
    let mut results = results;
    results["return-code"] = json!(code);
    json!({unit: {"id": "7", "status": status, "log": ["2026-12-03 12:00:00 +0000 UTC hello"],
        "results": results, "unit": unit}})
    .to_string()
}

#[test]
fn run_action_passes_params_in_a_file_and_types_the_results() {
    let mut fake = FakeJuju::new();
    fake.on(
        &[
            "run",
            "--model",
            "m",
            "--format",
            "json",
            "leadership/leader",
            "show-leader",
            "--wait",
            "30s",
            "--params",
            "<any>",
        ],
        &[Reply::ok(&task_json(
            "leadership/1",
            "completed",
            0,
            json!({"leader": "leadership/1", "nested": {"n": 1}}),
        ))],
    );
    let params: Map<String, Value> =
        serde_json::from_value(json!({"verbose": true, "count": 3, "name": "x"})).unwrap();
    let task = fake
        .juju()
        .run_with_wait(
            "leadership/leader",
            "show-leader",
            Some(&params),
            Some(Duration::from_secs(30)),
        )
        .unwrap();
    assert!(task.success());
    assert_eq!(task.unit, "leadership/1");
    assert_eq!(task.id, "7");
    assert_eq!(task.results["leader"], "leadership/1");
    assert_eq!(task.results["nested"]["n"], 1);
    assert!(!task.results.contains_key("return-code"));
    #[derive(serde::Deserialize)]
    struct ShowLeader {
        leader: String,
        nested: BTreeMap<String, u32>,
    }
    let typed: ShowLeader = task.results_as().unwrap();
    assert_eq!(
        (typed.leader.as_str(), typed.nested["n"]),
        ("leadership/1", 1)
    );
    assert_eq!(task.log, ["2026-12-03 12:00:00 +0000 UTC hello"]);
    assert_eq!(
        fake.calls_redacted(),
        [argv(&[
            "run",
            "--model",
            "m",
            "--format",
            "json",
            "leadership/leader",
            "show-leader",
            "--wait",
            "30s",
            "--params",
            "<file>"
        ])]
    );
    let files = fake.files();
    assert_eq!(files.len(), 1);
    let sent: Value = serde_json::from_str(&files[0].0).unwrap();
    assert_eq!(sent, json!({"verbose": true, "count": 3, "name": "x"}));
}

#[test]
fn run_without_params_and_a_failed_action_is_a_task_error() {
    let mut fake = FakeJuju::new();
    let mut failed =
        serde_json::from_str::<Value>(&task_json("leadership/0", "failed", 0, json!({}))).unwrap();
    failed["leadership/0"]["message"] = json!("not the leader");
    fake.on(
        &[
            "run",
            "--model",
            "m",
            "--format",
            "json",
            "leadership/0",
            "show-leader",
        ],
        &[Reply::with(
            1,
            &failed.to_string(),
            "ERROR the following task failed:\n id \"7\" with return code 0\n",
        )],
    );
    let error = fake
        .juju()
        .run("leadership/0", "show-leader", None)
        .unwrap_err();
    let Error::Task(task) = &error else {
        panic!("{error}")
    };
    assert_eq!(task.status, "failed");
    assert_eq!(task.message, "not the leader");
    let message = error.to_string();
    assert!(message.contains("task 7 on `leadership/0`"), "{message}");
    assert!(message.contains("not the leader"), "{message}");
}

#[test]
fn run_with_no_output_and_a_bad_unit_name() {
    let mut fake = FakeJuju::new();
    fake.on(
        &["run", "--model", "m", "--format", "json", "nope/0", "x"],
        &[Reply::fail(1, "ERROR unit \"nope/0\" not found\n")],
    );
    let error = fake.juju().run("nope/0", "x", None).unwrap_err();
    let cli = error.as_cli().expect("a CLI error");
    assert_eq!(cli.code, Some(1));
    assert_eq!(cli.stderr, "ERROR unit \"nope/0\" not found\n");
    assert!(cli.command.ends_with(&argv(&[
        "run", "--model", "m", "--format", "json", "nope/0", "x"
    ])));
    let error = fake.juju().run("leadership", "x", None).unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }), "{error}");
    assert!(error.to_string().contains("app/0"), "{error}");
}

#[test]
fn exec_on_a_unit_and_a_machine() {
    let mut fake = FakeJuju::new();
    let out = json!({"leadership/0": {"id": "8", "status": "completed",
        "results": {"return-code": 0, "stdout": "True\n"}, "unit": "leadership/0"}});
    fake.on(
        &[
            "exec",
            "--model",
            "m",
            "--format",
            "json",
            "--unit",
            "leadership/0",
            "--",
            "is-leader",
            "--format=json",
        ],
        &[Reply::ok(&out.to_string())],
    );
    let failed = json!({"0": {"id": "9", "status": "completed",
        "results": {"return-code": 3, "stdout": "", "stderr": "boom\n"}}});
    fake.on(
        &[
            "exec",
            "--model",
            "m",
            "--format",
            "json",
            "--machine",
            "0",
            "--wait",
            "10s",
            "--",
            "false",
        ],
        &[Reply::with(1, &failed.to_string(), "ERROR task failed\n")],
    );
    let juju = fake.juju();
    let task = juju
        .exec(
            &ExecTarget::Unit("leadership/0".into()),
            &["is-leader", "--format=json"],
        )
        .unwrap();
    assert_eq!(task.stdout, "True\n");
    assert_eq!(task.return_code, 0);
    let error = juju
        .exec_with_wait(
            &ExecTarget::Machine("0".into()),
            &["false"],
            Some(Duration::from_secs(10)),
        )
        .unwrap_err();
    let Error::Task(task) = error else {
        panic!("{error}")
    };
    assert_eq!(
        (task.unit.as_str(), task.return_code, task.stderr.as_str()),
        ("0", 3, "boom\n")
    );
    let empty: [&str; 0] = [];
    assert!(matches!(
        juju.exec(&ExecTarget::Machine("0".into()), &empty),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn ssh_and_scp() {
    let mut fake = FakeJuju::new();
    fake.on(
        &[
            "ssh",
            "--model",
            "m",
            "--container",
            "charm",
            "--no-host-key-checks",
            "root@leadership/0",
            "-o",
            "LogLevel=ERROR",
            "cat",
            "/etc/hostname",
        ],
        &[Reply::ok("leadership-0\n")],
    );
    fake.on(
        &["ssh", "--model", "m", "0", "true"],
        &[Reply::fail(255, "ERROR ssh: connection refused\n")],
    );
    fake.on(
        &[
            "scp",
            "--model",
            "m",
            "--container",
            "charm",
            "--",
            "-r",
            "leadership/0:/etc/leadership",
            "./out",
        ],
        &[Reply::ok("")],
    );
    let juju = fake.juju();
    let out = juju
        .ssh(
            "leadership/0",
            &["cat", "/etc/hostname"],
            &Ssh {
                container: Some("charm".into()),
                skip_host_key_checks: true,
                user: Some("root".into()),
                options: vec!["-o".into(), "LogLevel=ERROR".into()],
            },
        )
        .unwrap();
    assert_eq!(out, "leadership-0\n");
    let error = juju.ssh("0", &["true"], &Ssh::default()).unwrap_err();
    assert_eq!(error.as_cli().unwrap().code, Some(255));
    juju.scp(
        "leadership/0:/etc/leadership",
        "./out",
        &Ssh {
            container: Some("charm".into()),
            options: vec!["-r".into()],
            ..Ssh::default()
        },
    )
    .unwrap();
    assert_eq!(fake.calls().len(), 3);
}

#[test]
fn scp_of_a_local_file() {
    let mut fake = FakeJuju::new();
    fake.on(
        &[
            "scp",
            "--model",
            "m",
            "--",
            "./notes.txt",
            "leadership/0:/tmp/",
        ],
        &[Reply::ok("")],
    );
    fake.juju()
        .scp("notes.txt", "leadership/0:/tmp/", &Ssh::default())
        .unwrap();
}

#[test]
fn add_and_remove_units() {
    let mut fake = FakeJuju::new();
    fake.on(
        &["add-unit", "--model", "m", "leadership"],
        &[Reply::ok("")],
    );
    fake.on(
        &[
            "add-unit",
            "--model",
            "m",
            "leadership",
            "--attach-storage",
            "data/0",
            "--num-units",
            "2",
            "--to",
            "lxd:0",
        ],
        &[Reply::ok("")],
    );
    fake.on(
        &[
            "remove-unit",
            "--model",
            "m",
            "--no-prompt",
            "leadership/1",
            "leadership/2",
        ],
        &[Reply::ok("")],
    );
    fake.on(
        &[
            "remove-unit",
            "--model",
            "m",
            "--no-prompt",
            "leadership",
            "--destroy-storage",
            "--force",
            "--num-units",
            "1",
        ],
        &[Reply::ok("")],
    );
    let juju = fake.juju();
    juju.add_unit("leadership", &AddUnit::default()).unwrap();
    juju.add_unit(
        "leadership",
        &AddUnit {
            num_units: 2,
            to: vec!["lxd:0".into()],
            attach_storage: vec!["data/0".into()],
        },
    )
    .unwrap();
    juju.remove_unit(&["leadership/1", "leadership/2"], &RemoveUnit::default())
        .unwrap();
    juju.remove_unit(
        &["leadership"],
        &RemoveUnit {
            num_units: Some(1),
            destroy_storage: true,
            force: true,
        },
    )
    .unwrap();
    assert_eq!(fake.calls().len(), 4);
    assert!(matches!(
        juju.remove_unit(&[], &RemoveUnit::default()),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn status_replays_a_capture_and_reports_failures() {
    let mut fake = FakeJuju::new();
    fake.on(
        &common::status_argv(),
        &[
            Reply::sample("k8s-snappass-juju-3.6.1.json"),
            Reply::ok("{\"model\": "),
            Reply::fail(1, "ERROR model \"m\" not found\n"),
        ],
    );
    let juju = fake.juju();
    let status = juju.status().unwrap();
    assert_eq!(status.leader("snappass-test"), Some("snappass-test/0"));
    let error = juju.status().unwrap_err();
    assert!(matches!(error, Error::Parse { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("status --model m --format json"),
        "{message}"
    );
    assert!(message.contains("{\\\"model\\\": "), "{message}");
    let error = juju.status().unwrap_err();
    let message = error.to_string();
    assert!(message.contains("exit code 1"), "{message}");
    assert!(message.contains("ERROR model \"m\" not found"), "{message}");
}

#[test]
fn secrets_go_through_a_private_file_never_argv() {
    let mut fake = FakeJuju::new();
    fake.on(
        &[
            "add-secret",
            "--model",
            "m",
            "db-password",
            "--info",
            "for tests",
            "--file",
            "<any>",
        ],
        &[Reply::ok("secret:d1b2c3\n")],
    );
    fake.on(
        &[
            "update-secret",
            "--model",
            "m",
            "secret:d1b2c3",
            "--file",
            "<any>",
        ],
        &[Reply::ok("")],
    );
    fake.on(
        &[
            "update-secret",
            "--model",
            "m",
            "secret:d1b2c3",
            "--info",
            "rotated",
            "--name",
            "db-pw",
            "--auto-prune",
            "--file",
            "<any>",
        ],
        &[Reply::ok("")],
    );
    fake.on(
        &[
            "grant-secret",
            "--model",
            "m",
            "db-password",
            "leadership,webapp",
        ],
        &[Reply::ok("")],
    );
    fake.on(
        &[
            "remove-secret",
            "--model",
            "m",
            "secret:d1b2c3",
            "--revision",
            "1",
        ],
        &[Reply::ok("")],
    );
    let listing = json!({"d1b2c3": {"revision": 2, "owner": "<model>", "name": "db-password",
        "created": "2026-12-03T12:00:00Z", "updated": "2026-12-03T12:01:00Z"}});
    fake.on(
        &["secrets", "--model", "m", "--format", "json"],
        &[Reply::ok(&listing.to_string())],
    );
    let shown = json!({"d1b2c3": {"revision": 2, "owner": "<model>", "name": "db-password",
        "content": {"Data": {"password": "hunter2"}}}});
    fake.on(
        &[
            "show-secret",
            "--model",
            "m",
            "secret:d1b2c3",
            "--format",
            "json",
            "--reveal",
        ],
        &[Reply::ok(&shown.to_string())],
    );
    let juju = fake.juju();
    let uri = juju
        .add_secret("db-password", [("password", "hunter2")], Some("for tests"))
        .unwrap();
    assert_eq!(uri, "secret:d1b2c3");
    juju.update_secret(
        &uri,
        [("password", "correct horse")],
        &UpdateSecret::default(),
    )
    .unwrap();
    let rotate = UpdateSecret {
        info: Some("rotated".into()),
        name: Some("db-pw".into()),
        auto_prune: true,
    };
    juju.update_secret(&uri, [("password", "battery staple")], &rotate)
        .unwrap();
    juju.grant_secret("db-password", &["leadership", "webapp"])
        .unwrap();
    juju.remove_secret(&uri, Some(1)).unwrap();
    let secrets = juju.secrets().unwrap();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].uri, "secret:d1b2c3");
    assert_eq!(secrets[0].revision, 2);
    assert_eq!(secrets[0].name.as_deref(), Some("db-password"));
    assert_eq!(secrets[0].content, None);
    let revealed = juju.show_secret(&uri, true).unwrap();
    let content = revealed.content.clone().unwrap();
    assert_eq!(content.0["password"], "hunter2");
    // Values never on the command line, nor in Debug output.
    for call in fake.calls() {
        for arg in call {
            assert!(
                !arg.contains("hunter2")
                    && !arg.contains("correct horse")
                    && !arg.contains("battery"),
                "{arg}"
            );
        }
    }
    assert!(!format!("{revealed:?}").contains("hunter2"));
    assert_eq!(format!("{content:?}"), "{\"password\": \"<redacted>\"}");
    let files = fake.files();
    assert_eq!(files.len(), 3);
    assert_eq!(
        serde_json::from_str::<Value>(&files[0].0).unwrap(),
        json!({"password": "hunter2"})
    );
    assert_eq!(files[0].1, Some(0o600));
    assert_eq!(
        serde_json::from_str::<Value>(&files[1].0).unwrap(),
        json!({"password": "correct horse"})
    );
    // The files are gone after the calls.
    let left: Vec<_> = std::fs::read_dir(fake.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("juju-integration-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let _ = SecretContent::default();
}

#[test]
fn revealed_content_stays_out_of_errors() {
    let mut fake = FakeJuju::new();
    fake.on(
        &[
            "show-secret",
            "--model",
            "m",
            "s1",
            "--format",
            "json",
            "--reveal",
        ],
        &[
            Reply::with(
                1,
                "{\"s1\": {\"content\": {\"Data\": {\"pw\": \"hunter2\"}}}}",
                "ERROR boom\n",
            ),
            Reply::ok("\"hunter2\""),
        ],
    );
    let juju = fake.juju();
    for _ in 0..2 {
        let error = juju.show_secret("s1", true).unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
    }
}

#[test]
fn debug_log_and_raw_cli() {
    let mut fake = FakeJuju::new();
    fake.on(
        &["debug-log", "--model", "m", "--limit", "1000"],
        &[Reply::ok("unit-leadership-0: hello\n")],
    );
    fake.on(
        &[
            "model-config",
            "--model",
            "m",
            "update-status-hook-interval=10s",
        ],
        &[Reply::ok("")],
    );
    fake.on(&["version"], &[Reply::ok("3.6.1-genericlinux-amd64\n")]);
    let juju = fake.juju();
    assert_eq!(juju.debug_log(1000).unwrap(), "unit-leadership-0: hello\n");
    juju.cli(&["model-config", "update-status-hook-interval=10s"])
        .unwrap();
    assert_eq!(
        juju.cli_without_model(&["version"]).unwrap(),
        "3.6.1-genericlinux-amd64\n"
    );
}

#[test]
fn models_are_added_and_destroyed_without_model_flag() {
    let mut fake = FakeJuju::new();
    fake.on(
        &[
            "add-model",
            "--no-switch",
            "test",
            "localhost",
            "--controller",
            "lxd",
            "--config",
            "logging-config=<root>=DEBUG",
            "--credential",
            "me",
        ],
        &[Reply::ok("")],
    );
    fake.on(
        &[
            "destroy-model",
            "lxd:test",
            "--no-prompt",
            "--destroy-storage",
            "--force",
            "--no-wait",
            "--timeout",
            "600s",
        ],
        &[Reply::ok("")],
    );
    let juju = fake.juju_without_model();
    let model = juju
        .add_model(
            "test",
            &AddModel {
                cloud: Some("localhost".into()),
                controller: Some("lxd".into()),
                config: BTreeMap::from([("logging-config".to_owned(), "<root>=DEBUG".into())]),
                credential: Some("me".into()),
            },
        )
        .unwrap();
    assert_eq!(model.model(), Some("lxd:test"));
    juju.destroy_model(
        "lxd:test",
        &DestroyModel {
            destroy_storage: true,
            force: true,
            no_wait: true,
            timeout: Some(Duration::from_secs(600)),
        },
    )
    .unwrap();
    assert_eq!(fake.calls().len(), 2);
}

#[test]
fn temp_model_is_destroyed_on_drop_unless_kept() {
    let mut fake = FakeJuju::new();
    fake.on(&["add-model", "--no-switch", "<any>"], &[Reply::ok("")]);
    fake.on(
        &[
            "destroy-model",
            "<any>",
            "--no-prompt",
            "--destroy-storage",
            "--force",
        ],
        &[Reply::ok("")],
    );
    fake.on(
        &["status", "--model", "<any>", "--format", "json"],
        &[Reply::sample("k8s-snappass-juju-3.6.1.json")],
    );
    let juju = fake.juju_without_model();
    let name = {
        let model = juju.temp_model(&AddModel::default(), false).unwrap();
        model.status().unwrap();
        model.name().to_owned()
    };
    assert!(
        name.starts_with("juju-integration-") && name.len() == "juju-integration-".len() + 8,
        "{name}"
    );
    assert_eq!(
        fake.calls(),
        [
            argv(&["add-model", "--no-switch", &name]),
            argv(&["status", "--model", &name, "--format", "json"]),
            argv(&[
                "destroy-model",
                &name,
                "--no-prompt",
                "--destroy-storage",
                "--force"
            ]),
        ]
    );
    let kept = juju.temp_model(&AddModel::default(), true).unwrap();
    kept.destroy().unwrap();
    let explicit = juju.temp_model(&AddModel::default(), false).unwrap();
    explicit.destroy().unwrap();
    let calls = fake.calls();
    assert_eq!(calls.len(), 3 + 1 + 2, "{calls:?}");
}

#[test]
fn a_hanging_command_is_killed_at_the_cli_timeout() {
    let mut fake = FakeJuju::new();
    fake.on(&common::status_argv(), &[Reply::ok("{}").after_ms(5_000)]);
    let started = std::time::Instant::now();
    let error = fake
        .juju()
        .with_cli_timeout(Duration::from_millis(100))
        .status()
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(matches!(error, Error::CliTimeout { .. }), "{error}");
    assert!(error.to_string().contains("with_cli_timeout"), "{error}");
}

#[test]
fn a_missing_cli_says_how_to_install_it() {
    let error = juju_integration::Juju::new()
        .with_cli("/nonexistent/juju")
        .status()
        .unwrap_err();
    assert!(matches!(error, Error::Spawn { .. }), "{error}");
    assert!(error.to_string().contains("/nonexistent/juju"), "{error}");
    assert!(error.to_string().contains("snap install juju"), "{error}");
}

#[test]
fn an_unscripted_argv_fails_loudly() {
    let fake = FakeJuju::new();
    let error = fake.juju().integrate("a", "b").unwrap_err();
    let cli = error.as_cli().unwrap();
    assert_eq!(cli.code, Some(2));
    assert!(cli.stderr.contains("no scripted reply"), "{}", cli.stderr);
}
