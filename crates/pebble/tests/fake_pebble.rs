//! The client against a small fake daemon of our own, for what the real
//! Pebble cannot be made to do on demand: drop a connection mid-reply, send
//! malformed replies, hang, fail a change with a task log, cut off exec
//! output. Each test scripts the replies by request path.

use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pebble::{Client, Error, ExecOptions, MakeDirOptions};
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// One request as the fake saw it.
struct Request {
    method: String,
    /// The path and query.
    target: String,
}

impl Request {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// A connection whose first bytes were already read: replays them first.
struct Replay {
    prefix: io::Cursor<Vec<u8>>,
    stream: UnixStream,
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.prefix.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        self.stream.read(buf)
    }
}

impl Write for Replay {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

type WsScript = Box<dyn FnOnce(WebSocket<Replay>) + Send>;

/// What the fake does with a request.
enum Reply {
    /// These bytes, then the connection is closed.
    Raw(Vec<u8>),
    /// Read the request, answer nothing for a while, then close.
    Hang,
    /// Accept a websocket and run the script on it.
    Websocket(WsScript),
}

fn json_reply(status: u16, reason: &str, body: &Value) -> Reply {
    let body = body.to_string();
    Reply::Raw(
        format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn sync(result: Value) -> Reply {
    json_reply(
        200,
        "OK",
        &json!({"type": "sync", "status-code": 200, "status": "OK", "result": result}),
    )
}

fn error(status: u16, reason: &str, message: &str, kind: &str) -> Reply {
    json_reply(
        status,
        reason,
        &json!({"type": "error", "status-code": status, "status": reason,
                "result": {"message": message, "kind": kind}}),
    )
}

fn not_found(req: &Request) -> Reply {
    error(
        404,
        "Not Found",
        &format!("fake: no script for {} {}", req.method, req.target),
        "not-found",
    )
}

/// A fake daemon on a unix socket in a temporary directory.
struct Fake {
    client: Client,
    _dir: tempfile::TempDir,
}

impl Fake {
    fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Fake {
        let dir = tempfile::Builder::new().prefix("fpb").tempdir().unwrap();
        let socket = dir.path().join("pebble.socket");
        let listener = UnixListener::bind(&socket).unwrap();
        let handler = Arc::new(handler);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let handler = handler.clone();
                std::thread::spawn(move || serve(conn, &*handler));
            }
        });
        Fake {
            client: Client::new(&socket).with_timeout(Duration::from_secs(2)),
            _dir: dir,
        }
    }
}

fn serve(mut conn: UnixStream, handler: &(dyn Fn(&Request) -> Reply + Send + Sync)) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut words = head.split_whitespace();
    let req = Request {
        method: words.next().unwrap_or("").to_owned(),
        target: words.next().unwrap_or("").to_owned(),
    };
    // Read the rest of a request body, so that closing does not reset the
    // connection before the client has read the reply.
    let lower = head.to_ascii_lowercase();
    if let Some(len) = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        while buf.len() < head_end + len {
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    } else if lower.contains("transfer-encoding: chunked") {
        while !buf.ends_with(b"0\r\n\r\n") {
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
    match handler(&req) {
        Reply::Raw(bytes) => {
            let _ = conn.write_all(&bytes);
            let _ = conn.flush();
        }
        Reply::Hang => std::thread::sleep(Duration::from_secs(3)),
        Reply::Websocket(script) => {
            let replay = Replay {
                prefix: io::Cursor::new(buf),
                stream: conn,
            };
            if let Ok(ws) = tungstenite::accept(replay) {
                script(ws);
            }
        }
    }
}

#[test]
fn a_connection_dropped_mid_reply_is_a_connection_error() {
    let fake = Fake::start(|req| {
        match req.path() {
        "/v1/system-info" => Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\":\"sync\""
                .to_vec(),
        ),
        "/v1/services" => Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"type\":\"sync\","
                .to_vec(),
        ),
        "/v1/plan" => Reply::Raw(Vec::new()),
        _ => not_found(req),
    }
    });
    let c = &fake.client;
    for err in [
        c.system_info().unwrap_err(),
        c.services::<&str>(&[]).unwrap_err(),
        c.plan().unwrap_err(),
    ] {
        let Error::Connection(e) = &err else {
            panic!("expected a connection error, got {err:?}");
        };
        assert_eq!(e.source.kind(), io::ErrorKind::UnexpectedEof, "{err}");
        assert!(err.to_string().contains("pebble.socket"), "{err}");
    }
}

#[test]
fn malformed_replies_are_protocol_errors() {
    let fake = Fake::start(|req| {
        match req.path() {
        // Bad JSON under a JSON content type.
        "/v1/system-info" => Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{not json".to_vec(),
        ),
        // Not HTTP at all.
        "/v1/plan" => Reply::Raw(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()),
        // The wrong content type.
        "/v1/services" => Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>".to_vec(),
        ),
        // Valid JSON of the wrong shape.
        "/v1/checks" => sync(json!({"not": "a list"})),
        // An envelope of an unknown type.
        "/v1/identities" => json_reply(200, "OK", &json!({"type": "weird", "result": {}})),
        _ => not_found(req),
    }
    });
    let c = &fake.client;
    let cases = [
        (c.system_info().map(|_| ()), "malformed JSON"),
        (c.plan().map(|_| ()), "malformed HTTP"),
        (
            c.services::<&str>(&[]).map(|_| ()),
            "Content-Type \"text/html\"",
        ),
        (
            c.checks::<&str>(None, &[]).map(|_| ()),
            "unexpected result shape",
        ),
        (c.identities().map(|_| ()), "\"weird\""),
    ];
    for (got, want) in cases {
        let err = got.unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
        assert!(err.to_string().contains(want), "{err} lacks {want:?}");
    }
}

#[test]
fn api_errors_carry_status_code_message_and_kind() {
    let fake = Fake::start(|req| {
        match req.path() {
        "/v1/changes/9" => error(404, "Not Found", "cannot find change with id \"9\"", "not-found"),
        "/v1/system-info" => Reply::Raw(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nupstream".to_vec(),
        ),
        "/v1/services" => error(400, "Bad Request", "cannot start services: service \"x\" does not exist", ""),
        _ => not_found(req),
    }
    });
    let c = &fake.client;
    let err = c.change(&"9".into()).unwrap_err();
    let Error::Api(e) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(e.status_code, 404);
    assert_eq!(e.status, "Not Found");
    assert_eq!(e.message, "cannot find change with id \"9\"");
    assert_eq!(e.kind.as_deref(), Some("not-found"));
    assert!(e.is_not_found());
    assert_eq!(
        err.to_string(),
        "Pebble API error 404 Not Found on GET /v1/changes/9: cannot find change with id \"9\""
    );

    // An error status whose body is not JSON is still an API error.
    let err = c.system_info().unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status_code == 502 && e.message.contains("unparseable")),
        "{err:?}"
    );

    let err = c.start_services(&["x"]).unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status_code == 400 && e.message.contains("does not exist")),
        "{err:?}"
    );
}

fn failed_change(ready: bool) -> Value {
    json!({
        "id": "7", "kind": "start", "summary": "Start service \"web\"",
        "status": if ready { "Error" } else { "Doing" }, "ready": ready,
        "err": if ready { Value::from("cannot perform the following tasks:\n- Start service \"web\" (exited quickly)") } else { Value::Null },
        "spawn-time": "2026-01-01T00:00:00Z",
        "tasks": [{
            "id": "8", "kind": "start", "summary": "Start service \"web\"",
            "status": if ready { "Error" } else { "Doing" },
            "log": if ready { json!(["2026-01-01T00:00:01Z ERROR web: bind: address already in use"]) } else { json!([]) },
            "progress": {"label": "", "done": 1, "total": 1},
            "spawn-time": "2026-01-01T00:00:00Z"
        }]
    })
}

#[test]
fn a_failed_change_carries_the_task_log() {
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = polls.clone();
    let fake = Fake::start(move |req| match (req.method.as_str(), req.path()) {
        ("POST", "/v1/services") => json_reply(
            202,
            "Accepted",
            &json!({"type": "async", "status-code": 202, "status": "Accepted", "change": "7"}),
        ),
        // An old daemon without the wait endpoint: the client polls.
        ("GET", "/v1/changes/7/wait") => error(404, "Not Found", "not found", ""),
        ("GET", "/v1/changes/7") => {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            sync(failed_change(n >= 1))
        }
        _ => not_found(req),
    });
    let err = fake.client.start_services(&["web"]).unwrap_err();
    let Error::Change(ce) = &err else {
        panic!("expected a change error, got {err:?}");
    };
    assert!(polls.load(Ordering::SeqCst) >= 2, "polled until ready");
    assert!(ce.err().contains("exited quickly"));
    assert_eq!(
        ce.task_logs(),
        ["2026-01-01T00:00:01Z ERROR web: bind: address already in use"]
    );
    let text = err.to_string();
    assert!(text.contains("----- Logs from task 8 -----"), "{text}");
    assert!(text.contains("address already in use"), "{text}");
}

#[test]
fn path_errors_name_the_path_and_kind() {
    let fake = Fake::start(|req| match (req.method.as_str(), req.path()) {
        ("POST", "/v1/files") => sync(json!([
            {"path": "/srv/data", "error": {"kind": "permission-denied", "message": "open /srv/data: permission denied"}}
        ])),
        _ => not_found(req),
    });
    let c = &fake.client;
    let err = c.make_dir("/srv/data", &MakeDirOptions::new()).unwrap_err();
    let Error::Path(e) = &err else {
        panic!("expected a path error, got {err:?}");
    };
    assert_eq!(
        (e.operation, e.path.as_str(), e.kind.as_str()),
        ("make_dir", "/srv/data", "permission-denied")
    );
    assert!(e.message.contains("permission denied"));
    // A result list that does not mention the path is a protocol error.
    let err = c.remove_path("/elsewhere", false).unwrap_err();
    assert!(
        matches!(&err, Error::Protocol { message, .. } if message.contains("/elsewhere")),
        "{err:?}"
    );
}

#[test]
fn a_silent_daemon_times_out() {
    let fake = Fake::start(|_| Reply::Hang);
    let c = fake.client.clone().with_timeout(Duration::from_millis(200));
    let err = c.system_info().unwrap_err();
    let Error::Connection(e) = &err else {
        panic!("expected a connection error, got {err:?}");
    };
    assert!(
        matches!(
            e.source.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    assert!(err.to_string().contains("did not answer in time"), "{err}");
}

/// A fake exec: task 2 of change 1, whose stdio websocket runs `stdio`, and
/// whose change finishes as `change`.
fn fake_exec(
    stdio: impl Fn(&mut WebSocket<Replay>) + Send + Sync + 'static,
    change: Value,
) -> Fake {
    let stdio = Arc::new(stdio);
    Fake::start(move |req| match (req.method.as_str(), req.path()) {
        ("POST", "/v1/exec") => json_reply(
            202,
            "Accepted",
            &json!({"type": "async", "status-code": 202, "status": "Accepted",
                    "change": "1", "result": {"task-id": "2"}}),
        ),
        ("GET", "/v1/tasks/2/websocket/control") => {
            Reply::Websocket(Box::new(|mut ws| while ws.read().is_ok() {}))
        }
        ("GET", "/v1/tasks/2/websocket/stdio") => {
            let stdio = stdio.clone();
            Reply::Websocket(Box::new(move |mut ws| stdio(&mut ws)))
        }
        ("GET", "/v1/tasks/2/websocket/stderr") => Reply::Websocket(Box::new(|mut ws| {
            let _ = ws.send(Message::text(r#"{"command":"end"}"#));
            while ws.read().is_ok() {}
        })),
        ("GET", "/v1/changes/1/wait") => sync(change.clone()),
        _ => not_found(req),
    })
}

fn exec_change(err: Option<&str>, exit_code: i64) -> Value {
    json!({
        "id": "1", "kind": "exec", "summary": "Execute command", "ready": true,
        "status": if err.is_some() { "Error" } else { "Done" },
        "err": err,
        "tasks": [{"id": "2", "kind": "exec", "status": "Done", "data": {"exit-code": exit_code}}]
    })
}

#[test]
fn exec_ignores_unknown_io_commands() {
    let fake = fake_exec(
        |ws| {
            let _ = ws.send(Message::binary(b"o".to_vec()));
            let _ = ws.send(Message::text(r#"{"command":"something-new"}"#));
            let _ = ws.send(Message::text("not json"));
            let _ = ws.send(Message::binary(b"k".to_vec()));
            let _ = ws.send(Message::text(r#"{"command":"end"}"#));
            while ws.read().is_ok() {}
        },
        exec_change(None, 0),
    );
    let out = fake
        .client
        .exec(ExecOptions::new(["x"]))
        .unwrap()
        .wait_output()
        .unwrap();
    assert_eq!(out.stdout, b"ok");
}

#[test]
fn exec_output_cut_off_is_a_connection_error() {
    let fake = fake_exec(
        |ws| {
            let _ = ws.send(Message::binary(b"partial".to_vec()));
            // Dropped without the end command or a close frame.
        },
        exec_change(None, 0),
    );
    let err = fake
        .client
        .exec(ExecOptions::new(["x"]))
        .unwrap()
        .wait_output()
        .unwrap_err();
    let Error::Connection(e) = &err else {
        panic!("expected a connection error, got {err:?}");
    };
    assert!(e.during.contains("stdout"), "{err}");
}

#[test]
fn an_exec_change_error_is_a_change_error() {
    let fake = fake_exec(
        |ws| {
            let _ = ws.send(Message::text(r#"{"command":"end"}"#));
            while ws.read().is_ok() {}
        },
        exec_change(
            Some("exec 2: timeout waiting for websocket connections"),
            -1,
        ),
    );
    let err = fake
        .client
        .exec(ExecOptions::new(["x"]))
        .unwrap()
        .wait()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Change(ce) if ce.err().contains("websocket connections")),
        "{err:?}"
    );
}

#[test]
fn a_refused_websocket_is_an_api_error() {
    let fake = Fake::start(|req| match req.path() {
        "/v1/exec" => json_reply(
            202,
            "Accepted",
            &json!({"type": "async", "status-code": 202, "status": "Accepted",
                    "change": "1", "result": {"task-id": "2"}}),
        ),
        _ => error(404, "Not Found", "cannot find task \"2\"", "not-found"),
    });
    let err = fake.client.exec(ExecOptions::new(["x"])).unwrap_err();
    let Error::Api(e) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(e.status_code, 404);
    assert_eq!(e.message, "cannot find task \"2\"");
    assert!(e.request.contains("/websocket/control"), "{err}");
}
