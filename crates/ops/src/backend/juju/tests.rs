//! The production backend against fake hook tools (shell scripts).

use super::errors::SENSITIVE_OUTPUT;
use super::status::MAX_LOG_LINE;
use super::*;
use crate::error::ModelError;
use std::path::Path;
use std::time::Duration;

/// A directory of fake hook tools (shell scripts), removed on drop.
struct Tools {
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Tools {
    fn new(test: &str) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix(&format!("juju-ops-backend-{test}-"))
            .tempdir()
            .unwrap();
        Tools {
            dir: tmp.path().to_owned(),
            _tmp: tmp,
        }
    }

    /// Installs `body` as the script of every named tool.
    fn script(&self, tools: &[&str], body: &str) -> &Self {
        for tool in tools {
            let path = self.dir.join(tool);
            crate::test_scripts::install_sh(&path, body);
        }
        self
    }

    fn backend(&self) -> JujuBackend {
        JujuBackend::with_tools_dir(&self.dir)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

type Call = (&'static str, fn(&JujuBackend) -> BackendResult<()>);

fn map(pairs: &[(&str, &str)]) -> StringMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One call of every backend method, with the tool it runs.
fn every_call() -> Vec<Call> {
    vec![
        ("is-leader", |b| b.is_leader().map(drop)),
        ("relation-ids", |b| b.relation_ids("db").map(drop)),
        ("relation-list", |b| b.relation_list(1).map(drop)),
        ("relation-list", |b| b.relation_remote_app_name(1).map(drop)),
        ("relation-get", |b| {
            b.relation_get(1, "pg/0", false).map(drop)
        }),
        ("relation-set", |b| {
            b.relation_set(1, map(&[("a", "b")]), false)
        }),
        ("relation-model-get", |b| b.relation_model_get(1).map(drop)),
        ("config-get", |b| b.config_get().map(drop)),
        ("status-get", |b| b.status_get(false).map(drop)),
        ("status-get", |b| b.status_get(true).map(drop)),
        ("status-set", |b| {
            b.status_set(&Status::Active("x".into()), false)
        }),
        ("application-version-set", |b| {
            b.application_version_set("1")
        }),
        ("juju-log", |b| b.juju_log(LogLevel::Info, "hello")),
        ("action-get", |b| b.action_get().map(drop)),
        ("action-set", |b| {
            b.action_set(serde_json::json!({"a": 1}).as_object().unwrap())
        }),
        ("action-log", |b| b.action_log("x")),
        ("action-fail", |b| b.action_fail("x")),
        ("secret-add", |b| {
            b.secret_add(
                &map(&[("key", "v")]),
                SecretOwner::App,
                &SecretMetadata::default(),
            )
            .map(drop)
        }),
        ("secret-get", |b| {
            b.secret_get(Some("secret:x"), None, false, false).map(drop)
        }),
        ("secret-info-get", |b| {
            b.secret_info_get(Some("secret:x"), None).map(drop)
        }),
        ("secret-set", |b| {
            b.secret_set(
                "secret:x",
                Some(&map(&[("key", "v")])),
                &SecretMetadata::default(),
            )
        }),
        ("secret-grant", |b| b.secret_grant("secret:x", 1, None)),
        ("secret-revoke", |b| {
            b.secret_revoke("secret:x", 1, Some("pg/0"))
        }),
        ("secret-remove", |b| b.secret_remove("secret:x", Some(1))),
        ("secret-ids", |b| b.secret_ids().map(drop)),
        ("open-port", |b| b.open_port(&Port::tcp(80))),
        ("close-port", |b| b.close_port(&Port::tcp(80))),
        ("opened-ports", |b| b.opened_ports().map(drop)),
        ("network-get", |b| b.network_get("db", Some(1)).map(drop)),
        ("storage-get", |b| {
            b.storage_get("data/0", "location").map(drop)
        }),
        ("storage-list", |b| b.storage_list("data").map(drop)),
        ("storage-add", |b| b.storage_add("data", 1)),
        ("state-get", |b| b.state_get("k").map(drop)),
        ("state-set", |b| b.state_set(&map(&[("k", "v")]))),
        ("state-delete", |b| b.state_delete("k")),
        ("resource-get", |b| b.resource_get("r").map(drop)),
        ("credential-get", |b| b.credential_get().map(drop)),
        ("goal-state", |b| b.goal_state().map(drop)),
        ("juju-reboot", |b| b.reboot(false)),
        ("pod-spec-set", |b| {
            b.pod_spec_set(&serde_json::json!({}), None)
        }),
        ("add-metric", |b| {
            b.add_metric(&[("m".to_owned(), 1.0)].into(), &StringMap::new())
        }),
    ]
}

fn tool_names() -> Vec<&'static str> {
    let mut names: Vec<_> = every_call().into_iter().map(|(tool, _)| tool).collect();
    names.dedup();
    names
}

#[test]
fn every_failing_tool_gives_a_hook_tool_error_with_its_stderr() {
    let tools = Tools::new("failing");
    tools.script(&tool_names(), "echo \"ERROR boom from $0\" >&2; exit 1");
    let backend = tools.backend();
    for (tool, call) in every_call() {
        match call(&backend) {
            Err(ModelError::HookTool {
                tool: named,
                stderr,
            }) => {
                assert_eq!(named, tool);
                assert!(stderr.contains("ERROR boom from"), "{tool}: {stderr}");
            }
            other => panic!("{tool}: expected a HookTool error, got {other:?}"),
        }
    }
}

#[test]
fn garbage_output_is_a_bad_output_error_for_every_tool_that_answers() {
    let tools = Tools::new("garbage");
    tools.script(&tool_names(), "echo '{not json'");
    let backend = tools.backend();
    // These tools print nothing the charm reads.
    let silent = [
        "relation-set",
        "status-set",
        "application-version-set",
        "juju-log",
        "action-set",
        "action-log",
        "action-fail",
        "secret-set",
        "secret-grant",
        "secret-revoke",
        "secret-remove",
        "open-port",
        "close-port",
        "storage-add",
        "state-set",
        "state-delete",
        "juju-reboot",
        "pod-spec-set",
        "add-metric",
        // A path is any text.
        "resource-get",
    ];
    for (tool, call) in every_call() {
        let result = call(&backend);
        if silent.contains(&tool) {
            assert_eq!(result, Ok(()), "{tool}");
            continue;
        }
        match result {
            Err(ModelError::BadOutput {
                tool: named,
                reason,
            }) => {
                assert_eq!(named, tool);
                assert!(reason.starts_with("expected "), "{tool}: {reason}");
            }
            other => panic!("{tool}: expected a BadOutput error, got {other:?}"),
        }
    }
}

#[test]
fn output_that_may_hold_secrets_is_never_quoted_in_errors() {
    let tools = Tools::new("sensitive");
    tools.script(&SENSITIVE_OUTPUT, "echo 'hunter2-password: 1'");
    tools.script(&["is-leader"], "echo 'plain-garbage'");
    let backend = tools.backend();
    let err = backend
        .secret_get(Some("secret:x"), None, false, false)
        .unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
    let err = backend.config_get().unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
    // Other tools quote their output, to help debugging.
    let err = backend.is_leader().unwrap_err();
    assert!(err.to_string().contains("plain-garbage"), "{err}");
}

#[test]
fn failures_map_to_ops_errors() {
    let tools = Tools::new("classify");
    tools.script(
        &["relation-get", "network-get"],
        "echo 'ERROR invalid value \"7\" for option -r: relation not found' >&2; exit 2",
    );
    tools.script(
        &["secret-get"],
        "echo 'ERROR secret \"x\" not found' >&2; exit 1",
    );
    tools.script(
        &["secret-set"],
        "echo 'ERROR permission denied' >&2; exit 1",
    );
    tools.script(&["status-set"], "exit 3");
    let backend = tools.backend();
    let err = backend.relation_get(7, "pg/0", false).unwrap_err();
    assert_eq!(
        err,
        ModelError::RelationNotFound {
            relation: "7".into()
        }
    );
    assert!(
        backend
            .network_get("db", Some(7))
            .unwrap_err()
            .is_relation_not_found()
    );
    let err = backend
        .secret_get(None, Some("db-pass"), false, false)
        .unwrap_err();
    assert!(err.is_secret_not_found(), "{err:?}");
    assert!(err.to_string().contains("db-pass"), "{err}");
    let err = backend
        .secret_set("secret:x", None, &SecretMetadata::default())
        .unwrap_err();
    assert_eq!(
        err,
        ModelError::hook_tool("secret-set", "ERROR permission denied\n")
    );
    assert!(err.is_permission_denied());
    let err = backend
        .status_set(&Status::Active(String::new()), false)
        .unwrap_err();
    assert!(err.to_string().contains("exited with status 3"), "{err}");
}

#[test]
fn a_missing_tool_says_it_runs_only_under_juju() {
    let tools = Tools::new("missing");
    let err = tools.backend().is_leader().unwrap_err();
    assert!(err.to_string().contains("not on PATH"), "{err}");
}

#[test]
fn secret_content_goes_through_private_files_removed_after_the_call() {
    let tools = Tools::new("secret-files");
    // Record argv, each file's mode and content, and answer with an id.
    tools.script(
        &["secret-add", "secret-set"],
        r#"out="$(dirname "$0")/record"
for arg in "$@"; do
  echo "arg $arg" >> "$out"
  case "$arg" in *'#file='*)
f="${arg#*#file=}"
echo "mode $(stat -c %a "$f") dir $(stat -c %a "$(dirname "$f")")" >> "$out"
echo "content $(cat "$f")" >> "$out"
echo "path $f" >> "$out";;
  esac
done
echo secret:abc123"#,
    );
    let backend = tools.backend();
    let content = map(&[("password", "s3cret-value"), ("username", "admin")]);
    let id = backend
        .secret_add(&content, SecretOwner::Unit, &SecretMetadata::default())
        .unwrap();
    assert_eq!(id, "secret:abc123");
    backend
        .secret_set("secret:abc123", Some(&content), &SecretMetadata::default())
        .unwrap();
    let record = tools.read("record");
    let argv: Vec<&str> = record.lines().filter(|l| l.starts_with("arg ")).collect();
    assert!(!argv.iter().any(|a| a.contains("s3cret-value")), "{record}");
    assert!(
        argv.iter().any(|a| a.starts_with("arg password#file=")),
        "{record}"
    );
    assert!(record.contains("content s3cret-value"), "{record}");
    for line in record.lines().filter(|l| l.starts_with("mode ")) {
        assert_eq!(line, "mode 600 dir 700");
    }
    for path in record.lines().filter_map(|l| l.strip_prefix("path ")) {
        assert!(!Path::new(path).exists(), "{path} was left behind");
        assert!(!Path::new(path).parent().unwrap().exists());
    }
}

#[test]
fn relation_data_and_state_go_through_stdin() {
    let tools = Tools::new("stdin");
    tools.script(
        &["relation-set", "state-set"],
        r#"echo "$0 $*" >> "$(dirname "$0")/argv"; cat >> "$(dirname "$0")/stdin""#,
    );
    let backend = tools.backend();
    backend
        .relation_set(3, map(&[("token", "t0ps3cret")]), true)
        .unwrap();
    backend.state_set(&map(&[("k", "v")])).unwrap();
    let argv = tools.read("argv");
    assert!(!argv.contains("t0ps3cret"), "{argv}");
    assert!(argv.contains("relation-set -r 3 --app --file -"), "{argv}");
    assert!(argv.contains("state-set --file -"), "{argv}");
    assert_eq!(tools.read("stdin"), r#"{"token":"t0ps3cret"}{"k":"v"}"#);
}

#[test]
fn big_inputs_neither_deadlock_nor_fail_when_the_tool_ignores_them() {
    let tools = Tools::new("big-stdin");
    // Fills its stdout pipe before reading stdin.
    tools.script(
        &["relation-set"],
        "head -c 300000 /dev/zero; cat > /dev/null",
    );
    // Exits without reading stdin.
    tools.script(&["state-set"], "exit 0");
    let backend = tools.backend();
    let big = map(&[("blob", &"x".repeat(1 << 20))]);
    backend.relation_set(1, big.clone(), false).unwrap();
    backend.state_set(&big).unwrap();
}

#[test]
fn is_leader_and_config_are_asked_once_per_dispatch() {
    let tools = Tools::new("cache");
    tools.script(
        &["is-leader"],
        r#"echo x >> "$(dirname "$0")/calls"; echo true"#,
    );
    tools.script(
        &["config-get"],
        r#"echo x >> "$(dirname "$0")/calls"; echo '{"port": 80}'"#,
    );
    let backend = tools.backend();
    assert!(backend.is_leader().unwrap());
    assert!(backend.is_leader().unwrap());
    assert_eq!(backend.config_get().unwrap()["port"], 80);
    assert_eq!(backend.config_get().unwrap()["port"], 80);
    assert_eq!(tools.read("calls").lines().count(), 2);
}

#[test]
fn state_get_reads_missing_keys_as_none() {
    let tools = Tools::new("state-get");
    let backend = tools.backend();
    for (output, expected) in [
        ("echo '\"\"'", None),
        ("echo null", None),
        ("true", None),
        ("echo '\"{}\"'", Some("{}".to_owned())),
    ] {
        tools.script(&["state-get"], output);
        assert_eq!(backend.state_get("k").unwrap(), expected, "{output}");
    }
}

#[test]
fn secret_add_checks_the_id_it_prints() {
    let tools = Tools::new("secret-add-id");
    tools.script(&["secret-add"], "echo 'Usage: secret-add ...'");
    let err = tools
        .backend()
        .secret_add(
            &map(&[("key", "v")]),
            SecretOwner::App,
            &SecretMetadata::default(),
        )
        .unwrap_err();
    assert!(matches!(err, ModelError::BadOutput { .. }), "{err:?}");
}

#[test]
fn long_log_lines_are_split_at_character_boundaries() {
    let tools = Tools::new("log-split");
    tools.script(
        &["juju-log"],
        r#"shift 3; printf '%s' "$1" | wc -c >> "$(dirname "$0")/sizes""#,
    );
    let message = "é".repeat(MAX_LOG_LINE); // two bytes each
    tools.backend().juju_log(LogLevel::Info, &message).unwrap();
    let sizes: Vec<usize> = tools
        .read("sizes")
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    // The notice, then three chunks of at most MAX_LOG_LINE bytes.
    assert_eq!(sizes.len(), 4, "{sizes:?}");
    assert!(sizes[1..].iter().all(|&n| n <= MAX_LOG_LINE && n % 2 == 0));
    assert_eq!(sizes[1..].iter().sum::<usize>(), message.len());
}

#[test]
fn refusals_for_lack_of_rights_are_permission_denied_errors() {
    let tools = Tools::new("authz");
    tools.script(
        &["relation-set"],
        "echo 'ERROR cannot write relation settings: app/1 is not the leader' >&2; exit 1",
    );
    tools.script(
        &["secret-set"],
        "echo 'ERROR Permission Denied' >&2; exit 1",
    );
    let backend = tools.backend();
    let err = backend
        .relation_set(3, map(&[("k", "v")]), true)
        .unwrap_err();
    assert_eq!(
        err,
        ModelError::PermissionDenied {
            tool: "relation-set".into(),
            stderr: "ERROR cannot write relation settings: app/1 is not the leader\n".into(),
        }
    );
    let err = backend
        .secret_set("secret:x", None, &SecretMetadata::default())
        .unwrap_err();
    assert!(
        matches!(err, ModelError::PermissionDenied { ref tool, .. } if tool == "secret-set"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "hook tool `secret-set` failed: ERROR Permission Denied"
    );
}

/// The tools of one relation (id 4, remote application `remote`) where every
/// `relation-*` call is refused with `stderr`; `is-leader` answers `leader`,
/// and `relation-list --app` names `remote_app`.
fn refused_relation(test: &str, stderr: &str, leader: bool, remote_app: &str) -> Tools {
    let tools = Tools::new(test);
    let refuse = format!("echo '{stderr}' >&2; exit 1");
    tools.script(
        &["relation-get", "relation-set", "relation-model-get"],
        &refuse,
    );
    tools.script(
        &["relation-list"],
        &format!("case \" $* \" in *' --app '*) echo '\"{remote_app}\"';; *) {refuse};; esac"),
    );
    tools.script(&["is-leader"], &format!("echo {leader}"));
    tools
}

#[rstest::rstest]
fn permission_denied_on_a_relation_tool_means_the_relation_is_gone(
    #[values(true, false)] leader: bool,
    #[values(
        "ERROR permission denied",
        "ERROR cannot read relation application settings: permission denied (unauthorized access)"
    )]
    stderr: &str,
) {
    let tools = refused_relation(
        &format!("gone-{leader}-{}", stderr.len()),
        stderr,
        leader,
        "remote",
    );
    let backend = tools.backend();
    let gone = ModelError::RelationNotFound {
        relation: "4".into(),
    };
    // Remote unit and application bags, and this unit's bag.
    assert_eq!(
        backend.relation_get(4, "remote/0", false),
        Err(gone.clone())
    );
    assert_eq!(backend.relation_get(4, "remote", true), Err(gone.clone()));
    assert_eq!(backend.relation_get(4, "mine/0", false), Err(gone.clone()));
    assert_eq!(
        backend.relation_set(4, map(&[("k", "v")]), false),
        Err(gone.clone())
    );
    assert_eq!(backend.relation_list(4), Err(gone.clone()));
    assert_eq!(backend.relation_model_get(4), Err(gone.clone()));
    // This application's bag: gone for the leader, a genuine refusal for a follower.
    let own = backend.relation_get(4, "mine", true);
    if leader {
        assert_eq!(own, Err(gone));
    } else {
        assert!(
            matches!(own, Err(ModelError::PermissionDenied { .. })),
            "{own:?}"
        );
    }
}

#[test]
fn a_follower_reading_its_own_peer_app_bag_is_never_refused_while_the_relation_lives() {
    // In a peer relation the remote application is this one.
    let tools = refused_relation("gone-peer", "ERROR permission denied", false, "mine");
    let err = tools.backend().relation_get(4, "mine", true).unwrap_err();
    assert!(err.is_relation_not_found(), "{err:?}");
}

#[test]
fn writing_application_data_keeps_its_refusal() {
    let tools = refused_relation("gone-app-write", "ERROR permission denied", true, "remote");
    let err = tools
        .backend()
        .relation_set(4, map(&[("k", "v")]), true)
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err:?}");
}

#[test]
fn network_get_words_a_missing_relation_with_its_number() {
    let tools = Tools::new("network-gone");
    tools.script(
        &["network-get"],
        "echo 'ERROR relation 2 not found' >&2; exit 1",
    );
    let err = tools.backend().network_get("db", Some(2)).unwrap_err();
    assert!(err.is_relation_not_found(), "{err:?}");
}

#[test]
fn a_hung_tool_is_killed_at_its_deadline_and_fails_every_later_call() {
    let tools = Tools::new("hung");
    // `sleep` runs as a child of the shell, which keeps the pipes open after
    // the shell is killed: the deadline holds all the same.
    tools.script(&["secret-add"], "sleep 30");
    tools.script(&["is-leader"], "echo true");
    let backend = tools
        .backend()
        .with_tool_timeout(Some(Duration::from_millis(300)));
    assert_eq!(backend.fatal_error(), None);
    let started = Instant::now();
    let err = backend
        .secret_add(
            &map(&[("password", "hunter2")]),
            SecretOwner::App,
            &SecretMetadata::default(),
        )
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let ModelError::HookToolTimeout {
        tool,
        command,
        timeout,
    } = &err
    else {
        panic!("expected a timeout, got {err:?}");
    };
    assert_eq!(tool, "secret-add");
    assert_eq!(*timeout, Duration::from_millis(300));
    // The command line names the content's file, never the content.
    assert!(
        command.starts_with("secret-add --owner application password#file=/"),
        "{command}"
    );
    let message = err.to_string();
    assert!(
        !message.contains("hunter2") && message.contains("JUJU_OPS_TOOL_TIMEOUT"),
        "{message}"
    );
    // Every later call fails at once, and the dispatch is told.
    assert_eq!(backend.is_leader(), Err(err.clone()));
    assert_eq!(backend.fatal_error(), Some(err));
}

#[test]
fn without_a_deadline_a_slow_tool_is_waited_for() {
    let tools = Tools::new("slow");
    tools.script(&["is-leader"], "sleep 0.3; echo true");
    let backend = tools.backend().with_tool_timeout(None);
    assert_eq!(backend.is_leader(), Ok(true));
    let backend = tools
        .backend()
        .with_tool_timeout(Some(Duration::from_secs(20)));
    assert_eq!(backend.is_leader(), Ok(true));
}

#[test]
fn action_results_stay_out_of_a_timed_out_command_line() {
    let tools = Tools::new("hung-action");
    tools.script(&["action-set"], "exec sleep 30");
    let backend = tools
        .backend()
        .with_tool_timeout(Some(Duration::from_millis(200)));
    let mut results = serde_json::Map::new();
    results.insert("token".into(), Value::from("s3cr3t value"));
    let err = backend.action_set(&results).unwrap_err();
    assert!(
        err.to_string().contains("token=<12 bytes, not shown>"),
        "{err}"
    );
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
}

#[test]
fn the_is_leader_answer_holds_for_30_seconds_from_the_call() {
    let tools = Tools::new("lease");
    tools.script(
        &["is-leader"],
        r#"echo x >> "$(dirname "$0")/calls"; echo true"#,
    );
    let backend = tools.backend();
    let before = Instant::now();
    assert!(backend.is_leader().unwrap());
    let after = Instant::now();
    let asked = backend
        .leader
        .lock()
        .unwrap()
        .expect("the answer is cached")
        .0;
    assert!(
        before <= asked && asked <= after,
        "the lease starts at the call"
    );
    let (Some(older), Some(expired)) = (
        asked.checked_sub(Duration::from_secs(29)),
        asked.checked_sub(Duration::from_secs(30)),
    ) else {
        return; // a clock this close to its origin cannot be moved back
    };
    // 29 seconds after the call, the lease still holds: Juju is not asked.
    *backend.leader.lock().unwrap() = Some((older, true));
    assert!(backend.is_leader().unwrap());
    assert_eq!(tools.read("calls").lines().count(), 1);
    // 30 seconds after, it may have passed to another unit: Juju is asked again.
    *backend.leader.lock().unwrap() = Some((expired, true));
    assert!(backend.is_leader().unwrap());
    assert_eq!(tools.read("calls").lines().count(), 2);
}

#[test]
fn ports_ranges_and_icmp_go_to_the_tools_as_juju_spells_them() {
    let tools = Tools::new("ports");
    tools.script(
        &["open-port", "close-port"],
        r#"echo "$(basename "$0") $*" >> "$(dirname "$0")/argv""#,
    );
    tools.script(
        &["opened-ports"],
        r#"echo "$(basename "$0") $*" >> "$(dirname "$0")/argv"
echo '["8080/tcp","80","8000-8999/udp","icmp","1-2/sctp"]'"#,
    );
    let backend = tools.backend();
    backend
        .open_port(&Port::tcp_range(8000, 8100).unwrap())
        .unwrap();
    backend.open_port(&Port::icmp()).unwrap();
    backend.close_port(&Port::udp(53)).unwrap();
    let ports = backend.opened_ports().unwrap();
    assert_eq!(
        tools.read("argv"),
        "open-port 8000-8100/tcp\nopen-port icmp\nclose-port 53/udp\nopened-ports --format=json\n"
    );
    // The unknown protocol is skipped (with a warning), as ops skips it.
    assert_eq!(
        ports,
        [
            Port::tcp(8080),
            Port::tcp(80),
            Port::udp_range(8000, 8999).unwrap(),
            Port::icmp(),
        ]
    );
}
