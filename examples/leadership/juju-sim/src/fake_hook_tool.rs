//! A fake of Juju's hook tools, for tests and benchmarks: one binary that
//! acts as the tool named by its `argv[0]`, installed as symlinks named
//! `is-leader`, `relation-get`, `secret-add`, … in a directory put first on
//! `PATH`, as Juju does with its own tools.
//!
//! It answers from, and writes to, the fake model in
//! `$FAKE_JUJU_DIR/world.json`: `{"model": <ModelStore>, "fail": …,
//! "action": …, "next_secret": n}`, where `model` is the simulated Juju
//! model of `ops_testing::juju` (the one the harness's mock backend uses),
//! and the other keys are what only this fake needs. Each tool parses its
//! argv and prints its output here, and calls the store's operation for the
//! unit `JUJU_UNIT_NAME` (under `JUJU_VERSION`) for what it means, so
//! both fakes share Juju's rules and messages. It appends one JSON line per call to
//! `$FAKE_JUJU_DIR/calls.jsonl`: the tool, its arguments, what it read on
//! stdin, and the content and mode of every file named by a `key#file=path`
//! argument (read while the call runs, before the caller removes it).
//!
//! Arguments are parsed the way Juju's flag parser does (flags before or after
//! positional arguments, `--` ends flags, `--flag=value` or `--flag value`)
//! and unknown flags are refused with exit 2, so a caller passing the wrong
//! argv fails here as it would under Juju. Outputs follow Juju's formats
//! (`--format=json`), and failures Juju's messages (`relation not found`,
//! `secret "x" not found`, `this unit is not the leader`, …).
//!
//! Every change is written at once; emulating Juju's "discard the hook's
//! changes on a non-zero exit" is the test's job (it knows the exit code).
//!
//! Run as `fake-hook-tool --install <dir>`, it creates `<dir>` holding one
//! symlink to itself per tool in [`TOOLS`].
//!
//! Failure injection: `"fail": {"<tool>": {"exit": 1, "stderr": "…", "stdout": "…"}}`
//! in the world makes every call of that tool print these and exit with that code;
//! `"sleep_ms": n` there makes it hang first, for up to `n` ms (less if its
//! caller dies).

#[path = "fake_hook_tool/argv.rs"]
mod argv;

use argv::{
    Outcome, bare_secret_id, content_args, failed, file_content, parse_args, parse_port, print,
    relation_arg, secret_metadata,
};
use ops::{Port, SecretOwner, Status};
use ops_testing::juju::{Actor, ModelStore, SecretOwnerRef, SecretRecord};
use serde_json::{Map, Value, json};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Every tool the fake plays.
const TOOLS: [&str; 33] = [
    "action-fail",
    "action-get",
    "action-log",
    "action-set",
    "application-version-set",
    "close-port",
    "config-get",
    "is-leader",
    "juju-log",
    "open-port",
    "opened-ports",
    "relation-get",
    "relation-ids",
    "relation-list",
    "relation-set",
    "secret-add",
    "secret-get",
    "secret-grant",
    "secret-ids",
    "secret-info-get",
    "secret-remove",
    "secret-revoke",
    "secret-set",
    "state-delete",
    "state-get",
    "state-set",
    "status-get",
    "status-set",
    "network-get",
    "goal-state",
    "credential-get",
    "storage-get",
    "storage-list",
];

/// Creates `dir` with one symlink to this binary per tool.
fn install(dir: &Path) -> std::io::Result<()> {
    let me = std::env::current_exe()?;
    std::fs::create_dir_all(dir)?;
    for tool in TOOLS {
        let link = dir.join(tool);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&me, &link)?;
    }
    Ok(())
}

/// The fake model: the envelope read from `world.json`, and its Juju
/// model store, written back only if a tool changed it.
struct World {
    data: Value,
    store: ModelStore,
    changed: bool,
}

impl World {
    fn get(&self, key: &str) -> &Value {
        self.data.get(key).unwrap_or(&Value::Null)
    }

    fn obj(&mut self, key: &str) -> &mut Map<String, Value> {
        self.changed = true;
        let root = self.data.as_object_mut().expect("the world is an object");
        let slot = root
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        slot.as_object_mut().expect("just made an object")
    }

    /// The store, to change.
    fn store(&mut self) -> &mut ModelStore {
        self.changed = true;
        &mut self.store
    }
}

fn status_json(status: &Status) -> Value {
    json!({"status": status.name(), "message": status.message(), "status-data": {}})
}

fn owner_name(secret: &SecretRecord) -> Value {
    match &secret.owner {
        Some(SecretOwnerRef::Application(_)) => json!("application"),
        Some(SecretOwnerRef::Unit(_)) => json!("unit"),
        None => Value::Null,
    }
}

fn run_tool(
    tool: &str,
    raw: &[String],
    stdin: Option<&str>,
    world: &mut World,
    me: &Actor,
) -> Outcome {
    match run_tool_inner(tool, raw, stdin, world, me) {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

fn run_tool_inner(
    tool: &str,
    raw: &[String],
    stdin: Option<&str>,
    world: &mut World,
    me: &Actor,
) -> Result<Outcome, Outcome> {
    let secret_meta = ["label", "description", "expire", "rotate", "owner"];
    Ok(match tool {
        "is-leader" => {
            let args = parse_args(raw, &["format"], &[])?;
            print(&args, &Value::Bool(world.store.is_leader(me)))
        }
        "config-get" => {
            let args = parse_args(raw, &["format"], &["all", "a"])?;
            let config = world.store.config_get(me);
            match args.positional.first() {
                Some(key) => print(&args, config.get(key).unwrap_or(&Value::Null)),
                None => print(&args, &json!(config)),
            }
        }
        "relation-ids" => {
            let args = parse_args(raw, &["format"], &[])?;
            let Some(endpoint) = args.positional.first() else {
                return Err(Outcome::error(2, "no endpoint name specified"));
            };
            let mut ids: Vec<String> = world
                .store
                .relation_ids(me, endpoint)
                .into_iter()
                .map(|id| format!("{endpoint}:{id}"))
                .collect();
            ids.sort();
            print(&args, &json!(ids))
        }
        "relation-list" => {
            let args = parse_args(raw, &["format", "r", "relation"], &["app"])?;
            let (id, reference) = relation_arg(&args)?;
            if args.flag("app") {
                let app = world.store.relation_remote_app_name(me, id);
                print(&args, &json!(app.map_err(|e| failed(e, &reference))?))
            } else {
                let units = world.store.relation_list(me, id);
                print(&args, &json!(units.map_err(|e| failed(e, &reference))?))
            }
        }
        "relation-get" => {
            let args = parse_args(raw, &["format", "r", "relation"], &["app"])?;
            let (id, reference) = relation_arg(&args)?;
            let (key, member) = match args.positional.as_slice() {
                [key, member] => (key.as_str(), member.clone()),
                [key] => (
                    key.as_str(),
                    std::env::var("JUJU_REMOTE_UNIT").unwrap_or_default(),
                ),
                [] => ("-", std::env::var("JUJU_REMOTE_UNIT").unwrap_or_default()),
                _ => return Err(Outcome::error(2, "too many arguments")),
            };
            let bag = world
                .store
                .relation_get(me, id, &member, args.flag("app"))
                .map_err(|e| failed(e, &reference))?;
            if key == "-" {
                print(&args, &json!(&*bag))
            } else {
                print(&args, &json!(bag.get(key)))
            }
        }
        "relation-set" => {
            let args = parse_args(raw, &["r", "relation", "file", "format"], &["app"])?;
            let (id, reference) = relation_arg(&args)?;
            let mut changes = file_content(&args, stdin)?;
            changes.extend(content_args(&args.positional)?);
            world
                .store()
                .relation_set(me, id, changes, args.flag("app"))
                .map_err(|e| failed(e, &reference))?;
            Outcome::ok("")
        }
        "status-get" => {
            let args = parse_args(raw, &["format"], &["include-data", "application"])?;
            if args.flag("application") {
                let app = world
                    .store
                    .status_get(me, true)
                    .map_err(|e| failed(e, ""))?;
                let unit = world
                    .store
                    .status_get(me, false)
                    .map_err(|e| failed(e, ""))?;
                let mut app = status_json(&app);
                app["units"] = json!({ me.unit(): status_json(&unit) });
                print(&args, &json!({ "application-status": app }))
            } else {
                let unit = world
                    .store
                    .status_get(me, false)
                    .map_err(|e| failed(e, ""))?;
                print(&args, &status_json(&unit))
            }
        }
        "status-set" => {
            let args = parse_args(raw, &[], &["application"])?;
            let (name, message) = match args.positional.as_slice() {
                [status] => (status.clone(), String::new()),
                [status, message @ ..] => (status.clone(), message.join(" ")),
                [] => {
                    return Err(Outcome::error(
                        2,
                        "invalid args, require <status> [message] [data]",
                    ));
                }
            };
            let Some(status) = Status::from_name(&name, message) else {
                return Err(Outcome::error(
                    2,
                    format!(
                        "invalid status {name:?}, expected one of [maintenance blocked waiting active]"
                    ),
                ));
            };
            world
                .store()
                .status_set(me, status, args.flag("application"))
                .map_err(|e| failed(e, ""))?;
            Outcome::ok("")
        }
        "application-version-set" => {
            let args = parse_args(raw, &[], &[])?;
            world
                .store()
                .application_version_set(me, &args.positional.join(" "));
            Outcome::ok("")
        }
        "juju-log" => {
            let args = parse_args(raw, &["log-level", "l"], &["debug"])?;
            if args.positional.is_empty() {
                return Err(Outcome::error(2, "no message specified"));
            }
            Outcome::ok("")
        }
        "action-get" => {
            let args = parse_args(raw, &["format"], &[])?;
            let Some(action) = world.get("action").as_object().cloned() else {
                return Err(Outcome::error(1, "not running an action"));
            };
            let params = action.get("params").cloned().unwrap_or_else(|| json!({}));
            match args.positional.first() {
                Some(key) => {
                    let value = key.split('.').try_fold(&params, |v, k| v.get(k));
                    print(&args, value.unwrap_or(&Value::Null))
                }
                None => print(&args, &params),
            }
        }
        "action-set" => {
            let args = parse_args(raw, &[], &[])?;
            if world.get("action").is_null() {
                return Err(Outcome::error(1, "not running an action"));
            }
            let action = world.obj("action");
            let results = action.entry("results").or_insert_with(|| json!({}));
            for pair in &args.positional {
                let Some((key, value)) = pair.split_once('=') else {
                    return Err(Outcome::error(
                        2,
                        format!("argument {pair:?} must be of the form key=value"),
                    ));
                };
                let mut slot = &mut *results;
                for part in key.split('.') {
                    slot = slot
                        .as_object_mut()
                        .expect("results are objects")
                        .entry(part.to_owned())
                        .or_insert_with(|| json!({}));
                }
                *slot = json!(value);
            }
            Outcome::ok("")
        }
        "action-log" | "action-fail" => {
            let args = parse_args(raw, &[], &[])?;
            if world.get("action").is_null() {
                return Err(Outcome::error(1, "not running an action"));
            }
            let message = args.positional.join(" ");
            let action = world.obj("action");
            if tool == "action-log" {
                let logs = action.entry("logs").or_insert_with(|| json!([]));
                logs.as_array_mut()
                    .expect("logs are a list")
                    .push(json!(message));
            } else {
                let message = if args.positional.is_empty() {
                    "action failed without reason given, check action for errors".to_owned()
                } else {
                    message
                };
                action.insert("failed".into(), json!(message));
            }
            Outcome::ok("")
        }
        "secret-add" => {
            let args = parse_args(raw, &secret_meta, &[])?;
            let owner = match args.value("owner").unwrap_or("application") {
                "application" => SecretOwner::App,
                "unit" => SecretOwner::Unit,
                other => {
                    return Err(Outcome::error(
                        2,
                        format!("invalid value {other:?} for option --owner"),
                    ));
                }
            };
            let metadata = secret_metadata(&args)?;
            let content = content_args(&args.positional)?;
            if content.is_empty() {
                return Err(Outcome::error(2, "missing secret value"));
            }
            let serial = world.get("next_secret").as_u64().unwrap_or(1);
            let id = world
                .store()
                .secret_add(
                    me,
                    || format!("secret:cvfake{serial:014}"),
                    content,
                    owner,
                    &metadata,
                )
                .map_err(|e| failed(e, ""))?;
            world.data["next_secret"] = json!(serial + 1);
            Outcome::ok(format!("{id}\n"))
        }
        "secret-get" => {
            let args = parse_args(raw, &["format", "label"], &["refresh", "peek"])?;
            if args.flag("refresh") && args.flag("peek") {
                return Err(Outcome::error(
                    2,
                    "specify one of --peek or --refresh but not both",
                ));
            }
            let id = args.positional.first().map(String::as_str);
            let content = world
                .store()
                .secret_get(
                    me,
                    id,
                    args.value("label"),
                    args.flag("refresh"),
                    args.flag("peek"),
                )
                .map_err(|e| failed(e, ""))?;
            print(&args, &json!(content))
        }
        "secret-info-get" => {
            let args = parse_args(raw, &["format", "label"], &[])?;
            let id = args.positional.first().map(String::as_str);
            let label = args.value("label");
            if id.is_some() && label.is_some() {
                return Err(Outcome::error(
                    2,
                    "specify either a secret URI or label but not both",
                ));
            }
            let info = world
                .store()
                .secret_info_get(me, id, label)
                .map_err(|e| failed(e, ""))?;
            let owner = world
                .store
                .secrets
                .iter()
                .find(|s| s.id == info.id)
                .map_or(Value::Null, owner_name);
            let mut out = json!({"revision": info.revision, "owner": owner});
            if let Some(label) = &info.label {
                out["label"] = json!(label);
            }
            if let Some(description) = &info.description {
                out["description"] = json!(description);
            }
            if let Some(expiry) = &info.expires {
                out["expiry"] = json!(expiry);
            }
            if let Some(rotation) = info.rotation {
                out["rotation"] = json!(rotation);
            }
            print(&args, &json!({ bare_secret_id(&info.id): out }))
        }
        "secret-set" => {
            let args = parse_args(raw, &secret_meta, &[])?;
            let Some((id, rest)) = args.positional.split_first() else {
                return Err(Outcome::error(2, "missing secret URI"));
            };
            let metadata = secret_metadata(&args)?;
            let content = content_args(rest)?;
            let content = (!content.is_empty()).then_some(&content);
            world
                .store()
                .secret_set(me, id, content, &metadata)
                .map_err(|e| failed(e, ""))?;
            Outcome::ok("")
        }
        "secret-remove" => {
            let args = parse_args(raw, &["revision"], &[])?;
            let Some(id) = args.positional.first() else {
                return Err(Outcome::error(2, "missing secret URI"));
            };
            let revision = match args.value("revision") {
                None => None,
                Some(text) => Some(text.parse().map_err(|_| {
                    Outcome::error(2, format!("invalid value {text:?} for option --revision"))
                })?),
            };
            world
                .store()
                .secret_remove(me, id, revision)
                .map_err(|e| failed(e, ""))?;
            Outcome::ok("")
        }
        "secret-grant" | "secret-revoke" => {
            let args = parse_args(raw, &["relation", "r", "unit", "app"], &[])?;
            let Some(id) = args.positional.first() else {
                return Err(Outcome::error(2, "missing secret URI"));
            };
            let (relation, reference) = relation_arg(&args)?;
            let unit = args.value("unit");
            let store = world.store();
            let done = if tool == "secret-grant" {
                store.secret_grant(me, id, relation, unit)
            } else {
                store.secret_revoke(me, id, relation, unit)
            };
            done.map_err(|e| failed(e, &reference))?;
            Outcome::ok("")
        }
        "secret-ids" => {
            let args = parse_args(raw, &["format"], &[])?;
            let ids: Vec<Value> = world
                .store
                .secret_ids(me)
                .map_err(|e| failed(e, ""))?
                .iter()
                .map(|id| json!(bare_secret_id(id)))
                .collect();
            print(
                &args,
                &if ids.is_empty() {
                    Value::Null
                } else {
                    Value::Array(ids)
                },
            )
        }
        "state-get" => {
            let args = parse_args(raw, &["format"], &["strict"])?;
            match args.positional.first().map(String::as_str) {
                None | Some("-") => print(&args, &json!(world.store.state_get_all(me))),
                Some(key) => match world.store.state_get(me, key) {
                    Some(value) => print(&args, &json!(value)),
                    None if args.flag("strict") => {
                        return Err(Outcome::error(1, format!("{key:?} not found")));
                    }
                    None => print(&args, &json!("")),
                },
            }
        }
        "state-set" => {
            let args = parse_args(raw, &["file"], &[])?;
            let mut changes = file_content(&args, stdin)?;
            changes.extend(content_args(&args.positional)?);
            world.store().state_set(me, &changes);
            Outcome::ok("")
        }
        "state-delete" => {
            let args = parse_args(raw, &[], &[])?;
            let Some(key) = args.positional.first() else {
                return Err(Outcome::error(2, "missing key to delete"));
            };
            world.store().state_delete(me, key);
            Outcome::ok("")
        }
        "open-port" | "close-port" => {
            let args = parse_args(raw, &["endpoints"], &[])?;
            let Some(text) = args.positional.first() else {
                return Err(Outcome::error(2, "no port or range specified"));
            };
            let port = parse_port(text)?;
            if tool == "open-port" {
                world.store().open_port(me, port)
            } else {
                world.store().close_port(me, &port)
            }
            .map_err(|e| failed(e, ""))?;
            Outcome::ok("")
        }
        "opened-ports" => {
            let args = parse_args(raw, &["format"], &["endpoints"])?;
            let ports: Vec<String> = world
                .store
                .opened_ports(me)
                .iter()
                .map(Port::to_string)
                .collect();
            print(&args, &json!(ports))
        }
        _ => {
            return Err(Outcome::error(
                1,
                format!("fake hook tools do not implement {tool:?}"),
            ));
        }
    })
}
/// The content and mode of every file named by a `key#file=path` argument.
fn referenced_files(args: &[String]) -> Map<String, Value> {
    let mut files = Map::new();
    for arg in args {
        if let Some((_, path)) = arg.split_once("#file=") {
            let mode = std::fs::metadata(path)
                .map(|m| format!("{:o}", m.permissions().mode() & 0o777))
                .unwrap_or_default();
            let dir_mode = Path::new(path)
                .parent()
                .and_then(|dir| std::fs::metadata(dir).ok())
                .map(|m| format!("{:o}", m.permissions().mode() & 0o777))
                .unwrap_or_default();
            let content = std::fs::read_to_string(path).unwrap_or_default();
            files.insert(
                path.to_owned(),
                json!({"content": content, "mode": mode, "dir_mode": dir_mode}),
            );
        }
    }
    files
}

/// The world's `"model"`, an empty model if it has none.
fn world_data_model(data: &Value) -> Value {
    data.get("model").cloned().unwrap_or_else(|| json!({}))
}

/// Blocks like a hung tool, for at most `limit`, and no longer than its
/// caller lives (so a test that kills the caller leaves no tool behind).
fn hang(limit: Duration) {
    let caller = std::os::unix::process::parent_id();
    let until = Instant::now() + limit;
    while Instant::now() < until && std::os::unix::process::parent_id() == caller {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn main() {
    let mut argv = std::env::args();
    let argv0 = argv.next().unwrap_or_default();
    let raw: Vec<String> = argv.collect();
    let tool = Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if raw.first().map(String::as_str) == Some("--install") {
        let Some(target) = raw.get(1) else {
            eprintln!("usage: fake-hook-tool --install <dir>");
            std::process::exit(2);
        };
        if let Err(e) = install(Path::new(target)) {
            eprintln!("cannot install the fake hook tools in {target}: {e}");
            std::process::exit(1);
        }
        return;
    }
    let Some(dir) = std::env::var_os("FAKE_JUJU_DIR").map(PathBuf::from) else {
        eprintln!("ERROR FAKE_JUJU_DIR is not set: the fake hook tools need a world directory");
        std::process::exit(2);
    };

    // Like Juju, read stdin only when the arguments ask for it.
    let reads_stdin = raw.windows(2).any(|w| w[0] == "--file" && w[1] == "-")
        || raw.iter().any(|a| a == "--file=-");
    let stdin = reads_stdin.then(|| {
        let mut text = String::new();
        let _ = std::io::stdin().read_to_string(&mut text);
        text
    });

    let mut record = json!({ "tool": tool, "args": raw });
    if let Some(text) = &stdin {
        record["stdin"] = json!(text);
    }
    let files = referenced_files(&raw);
    if !files.is_empty() {
        record["files"] = Value::Object(files);
    }
    let calls = dir.join("calls.jsonl");
    let line = format!("{record}\n");
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&calls)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(e) = appended {
        eprintln!("ERROR cannot record the call in {}: {e}", calls.display());
        std::process::exit(2);
    }

    let world_path = dir.join("world.json");
    let data: Value = match std::fs::read_to_string(&world_path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(value @ Value::Object(_)) => value,
        Ok(_) => json!({}),
        Err(e) => {
            eprintln!("ERROR cannot read {}: {e}", world_path.display());
            std::process::exit(2);
        }
    };
    let store = match serde_json::from_value(world_data_model(&data)) {
        Ok(store) => store,
        Err(e) => {
            eprintln!(
                "ERROR the \"model\" in {} is not a model store: {e}",
                world_path.display()
            );
            std::process::exit(2);
        }
    };
    let mut world = World {
        data,
        store,
        changed: false,
    };
    let outcome = if let Some(failure) = world.get("fail").get(&tool).cloned() {
        if let Some(ms) = failure["sleep_ms"].as_u64() {
            hang(Duration::from_millis(ms));
        }
        Outcome {
            stdout: failure["stdout"].as_str().unwrap_or_default().to_owned(),
            stderr: failure["stderr"].as_str().unwrap_or_default().to_owned(),
            code: failure["exit"].as_i64().map_or(1, |c| c as i32),
        }
    } else {
        let unit = std::env::var("JUJU_UNIT_NAME").unwrap_or_default();
        let Some(actor) = Actor::from_unit_name(&unit) else {
            eprintln!("ERROR JUJU_UNIT_NAME={unit:?} is not a unit name (app/N)");
            std::process::exit(2);
        };
        let version = std::env::var("JUJU_VERSION").unwrap_or_default();
        let actor = if version.is_empty() {
            actor
        } else {
            match ops::JujuVersion::parse_non_strict(&version) {
                Ok(version) => actor.with_juju_version(version),
                Err(e) => {
                    eprintln!("ERROR JUJU_VERSION={version:?}: {e}");
                    std::process::exit(2);
                }
            }
        };
        run_tool(&tool, &raw, stdin.as_deref(), &mut world, &actor)
    };
    if world.changed {
        world.data["model"] = serde_json::to_value(&world.store).expect("a model store is JSON");
        let temporary = dir.join("world.json.new");
        let written = std::fs::write(&temporary, world.data.to_string())
            .and_then(|()| std::fs::rename(&temporary, &world_path));
        if let Err(e) = written {
            eprintln!("ERROR cannot save {}: {e}", world_path.display());
            std::process::exit(2);
        }
    }
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    std::process::exit(outcome.code);
}
