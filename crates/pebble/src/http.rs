//! A small synchronous HTTP/1.1 client over a unix stream socket.
//!
//! One connection per request (`Connection: close`), which is what Pebble's
//! clients do and keeps the code free of connection-pool state. Response
//! heads are parsed with `httparse`; chunked bodies are decoded with
//! `chunked_transfer`; request bodies are either a buffer with a
//! `Content-Length` or a stream written with chunked transfer encoding.

use std::io::{self, BufWriter, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{ConnectionError, Error, Result};

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Size of the chunks a streamed request body is sent in.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Where requests go, and how long a read may block.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub(crate) socket: PathBuf,
    pub(crate) timeout: Duration,
}

/// A request body.
pub(crate) enum Body<'a> {
    /// No body.
    Empty,
    /// A JSON document.
    Json(Vec<u8>),
    /// A streamed body of the given content type, sent with chunked transfer
    /// encoding; the closure writes it.
    Stream {
        content_type: String,
        write: &'a mut dyn FnMut(&mut ChunkedWriter<'_>) -> Result<()>,
    },
}

/// A parsed response: status, headers, and a reader for the body.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) reason: String,
    headers: Vec<(String, String)>,
    pub(crate) body: Box<dyn Read + Send>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Writes a request body with chunked transfer encoding. Errors writing are
/// connection errors; the caller maps errors reading its own source.
pub(crate) struct ChunkedWriter<'a> {
    out: &'a mut BufWriter<UnixStream>,
    socket: &'a Path,
    during: &'a str,
}

impl ChunkedWriter<'_> {
    /// Sends `data` as one chunk (nothing when empty).
    pub(crate) fn send(&mut self, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let res = write!(self.out, "{:X}\r\n", data.len())
            .and_then(|()| self.out.write_all(data))
            .and_then(|()| self.out.write_all(b"\r\n"));
        res.map_err(|e| ConnectionError::new(self.socket, self.during, e).into())
    }

    fn finish(&mut self) -> Result<()> {
        self.out
            .write_all(b"0\r\n\r\n")
            .and_then(|()| self.out.flush())
            .map_err(|e| ConnectionError::new(self.socket, self.during, e).into())
    }
}

impl Transport {
    /// Opens a connection to the socket, with read and write timeouts.
    pub(crate) fn connect(&self, read_timeout: Option<Duration>) -> Result<UnixStream> {
        let stream = UnixStream::connect(&self.socket)
            .map_err(|e| ConnectionError::new(&self.socket, "connecting", e))?;
        let set = stream
            .set_read_timeout(read_timeout)
            .and_then(|()| stream.set_write_timeout(Some(self.timeout)));
        set.map_err(|e| ConnectionError::new(&self.socket, "setting socket timeouts", e))?;
        Ok(stream)
    }

    /// Sends one request and reads the response head. `target` is the path
    /// and query; `read_timeout` bounds each blocking read of the reply.
    pub(crate) fn send(
        &self,
        method: &str,
        target: &str,
        accept: &str,
        body: Body<'_>,
        read_timeout: Duration,
    ) -> Result<Response> {
        let during = format!("sending {method} {}", path_only(target));
        let stream = self.connect(Some(read_timeout))?;
        let reader = stream
            .try_clone()
            .map_err(|e| ConnectionError::new(&self.socket, &during, e))?;
        let mut out = BufWriter::with_capacity(CHUNK + 64, stream);
        let conn = |e| Error::from(ConnectionError::new(&self.socket, &during, e));
        write!(
            out,
            "{method} {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: juju-pebble\r\nAccept: {accept}\r\nConnection: close\r\n"
        )
        .map_err(conn)?;
        match body {
            Body::Empty => {
                out.write_all(b"\r\n").map_err(conn)?;
                out.flush().map_err(conn)?;
            }
            Body::Json(bytes) => {
                write!(
                    out,
                    "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    bytes.len()
                )
                .map_err(conn)?;
                out.write_all(&bytes).map_err(conn)?;
                out.flush().map_err(conn)?;
            }
            Body::Stream {
                content_type,
                write,
            } => {
                write!(
                    out,
                    "Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
                )
                .map_err(conn)?;
                let mut chunked = ChunkedWriter {
                    out: &mut out,
                    socket: &self.socket,
                    during: &during,
                };
                write(&mut chunked)?;
                chunked.finish()?;
            }
        }
        let reading = format!("reading the reply to {method} {}", path_only(target));
        read_response(reader, &self.socket, &reading)
    }
}

fn path_only(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

/// Reads a response head from `stream` and sets up the body reader.
pub(crate) fn read_response(
    mut stream: UnixStream,
    socket: &Path,
    during: &str,
) -> Result<Response> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream
            .read(&mut chunk)
            .map_err(|e| ConnectionError::new(socket, during, e))?;
        if n == 0 {
            let e = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the daemon closed the connection before sending a complete reply",
            );
            return Err(ConnectionError::new(socket, during, e).into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let status = resp.code.unwrap_or(0);
                let reason = resp.reason.unwrap_or("").to_owned();
                let headers: Vec<(String, String)> = resp
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).trim().to_owned(),
                        )
                    })
                    .collect();
                let rest = buf[len..].to_vec();
                let raw = io::Cursor::new(rest).chain(stream);
                let find = |name: &str| {
                    headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.clone())
                };
                let chunked = find("transfer-encoding")
                    .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
                let body: Box<dyn Read + Send> = if chunked {
                    Box::new(chunked_transfer::Decoder::new(NoEof(raw)))
                } else if let Some(len) = find("content-length") {
                    let len: u64 = len.parse().map_err(|_| Error::Protocol {
                        request: during.to_owned(),
                        message: format!("invalid Content-Length {len:?}"),
                    })?;
                    Box::new(Exact {
                        inner: raw,
                        left: len,
                    })
                } else {
                    Box::new(raw)
                };
                return Ok(Response {
                    status,
                    reason,
                    headers,
                    body,
                });
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Err(Error::Protocol {
                    request: during.to_owned(),
                    message: format!("response head longer than {MAX_HEAD} bytes"),
                });
            }
            Err(e) => {
                return Err(Error::Protocol {
                    request: during.to_owned(),
                    message: format!("malformed HTTP response: {e}"),
                });
            }
        }
    }
}

/// A body of a known length: end-of-file before the last byte is an
/// `UnexpectedEof` error (the connection dropped mid-reply), not a short
/// body.
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let max = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the daemon closed the connection with {} bytes of the reply still to come",
                    self.left
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The source of a chunked body. The decoder stops reading after the
/// terminating empty chunk, so end-of-file reaching it means the connection
/// dropped mid-body; the decoder itself would take that for a short chunk.
struct NoEof<R>(R);

impl<R: Read> Read for NoEof<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        if n == 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the daemon closed the connection in the middle of a chunked reply",
            ));
        }
        Ok(n)
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters and `/`
/// are kept).
pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char);
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Builds `path?k=v&k2=v2` from query pairs (a list value is given as the
/// same key repeated).
pub(crate) fn target(path: &str, query: &[(&str, String)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
        .collect();
    format!("{path}?{}", q.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_cut_short_is_an_error() {
        let mut r = Exact {
            inner: &b"12345"[..],
            left: 8,
        };
        let mut v = Vec::new();
        let err = r.read_to_end(&mut v).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let mut r = Exact {
            inner: &b"12345678extra"[..],
            left: 8,
        };
        v.clear();
        r.read_to_end(&mut v).unwrap();
        assert_eq!(v, b"12345678");
    }

    #[test]
    fn a_chunked_body_cut_short_is_an_error() {
        let read = |raw: &'static [u8]| {
            let mut v = Vec::new();
            chunked_transfer::Decoder::new(NoEof(raw))
                .read_to_end(&mut v)
                .map(|_| v)
        };
        assert_eq!(read(b"3\r\nabc\r\n0\r\n\r\nafter").unwrap(), b"abc");
        let err = read(b"10\r\nabc").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(read(b"3\r\nabc\r\n").is_err());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            target(
                "/v1/files",
                &[("path", "/a b/c&d".into()), ("pattern", "*.conf".into())]
            ),
            "/v1/files?path=/a%20b/c%26d&pattern=%2A.conf"
        );
        assert_eq!(target("/v1/plan", &[]), "/v1/plan");
    }
}
