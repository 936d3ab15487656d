//! Charmcraft extensions (`extensions: [flask-framework]` in
//! `charmcraft.yaml`): what each adds to the metadata, config and actions is
//! merged into the document before it is read, as charmcraft does when it
//! packs the charm and ops.testing does when it loads the metadata.
//!
//! The definitions are data, in `extensions.json`: for each extension the
//! metadata keys, the config options and the actions it adds.
//!
//! Merge rules, per extension in the order listed:
//! - a metadata key the charm does not declare is added;
//! - a mapping the charm declares too (`requires`, `containers`, …) gets
//!   the extension's entries, and an entry both declare is refused;
//! - a list both declare (`assumes`) is the extension's items followed by
//!   the charm's items that are not among them;
//! - any other clash is refused;
//! - config options and actions are added, and a name both declare is
//!   refused;
//! - an extension that is not known is skipped with a warning.
//!
//! The `extensions` key itself is then removed.

use super::MetadataError;
use serde_norway::{Mapping, Value};
use std::fmt;

/// The extension definitions, by name.
const DEFINITIONS: &str = include_str!("extensions.json");

/// Something in the metadata that loads but deserves attention.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataWarning {
    /// `extensions` names an extension this version does not know; nothing
    /// was merged for it.
    UnknownExtension {
        /// The name as written.
        name: String,
    },
}

impl fmt::Display for MetadataWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataWarning::UnknownExtension { name } => write!(
                f,
                "Unknown charmcraft extension {name:?}; ignoring it (nothing it would add is in \
                 the metadata). Known extensions: {}; fix the name, or declare what it adds yourself",
                known().join(", ")
            ),
        }
    }
}

/// The names of the known extensions, sorted.
pub fn known() -> Vec<String> {
    match definitions() {
        Value::Mapping(map) => map
            .keys()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn definitions() -> Value {
    // The file is part of the crate and checked by a test; a broken one
    // reads as "no extensions known" rather than failing a charm.
    serde_norway::from_str(DEFINITIONS).unwrap_or(Value::Null)
}

/// Merges the extensions a document lists into it and removes the
/// `extensions` key. Returns whether the document had one, and the
/// warnings (unknown extensions).
pub(super) fn apply(
    document: &mut Value,
    file: &str,
) -> Result<(bool, Vec<MetadataWarning>), MetadataError> {
    let invalid = |reason: String| MetadataError::Invalid {
        file: file.to_owned(),
        reason,
    };
    let Value::Mapping(doc) = document else {
        return Ok((false, Vec::new()));
    };
    let Some(listed) = doc.remove("extensions") else {
        return Ok((false, Vec::new()));
    };
    let names: Vec<String> = match listed {
        Value::Null => Vec::new(),
        Value::Sequence(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(name) => Ok(name),
                other => Err(invalid(format!(
                    "`extensions` lists {}, not an extension name; write names such as \
                     `extensions: [flask-framework]`",
                    super::describe(&other)
                ))),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(invalid(format!(
                "`extensions` is {}, not a list; write `extensions: [flask-framework]`",
                super::describe(&other)
            )));
        }
    };
    let definitions = definitions();
    let mut warnings = Vec::new();
    for name in names {
        let Some(definition) = definitions.get(name.as_str()) else {
            warnings.push(MetadataWarning::UnknownExtension { name });
            continue;
        };
        if let Some(Value::Mapping(metadata)) = definition.get("metadata") {
            for (key, value) in metadata {
                merge_key(doc, key, value, &name, file)?;
            }
        }
        if let Some(Value::Mapping(options)) =
            definition.get("config").and_then(|c| c.get("options"))
        {
            let config = entry_mapping(doc, "config", file)?;
            let local = entry_mapping(config, "options", file)?;
            add_disjoint(local, options, "config.options", &name, file)?;
        }
        if let Some(Value::Mapping(actions)) = definition.get("actions") {
            let local = entry_mapping(doc, "actions", file)?;
            add_disjoint(local, actions, "actions", &name, file)?;
        }
    }
    Ok((true, warnings))
}

/// The mapping under `key`, made empty when absent (or null).
fn entry_mapping<'a>(
    map: &'a mut Mapping,
    key: &str,
    file: &str,
) -> Result<&'a mut Mapping, MetadataError> {
    let slot = map
        .entry(Value::String(key.to_owned()))
        .or_insert(Value::Null);
    if slot.is_null() {
        *slot = Value::Mapping(Mapping::new());
    }
    match slot {
        Value::Mapping(inner) => Ok(inner),
        other => Err(MetadataError::Invalid {
            file: file.to_owned(),
            reason: format!(
                "`{key}` is {}, not a mapping; write it as a mapping of names",
                super::describe(other)
            ),
        }),
    }
}

fn overlap_error(
    overlapping: Vec<String>,
    key: &str,
    extension: &str,
    file: &str,
) -> MetadataError {
    MetadataError::Invalid {
        file: file.to_owned(),
        reason: format!(
            "overlapping keys {{{}}} in {key} of {file} which conflict with the {extension} \
             extension; the extension declares them already: remove them from {file} (or rename \
             yours)",
            overlapping
                .iter()
                .map(|k| format!("{k:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Adds `extra`'s entries to `local`, refusing names both have.
fn add_disjoint(
    local: &mut Mapping,
    extra: &Mapping,
    key: &str,
    extension: &str,
    file: &str,
) -> Result<(), MetadataError> {
    let overlapping: Vec<String> = extra
        .keys()
        .filter(|k| local.contains_key(*k))
        .map(key_text)
        .collect();
    if !overlapping.is_empty() {
        return Err(overlap_error(overlapping, key, extension, file));
    }
    for (k, v) in extra {
        local.insert(k.clone(), v.clone());
    }
    Ok(())
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => super::describe(other),
    }
}

/// Merges one metadata key of an extension into the document.
fn merge_key(
    doc: &mut Mapping,
    key: &Value,
    value: &Value,
    extension: &str,
    file: &str,
) -> Result<(), MetadataError> {
    let Some(local) = doc.get_mut(key) else {
        doc.insert(key.clone(), value.clone());
        return Ok(());
    };
    let name = key_text(key);
    match (local, value) {
        (local @ Value::Null, _) => *local = value.clone(),
        (Value::Mapping(local), Value::Mapping(extra)) => {
            add_disjoint(local, extra, &name, extension, file)?;
        }
        (Value::Sequence(local), Value::Sequence(extra)) => {
            let mut merged = extra.clone();
            merged.extend(local.drain(..).filter(|item| !extra.contains(item)));
            *local = merged;
        }
        (local, _) => {
            return Err(MetadataError::Invalid {
                file: file.to_owned(),
                reason: format!(
                    "`{name}` is {} in {file} but the {extension} extension adds {} there; \
                     they cannot be merged: write `{name}` in the extension's form",
                    super::describe(local),
                    super::describe(value)
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definitions_parse_and_each_has_metadata_config_and_actions() {
        let definitions = definitions();
        let Value::Mapping(map) = &definitions else {
            panic!("extensions.json is not a mapping");
        };
        assert_eq!(
            known(),
            [
                "django-framework",
                "expressjs-framework",
                "fastapi-framework",
                "flask-framework",
                "go-framework",
                "spring-boot-framework"
            ]
        );
        for (name, definition) in map {
            for part in ["metadata", "config", "actions"] {
                assert!(
                    definition.get(part).is_some_and(Value::is_mapping),
                    "{name:?} has no {part}"
                );
            }
        }
    }
}
