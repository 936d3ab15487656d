//! The compiled charm, run as Juju runs it.
//!
//! Each test lays out a charm directory the way `charmcraft pack` does
//! (`dispatch`, `bin/leadership`, and the `metadata.yaml`, `config.yaml` and
//! `actions.yaml` generated from `charmcraft.yaml`), then runs `dispatch` in
//! it with a clean environment holding only what Juju sets, and with fake
//! hook tools first on `PATH` (`src/fake_hook_tool.rs` of this package). The fake
//! tools answer from a JSON model and record every call: argv, stdin, and the
//! files named on argv.
//!
//! Juju applies most of a hook's changes only when the hook exits 0; the
//! harness below does the same to the fake model (status, workload version
//! and action output are applied at once, as in Juju).
//!
//! The charm writes its config file where `LEADERSHIP_CONFIG_FILE` says (see
//! `src/main.rs`), here inside the test's directory.

use ops::{ActiveStatus, Status, StringMap};
use ops_testing::Databag;
use ops_testing::juju::{
    Actor, ModelStore, RelationKind, RelationRecord, RelationSide, SecretOwnerRef, SecretRecord,
};
use rstest::rstest;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const STATE_KEY: &str = "juju-ops.framework";
/// The password the charm derives from the port; it must never be on argv.
const PASSWORD: &str = "pass-8080";
/// A user name distinctive enough to search argv for.
const USERNAME: &str = "operator-x7q";

/// One recorded hook-tool call.
#[derive(Debug, Clone)]
struct Call {
    tool: String,
    args: Vec<String>,
    stdin: Option<String>,
    files: serde_json::Map<String, Value>,
}

impl Call {
    fn line(&self) -> String {
        format!("{} {}", self.tool, self.args.join(" "))
    }
}

/// What one dispatch did.
#[derive(Debug)]
struct Run {
    code: i32,
    stderr: String,
    calls: Vec<Call>,
}

impl Run {
    fn calls_to(&self, tool: &str) -> Vec<&Call> {
        self.calls.iter().filter(|c| c.tool == tool).collect()
    }

    /// The messages sent to `juju-log` at `level`.
    fn logs(&self, level: &str) -> Vec<String> {
        self.calls_to("juju-log")
            .into_iter()
            .filter(|c| {
                c.args
                    .starts_with(&["--log-level".to_owned(), level.to_owned()])
            })
            .map(|c| c.args.last().cloned().unwrap_or_default())
            .collect()
    }

    fn succeeded(&self) -> &Self {
        assert_eq!(
            self.code,
            0,
            "dispatch failed: {}\ncalls: {:#?}",
            self.stderr,
            self.lines()
        );
        self
    }

    fn lines(&self) -> Vec<String> {
        self.calls.iter().map(Call::line).collect()
    }

    /// A failed dispatch: non-zero, no panic, the reason on stderr and in
    /// `juju-log` at ERROR, and nothing saved.
    fn failed_with(&self, needle: &str) -> &Self {
        assert_ne!(
            self.code,
            0,
            "expected a failure, calls: {:#?}",
            self.lines()
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {}",
            self.stderr
        );
        assert!(
            self.calls_to("state-set").is_empty(),
            "a failed dispatch saved state: {:#?}",
            self.lines()
        );
        self
    }

    fn logged_error(&self, needle: &str) -> &Self {
        let errors = self.logs("ERROR");
        assert!(
            errors.iter().any(|m| m.contains(needle)),
            "no ERROR log with {needle:?}: {errors:#?}"
        );
        self
    }
}

/// A charm directory, fake hook tools, and the fake model they answer from.
struct Juju {
    root: PathBuf,
    unit: String,
    /// Removes `root` when the test ends, passed or not.
    _tmp: tempfile::TempDir,
}

/// The charm project (`examples/leadership`), one level above this package.
fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The packed charm's metadata files, generated from charmcraft.yaml as
/// `charmcraft pack` does (JSON is valid YAML).
fn packed_metadata(charm_dir: &Path) {
    let meta = ops::CharmMeta::load(example_dir()).expect("charmcraft.yaml loads");
    let mut metadata = serde_json::to_value(&meta).unwrap();
    let object = metadata.as_object_mut().unwrap();
    let config = object.remove("config").unwrap();
    let actions = object.remove("actions").unwrap();
    std::fs::write(charm_dir.join("metadata.yaml"), metadata.to_string()).unwrap();
    std::fs::write(charm_dir.join("config.yaml"), config.to_string()).unwrap();
    std::fs::write(charm_dir.join("actions.yaml"), actions.to_string()).unwrap();
}

/// The unit the tests dispatch for, and its peer.
const UNIT: &str = "leadership/0";
const APP: &str = "leadership";

/// The fake model: units 0 and 1 of the application in peer relation 0,
/// unit 0 leading or not (unit 1 leads then), config set, nothing else.
fn world(leader: bool) -> Value {
    let mut store = ModelStore::new("1f0c6a54-9e2a-4c1e-8d3b-0a8e2f6a1d11");
    store.add_unit(APP, 0);
    store.add_unit(APP, 1);
    store.set_leader(APP, Some(if leader { 0 } else { 1 }));
    store.set_config(APP, "port", Some(json!(8080)));
    store.set_config(APP, "username", Some(json!(USERNAME)));
    let mut peers = RelationSide::new(APP, Some("replicas".to_owned()));
    peers.units = [(0, Databag::new()), (1, Databag::new())].into();
    store.relations.push(RelationRecord {
        id: 0,
        kind: RelationKind::Peer,
        interface: None,
        remote_model_uuid: None,
        sides: vec![peers],
    });
    json!({ "model": store })
}

impl Juju {
    fn new(test: &str, world: Value) -> Self {
        Self::with_charm_binary(test, world, env!("CARGO_BIN_EXE_leadership-sim"))
    }

    /// A unit whose charm binary is `binary` (with the example's metadata).
    fn with_charm_binary(test: &str, world: Value, binary: &str) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix(&format!("leadership-dispatch-{test}-"))
            .tempdir()
            .unwrap();
        let root = tmp.path().to_owned();
        let charm = root.join("charm");
        std::fs::create_dir_all(charm.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("model")).unwrap();
        // Copied by `install`, not through a descriptor of ours: one open
        // for writing, inherited by a process another test thread forks at
        // that moment, makes running the file fail with "text file busy".
        let copied = std::process::Command::new("install")
            .arg("-m")
            .arg("755")
            .arg(example_dir().join("dispatch"))
            .arg(charm.join("dispatch"))
            .status()
            .unwrap();
        assert!(copied.success(), "install dispatch");
        std::os::unix::fs::symlink(binary, charm.join("bin/leadership")).unwrap();
        packed_metadata(&charm);
        let installed = Command::new(env!("CARGO_BIN_EXE_fake-hook-tool"))
            .arg("--install")
            .arg(root.join("tools"))
            .status()
            .unwrap();
        assert!(installed.success());
        let juju = Juju {
            root,
            unit: UNIT.to_owned(),
            _tmp: tmp,
        };
        juju.set_world(&world);
        juju
    }

    fn charm_dir(&self) -> PathBuf {
        self.root.join("charm")
    }

    fn config_file(&self) -> PathBuf {
        self.root.join("etc/leadership.conf")
    }

    fn world(&self) -> Value {
        let text = std::fs::read_to_string(self.root.join("model/world.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn set_world(&self, world: &Value) {
        std::fs::write(self.root.join("model/world.json"), world.to_string()).unwrap();
    }

    fn update_world(&self, change: impl FnOnce(&mut Value)) {
        let mut world = self.world();
        change(&mut world);
        self.set_world(&world);
    }

    /// The Juju model the fake hook tools answer from.
    fn store(&self) -> ModelStore {
        serde_json::from_value(self.world()["model"].clone()).unwrap()
    }

    fn update_store(&self, change: impl FnOnce(&mut ModelStore)) {
        let mut store = self.store();
        change(&mut store);
        self.update_world(|w| w["model"] = json!(store));
    }

    /// The leader writes its name to the peer relation's application databag.
    fn announce_leader(&self, leader: &str) {
        self.update_store(|store| {
            let peers = &mut store.relations.get_mut(0).unwrap().sides[0];
            peers
                .app_data
                .insert("leader".to_owned(), leader.to_owned());
        });
    }

    /// The peer relation's application databag.
    fn peer_app_data(&self) -> StringMap {
        self.store().relations.get(0).unwrap().sides[0]
            .app_data
            .clone()
            .into_inner()
    }

    /// Whether nothing was written to the peer relation (app or unit bags).
    fn peer_data_is_empty(&self) -> bool {
        let store = self.store();
        let side = &store.relations.get(0).unwrap().sides[0];
        side.app_data.is_empty() && side.units.values().all(|bag| bag.is_empty())
    }

    /// The unit the next dispatch runs for.
    fn actor(&self) -> Actor {
        Actor::from_unit_name(&self.unit).unwrap()
    }

    /// This unit's state in Juju (`state-get`).
    fn unit_state(&self) -> StringMap {
        self.store().state_get_all(&self.actor())
    }

    /// This unit's status.
    fn unit_status(&self) -> Status {
        self.store().status_get(&self.actor(), false).unwrap()
    }

    /// What the framework persisted in Juju's unit state.
    fn persisted(&self) -> Value {
        let text = self
            .unit_state()
            .remove(STATE_KEY)
            .expect("the framework saved its state");
        serde_json::from_str(&text).unwrap()
    }

    fn stored(&self) -> Value {
        self.persisted()["stored"]["LeadershipCharm/StoredStateData[_stored]"].clone()
    }

    fn deferred(&self) -> Vec<Value> {
        self.persisted()["deferred"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The environment Juju gives every hook.
    fn base_env(&self, dispatch_path: &str) -> Vec<(String, String)> {
        let hook = dispatch_path.strip_prefix("hooks/").unwrap_or("");
        let tools = self.root.join("tools");
        [
            ("PATH", format!("{}:/usr/bin:/bin", tools.display())),
            ("JUJU_DISPATCH_PATH", dispatch_path.to_owned()),
            ("JUJU_HOOK_NAME", hook.to_owned()),
            ("JUJU_UNIT_NAME", self.unit.clone()),
            ("JUJU_MODEL_NAME", "test".to_owned()),
            (
                "JUJU_MODEL_UUID",
                "1f0c6a54-9e2a-4c1e-8d3b-0a8e2f6a1d11".to_owned(),
            ),
            ("JUJU_VERSION", "3.6.14".to_owned()),
            ("JUJU_CHARM_DIR", self.charm_dir().display().to_string()),
            ("CHARM_DIR", self.charm_dir().display().to_string()),
            ("JUJU_CONTEXT_ID", format!("{}-{hook}-1", self.unit)),
            (
                "JUJU_AGENT_SOCKET_ADDRESS",
                "@/var/lib/juju/agents/unit-leadership-0/agent.socket".to_owned(),
            ),
            ("JUJU_AGENT_SOCKET_NETWORK", "unix".to_owned()),
            ("LANG", "C.UTF-8".to_owned()),
            (
                "FAKE_JUJU_DIR",
                self.root.join("model").display().to_string(),
            ),
            (
                "LEADERSHIP_CONFIG_FILE",
                self.config_file().display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Runs `dispatch` for one event, as Juju does.
    fn dispatch(&self, dispatch_path: &str, extra: &[(&str, &str)]) -> Run {
        let mut env = self.base_env(dispatch_path);
        for (key, value) in extra {
            env.retain(|(k, _)| k != key);
            env.push(((*key).to_owned(), (*value).to_owned()));
        }
        self.dispatch_with_env(&env)
    }

    fn dispatch_with_env(&self, env: &[(String, String)]) -> Run {
        let calls_file = self.root.join("model/calls.jsonl");
        let _ = std::fs::remove_file(&calls_file);
        let before = self.world();
        let output = Command::new(self.charm_dir().join("dispatch"))
            .current_dir(self.charm_dir())
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        let code = output.status.code().unwrap_or(-1);
        if code != 0 {
            // Juju discards a failed hook's buffered changes; status, the
            // workload version and action output were applied at once.
            let after = self.world();
            let mut restored = before;
            restored["model"]["statuses"] = after["model"]["statuses"].clone();
            restored["action"] = after["action"].clone();
            self.set_world(&restored);
        }
        let calls = std::fs::read_to_string(&calls_file)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let record: Value = serde_json::from_str(line).unwrap();
                Call {
                    tool: record["tool"].as_str().unwrap().to_owned(),
                    args: serde_json::from_value(record["args"].clone()).unwrap(),
                    stdin: record["stdin"].as_str().map(str::to_owned),
                    files: record["files"].as_object().cloned().unwrap_or_default(),
                }
            })
            .collect();
        let run = Run {
            code,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            calls,
        };
        assert_secrets_stay_off_argv(&run);
        run
    }

    fn peer_changed(&self, extra: &[(&str, &str)]) -> Run {
        let mut env = vec![
            ("JUJU_RELATION", "replicas"),
            ("JUJU_RELATION_ID", "replicas:0"),
            ("JUJU_REMOTE_APP", "leadership"),
            ("JUJU_REMOTE_UNIT", "leadership/1"),
        ];
        env.extend_from_slice(extra);
        self.dispatch("hooks/replicas-relation-changed", &env)
    }

    fn action(&self, name: &str, params: Value) -> Run {
        self.update_world(|w| w["action"] = json!({ "params": params }));
        self.dispatch(
            &format!("actions/{name}"),
            &[("JUJU_ACTION_NAME", name), ("JUJU_ACTION_UUID", "42")],
        )
    }

    fn fail(&self, tool: &str, failure: Value) {
        self.update_world(|w| w["fail"] = json!({ tool: failure }));
    }

    fn app_secret(&self) -> Option<SecretRecord> {
        self.store()
            .secrets
            .into_iter()
            .find(|s| s.owner_label.as_deref() == Some("my-label"))
    }
}

/// No secret value on any argv, secret files private and removed after use.
fn assert_secrets_stay_off_argv(run: &Run) {
    for call in &run.calls {
        for arg in &call.args {
            assert!(
                !arg.contains(PASSWORD) && !arg.contains(USERNAME),
                "secret value on argv: {}",
                call.line()
            );
        }
        for (path, file) in &call.files {
            assert_eq!(file["mode"], "600", "{path}");
            assert_eq!(file["dir_mode"], "700", "{path}");
            assert!(!Path::new(path).exists(), "{path} was left behind");
        }
    }
}

/// A directory-name-safe form of `text`.
fn slug(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect()
}

fn read_config_file(juju: &Juju) -> Option<String> {
    std::fs::read_to_string(juju.config_file()).ok()
}

// install -> leader-elected -> config-changed -> start. Juju sends
// leader-elected only to the unit that won, so the follower gets
// install -> config-changed -> start.
#[rstest]
fn lifecycle(#[values(true, false)] leader: bool) {
    let juju = Juju::new(&format!("lifecycle-{leader}"), world(leader));

    let install = juju.dispatch("hooks/install", &[]);
    install.succeeded();
    assert_eq!(
        install.calls[0].line(),
        format!("state-get --format=json {STATE_KEY}"),
        "persisted state is loaded first"
    );
    assert_eq!(juju.stored(), json!({"leader": null, "elections_won": 0}));

    if leader {
        let elected = juju.dispatch("hooks/leader-elected", &[]);
        elected.succeeded();
        assert!(
            elected
                .logs("INFO")
                .contains(&"leadership/0 was elected leader".to_owned()),
            "{:#?}",
            elected.lines()
        );
        // The peers learn the leader through the application databag, on stdin.
        let set = elected.calls_to("relation-set");
        assert_eq!(set.len(), 1);
        assert_eq!(set[0].args, ["-r", "0", "--app", "--file", "-"]);
        assert_eq!(
            set[0].stdin.as_deref(),
            Some(r#"{"leader":"leadership/0"}"#)
        );
        // The secret is created through private files, not argv.
        let add = elected.calls_to("secret-add");
        assert_eq!(add.len(), 1);
        let contents: Vec<&Value> = add[0].files.values().map(|f| &f["content"]).collect();
        assert!(contents.contains(&&json!(PASSWORD)), "{add:?}");
        assert_eq!(juju.peer_app_data()["leader"], "leadership/0");
    }

    let changed = juju.dispatch("hooks/config-changed", &[]);
    changed.succeeded();
    // Leadership is asked once per dispatch: Juju guarantees it for 30 s.
    assert_eq!(
        changed.calls_to("is-leader").len(),
        1,
        "{:#?}",
        changed.lines()
    );
    // The configuration is read once however often the charm asks (the
    // follower, knowing no leader, has nothing to configure).
    assert_eq!(
        changed.calls_to("config-get").len(),
        usize::from(leader),
        "{:#?}",
        changed.lines()
    );

    let start = juju.dispatch("hooks/start", &[]);
    start.succeeded();
    let status = start.calls_to("status-set");
    assert_eq!(status.len(), 1);
    let message = if leader { "I rule" } else { "I am ruled" };
    assert_eq!(
        status[0].args,
        ["--application=False", "active", "--", message]
    );

    assert_eq!(juju.unit_status(), ActiveStatus::new(message));
    if leader {
        let secret = juju
            .app_secret()
            .expect("the leader created the app secret");
        assert_eq!(secret.owner, Some(SecretOwnerRef::Application(APP.into())));
        assert_eq!(
            secret.revision_numbers(),
            [1, 2],
            "config-changed sets a new revision"
        );
        let latest: StringMap = [("username", USERNAME), ("password", PASSWORD)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(secret.latest.content.0, latest);
        assert_eq!(
            juju.stored(),
            json!({"leader": "leadership/0", "elections_won": 1})
        );
        let rendered = read_config_file(&juju).unwrap();
        assert!(rendered.contains("leader = leadership/0") && rendered.contains("port = 8080"));
    } else {
        assert_eq!(juju.app_secret(), None);
        assert!(juju.peer_data_is_empty());
        assert_eq!(juju.stored(), json!({"leader": null, "elections_won": 0}));
        assert_eq!(read_config_file(&juju), None);
    }
    // Nothing was logged at DEBUG: nobody asked for it.
    for run in [&install, &changed, &start] {
        assert_eq!(run.logs("DEBUG"), Vec::<String>::new());
    }
    assert_eq!(juju.deferred(), Vec::<Value>::new());
}

#[test]
fn a_deferred_peer_event_survives_into_the_next_dispatch() {
    let juju = Juju::new("deferred", world(false));

    // The leader has not announced itself: the follower defers.
    juju.peer_changed(&[]).succeeded();
    let deferred = juju.deferred();
    assert_eq!(deferred.len(), 1, "{deferred:#?}");
    assert_eq!(deferred[0]["observer"], "on_peer_changed");
    assert_eq!(
        deferred[0]["handle_path"],
        "LeadershipCharm/on/replicas_relation_changed[1]"
    );
    assert_eq!(deferred[0]["snapshot"]["relation_id"], 0);
    assert_eq!(read_config_file(&juju), None);

    // Another event while the leader is still silent: deferred again, kept.
    let update = juju.dispatch("hooks/update-status", &[]);
    update.succeeded();
    assert_eq!(juju.deferred().len(), 1);

    // The leader announces itself; the next event (here a secret-changed,
    // which this charm does not observe) re-emits the deferred one first.
    juju.announce_leader("leadership/1");
    let run = juju.dispatch(
        "hooks/secret-changed",
        &[
            ("JUJU_SECRET_ID", "secret:cvfake00000000000009"),
            ("JUJU_SECRET_LABEL", ""),
            ("JUJU_OPS_LOG_LEVEL", "DEBUG"),
        ],
    );
    run.succeeded();
    let debug = run.logs("DEBUG");
    assert!(
        debug.iter().any(|m| m.starts_with(
            "Re-emitting deferred event LeadershipCharm/on/replicas_relation_changed[1]"
        )),
        "{debug:#?}"
    );
    assert!(
        debug.contains(&"Emitting Juju event secret_changed.".to_owned()),
        "{debug:#?}"
    );
    assert_eq!(juju.deferred(), Vec::<Value>::new());
    assert_eq!(juju.stored()["leader"], "leadership/1");
    assert!(
        read_config_file(&juju)
            .unwrap()
            .contains("leader = leadership/1")
    );
}

#[test]
fn a_debug_session_sends_debug_lines() {
    let juju = Juju::new("debug-session", world(true));
    let run = juju.dispatch("hooks/start", &[("JUJU_DEBUG", "1")]);
    run.succeeded();
    let debug = run.logs("DEBUG");
    assert!(
        debug
            .iter()
            .any(|m| m.starts_with("juju-ops ") && m.ends_with(" up and running."))
    );
    assert!(
        debug.contains(&"Emitting Juju event start.".to_owned()),
        "{debug:#?}"
    );
}

#[rstest]
fn show_leader_action(#[values(true, false)] knows: bool) {
    let juju = Juju::new(&format!("action-{knows}"), world(true));
    if knows {
        juju.dispatch("hooks/leader-elected", &[]).succeeded();
    }
    let params = json!({"verbose": true, "format": {"style": "short"}});
    let run = juju.action("show-leader", params);
    run.succeeded();
    let get = run.calls_to("action-get");
    assert_eq!(get.len(), 1);
    assert_eq!(get[0].args, ["--format=json"]);
    let action = juju.world()["action"].clone();
    if knows {
        assert_eq!(run.calls_to("action-set")[0].args, ["leader=leadership/0"]);
        assert_eq!(action["results"], json!({"leader": "leadership/0"}));
        assert_eq!(action.get("failed"), None);
    } else {
        // The action failed the way Juju reports it; the hook did not.
        assert_eq!(
            run.calls_to("action-fail")[0].args,
            ["--", "this unit does not know the leader yet"]
        );
        assert_eq!(action["failed"], "this unit does not know the leader yet");
        assert_eq!(action.get("results"), None);
    }
}

#[test]
fn a_failed_handler_commits_nothing() {
    let juju = Juju::new("handler-failure", world(true));
    // The leader sees a peer change before its election: deferred.
    juju.peer_changed(&[]).succeeded();
    assert_eq!(juju.deferred().len(), 1);
    let before = juju.persisted();

    // leader-elected counts the election, tells the peers, then fails to add
    // the secret: the count, the peer data and the queue are all dropped.
    juju.fail(
        "secret-add",
        json!({"exit": 1, "stderr": "ERROR quota exceeded\n"}),
    );
    let run = juju.dispatch("hooks/leader-elected", &[]);
    run.failed_with("hook tool `secret-add` failed: ERROR quota exceeded")
        .logged_error("on_leader_elected failed while handling leader_elected");
    assert_eq!(
        run.calls_to("relation-set").len(),
        1,
        "the handler got that far"
    );
    assert_eq!(juju.persisted(), before);
    assert!(juju.peer_data_is_empty());

    // Juju retries the hook: it now succeeds, and counts one election, not two.
    juju.update_world(|w| w["fail"] = json!({}));
    juju.dispatch("hooks/leader-elected", &[]).succeeded();
    assert_eq!(juju.stored()["elections_won"], 1);
    // The peer event was re-emitted before the election and deferred again...
    assert_eq!(juju.deferred().len(), 1);
    // ...and goes through at the next event, now that the leader is known.
    juju.dispatch("hooks/update-status", &[]).succeeded();
    assert_eq!(juju.deferred(), Vec::<Value>::new());
}

#[test]
fn a_refused_state_save_is_reported_with_jujus_reason() {
    let juju = Juju::new("state-set-failure", world(true));
    juju.fail(
        "state-set",
        json!({"exit": 1, "stderr": "ERROR max allowed value size exceeded\n"}),
    );
    let run = juju.dispatch("hooks/install", &[]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("cannot save the charm's state"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("max allowed value size exceeded"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
    assert_eq!(juju.unit_state(), StringMap::new());
}

/// The event that makes the charm call `tool`: (dispatch path, leader,
/// whether an election must have happened first).
fn event_using(tool: &str) -> (&'static str, bool, bool) {
    match tool {
        "state-get" | "state-set" => ("hooks/install", true, false),
        "is-leader" | "status-set" => ("hooks/start", true, false),
        // The event's relation lists its units when it is made; a relation
        // from `get_relation` lists them only when the charm reads them.
        "relation-list" => ("hooks/replicas-relation-changed", true, false),
        "config-get" | "relation-ids" | "relation-get" | "relation-set" | "secret-get"
        | "secret-add" => ("hooks/leader-elected", true, false),
        "secret-info-get" | "secret-set" => ("hooks/config-changed", true, true),
        "action-get" | "action-set" => ("actions/show-leader", true, true),
        "action-fail" => ("actions/show-leader", true, false),
        other => panic!("no event uses {other}"),
    }
}

#[rstest]
fn every_failing_hook_tool_is_a_typed_error_not_a_panic(
    #[values(
        "state-get",
        "state-set",
        "is-leader",
        "status-set",
        "config-get",
        "relation-ids",
        "relation-list",
        "relation-get",
        "relation-set",
        "secret-get",
        "secret-add",
        "secret-info-get",
        "secret-set",
        "action-get",
        "action-set",
        "action-fail"
    )]
    tool: &str,
    #[values("exit", "garbage")] mode: &str,
) {
    // Tools whose output the charm does not read cannot give garbage.
    let reads_output = !matches!(
        tool,
        "state-set" | "status-set" | "relation-set" | "secret-set" | "action-set" | "action-fail"
    );
    if mode == "garbage" && !reads_output {
        return;
    }
    let (path, leader, knows) = event_using(tool);
    let juju = Juju::new(&format!("tool-{tool}-{mode}"), world(leader));
    if knows {
        juju.dispatch("hooks/leader-elected", &[]).succeeded();
    }
    let failure = if mode == "exit" {
        json!({"exit": 1, "stderr": "ERROR injected failure\n"})
    } else {
        json!({"exit": 0, "stdout": "{garbage"})
    };
    juju.fail(tool, failure);
    let run = if let Some(action) = path.strip_prefix("actions/") {
        juju.action(action, json!({}))
    } else if path == "hooks/replicas-relation-changed" {
        juju.peer_changed(&[])
    } else {
        juju.dispatch(path, &[])
    };
    assert!(
        !run.calls_to(tool).is_empty(),
        "{tool} not called: {:#?}",
        run.lines()
    );
    let expected = if mode == "exit" {
        format!("hook tool `{tool}` failed: ERROR injected failure")
    } else {
        format!("hook tool `{tool}` gave output that cannot be read: expected ")
    };
    if tool == "state-set" {
        // The save itself failed: reported, and nothing else was saved.
        assert_ne!(run.code, 0);
        assert!(run.stderr.contains(&expected), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    } else {
        run.failed_with(&expected).logged_error(&expected);
    }
}

#[test]
fn an_undeliverable_log_line_does_not_fail_the_hook() {
    let juju = Juju::new("juju-log-failure", world(true));
    juju.fail(
        "juju-log",
        json!({"exit": 1, "stderr": "ERROR log sink gone\n"}),
    );
    let run = juju.dispatch("hooks/leader-elected", &[]);
    run.succeeded();
    assert!(!run.calls_to("juju-log").is_empty());
    assert_eq!(juju.stored()["elections_won"], 1);
}

/// An event the charm does not define (a hook Juju does not run, or an
/// endpoint or action the metadata does not declare, as after a rollback)
/// is not a failure: as Python ops does, nothing is emitted for it, the
/// reason is logged at debug, deferred events are still re-emitted, and
/// the dispatch exits 0.
#[rstest]
#[case::unknown_hook("hooks/frobnicate", &[], "hooks/frobnicate: \"frobnicate\" is not a hook Juju runs")]
#[case::undeclared_endpoint(
    "hooks/db-relation-changed",
    &[("JUJU_RELATION", "db"), ("JUJU_RELATION_ID", "db:1")],
    "the charm declares no relation endpoint \"db\""
)]
#[case::undeclared_action("actions/backup", &[("JUJU_ACTION_UUID", "1")], "the charm declares no action \"backup\"")]
fn events_the_charm_does_not_define_exit_0(
    #[case] path: &str,
    #[case] extra: &[(&str, &str)],
    #[case] message: &str,
) {
    let juju = Juju::new(&format!("undefined-{}", slug(message)), world(false));
    juju.peer_changed(&[]).succeeded();
    assert_eq!(juju.deferred().len(), 1);
    juju.announce_leader("leadership/1");

    let mut extra = extra.to_vec();
    extra.push(("JUJU_DEBUG", "1"));
    let run = juju.dispatch(path, &extra);
    run.succeeded();
    let debug = run.logs("DEBUG");
    assert!(debug.iter().any(|m| m.contains(message)), "{debug:#?}");
    assert!(
        debug.iter().any(|m| m.starts_with(
            "Re-emitting deferred event LeadershipCharm/on/replicas_relation_changed[1]"
        )),
        "{debug:#?}"
    );
    assert!(
        !debug.iter().any(|m| m.starts_with("Emitting Juju event")),
        "{debug:#?}"
    );
    assert_eq!(juju.deferred(), Vec::<Value>::new());
    assert_eq!(juju.stored()["leader"], "leadership/1");
}

#[rstest]
#[case::bad_dispatch_path("start", &[], "JUJU_DISPATCH_PATH=\"start\" is malformed")]
#[case::bad_relation_id(
    "hooks/replicas-relation-changed",
    &[("JUJU_RELATION", "replicas"), ("JUJU_RELATION_ID", "replicas:x")],
    "JUJU_RELATION_ID=\"replicas:x\" is malformed"
)]
#[case::relation_mismatch(
    "hooks/replicas-relation-changed",
    &[("JUJU_RELATION", "db"), ("JUJU_RELATION_ID", "db:0")],
    "JUJU_RELATION=\"db\" does not match the endpoint \"replicas\""
)]
#[case::secret_without_id("hooks/secret-changed", &[], "JUJU_SECRET_ID is not set")]
#[case::action_without_uuid("actions/show-leader", &[], "JUJU_ACTION_UUID is not set")]
#[case::bad_log_level("hooks/start", &[("JUJU_OPS_LOG_LEVEL", "chatty")], "JUJU_OPS_LOG_LEVEL=\"chatty\" is not understood")]
fn malformed_environments_are_named(
    #[case] path: &str,
    #[case] extra: &[(&str, &str)],
    #[case] message: &str,
) {
    let juju = Juju::new(&format!("env-{}", slug(message)), world(true));
    let run = juju.dispatch(path, extra);
    run.failed_with(message).logged_error(message);
    // Nothing was read or written before the check.
    assert!(run.calls_to("state-get").is_empty(), "{:#?}", run.lines());
}

#[test]
fn missing_juju_variables_are_named() {
    let juju = Juju::new("env-missing-unit", world(true));
    let env: Vec<(String, String)> = juju
        .base_env("hooks/start")
        .into_iter()
        .filter(|(k, _)| k != "JUJU_UNIT_NAME")
        .collect();
    let run = juju.dispatch_with_env(&env);
    run.failed_with("JUJU_UNIT_NAME is not set: this program must be run by Juju");
}

#[test]
fn restricted_hooks_do_nothing() {
    let juju = Juju::new("restricted", world(true));
    let run = juju.dispatch("hooks/collect-metrics", &[]);
    run.succeeded();
    assert!(run.calls.is_empty(), "{:#?}", run.lines());
}

#[rstest]
#[case::none(&[], "no charm metadata in")]
#[case::bad_charmcraft(&[("charmcraft.yaml", "name: [leadership\ntype: charm\n")], "cannot parse charmcraft.yaml")]
#[case::bad_metadata(&[("metadata.yaml", "name: leadership\npeers: [\n")], "cannot parse metadata.yaml")]
#[case::bad_actions(
    &[("metadata.yaml", "name: leadership\n"), ("actions.yaml", "show-leader: [1, 2\n")],
    "cannot parse actions.yaml"
)]
fn missing_or_malformed_metadata_names_the_file(
    #[case] files: &[(&str, &str)],
    #[case] message: &str,
) {
    let juju = Juju::new(&format!("meta-{}", slug(message)), world(true));
    for name in ["metadata.yaml", "config.yaml", "actions.yaml"] {
        std::fs::remove_file(juju.charm_dir().join(name)).unwrap();
    }
    for (name, text) in files {
        std::fs::write(juju.charm_dir().join(name), text).unwrap();
    }
    let run = juju.dispatch("hooks/start", &[]);
    let dir = juju.charm_dir().display().to_string();
    run.failed_with(message)
        .failed_with(&format!("cannot load the charm's metadata from {dir}"))
        .logged_error(message);
}

#[test]
fn an_unpacked_charm_reads_charmcraft_yaml() {
    let juju = Juju::new("charmcraft-yaml", world(true));
    for name in ["metadata.yaml", "config.yaml", "actions.yaml"] {
        std::fs::remove_file(juju.charm_dir().join(name)).unwrap();
    }
    std::fs::copy(
        example_dir().join("charmcraft.yaml"),
        juju.charm_dir().join("charmcraft.yaml"),
    )
    .unwrap();
    juju.dispatch("hooks/start", &[]).succeeded();
    assert_eq!(juju.unit_status().message(), "I rule");
}

#[test]
fn corrupt_persisted_state_is_named_with_the_fix() {
    let juju = Juju::new("corrupt-state", world(true));
    let me = Actor::from_unit_name(UNIT).unwrap();
    let set_state = |text: String| {
        juju.update_store(|store| {
            store.unit_state.remove(UNIT);
            store.state_set(&me, &[(STATE_KEY.to_owned(), text)].into());
        });
    };
    set_state("{not json".to_owned());
    juju.dispatch("hooks/start", &[])
        .failed_with(&format!(
            "cannot read the charm's persisted state (unit state key {STATE_KEY})"
        ))
        .failed_with(&format!(
            "juju exec --unit leadership/0 -- state-delete {STATE_KEY}"
        ));

    // Well-formed, but not what the charm's stored type holds.
    let saved = json!({
        "deferred": [],
        "stored": {"LeadershipCharm/StoredStateData[_stored]": {"elections_won": "many"}},
    });
    set_state(saved.to_string());
    juju.dispatch("hooks/start", &[])
        .failed_with("stored state LeadershipCharm/StoredStateData[_stored]")
        .logged_error("add #[serde(default)]");
}

// Both units of the application run against one model: what the leader
// writes, the follower reads, and each keeps its own unit state and status.
#[test]
fn two_units_share_one_model() {
    let mut juju = Juju::new("two-units", world(true));
    juju.dispatch("hooks/leader-elected", &[]).succeeded();
    juju.dispatch("hooks/start", &[]).succeeded();
    let leader_state = juju.persisted();

    juju.unit = "leadership/1".to_owned();
    let run = juju.dispatch(
        "hooks/replicas-relation-changed",
        &[
            ("JUJU_RELATION", "replicas"),
            ("JUJU_RELATION_ID", "replicas:0"),
            ("JUJU_REMOTE_APP", "leadership"),
            ("JUJU_REMOTE_UNIT", "leadership/0"),
        ],
    );
    run.succeeded();
    assert_eq!(juju.stored()["leader"], "leadership/0");
    assert_eq!(juju.stored()["elections_won"], 0);
    assert!(
        read_config_file(&juju)
            .unwrap()
            .contains("leader = leadership/0")
    );
    juju.dispatch("hooks/start", &[]).succeeded();
    assert_eq!(juju.unit_status(), ActiveStatus::new("I am ruled"));
    // The follower did not touch the application secret.
    assert!(run.calls_to("secret-set").is_empty());
    assert_eq!(juju.app_secret().unwrap().revision_numbers(), [1]);

    juju.unit = UNIT.to_owned();
    assert_eq!(juju.persisted(), leader_state);
    assert_eq!(juju.unit_status(), ActiveStatus::new("I rule"));
}

/// A library object's custom event, deferral and stored state survive
/// between dispatches under Juju as they do in the harness.
#[test]
fn a_library_objects_custom_event_is_deferred_and_reemitted_across_dispatches() {
    let juju = Juju::with_charm_binary(
        "library",
        world(false),
        env!("CARGO_BIN_EXE_library-charm-sim"),
    );
    let persisted_path = |path: &str| juju.persisted().pointer(path).cloned();

    // The leader is unknown: the library defers the relation event.
    juju.peer_changed(&[]).succeeded();
    let deferred = juju.deferred();
    assert_eq!(deferred.len(), 1, "{deferred:#?}");
    assert_eq!(
        deferred[0]["handle_path"],
        "LibraryCharm/on/replicas_relation_changed[1]"
    );
    assert_eq!(deferred[0]["owner"], "LibraryCharm/PeerWatch[replicas]");
    assert_eq!(deferred[0]["observer"], "on_changed");
    assert_eq!(
        persisted_path(
            "/stored/LibraryCharm~1PeerWatch[replicas]~1StoredStateData[_stored]/changes"
        ),
        Some(json!(1))
    );

    // The leader speaks; the re-emitted relation event makes the library
    // emit `leader_known`, which the charm (not started yet) defers.
    juju.announce_leader("leadership/1");
    juju.dispatch("hooks/update-status", &[]).succeeded();
    let deferred = juju.deferred();
    assert_eq!(deferred.len(), 1, "{deferred:#?}");
    assert_eq!(
        deferred[0]["handle_path"],
        "LibraryCharm/PeerWatch[replicas]/on/leader_known[1]"
    );
    assert_eq!(deferred[0]["owner"], "LibraryCharm");
    assert_eq!(deferred[0]["observer"], "on_leader_known");
    assert_eq!(deferred[0]["snapshot"], json!({"leader": "leadership/1"}));

    // start is dispatched after the deferred event is re-emitted (and
    // deferred again); the next dispatch delivers it.
    juju.dispatch("hooks/start", &[]).succeeded();
    assert_eq!(juju.deferred().len(), 1);
    juju.dispatch("hooks/update-status", &[]).succeeded();
    assert_eq!(juju.deferred(), Vec::<Value>::new());
    assert_eq!(
        juju.unit_status(),
        Status::from(ActiveStatus::new("leader is leadership/1"))
    );
    assert_eq!(
        persisted_path(
            "/stored/LibraryCharm~1PeerWatch[replicas]~1StoredStateData[_stored]/changes"
        ),
        Some(json!(2))
    );
}

/// A typo in an observed endpoint fails the dispatch under Juju: non-zero,
/// with the name, the declared endpoints and the closest one on stderr and
/// in the ERROR log, and nothing saved.
#[test]
fn observing_an_undeclared_endpoint_fails_the_dispatch_naming_it() {
    let juju = Juju::with_charm_binary("typo", world(false), env!("CARGO_BIN_EXE_typo-charm-sim"));
    let want = "relation endpoint \"replica\" is not declared in the charm's metadata \
                (declared: \"replicas\"). Did you mean \"replicas\"?";
    juju.dispatch("hooks/start", &[])
        .failed_with(want)
        .logged_error(want);
}

/// A hung hook tool is killed at the deadline (`JUJU_OPS_TOOL_TIMEOUT`), named
/// with its command line on stderr (secret content stays in its files), and
/// fails the dispatch: nothing is saved.
#[test]
fn a_hung_tool_is_killed_and_the_dispatch_saves_nothing() {
    let juju = Juju::new("hung-tool", world(true));
    juju.dispatch("hooks/install", &[]).succeeded();
    juju.fail("secret-add", json!({ "sleep_ms": 60_000 }));
    let started = std::time::Instant::now();
    let run = juju.dispatch("hooks/leader-elected", &[("JUJU_OPS_TOOL_TIMEOUT", "1")]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    run.failed_with("hook tool `secret-add` did not finish within 1.0 s and was killed")
        .failed_with("`secret-add --label my-label --owner application password#file=/");
    // The content's private directory went with the call.
    let file = run.stderr.split("password#file=").nth(1).unwrap();
    let file = Path::new(file.split_whitespace().next().unwrap());
    assert!(!file.parent().unwrap().exists(), "{}", file.display());
    assert!(!run.stderr.contains(PASSWORD), "{}", run.stderr);
    assert_eq!(juju.stored(), json!({"leader": null, "elections_won": 0}));
}

/// A SIGTERM or SIGINT while a secret tool runs (Juju stopping the unit, a
/// person at a `debug-hooks` terminal) removes the private directory holding
/// the secret's content, and the charm still dies of that signal, saving
/// nothing.
#[rstest]
#[case::sigterm("TERM", 15)]
#[case::sigint("INT", 2)]
fn a_signal_during_a_secret_call_removes_its_private_directory(
    #[case] name: &str,
    #[case] number: i32,
) {
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};
    let juju = Juju::new(&format!("signal-{name}"), world(true));
    juju.dispatch("hooks/install", &[]).succeeded();
    juju.fail("secret-add", json!({ "sleep_ms": 60_000 }));
    let tmp = juju.root.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut env = juju.base_env("hooks/leader-elected");
    env.push(("TMPDIR".to_owned(), tmp.display().to_string()));
    let mut child = Command::new(juju.charm_dir().join("dispatch"))
        .current_dir(juju.charm_dir())
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let private_dirs = || -> Vec<PathBuf> {
        std::fs::read_dir(&tmp)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.to_string_lossy().contains("juju-ops-secret-"))
            .collect()
    };
    // The content is staged before `secret-add` runs, and `secret-add` hangs.
    let started = Instant::now();
    let staged = loop {
        let dirs = private_dirs();
        let files = dirs
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .count();
        if !dirs.is_empty() && files > 0 {
            break dirs;
        }
        if started.elapsed() > Duration::from_secs(30) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!(
                "the secret's private directory never appeared in {}",
                tmp.display()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(staged.len(), 1, "{staged:?}");
    // `dispatch` execs the charm binary: the child is the charm.
    let killed = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.signal(),
        Some(number),
        "the charm should die of SIG{name}: {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !staged[0].exists(),
        "{} was left behind",
        staged[0].display()
    );
    assert_eq!(private_dirs(), Vec::<PathBuf>::new());
    assert_eq!(juju.stored(), json!({"leader": null, "elections_won": 0}));
}

/// The charm's log lines go to `juju-log`, whose failures the framework
/// swallows (a log line must not fail a hook); a hung `juju-log` still fails
/// the dispatch at once (no later tool runs), and it saves nothing.
#[test]
fn a_hung_juju_log_fails_the_dispatch() {
    let juju = Juju::new("hung-log", world(true));
    juju.dispatch("hooks/install", &[]).succeeded();
    juju.fail("juju-log", json!({ "sleep_ms": 60_000 }));
    let run = juju.dispatch("hooks/leader-elected", &[("JUJU_OPS_TOOL_TIMEOUT", "0.5")]);
    run.failed_with("hook tool `juju-log` did not finish within 0.5 s and was killed")
        .failed_with("nothing from this dispatch was saved");
    // Nothing ran after the deadline: every later call failed at once.
    assert_eq!(run.calls_to("juju-log").len(), 1, "{:#?}", run.lines());
    assert!(run.calls_to("secret-add").is_empty(), "{:#?}", run.lines());
    assert_eq!(juju.stored(), json!({"leader": null, "elections_won": 0}));
}

#[test]
fn stored_fields_the_charm_does_not_know_are_saved_again() {
    let juju = Juju::new("unknown-stored-fields", world(true));
    let me = Actor::from_unit_name(UNIT).unwrap();
    // As a newer revision of the charm left it before a rollback.
    let saved = json!({
        "deferred": [],
        "stored": {"LeadershipCharm/StoredStateData[_stored]": {
            "elections_won": 2,
            "added_by_a_newer_revision": {"replicas": [1, 2]},
        }},
    });
    juju.update_store(|store| {
        store.state_set(&me, &[(STATE_KEY.to_owned(), saved.to_string())].into());
    });
    juju.dispatch("hooks/leader-elected", &[]).succeeded();
    let stored = juju.stored();
    assert_eq!(stored["elections_won"], json!(3));
    assert_eq!(
        stored["added_by_a_newer_revision"],
        json!({"replicas": [1, 2]})
    );
}
