//! Trace spans of one dispatch, and [`Tracing`], the first-party library
//! that sends them to a tracing backend over the `tracing` relation.
//!
//! Every dispatch records a small tree of spans: `ops.main` around the
//! whole dispatch, one span per observer call named `<event>: <Owner>`
//! (`start: MyCharm`, `start: Tracing`), and any span the charm opens with
//! the `tracing` crate's macros (`tracing::info_span!("render").in_scope(..)`),
//! at any level. Each emitted event is a [`SpanEvent`] on the span current
//! when it was emitted (`StartEvent`, `CollectStatusEvent`, and
//! `PreCommitEvent`/`CommitEvent` when the dispatch saves its state), as in
//! ops.
//!
//! In the harness the spans of the last run are `Context::trace_data`.
//! Under Juju they are sent, at the end of a dispatch that succeeded, to the
//! OTLP/HTTP endpoint [`Tracing`] found on its relation; without [`Tracing`]
//! (or without an endpoint) they are dropped.
//!
//! ```
//! use ops::{Charm, Framework};
//! use ops::trace::Tracing;
//!
//! struct MyCharm {
//!     tracing: Tracing,
//! }
//!
//! impl Charm for MyCharm {
//!     fn new(framework: &mut Framework<Self>) -> Self {
//!         // `charm-tracing` is a `requires` endpoint of interface `tracing`.
//!         let tracing = Tracing::new(
//!             framework.object("charm-tracing", |c: &mut Self| &mut c.tracing),
//!             "charm-tracing",
//!         );
//!         MyCharm { tracing }
//!     }
//! }
//! ```

use crate::framework::{Charm, ObjectScope, StoredState};
use crate::model::Model;
use crate::{HandlerResult, on};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[cfg(test)]
use crate::framework::spans::SpanRecorder;
pub use crate::framework::spans::{SpanData, SpanEvent, SpanName};

/// The protocol [`Tracing`] asks the provider for.
pub const OTLP_HTTP: &str = "otlp_http";

/// The first-party library that sends a charm's trace spans to a tracing
/// backend (Tempo, for example) over a `requires` endpoint of interface
/// `tracing`, as ops' `ops.tracing.Tracing` does.
///
/// On `start`, `upgrade-charm` and the endpoint's relation events it
/// reconciles: the leader asks every relation of the endpoint for the
/// `otlp_http` receiver (app databag `receivers: ["otlp_http"]`), and the
/// unit reads the provider's answer (app databag `receivers`, a list of
/// `{"protocol": {"name": .., "type": ..}, "url": ..}`) into its stored
/// state. Each dispatch that succeeds then sends its spans to
/// `<url>/v1/traces` as OTLP/HTTP JSON. Only `http://` endpoints are
/// supported: an `https://` one is logged and not used, since the SDK
/// carries no TLS stack.
#[derive(Debug)]
pub struct Tracing {
    model: Model,
    relation_name: String,
    stored: StoredState<TracingStored>,
}

/// What [`Tracing`] keeps between dispatches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracingStored {
    /// The OTLP/HTTP endpoint the provider gave, if any.
    pub endpoint: Option<String>,
}

impl Tracing {
    /// Sets up tracing over `relation_name`. A span `ops.tracing.Tracing`
    /// covers the setup.
    pub fn new<C: Charm>(mut scope: ObjectScope<'_, C, Tracing>, relation_name: &str) -> Tracing {
        let span = tracing::info_span!("ops.tracing.Tracing");
        let _entered = span.enter();
        if !scope.model().meta().requires.contains_key(relation_name) {
            tracing::warn!(
                "ops.trace.Tracing: {relation_name:?} is not a `requires` endpoint in the charm's metadata; declare it with interface `tracing`"
            );
        }
        scope.observe_as("_reconcile", on::start(), |t: &mut Tracing, _| {
            t.reconcile()
        });
        scope.observe_as("_reconcile", on::upgrade_charm(), |t: &mut Tracing, _| {
            t.reconcile()
        });
        scope.observe_as(
            "_reconcile",
            on::relation_created(relation_name),
            |t: &mut Tracing, _| t.reconcile(),
        );
        scope.observe_as(
            "_reconcile",
            on::relation_changed(relation_name),
            |t: &mut Tracing, _| t.reconcile(),
        );
        scope.observe_as(
            "_reconcile",
            on::relation_broken(relation_name),
            |t: &mut Tracing, _| t.reconcile(),
        );
        let stored = scope.stored_state::<TracingStored>("_stored");
        let tracing = Tracing {
            model: scope.model().clone(),
            relation_name: relation_name.to_owned(),
            stored,
        };
        tracing.publish_destination();
        tracing
    }

    /// The OTLP/HTTP endpoint spans are sent to, if the provider gave one.
    pub fn endpoint(&self) -> Option<String> {
        self.stored.borrow().endpoint.clone()
    }

    fn publish_destination(&self) {
        let endpoint = self.stored.borrow().endpoint.clone();
        self.model.shared().dispatch.borrow_mut().trace_destination = endpoint;
    }

    fn reconcile(&mut self) -> HandlerResult {
        let relations = self.model.relations(&self.relation_name)?;
        if self.model.unit().is_leader()? {
            let wanted = serde_json::to_string(&[OTLP_HTTP]).unwrap_or_default();
            for relation in &relations {
                let bag = relation.data(self.model.app());
                if bag.get("receivers")?.as_deref() != Some(wanted.as_str()) {
                    bag.set("receivers", &wanted)?;
                }
            }
        }
        let mut endpoint = None;
        for relation in &relations {
            let Some(remote) = relation.app() else {
                continue;
            };
            let Some(receivers) = relation.data(remote).get("receivers")? else {
                continue;
            };
            match serde_json::from_str::<Vec<Receiver>>(&receivers) {
                Ok(list) => {
                    endpoint = list
                        .into_iter()
                        .find(|r| r.protocol.name == OTLP_HTTP)
                        .map(|r| r.url);
                }
                Err(e) => tracing::warn!(
                    "ops.trace.Tracing: the provider's `receivers` on relation {} is not a list of receivers ({e}); check the tracing provider charm",
                    relation.id()
                ),
            }
        }
        let endpoint = endpoint.filter(|url| {
            let usable = url.starts_with("http://");
            if !usable {
                tracing::warn!(
                    "ops.trace.Tracing: the tracing endpoint {url:?} is not an http:// URL; spans are not sent (https needs TLS, which the SDK does not carry)"
                );
            }
            usable
        });
        if self.stored.borrow().endpoint != endpoint {
            self.stored.borrow_mut().endpoint = endpoint;
        }
        self.publish_destination();
        Ok(())
    }
}

#[derive(Deserialize)]
struct Receiver {
    protocol: Protocol,
    url: String,
}

#[derive(Deserialize)]
struct Protocol {
    name: String,
}

/// Why spans could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The endpoint is not an `http://host[:port][/path]` URL.
    #[error(
        "tracing endpoint {url:?} is not an http://host[:port][/path] URL; check the tracing provider's `receivers`"
    )]
    BadUrl {
        /// The endpoint.
        url: String,
    },
    /// Connecting, sending or reading the answer failed.
    #[error(
        "sending spans to {url}: {source}; check that the tracing backend is reachable from the unit"
    )]
    Io {
        /// Where the spans were sent.
        url: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The backend answered with an error status.
    #[error("the tracing backend at {url} refused the spans: {status_line}; check its logs")]
    Refused {
        /// Where the spans were sent.
        url: String,
        /// The answer's status line.
        status_line: String,
    },
}

/// How long an export may take before it is given up: a dispatch never
/// waits long on its tracing backend.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(3);

/// Sends `spans` to the OTLP/HTTP endpoint `endpoint` (its `/v1/traces`
/// path is added when missing) as one JSON export request, naming the
/// service `service` and the unit `unit`.
pub fn export_otlp_http(
    endpoint: &str,
    service: &str,
    unit: &str,
    spans: &[SpanData],
) -> Result<(), ExportError> {
    let bad = || ExportError::BadUrl {
        url: endpoint.to_owned(),
    };
    let rest = endpoint.strip_prefix("http://").ok_or_else(bad)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(bad());
    }
    let path = if path.ends_with("/v1/traces") {
        path.to_owned()
    } else {
        format!("{path}/v1/traces")
    };
    // A port is digits after the last `:` (an IPv6 literal ends in `]`).
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let host_port = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let url = format!("http://{authority}{path}");
    let io = |source| ExportError::Io {
        url: url.clone(),
        source,
    };
    let body = otlp_json(service, unit, spans).to_string();
    let address = host_port
        .to_socket_addrs()
        .map_err(io)?
        .next()
        .ok_or_else(bad)?;
    let mut stream = TcpStream::connect_timeout(&address, EXPORT_TIMEOUT).map_err(io)?;
    stream.set_read_timeout(Some(EXPORT_TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(EXPORT_TIMEOUT)).map_err(io)?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    stream.write_all(body.as_bytes()).map_err(io)?;
    let mut answer = Vec::new();
    // The status line is all that is needed; the backend closes the connection.
    let mut chunk = [0u8; 512];
    while !answer.contains(&b'\n') {
        let n = stream.read(&mut chunk).map_err(io)?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    let status_line = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let ok = status_line
        .split_whitespace()
        .nth(1)
        .is_some_and(|code| code.starts_with('2'));
    if ok {
        Ok(())
    } else {
        Err(ExportError::Refused { url, status_line })
    }
}

fn nanos(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn unix_nanos(time: SystemTime) -> String {
    nanos(time).to_string()
}

/// A fresh random id of `bytes` bytes, in hex: std's hasher keys are
/// random per process, which is all a trace id needs.
fn random_hex(bytes: usize, salt: u64) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    let state = std::collections::hash_map::RandomState::new();
    let mut round = 0u64;
    while out.len() < bytes * 2 {
        let mut hasher = state.build_hasher();
        hasher.write_u64(salt);
        hasher.write_u64(round);
        hasher.write_u128(nanos(SystemTime::now()));
        out.push_str(&format!("{:016x}", hasher.finish()));
        round += 1;
    }
    out.truncate(bytes * 2);
    out
}

fn string_attribute(key: &str, value: &str) -> serde_json::Value {
    serde_json::json!({"key": key, "value": {"stringValue": value}})
}

/// The OTLP/HTTP JSON export request of `spans` (one trace).
pub fn otlp_json(service: &str, unit: &str, spans: &[SpanData]) -> serde_json::Value {
    let trace_id = random_hex(16, spans.len() as u64);
    let span_ids: Vec<String> = (0..spans.len())
        .map(|i| random_hex(8, i as u64 + 1))
        .collect();
    let spans: Vec<serde_json::Value> = spans
        .iter()
        .enumerate()
        .map(|(i, span)| {
            let mut value = serde_json::json!({
                "traceId": trace_id,
                "spanId": span_ids[i],
                "name": span.name,
                "kind": 1,
                "startTimeUnixNano": unix_nanos(span.start),
                "endTimeUnixNano": unix_nanos(span.end),
                "attributes": span
                    .attributes
                    .iter()
                    .map(|(k, v)| string_attribute(k, v))
                    .collect::<Vec<_>>(),
                "events": span
                    .events
                    .iter()
                    .map(|e| serde_json::json!({"timeUnixNano": unix_nanos(e.time), "name": e.name}))
                    .collect::<Vec<_>>(),
            });
            if let Some(parent) = span.parent.and_then(|p| span_ids.get(p)) {
                value["parentSpanId"] = serde_json::Value::String(parent.clone());
            }
            value
        })
        .collect();
    serde_json::json!({
        "resourceSpans": [{
            "resource": {"attributes": [
                string_attribute("service.name", service),
                string_attribute("juju_unit", unit),
            ]},
            "scopeSpans": [{
                "scope": {"name": "ops"},
                "spans": spans,
            }],
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    fn spans() -> Vec<SpanData> {
        let mut recorder = SpanRecorder::default();
        let root = recorder.start("ops.main".to_owned(), None);
        recorder.enter(root);
        recorder.event("StartEvent".to_owned());
        let child = recorder.start("start: MyCharm".to_owned(), recorder.current());
        recorder.enter(child);
        recorder.attribute(child, "port", "8080".to_owned());
        recorder.exit(child);
        recorder.exit(root);
        recorder.into_spans()
    }

    /// Serves one request with `status`, returning the request's head and body.
    fn serve_once(status: &'static str) -> (String, thread::JoinHandle<(String, String)>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut received = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = stream.read(&mut chunk).unwrap();
                received.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&received).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .parse()
                        .unwrap();
                    if body.len() >= length {
                        stream
                            .write_all(
                                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n")
                                    .as_bytes(),
                            )
                            .unwrap();
                        return (head.to_owned(), body.to_owned());
                    }
                }
                if n == 0 {
                    panic!("connection closed early: {text}");
                }
            }
        });
        (url, handle)
    }

    #[test]
    fn spans_are_posted_as_otlp_json_to_v1_traces() {
        let (url, server) = serve_once("200 OK");
        export_otlp_http(&url, "my-app", "my-app/0", &spans()).unwrap();
        let (head, body) = server.join().unwrap();
        assert!(head.starts_with("POST /v1/traces HTTP/1.1\r\n"), "{head}");
        assert!(head.contains("Content-Type: application/json"), "{head}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let resource = &json["resourceSpans"][0];
        assert_eq!(
            resource["resource"]["attributes"][0],
            serde_json::json!({"key": "service.name", "value": {"stringValue": "my-app"}})
        );
        let sent = resource["scopeSpans"][0]["spans"].as_array().unwrap();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0]["name"], "ops.main");
        assert!(sent[0].get("parentSpanId").is_none());
        assert_eq!(sent[0]["events"][0]["name"], "StartEvent");
        assert_eq!(sent[1]["name"], "start: MyCharm");
        assert_eq!(sent[1]["parentSpanId"], sent[0]["spanId"]);
        assert_eq!(sent[1]["traceId"], sent[0]["traceId"]);
        assert_eq!(sent[0]["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(sent[1]["spanId"].as_str().unwrap().len(), 16);
        assert_eq!(
            sent[1]["attributes"][0],
            serde_json::json!({"key": "port", "value": {"stringValue": "8080"}})
        );
    }

    #[test]
    fn a_path_already_ending_in_v1_traces_is_kept() {
        let (url, server) = serve_once("202 Accepted");
        export_otlp_http(&format!("{url}/v1/traces"), "a", "a/0", &spans()).unwrap();
        let (head, _) = server.join().unwrap();
        assert!(head.starts_with("POST /v1/traces "), "{head}");
    }

    #[test]
    fn a_refusal_is_an_error_with_the_status_line() {
        let (url, server) = serve_once("500 Internal Server Error");
        let error = export_otlp_http(&url, "a", "a/0", &spans()).unwrap_err();
        server.join().unwrap();
        assert!(
            matches!(&error, ExportError::Refused { status_line, .. } if status_line.contains("500")),
            "{error}"
        );
    }

    #[test]
    fn only_http_urls_are_accepted() {
        for url in ["https://tempo:4318", "tempo:4318", "http://"] {
            let error = export_otlp_http(url, "a", "a/0", &[]).unwrap_err();
            assert!(
                matches!(error, ExportError::BadUrl { .. }),
                "{url}: {error}"
            );
        }
    }

    #[test]
    fn leaving_a_span_leaves_the_spans_entered_inside_it() {
        let mut recorder = SpanRecorder::default();
        let outer = recorder.start("outer".to_owned(), None);
        recorder.enter(outer);
        let inner = recorder.start("inner".to_owned(), Some(outer));
        recorder.enter(inner);
        recorder.exit(outer);
        assert_eq!(recorder.current(), None);
    }
}
