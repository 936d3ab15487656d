//! The typed status against real captures: every sample parses, and
//! serializing it gives back the same JSON (so no modelled field is lost).

use juju_integration::Status;
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::Value;

mod common;
use common::sample_path;

fn sample(name: &str) -> (String, Status) {
    let text = std::fs::read_to_string(sample_path(name)).expect("the sample");
    let status = Status::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    (text, status)
}

#[rstest]
fn every_sample_round_trips(
    #[values(
        "k8s-cos-lite-offers-storage-juju-3.6.1.json",
        "k8s-hook-error-relations-juju-2.9.50.json",
        "k8s-snappass-juju-3.6.1.json",
        "machine-subordinates-juju-2.9.52.json",
        "machine-subordinates-juju-3.6.4.json",
        "synthetic-status-errors-juju-3.6.1.json"
    )]
    name: &str,
) {
    let (text, status) = sample(name);
    let original: Value = serde_json::from_str(&text).unwrap();
    let written = serde_json::to_value(&status).unwrap();
    assert_eq!(written, original, "{name}");
    // And parsing what was written gives the same typed status.
    assert_eq!(Status::from_json(&written.to_string()).unwrap(), status);
}

#[test]
fn every_sample_in_the_directory_is_covered() {
    let dir = sample_path("");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    for name in &names {
        let (text, status) = sample(name);
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::from_str::<Value>(&text).unwrap(),
            "{name}"
        );
    }
    assert_eq!(names.len(), 6, "{names:?}");
}

#[test]
fn kubernetes_sample_fields_are_typed() {
    let (_, status) = sample("k8s-snappass-juju-3.6.1.json");
    assert!(status.is_kubernetes());
    assert_eq!(status.model.name, "tt");
    assert_eq!(status.model.version, "3.6.1");
    assert_eq!(status.model.sla.as_deref(), Some("unsupported"));
    assert!(status.machines.is_empty());
    let app = &status.apps["snappass-test"];
    assert_eq!(app.charm_rev, 9);
    assert_eq!(app.scale, Some(1));
    assert_eq!(app.charm_channel.as_deref(), Some("latest/stable"));
    assert_eq!(app.base.as_ref().unwrap().channel, "20.04");
    assert_eq!(app.app_status.current, "active");
    assert_eq!(app.app_status.message, "snappass started");
    let unit = &app.units["snappass-test/0"];
    assert!(unit.leader);
    assert_eq!(unit.workload_status.current, "active");
    assert_eq!(unit.juju_status.current, "idle");
    assert_eq!(unit.juju_status.version, "3.6.1");
    assert_eq!(unit.provider_id.as_deref(), Some("snappass-test-0"));
    assert_eq!(status.leader("snappass-test"), Some("snappass-test/0"));
    assert!(status.all_active(&[]));
    assert!(status.all_agents_idle(&["snappass-test"]));
    assert_eq!(
        status.controller.as_ref().unwrap().timestamp,
        "12:04:55+13:00"
    );
}

#[test]
fn subordinates_are_units_of_their_application() {
    let (_, status) = sample("machine-subordinates-juju-3.6.4.json");
    assert!(!status.is_kubernetes());
    let nrpe = &status.apps["nrpe"];
    assert!(nrpe.is_subordinate());
    assert!(nrpe.units.is_empty());
    let units: Vec<&str> = status.get_units("nrpe").into_keys().collect();
    assert_eq!(units, ["nrpe/1", "nrpe/2"]);
    assert_eq!(status.leaders("nrpe"), ["nrpe/1"]);
    assert_eq!(status.leader("nrpe"), Some("nrpe/1"));
    let scopes: Vec<Option<&str>> = nrpe
        .relations
        .values()
        .flatten()
        .map(|related| related.scope.as_deref())
        .collect();
    assert!(scopes.contains(&Some("container")), "{scopes:?}");
    let sub = status.get_units("nrpe")["nrpe/1"];
    assert!(!sub.open_ports.is_empty());
    assert!(!status.machines.is_empty());
    let machine = status.machines.values().next().unwrap();
    assert!(machine.hostname.is_some());
    assert!(machine.extra.contains_key("network-interfaces"));
}

#[test]
fn juju_29_relations_are_bare_names_and_hook_errors_show() {
    let (_, status) = sample("k8s-hook-error-relations-juju-2.9.50.json");
    let database = &status.apps["database"];
    assert_eq!(database.series.as_deref(), Some("jammy"));
    assert_eq!(database.relations["db"][0].related_application, "webapp");
    assert_eq!(database.relations["db"][0].interface, None);
    assert!(status.any_error(&[]));
    assert!(status.any_error(&["database"]));
    assert!(!status.any_error(&["webapp"]));
    assert!(!status.all_active(&[]));
    assert!(!status.all_waiting(&["webapp"]));
    assert!(status.any_waiting(&["webapp"]));
    assert_eq!(
        database.units["database/0"].workload_status.message,
        "hook failed: \"db-relation-created\" for webapp:db"
    );
}

#[test]
fn offers_and_storage_are_kept() {
    let (_, status) = sample("k8s-cos-lite-offers-storage-juju-3.6.1.json");
    assert!(!status.offers.is_empty());
    let offer = &status.offers["alertmanager-karma-dashboard"];
    assert_eq!(offer.application, "alertmanager");
    assert_eq!(offer.endpoints["karma-dashboard"].role, "provider");
    assert!(
        status
            .storage
            .as_ref()
            .unwrap()
            .get("filesystems")
            .is_some()
    );
    let peers = &status.apps["alertmanager"].relations["replicas"][0];
    assert_eq!(peers.related_application, "alertmanager");
}

#[test]
fn status_errors_make_entities_failed() {
    let (_, status) = sample("synthetic-status-errors-juju-3.6.1.json");
    let model_status = status.model.model_status.as_ref().unwrap();
    assert_eq!(model_status.current, "failed");
    assert_eq!(model_status.message, "model status error!");
    let app = &status.apps["app-failed"];
    assert_eq!(app.status_error.as_deref(), Some("app status error!"));
    assert_eq!(app.app_status.current, "failed");
    assert_eq!(app.charm, "<failed>");
    assert_eq!(app.charm_rev, -1);
    let unit = &status.apps["unit-failed"].units["unit-failed/0"];
    assert_eq!(unit.workload_status.current, "failed");
    assert_eq!(unit.juju_status.message, "unit status error!");
    assert_eq!(
        status.machines["machine-failed"].juju_status.current,
        "failed"
    );
    assert_eq!(
        status.offers["offer-failed"].status_error.as_deref(),
        Some("offer status error!")
    );
    assert_eq!(
        status.app_endpoints["remote-app-failed"].app_status.current,
        "failed"
    );
    // Failed is neither active nor error.
    assert!(!status.all_active(&[]));
    assert!(!status.any_error(&[]));
}

#[test]
fn missing_apps_fail_all_and_are_ignored_by_any() {
    let (_, status) = sample("k8s-snappass-juju-3.6.1.json");
    assert!(!status.all_active(&["snappass-test", "missing"]));
    assert!(!status.all_agents_idle(&["missing"]));
    assert!(status.any_active(&["snappass-test", "missing"]));
    assert!(!status.any_blocked(&["missing"]));
    assert!(status.get_units("missing").is_empty());
    assert_eq!(status.leader("missing"), None);
}

#[test]
fn malformed_status_is_a_parse_error_naming_the_field() {
    let error = Status::from_json(r#"{"model": {}, "applications": []}"#).unwrap_err();
    assert!(error.to_string().contains("invalid type"), "{error}");
    assert!(Status::from_json("not json").is_err());
}

#[test]
fn same_as_ignores_the_controller_timestamp_and_changes_are_listed() {
    let (text, before) = sample("k8s-snappass-juju-3.6.1.json");
    let mut after = Status::from_json(&text).unwrap();
    after.controller.as_mut().unwrap().timestamp = "12:05:00+13:00".to_owned();
    assert!(after.same_as(&before));
    assert!(after.changes_since(&before).is_empty());
    let unit = after
        .apps
        .get_mut("snappass-test")
        .unwrap()
        .units
        .get_mut("snappass-test/0")
        .unwrap();
    unit.leader = false;
    unit.workload_status.current = "error".to_owned();
    assert!(!after.same_as(&before));
    assert_eq!(
        after.changes_since(&before),
        [
            "snappass-test/0: active/idle -> error/idle \"snappass started\"",
            "snappass-test/0: is no longer leader"
        ]
    );
    assert!(after.summary().contains("snappass-test/0: error/idle"));
    assert!(before.summary().contains("snappass-test/0*: active/idle"));
}

/// Round-tripping alone would pass if everything fell into `extra`: check
/// that only keys this crate does not model end up there.
#[test]
fn only_unmodelled_keys_are_kept_as_extra() {
    use juju_integration::status::Machine;
    use std::collections::BTreeSet;
    fn machines(out: &mut BTreeSet<String>, all: &std::collections::BTreeMap<String, Machine>) {
        for machine in all.values() {
            out.extend(machine.extra.keys().map(|k| format!("machine.{k}")));
            machines(out, &machine.containers);
        }
    }
    let mut extra = BTreeSet::new();
    for entry in std::fs::read_dir(sample_path("")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let (_, status) = sample(&name);
        extra.extend(status.extra.keys().map(|k| format!("status.{k}")));
        extra.extend(status.model.extra.keys().map(|k| format!("model.{k}")));
        machines(&mut extra, &status.machines);
        for app in status.apps.values() {
            extra.extend(app.extra.keys().map(|k| format!("app.{k}")));
            extra.extend(
                app.app_status
                    .extra
                    .keys()
                    .map(|k| format!("app-status.{k}")),
            );
            for related in app.relations.values().flatten() {
                extra.extend(related.extra.keys().map(|k| format!("relation.{k}")));
            }
            for unit in app.units.values() {
                extra.extend(unit.extra.keys().map(|k| format!("unit.{k}")));
                extra.extend(
                    unit.workload_status
                        .extra
                        .keys()
                        .map(|k| format!("status-info.{k}")),
                );
                extra.extend(
                    unit.juju_status
                        .extra
                        .keys()
                        .map(|k| format!("status-info.{k}")),
                );
                for sub in unit.subordinates.values() {
                    extra.extend(sub.extra.keys().map(|k| format!("unit.{k}")));
                }
            }
        }
        for offer in status.offers.values() {
            extra.extend(offer.extra.keys().map(|k| format!("offer.{k}")));
        }
    }
    let extra: Vec<String> = extra.into_iter().collect();
    assert_eq!(
        extra,
        [
            "machine.constraints",
            "machine.hardware",
            "machine.modification-status",
            "machine.network-interfaces",
        ]
    );
}
