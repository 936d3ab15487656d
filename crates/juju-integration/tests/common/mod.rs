//! The fake `juju` (the crate's `fake-juju` binary) driven from tests: a
//! script of exact argv and replies, and the record of every call.

#![allow(dead_code, reason = "each test file uses part of the helper")]

use juju_integration::Juju;
use serde_json::{Value, json};
use std::path::PathBuf;

/// The model every fake handle works on.
pub const MODEL: &str = "m";

/// A directory with the fake's script and call record.
pub struct FakeJuju {
    dir: tempfile::TempDir,
    rules: Vec<Value>,
    files: u32,
}

/// One scripted reply.
#[derive(Clone)]
pub struct Reply(Value);

impl Reply {
    /// Exit 0 printing `stdout`.
    pub fn ok(stdout: &str) -> Reply {
        Reply(json!({"stdout": stdout}))
    }
    /// Exit `code` printing `stderr`.
    pub fn fail(code: i32, stderr: &str) -> Reply {
        Reply(json!({"stderr": stderr, "exit": code}))
    }
    /// Exit `code` printing both.
    pub fn with(code: i32, stdout: &str, stderr: &str) -> Reply {
        Reply(json!({"stdout": stdout, "stderr": stderr, "exit": code}))
    }
    /// Exit 0 printing the sample `tests/data/status/<name>`.
    pub fn sample(name: &str) -> Reply {
        Reply(json!({"stdout_file": sample_path(name)}))
    }
    /// Sleeps first.
    pub fn after_ms(mut self, ms: u64) -> Reply {
        self.0["sleep_ms"] = json!(ms);
        self
    }
}

/// The path of a status sample.
pub fn sample_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/status")
        .join(name)
}

/// The argv of `juju status` as the handle sends it.
pub fn status_argv() -> Vec<&'static str> {
    vec!["status", "--model", MODEL, "--format", "json"]
}

impl FakeJuju {
    pub fn new() -> FakeJuju {
        let fake = FakeJuju {
            dir: tempfile::tempdir().expect("a temporary directory"),
            rules: Vec::new(),
            files: 0,
        };
        fake.write();
        fake
    }

    /// Answers `argv` with `replies` in turn (the last one from then on).
    pub fn on<S: AsRef<str>>(&mut self, argv: &[S], replies: &[Reply]) -> &mut FakeJuju {
        let argv: Vec<&str> = argv.iter().map(AsRef::as_ref).collect();
        let replies: Vec<Value> = replies.iter().map(|reply| reply.0.clone()).collect();
        self.rules.push(json!({"argv": argv, "replies": replies}));
        self.write();
        self
    }

    /// Answers `juju status` with these statuses in turn.
    pub fn statuses(&mut self, statuses: &[Value]) -> &mut FakeJuju {
        let replies: Vec<Reply> = statuses
            .iter()
            .map(|status| self.status_reply(status))
            .collect();
        self.on(&status_argv(), &replies)
    }

    /// A reply printing `status` (from a file, as a real capture would be).
    pub fn status_reply(&mut self, status: &Value) -> Reply {
        self.files += 1;
        let path = self.dir.path().join(format!("status-{}.json", self.files));
        std::fs::write(&path, serde_json::to_string_pretty(status).unwrap()).unwrap();
        Reply(json!({"stdout_file": path}))
    }

    fn write(&self) {
        std::fs::write(
            self.dir.path().join("script.json"),
            json!({"rules": self.rules}).to_string(),
        )
        .expect("write the script");
    }

    /// A handle on model `m` running the fake.
    pub fn juju(&self) -> Juju {
        self.juju_without_model().with_model(MODEL)
    }

    /// A handle running the fake, with no model.
    pub fn juju_without_model(&self) -> Juju {
        Juju::new()
            .with_cli(env!("CARGO_BIN_EXE_fake-juju"))
            .with_env("FAKE_JUJU_DIR", self.dir.path())
            .with_temp_dir(self.dir.path())
    }

    fn records(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("calls.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }

    /// The argv of every call so far, without the program.
    pub fn calls(&self) -> Vec<Vec<String>> {
        self.records()
            .into_iter()
            .map(|record| serde_json::from_value(record["argv"].clone()).unwrap())
            .collect()
    }

    /// The argv of the calls, with any temporary file path replaced by `<file>`.
    pub fn calls_redacted(&self) -> Vec<Vec<String>> {
        let dir = self.dir.path().display().to_string();
        self.calls()
            .into_iter()
            .map(|argv| {
                argv.into_iter()
                    .map(|arg| {
                        if arg.starts_with(&dir) {
                            "<file>".to_owned()
                        } else {
                            arg
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The files passed with `--file`/`--params` in each call: content and mode.
    pub fn files(&self) -> Vec<(String, Option<u32>)> {
        self.records()
            .into_iter()
            .flat_map(|record| {
                record["files"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(_, file)| {
                        (
                            file["content"].as_str().unwrap_or_default().to_owned(),
                            file["mode"].as_u64().map(|m| m as u32),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// Unit spec for [`model_status`]: name, workload, agent, leader.
pub type UnitSpec<'a> = (&'a str, &'a str, &'a str, bool);

/// A status JSON with one application `app` and these units, on a
/// Kubernetes (`caas`) or machine (`iaas`) model.
pub fn model_status(kubernetes: bool, app: &str, units: &[UnitSpec<'_>]) -> Value {
    let mut unit_map = serde_json::Map::new();
    let mut machines = serde_json::Map::new();
    for (i, (name, workload, agent, leader)) in units.iter().enumerate() {
        let mut unit = json!({
            "workload-status": {"current": workload, "since": "03 Dec 2026 12:00:00Z"},
            "juju-status": {"current": agent, "since": "03 Dec 2026 12:00:00Z", "version": "3.6.1"},
        });
        if *leader {
            unit["leader"] = json!(true);
        }
        if kubernetes {
            unit["address"] = json!(format!("10.1.0.{i}"));
            unit["provider-id"] = json!(name.replace('/', "-"));
        } else {
            unit["machine"] = json!(i.to_string());
            unit["public-address"] = json!(format!("10.0.0.{i}"));
            machines.insert(
                i.to_string(),
                json!({"juju-status": {"current": "started"}, "hostname": format!("juju-{i}")}),
            );
        }
        unit_map.insert((*name).to_owned(), unit);
    }
    json!({
        "model": {
            "name": MODEL,
            "type": if kubernetes { "caas" } else { "iaas" },
            "controller": "ctl",
            "cloud": if kubernetes { "microk8s" } else { "localhost" },
            "version": "3.6.1",
        },
        "machines": machines,
        "applications": {
            app: {
                "charm": app,
                "charm-origin": "local",
                "charm-name": app,
                "charm-rev": 0,
                "exposed": false,
                "application-status": {"current": "active"},
                "units": unit_map,
            }
        },
        "controller": {"timestamp": "12:00:00Z"},
    })
}
