//! Port of <https://github.com/canonical/operator/blob/main/testing/tests/test_check_info.py>.
//!
//! Upstream converts a level given as a string when the `CheckInfo` is
//! built; here the typed field takes a `CheckLevel`, and a State read from
//! JSON converts the string (`""` is Pebble's unset level, `None`).

use ops::pebble::{CheckLevel, CheckStartup, CheckStatus};
use ops_testing::CheckInfo;
use rstest::rstest;
use serde_json::json;

#[test]
fn test_check_info_defaults() {
    let check_info = CheckInfo::new("Mairon");
    assert_eq!(check_info.name, "Mairon");
    assert_eq!(check_info.level, None);
    assert_eq!(check_info.startup, CheckStartup::Enabled);
    assert_eq!(check_info.status, CheckStatus::Up);
    assert_eq!(check_info.successes, Some(0));
    assert_eq!(check_info.failures, 0);
    assert_eq!(check_info.threshold, Some(3));
    assert!(!check_info.change_id.is_empty());
}

#[rstest]
#[case("", None)]
#[case("alive", Some(CheckLevel::Alive))]
#[case("ready", Some(CheckLevel::Ready))]
fn test_check_info_good_level_converted(#[case] level: &str, #[case] want: Option<CheckLevel>) {
    let check_info: CheckInfo =
        serde_json::from_value(json!({"name": "Fëanor", "level": level})).unwrap();
    assert_eq!(check_info.level, want);
}

#[test]
fn test_check_info_bad_level() {
    let result = serde_json::from_value::<CheckInfo>(json!({"name": "Melkor", "level": 1}));
    assert!(result.is_err());
}

/// Unknown startup and status values are kept verbatim (Pebble's enums
/// keep an `Unknown` variant for values a newer daemon may send).
#[test]
fn test_check_info_bad_startup_and_status() {
    let check_info: CheckInfo =
        serde_json::from_value(json!({"name": "Maedhros", "startup": "bad", "status": "worse"}))
            .unwrap();
    assert_eq!(check_info.startup.as_str(), "bad");
    assert_eq!(check_info.status.as_str(), "worse");
}

#[test]
fn test_check_info_threshold_none() {
    let check_info = CheckInfo::new("Fingon").threshold(None);
    assert_eq!(check_info.threshold, None);
}
