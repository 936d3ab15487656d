//! Metadata bytes -> `CharmMeta` through every in-memory loader: never a
//! panic, and (with libFuzzer's `-timeout`) never slow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ops::CharmMeta;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // As charmcraft.yaml (or a metadata.yaml given in code).
    let _ = CharmMeta::from_yaml(&text);
    // As the legacy trio, the same bytes in each file.
    let _ = CharmMeta::from_legacy_yaml(&text, Some(&text), Some(&text));
    // Split at the first NUL: metadata.yaml, then config.yaml.
    if let Some((metadata, config)) = text.split_once('\0') {
        let _ = CharmMeta::from_legacy_yaml(metadata, Some(config), None);
    }
});
