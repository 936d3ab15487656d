//! A fake of Juju's hook tools, for tests and benchmarks: one binary that
//! acts as the tool named by its `argv[0]`, installed as symlinks named
//! `is-leader`, `relation-get`, `secret-add`, … in a directory put first on
//! `PATH`, as Juju does with its own tools.
//!
//! It answers from, and writes to, the fake model in
//! `$FAKE_JUJU_DIR/world.json`, and appends one JSON line per call to
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
//! in the world makes every call of that tool print these and exit with that code.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

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

/// What a tool call prints and returns.
struct Outcome {
    stdout: String,
    stderr: String,
    code: i32,
}

impl Outcome {
    fn ok(stdout: impl Into<String>) -> Self {
        Outcome {
            stdout: stdout.into(),
            stderr: String::new(),
            code: 0,
        }
    }

    fn error(code: i32, message: impl Into<String>) -> Self {
        Outcome {
            stdout: String::new(),
            stderr: format!("ERROR {}\n", message.into()),
            code,
        }
    }
}

/// Parsed arguments.
#[derive(Default)]
struct Args {
    values: BTreeMap<String, String>,
    bools: BTreeMap<String, bool>,
    positional: Vec<String>,
}

impl Args {
    fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn flag(&self, name: &str) -> bool {
        self.bools.get(name).copied().unwrap_or(false)
    }

    fn format(&self) -> &str {
        self.value("format").unwrap_or("smart")
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Juju's flag syntax: `-x v`, `--x v`, `--x=v`; booleans bare or `=bool`.
fn parse_args(raw: &[String], value_flags: &[&str], bool_flags: &[&str]) -> Result<Args, Outcome> {
    let mut args = Args::default();
    let mut iter = raw.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            args.positional.extend(iter.by_ref().cloned());
            break;
        }
        let Some(flag) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|f| !f.is_empty() && arg.len() > 1)
        else {
            args.positional.push(arg.clone());
            continue;
        };
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (flag, None),
        };
        if value_flags.contains(&name) {
            let value = match inline {
                Some(v) => v.to_owned(),
                None => match iter.next() {
                    Some(v) => v.clone(),
                    None => {
                        return Err(Outcome::error(2, format!("flag needs an argument: {arg}")));
                    }
                },
            };
            args.values.insert(name.to_owned(), value);
        } else if bool_flags.contains(&name) {
            let value = match inline {
                None => true,
                Some(text) => parse_bool(text).ok_or_else(|| {
                    Outcome::error(2, format!("invalid boolean value {text:?} for -{name}"))
                })?,
            };
            args.bools.insert(name.to_owned(), value);
        } else {
            return Err(Outcome::error(
                2,
                format!("flag provided but not defined: {arg}"),
            ));
        }
    }
    if let Some(format) = args.value("format")
        && !matches!(format, "json" | "yaml" | "smart")
    {
        return Err(Outcome::error(
            2,
            format!("invalid value {format:?} for flag --format"),
        ));
    }
    Ok(args)
}

/// Prints a value as Juju does: JSON with a newline; `smart` prints a bare string.
fn print(args: &Args, value: &Value) -> Outcome {
    match (args.format(), value) {
        ("json", _) => Outcome::ok(format!("{value}\n")),
        (_, Value::String(text)) => Outcome::ok(format!("{text}\n")),
        (_, Value::Null) => Outcome::ok(""),
        _ => Outcome::ok(format!("{value}\n")),
    }
}

/// The hook context: this unit and its application.
struct Hook {
    unit: String,
    app: String,
}

struct World {
    data: Value,
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

    fn array(&mut self, key: &str) -> &mut Vec<Value> {
        self.changed = true;
        let root = self.data.as_object_mut().expect("the world is an object");
        let slot = root.entry(key.to_owned()).or_insert_with(|| json!([]));
        if !slot.is_array() {
            *slot = json!([]);
        }
        slot.as_array_mut().expect("just made an array")
    }

    fn leader(&self) -> bool {
        self.get("leader").as_bool().unwrap_or(false)
    }

    fn relation_index(&self, reference: &str) -> Result<usize, Outcome> {
        let id = reference
            .rsplit(':')
            .next()
            .and_then(|n| n.parse::<u64>().ok());
        let relations = self
            .get("relations")
            .as_array()
            .cloned()
            .unwrap_or_default();
        id.and_then(|id| {
            relations
                .iter()
                .position(|r| r.get("id").and_then(Value::as_u64) == Some(id))
        })
        .ok_or_else(|| {
            Outcome::error(
                2,
                format!("invalid value {reference:?} for option -r: relation not found"),
            )
        })
    }

    fn relation_mut(&mut self, index: usize) -> &mut Map<String, Value> {
        self.array("relations")[index]
            .as_object_mut()
            .expect("relations are objects")
    }

    fn secret_index(&self, id: Option<&str>, label: Option<&str>) -> Option<usize> {
        let secrets = self.get("secrets").as_array()?;
        if let Some(id) = id {
            let bare = bare_secret_id(id);
            return secrets.iter().position(|s| {
                s.get("id").and_then(Value::as_str).map(bare_secret_id) == Some(bare)
            });
        }
        let label = label?;
        secrets
            .iter()
            .position(|s| s.get("label").and_then(Value::as_str) == Some(label))
    }

    fn secret_mut(&mut self, index: usize) -> &mut Map<String, Value> {
        self.array("secrets")[index]
            .as_object_mut()
            .expect("secrets are objects")
    }
}

/// `secret:abc`, `secret://uuid/abc` and `abc` are the same secret.
fn bare_secret_id(id: &str) -> &str {
    id.rsplit(['/', ':']).next().unwrap_or(id)
}

fn string_map(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// `key=value` arguments, and `key#file=path` ones read from their file.
fn content_args(positional: &[String]) -> Result<Map<String, Value>, Outcome> {
    let mut content = Map::new();
    for arg in positional {
        if let Some((key, path)) = arg.split_once("#file=") {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Outcome::error(1, format!("cannot read {path}: {e}")))?;
            content.insert(key.to_owned(), Value::String(text));
        } else if let Some((key, value)) = arg.split_once('=') {
            content.insert(key.to_owned(), Value::String(value.to_owned()));
        } else {
            return Err(Outcome::error(
                2,
                format!("expected \"key=value\", got {arg:?}"),
            ));
        }
    }
    Ok(content)
}

/// Reads `--file -` (stdin) or `--file <path>` as a map of strings.
fn file_content(args: &Args, stdin: Option<&str>) -> Result<Map<String, Value>, Outcome> {
    let Some(file) = args.value("file") else {
        return Ok(Map::new());
    };
    let text = if file == "-" {
        stdin.unwrap_or_default().to_owned()
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| Outcome::error(1, format!("cannot read {file}: {e}")))?
    };
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Outcome::error(1, format!("cannot parse settings file: {e}")))?;
    match value {
        Value::Object(map) if map.values().all(Value::is_string) => Ok(map),
        _ => Err(Outcome::error(1, "expected a map of strings to strings")),
    }
}

fn merge(target: &mut Map<String, Value>, changes: Map<String, Value>) {
    for (key, value) in changes {
        if value.as_str() == Some("") {
            target.remove(&key);
        } else {
            target.insert(key, value);
        }
    }
}

fn run_tool(
    tool: &str,
    raw: &[String],
    stdin: Option<&str>,
    world: &mut World,
    hook: &Hook,
) -> Outcome {
    match run_tool_inner(tool, raw, stdin, world, hook) {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

fn run_tool_inner(
    tool: &str,
    raw: &[String],
    stdin: Option<&str>,
    world: &mut World,
    hook: &Hook,
) -> Result<Outcome, Outcome> {
    let secret_meta = ["label", "description", "expire", "rotate", "owner"];
    Ok(match tool {
        "is-leader" => {
            let args = parse_args(raw, &["format"], &[])?;
            print(&args, &Value::Bool(world.leader()))
        }
        "config-get" => {
            let args = parse_args(raw, &["format"], &["all", "a"])?;
            let config = world.get("config").clone();
            match args.positional.first() {
                Some(key) => print(&args, config.get(key).unwrap_or(&Value::Null)),
                None => print(&args, &Value::Object(string_map(&config))),
            }
        }
        "relation-ids" => {
            let args = parse_args(raw, &["format"], &[])?;
            let Some(endpoint) = args.positional.first() else {
                return Err(Outcome::error(2, "no endpoint name specified"));
            };
            let mut ids: Vec<String> = world
                .get("relations")
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r.get("endpoint").and_then(Value::as_str) == Some(endpoint))
                .filter_map(|r| r.get("id").and_then(Value::as_u64))
                .map(|id| format!("{endpoint}:{id}"))
                .collect();
            ids.sort();
            print(&args, &json!(ids))
        }
        "relation-list" => {
            let args = parse_args(raw, &["format", "r", "relation"], &["app"])?;
            let reference = args
                .value("r")
                .or(args.value("relation"))
                .unwrap_or_default();
            let index = world.relation_index(reference)?;
            let relation = world.get("relations")[index].clone();
            if args.flag("app") {
                print(&args, relation.get("remote_app").unwrap_or(&Value::Null))
            } else {
                print(&args, relation.get("units").unwrap_or(&json!([])))
            }
        }
        "relation-get" => {
            let args = parse_args(raw, &["format", "r", "relation"], &["app"])?;
            let reference = args
                .value("r")
                .or(args.value("relation"))
                .unwrap_or_default();
            let index = world.relation_index(reference)?;
            let (key, member) = match args.positional.as_slice() {
                [key, member] => (key.as_str(), member.clone()),
                [key] => (
                    key.as_str(),
                    std::env::var("JUJU_REMOTE_UNIT").unwrap_or_default(),
                ),
                [] => ("-", std::env::var("JUJU_REMOTE_UNIT").unwrap_or_default()),
                _ => return Err(Outcome::error(2, "too many arguments")),
            };
            let bag = world.get("relations")[index]
                .get("data")
                .and_then(|d| d.get(&member))
                .cloned()
                .unwrap_or_else(|| json!({}));
            if key == "-" {
                print(&args, &bag)
            } else {
                print(&args, bag.get(key).unwrap_or(&Value::Null))
            }
        }
        "relation-set" => {
            let args = parse_args(raw, &["r", "relation", "file", "format"], &["app"])?;
            let reference = args
                .value("r")
                .or(args.value("relation"))
                .unwrap_or_default();
            let index = world.relation_index(reference)?;
            let mut changes = file_content(&args, stdin)?;
            changes.extend(content_args(&args.positional)?);
            let member = if args.flag("app") {
                if !world.leader() {
                    return Err(Outcome::error(
                        1,
                        format!(
                            "cannot write relation settings: {} is not the leader",
                            hook.unit
                        ),
                    ));
                }
                hook.app.clone()
            } else {
                hook.unit.clone()
            };
            let relation = world.relation_mut(index);
            let data = relation.entry("data").or_insert_with(|| json!({}));
            let bag = data
                .as_object_mut()
                .expect("relation data is an object")
                .entry(member)
                .or_insert_with(|| json!({}));
            merge(
                bag.as_object_mut().expect("a databag is an object"),
                changes,
            );
            Outcome::ok("")
        }
        "status-get" => {
            let args = parse_args(raw, &["format"], &["include-data", "application"])?;
            let status = |value: &Value| {
                json!({
                    "status": value.get("status").and_then(Value::as_str).unwrap_or("unknown"),
                    "message": value.get("message").and_then(Value::as_str).unwrap_or(""),
                    "status-data": {},
                })
            };
            if args.flag("application") {
                if !world.leader() {
                    return Err(Outcome::error(
                        1,
                        "finding application status: this unit is not the leader",
                    ));
                }
                let mut app = status(world.get("app_status"));
                app["units"] = json!({ hook.unit.clone(): status(world.get("unit_status")) });
                print(&args, &json!({ "application-status": app }))
            } else {
                print(&args, &status(world.get("unit_status")))
            }
        }
        "status-set" => {
            let args = parse_args(raw, &[], &["application"])?;
            let (status, message) = match args.positional.as_slice() {
                [status] => (status.clone(), String::new()),
                [status, message @ ..] => (status.clone(), message.join(" ")),
                [] => {
                    return Err(Outcome::error(
                        2,
                        "invalid args, require <status> [message] [data]",
                    ));
                }
            };
            if !matches!(
                status.as_str(),
                "maintenance" | "blocked" | "waiting" | "active"
            ) {
                return Err(Outcome::error(
                    2,
                    format!(
                        "invalid status {status:?}, expected one of [maintenance blocked waiting active]"
                    ),
                ));
            }
            let key = if args.flag("application") {
                if !world.leader() {
                    return Err(Outcome::error(
                        1,
                        "setting application status: this unit is not the leader",
                    ));
                }
                "app_status"
            } else {
                "unit_status"
            };
            let slot = world.obj(key);
            slot.insert("status".into(), json!(status));
            slot.insert("message".into(), json!(message));
            Outcome::ok("")
        }
        "application-version-set" => {
            let args = parse_args(raw, &[], &[])?;
            world.changed = true;
            world.data["workload_version"] = json!(args.positional.join(" "));
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
            let owner = args.value("owner").unwrap_or("application").to_owned();
            if owner == "application" && !world.leader() {
                return Err(Outcome::error(1, "this unit is not the leader"));
            }
            let content = content_args(&args.positional)?;
            if content.is_empty() {
                return Err(Outcome::error(2, "missing secret value"));
            }
            let serial = world.get("next_secret").as_u64().unwrap_or(1);
            world.changed = true;
            world.data["next_secret"] = json!(serial + 1);
            let id = format!("secret:cvfake{serial:014}");
            world.array("secrets").push(json!({
                "id": id,
                "owner": owner,
                "label": args.value("label"),
                "description": args.value("description"),
                "revisions": [content],
                "tracked": 1,
            }));
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
            let label = args.value("label");
            let Some(index) = world.secret_index(id, label) else {
                let name = id.or(label).unwrap_or_default();
                return Err(Outcome::error(1, format!("secret {name:?} not found")));
            };
            let secret = world.get("secrets")[index].clone();
            let revisions = secret["revisions"].as_array().cloned().unwrap_or_default();
            let latest = revisions.len() as u64;
            // Owners always read the latest revision; consumers their tracked one.
            let owned = matches!(secret["owner"].as_str(), Some("application" | "unit"));
            let tracked = secret["tracked"].as_u64().unwrap_or(latest);
            let revision = if owned || args.flag("peek") || args.flag("refresh") {
                latest
            } else {
                tracked
            };
            if args.flag("refresh") || (id.is_some() && label.is_some()) {
                let secret = world.secret_mut(index);
                if args.flag("refresh") {
                    secret.insert("tracked".into(), json!(latest));
                }
                if let (Some(_), Some(label)) = (id, label) {
                    secret.insert("label".into(), json!(label));
                }
            }
            let content = revisions
                .get(revision.saturating_sub(1) as usize)
                .cloned()
                .unwrap_or_else(|| json!({}));
            print(&args, &content)
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
            let Some(index) = world.secret_index(id, label) else {
                let name = id.or(label).unwrap_or_default();
                return Err(Outcome::error(1, format!("secret {name:?} not found")));
            };
            let secret = world.get("secrets")[index].clone();
            if secret["owner"] == "application" && !world.leader() {
                return Err(Outcome::error(1, "permission denied"));
            }
            let id = secret["id"].as_str().unwrap_or_default();
            let mut info = json!({
                "revision": secret["revisions"].as_array().map_or(0, Vec::len),
                "owner": secret["owner"],
            });
            if let Some(label) = secret["label"].as_str() {
                info["label"] = json!(label);
            }
            if let Some(description) = secret["description"].as_str() {
                info["description"] = json!(description);
            }
            print(&args, &json!({ bare_secret_id(id): info }))
        }
        "secret-set" => {
            let args = parse_args(raw, &secret_meta, &[])?;
            let Some((id, rest)) = args.positional.split_first() else {
                return Err(Outcome::error(2, "missing secret URI"));
            };
            let Some(index) = world.secret_index(Some(id), None) else {
                return Err(Outcome::error(1, format!("secret {id:?} not found")));
            };
            if world.get("secrets")[index]["owner"] == "application" && !world.leader() {
                return Err(Outcome::error(1, "permission denied"));
            }
            let content = content_args(rest)?;
            let secret = world.secret_mut(index);
            if !content.is_empty() {
                let revisions = secret.entry("revisions").or_insert_with(|| json!([]));
                revisions
                    .as_array_mut()
                    .expect("revisions are a list")
                    .push(Value::Object(content));
            }
            for key in ["label", "description", "expire", "rotate"] {
                if let Some(value) = args.value(key) {
                    secret.insert(key.into(), json!(value));
                }
            }
            Outcome::ok("")
        }
        "secret-remove" | "secret-grant" | "secret-revoke" => {
            let args = parse_args(raw, &["revision", "relation", "r", "unit", "app"], &[])?;
            let Some(id) = args.positional.first() else {
                return Err(Outcome::error(2, "missing secret URI"));
            };
            if world.secret_index(Some(id), None).is_none() {
                return Err(Outcome::error(1, format!("secret {id:?} not found")));
            }
            Outcome::ok("")
        }
        "secret-ids" => {
            let args = parse_args(raw, &["format"], &[])?;
            let ids: Vec<Value> = world
                .get("secrets")
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["id"].as_str().map(|id| json!(bare_secret_id(id))))
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
            let state = string_map(world.get("unit_state"));
            match args.positional.first().map(String::as_str) {
                None | Some("-") => print(&args, &Value::Object(state)),
                Some(key) => match state.get(key) {
                    Some(value) => print(&args, value),
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
            merge(world.obj("unit_state"), changes);
            Outcome::ok("")
        }
        "state-delete" => {
            let args = parse_args(raw, &[], &[])?;
            let Some(key) = args.positional.first() else {
                return Err(Outcome::error(2, "missing key to delete"));
            };
            world.obj("unit_state").remove(key);
            Outcome::ok("")
        }
        "open-port" | "close-port" => {
            let args = parse_args(raw, &["endpoints"], &[])?;
            let Some(port) = args.positional.first().cloned() else {
                return Err(Outcome::error(2, "no port or range specified"));
            };
            let ports = world.array("opened_ports");
            ports.retain(|p| p.as_str() != Some(&port));
            if tool == "open-port" {
                ports.push(json!(port));
            }
            Outcome::ok("")
        }
        "opened-ports" => {
            let args = parse_args(raw, &["format"], &["endpoints"])?;
            print(&args, world.get("opened_ports"))
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
    let mut world = World {
        data,
        changed: false,
    };
    let outcome = if let Some(failure) = world.get("fail").get(&tool).cloned() {
        Outcome {
            stdout: failure["stdout"].as_str().unwrap_or_default().to_owned(),
            stderr: failure["stderr"].as_str().unwrap_or_default().to_owned(),
            code: failure["exit"].as_i64().map_or(1, |c| c as i32),
        }
    } else {
        let unit = std::env::var("JUJU_UNIT_NAME").unwrap_or_default();
        let app = unit.split('/').next().unwrap_or_default().to_owned();
        run_tool(
            &tool,
            &raw,
            stdin.as_deref(),
            &mut world,
            &Hook { unit, app },
        )
    };
    if world.changed {
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
