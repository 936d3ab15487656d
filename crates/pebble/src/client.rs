//! The synchronous Pebble client.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{ApiError, ChangeError, ConnectionError, Error, PathError, Result};
use crate::http::{self, Body, CHUNK, Response, Transport};
use crate::multipart;
use crate::types::{
    Change, ChangeId, CheckInfo, CheckLevel, FileInfo, Identity, Layer, Notice, NoticesOptions,
    NoticesUsers, Plan, ServiceInfo, SystemInfo,
};

/// The default socket when neither `PEBBLE_SOCKET` nor `PEBBLE` is set.
pub const DEFAULT_SOCKET: &str = "/var/lib/pebble/default/.pebble.socket";

/// Largest JSON reply (or pull `response` part) read into memory.
const MAX_JSON: u64 = 8 * 1024 * 1024;

/// A synchronous client of one Pebble daemon, over its unix socket.
///
/// Cheap to clone; every call opens its own connection, so a client may be
/// shared by threads.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) transport: Transport,
    change_timeout: Duration,
}

/// Options for [`Client::push`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushOptions {
    /// Create missing parent directories (mode 0755).
    pub make_dirs: bool,
    /// The file's permission bits (Pebble's default is 0o644).
    pub permissions: Option<u32>,
    /// Owner by user ID.
    pub user_id: Option<u32>,
    /// Owner by user name.
    pub user: Option<String>,
    /// Group by ID.
    pub group_id: Option<u32>,
    /// Group by name.
    pub group: Option<String>,
}

impl PushOptions {
    /// Default options: no parent directories, default permissions and owner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates missing parent directories.
    pub fn make_dirs(mut self, yes: bool) -> Self {
        self.make_dirs = yes;
        self
    }

    /// Sets the permission bits, such as `0o600`.
    pub fn permissions(mut self, mode: u32) -> Self {
        self.permissions = Some(mode);
        self
    }

    /// Sets the owner by user ID.
    pub fn user_id(mut self, uid: u32) -> Self {
        self.user_id = Some(uid);
        self
    }

    /// Sets the owner by name.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets the group by ID.
    pub fn group_id(mut self, gid: u32) -> Self {
        self.group_id = Some(gid);
        self
    }

    /// Sets the group by name.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }
}

/// Options for [`Client::make_dir`]; the same fields as [`PushOptions`],
/// where `make_dirs` means "make parents".
pub type MakeDirOptions = PushOptions;

fn owner_json(o: &PushOptions) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    if let Some(p) = o.permissions {
        m.insert("permissions".into(), json!(format!("{p:03o}")));
    }
    if let Some(v) = o.user_id {
        m.insert("user-id".into(), json!(v));
    }
    if let Some(v) = &o.user {
        m.insert("user".into(), json!(v));
    }
    if let Some(v) = o.group_id {
        m.insert("group-id".into(), json!(v));
    }
    if let Some(v) = &o.group {
        m.insert("group".into(), json!(v));
    }
    m
}

/// Pebble's JSON reply envelope.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    change: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorResult {
    #[serde(default)]
    message: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    value: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct PathResult {
    path: String,
    #[serde(default)]
    error: Option<ErrorResult>,
}

/// Formats a duration the way Pebble parses it (Go syntax, in seconds).
pub(crate) fn go_duration(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

fn names_vec<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    names.iter().map(|s| s.as_ref().to_owned()).collect()
}

fn absolute(path: &str) -> Result<()> {
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "path {path:?} is relative; Pebble needs an absolute path"
        )))
    }
}

impl Client {
    /// A client of the daemon listening on `socket`, with a 5 s socket
    /// timeout and a 30 s default change timeout.
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self {
            transport: Transport {
                socket: socket.into(),
                timeout: Duration::from_secs(5),
            },
            change_timeout: Duration::from_secs(30),
        }
    }

    /// A client of the socket Pebble's own CLI would use: `$PEBBLE_SOCKET`,
    /// else `$PEBBLE/.pebble.socket`, else [`DEFAULT_SOCKET`].
    pub fn from_env() -> Self {
        let socket = match (
            std::env::var_os("PEBBLE_SOCKET"),
            std::env::var_os("PEBBLE"),
        ) {
            (Some(s), _) if !s.is_empty() => PathBuf::from(s),
            (_, Some(dir)) if !dir.is_empty() => PathBuf::from(dir).join(".pebble.socket"),
            _ => PathBuf::from(DEFAULT_SOCKET),
        };
        Self::new(socket)
    }

    /// Sets how long one blocking read or write on the socket may take
    /// (default 5 s). Long waits (`wait_change`, `wait_notices`) add their
    /// own duration to it.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.transport.timeout = timeout;
        self
    }

    /// Sets how long service actions wait for their change (default 30 s).
    pub fn with_change_timeout(mut self, timeout: Duration) -> Self {
        self.change_timeout = timeout;
        self
    }

    /// The socket this client talks to.
    pub fn socket_path(&self) -> &Path {
        &self.transport.socket
    }

    // ----- plumbing -----

    fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, String)],
        body: Option<Value>,
        read_timeout: Duration,
    ) -> Result<Envelope> {
        let target = http::target(path, query);
        let body = match body {
            Some(v) => Body::Json(serde_json::to_vec(&v).map_err(|e| Error::Protocol {
                request: format!("{method} {path}"),
                message: format!("cannot encode request: {e}"),
            })?),
            None => Body::Empty,
        };
        let resp = self
            .transport
            .send(method, &target, "application/json", body, read_timeout)?;
        self.envelope(method, path, resp)
    }

    fn envelope(&self, method: &str, path: &str, mut resp: Response) -> Result<Envelope> {
        let request = format!("{method} {path}");
        let is_json = resp
            .header("content-type")
            .is_some_and(|ct| ct.trim_start().starts_with("application/json"));
        let mut bytes = Vec::new();
        let read = (&mut resp.body).take(MAX_JSON + 1).read_to_end(&mut bytes);
        read.map_err(|e| {
            ConnectionError::new(
                &self.transport.socket,
                format!("reading the reply to {request}"),
                e,
            )
        })?;
        if bytes.len() as u64 > MAX_JSON {
            return Err(Error::Protocol {
                request,
                message: format!("reply larger than {MAX_JSON} bytes"),
            });
        }
        let parsed: Option<Envelope> = if is_json {
            serde_json::from_slice(&bytes).ok()
        } else {
            None
        };
        if resp.status >= 400 {
            let (message, kind, value) = match &parsed {
                Some(env) => {
                    let er: ErrorResult =
                        serde_json::from_value(env.result.clone()).unwrap_or_default();
                    (er.message, er.kind, er.value)
                }
                None => (
                    format!(
                        "unparseable error body: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                    ),
                    None,
                    None,
                ),
            };
            return Err(ApiError {
                request,
                status_code: resp.status,
                status: resp.reason,
                message,
                kind,
                value,
            }
            .into());
        }
        match parsed {
            Some(env) if env.kind == "sync" || env.kind == "async" => Ok(env),
            Some(env) => Err(Error::Protocol {
                request,
                message: format!("reply of type {:?} with status {}", env.kind, resp.status),
            }),
            None if !is_json => Err(Error::Protocol {
                request,
                message: format!(
                    "expected an application/json reply, got Content-Type {:?}",
                    resp.header("content-type").unwrap_or("")
                ),
            }),
            None => Err(Error::Protocol {
                request,
                message: format!(
                    "malformed JSON reply: {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                ),
            }),
        }
    }

    fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        let env = self.request("GET", path, query, None, self.transport.timeout)?;
        decode(&format!("GET {path}"), env.result)
    }

    fn post<T: DeserializeOwned>(&self, path: &str, body: Value) -> Result<T> {
        let env = self.request("POST", path, &[], Some(body), self.transport.timeout)?;
        decode(&format!("POST {path}"), env.result)
    }

    pub(crate) fn post_async(&self, path: &str, body: Value) -> Result<(ChangeId, Value)> {
        let env = self.request("POST", path, &[], Some(body), self.transport.timeout)?;
        match env.change {
            Some(id) if env.kind == "async" => Ok((ChangeId(id), env.result)),
            _ => Err(Error::Protocol {
                request: format!("POST {path}"),
                message: "expected an async reply with a change ID".into(),
            }),
        }
    }

    // ----- system, plan, layers -----

    /// `GET /v1/system-info`: the daemon's version. Also the cheapest way to
    /// check the daemon is reachable.
    pub fn system_info(&self) -> Result<SystemInfo> {
        self.get("/v1/system-info", &[])
    }

    /// `GET /v1/plan`: the combined plan.
    pub fn plan(&self) -> Result<Plan> {
        let yaml: String = self.get("/v1/plan", &[("format", "yaml".into())])?;
        Ok(Layer::from_yaml(&yaml)?)
    }

    /// `POST /v1/layers`: adds `layer` under `label`. With `combine`, a
    /// layer already under that label is combined with it (see
    /// [`Layer::merge`]); without it, an existing label is an error. The plan
    /// changes, but no service starts or stops: call
    /// [`replan_services`](Self::replan_services) after.
    pub fn add_layer(&self, label: &str, layer: &Layer, combine: bool) -> Result<()> {
        let _: Value = self.post(
            "/v1/layers",
            json!({"action": "add", "label": label, "combine": combine,
                   "format": "yaml", "layer": layer.to_yaml()}),
        )?;
        Ok(())
    }

    // ----- changes -----

    /// `GET /v1/changes/{id}`.
    pub fn change(&self, id: &ChangeId) -> Result<Change> {
        self.get(&format!("/v1/changes/{}", id.0), &[])
    }

    /// `GET /v1/changes`: changes in progress (`ready: false`), or all
    /// changes with `all`, optionally only those for service `for_service`.
    pub fn changes(&self, all: bool, for_service: Option<&str>) -> Result<Vec<Change>> {
        let mut q = vec![("select", if all { "all" } else { "in-progress" }.to_owned())];
        if let Some(s) = for_service {
            q.push(("for", s.to_owned()));
        }
        let v: Option<Vec<Change>> = self.get("/v1/changes", &q)?;
        Ok(v.unwrap_or_default())
    }

    /// `POST /v1/changes/{id}` with `abort`.
    pub fn abort_change(&self, id: &ChangeId) -> Result<Change> {
        self.post(&format!("/v1/changes/{}", id.0), json!({"action": "abort"}))
    }

    /// Waits until change `id` is ready and returns it, whether it succeeded
    /// or not; [`Error::Timeout`] after `timeout`.
    pub fn wait_change(&self, id: &ChangeId, timeout: Duration) -> Result<Change> {
        self.wait_change_until(id, Some(Instant::now() + timeout), timeout)
    }

    pub(crate) fn wait_change_until(
        &self,
        id: &ChangeId,
        deadline: Option<Instant>,
        timeout: Duration,
    ) -> Result<Change> {
        let path = format!("/v1/changes/{}/wait", id.0);
        // One call waits at most this long, so that a lost daemon is noticed.
        let slice = Duration::from_secs(30);
        loop {
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(slice),
                None => slice,
            };
            let q = [("timeout", go_duration(wait.max(Duration::from_millis(1))))];
            match self.request("GET", &path, &q, None, wait + self.transport.timeout) {
                Ok(env) => return decode(&format!("GET {path}"), env.result),
                Err(Error::Api(e)) if e.status_code == 504 => {}
                Err(Error::Api(e)) if e.status_code == 404 => {
                    // Older daemons lack the wait endpoint: poll instead.
                    return self.poll_change(id, deadline, timeout);
                }
                Err(e) => return Err(e),
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Error::Timeout {
                    change_id: id.0.clone(),
                    timeout,
                });
            }
        }
    }

    fn poll_change(
        &self,
        id: &ChangeId,
        deadline: Option<Instant>,
        timeout: Duration,
    ) -> Result<Change> {
        loop {
            let change = self.change(id)?;
            if change.ready {
                return Ok(change);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Error::Timeout {
                    change_id: id.0.clone(),
                    timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    // ----- services -----

    /// `POST /v1/services` with `action` (`start`, `stop`, `restart`,
    /// `replan`, `autostart`), without waiting: returns the change ID.
    pub fn services_action_no_wait<S: AsRef<str>>(
        &self,
        action: &str,
        services: &[S],
    ) -> Result<ChangeId> {
        let (id, _) = self.post_async(
            "/v1/services",
            json!({"action": action, "services": names_vec(services)}),
        )?;
        Ok(id)
    }

    fn services_action<S: AsRef<str>>(&self, action: &str, services: &[S]) -> Result<Change> {
        let id = self.services_action_no_wait(action, services)?;
        let change = self.wait_change(&id, self.change_timeout)?;
        if change.err.is_some() {
            return Err(ChangeError {
                change: Box::new(change),
            }
            .into());
        }
        Ok(change)
    }

    /// Starts `services` (and those they require) and waits for it; a
    /// service that exits at once fails the change ([`Error::Change`]).
    pub fn start_services<S: AsRef<str>>(&self, services: &[S]) -> Result<Change> {
        self.services_action("start", services)
    }

    /// Stops `services` (and those that require them) and waits for it.
    pub fn stop_services<S: AsRef<str>>(&self, services: &[S]) -> Result<Change> {
        self.services_action("stop", services)
    }

    /// Restarts `services` (stopping those running, then starting all) and
    /// waits for it.
    pub fn restart_services<S: AsRef<str>>(&self, services: &[S]) -> Result<Change> {
        self.services_action("restart", services)
    }

    /// Replans: stops services whose configuration changed and starts every
    /// `startup: enabled` service not running; waits for it.
    pub fn replan_services(&self) -> Result<Change> {
        self.services_action::<&str>("replan", &[])
    }

    /// Starts the `startup: enabled` services; waits for it.
    pub fn autostart_services(&self) -> Result<Change> {
        self.services_action::<&str>("autostart", &[])
    }

    /// `GET /v1/services`: the status of `names`, or of every service when
    /// `names` is empty.
    pub fn services<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<ServiceInfo>> {
        let mut q = Vec::new();
        if !names.is_empty() {
            q.push(("names", names_vec(names).join(",")));
        }
        let v: Option<Vec<ServiceInfo>> = self.get("/v1/services", &q)?;
        Ok(v.unwrap_or_default())
    }

    /// `POST /v1/signals`: sends `signal` (a name such as `SIGHUP`) to each
    /// of `services`, which must be running.
    pub fn send_signal<S: AsRef<str>>(&self, signal: &str, services: &[S]) -> Result<()> {
        if services.is_empty() {
            return Err(Error::InvalidArgument(
                "send_signal needs at least one service name".into(),
            ));
        }
        let _: Value = self.post(
            "/v1/signals",
            json!({"signal": signal, "services": names_vec(services)}),
        )?;
        Ok(())
    }

    // ----- checks -----

    /// `GET /v1/checks`: checks at `level` (any when `None`) named in `names`
    /// (all when empty).
    pub fn checks<S: AsRef<str>>(
        &self,
        level: Option<CheckLevel>,
        names: &[S],
    ) -> Result<Vec<CheckInfo>> {
        let mut q = Vec::new();
        if let Some(l) = level {
            q.push(("level", l.as_str().to_owned()));
        }
        for n in names {
            q.push(("names", n.as_ref().to_owned()));
        }
        let v: Option<Vec<CheckInfo>> = self.get("/v1/checks", &q)?;
        Ok(v.unwrap_or_default())
    }

    fn checks_action<S: AsRef<str>>(&self, action: &str, checks: &[S]) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Changed {
            #[serde(default)]
            changed: Option<Vec<String>>,
        }
        let v: Option<Changed> = self.post(
            "/v1/checks",
            json!({"action": action, "checks": names_vec(checks)}),
        )?;
        Ok(v.and_then(|c| c.changed).unwrap_or_default())
    }

    /// Starts stopped checks; returns the names that changed state.
    pub fn start_checks<S: AsRef<str>>(&self, checks: &[S]) -> Result<Vec<String>> {
        self.checks_action("start", checks)
    }

    /// Stops running checks; returns the names that changed state.
    pub fn stop_checks<S: AsRef<str>>(&self, checks: &[S]) -> Result<Vec<String>> {
        self.checks_action("stop", checks)
    }

    // ----- notices -----

    fn notices_query(opts: &NoticesOptions) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        for t in &opts.types {
            q.push(("types", t.as_str().to_owned()));
        }
        for k in &opts.keys {
            q.push(("keys", k.clone()));
        }
        match opts.users {
            NoticesUsers::Mine => {}
            NoticesUsers::All => q.push(("users", "all".to_owned())),
            NoticesUsers::User(uid) => q.push(("user-id", uid.to_string())),
        }
        if let Some(a) = &opts.after {
            q.push(("after", a.clone()));
        }
        q
    }

    /// `GET /v1/notices`: the notices matching `opts`, oldest first.
    pub fn notices(&self, opts: &NoticesOptions) -> Result<Vec<Notice>> {
        let v: Option<Vec<Notice>> = self.get("/v1/notices", &Self::notices_query(opts))?;
        Ok(v.unwrap_or_default())
    }

    /// Like [`notices`](Self::notices), but when none match, waits up to
    /// `timeout` for one to occur; empty when none did.
    pub fn wait_notices(&self, opts: &NoticesOptions, timeout: Duration) -> Result<Vec<Notice>> {
        let mut q = Self::notices_query(opts);
        q.push(("timeout", go_duration(timeout)));
        let env = self.request(
            "GET",
            "/v1/notices",
            &q,
            None,
            timeout + self.transport.timeout,
        )?;
        let v: Option<Vec<Notice>> = decode("GET /v1/notices", env.result)?;
        Ok(v.unwrap_or_default())
    }

    /// `GET /v1/notices/{id}`.
    pub fn notice(&self, id: &str) -> Result<Notice> {
        self.get(&format!("/v1/notices/{id}"), &[])
    }

    /// `POST /v1/notices`: records an occurrence of the custom notice `key`
    /// (`domain.tld/path`) with `data`; a repeat within `repeat_after` of
    /// the last one is coalesced. Returns the notice's ID.
    pub fn notify(
        &self,
        key: &str,
        data: &BTreeMap<String, String>,
        repeat_after: Option<Duration>,
    ) -> Result<String> {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let mut body = json!({"action": "add", "type": "custom", "key": key});
        if !data.is_empty() {
            body["data"] = json!(data);
        }
        if let Some(r) = repeat_after {
            body["repeat-after"] = json!(go_duration(r));
        }
        let id: Id = self.post("/v1/notices", body)?;
        Ok(id.id)
    }

    // ----- identities -----

    /// `GET /v1/identities`: every named identity.
    pub fn identities(&self) -> Result<BTreeMap<String, Identity>> {
        let v: Option<BTreeMap<String, Identity>> = self.get("/v1/identities", &[])?;
        Ok(v.unwrap_or_default())
    }

    /// Adds or replaces the given identities.
    pub fn replace_identities(&self, identities: &BTreeMap<String, Identity>) -> Result<()> {
        let _: Value = self.post(
            "/v1/identities",
            json!({"action": "replace", "identities": identities}),
        )?;
        Ok(())
    }

    /// Removes the named identities.
    pub fn remove_identities<S: AsRef<str>>(&self, names: &[S]) -> Result<()> {
        let m: BTreeMap<String, Value> = names
            .iter()
            .map(|n| (n.as_ref().to_owned(), Value::Null))
            .collect();
        let _: Value = self.post(
            "/v1/identities",
            json!({"action": "remove", "identities": m}),
        )?;
        Ok(())
    }

    // ----- files -----

    /// `GET /v1/files?action=list`: the entries of directory `path` whose
    /// base name matches the glob `pattern`; `itself` describes a directory
    /// itself instead. A missing path is an [`Error::Api`] with status 404.
    pub fn list_files(
        &self,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> Result<Vec<FileInfo>> {
        absolute(path)?;
        let mut q = vec![("action", "list".to_owned()), ("path", path.to_owned())];
        if let Some(p) = pattern {
            q.push(("pattern", p.to_owned()));
        }
        if itself {
            q.push(("itself", "true".to_owned()));
        }
        let v: Option<Vec<FileInfo>> = self.get("/v1/files", &q)?;
        Ok(v.unwrap_or_default())
    }

    fn path_result(
        &self,
        operation: &'static str,
        request: &str,
        path: &str,
        result: Value,
    ) -> Result<()> {
        let list: Option<Vec<PathResult>> = decode(request, result)?;
        let list = list.unwrap_or_default();
        let Some(entry) = list.into_iter().find(|r| r.path == path) else {
            return Err(Error::Protocol {
                request: request.to_owned(),
                message: format!("no result for path {path:?}"),
            });
        };
        match entry.error {
            Some(e) => Err(PathError {
                operation,
                path: path.to_owned(),
                kind: e.kind.unwrap_or_default(),
                message: e.message,
            }
            .into()),
            None => Ok(()),
        }
    }

    /// Creates directory `path`; with `opts.make_dirs`, its parents too
    /// (and an existing directory is then no error).
    pub fn make_dir(&self, path: &str, opts: &MakeDirOptions) -> Result<()> {
        absolute(path)?;
        let mut item = owner_json(opts);
        item.insert("path".into(), json!(path));
        item.insert("make-parents".into(), json!(opts.make_dirs));
        let env = self.request(
            "POST",
            "/v1/files",
            &[],
            Some(json!({"action": "make-dirs", "dirs": [item]})),
            self.transport.timeout,
        )?;
        self.path_result("make_dir", "POST /v1/files", path, env.result)
    }

    /// Removes `path`; `recursive` removes a directory tree (and succeeds when
    /// `path` is missing).
    pub fn remove_path(&self, path: &str, recursive: bool) -> Result<()> {
        absolute(path)?;
        let env = self.request(
            "POST",
            "/v1/files",
            &[],
            Some(json!({"action": "remove", "paths": [{"path": path, "recursive": recursive}]})),
            self.transport.timeout,
        )?;
        self.path_result("remove_path", "POST /v1/files", path, env.result)
    }

    /// Writes `source` to `path`, streamed (never held in memory whole).
    pub fn push(&self, path: &str, mut source: impl Read, opts: &PushOptions) -> Result<()> {
        absolute(path)?;
        let mut item = owner_json(opts);
        item.insert("path".into(), json!(path));
        item.insert("make-dirs".into(), json!(opts.make_dirs));
        let meta = json!({"action": "write", "files": [item]}).to_string();
        let boundary = multipart::new_boundary();
        let mut write = |w: &mut http::ChunkedWriter<'_>| -> Result<()> {
            let head = multipart::part_head(
                &boundary,
                true,
                "application/json",
                "form-data; name=\"request\"",
            );
            w.send(head.as_bytes())?;
            w.send(meta.as_bytes())?;
            let disp = format!(
                "form-data; name=\"files\"; filename=\"{}\"",
                multipart::quote(path)
            );
            let head = multipart::part_head(&boundary, false, "application/octet-stream", &disp);
            w.send(head.as_bytes())?;
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = match source.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(Error::Io {
                            context: format!("reading the content to push to {path}"),
                            source: e,
                        });
                    }
                };
                w.send(&buf[..n])?;
            }
            w.send(multipart::closing(&boundary).as_bytes())
        };
        let resp = self.transport.send(
            "POST",
            "/v1/files",
            "application/json",
            Body::Stream {
                content_type: format!("multipart/form-data; boundary=\"{boundary}\""),
                write: &mut write,
            },
            self.transport.timeout,
        )?;
        let env = self.envelope("POST", "/v1/files", resp)?;
        self.path_result("push", "POST /v1/files", path, env.result)
    }

    /// Writes `data` to `path`.
    pub fn push_bytes(&self, path: &str, data: impl AsRef<[u8]>, opts: &PushOptions) -> Result<()> {
        self.push(path, data.as_ref(), opts)
    }

    /// Streams the content of `path` into `dest`, returning the number of
    /// bytes. A missing path, a directory or a permission problem is an
    /// [`Error::Path`]; `dest` may then have received nothing.
    pub fn pull_to(&self, path: &str, dest: &mut dyn Write) -> Result<u64> {
        absolute(path)?;
        let request = "GET /v1/files?action=read";
        let target = http::target(
            "/v1/files",
            &[("action", "read".into()), ("path", path.into())],
        );
        let resp = self.transport.send(
            "GET",
            &target,
            "multipart/form-data",
            Body::Empty,
            self.transport.timeout,
        )?;
        if resp.status >= 400 {
            self.envelope("GET", "/v1/files", resp)?;
            return Err(Error::Protocol {
                request: request.into(),
                message: "error status without an error reply".into(),
            });
        }
        let ct = resp.header("content-type").unwrap_or("").to_owned();
        let Some(boundary) = multipart::boundary_of(&ct) else {
            return Err(Error::Protocol {
                request: request.into(),
                message: format!(
                    "expected a multipart/form-data reply with a boundary, got Content-Type {ct:?}"
                ),
            });
        };
        let socket = self.transport.socket.clone();
        let broken = move |e: std::io::Error| -> Error {
            if e.kind() == std::io::ErrorKind::InvalidData {
                Error::Protocol {
                    request: request.into(),
                    message: format!("malformed multipart reply: {e}"),
                }
            } else {
                ConnectionError::new(&socket, "reading the reply to GET /v1/files", e).into()
            }
        };
        let mut reader = multipart::MultipartReader::new(resp.body, &boundary);
        let mut written = None;
        let mut response = None;
        while let Some(part) = reader.next_part().map_err(&broken)? {
            match part.name.as_str() {
                "files" => {
                    if part.filename.as_deref() != Some(path) || written.is_some() {
                        return Err(Error::Protocol {
                            request: request.into(),
                            message: format!("unexpected file part {:?}", part.filename),
                        });
                    }
                    let mut counting = DestWriter {
                        inner: dest,
                        failed: None,
                    };
                    let n = match reader.copy_part(&mut counting) {
                        Ok(n) => n,
                        Err(e) => {
                            if let Some(e) = counting.failed.take() {
                                return Err(Error::Io {
                                    context: format!("writing the content pulled from {path}"),
                                    source: e,
                                });
                            }
                            return Err(broken(e));
                        }
                    };
                    written = Some(n);
                }
                "response" => {
                    response = Some(reader.read_part(MAX_JSON).map_err(&broken)?);
                }
                _ => {}
            }
        }
        let Some(response) = response else {
            return Err(Error::Protocol {
                request: request.into(),
                message: "multipart reply has no \"response\" part".into(),
            });
        };
        let env: Envelope = serde_json::from_slice(&response).map_err(|e| Error::Protocol {
            request: request.into(),
            message: format!("malformed \"response\" part: {e}"),
        })?;
        self.path_result("pull", request, path, env.result)?;
        written.ok_or_else(|| Error::Protocol {
            request: request.into(),
            message: format!("no file part for {path:?}"),
        })
    }

    /// The content of `path`, in memory.
    pub fn pull(&self, path: &str) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.pull_to(path, &mut v)?;
        Ok(v)
    }
}

/// A `Write` that remembers its own failures, to tell them apart from
/// failures reading the reply.
struct DestWriter<'a> {
    inner: &'a mut dyn Write,
    failed: Option<std::io::Error>,
}

impl Write for DestWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub(crate) fn decode<T: DeserializeOwned>(request: &str, value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::Protocol {
        request: request.to_owned(),
        message: format!("unexpected result shape: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_go_syntax() {
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.500s");
        assert_eq!(go_duration(Duration::ZERO), "0.000s");
    }

    #[test]
    fn relative_paths_are_rejected_before_io() {
        let c = Client::new("/nonexistent/socket");
        assert!(matches!(c.pull("rel/path"), Err(Error::InvalidArgument(_))));
        assert!(matches!(
            c.list_files("x", None, false),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn missing_socket_is_a_connection_error_naming_it() {
        let c = Client::new("/nonexistent/dir/pebble.socket");
        let err = c.system_info().unwrap_err();
        assert!(matches!(err, Error::Connection(_)), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/dir/pebble.socket"));
    }
}
