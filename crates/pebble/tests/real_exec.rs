//! Exec against a real Pebble daemon (see `.ci/install-pebble`).

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::Daemon;
use pebble::{Error, ExecOptions, Layer, Service};

macro_rules! daemon {
    () => {
        match Daemon::start() {
            Some(d) => d,
            None => return,
        }
    };
}

#[test]
fn echo_stdin_env_and_working_dir() {
    let d = daemon!();
    let c = &d.client;
    let out = c
        .exec(ExecOptions::new(["cat"]).stdin("hello\nworld\n"))
        .unwrap()
        .wait_output()
        .unwrap();
    assert_eq!(out.stdout_text(), "hello\nworld\n");
    assert!(out.stderr.is_empty());

    let dir = d.path("");
    let out = c
        .exec(
            ExecOptions::new(["sh", "-c", "echo \"$GREETING $OTHER\"; pwd; echo oops >&2"])
                .env("GREETING", "hi")
                .environment([("OTHER", "there")])
                .working_dir(&dir),
        )
        .unwrap()
        .wait_output()
        .unwrap();
    let dir = std::fs::canonicalize(&dir).unwrap();
    assert_eq!(
        out.stdout_text(),
        format!("hi there\n{}\n", dir.display()),
        "{out:?}"
    );
    assert_eq!(out.stderr_text(), "oops\n");

    // Running as the daemon's own user by ID and name is accepted.
    let out = c
        .exec(ExecOptions::new(["id", "-u"]).user_id(0).group_id(0))
        .unwrap()
        .wait_output()
        .unwrap();
    assert_eq!(out.stdout_text(), "0\n");
    let out = c
        .exec(ExecOptions::new(["id", "-un"]).user("root"))
        .unwrap()
        .wait_output()
        .unwrap();
    assert_eq!(out.stdout_text(), "root\n");
}

#[test]
fn non_zero_exit_is_an_exec_error_with_output() {
    let d = daemon!();
    let c = &d.client;
    let err = c
        .exec(ExecOptions::new([
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ]))
        .unwrap()
        .wait_output()
        .unwrap_err();
    let Error::Exec(e) = &err else {
        panic!("expected an exec error, got {err}");
    };
    assert_eq!(e.exit_code, 3);
    assert_eq!(e.stdout, b"out\n");
    assert_eq!(e.stderr, b"err\n");
    assert!(err.to_string().contains("code 3"), "{err}");

    // wait() reports the code without output; wait_exit_code() just returns it.
    let err = c
        .exec(ExecOptions::new(["false"]))
        .unwrap()
        .wait()
        .unwrap_err();
    assert!(matches!(&err, Error::Exec(e) if e.exit_code == 1), "{err}");
    let code = c
        .exec(ExecOptions::new(["sh", "-c", "exit 7"]))
        .unwrap()
        .wait_exit_code()
        .unwrap();
    assert_eq!(code, 7);
    c.exec(ExecOptions::new(["true"])).unwrap().wait().unwrap();

    // A missing executable is refused before anything runs.
    let err = c.exec(ExecOptions::new(["no-such-program-x"])).unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status_code == 400 && e.message.contains("no-such-program-x")),
        "{err}"
    );
    // So is an unknown user.
    let err = c
        .exec(ExecOptions::new(["true"]).user("no-such-user-x"))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status_code == 400),
        "{err}"
    );
}

#[test]
fn timeout_kills_the_command() {
    let d = daemon!();
    let c = &d.client;
    let start = Instant::now();
    let err = c
        .exec(
            // Generous margins both ways: on a loaded machine `sh` may take
            // a while to print, and the kill a while to land, but a command
            // that ran its course would take 60 s.
            ExecOptions::new(["sh", "-c", "echo started; exec sleep 60"])
                .timeout(Duration::from_secs(10)),
        )
        .unwrap()
        .wait_output()
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    let Error::ExecTimeout(e) = &err else {
        panic!("expected an exec timeout, got {err}");
    };
    assert_eq!(e.timeout, Duration::from_secs(10));
    assert_eq!(e.stdout, b"started\n");
    assert!(err.to_string().contains("timeout"), "{err}");
}

#[test]
fn combined_stderr_is_one_stream() {
    let d = daemon!();
    let mut p = d
        .client
        .exec(ExecOptions::new(["sh", "-c", "echo a; echo b >&2; echo c"]).combine_stderr(true))
        .unwrap();
    assert!(p.take_stderr().is_none());
    let out = p.wait_output().unwrap();
    assert_eq!(out.stdout_text(), "a\nb\nc\n");
    assert!(out.stderr.is_empty());
}

#[test]
fn large_output_is_streamed() {
    let d = daemon!();
    let size: u64 = 20 * 1024 * 1024;
    let mut p = d
        .client
        .exec(ExecOptions::new([
            "head",
            "-c",
            &size.to_string(),
            "/dev/zero",
        ]))
        .unwrap();
    let mut stdout = p.take_stdout().unwrap();
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().all(|&b| b == 0));
        total += n as u64;
    }
    assert_eq!(total, size);
    // wait_output needs the stream it was given away.
    let err = d
        .client
        .exec(ExecOptions::new(["true"]))
        .map(|mut q| {
            q.take_stdout();
            q.wait_output()
        })
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    p.wait().unwrap();
}

#[test]
fn large_stdin_and_stdout_at_once_do_not_deadlock() {
    let d = daemon!();
    let data: Vec<u8> = (0..6_000_000u32).map(|i| (i % 251) as u8).collect();
    let out = d
        .client
        .exec(ExecOptions::new(["cat"]).stdin(data.clone()))
        .unwrap()
        .wait_output()
        .unwrap();
    assert!(out.stdout == data, "{} bytes back", out.stdout.len());

    // The same through a caller-held stdin pipe and stdout reader.
    let mut p = d
        .client
        .exec(ExecOptions::new(["wc", "-c"]).stdin_pipe())
        .unwrap();
    let mut stdin = p.take_stdin().unwrap();
    let writer = std::thread::spawn(move || {
        for chunk in data.chunks(100_000) {
            stdin.write_all(chunk).unwrap();
        }
        stdin.close().unwrap();
    });
    let out = p.wait_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.stdout_text().trim(), "6000000");

    // A reader source is streamed too.
    let out = d
        .client
        .exec(
            ExecOptions::new(["cat"]).stdin_reader(std::io::Cursor::new(b"from a reader".to_vec())),
        )
        .unwrap()
        .wait_output()
        .unwrap();
    assert_eq!(out.stdout, b"from a reader");
}

#[test]
fn a_signal_reaches_the_command() {
    let d = daemon!();
    let mut p = d
        .client
        .exec(ExecOptions::new([
            "sh",
            "-c",
            "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 0.05; done",
        ]))
        .unwrap();
    let mut stdout = p.take_stdout().unwrap();
    let mut first = [0u8; 6];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"ready\n");
    assert!(matches!(
        p.send_signal("TERM"),
        Err(Error::InvalidArgument(_))
    ));
    p.send_signal("SIGTERM").unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "got-term\n");
    assert_eq!(p.wait_exit_code().unwrap(), 42);
}

#[test]
fn service_context_supplies_environment() {
    let d = daemon!();
    let c = &d.client;
    c.add_layer(
        "l",
        &Layer::new().service("svc", Service::new("sleep 1000").env("FROM_SVC", "yes")),
        false,
    )
    .unwrap();
    let out = c
        .exec(ExecOptions::new(["sh", "-c", "echo $FROM_SVC"]).service_context("svc"))
        .unwrap()
        .wait_output()
        .unwrap();
    assert_eq!(out.stdout_text(), "yes\n");
    let err = c
        .exec(ExecOptions::new(["true"]).service_context("nope"))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status_code == 400),
        "{err}"
    );
}

#[test]
fn a_short_wait_on_a_long_change_times_out() {
    let d = daemon!();
    let p = d.client.exec(ExecOptions::new(["sleep", "5"])).unwrap();
    let start = Instant::now();
    let err = d
        .client
        .wait_change(p.change_id(), Duration::from_millis(200))
        .unwrap_err();
    assert!(matches!(&err, Error::Timeout { .. }), "{err}");
    assert!(start.elapsed() < Duration::from_secs(3));
    // Dropping the handle kills the command: its change fails soon after.
    let id = p.change_id().clone();
    drop(p);
    let change = d.client.wait_change(&id, Duration::from_secs(4)).unwrap();
    assert!(change.ready);
}
