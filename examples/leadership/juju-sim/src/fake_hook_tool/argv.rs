//! Juju's argv and output conventions for the fake hook tools: flag
//! parsing, `--format` printing, `key=value` and `key#file=path` content,
//! `--file`, relation references, ports, and how a failed operation is
//! printed.

use ops::{ModelError, Port, RelationId, SecretMetadata, StringMap};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What a tool call prints and returns.
pub(crate) struct Outcome {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) code: i32,
}

impl Outcome {
    pub(crate) fn ok(stdout: impl Into<String>) -> Self {
        Outcome {
            stdout: stdout.into(),
            stderr: String::new(),
            code: 0,
        }
    }

    pub(crate) fn error(code: i32, message: impl Into<String>) -> Self {
        Outcome {
            stdout: String::new(),
            stderr: format!("ERROR {}\n", message.into()),
            code,
        }
    }
}

/// Parsed arguments.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) values: BTreeMap<String, String>,
    pub(crate) bools: BTreeMap<String, bool>,
    pub(crate) positional: Vec<String>,
}

impl Args {
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub(crate) fn flag(&self, name: &str) -> bool {
        self.bools.get(name).copied().unwrap_or(false)
    }

    pub(crate) fn format(&self) -> &str {
        self.value("format").unwrap_or("smart")
    }
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Juju's flag syntax: `-x v`, `--x v`, `--x=v`; booleans bare or `=bool`.
pub(crate) fn parse_args(
    raw: &[String],
    value_flags: &[&str],
    bool_flags: &[&str],
) -> Result<Args, Outcome> {
    let mut args = Args::default();
    let mut iter = raw.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            args.positional.extend(iter.by_ref().cloned());
            break;
        }
        let Some(flag) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|f| !f.is_empty() && arg.len() > 1)
        else {
            args.positional.push(arg.clone());
            continue;
        };
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (flag, None),
        };
        if value_flags.contains(&name) {
            let value = match inline {
                Some(v) => v.to_owned(),
                None => match iter.next() {
                    Some(v) => v.clone(),
                    None => {
                        return Err(Outcome::error(2, format!("flag needs an argument: {arg}")));
                    }
                },
            };
            args.values.insert(name.to_owned(), value);
        } else if bool_flags.contains(&name) {
            let value = match inline {
                None => true,
                Some(text) => parse_bool(text).ok_or_else(|| {
                    Outcome::error(2, format!("invalid boolean value {text:?} for -{name}"))
                })?,
            };
            args.bools.insert(name.to_owned(), value);
        } else {
            return Err(Outcome::error(
                2,
                format!("flag provided but not defined: {arg}"),
            ));
        }
    }
    if let Some(format) = args.value("format")
        && !matches!(format, "json" | "yaml" | "smart")
    {
        return Err(Outcome::error(
            2,
            format!("invalid value {format:?} for flag --format"),
        ));
    }
    Ok(args)
}

/// Prints a value as Juju does: JSON with a newline; `smart` prints a bare string.
pub(crate) fn print(args: &Args, value: &Value) -> Outcome {
    match (args.format(), value) {
        ("json", _) => Outcome::ok(format!("{value}\n")),
        (_, Value::String(text)) => Outcome::ok(format!("{text}\n")),
        (_, Value::Null) => Outcome::ok(""),
        _ => Outcome::ok(format!("{value}\n")),
    }
}

/// `secret:abc`, `secret://uuid/abc` and `abc` are the same secret.
pub(crate) fn bare_secret_id(id: &str) -> &str {
    id.rsplit(['/', ':']).next().unwrap_or(id)
}

/// How Juju prints a failed operation: its `ERROR …` text, exit 1; a
/// missing relation is an invalid `-r` value (exit 2).
pub(crate) fn failed(error: ModelError, relation: &str) -> Outcome {
    match error {
        ModelError::HookTool { stderr, .. } => Outcome {
            stdout: String::new(),
            stderr: format!("{}\n", stderr.trim_end()),
            code: 1,
        },
        ModelError::RelationNotFound { .. } => Outcome::error(
            2,
            format!("invalid value {relation:?} for option -r: relation not found"),
        ),
        ModelError::SecretNotFound { secret, .. } => {
            Outcome::error(1, format!("secret {secret:?} not found"))
        }
        other => Outcome::error(1, other.to_string()),
    }
}

/// `key=value` arguments, and `key#file=path` ones read from their file.
pub(crate) fn content_args(positional: &[String]) -> Result<StringMap, Outcome> {
    let mut content = StringMap::new();
    for arg in positional {
        if let Some((key, path)) = arg.split_once("#file=") {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Outcome::error(1, format!("cannot read {path}: {e}")))?;
            content.insert(key.to_owned(), text);
        } else if let Some((key, value)) = arg.split_once('=') {
            content.insert(key.to_owned(), value.to_owned());
        } else {
            return Err(Outcome::error(
                2,
                format!("expected \"key=value\", got {arg:?}"),
            ));
        }
    }
    Ok(content)
}

/// Reads `--file -` (stdin) or `--file <path>` as a map of strings.
pub(crate) fn file_content(args: &Args, stdin: Option<&str>) -> Result<StringMap, Outcome> {
    let Some(file) = args.value("file") else {
        return Ok(StringMap::new());
    };
    let text = if file == "-" {
        stdin.unwrap_or_default().to_owned()
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| Outcome::error(1, format!("cannot read {file}: {e}")))?
    };
    serde_json::from_str(&text).map_err(|e| {
        Outcome::error(
            1,
            format!("cannot parse settings file: {e}; expected a map of strings to strings"),
        )
    })
}

/// The relation named by `-r`/`--relation` (`endpoint:id` or `id`): its
/// id, and the reference as given (for messages).
pub(crate) fn relation_arg(args: &Args) -> Result<(RelationId, String), Outcome> {
    let reference = args
        .value("r")
        .or(args.value("relation"))
        .unwrap_or_default()
        .to_owned();
    match reference.rsplit(':').next().and_then(|n| n.parse().ok()) {
        Some(id) => Ok((id, reference)),
        None => Err(Outcome::error(
            2,
            format!("invalid value {reference:?} for option -r: relation not found"),
        )),
    }
}

/// `--label`, `--description`, `--expire` and `--rotate`.
pub(crate) fn secret_metadata(args: &Args) -> Result<SecretMetadata, Outcome> {
    let rotate = match args.value("rotate") {
        None => None,
        Some(text) => Some(serde_json::from_value(json!(text)).map_err(|_| {
            Outcome::error(2, format!("invalid value {text:?} for option --rotate"))
        })?),
    };
    Ok(SecretMetadata {
        label: args.value("label").map(str::to_owned),
        description: args.value("description").map(str::to_owned),
        expire: args.value("expire").map(str::to_owned),
        rotate,
    })
}

/// `8080`, `8080/tcp`, `53/udp`, `8000-8100/tcp` or `icmp`.
pub(crate) fn parse_port(text: &str) -> Result<Port, Outcome> {
    text.parse()
        .map_err(|e| Outcome::error(2, format!("invalid port or range {text:?}: {e}")))
}
