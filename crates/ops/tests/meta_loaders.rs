//! Every metadata loader reads the same document the same way: one parse
//! path, one set of rules, whichever file or function it comes through.

use ops::meta::{MAX_METADATA_BYTES, MAX_METADATA_DEPTH};
use ops::{CharmMeta, MetadataError};
use rstest::rstest;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory for one loader run.
fn temp_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ops-meta-loaders-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn load_dir(files: &[(&str, &str)]) -> Result<CharmMeta, MetadataError> {
    let dir = temp_dir();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let result = CharmMeta::load(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    result
}

/// `text` indented under `key:`.
fn section(key: &str, text: &str) -> String {
    let body: String = text.lines().map(|l| format!("  {l}\n")).collect();
    format!("{key}:\n{body}")
}

/// The outcome of one loader: the charm's name, or the error's text.
type Outcome = Result<String, String>;

fn outcome(result: Result<CharmMeta, MetadataError>) -> Outcome {
    result.map(|m| m.name).map_err(|e| e.to_string())
}

/// A whole metadata document through every loader that reads one.
fn every_loader(document: &str) -> Vec<(&'static str, Outcome)> {
    vec![
        ("from_yaml", outcome(CharmMeta::from_yaml(document))),
        (
            "from_legacy_yaml",
            outcome(CharmMeta::from_legacy_yaml(document, None, None)),
        ),
        (
            "charmcraft.yaml",
            outcome(load_dir(&[(
                "charmcraft.yaml",
                &format!("type: charm\n{document}"),
            )])),
        ),
        (
            "metadata.yaml",
            outcome(load_dir(&[("metadata.yaml", document)])),
        ),
    ]
}

fn assert_all(outcomes: &[(&str, Outcome)], want: Result<&str, &[&str]>) {
    for (loader, got) in outcomes {
        match (want, got) {
            (Ok(name), Ok(got)) => assert_eq!(got, name, "{loader}"),
            (Err(needles), Err(message)) => {
                for needle in needles {
                    assert!(
                        message.contains(needle),
                        "{loader}: {needle:?} not in {message}"
                    );
                }
            }
            (want, got) => panic!("{loader}: wanted {want:?}, got {got:?}"),
        }
    }
}

#[rstest]
#[case::plain("name: x\n", Ok("x"))]
#[case::duplicate_top_level_key("name: x\nsummary: a\nsummary: b\n", Err(&["duplicate", "summary"][..]))]
#[case::duplicate_name("name: x\nname: y\n", Err(&["duplicate", "name"][..]))]
#[case::duplicate_endpoint("name: x\nrequires:\n  db: {interface: a}\n  db: {interface: b}\n", Err(&["duplicate", "db"][..]))]
#[case::duplicate_option(
    "name: x\nconfig:\n  options:\n    a: {type: int}\n    a: {type: string}\n",
    Err(&["duplicate", "a"][..])
)]
#[case::duplicate_in_flow("name: x\nprovides: {p: {interface: i, interface: j}}\n", Err(&["duplicate", "interface"][..]))]
#[case::null_endpoint("name: x\nrequires: {db: null}\n", Err(&["requires"][..]))]
#[case::null_options("name: x\nconfig: {options: null}\n", Err(&["options"][..]))]
#[case::number_name("name: 5\n", Err(&["`name` is the number 5", "name: my-charm"][..]))]
#[case::null_name("name: ~\n", Err(&["`name` is null"][..]))]
#[case::list_name("name: [a]\n", Err(&["`name` is a list"][..]))]
#[case::bool_name("name: true\n", Err(&["`name` is the boolean true"][..]))]
#[case::quoted_number_name("name: '5'\n", Ok("5"))]
#[case::empty_name("name: ''\n", Err(&["no `name`"][..]))]
fn every_loader_reads_a_document_the_same_way(
    #[case] document: &str,
    #[case] want: Result<&str, &[&str]>,
) {
    assert_all(&every_loader(document), want);
}

#[rstest]
#[case::fine("options:\n  a: {type: int, default: 1}\n", true)]
#[case::duplicate("options:\n  a: {type: int}\n  a: {type: int}\n", false)]
#[case::null_options("options: null\n", false)]
#[case::bad_type_shape("options:\n  a: [1]\n", false)]
fn config_reads_the_same_from_charmcraft_and_config_yaml(#[case] config: &str, #[case] ok: bool) {
    let outcomes = vec![
        (
            "charmcraft config",
            outcome(CharmMeta::from_yaml(&format!(
                "name: x\n{}",
                section("config", config)
            ))),
        ),
        (
            "config.yaml",
            outcome(CharmMeta::from_legacy_yaml("name: x\n", Some(config), None)),
        ),
        (
            "config.yaml in a directory",
            outcome(load_dir(&[
                ("metadata.yaml", "name: x\n"),
                ("config.yaml", config),
            ])),
        ),
    ];
    let want: Result<&str, &[&str]> = if ok { Ok("x") } else { Err(&[]) };
    assert_all(&outcomes, want);
}

#[rstest]
#[case::fine("backup:\n  description: d\n", true)]
#[case::duplicate("backup: {}\nbackup: {}\n", false)]
#[case::duplicate_param("backup:\n  params:\n    a: {}\n    a: {}\n", false)]
fn actions_read_the_same_from_charmcraft_and_actions_yaml(#[case] actions: &str, #[case] ok: bool) {
    let outcomes = vec![
        (
            "charmcraft actions",
            outcome(CharmMeta::from_yaml(&format!(
                "name: x\n{}",
                section("actions", actions)
            ))),
        ),
        (
            "actions.yaml",
            outcome(CharmMeta::from_legacy_yaml(
                "name: x\n",
                None,
                Some(actions),
            )),
        ),
    ];
    let want: Result<&str, &[&str]> = if ok { Ok("x") } else { Err(&[]) };
    assert_all(&outcomes, want);
}

/// Nesting `depth` flow sequences deep under `k`.
fn nested(depth: usize) -> String {
    format!("name: x\nk: {}{}\n", "[".repeat(depth), "]".repeat(depth))
}

#[rstest]
#[case::flow_16k(nested(16_000))]
#[case::flow_100k(nested(100_000))]
#[case::maps_100k(format!("name: x\nk: {}{}\n", "{a: ".repeat(100_000), "}".repeat(100_000)))]
#[case::compact_sequences(format!("name: x\nk:\n{}x\n", "- ".repeat(20_000)))]
fn a_deep_document_is_refused_before_parsing_by_every_loader(#[case] document: String) {
    let outcomes = every_loader(&document);
    let limit = MAX_METADATA_DEPTH.to_string();
    assert_all(
        &outcomes,
        Err(&["more than", &limit, "levels deep at line"]),
    );
    assert!(matches!(
        CharmMeta::from_yaml(&document),
        Err(MetadataError::TooDeep { limit, .. }) if limit == MAX_METADATA_DEPTH
    ));
}

#[test]
fn nesting_up_to_the_limit_loads() {
    // `k:` is one level (the top mapping); the rest are flow sequences.
    let document = nested(MAX_METADATA_DEPTH - 1);
    assert_all(&every_loader(&document), Ok("x"));
}

#[test]
fn an_oversized_document_is_refused_by_every_loader() {
    let document = format!("name: x\ndescription: {}\n", "y".repeat(MAX_METADATA_BYTES));
    assert_all(
        &every_loader(&document),
        Err(&["bytes, more than the", &MAX_METADATA_BYTES.to_string()][..]),
    );
    assert!(matches!(
        CharmMeta::from_yaml(&document),
        Err(MetadataError::TooLarge { .. })
    ));
}
