//! Running commands in the workload container: Pebble's exec API.
//!
//! `POST /v1/exec` starts the command as a change with one task; the client
//! then opens websockets on the same unix socket for the task's `control`,
//! `stdio` and (unless stderr is combined with stdout) `stderr` channels.
//! Output arrives as binary frames and ends with the text frame
//! `{"command":"end"}`; stdin goes up the `stdio` socket the same way. The
//! exit code is not on the websockets: it is in the finished change's task
//! data. Websocket framing and the handshake are `tungstenite`'s.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use tungstenite::handshake::HandshakeError;
use tungstenite::protocol::Role;
use tungstenite::{Bytes, Message, WebSocket};

use crate::client::{Client, decode, go_duration};
use crate::error::{
    ApiError, ChangeError, ConnectionError, Error, ExecError, ExecTimeoutError, Result,
};
use crate::types::{Change, ChangeId};

/// The largest binary frame the stdin writer sends at once.
const MAX_STDIN_FRAME: usize = 1024 * 1024;
/// The text frame that ends a stream, both ways.
const END: &str = r#"{"command":"end"}"#;

/// Where an exec'd command's standard input comes from.
#[derive(Default)]
#[non_exhaustive]
pub enum ExecStdin {
    /// Nothing: the command reads end-of-file at once (the default).
    #[default]
    Empty,
    /// These bytes, then end-of-file; sent by a background thread, so a
    /// command that writes while it reads does not block the caller.
    Bytes(Vec<u8>),
    /// Everything this reader gives, streamed, then end-of-file.
    Reader(Box<dyn Read + Send>),
    /// Left open for the caller: take the writer with
    /// [`ExecProcess::take_stdin`] and close or drop it to send end-of-file.
    Pipe,
}

impl fmt::Debug for ExecStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Self::Reader(_) => f.write_str("Reader(..)"),
            Self::Pipe => f.write_str("Pipe"),
        }
    }
}

impl From<Vec<u8>> for ExecStdin {
    fn from(b: Vec<u8>) -> Self {
        Self::Bytes(b)
    }
}

impl From<&[u8]> for ExecStdin {
    fn from(b: &[u8]) -> Self {
        Self::Bytes(b.to_vec())
    }
}

impl From<String> for ExecStdin {
    fn from(s: String) -> Self {
        Self::Bytes(s.into_bytes())
    }
}

impl From<&str> for ExecStdin {
    fn from(s: &str) -> Self {
        Self::Bytes(s.as_bytes().to_vec())
    }
}

/// What to run with [`Client::exec`], and how: the counterpart of the
/// keyword arguments of ops' `Container.exec`.
///
/// ```
/// use std::time::Duration;
/// let opts = pebble::ExecOptions::new(["sh", "-c", "echo $GREETING"])
///     .env("GREETING", "hi")
///     .working_dir("/tmp")
///     .timeout(Duration::from_secs(10))
///     .stdin("input");
/// assert_eq!(opts.command[0], "sh");
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ExecOptions {
    /// The command and its arguments; the first is the executable, looked up
    /// on the daemon's `PATH` (no shell is involved).
    pub command: Vec<String>,
    /// Run in the context of this service: inherit its environment, user,
    /// group and working directory; the fields below override them, and
    /// `environment` is merged on top of the service's.
    pub service_context: Option<String>,
    /// Extra environment variables.
    pub environment: BTreeMap<String, String>,
    /// The working directory (Pebble's default is the user's home).
    pub working_dir: Option<String>,
    /// Kill the command after this long ([`Error::ExecTimeout`]); none when
    /// unset.
    pub timeout: Option<Duration>,
    /// Run as this user ID.
    pub user_id: Option<u32>,
    /// Run as this user name.
    pub user: Option<String>,
    /// Run with this group ID.
    pub group_id: Option<u32>,
    /// Run with this group name.
    pub group: Option<String>,
    /// Send stderr into the stdout stream, as one stream (ops'
    /// `combine_stderr`); there is then no separate stderr.
    pub combine_stderr: bool,
    /// Where stdin comes from.
    pub stdin: ExecStdin,
}

impl ExecOptions {
    /// Options to run `command` (program and arguments) with defaults.
    pub fn new<I, S>(command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            command: command.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Runs in the context of service `name`.
    pub fn service_context(mut self, name: impl Into<String>) -> Self {
        self.service_context = Some(name.into());
        self
    }

    /// Sets one environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.environment.insert(key.into(), value.into());
        self
    }

    /// Sets several environment variables.
    pub fn environment<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.environment
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Sets the working directory.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Kills the command after `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Runs as user ID `uid`.
    pub fn user_id(mut self, uid: u32) -> Self {
        self.user_id = Some(uid);
        self
    }

    /// Runs as user `name`.
    pub fn user(mut self, name: impl Into<String>) -> Self {
        self.user = Some(name.into());
        self
    }

    /// Runs with group ID `gid`.
    pub fn group_id(mut self, gid: u32) -> Self {
        self.group_id = Some(gid);
        self
    }

    /// Runs with group `name`.
    pub fn group(mut self, name: impl Into<String>) -> Self {
        self.group = Some(name.into());
        self
    }

    /// Combines stderr into stdout.
    pub fn combine_stderr(mut self, yes: bool) -> Self {
        self.combine_stderr = yes;
        self
    }

    /// Sets where stdin comes from: bytes or text, or an [`ExecStdin`].
    pub fn stdin(mut self, stdin: impl Into<ExecStdin>) -> Self {
        self.stdin = stdin.into();
        self
    }

    /// Streams stdin from `reader`.
    pub fn stdin_reader(mut self, reader: impl Read + Send + 'static) -> Self {
        self.stdin = ExecStdin::Reader(Box::new(reader));
        self
    }

    /// Leaves stdin open for [`ExecProcess::take_stdin`].
    pub fn stdin_pipe(mut self) -> Self {
        self.stdin = ExecStdin::Pipe;
        self
    }
}

/// The output of a command that exited with code 0, from
/// [`ExecProcess::wait_output`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecOutput {
    /// What the command wrote to stdout (and stderr, when combined).
    pub stdout: Vec<u8>,
    /// What it wrote to stderr (empty when combined).
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    /// Stdout as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stderr as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// One websocket connection's byte stream, shared by the reading and the
/// writing half of a connection. Reads go straight to the socket. Each
/// write is one whole buffer of complete frames from `tungstenite`, written
/// out under a lock, so frames from the two halves never interleave.
#[derive(Debug, Clone)]
struct Shared {
    sock: Arc<UnixStream>,
    lock: Arc<Mutex<()>>,
}

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.sock).read(buf)
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        (&*self.sock).write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn is_end(text: &str) -> bool {
    #[derive(Deserialize)]
    struct Command {
        command: String,
    }
    serde_json::from_str::<Command>(text).is_ok_and(|c| c.command == "end")
}

/// One of an exec'd command's output streams (stdout or stderr), read as
/// it arrives. Ends (`Ok(0)`) when the command closes the stream.
pub struct ExecReader {
    ws: WebSocket<Shared>,
    channel: &'static str,
    buf: Bytes,
    pos: usize,
    done: bool,
}

impl fmt::Debug for ExecReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecReader")
            .field("channel", &self.channel)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Read for ExecReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.buf.len() {
                let n = out.len().min(self.buf.len() - self.pos);
                out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.done || out.is_empty() {
                return Ok(0);
            }
            match self.ws.read() {
                Ok(Message::Binary(b)) => {
                    self.buf = b;
                    self.pos = 0;
                }
                // Other commands are out-of-band notes that Pebble's own
                // client ignores too.
                Ok(Message::Text(t)) => self.done = is_end(t.as_str()),
                Ok(Message::Close(_)) => self.done = true,
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    self.done = true;
                }
                Err(tungstenite::Error::Io(e)) => return Err(e),
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the {} websocket broke before the end of the output: {e}",
                            self.channel
                        ),
                    ));
                }
            }
        }
    }
}

/// The writing end of an exec'd command's stdin (from
/// [`ExecProcess::take_stdin`]). Each `write` goes out at once as one
/// frame (wrap it in a `BufWriter` for many small writes). Closing or
/// dropping it sends end-of-file.
pub struct ExecStdinWriter {
    ws: WebSocket<Shared>,
    ended: bool,
}

impl fmt::Debug for ExecStdinWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecStdinWriter")
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

fn ws_io(e: tungstenite::Error) -> io::Error {
    match e {
        tungstenite::Error::Io(e) => e,
        e => io::Error::new(io::ErrorKind::BrokenPipe, e.to_string()),
    }
}

impl ExecStdinWriter {
    /// Sends end-of-file: the command's stdin is closed.
    pub fn close(mut self) -> io::Result<()> {
        self.end()
    }

    fn end(&mut self) -> io::Result<()> {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        self.ws.send(Message::text(END)).map_err(ws_io)
    }
}

impl Write for ExecStdinWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.ended {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "stdin of the exec'd command is already closed",
            ));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let n = buf.len().min(MAX_STDIN_FRAME);
        self.ws
            .send(Message::binary(buf[..n].to_vec()))
            .map_err(ws_io)?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for ExecStdinWriter {
    fn drop(&mut self) {
        let _ = self.end();
    }
}

/// A running command, from [`Client::exec`]. Take its streams with the
/// `take_*` methods, then finish with [`wait`](Self::wait),
/// [`wait_output`](Self::wait_output) or
/// [`wait_exit_code`](Self::wait_exit_code).
///
/// Dropping it before it is waited for closes its control connection
/// abruptly, and Pebble then kills the command.
pub struct ExecProcess {
    client: Client,
    command: Vec<String>,
    change_id: ChangeId,
    task_id: String,
    timeout: Option<Duration>,
    split_stderr: bool,
    control: Option<WebSocket<Shared>>,
    stdin: Option<ExecStdinWriter>,
    stdout: Option<ExecReader>,
    stderr: Option<ExecReader>,
    pump: Option<JoinHandle<io::Result<()>>>,
    sockets: Vec<Arc<UnixStream>>,
}

impl fmt::Debug for ExecProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecProcess")
            .field("command", &self.command)
            .field("change_id", &self.change_id)
            .field("task_id", &self.task_id)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// How a finished command's output is handled by `finish`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Collect {
    Discard,
    Keep,
}

impl ExecProcess {
    /// The exec change's ID.
    pub fn change_id(&self) -> &ChangeId {
        &self.change_id
    }

    /// The command line.
    pub fn command(&self) -> &[String] {
        &self.command
    }

    /// The stdin writer, once, when the options asked for
    /// [`ExecStdin::Pipe`].
    pub fn take_stdin(&mut self) -> Option<ExecStdinWriter> {
        self.stdin.take()
    }

    /// The stdout stream, once. Read it to the end (in another thread if
    /// you also write stdin), or the command may block on a full pipe.
    pub fn take_stdout(&mut self) -> Option<ExecReader> {
        self.stdout.take()
    }

    /// The stderr stream, once; `None` with `combine_stderr`.
    pub fn take_stderr(&mut self) -> Option<ExecReader> {
        self.stderr.take()
    }

    /// Sends `signal` (a name such as `SIGTERM` or `SIGHUP`) to the running
    /// command over the control websocket.
    pub fn send_signal(&mut self, signal: &str) -> Result<()> {
        let valid = signal
            .strip_prefix("SIG")
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !valid {
            return Err(Error::InvalidArgument(format!(
                "signal {signal:?} is not a signal name; use a name such as \"SIGTERM\""
            )));
        }
        let Some(control) = self.control.as_mut() else {
            return Err(Error::InvalidArgument(
                "the command has already been waited for".into(),
            ));
        };
        let msg = json!({"command": "signal", "signal": {"name": signal}}).to_string();
        control.send(Message::text(msg)).map_err(|e| {
            Error::from(ConnectionError::new(
                &self.client.transport.socket,
                format!(
                    "sending {signal} to {:?} (exec task {}; has it already exited?)",
                    self.command, self.task_id
                ),
                ws_io(e),
            ))
        })
    }

    /// Waits for the command to finish; an exit code other than 0 is an
    /// [`Error::Exec`] (without output). Output not taken is discarded.
    pub fn wait(self) -> Result<()> {
        self.finish(Collect::Discard)?.check().map(|_| ())
    }

    /// Waits for the command to finish and returns its exit code, whatever
    /// it is. Output not taken is discarded.
    pub fn wait_exit_code(self) -> Result<i64> {
        Ok(self.finish(Collect::Discard)?.exit_code)
    }

    /// Waits for the command to finish, collecting its stdout and stderr;
    /// an exit code other than 0 is an [`Error::Exec`] carrying the output.
    /// The output streams must not have been taken.
    pub fn wait_output(self) -> Result<ExecOutput> {
        if self.stdout.is_none() {
            return Err(Error::InvalidArgument(
                "wait_output collects stdout, but it was taken with take_stdout; use wait() instead"
                    .into(),
            ));
        }
        if self.stderr.is_none() && self.split_stderr {
            return Err(Error::InvalidArgument(
                "wait_output collects stderr, but it was taken with take_stderr; use wait() instead"
                    .into(),
            ));
        }
        self.finish(Collect::Keep)?.check()
    }

    fn finish(mut self, collect: Collect) -> Result<Finished> {
        // Close stdin if the caller did not take it.
        if let Some(w) = self.stdin.take() {
            let _ = w.close();
        }
        let drain = |r: Option<ExecReader>| {
            r.map(|mut r| {
                std::thread::spawn(move || -> io::Result<Vec<u8>> {
                    let mut v = Vec::new();
                    if collect == Collect::Keep {
                        r.read_to_end(&mut v)?;
                    } else {
                        io::copy(&mut r, &mut io::sink())?;
                    }
                    Ok(v)
                })
            })
        };
        let out_thread = drain(self.stdout.take());
        let err_thread = drain(self.stderr.take());

        // Pebble's own client waits a second past the command's timeout, so
        // that the daemon's kill comes first.
        let wait_for = self.timeout.map(|t| t + Duration::from_secs(1));
        let deadline = wait_for.map(|w| Instant::now() + w);
        let waited = self.client.wait_change_until(
            &self.change_id,
            deadline,
            wait_for.unwrap_or(Duration::ZERO),
        );
        match &waited {
            Ok(_) => {
                if let Some(mut c) = self.control.take() {
                    let _ = c.close(None);
                    let _ = c.flush();
                }
            }
            // Unblock the reader threads; the abrupt close of the control
            // socket makes Pebble kill the command if it still runs.
            Err(_) => {
                for s in &self.sockets {
                    let _ = s.shutdown(std::net::Shutdown::Both);
                }
            }
        }
        let join = |t: Option<JoinHandle<io::Result<Vec<u8>>>>| match t {
            None => Ok(Vec::new()),
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("an output reader thread panicked"))),
        };
        let stdout = join(out_thread);
        let stderr = join(err_thread);
        let pumped = match self.pump.take() {
            None => Ok(()),
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the stdin thread panicked"))),
        };
        let change = waited?;
        if let Some(err) = &change.err {
            let (stdout, stderr) = (stdout.unwrap_or_default(), stderr.unwrap_or_default());
            if let Some(timeout) = self.timeout.filter(|_| err.contains("timed out after")) {
                return Err(ExecTimeoutError {
                    command: self.command.clone(),
                    timeout,
                    stdout,
                    stderr,
                    change: Box::new(change),
                }
                .into());
            }
            return Err(ChangeError {
                change: Box::new(change),
            }
            .into());
        }
        let broken = |what: &str, e: io::Error| -> Error {
            ConnectionError::new(
                &self.client.transport.socket,
                format!("reading the {what} of {:?}", self.command),
                e,
            )
            .into()
        };
        let stdout = stdout.map_err(|e| broken("stdout", e))?;
        let stderr = stderr.map_err(|e| broken("stderr", e))?;
        pumped.map_err(|e| Error::Io {
            context: format!("reading the stdin to send to {:?}", self.command),
            source: e,
        })?;
        Ok(Finished {
            exit_code: exit_code(&change),
            command: std::mem::take(&mut self.command),
            stdout,
            stderr,
        })
    }
}

/// A command that ran to its end.
struct Finished {
    exit_code: i64,
    command: Vec<String>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Finished {
    /// The output, or an [`ExecError`] for an exit code other than 0.
    fn check(self) -> Result<ExecOutput> {
        if self.exit_code != 0 {
            return Err(ExecError {
                command: self.command,
                exit_code: self.exit_code,
                stdout: self.stdout,
                stderr: self.stderr,
            }
            .into());
        }
        Ok(ExecOutput {
            stdout: self.stdout,
            stderr: self.stderr,
        })
    }
}

/// The exit code Pebble recorded in an exec change (−1 when missing).
fn exit_code(change: &Change) -> i64 {
    change
        .tasks
        .first()
        .and_then(|t| t.data.get("exit-code"))
        .and_then(Value::as_i64)
        .unwrap_or(-1)
}

/// Sends `source` as stdin frames, then end-of-file. Failing to write
/// (the command exited without reading it all) is not an error; failing to
/// read `source` is.
fn pump(mut writer: ExecStdinWriter, mut source: Box<dyn Read + Send>) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let res = loop {
        match source.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if writer.write_all(&buf[..n]).is_err() {
                    break Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    let _ = writer.close();
    res
}

impl Client {
    /// `POST /v1/exec`: starts `opts.command` in the workload and connects
    /// to its streams.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), pebble::Error> {
    /// let client = pebble::Client::new("/charm/containers/web/pebble.socket");
    /// let out = client
    ///     .exec(pebble::ExecOptions::new(["cat"]).stdin("hello"))?
    ///     .wait_output()?;
    /// assert_eq!(out.stdout, b"hello");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// A missing executable, a bad user or group or an unknown service
    /// context is an [`Error::Api`] (400) before anything runs.
    pub fn exec(&self, opts: ExecOptions) -> Result<ExecProcess> {
        if opts.command.first().is_none_or(String::is_empty) {
            return Err(Error::InvalidArgument(
                "exec needs a command: the first element is the program to run".into(),
            ));
        }
        if opts.timeout == Some(Duration::ZERO) {
            return Err(Error::InvalidArgument(
                "exec timeout of zero; leave the timeout unset for none".into(),
            ));
        }
        let mut body = json!({
            "command": opts.command,
            "environment": opts.environment,
            "split-stderr": !opts.combine_stderr,
        });
        let fields = [
            (
                "service-context",
                opts.service_context.clone().map(Value::from),
            ),
            ("working-dir", opts.working_dir.clone().map(Value::from)),
            ("timeout", opts.timeout.map(|t| go_duration(t).into())),
            ("user-id", opts.user_id.map(Value::from)),
            ("user", opts.user.clone().map(Value::from)),
            ("group-id", opts.group_id.map(Value::from)),
            ("group", opts.group.clone().map(Value::from)),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                body[k] = v;
            }
        }
        #[derive(Deserialize)]
        struct Started {
            #[serde(rename = "task-id")]
            task_id: String,
        }
        let (change_id, result) = self.post_async("/v1/exec", body)?;
        let started: Started = decode("POST /v1/exec", result)?;
        let task_id = started.task_id;

        // Pebble's client connects control, then stdio, then stderr; the
        // daemon waits up to 5 s for the I/O ones before it runs anything.
        let (control, control_sock) = self.task_websocket(&task_id, "control")?;
        let (stdio, stdio_sock) = self.task_websocket(&task_id, "stdio")?;
        let mut sockets = vec![control_sock.sock.clone(), stdio_sock.sock.clone()];
        let stderr = if opts.combine_stderr {
            None
        } else {
            let (ws, sock) = self.task_websocket(&task_id, "stderr")?;
            sockets.push(sock.sock);
            Some(ExecReader {
                ws,
                channel: "stderr",
                buf: Bytes::new(),
                pos: 0,
                done: false,
            })
        };
        let stdout = ExecReader {
            ws: stdio,
            channel: "stdio",
            buf: Bytes::new(),
            pos: 0,
            done: false,
        };
        let writer = ExecStdinWriter {
            ws: WebSocket::from_raw_socket(stdio_sock, Role::Client, None),
            ended: false,
        };
        let mut stdin = None;
        let mut pump_thread = None;
        match opts.stdin {
            ExecStdin::Empty => {
                let _ = writer.close();
            }
            ExecStdin::Bytes(b) => {
                let source: Box<dyn Read + Send> = Box::new(io::Cursor::new(b));
                pump_thread = Some(std::thread::spawn(move || pump(writer, source)));
            }
            ExecStdin::Reader(r) => {
                pump_thread = Some(std::thread::spawn(move || pump(writer, r)));
            }
            ExecStdin::Pipe => stdin = Some(writer),
        }
        Ok(ExecProcess {
            client: self.clone(),
            command: opts.command,
            change_id,
            task_id,
            timeout: opts.timeout,
            split_stderr: !opts.combine_stderr,
            control: Some(control),
            stdin,
            stdout: Some(stdout),
            stderr,
            pump: pump_thread,
            sockets,
        })
    }

    /// Opens websocket `channel` of exec task `task_id`.
    fn task_websocket(&self, task_id: &str, channel: &str) -> Result<(WebSocket<Shared>, Shared)> {
        let request = format!("GET /v1/tasks/{task_id}/websocket/{channel}");
        let during = format!("opening the {channel} websocket of exec task {task_id}");
        let stream = self.transport.connect(Some(self.transport.timeout))?;
        let shared = Shared {
            sock: Arc::new(stream),
            lock: Arc::new(Mutex::new(())),
        };
        let url = format!("ws://localhost/v1/tasks/{task_id}/websocket/{channel}");
        let ws = match tungstenite::client::client(url.as_str(), shared.clone()) {
            Ok((ws, _)) => ws,
            Err(HandshakeError::Failure(tungstenite::Error::Http(resp))) => {
                let status = resp.status();
                #[derive(Deserialize, Default)]
                struct Body {
                    #[serde(default)]
                    result: Value,
                }
                let body: Body = resp
                    .body()
                    .as_deref()
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or_default();
                let text = |k: &str| {
                    body.result
                        .get(k)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                return Err(ApiError {
                    request,
                    status_code: status.as_u16(),
                    status: status.canonical_reason().unwrap_or("").to_owned(),
                    message: text("message")
                        .unwrap_or_else(|| "websocket upgrade refused".to_owned()),
                    kind: text("kind"),
                    value: body.result.get("value").cloned(),
                }
                .into());
            }
            Err(HandshakeError::Failure(tungstenite::Error::Io(e))) => {
                return Err(ConnectionError::new(&self.transport.socket, during, e).into());
            }
            Err(HandshakeError::Failure(e)) => {
                return Err(Error::Protocol {
                    request,
                    message: format!("websocket handshake failed: {e}"),
                });
            }
            Err(HandshakeError::Interrupted(_)) => {
                return Err(Error::Protocol {
                    request,
                    message: "websocket handshake interrupted".into(),
                });
            }
        };
        // The command may be quiet for as long as it likes.
        let clear = shared
            .sock
            .set_read_timeout(None)
            .and_then(|()| shared.sock.set_write_timeout(None));
        clear.map_err(|e| ConnectionError::new(&self.transport.socket, during, e))?;
        Ok((ws, shared))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_command_is_recognised() {
        assert!(is_end(END));
        assert!(is_end(r#"{ "command" : "end" }"#));
        assert!(!is_end(r#"{"command":"other"}"#));
        assert!(!is_end("not json"));
    }

    #[test]
    fn empty_command_is_rejected_before_io() {
        let c = Client::new("/nonexistent/socket");
        let err = c.exec(ExecOptions::new(Vec::<String>::new())).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        let err = c
            .exec(ExecOptions::new(["true"]).timeout(Duration::ZERO))
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }

    #[test]
    fn handles_can_move_to_threads() {
        fn send<T: Send>() {}
        send::<ExecProcess>();
        send::<ExecReader>();
        send::<ExecStdinWriter>();
        send::<ExecOptions>();
    }

    #[test]
    fn stdin_debug_hides_content() {
        let s = format!("{:?}", ExecStdin::from("secret"));
        assert_eq!(s, "Bytes(6 bytes)");
    }
}
