//! `multipart/form-data` as Pebble's files API uses it: a writer for push
//! bodies and a streaming reader for pull replies.
//!
//! Written here rather than taken from a crate: the maintained multipart
//! crates are async (`multer`) or unmaintained (`multipart`), and Pebble needs
//! only the small subset below — streamed in both directions so that a large
//! file is never held in memory whole.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// A fresh boundary of 32 hex characters (Pebble requires at least 32).
pub(crate) fn new_boundary() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = RandomState::new();
    let mut out = String::with_capacity(32);
    for half in 0..2u64 {
        let mut h = state.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u64(half);
        h.write_u32(std::process::id());
        if let Ok(d) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
            h.write_u128(d.as_nanos());
        }
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Escapes a value for a quoted header parameter.
pub(crate) fn quote(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The opening of a part: boundary line and headers.
pub(crate) fn part_head(
    boundary: &str,
    first: bool,
    content_type: &str,
    disposition: &str,
) -> String {
    let lead = if first { "" } else { "\r\n" };
    format!(
        "{lead}--{boundary}\r\nContent-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n\r\n"
    )
}

/// The closing boundary.
pub(crate) fn closing(boundary: &str) -> String {
    format!("\r\n--{boundary}--\r\n")
}

/// Extracts the `boundary` parameter of a multipart content type.
pub(crate) fn boundary_of(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    header_params(params)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Parses `; k=v; k2="v 2"` parameters.
pub(crate) fn header_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() && chars.peek().is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ';' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.push((key.trim().to_owned(), value.trim_end().to_owned()));
    }
}

/// A part's headers.
#[derive(Debug, Default)]
pub(crate) struct PartHeaders {
    /// The `name` of its Content-Disposition.
    pub(crate) name: String,
    /// The `filename`, if any.
    pub(crate) filename: Option<String>,
}

/// Reads a multipart body part by part, streaming each part's content.
pub(crate) struct MultipartReader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    /// `\r\n--boundary`.
    delim: Vec<u8>,
    finished: bool,
    /// Whether the delimiter ending the current part was just consumed.
    at_delim_end: bool,
}

const MAX_PART_HEAD: usize = 64 * 1024;

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl<R: Read> MultipartReader<R> {
    /// A reader for a body whose boundary is `boundary`.
    pub(crate) fn new(inner: R, boundary: &str) -> Self {
        Self {
            inner,
            // A leading CRLF lets the first boundary match the delimiter.
            buf: b"\r\n".to_vec(),
            pos: 0,
            delim: format!("\r\n--{boundary}").into_bytes(),
            finished: false,
            at_delim_end: false,
        }
    }

    fn fill(&mut self) -> io::Result<usize> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let mut tmp = [0u8; 16 * 1024];
        let n = loop {
            match self.inner.read(&mut tmp) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n)
    }

    fn find(&self, needle: &[u8]) -> Option<usize> {
        self.buf[self.pos..]
            .windows(needle.len())
            .position(|w| w == needle)
    }

    /// Streams the bytes up to the next delimiter into `out` (or discards
    /// them), consuming the delimiter. Returns the number of bytes copied.
    fn copy_to_delim(
        &mut self,
        mut out: Option<&mut dyn Write>,
        limit: Option<u64>,
    ) -> io::Result<u64> {
        let mut copied = 0u64;
        loop {
            let found = self.find(&self.delim.clone());
            let end = match found {
                Some(i) => self.pos + i,
                None => self
                    .buf
                    .len()
                    .saturating_sub(self.delim.len() - 1)
                    .max(self.pos),
            };
            let piece = &self.buf[self.pos..end];
            copied += piece.len() as u64;
            if limit.is_some_and(|l| copied > l) {
                return Err(bad("multipart part is larger than allowed"));
            }
            if let Some(w) = out.as_deref_mut() {
                w.write_all(piece)?;
            }
            self.pos = end;
            if found.is_some() {
                self.pos += self.delim.len();
                return Ok(copied);
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "multipart body ended inside a part",
                ));
            }
        }
    }

    fn need(&mut self, n: usize) -> io::Result<bool> {
        while self.buf.len() - self.pos < n {
            if self.fill()? == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Moves to the next part and returns its headers, or `None` after the
    /// closing boundary. The previous part's unread content is skipped.
    pub(crate) fn next_part(&mut self) -> io::Result<Option<PartHeaders>> {
        if self.finished {
            return Ok(None);
        }
        // Skip the rest of the current part (or the preamble).
        if !self.at_delim_end {
            self.copy_to_delim(None, None)?;
        }
        self.at_delim_end = false;
        if !self.need(2)? {
            return Err(bad("multipart body ended after a boundary"));
        }
        if &self.buf[self.pos..self.pos + 2] == b"--" {
            self.finished = true;
            return Ok(None);
        }
        // Linear whitespace may follow the boundary before its CRLF.
        loop {
            if !self.need(1)? {
                return Err(bad("multipart body ended after a boundary"));
            }
            match self.buf[self.pos] {
                b' ' | b'\t' => self.pos += 1,
                _ => break,
            }
        }
        if !self.need(2)? || &self.buf[self.pos..self.pos + 2] != b"\r\n" {
            return Err(bad("multipart boundary not followed by CRLF"));
        }
        self.pos += 2;
        // Headers up to the blank line.
        let head_end = loop {
            if let Some(i) = self.find(b"\r\n\r\n") {
                break self.pos + i;
            }
            if self.buf.len() - self.pos > MAX_PART_HEAD {
                return Err(bad("multipart part headers too long"));
            }
            if self.fill()? == 0 {
                return Err(bad("multipart body ended inside part headers"));
            }
        };
        let head = String::from_utf8_lossy(&self.buf[self.pos..head_end]).into_owned();
        self.pos = head_end + 4;
        let mut headers = PartHeaders::default();
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                let v = v.trim();
                let params = v.split_once(';').map(|(_, p)| p).unwrap_or("");
                for (pk, pv) in header_params(params) {
                    if pk.eq_ignore_ascii_case("name") {
                        headers.name = pv;
                    } else if pk.eq_ignore_ascii_case("filename") {
                        headers.filename = Some(pv);
                    }
                }
            }
        }
        Ok(Some(headers))
    }

    /// Streams the current part's content into `out`.
    pub(crate) fn copy_part(&mut self, out: &mut dyn Write) -> io::Result<u64> {
        let n = self.copy_to_delim(Some(out), None)?;
        self.at_delim_end = true;
        Ok(n)
    }

    /// Reads the current part's content into memory, up to `limit` bytes.
    pub(crate) fn read_part(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        self.copy_to_delim(Some(&mut v), Some(limit))?;
        self.at_delim_end = true;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, (name, filename, content)) in parts.iter().enumerate() {
            let disp = match filename {
                Some(f) => format!("form-data; name=\"{name}\"; filename=\"{}\"", quote(f)),
                None => format!("form-data; name=\"{name}\""),
            };
            out.extend(part_head(boundary, i == 0, "application/octet-stream", &disp).into_bytes());
            out.extend_from_slice(content);
        }
        out.extend(closing(boundary).into_bytes());
        out
    }

    /// A reader that returns at most `n` bytes per read, to exercise
    /// delimiters split across reads.
    struct Trickle<R>(R, usize);
    impl<R: Read> Read for Trickle<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn reads_parts_streamed_in_small_pieces() {
        let b = new_boundary();
        assert_eq!(b.len(), 32);
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let raw = body(
            &b,
            &[
                ("files", Some("/a \"q\".txt"), &big),
                ("files", Some("/empty"), b""),
                ("response", None, b"{\"ok\":true}"),
            ],
        );
        for step in [3, 7, 4096, 1 << 20] {
            let mut r = MultipartReader::new(Trickle(&raw[..], step), &b);
            let p = r.next_part().unwrap().unwrap();
            assert_eq!(p.name, "files");
            assert_eq!(p.filename.as_deref(), Some("/a \"q\".txt"));
            let mut got = Vec::new();
            assert_eq!(r.copy_part(&mut got).unwrap(), big.len() as u64);
            assert!(got == big, "step {step}");
            let p = r.next_part().unwrap().unwrap();
            assert_eq!(p.filename.as_deref(), Some("/empty"));
            assert_eq!(r.read_part(10).unwrap(), b"");
            let p = r.next_part().unwrap().unwrap();
            assert_eq!(p.name, "response");
            assert_eq!(r.read_part(100).unwrap(), b"{\"ok\":true}");
            assert!(r.next_part().unwrap().is_none());
        }
    }

    #[test]
    fn unread_parts_are_skipped_and_truncation_is_an_error() {
        let b = new_boundary();
        let raw = body(
            &b,
            &[("files", Some("/x"), b"abc"), ("response", None, b"{}")],
        );
        let mut r = MultipartReader::new(&raw[..], &b);
        r.next_part().unwrap();
        let p = r.next_part().unwrap().unwrap();
        assert_eq!(p.name, "response");
        let cut = &raw[..raw.len() - 20];
        let mut r = MultipartReader::new(cut, &b);
        r.next_part().unwrap();
        r.next_part().unwrap();
        assert!(r.read_part(100).is_err());
    }

    #[test]
    fn parses_boundary_parameters() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary_of("multipart/form-data; charset=x; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary_of("application/json"), None);
        assert_eq!(boundary_of("multipart/form-data"), None);
    }
}
