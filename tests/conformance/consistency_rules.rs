//! Every consistency-checker rule of ops.testing (the ids of the reference
//! catalogue, section f) names the test that checks it, and this module
//! checks that each named test exists, so a rule cannot lose its test
//! unnoticed.

use std::collections::BTreeSet;
use std::path::Path;

/// Rule id → the tests (`module::function` under `tests/conformance/`) that
/// check it, or a reason when the rule cannot be broken in Rust.
const RULES: &[(&str, Coverage)] = &[
    (
        "C1",
        Tests(&["consistency_checker::test_evt_bad_container_name"]),
    ),
    (
        "C2",
        Tests(&["consistency_checker::test_container_not_in_state"]),
    ),
    (
        "C3",
        Tests(&["consistency_checker::test_workload_event_without_container"]),
    ),
    (
        "C4",
        Tests(&["consistency_checker::test_check_info_container_matches_event"]),
    ),
    (
        "C5",
        Tests(&["consistency_checker::test_container_in_state_but_no_container_in_meta"]),
    ),
    (
        "C6",
        Tests(&["consistency_checker::test_checkinfo_matches_layer"]),
    ),
    (
        "C7",
        Tests(&["consistency_checker::test_checkinfo_matches_layer_with_defaults"]),
    ),
    (
        "C8",
        Tests(&["consistency_checker::test_checkinfo_matches_layer_with_defaults"]),
    ),
    (
        "C9",
        Tests(&["consistency_checker::test_checkinfo_matches_layer_with_defaults"]),
    ),
    ("E0", Tests(&["consistency_checker::test_base"])),
    ("E1", Tests(&["consistency_checker::test_evt_no_relation"])),
    (
        "E2",
        Tests(&["consistency_checker::test_evt_bad_relation_name"]),
    ),
    (
        "E3",
        Tests(&["consistency_checker::test_relation_not_in_state"]),
    ),
    (
        "E4",
        Tests(&["consistency_checker::test_workload_event_without_container"]),
    ),
    (
        "E5",
        Tests(&["consistency_checker::test_container_meta_mismatch"]),
    ),
    (
        "E6",
        Tests(&["consistency_checker::test_container_not_in_state"]),
    ),
    (
        "E7",
        Tests(&[
            "consistency_checker::test_workload_event_on_unconnectable_container_is_consistent",
        ]),
    ),
    (
        "E8",
        Tests(&["consistency_checker::test_exec_duplicate_command_prefix_inconsistent"]),
    ),
    ("E9", Tests(&["consistency_checker::test_action_name"])),
    ("E10", Tests(&["consistency_checker::test_action_name"])),
    (
        "E11",
        Tests(&["consistency_checker::test_action_not_in_meta_inconsistent"]),
    ),
    (
        "E12",
        Tests(&["consistency_checker::test_action_meta_type_inconsistent"]),
    ),
    // Stricter than upstream: an unknown param type is an error, not a warning.
    (
        "E13",
        Tests(&["consistency_checker::test_action_meta_type_inconsistent"]),
    ),
    (
        "E14",
        Tests(&["consistency_checker::test_action_params_type"]),
    ),
    (
        "E15",
        Tests(&["consistency_checker::test_action_params_type"]),
    ),
    ("E16", Tests(&["consistency_checker::test_storage_event"])),
    ("E17", Tests(&["consistency_checker::test_storage_event"])),
    ("E18", Tests(&["consistency_checker::test_storage_event"])),
    (
        "E19",
        Tests(&["consistency_checker::test_storage_not_in_state"]),
    ),
    (
        "K1",
        Tests(&["consistency_checker::test_config_key_missing_from_meta"]),
    ),
    (
        "K2",
        Tests(&["consistency_checker::test_bad_config_option_type"]),
    ),
    (
        "K3",
        Tests(&[
            "consistency_checker::test_bad_config_option_type",
            "consistency_checker::test_config_secret_old_juju",
        ]),
    ),
    ("K4", Tests(&["consistency_checker::test_config_types"])),
    ("K5", Tests(&["consistency_checker::test_config_secret"])),
    ("R1", Tests(&["consistency_checker::test_resource_states"])),
    (
        "S1",
        Tests(&["consistency_checker::test_secret_not_in_state"]),
    ),
    (
        "S2",
        Tests(&[
            "consistency_checker::test_secrets_jujuv_bad",
            "consistency_checker::test_secrets_jujuv_good",
        ]),
    ),
    ("T1", Tests(&["consistency_checker::test_storage_states"])),
    ("T2", Tests(&["consistency_checker::test_storage_states"])),
    (
        "L1",
        Tests(&["consistency_checker::test_peer_relation_consistency"]),
    ),
    (
        "L2",
        Tests(&["consistency_checker::test_relation_without_endpoint"]),
    ),
    (
        "L3",
        Tests(&["consistency_checker::test_duplicate_relation_ids"]),
    ),
    (
        "L4",
        Tests(&["consistency_checker::test_relation_sub_inconsistent"]),
    ),
    (
        "L5",
        Tests(&["consistency_checker::test_sub_relation_consistency"]),
    ),
    (
        "L6",
        Tests(&["consistency_checker::test_duplicate_endpoints_inconsistent"]),
    ),
    (
        "L7",
        Tests(&["consistency_checker::test_own_unit_in_peers_data_consistency"]),
    ),
    (
        "L8",
        Tests(&[
            "consistency_checker::test_relation_changed_without_available_remote_unit_is_inconsistent",
        ]),
    ),
    (
        "L9",
        Tests(&[
            "consistency_checker::test_relation_changed_without_remote_unit_is_consistent_with_units",
        ]),
    ),
    (
        "N1",
        Tests(&["consistency_checker::test_networks_consistency"]),
    ),
    (
        "N2",
        Tests(&["consistency_checker::test_networks_consistency"]),
    ),
    (
        "Q1",
        Tests(&["consistency_checker::test_cloudspec_consistency"]),
    ),
    (
        "Z1",
        Tests(&["consistency_checker::test_storedstate_consistency"]),
    ),
    (
        "Z2",
        ByType(
            "stored-state content is a map of serde_json::Value, which always serializes; \
             a value that cannot be stored cannot be built",
        ),
    ),
];

/// How a rule is covered.
enum Coverage {
    /// By these tests.
    Tests(&'static [&'static str]),
    /// By the types: the inconsistency cannot be written (why).
    ByType(&'static str),
}
use Coverage::{ByType, Tests};

/// The rule ids of the reference catalogue, section f.
const CATALOGUE: &str = "C1 C2 C3 C4 C5 C6 C7 C8 C9 E0 E1 E2 E3 E4 E5 E6 E7 E8 E9 E10 E11 E12 \
    E13 E14 E15 E16 E17 E18 E19 K1 K2 K3 K4 K5 R1 S1 S2 T1 T2 L1 L2 L3 L4 L5 L6 L7 L8 L9 N1 N2 \
    Q1 Z1 Z2";

#[test]
fn every_consistency_rule_has_a_test() {
    let listed: Vec<&str> = RULES.iter().map(|(id, _)| *id).collect();
    let want: Vec<&str> = CATALOGUE.split_whitespace().collect();
    assert_eq!(
        listed, want,
        "RULES lists each catalogue rule once, in order"
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut missing = BTreeSet::new();
    for (id, coverage) in RULES {
        match coverage {
            Tests(tests) => {
                assert!(!tests.is_empty(), "{id} names no test");
                for test in *tests {
                    let (module, function) = test.split_once("::").expect("module::function");
                    let source = std::fs::read_to_string(dir.join(format!("{module}.rs")))
                        .unwrap_or_else(|e| panic!("{id}: cannot read {module}.rs: {e}"));
                    if !source.contains(&format!("fn {function}(")) {
                        missing.insert(format!("{id}: {test}"));
                    }
                }
            }
            ByType(reason) => assert!(!reason.is_empty(), "{id} gives no reason"),
        }
    }
    assert!(
        missing.is_empty(),
        "rules whose test does not exist: {missing:?}"
    );
}
