//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_charm_spec_autoload.py>
//! (`TestExtensions` is the `extensions` module below).
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

/// Upstream's `TestExtensions`: charmcraft extensions merged into the
/// autoloaded metadata.
mod extensions {
    use super::{TempCharm, create_tempcharm, load};
    use crate::helpers::CatchAll;
    use ops::meta::{JujuAssumes, MetadataWarning};
    use ops::{CharmMeta, MetadataError};
    use ops_testing::{Context, Relation, State};
    use pretty_assertions::assert_eq;
    use serde_json::{Value, json};

    /// A unified charmcraft.yaml using `extensions`, with `extra` merged in.
    fn extended(test: &str, extensions: Value, extra: Value) -> TempCharm {
        let mut meta = json!({
            "type": "charm",
            "name": "my-app",
            "summary": "s",
            "description": "d",
            "extensions": extensions,
        });
        if let (Some(meta), Value::Object(extra)) = (meta.as_object_mut(), extra) {
            meta.extend(extra);
        }
        create_tempcharm(&format!("ext-{test}"), Some(meta), None, None, false)
    }

    fn flask(test: &str, extra: Value) -> CharmMeta {
        load(&extended(test, json!(["flask-framework"]), extra)).unwrap()
    }

    fn invalid_reason(result: Result<CharmMeta, MetadataError>) -> String {
        match result {
            Err(MetadataError::Invalid { reason, .. }) => reason,
            other => panic!("expected MetadataError::Invalid, got {other:?}"),
        }
    }

    #[test]
    fn test_extension_adds_metadata() {
        let meta = flask("adds-metadata", json!({}));
        assert_eq!(
            meta.containers["flask-app"].resource.as_deref(),
            Some("flask-app-image")
        );
        assert_eq!(meta.requires["ingress"].interface, "ingress");
        assert_eq!(meta.requires["ingress"].limit, Some(1));
        assert_eq!(meta.requires["logging"].interface, "loki_push_api");
        assert_eq!(meta.peers["secret-storage"].interface, "secret-storage");
        assert_eq!(
            meta.provides["grafana-dashboard"].interface,
            "grafana_dashboard"
        );
        assert_eq!(
            meta.provides["metrics-endpoint"].interface,
            "prometheus_scrape"
        );
        assert!(meta.resources.contains_key("flask-app-image"));
        assert_eq!(meta.assumes, [JujuAssumes::Feature("k8s-api".into())]);
    }

    #[test]
    fn test_extension_adds_config() {
        let meta = flask("adds-config", json!({}));
        let options = &meta.config.options;
        assert!(options.contains_key("flask-debug"));
        assert!(options.contains_key("webserver-workers"));
        assert_eq!(
            options["flask-preferred-url-scheme"].default,
            Some(json!("HTTPS"))
        );
    }

    #[test]
    fn test_extension_adds_actions() {
        let meta = flask("adds-actions", json!({}));
        assert!(meta.actions.contains_key("rotate-secret-key"));
    }

    #[test]
    fn test_local_meta_overlaps_extension_errors() {
        let charm = extended(
            "meta-overlap",
            json!(["flask-framework"]),
            json!({"requires": {"ingress": {"interface": "ingress"}}}),
        );
        let reason = invalid_reason(load(&charm));
        assert!(reason.contains("overlapping keys"), "{reason}");
        assert!(reason.contains("requires"), "{reason}");
        assert!(reason.contains("flask-framework"), "{reason}");
    }

    #[test]
    fn test_local_meta_no_overlap_with_extension() {
        let meta = flask(
            "meta-no-overlap",
            json!({"requires": {"database": {"interface": "postgresql_client"}}}),
        );
        assert_eq!(meta.requires["database"].interface, "postgresql_client");
        assert!(meta.requires.contains_key("ingress"));
        assert!(meta.requires.contains_key("logging"));
    }

    #[test]
    fn test_local_config_overlaps_extension_errors() {
        let charm = extended(
            "config-overlap",
            json!(["flask-framework"]),
            json!({"config": {"options": {"flask-debug": {"type": "boolean"}}}}),
        );
        let reason = invalid_reason(load(&charm));
        assert!(reason.contains("config.options"), "{reason}");
        assert!(reason.contains("flask-debug"), "{reason}");
    }

    #[test]
    fn test_local_config_no_overlap_with_extension() {
        let meta = flask(
            "config-no-overlap",
            json!({"config": {"options": {"my-option": {"type": "string", "default": "x"}}}}),
        );
        assert_eq!(meta.config.options["my-option"].default, Some(json!("x")));
        assert!(meta.config.options.contains_key("flask-debug"));
    }

    #[test]
    fn test_local_actions_overlap_extension_errors() {
        let charm = extended(
            "actions-overlap",
            json!(["flask-framework"]),
            json!({"actions": {"rotate-secret-key": {"description": "mine"}}}),
        );
        let reason = invalid_reason(load(&charm));
        assert!(reason.contains("actions"), "{reason}");
        assert!(reason.contains("rotate-secret-key"), "{reason}");
    }

    #[test]
    fn test_local_actions_no_overlap_with_extension() {
        let meta = flask(
            "actions-no-overlap",
            json!({"actions": {"my-action": {"description": "mine"}}}),
        );
        assert!(meta.actions.contains_key("my-action"));
        assert!(meta.actions.contains_key("rotate-secret-key"));
    }

    #[test]
    fn test_local_assumes_merged_with_extension() {
        let meta = flask("assumes", json!({"assumes": ["k8s-api", "juju >= 3.4"]}));
        assert_eq!(
            meta.assumes,
            [
                JujuAssumes::Feature("k8s-api".into()),
                JujuAssumes::Feature("juju >= 3.4".into())
            ]
        );
    }

    #[test]
    fn test_django_extension_has_create_superuser() {
        let meta = load(&extended("django", json!(["django-framework"]), json!({}))).unwrap();
        let create = &meta.actions["create-superuser"];
        assert!(create.params.contains_key("email"));
        assert!(create.params.contains_key("username"));
        assert!(meta.actions.contains_key("rotate-secret-key"));
        assert_eq!(
            meta.config.options["django-debug"].default,
            Some(json!(false))
        );
    }

    #[test]
    fn test_unknown_extension_warns() {
        let charm = extended("unknown", json!(["not-a-real-extension"]), json!({}));
        // The charm still loads, with nothing merged.
        let meta = load(&charm).unwrap();
        assert!(meta.containers.is_empty());
        assert!(meta.actions.is_empty());
        let text = std::fs::read_to_string(charm.root.join("charmcraft.yaml")).unwrap();
        let (_, warnings) = CharmMeta::from_yaml_with_warnings(&text).unwrap();
        assert_eq!(
            warnings,
            [MetadataWarning::UnknownExtension {
                name: "not-a-real-extension".into()
            }]
        );
        let message = warnings[0].to_string();
        assert!(
            message.contains("Unknown charmcraft extension \"not-a-real-extension\""),
            "{message}"
        );
    }

    #[test]
    fn test_extension_stripped_from_meta() {
        let meta = flask("stripped", json!({}));
        // Nothing keeps the key: the loaded metadata, written out, has no
        // `extensions`.
        let written = serde_json::to_value(&meta).unwrap();
        assert!(written.get("extensions").is_none(), "{written}");
    }

    #[test]
    fn test_extension_with_relations_in_context() {
        let charm = extended("in-context", json!(["flask-framework"]), json!({}));
        let mut ctx = Context::<CatchAll>::from_charm_root(&charm.root).unwrap();
        let ingress = Relation::new("ingress");
        let out = ctx
            .run(
                ctx.on.relation_changed(&ingress),
                State {
                    relations: vec![ingress.clone().into()],
                    ..State::default()
                },
            )
            .unwrap();
        assert_eq!(
            out.get_relation(ingress.id).map(|r| r.endpoint()),
            Some("ingress")
        );
    }
}
