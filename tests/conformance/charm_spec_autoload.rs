//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_charm_spec_autoload.py>
//! (charmcraft extensions are not supported yet, so `TestExtensions` is not ported).
//!
//! Upstream autoloads metadata from the directory of the charm's Python
//! module; here `Context::from_charm_root(dir)` (and `CharmMeta::load`) load
//! it from a charm directory.

use crate::helpers::{CatchAll, Probe};
use ops::{CharmMeta, MetadataError, Model};
use ops_testing::{Context, Error, Relation, State};
use rstest::rstest;
use serde_json::{Value, json};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A charm directory removed when dropped.
struct TempCharm {
    root: PathBuf,
    _tmp: tempfile::TempDir,
}

fn yaml(value: &Value) -> String {
    // JSON is YAML.
    serde_json::to_string_pretty(value).unwrap()
}

/// Upstream's `create_tempcharm`: a charmcraft.yaml with build keys only,
/// then either legacy files or a unified charmcraft.yaml.
fn create_tempcharm(
    test: &str,
    meta: Option<Value>,
    actions: Option<Value>,
    config: Option<Value>,
    legacy: bool,
) -> TempCharm {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("conformance-autoload-{test}-{legacy}-"))
        .tempdir()
        .unwrap();
    let root = tmp.path().to_owned();
    std::fs::create_dir_all(root.join("src")).unwrap();
    let charm = TempCharm { root, _tmp: tmp };
    let write = |name: &str, value: &Value| {
        std::fs::write(charm.root.join(name), yaml(value)).unwrap();
    };
    // charmcraft.yaml ALONE is not enough to make this a valid charm.
    write(
        "charmcraft.yaml",
        &json!({"builds-on": "literally anywhere! isn't that awesome?"}),
    );
    if legacy {
        if let Some(meta) = &meta {
            write("metadata.yaml", meta);
        }
        if let Some(actions) = &actions {
            write("actions.yaml", actions);
        }
        if let Some(config) = &config {
            write("config.yaml", config);
        }
    } else {
        let mut unified = meta.unwrap_or_else(|| json!({}));
        if let Some(actions) = actions {
            unified["actions"] = actions;
        }
        if let Some(config) = config {
            unified["config"] = config;
        }
        if unified.as_object().is_some_and(|m| !m.is_empty()) {
            write("charmcraft.yaml", &unified);
        }
    }
    charm
}

fn is_not_found(result: Result<CharmMeta, MetadataError>) -> bool {
    matches!(result, Err(MetadataError::NotFound { .. }))
}

fn load(charm: &TempCharm) -> Result<CharmMeta, MetadataError> {
    CharmMeta::load(&charm.root)
}

fn context(root: &Path) -> Result<Context<CatchAll>, Error> {
    Context::<CatchAll>::from_charm_root(root)
}

#[test]
fn test_autoload_no_meta_fails() {
    let charm = create_tempcharm("no-meta", None, None, None, false);
    assert!(is_not_found(load(&charm)));
}

#[test]
fn test_autoload_no_type_fails() {
    let charm = create_tempcharm("no-type", Some(json!({"name": "foo"})), None, None, false);
    assert!(is_not_found(load(&charm)));
}

#[test]
fn test_autoload_legacy_no_meta_fails() {
    let charm = create_tempcharm("legacy-no-meta", None, None, None, true);
    assert!(is_not_found(load(&charm)));
}

#[test]
fn test_autoload_legacy_no_type_passes() {
    let charm = create_tempcharm(
        "legacy-no-type",
        Some(json!({"name": "foo"})),
        None,
        None,
        true,
    );
    assert_eq!(load(&charm).unwrap().name, "foo");
}

#[rstest]
fn test_autoload_legacy_type_passes(#[values("charm", "foo")] config_type: &str) {
    let charm = create_tempcharm(
        &format!("legacy-type-{config_type}"),
        Some(json!({"type": config_type, "name": "foo"})),
        None,
        None,
        true,
    );
    assert_eq!(load(&charm).unwrap().name, "foo");
}

#[rstest]
fn test_meta_autoload(#[values(true, false)] legacy: bool) {
    let charm = create_tempcharm(
        "meta-autoload",
        Some(json!({"type": "charm", "name": "foo", "summary": "foo", "description": "foo"})),
        None,
        None,
        legacy,
    );
    let mut ctx = context(&charm.root).unwrap();
    assert_eq!(ctx.meta().name, "foo");
    ctx.run(ctx.on.start(), &State::default()).unwrap();
}

#[rstest]
fn test_no_meta_raises(#[values(true, false)] legacy: bool) {
    let charm = create_tempcharm("no-meta-raises", None, None, None, legacy);
    // metadata not found:
    assert!(matches!(
        context(&charm.root),
        Err(Error::Metadata(MetadataError::NotFound { .. }))
    ));
}

#[rstest]
fn test_relations_ok(#[values(true, false)] legacy: bool) {
    let charm = create_tempcharm(
        "relations-ok",
        Some(json!({
            "type": "charm",
            "summary": "foo",
            "description": "foo",
            "name": "josh",
            "requires": {"cuddles": {"interface": "arms"}},
        })),
        None,
        None,
        legacy,
    );
    // this would fail if there were no 'cuddles' relation defined in meta
    let mut ctx = context(&charm.root).unwrap();
    ctx.run(
        ctx.on.start(),
        &State {
            relations: vec![Relation::new("cuddles").into()],
            ..State::default()
        },
    )
    .unwrap();
}

// Upstream declares `type: bool`, which Juju does not know; the consistency
// check here validates every declared option (upstream: only those set in
// State.config), so the option is declared with Juju's `boolean`.
#[rstest]
fn test_config_defaults(#[values(true, false)] legacy: bool) {
    let charm = create_tempcharm(
        "config-defaults",
        Some(json!({"type": "charm", "name": "josh", "summary": "foo", "description": "foo"})),
        None,
        Some(json!({"options": {"foo": {"type": "boolean", "default": true}}})),
        legacy,
    );
    let checked = Rc::new(Cell::new(false));
    let flag = checked.clone();
    let probe = Probe {
        post_event: Some(Rc::new(move |model: &Model| {
            assert_eq!(model.config()?["foo"], true);
            flag.set(true);
            Ok(())
        })),
        ..Probe::default()
    };
    let mut ctx = context(&charm.root)
        .unwrap()
        .with_charm(move |framework| CatchAll::build(framework, probe.clone()));
    ctx.run(ctx.on.start(), &State::default()).unwrap();
    assert!(checked.get());
}
