//! Property tests of metadata loading on arbitrary text: every loader
//! returns (a value or a `MetadataError`) quickly and never panics, and the
//! nesting bound is sound: a document it lets through nests no deeper than
//! [`MAX_METADATA_DEPTH`]. (The `metadata` fuzz target under `fuzz/`
//! explores the same from raw bytes.)

use ops::meta::MAX_METADATA_DEPTH;
use ops::{CharmMeta, MetadataError};
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Pieces of YAML syntax, the tricky ones often, so that random documents
/// nest, quote, comment and break lines in every way.
fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "[",
        "[",
        "[[[[[[[[",
        "]",
        "{",
        "{a: ",
        "}",
        ", ",
        ": ",
        ":",
        "- ",
        "- - - ",
        "? ",
        "'",
        "\"",
        "''",
        "\\",
        "# ",
        "#",
        " ",
        "  ",
        "\t",
        "\n",
        "\n",
        "\n  ",
        "\n    ",
        "\r",
        "\r\n",
        "\u{85}",
        "\u{2028}",
        "\u{feff}",
        "|",
        "|-",
        ">",
        "&a ",
        "*a",
        "!!seq ",
        "!t ",
        "---",
        "--- ",
        "...",
        "%YAML 1.1\n",
        "name",
        "name: x\n",
        "x",
        "5",
        "~",
        "null",
        "true",
        "requires",
        "config",
        "options",
        "actions",
        "type: charm\n",
        "é",
    ])
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..300).prop_map(|tokens| tokens.concat())
}

/// A YAML node, generated as a tree and written out in block or flow style.
#[derive(Debug, Clone)]
enum Node {
    /// A plain scalar (text that looks like syntax included).
    Plain(&'static str),
    /// A quoted scalar holding brackets and quotes.
    Quoted(&'static str),
    /// A literal block scalar with these lines.
    Literal(Vec<&'static str>),
    /// A sequence (block, or flow inside a flow collection).
    Seq(Vec<Node>),
    /// A mapping.
    Map(Vec<Node>),
    /// `n` flow sequences around a node, written `[[[x]]]`.
    FlowNest(usize, Box<Node>),
    /// `n` block sequences around a node, one per line, each indented more.
    BlockNest(usize, Box<Node>),
    /// The node with an anchor.
    Anchored(Box<Node>),
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "x",
            "5",
            "~",
            "a [b",
            "it's {",
            "x # [[[ {",
            "a]b",
            "-x",
            "é"
        ])
        .prop_map(Node::Plain),
        prop::sample::select(vec!["'[[ ''x'' ]]'", "\"]] \\\" [[\"", "'#['", "\"{a: [\""])
            .prop_map(Node::Quoted),
        prop::collection::vec(
            prop::sample::select(vec!["[[[[", "}} ]", "# not a comment", "'", ""]),
            1..4
        )
        .prop_map(Node::Literal),
    ];
    leaf.prop_recursive(8, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Node::Seq),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Node::Map),
            (0..80usize, inner.clone()).prop_map(|(n, node)| Node::FlowNest(n, Box::new(node))),
            (0..80usize, inner.clone()).prop_map(|(n, node)| Node::BlockNest(n, Box::new(node))),
            inner.prop_map(|node| Node::Anchored(Box::new(node))),
        ]
    })
}

/// The node in flow style.
fn flow(node: &Node) -> String {
    match node {
        Node::Plain(text) => {
            // Flow indicators end a plain scalar in flow; keep the rest.
            let text: String = text.chars().filter(|c| !",[]{}#".contains(*c)).collect();
            if text.trim().is_empty() {
                "x".to_owned()
            } else {
                text
            }
        }
        Node::Quoted(text) => (*text).to_owned(),
        Node::Literal(_) => "'lit'".to_owned(),
        Node::Seq(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Node::Map(values) => {
            let entries: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("k{i}: {}", flow(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Node::FlowNest(n, inner) | Node::BlockNest(n, inner) => {
            format!("{}{}{}", "[".repeat(*n), flow(inner), "]".repeat(*n))
        }
        Node::Anchored(inner) if matches!(**inner, Node::Anchored(_)) => flow(inner),
        Node::Anchored(inner) => format!("&a {}", flow(inner)),
    }
}

/// The node in block style, as the value after `key: ` or `- ` of a
/// collection whose entries are at `indent`.
fn block(node: &Node, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    match node {
        Node::Plain(text) => (*text).to_owned(),
        Node::Quoted(_) | Node::FlowNest(..) => flow(node),
        Node::Literal(lines) => {
            let body: String = lines.iter().map(|l| format!("\n{pad}{l}")).collect();
            format!("|{body}")
        }
        Node::Seq(items) if items.is_empty() => "[]".to_owned(),
        Node::Seq(items) => items
            .iter()
            .map(|item| format!("\n{pad}- {}", block(item, indent + 2)))
            .collect(),
        Node::Map(values) if values.is_empty() => "{}".to_owned(),
        Node::Map(values) => values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("\n{pad}k{i}: {}", block(v, indent + 2)))
            .collect(),
        Node::BlockNest(n, inner) => {
            let mut text = block(inner, indent + 2 * n);
            for level in (0..*n).rev() {
                text = format!("\n{}- {text}", " ".repeat(indent + 2 + 2 * level));
            }
            text
        }
        Node::Anchored(inner) if matches!(**inner, Node::Anchored(_)) => block(inner, indent),
        Node::Anchored(inner) => format!("&a {}", block(inner, indent)),
    }
}

/// A charm document with the node under `k`, and comments around.
fn structured_document() -> impl Strategy<Value = String> {
    (node(), any::<bool>()).prop_map(|(node, use_flow)| {
        let value = if use_flow {
            flow(&node)
        } else {
            block(&node, 0)
        };
        format!("# [[[[ a comment\nname: x # {{{{\nk: {value}\nsummary: '[['\n")
    })
}

/// How deep mappings and sequences nest in a YAML value (a scalar is 0).
fn depth(value: &serde_norway::Value) -> usize {
    match value {
        serde_norway::Value::Sequence(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_norway::Value::Mapping(map) => {
            let keys = map.keys().map(depth);
            1 + map.values().map(depth).chain(keys).max().unwrap_or(0)
        }
        serde_norway::Value::Tagged(tagged) => depth(&tagged.value),
        _ => 0,
    }
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    // Generous for a loaded CI machine; a quadratic parse takes seconds.
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{what} took {:?}",
        start.elapsed()
    );
    value
}

/// `cases` cases (or `PROPTEST_CASES` when set, for a longer hunt), with no
/// failure files written into the source tree.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn every_loader_finishes_without_panicking(text in document()) {
        timed("from_yaml", || CharmMeta::from_yaml(&text)).ok();
        timed("from_legacy_yaml", || {
            CharmMeta::from_legacy_yaml(&text, Some(&text), Some(&text))
        })
        .ok();
    }

    #[test]
    fn what_the_nesting_bound_lets_through_nests_within_it(text in document()) {
        let too_deep = matches!(CharmMeta::from_yaml(&text), Err(MetadataError::TooDeep { .. }));
        if !too_deep
            && let Ok(value) = serde_norway::from_str::<serde_norway::Value>(&text)
        {
            prop_assert!(depth(&value) <= MAX_METADATA_DEPTH, "depth {} let through: {text:?}", depth(&value));
        }
    }

    #[test]
    fn the_nesting_bound_is_exact_enough_on_documents_that_parse(text in structured_document()) {
        let too_deep = matches!(CharmMeta::from_yaml(&text), Err(MetadataError::TooDeep { .. }));
        let value = serde_norway::from_str::<serde_norway::Value>(&text);
        match value {
            Ok(value) if too_deep => {
                // Refused: it nests past the limit (the scan counts no text).
                prop_assert!(depth(&value) > MAX_METADATA_DEPTH, "depth {} refused: {text}", depth(&value));
            }
            Ok(value) => prop_assert!(depth(&value) <= MAX_METADATA_DEPTH, "depth {} let through: {text}", depth(&value)),
            // serde_norway refuses past its own limit of 128; the scan
            // must have refused that first.
            Err(e) if e.to_string().contains("recursion limit") => prop_assert!(too_deep, "{text}"),
            // A document the generator got wrong says nothing.
            Err(_) => {}
        }
    }

    #[test]
    fn any_unicode_text_loads_or_fails_cleanly(text in "\\PC{0,300}") {
        timed("from_yaml", || CharmMeta::from_yaml(&text)).ok();
    }
}
