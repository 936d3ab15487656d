//! A fake `juju` CLI for the crate's tests: it answers from a script and
//! records every call, so tests check the exact argv sent and replay real
//! `juju status` captures without a controller.
//!
//! The directory `$FAKE_JUJU_DIR` holds:
//!
//! - `script.json`: `{"rules": [{"argv": [...], "replies": [reply, ...]}]}`.
//!   A call whose argv (without the program) equals a rule's `argv` gets
//!   that rule's next reply; after the last one, the last again. A reply is
//!   `{"stdout": "...", "stdout_file": "path", "stderr": "...", "exit": 0,
//!   "sleep_ms": 0}`, every key optional (`stdout_file` is read at call
//!   time). A call no rule matches exits 2 with `ERROR fake juju: no
//!   scripted reply for …` on stderr, so a wrong argv fails the test.
//! - `counters.json`: how many times each rule has answered (written here).
//! - `calls.jsonl`: one JSON line per call, `{"argv": [...], "files":
//!   {"<path>": {"content": "...", "mode": 384}}}`, where `files` holds each
//!   file named after `--file` or `--params` (read during the call, since
//!   the caller removes it afterwards).

use serde_json::{Value, json};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = std::env::var_os("FAKE_JUJU_DIR").map(PathBuf::from) else {
        eprintln!("ERROR fake juju: FAKE_JUJU_DIR is not set");
        return 2;
    };
    record(&dir, &argv);
    let script: Value = match fs::read_to_string(dir.join("script.json"))
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(script) => script,
        Err(error) => {
            eprintln!("ERROR fake juju: cannot read script.json: {error}");
            return 2;
        }
    };
    let rules = script["rules"].as_array().cloned().unwrap_or_default();
    let Some(index) = rules.iter().position(|rule| {
        rule["argv"]
            .as_array()
            .is_some_and(|want| matches(want, &argv))
    }) else {
        eprintln!("ERROR fake juju: no scripted reply for {argv:?}");
        return 2;
    };
    let counters_path = dir.join("counters.json");
    let mut counters: Vec<u64> = fs::read_to_string(&counters_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    counters.resize(rules.len().max(counters.len()), 0);
    let count = counters[index];
    counters[index] += 1;
    let _ = fs::write(&counters_path, json!(counters).to_string());
    let replies = rules[index]["replies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(reply) = replies
        .get(usize::try_from(count).unwrap_or(usize::MAX))
        .or(replies.last())
    else {
        return 0;
    };
    if let Some(ms) = reply["sleep_ms"].as_u64() {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    let mut stdout = reply["stdout"].as_str().unwrap_or_default().to_owned();
    if let Some(file) = reply["stdout_file"].as_str() {
        match fs::read_to_string(file) {
            Ok(text) => stdout.push_str(&text),
            Err(error) => {
                eprintln!("ERROR fake juju: cannot read {file}: {error}");
                return 2;
            }
        }
    }
    print!("{stdout}");
    eprint!("{}", reply["stderr"].as_str().unwrap_or_default());
    let _ = std::io::stdout().flush();
    reply["exit"]
        .as_i64()
        .and_then(|code| i32::try_from(code).ok())
        .unwrap_or(0)
}

fn matches(want: &[Value], argv: &[String]) -> bool {
    want.len() == argv.len()
        && want
            .iter()
            .zip(argv)
            .all(|(want, got)| want.as_str() == Some(got.as_str()) || want == "<any>")
}

fn record(dir: &Path, argv: &[String]) {
    let mut files = serde_json::Map::new();
    for pair in argv.windows(2) {
        if pair[0] == "--file" || pair[0] == "--params" {
            let path = Path::new(&pair[1]);
            let content = fs::read_to_string(path).unwrap_or_default();
            let mode = file_mode(path);
            files.insert(pair[1].clone(), json!({"content": content, "mode": mode}));
        }
    }
    let line = json!({"argv": argv, "files": files}).to_string();
    if let Ok(mut log) = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("calls.jsonl"))
    {
        let _ = writeln!(log, "{line}");
    }
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}
