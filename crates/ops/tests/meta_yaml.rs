//! Typed charm metadata: which YAML loads, which is refused, and what the
//! typed values are.

use ops::CharmMeta;
use ops::meta::{
    CharmUser, ConfigType, ContainerBase, ContainerMount, ExtraBinding, JujuAssumes, RelationScope,
    ResourceType, StorageRange, StorageType,
};
use rstest::rstest;

fn load(body: &str) -> Result<CharmMeta, String> {
    CharmMeta::from_yaml(&format!("name: x\n{body}")).map_err(|e| e.to_string())
}

#[rstest]
#[case::storage_filesystem("storage: {data: {type: filesystem, location: /data}}")]
#[case::storage_block("storage: {disk: {type: block}}")]
#[case::storage_full(
    "storage: {d: {type: filesystem, shared: true, read-only: true, minimum-size: 1G, \
     properties: [transient], multiple: {range: 1-10}}}"
)]
#[case::range_exact("storage: {d: {type: filesystem, multiple: {range: \"2\"}}}")]
#[case::range_int("storage: {d: {type: filesystem, multiple: {range: 2}}}")]
#[case::range_open("storage: {d: {type: filesystem, multiple: {range: 3-}}}")]
#[case::range_plus("storage: {d: {type: filesystem, multiple: {range: 3+}}}")]
#[case::resource_file("resources: {f: {type: file, filename: f.tar, description: d}}")]
#[case::resource_oci("resources: {img: {type: oci-image}}")]
#[case::container_resource("resources: {img: {type: oci-image}}\ncontainers: {w: {resource: img}}")]
#[case::container_bases(
    "containers: {w: {bases: [{name: ubuntu, channel: 22.04/stable, architectures: [amd64]}]}}"
)]
#[case::container_mount(
    "storage: {d: {type: filesystem}}\ncontainers: {w: {mounts: [{storage: d, location: /d}]}}"
)]
#[case::extra_bindings("extra-bindings: {public: ~, internal: , legacy: {}}")]
#[case::assumes_flat("assumes: [k8s-api, juju >= 3.4]")]
#[case::assumes_nested("assumes: [{any-of: [juju >= 3.4, {all-of: [juju >= 2.9, k8s-api]}]}]")]
#[case::config_unknown_type_loads("config: {options: {a: {type: colour}}}")]
#[case::config_missing_type_loads("config: {options: {a: {default: 1}}}")]
#[case::charm_user("charm-user: non-root")]
#[case::links_string("website: https://x.example\nlinks: {source: [https://s.example]}")]
#[case::payloads("payloads: {p: {type: docker}}")]
#[case::scope_container("requires: {r: {interface: i, scope: container}}")]
#[case::action_typed(
    "actions: {a: {description: d, params: {n: {type: string}}, required: [n], \
     additionalProperties: false, execution-group: g, parallel: true}}"
)]
fn good_metadata_loads(#[case] body: &str) {
    if let Err(e) = load(body) {
        panic!("{body}: {e}");
    }
}

#[rstest]
#[case::storage_unknown_type("storage: {d: {type: tmpfs}}", &["storage", "tmpfs", "filesystem"])]
#[case::storage_no_type("storage: {d: {location: /d}}", &["storage", "type"])]
#[case::range_reversed("storage: {d: {type: block, multiple: {range: 5-2}}}", &["5-2", "N-M"])]
#[case::range_garbage("storage: {d: {type: block, multiple: {range: lots}}}", &["lots", "1-10"])]
#[case::storage_property("storage: {d: {type: block, properties: [fast]}}", &["storage.d.properties", "transient"])]
#[case::minimum_size("storage: {d: {type: block, minimum-size: big}}", &["storage.d.minimum-size", "1G"])]
#[case::mount_undeclared(
    "containers: {w: {mounts: [{storage: nope, location: /n}]}}",
    &["containers.w.mounts[0]", "\"nope\"", "declare it"]
)]
#[case::resource_and_bases(
    "resources: {img: {type: oci-image}}\ncontainers: {w: {resource: img, bases: [{name: ubuntu, channel: '22.04'}]}}",
    &["containers.w", "not both"]
)]
#[case::container_resource_file(
    "resources: {img: {type: file, filename: f}}\ncontainers: {w: {resource: img}}",
    &["oci-image"]
)]
#[case::resource_unknown_type("resources: {r: {type: tarball}}", &["resources", "tarball"])]
#[case::extra_binding_value("extra-bindings: {public: {x: 1}}", &["extra-bindings", "name: ~"])]
#[case::assumes_bad_condition("assumes: [{none-of: [k8s-api]}]", &["none-of", "any-of"])]
#[case::charm_user_unknown("charm-user: admin", &["charm-user", "admin"])]
#[case::scope_unknown("requires: {r: {interface: i, scope: model}}", &["scope", "model"])]
fn bad_metadata_is_refused(#[case] body: &str, #[case] needles: &[&str]) {
    let err = load(body).expect_err(body);
    assert!(err.contains("<string>"), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
}

#[test]
fn errors_from_a_charm_directory_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("charmcraft.yaml"),
        "type: charm\nname: x\nstorage: {d: {type: tmpfs}}\n",
    )
    .unwrap();
    let err = CharmMeta::load(dir).unwrap_err().to_string();
    assert!(
        err.contains("charmcraft.yaml") && err.contains("tmpfs"),
        "{err}"
    );
}

const REALISTIC: &str = r#"
name: webapp-k8s
type: charm
title: Web app
summary: A web application on Kubernetes.
description: |
  Serves the web application behind an ingress.
links:
  website: https://webapp.example
  source: [https://github.com/example/webapp-k8s]
  issues: https://github.com/example/webapp-k8s/issues
  documentation: https://discourse.example/t/webapp
  contact: Team <team@example.com>
maintainers: [Alice <alice@example.com>]
charm-user: sudoer
assumes:
  - k8s-api
  - any-of:
      - juju >= 3.4
      - all-of: [juju >= 3.1, juju < 3.2]
bases:
  - build-on: [{name: ubuntu, channel: "22.04"}]
    run-on: [{name: ubuntu, channel: "22.04"}]
containers:
  webapp:
    resource: webapp-image
    mounts:
      - storage: data
        location: /var/lib/webapp
      - storage: data
        location: /srv/cache
resources:
  webapp-image:
    type: oci-image
    description: OCI image for the web app
    upstream-source: ghcr.io/example/webapp:1.0
  seed:
    type: file
    filename: seed.sql
storage:
  data:
    type: filesystem
    location: /data
    minimum-size: 10G
    multiple:
      range: 1-3
requires:
  database:
    interface: postgresql_client
    limit: 1
  logging:
    interface: loki_push_api
    optional: true
provides:
  metrics-endpoint:
    interface: prometheus_scrape
peers:
  cluster:
    interface: webapp_peers
extra-bindings:
  public: ~
config:
  options:
    port:
      type: int
      default: 8080
      description: Port to listen on.
    debug:
      type: boolean
      default: false
    ratio: {type: float, default: 0.5}
    admin-password: {type: secret}
    greeting: {type: string, default: hello}
actions:
  backup:
    description: Back the data up.
    params:
      target: {type: string, description: Where to.}
    required: [target]
    additionalProperties: false
    execution-group: maintenance
    parallel: false
  restart:
    description: Restart the service.
"#;

#[test]
fn a_realistic_k8s_charmcraft_yaml_is_fully_typed() {
    let meta = CharmMeta::from_yaml(REALISTIC).unwrap();
    assert_eq!(meta.name, "webapp-k8s");
    assert_eq!(meta.charm_user, CharmUser::Sudoer);
    assert_eq!(
        meta.assumes,
        vec![
            JujuAssumes::Feature("k8s-api".into()),
            JujuAssumes::AnyOf(vec![
                JujuAssumes::Feature("juju >= 3.4".into()),
                JujuAssumes::AllOf(vec![
                    JujuAssumes::Feature("juju >= 3.1".into()),
                    JujuAssumes::Feature("juju < 3.2".into()),
                ]),
            ]),
        ]
    );
    let webapp = &meta.containers["webapp"];
    assert_eq!(webapp.resource.as_deref(), Some("webapp-image"));
    assert_eq!(webapp.bases, Vec::<ContainerBase>::new());
    assert_eq!(
        webapp.mounts[0],
        ContainerMount {
            storage: "data".into(),
            location: Some("/var/lib/webapp".into())
        }
    );
    assert_eq!(
        webapp.mount_locations("data"),
        vec!["/var/lib/webapp", "/srv/cache"]
    );
    assert_eq!(meta.resources["webapp-image"].kind, ResourceType::OciImage);
    assert_eq!(meta.resources["seed"].kind, ResourceType::File);
    assert_eq!(meta.resources["seed"].filename.as_deref(), Some("seed.sql"));
    let data = &meta.storage["data"];
    assert_eq!(data.kind, StorageType::Filesystem);
    assert_eq!(data.location.as_deref(), Some("/data"));
    assert_eq!(data.minimum_size.as_deref(), Some("10G"));
    assert_eq!(
        data.multiple.map(|m| m.range),
        Some(StorageRange {
            min: 1,
            max: Some(3)
        })
    );
    assert_eq!(meta.requires["database"].limit, Some(1));
    assert!(meta.requires["logging"].optional);
    assert_eq!(meta.peers["cluster"].scope, None);
    assert!(!meta.peers["cluster"].is_container_scoped());
    assert_eq!(meta.extra_bindings["public"], ExtraBinding);
    let kind = |name: &str| meta.config.options[name].kind.clone();
    assert_eq!(kind("port"), Some(ConfigType::Int));
    assert_eq!(kind("debug"), Some(ConfigType::Boolean));
    assert_eq!(kind("ratio"), Some(ConfigType::Float));
    assert_eq!(kind("admin-password"), Some(ConfigType::Secret));
    assert_eq!(kind("greeting"), Some(ConfigType::String));
    assert_eq!(
        meta.config.options["port"].default,
        Some(serde_json::json!(8080))
    );
    let backup = &meta.actions["backup"];
    assert_eq!(backup.required, vec!["target".to_owned()]);
    assert_eq!(backup.params["target"]["type"], "string");
    assert_eq!(backup.additional_properties, Some(false));
    assert_eq!(backup.execution_group.as_deref(), Some("maintenance"));
    assert_eq!(backup.parallel, Some(false));
    assert_eq!(meta.actions["restart"].additional_properties, None);
    assert_eq!(
        meta.all_maintainers(),
        vec!["Alice <alice@example.com>", "Team <team@example.com>"]
    );
    let links = meta.all_links();
    assert_eq!(links.website, vec!["https://webapp.example".to_owned()]);
    assert_eq!(
        links.issues,
        vec!["https://github.com/example/webapp-k8s/issues".to_owned()]
    );
    assert_eq!(
        links.documentation.as_deref(),
        Some("https://discourse.example/t/webapp")
    );
}

#[test]
fn storage_ranges_parse_and_print() {
    let r = |min, max| StorageRange { min, max };
    assert_eq!(StorageRange::parse("2"), Ok(r(2, Some(2))));
    assert_eq!(StorageRange::parse("1-10"), Ok(r(1, Some(10))));
    assert_eq!(StorageRange::parse("3-"), Ok(r(3, None)));
    assert_eq!(StorageRange::parse("3+"), Ok(r(3, None)));
    assert!(StorageRange::parse("-3").is_err());
    assert_eq!(r(1, Some(10)).to_string(), "1-10");
    assert_eq!(r(3, None).to_string(), "3-");
}

#[test]
fn unknown_config_types_are_kept_for_the_consistency_checker() {
    let meta = load("config: {options: {a: {type: colour}}}").unwrap();
    let kind = meta.config.options["a"].kind.clone().unwrap();
    assert_eq!(kind, ConfigType::Other("colour".into()));
    assert_eq!(kind.as_str(), "colour");
}

#[test]
fn scope_is_typed() {
    let meta = load("requires: {r: {interface: i, scope: container}}").unwrap();
    assert_eq!(meta.requires["r"].scope, Some(RelationScope::Container));
    assert!(meta.requires["r"].is_container_scoped());
}

// Given in code, config (or actions) both inside the document and
// separately is refused, as ops.testing refuses `Context(meta=..., config=...)`;
// a charm directory's legacy files are read as ops.testing's autoload reads
// them, the separate file winning.
#[test]
fn legacy_yaml_refuses_config_and_actions_given_twice() {
    let doc = "name: x\nconfig:\n  options:\n    a: {type: string}\nactions:\n  go: {}\n";
    let config = "options:\n  b: {type: int}\n";
    let actions = "stop: {}\n";
    for (config, actions, key) in [
        (Some(config), None, "config"),
        (None, Some(actions), "actions"),
    ] {
        let err = CharmMeta::from_legacy_yaml(doc, config, actions).unwrap_err();
        assert!(matches!(err, ops::MetadataError::Invalid { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&format!("`{key}`")), "{text}");
    }
    let meta = CharmMeta::from_legacy_yaml("name: x\n", Some(config), Some(actions)).unwrap();
    assert!(meta.config.options.contains_key("b"));
    assert!(meta.actions.contains_key("stop"));

    let dir = std::env::temp_dir().join(format!("ops-meta-legacy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("metadata.yaml"), doc).unwrap();
    std::fs::write(dir.join("config.yaml"), config).unwrap();
    let loaded = CharmMeta::load(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let loaded = loaded.unwrap();
    assert_eq!(loaded.config.options.keys().collect::<Vec<_>>(), vec!["b"]);
    assert!(loaded.actions.contains_key("go"));
}
