//! The provider against ops-testing, with a tiny charm that ships
//! dashboards in a temporary charm directory.

use grafana_dashboard::{
    DashboardIssue, DashboardStatus, DashboardTemplate, GrafanaDashboardEvent,
    GrafanaDashboardProvider, ProviderState, alt_uid, decode_content, encode_content,
    is_path40_uid, path40_uid,
};
use ops::{
    ActionEvent, ActiveStatus, BlockedStatus, Charm, CharmMeta, Framework, HandlerResult, Model,
};
use ops_testing as testing;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::Path;

const META: &str = "\
name: dash
provides:
  grafana-dashboard:
    interface: grafana_dashboard
actions:
  add:
    params:
      content:
        type: string
  remove: {}
";

const OBJECT: &str = "DashCharm/GrafanaDashboardProvider[grafana-dashboard]";

/// The charm: the provider with a fixed uuid, an `add` and a `remove`
/// action, and a status from Grafana's report.
struct DashCharm {
    model: Model,
    grafana: GrafanaDashboardProvider,
}

impl Charm for DashCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        build(framework, true)
    }
}

fn build(framework: &mut Framework<DashCharm>, fixed_uuid: bool) -> DashCharm {
    let mut scope = framework.object("grafana-dashboard", |c: &mut DashCharm| &mut c.grafana);
    let mut grafana = GrafanaDashboardProvider::new(&mut scope, "grafana-dashboard");
    if fixed_uuid {
        grafana = grafana.with_uuid_source(|| "00000000-0000-4000-8000-000000000000".to_owned());
    }
    framework.observe(grafana.dashboard_status_changed.on(), DashCharm::on_status);
    framework.observe(ops::on::action("add"), DashCharm::on_add);
    framework.observe(ops::on::action("remove"), DashCharm::on_remove);
    DashCharm {
        model: framework.model().clone(),
        grafana,
    }
}

impl DashCharm {
    /// Grafana writes `errors` without `valid` (which then reads as true),
    /// so the charm looks at both.
    fn on_status(&mut self, event: &mut GrafanaDashboardEvent) -> HandlerResult {
        if event.valid && event.errors.is_empty() {
            self.model.unit().set_status(ActiveStatus::new(""))?;
        } else {
            self.model
                .unit()
                .set_status(BlockedStatus::new(&event.error_message))?;
        }
        Ok(())
    }

    fn on_add(&mut self, event: &mut ActionEvent) -> HandlerResult {
        let content = event.params()["content"].as_str().unwrap_or("").to_owned();
        self.grafana.add_dashboard(&content, true)?;
        Ok(())
    }

    fn on_remove(&mut self, _: &mut ActionEvent) -> HandlerResult {
        self.grafana.remove_non_builtin_dashboards()?;
        Ok(())
    }
}

/// A charm directory with `files` in `src/grafana_dashboards`.
fn charm_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let dashboards = dir.path().join("src/grafana_dashboards");
    std::fs::create_dir_all(&dashboards).unwrap();
    for (name, content) in files {
        std::fs::write(dashboards.join(name), content).unwrap();
    }
    dir
}

fn context(root: &Path) -> testing::Context<DashCharm> {
    testing::Context::new(CharmMeta::from_yaml(META).unwrap()).charm_root(root)
}

fn grafana() -> testing::Relation {
    testing::Relation {
        remote_app_name: "grafana".into(),
        ..testing::Relation::new("grafana-dashboard")
    }
}

fn state(leader: bool, relations: &[&testing::Relation]) -> testing::State {
    testing::State {
        leader,
        relations: relations.iter().map(|r| (*r).clone().into()).collect(),
        ..testing::State::default()
    }
}

/// The `dashboards` value the leader wrote on `relation`.
fn sent(out: &testing::State, relation: &testing::Relation) -> Value {
    let bag = out.get_relation(relation.id).unwrap().local_app_data();
    serde_json::from_str(&bag["dashboards"]).unwrap()
}

/// The dashboard JSON inside a template.
fn dashboard(template: &Value) -> Value {
    serde_json::from_str(&decode_content(template["content"].as_str().unwrap()).unwrap()).unwrap()
}

fn topology() -> Value {
    let model = testing::Model::default();
    json!({
        "model": model.name,
        "model_uuid": model.uuid,
        "application": "dash",
        "unit": "dash/0",
    })
}

#[test]
fn the_leader_sends_the_dashboard_files_on_relation_created() {
    let dir = charm_dir(&[("overview.json", r#"{"title": "Overview", "uid": ""}"#)]);
    let mut ctx = context(dir.path());
    let rel = grafana();
    let out = ctx
        .run(ctx.on.relation_created(&rel), &state(true, &[&rel]))
        .unwrap();
    // The dashboard as the provider changes it: a path-based uid and the
    // charm's tag; serde_json writes the keys sorted and compact.
    let uid = path40_uid(&["dash", "src/grafana_dashboards/overview.json"]);
    let expected_dashboard =
        format!(r#"{{"tags":["charm: dash"],"title":"Overview","uid":"{uid}"}}"#);
    assert_eq!(
        sent(&out, &rel),
        json!({
            "templates": {
                "file:overview": {
                    "charm": "dash",
                    "content": encode_content(&expected_dashboard).unwrap(),
                    "juju_topology": topology(),
                    "inject_dropdowns": true,
                    "dashboard_alt_uid": alt_uid("dash", "file:overview"),
                }
            },
            "uuid": "00000000-0000-4000-8000-000000000000",
        })
    );
}

#[test]
fn the_content_decodes_back_to_the_dashboard() {
    let file =
        r#"{"title": "Overview", "panels": [{"type": "logs", "title": "Logs"}], "tags": ["web"]}"#;
    let dir = charm_dir(&[("overview.json", file)]);
    let mut ctx = context(dir.path());
    let rel = grafana();
    let out = ctx
        .run(ctx.on.relation_created(&rel), &state(true, &[&rel]))
        .unwrap();
    let got = dashboard(&sent(&out, &rel)["templates"]["file:overview"]);
    let mut want: Value = serde_json::from_str(file).unwrap();
    want["uid"] = path40_uid(&["dash", "src/grafana_dashboards/overview.json"]).into();
    want["tags"] = json!(["web", "charm: dash"]);
    assert_eq!(got, want);
}

#[test]
fn a_path40_uid_and_a_charm_tag_are_kept() {
    let uid = "A1F4EECAD2CE7E2C8EA1935B970EB4A0A5A22712";
    let file = format!(r#"{{"title": "T", "uid": "{uid}", "tags": ["charm: other"]}}"#);
    let dir = charm_dir(&[("kept.json", &file)]);
    let mut ctx = context(dir.path());
    let rel = grafana();
    let out = ctx
        .run(ctx.on.relation_created(&rel), &state(true, &[&rel]))
        .unwrap();
    let got = dashboard(&sent(&out, &rel)["templates"]["file:kept"]);
    assert_eq!(got["uid"], uid);
    assert_eq!(got["tags"], json!(["charm: other"]));
}

#[test]
fn a_non_leader_writes_nothing() {
    let dir = charm_dir(&[("overview.json", r#"{"title": "Overview"}"#)]);
    let mut ctx = context(dir.path());
    let rel = grafana();
    let input = state(false, &[&rel]);
    for event in [
        ctx.on.relation_created(&rel),
        ctx.on.config_changed(),
        ctx.on.upgrade_charm(),
    ] {
        let out = ctx.run(event, &input).unwrap();
        assert!(
            out.get_relation(rel.id)
                .unwrap()
                .local_app_data()
                .is_empty()
        );
        assert_eq!(out, input);
    }
}

#[test]
fn leader_elected_upgrade_and_config_changed_send_again() {
    let dir = charm_dir(&[("overview.json", r#"{"title": "Overview"}"#)]);
    let mut ctx = context(dir.path());
    let rel = grafana();
    let input = state(true, &[&rel]);
    for event in [
        ctx.on.leader_elected(),
        ctx.on.upgrade_charm(),
        ctx.on.config_changed(),
    ] {
        let out = ctx.run(event, &input).unwrap();
        assert!(sent(&out, &rel)["templates"]["file:overview"].is_object());
    }
}

#[test]
fn every_relation_of_the_endpoint_gets_the_dashboards() {
    let dir = charm_dir(&[("overview.json", r#"{"title": "Overview"}"#)]);
    let mut ctx = context(dir.path());
    let (one, two) = (grafana(), grafana());
    let out = ctx
        .run(ctx.on.config_changed(), &state(true, &[&one, &two]))
        .unwrap();
    assert_eq!(sent(&out, &one), sent(&out, &two));
}

#[test]
fn the_content_and_uids_are_stable_and_the_uuid_is_new_each_time() {
    let dir = charm_dir(&[("overview.json.tmpl", r#"{"title": "Overview"}"#)]);
    let mut ctx = context(dir.path()).with_charm(|framework| build(framework, false));
    let rel = grafana();
    let input = state(true, &[&rel]);
    let first = sent(&ctx.run(ctx.on.config_changed(), &input).unwrap(), &rel);
    let second = sent(&ctx.run(ctx.on.config_changed(), &input).unwrap(), &rel);
    // The id is the file name without its last extension, as upstream's stem.
    let id = "file:overview.json";
    assert_eq!(first["templates"], second["templates"]);
    assert_eq!(
        first["templates"][id]["dashboard_alt_uid"],
        alt_uid("dash", id)
    );
    let uid = dashboard(&first["templates"][id])["uid"].clone();
    assert!(is_path40_uid(uid.as_str().unwrap()), "{uid}");
    let (a, b) = (
        first["uuid"].as_str().unwrap(),
        second["uuid"].as_str().unwrap(),
    );
    assert_ne!(a, b);
    for uuid in [a, b] {
        assert_eq!(uuid.len(), 36, "{uuid}");
        assert_eq!(&uuid[14..15], "4", "a version-4 uuid: {uuid}");
    }
}

#[test]
fn a_missing_dashboards_directory_sends_no_templates_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(dir.path());
    let rel = grafana();
    let out = ctx
        .run(ctx.on.relation_created(&rel), &state(true, &[&rel]))
        .unwrap();
    assert_eq!(
        sent(&out, &rel),
        json!({"templates": {}, "uuid": "00000000-0000-4000-8000-000000000000"})
    );
    let warned = ctx.juju_log.lines().any(|(level, message)| {
        level == ops::LogLevel::Warning
            && message.contains("Invalid Grafana dashboards folder")
            && message.contains("directory does not exist")
    });
    assert!(warned, "{:?}", ctx.juju_log.lines().collect::<Vec<_>>());
}

#[test]
fn only_dashboard_files_that_are_json_objects_are_sent() {
    let dir = charm_dir(&[
        ("good.json", r#"{"title": "Good"}"#),
        ("broken.json", "{not json"),
        ("list.tmpl", "[1, 2]"),
        ("README.md", "not a dashboard"),
    ]);
    std::fs::create_dir(dir.path().join("src/grafana_dashboards/nested.json")).unwrap();
    let mut ctx = context(dir.path());
    let rel = grafana();
    let out = ctx
        .run(ctx.on.relation_created(&rel), &state(true, &[&rel]))
        .unwrap();
    let templates = sent(&out, &rel)["templates"].clone();
    let ids: Vec<&String> = templates.as_object().unwrap().keys().collect();
    assert_eq!(ids, ["file:good"]);
    let errors: Vec<String> = ctx
        .juju_log
        .lines()
        .filter(|(level, _)| *level == ops::LogLevel::Error)
        .map(|(_, message)| message.to_owned())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("Failed to load dashboard"), "{errors:?}");
    assert!(errors[1].contains("expected a JSON object"), "{errors:?}");
}

struct OtherPathCharm {
    _grafana: GrafanaDashboardProvider,
}

impl Charm for OtherPathCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let mut scope = framework.object("grafana-dashboard", |c: &mut Self| &mut c._grafana);
        let grafana = GrafanaDashboardProvider::new(&mut scope, "grafana-dashboard")
            .with_dashboards_path("dashboards");
        OtherPathCharm { _grafana: grafana }
    }
}

#[test]
fn the_dashboards_path_can_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("dashboards")).unwrap();
    std::fs::write(dir.path().join("dashboards/a.json"), r#"{"title": "A"}"#).unwrap();
    let mut ctx = testing::Context::<OtherPathCharm>::new(CharmMeta::from_yaml(META).unwrap())
        .charm_root(dir.path());
    let rel = grafana();
    let out = ctx
        .run(ctx.on.relation_created(&rel), &state(true, &[&rel]))
        .unwrap();
    let template = &sent(&out, &rel)["templates"]["file:a"];
    assert_eq!(
        dashboard(template)["uid"],
        path40_uid(&["dash", "dashboards/a.json"])
    );
}

#[test]
fn added_dashboards_are_stored_and_sent_until_removed() {
    let dir = charm_dir(&[("overview.json", r#"{"title": "Overview"}"#)]);
    let mut ctx = context(dir.path());
    let rel = grafana();
    let content = r#"{"title": "Added"}"#;
    let out = ctx
        .run(
            ctx.on.action("add").params(json!({"content": content})),
            &state(true, &[&rel]),
        )
        .unwrap();
    let templates = sent(&out, &rel)["templates"].clone();
    let encoded = encode_content(content).unwrap();
    let id = format!("prog:{}", &encoded[encoded.len() - 24..encoded.len() - 16]);
    let want = DashboardTemplate {
        charm: "dash".into(),
        content: encoded,
        juju_topology: topology().as_object().unwrap().clone(),
        inject_dropdowns: true,
        dashboard_alt_uid: Some(alt_uid("dash", &id)),
    };
    assert_eq!(templates[&id], serde_json::to_value(&want).unwrap());
    assert!(templates["file:overview"].is_object());
    // Added dashboards are kept (and sent again by later events).
    let stored: ProviderState = out.stored_state_of(OBJECT, "_stored").unwrap();
    assert_eq!(stored.dashboard_templates.keys().collect::<Vec<_>>(), [&id]);
    let out = ctx.run(ctx.on.config_changed(), &out).unwrap();
    assert_eq!(sent(&out, &rel)["templates"][&id], templates[&id]);
    // Removing them leaves the file dashboards.
    let out = ctx.run(ctx.on.action("remove"), &out).unwrap();
    let ids: Vec<String> = sent(&out, &rel)["templates"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(ids, ["file:overview"]);
}

#[test]
fn a_non_leader_keeps_added_dashboards_for_later() {
    let dir = charm_dir(&[]);
    let mut ctx = context(dir.path());
    let rel = grafana();
    let out = ctx
        .run(
            ctx.on.action("add").params(json!({"content": "{}"})),
            &state(false, &[&rel]),
        )
        .unwrap();
    assert!(
        out.get_relation(rel.id)
            .unwrap()
            .local_app_data()
            .is_empty()
    );
    let stored: ProviderState = out.stored_state_of(OBJECT, "_stored").unwrap();
    assert_eq!(stored.dashboard_templates.len(), 1);
    // Once leader, the unit sends it.
    let out = ctx
        .run(
            ctx.on.leader_elected(),
            &testing::State {
                leader: true,
                ..out
            },
        )
        .unwrap();
    assert_eq!(sent(&out, &rel)["templates"].as_object().unwrap().len(), 1);
}

#[test]
fn grafanas_report_becomes_dashboard_status_changed() {
    let dir = charm_dir(&[]);
    let mut ctx = context(dir.path());
    let report = json!({"errors": [{"dashboard_id": "file:a", "error": "bad datasource"},
                                   {"dashboard_id": "file:b", "error": "no panels"}]});
    let rel = testing::Relation {
        remote_app_data: [("event", report.to_string().as_str())].into(),
        ..grafana()
    };
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &state(true, &[&rel]))
        .unwrap();
    assert_eq!(
        out.unit_status,
        testing::BlockedStatus::new("bad datasource; no panels")
    );
    let emitted: Vec<&str> = ctx.emitted_events.iter().map(|e| e.name.as_str()).collect();
    assert!(emitted.contains(&"dashboard_status_changed"), "{emitted:?}");
    // Upstream reads a missing `valid` as true.
    let status: DashboardStatus = serde_json::from_value(
        ctx.emitted_events
            .iter()
            .find(|e| e.name == "dashboard_status_changed")
            .map(|e| serde_json::to_value(&e.snapshot).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(status.valid);
    assert_eq!(status.errors.len(), 2);
}

#[test]
fn a_valid_report_without_errors_is_an_event_too() {
    let dir = charm_dir(&[]);
    let mut ctx = context(dir.path());
    let rel = testing::Relation {
        remote_app_data: [("event", r#"{"valid": true}"#)].into(),
        ..grafana()
    };
    let out = ctx
        .run(ctx.on.relation_changed(&rel), &state(true, &[&rel]))
        .unwrap();
    assert_eq!(out.unit_status, testing::ActiveStatus::new(""));
}

#[test]
fn no_report_an_empty_one_or_a_follower_emits_nothing() {
    let dir = charm_dir(&[]);
    let mut ctx = context(dir.path());
    for (leader, event) in [
        (true, None),
        (true, Some("{}")),
        (true, Some("not json")),
        (false, Some(r#"{"valid": false}"#)),
    ] {
        let rel = testing::Relation {
            remote_app_data: event.map(|e| [("event", e)].into()).unwrap_or_default(),
            ..grafana()
        };
        let out = ctx
            .run(ctx.on.relation_changed(&rel), &state(leader, &[&rel]))
            .unwrap();
        assert_eq!(out.unit_status, testing::State::default().unit_status);
    }
}

#[test]
fn the_status_event_data_round_trips() {
    let status = DashboardStatus {
        valid: false,
        errors: vec![DashboardIssue {
            dashboard_id: "file:a".into(),
            error: "bad".into(),
        }],
        error_message: "bad".into(),
    };
    let value = serde_json::to_value(&status).unwrap();
    assert_eq!(
        serde_json::from_value::<DashboardStatus>(value).unwrap(),
        status
    );
}

struct DropdownsOffCharm {
    grafana: GrafanaDashboardProvider,
}

impl Charm for DropdownsOffCharm {
    fn new(framework: &mut Framework<Self>) -> Self {
        let mut scope = framework.object("grafana-dashboard", |c: &mut Self| &mut c.grafana);
        let grafana = GrafanaDashboardProvider::new(&mut scope, "grafana-dashboard");
        framework.observe(ops::on::start(), |c: &mut Self, _: &mut ops::StartEvent| {
            c.grafana.reload_dashboards(false)?;
            Ok(())
        });
        DropdownsOffCharm { grafana }
    }
}

#[test]
fn reload_without_dropdowns_sends_no_topology() {
    let dir = charm_dir(&[("overview.json", r#"{"title": "Overview"}"#)]);
    let mut ctx = testing::Context::<DropdownsOffCharm>::new(CharmMeta::from_yaml(META).unwrap())
        .charm_root(dir.path());
    let rel = grafana();
    let out = ctx.run(ctx.on.start(), &state(true, &[&rel])).unwrap();
    let template = &sent(&out, &rel)["templates"]["file:overview"];
    assert_eq!(template["inject_dropdowns"], false);
    assert_eq!(template["juju_topology"], json!({}));
}

#[test]
fn an_endpoint_with_another_interface_fails_the_hook() {
    let meta = CharmMeta::from_yaml(&META.replace(
        "interface: grafana_dashboard",
        "interface: grafana_datasource",
    ))
    .unwrap();
    let mut ctx = testing::Context::<DashCharm>::new(meta);
    let rel = grafana();
    let err = ctx
        .run(ctx.on.relation_created(&rel), &state(true, &[&rel]))
        .unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("\"grafana_datasource\""), "{text}");
    assert!(text.contains("interface: grafana_dashboard"), "{text}");
}

#[test]
fn an_endpoint_under_requires_fails_the_hook() {
    let meta = CharmMeta::from_yaml(&META.replace("provides:", "requires:")).unwrap();
    let mut ctx = testing::Context::<DashCharm>::new(meta);
    let err = ctx
        .run(ctx.on.config_changed(), &testing::State::default())
        .unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("declared under `requires`"), "{text}");
}
