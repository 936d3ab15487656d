//! Talking to the demo server, with no charm concerns (upstream's
//! `fastapi_demo.py`).
//!
//! The charm reaches the server only through the [`Workload`] trait, so unit
//! tests hand it a fake; [`Server`] is the real thing, an HTTP client of the
//! server on `localhost`.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long [`Server`] waits to connect, send and receive.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why the server's version could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The request could not be sent or the answer read.
    #[error(
        "cannot ask the demo server on localhost:{port} for its version: {source}; check that its Pebble service runs"
    )]
    Io {
        /// The server's port.
        port: u16,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The server answered, but not `200` with `{"version": "..."}`.
    #[error(
        "the demo server on localhost:{port} answered GET /version with {answer:?}, not a JSON object with a \"version\" string; check the server's log"
    )]
    BadAnswer {
        /// The server's port.
        port: u16,
        /// The start of what it answered.
        answer: String,
    },
}

/// What the charm needs from the demo server.
pub trait Workload {
    /// The version of the server listening on `port` (upstream's `get_version`).
    fn get_version(&self, port: u16) -> Result<String, WorkloadError>;
}

/// The real server: `GET http://localhost:<port>/version`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Server;

impl Workload for Server {
    fn get_version(&self, port: u16) -> Result<String, WorkloadError> {
        let io = |source| WorkloadError::Io { port, source };
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(io)?;
        stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
        stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
        stream
            .write_all(
                b"GET /version HTTP/1.0\r\nHost: localhost\r\nAccept: application/json\r\n\r\n",
            )
            .map_err(io)?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).map_err(io)?;
        parse_version(port, &String::from_utf8_lossy(&answer))
    }
}

/// Reads the version from an HTTP answer to `GET /version`.
pub fn parse_version(port: u16, answer: &str) -> Result<String, WorkloadError> {
    let bad = || WorkloadError::BadAnswer {
        port,
        answer: answer.chars().take(200).collect(),
    };
    let (head, body) = answer.split_once("\r\n\r\n").ok_or_else(bad)?;
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(bad());
    }
    let data: serde_json::Value = serde_json::from_str(body).map_err(|_| bad())?;
    data.get("version")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(bad)
}
