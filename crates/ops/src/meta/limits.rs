//! Bounds on a metadata document, checked in one linear pass before the
//! YAML parser sees it.
//!
//! libyaml (under `serde_norway`) scans a document before anything is
//! deserialized, and its scanner does work proportional to the flow nesting
//! depth for every token: a 33 KB file of nested `[` takes seconds, and
//! deeper ones do not finish. `serde_norway`'s own recursion limit (128)
//! applies only after that scan. So the size is bounded first, then a scan
//! that over-estimates nesting (never under-estimates it on a document the
//! parser would read that far) refuses anything deeper than
//! [`MAX_METADATA_DEPTH`], with the line where the limit was passed.
//!
//! The scan knows just enough YAML to not count brackets that are text:
//! comments, quoted scalars, block scalars (`|`, `>`) and plain scalars in
//! block context. When unsure it counts, so a document full of unbalanced
//! brackets in plain text can be refused while a real charm never is.

use super::MetadataError;

/// The largest metadata document read, in bytes (1 MiB). Real
/// `charmcraft.yaml` files are a few KiB; the biggest have a few hundred
/// config options and stay well under 100 KiB.
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// The deepest nesting of mappings and sequences (block and flow together)
/// a metadata document may have. Charm metadata nests about 5 levels, and
/// an action's JSON-schema parameters rarely pass 15.
pub const MAX_METADATA_DEPTH: usize = 64;

/// Refuses a document that is too large or nests too deep.
pub(super) fn check(text: &str, file: &str) -> Result<(), MetadataError> {
    if text.len() > MAX_METADATA_BYTES {
        return Err(too_large(file, text.len()));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut scan = Scan::default();
    // libyaml breaks lines at CR, LF, NEL, LS and PS; so does the scan, so
    // that a comment never hides the next line.
    for line in text.split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        if scan.line(line.as_bytes()).is_err() {
            // `line` is a slice of `text`: its offset is its start's.
            let offset = line.as_ptr() as usize - text.as_ptr() as usize;
            let number = text[..offset].matches('\n').count() + 1;
            return Err(MetadataError::TooDeep {
                file: file.to_owned(),
                line: number,
                limit: MAX_METADATA_DEPTH,
            });
        }
    }
    Ok(())
}

pub(super) fn too_large(file: &str, bytes: usize) -> MetadataError {
    MetadataError::TooLarge {
        file: file.to_owned(),
        bytes,
        limit: MAX_METADATA_BYTES,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Seq,
    Map,
}

#[derive(Default)]
struct Scan {
    /// Open flow collections (`[`, `{`).
    flow: usize,
    /// The open block collections: the column of their entries and their kind.
    blocks: Vec<(usize, Kind)>,
    /// Inside a block scalar: lines indented more than this belong to it.
    block_scalar: Option<usize>,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl Scan {
    fn depth(&self) -> usize {
        self.blocks.len() + self.flow
    }

    /// A block collection of `kind` has an entry at `column`: the same
    /// collection as the innermost open one there, or a new one inside it.
    fn block_entry(&mut self, column: usize, kind: Kind) -> Result<(), usize> {
        while self.blocks.last().is_some_and(|&(c, _)| c > column) {
            self.blocks.pop();
        }
        // A mapping's key after a sequence at the same column ends the
        // sequence (`k:` then `- a` at the same indentation, then `k2:`).
        if kind == Kind::Map && self.blocks.last() == Some(&(column, Kind::Seq)) {
            self.blocks.pop();
        }
        if self.blocks.last() != Some(&(column, kind)) {
            self.blocks.push((column, kind));
        }
        if self.depth() > MAX_METADATA_DEPTH {
            Err(self.depth())
        } else {
            Ok(())
        }
    }

    /// Scans one line; `Err(depth)` when it nests too deep.
    fn line(&mut self, bytes: &[u8]) -> Result<(), usize> {
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let rest = &bytes[indent..];
        let blank = rest.iter().all(|&b| is_blank(b));
        if let Some(parent) = self.block_scalar {
            if blank || indent > parent {
                return Ok(());
            }
            self.block_scalar = None;
        }
        if blank || rest[0] == b'#' {
            return Ok(());
        }
        let mut i = indent;
        if self.flow == 0 {
            while self.blocks.last().is_some_and(|&(c, _)| c > indent) {
                self.blocks.pop();
            }
            let marker = rest.starts_with(b"---") || rest.starts_with(b"...");
            if indent == 0 && marker && rest.get(3).is_none_or(|&b| is_blank(b)) {
                self.blocks.clear();
                i = 3;
            }
        }
        // Whether the next character starts a node (where a quote, a
        // bracket, an anchor or a block scalar means what it says).
        let mut at_node = true;
        // Whether the last token was a quoted scalar or a closed collection
        // (after which `:` is a value indicator even without a space).
        let mut after_close = false;
        // In block context, where the node that may be a mapping key began.
        let mut key_col: Option<usize> = None;
        // The column of the last node begun on this line: a block scalar's
        // content is indented more than its parent, which starts there or
        // before.
        let mut node_col = indent;
        while i < bytes.len() {
            let b = bytes[i];
            let blank_next = bytes.get(i + 1).is_none_or(|&n| is_blank(n));
            let blank_before = i == 0 || is_blank(bytes[i - 1]);
            match b {
                b' ' | b'\t' => {}
                b'#' if blank_before => break,
                b'[' | b'{' if self.flow > 0 || at_node => {
                    if self.flow == 0 {
                        node_col = i;
                        key_col = Some(i);
                    }
                    self.flow += 1;
                    if self.depth() > MAX_METADATA_DEPTH {
                        return Err(self.depth());
                    }
                    at_node = true;
                    after_close = false;
                }
                b']' | b'}' if self.flow > 0 => {
                    self.flow -= 1;
                    at_node = false;
                    after_close = true;
                }
                b',' if self.flow > 0 => {
                    at_node = true;
                    after_close = false;
                }
                b'\'' | b'"' if at_node => {
                    if self.flow == 0 {
                        node_col = i;
                        key_col = Some(i);
                    }
                    // To the closing quote, or the end of the line: a quote
                    // running on is scanned as text from the next line on,
                    // which can only count more.
                    i = skip_quoted(bytes, i);
                    at_node = false;
                    after_close = true;
                }
                b'-' | b'?' if self.flow == 0 && at_node && blank_next => {
                    node_col = i;
                    key_col = None;
                    let kind = if b == b'-' { Kind::Seq } else { Kind::Map };
                    self.block_entry(i, kind)?;
                }
                b'?' if at_node && blank_next => {}
                b':' if blank_next || (self.flow > 0 && after_close) => {
                    if self.flow == 0
                        && let Some(column) = key_col.take()
                    {
                        self.block_entry(column, Kind::Map)?;
                    }
                    at_node = true;
                    after_close = false;
                }
                b'|' | b'>' if self.flow == 0 && at_node => {
                    self.block_scalar = Some(node_col);
                    break;
                }
                b'&' | b'!' if at_node => {
                    // An anchor or tag: the node itself comes after it.
                    while i + 1 < bytes.len()
                        && !is_blank(bytes[i + 1])
                        && !(self.flow > 0
                            && matches!(bytes[i + 1], b',' | b'[' | b']' | b'{' | b'}'))
                    {
                        i += 1;
                    }
                }
                _ => {
                    if at_node && self.flow == 0 {
                        node_col = i;
                        key_col = Some(i);
                    }
                    at_node = false;
                    after_close = false;
                }
            }
            i += 1;
        }
        Ok(())
    }
}

/// The index of the closing quote of the scalar opened at `start`, or the
/// last index of the line.
fn skip_quoted(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 1,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            b if b == quote => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len().saturating_sub(1).max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_error(text: &str) -> Option<usize> {
        match check(text, "t.yaml") {
            Ok(()) => None,
            Err(MetadataError::TooDeep { line, .. }) => Some(line),
            Err(other) => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn flow_nesting_past_the_limit_is_refused_with_its_line() {
        let deep = format!("name: x\nk: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert_eq!(depth_error(&deep), Some(2));
        let fine = format!("name: x\nk: {}{}\n", "[".repeat(30), "]".repeat(30));
        assert_eq!(depth_error(&fine), None);
    }

    #[test]
    fn brackets_that_are_text_are_not_counted() {
        let many = "[".repeat(200);
        for text in [
            format!("a: 'x {many}'\n"),
            format!("a: \"x {many}\"\n"),
            format!("a: x {many}\n"),
            format!("a: x # {many}\n"),
            format!("a: |\n  {many}\n  more\nb: 1\n"),
            format!("- >-\n  {many}\n"),
        ] {
            assert_eq!(depth_error(&text), None, "{text}");
        }
    }

    #[test]
    fn tricks_that_hide_brackets_from_a_naive_scan_are_counted() {
        let many = "[".repeat(200);
        for text in [
            // A comment, then a bare carriage return: libyaml reads a new line.
            format!("# c\r{many}\n"),
            format!("\u{feff}{many}\n"),
            format!("--- {many}\n"),
            format!("a: !!seq {many}\n"),
            format!("a: &x {many}\n"),
            // A quote inside a plain scalar in flow is text, not a quote.
            format!("a: [it's, {many}\n"),
            // The block scalar ends where the next key begins.
            format!("a: |\n  text\nb: {many}\n"),
            format!("- - |\n    text\n  - {many}\n"),
            "- ".repeat(100),
        ] {
            assert!(depth_error(&text).is_some(), "{text:?}");
        }
    }

    #[test]
    fn a_large_document_is_refused_before_scanning() {
        let text = format!("name: x\ndescription: {}\n", "y".repeat(MAX_METADATA_BYTES));
        assert!(matches!(
            check(&text, "t.yaml"),
            Err(MetadataError::TooLarge { bytes, limit: MAX_METADATA_BYTES, .. }) if bytes == text.len()
        ));
    }
}
