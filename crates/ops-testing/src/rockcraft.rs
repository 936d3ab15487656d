//! A rock's own Pebble layer, read from its `rockcraft.yaml`.
//!
//! A rock built by Rockcraft carries the `services` and `checks` of its
//! `rockcraft.yaml` as a Pebble layer. A test of the charm that drives that
//! rock can put the same layer in a [`Container`](crate::Container) instead
//! of copying it into the test by hand.

use ops::pebble::{Check, Layer, Service};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a `rockcraft.yaml` could not be turned into a layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RockcraftError {
    /// The file could not be opened or read.
    #[error(
        "cannot read rockcraft.yaml at {path}: {source}; check that the path points at the rock's rockcraft.yaml"
    )]
    Read {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The document is too large or nests too deep to be parsed safely
    /// (the same bounds as charm metadata).
    #[error("{0}")]
    Bounds(#[from] ops::MetadataError),
    /// The document is not YAML, not a mapping at the top, or its
    /// `services` / `checks` do not match Pebble's layer schema.
    #[error(
        "{source_name} is not a valid rockcraft.yaml: {reason}; fix the file (its services and checks must follow Pebble's layer format)"
    )]
    Parse {
        /// The path, or `<string>`.
        source_name: String,
        /// What the parser reported.
        reason: String,
    },
    /// The document has no `summary`, which both Rockcraft and a Pebble
    /// layer built from it need.
    #[error("{source_name} has no `summary`; add a one-line `summary:` as Rockcraft requires")]
    MissingSummary {
        /// The path, or `<string>`.
        source_name: String,
    },
}

/// The parts of a `rockcraft.yaml` a layer needs; every other key (name,
/// base, parts, platforms, ...) is ignored.
#[derive(Deserialize)]
struct Rockcraft {
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    services: Option<BTreeMap<String, Service>>,
    #[serde(default)]
    checks: Option<BTreeMap<String, Check>>,
}

/// Reads the `rockcraft.yaml` at `path` and returns its services and checks
/// as a Pebble layer, as Python's `ops.testing.layer_from_rockcraft` does.
///
/// The layer's summary is the rock's; its description is the rock's (or
/// `(no description)`) followed by `(built from the rockcraft.yaml at
/// <path>)`. The file is read with the size and nesting bounds of charm
/// metadata, and only plain YAML is accepted: a tagged document (such as
/// `!!python/object/apply:...`) is an error, never executed.
///
/// ```
/// use ops_testing::{Container, layer_from_rockcraft};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("rockcraft.yaml");
/// std::fs::write(&path, "\
/// name: hello
/// summary: A Hello World rock
/// base: bare
/// services:
///   hello:
///     override: replace
///     command: /usr/bin/hello -t
/// ").unwrap();
///
/// let layer = layer_from_rockcraft(&path).unwrap();
/// assert_eq!(layer.services["hello"].command, "/usr/bin/hello -t");
/// let container = Container::new("workload").can_connect(true).layer("rock", layer);
/// assert_eq!(container.plan().services.len(), 1);
/// ```
pub fn layer_from_rockcraft(path: impl AsRef<Path>) -> Result<Layer, RockcraftError> {
    let path = path.as_ref();
    let read_error = |source| RockcraftError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut text = String::new();
    file.take(ops::meta::MAX_METADATA_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    let name = path.display().to_string();
    let description = format!("(built from the rockcraft.yaml at {name})");
    parse(&text, &name, &description)
}

/// [`layer_from_rockcraft`] for a `rockcraft.yaml` held in a string; the
/// description ends `(built from a rockcraft.yaml string)`.
///
/// ```
/// let layer = ops_testing::layer_from_rockcraft_str(
///     "summary: web rock\nchecks:\n  up:\n    override: merge\n    tcp: {port: 8000}\n",
/// ).unwrap();
/// assert_eq!(layer.summary, "web rock");
/// assert_eq!(layer.description, "(no description) (built from a rockcraft.yaml string)");
/// assert!(layer.checks.contains_key("up"));
/// ```
pub fn layer_from_rockcraft_str(yaml: &str) -> Result<Layer, RockcraftError> {
    parse(yaml, "<string>", "(built from a rockcraft.yaml string)")
}

fn parse(text: &str, source_name: &str, origin: &str) -> Result<Layer, RockcraftError> {
    ops::meta::check_yaml_bounds(text, source_name)?;
    let parse_error = |reason: String| RockcraftError::Parse {
        source_name: source_name.to_owned(),
        reason,
    };
    let value: serde_norway::Value =
        serde_norway::from_str(text).map_err(|e| parse_error(e.to_string()))?;
    match &value {
        serde_norway::Value::Mapping(_) => {}
        serde_norway::Value::Tagged(t) => {
            return Err(parse_error(format!(
                "the document is tagged {}; YAML tags are not read",
                t.tag
            )));
        }
        _ => return Err(parse_error("the top level is not a mapping".to_owned())),
    }
    let rock: Rockcraft =
        serde_norway::from_value(value).map_err(|e| parse_error(e.to_string()))?;
    let Some(summary) = rock.summary else {
        return Err(RockcraftError::MissingSummary {
            source_name: source_name.to_owned(),
        });
    };
    let description = rock
        .description
        .unwrap_or_else(|| "(no description)".to_owned());
    let mut layer = Layer::new();
    layer.summary = summary;
    layer.description = format!("{description} {origin}");
    layer.services = rock.services.unwrap_or_default();
    layer.checks = rock.checks.unwrap_or_default();
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_summary_is_named() {
        let err = layer_from_rockcraft_str("name: x\n").unwrap_err();
        assert!(
            matches!(err, RockcraftError::MissingSummary { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("summary"));
    }

    #[test]
    fn not_a_mapping() {
        let err = layer_from_rockcraft_str("- a\n- b\n").unwrap_err();
        assert!(err.to_string().contains("not a mapping"), "{err}");
    }

    #[test]
    fn bad_service_field_is_a_parse_error() {
        let err = layer_from_rockcraft_str("summary: s\nservices:\n  a:\n    command: {x: 1}\n")
            .unwrap_err();
        assert!(matches!(err, RockcraftError::Parse { .. }), "{err}");
    }

    #[test]
    fn deep_nesting_refused_before_parsing() {
        let text = format!("summary: s\nx: {}\n", "[".repeat(500));
        let err = layer_from_rockcraft_str(&text).unwrap_err();
        assert!(matches!(err, RockcraftError::Bounds(_)), "{err}");
    }

    #[test]
    fn missing_file() {
        let err = layer_from_rockcraft("/nonexistent/rockcraft.yaml").unwrap_err();
        assert!(matches!(err, RockcraftError::Read { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/rockcraft.yaml"));
    }
}
