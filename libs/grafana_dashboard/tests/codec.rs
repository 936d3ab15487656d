//! The encoding and the uids against values computed with Python (the
//! standard library's `lzma`, `base64` and `hashlib`, which the upstream
//! library and `cosl` use).

use grafana_dashboard::{
    alt_uid, decode_content, encode_content, is_path40_uid, path40_uid, shake256_hex,
};
use pretty_assertions::assert_eq;

/// `python3 -c "import hashlib; print(hashlib.shake_256(
/// 'fastapi-demo-file:FastAPI-Monitoring.json'.encode()).hexdigest(8))"`:
/// upstream's `_generate_alt_uid('fastapi-demo', 'file:FastAPI-Monitoring.json')`.
const PY_ALT_UID: &str = "831ef532d49811fe";

/// `python3 -c "import hashlib; print(hashlib.shake_256(
/// 'fastapi-demo-src/grafana_dashboards/FastAPI-Monitoring.json.tmpl'.encode()).hexdigest(20))"`:
/// `cosl`'s `DashboardPath40UID.generate('fastapi-demo',
/// 'src/grafana_dashboards/FastAPI-Monitoring.json.tmpl')`.
const PY_PATH40_UID: &str = "a1f4eecad2ce7e2c8ea1935b970eb4a0a5a22712";

/// `python3 -c "import lzma, base64; print(base64.b64encode(
/// lzma.compress(b'{\"title\": \"x\"}')).decode())"`: what the Python
/// library sends for that dashboard.
const PY_CONTENT: &str = "/Td6WFoAAATm1rRGAgAhARYAAAB0L+WjAQANeyJ0aXRsZSI6ICJ4In0AAAAn3KudIL8Q6QABJg4IG+AEH7bzfQEAAAAABFla";

/// What [`encode_content`] gives for the same dashboard. Checked once with
/// `python3 -c "import lzma, base64; print(lzma.decompress(
/// base64.b64decode('<this value>')))"`, which prints `b'{"title": "x"}'`.
/// It differs from [`PY_CONTENT`] only in the block header's dictionary
/// size (4 KiB here, the preset's 8 MiB there). If an update of the xz
/// encoder changes it, check the new value with Python the same way.
const OUR_CONTENT: &str = "/Td6WFoAAATm1rRGAgAhAQAAAAA3J5fWAQANeyJ0aXRsZSI6ICJ4In0AAAAn3KudIL8Q6QABJg4IG+AEH7bzfQEAAAAABFla";

#[test]
fn the_alt_uid_is_pythons() {
    assert_eq!(
        alt_uid("fastapi-demo", "file:FastAPI-Monitoring.json"),
        PY_ALT_UID
    );
}

#[test]
fn the_path40_uid_is_pythons() {
    let uid = path40_uid(&[
        "fastapi-demo",
        "src/grafana_dashboards/FastAPI-Monitoring.json.tmpl",
    ]);
    assert_eq!(uid, PY_PATH40_UID);
    assert!(is_path40_uid(&uid));
}

#[test]
fn path40_uids_are_forty_hex_digits() {
    assert!(is_path40_uid(&PY_PATH40_UID.to_uppercase()));
    assert!(!is_path40_uid(""));
    assert!(!is_path40_uid("LPGoVNc4z"));
    assert!(!is_path40_uid(&PY_PATH40_UID[..39]));
    assert!(!is_path40_uid(&format!("{}g", &PY_PATH40_UID[..39])));
    assert_eq!(shake256_hex("", 4), "46b9dd2b");
}

#[test]
fn pythons_content_decodes() {
    assert_eq!(decode_content(PY_CONTENT).unwrap(), r#"{"title": "x"}"#);
}

#[test]
fn our_content_is_the_python_checked_value() {
    assert_eq!(encode_content(r#"{"title": "x"}"#).unwrap(), OUR_CONTENT);
}

#[test]
fn content_round_trips_and_compresses() {
    let dashboard = include_str!(
        "../../../examples/k8s-5-observe/src/grafana_dashboards/FastAPI-Monitoring.json.tmpl"
    );
    let encoded = encode_content(dashboard).unwrap();
    assert_eq!(decode_content(&encoded).unwrap(), dashboard);
    // A real LZMA2 encoder: even after base64, smaller than the JSON.
    assert!(encoded.len() < dashboard.len(), "{}", encoded.len());
}

#[test]
fn bad_content_is_a_typed_error() {
    let err = decode_content("not base64!").unwrap_err();
    assert!(err.to_string().contains("base64"), "{err}");
    let err = decode_content("aGVsbG8=").unwrap_err();
    assert!(err.to_string().contains("decompress"), "{err}");
}

/// Python's `lzma` reads what we send for the k8s-5 dashboard (skipped
/// where `python3` is not installed).
#[test]
fn python_reads_our_content() {
    let dashboard = include_str!(
        "../../../examples/k8s-5-observe/src/grafana_dashboards/FastAPI-Monitoring.json.tmpl"
    );
    let encoded = encode_content(dashboard).unwrap();
    let script = "import base64, lzma, sys; \
                  sys.stdout.write(lzma.decompress(base64.b64decode(sys.argv[1])).decode())";
    let output = match std::process::Command::new("python3")
        .args(["-c", script, &encoded])
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            eprintln!("skipped: python3 is not available ({e})");
            return;
        }
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap(), dashboard);
}

#[test]
fn random_uuids_are_version_4_and_differ() {
    let (a, b) = (
        grafana_dashboard::random_uuid(),
        grafana_dashboard::random_uuid(),
    );
    assert_ne!(a, b);
    for uuid in [&a, &b] {
        let groups: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12],
            "{uuid}"
        );
        assert!(groups[2].starts_with('4'), "version 4: {uuid}");
        assert!(
            matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "RFC 4122 variant: {uuid}"
        );
        assert!(uuid.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()));
    }
}
