//! [`JujuVersion`]: the version of Juju that runs the charm, read and ordered
//! the way Juju reads and orders its own versions.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The version of Juju that runs the charm (`JUJU_VERSION`), for example `3.6.14`.
///
/// A version is written `<major>.<minor>`, then either `.<patch>` or, for a
/// pre-release, `-<tag><patch>` (`3.6-beta1`), then optionally `.<build>`:
/// `2.9.49`, `3.6-beta1`, `3.5.4.1`, `3.6-rc2.1`. Each number has one to nine
/// digits and a tag is lowercase letters. As in Python ops, the patch may be
/// left out (`2.9` reads as `2.9.0`); anything else is refused with a
/// [`JujuVersionError`] that says what is wrong.
///
/// Versions are ordered as Juju orders them: by major and minor number;
/// then a pre-release comes before the release, and tags compare
/// alphabetically (`3.6-beta1 < 3.6-beta2 < 3.6-rc1 < 3.6.0`); then by
/// patch; then by build (`3.5.4 < 3.5.4.1`). A version prints the way Juju
/// prints it, and what it prints parses back to the same version.
///
/// ```
/// use ops::JujuVersion;
///
/// let version: JujuVersion = "3.6.14".parse().unwrap();
/// assert!(version >= JujuVersion::new(3, 6, 0));
/// assert!("3.6-rc1".parse::<JujuVersion>().unwrap() < JujuVersion::new(3, 6, 0));
/// assert!(version.has_secrets());
/// assert_eq!(version.to_string(), "3.6.14");
/// assert_eq!(version, "3.6.14");
/// assert!("3.6.x".parse::<JujuVersion>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct JujuVersion {
    major: u32,
    minor: u32,
    /// Empty for a release; `beta`, `rc`, … for a pre-release.
    tag: String,
    patch: u32,
    build: u32,
}

/// Text that is not a Juju version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JujuVersionError {
    /// The text does not follow Juju's version syntax.
    #[error(
        "{text:?} is not a Juju version: {reason}; write it as Juju does, \
         `<major>.<minor>.<patch>` or `<major>.<minor>-<tag><patch>`, optionally followed by \
         `.<build>`, for example `3.6.14`, `3.6-beta1` or `3.5.4.1`"
    )]
    Invalid {
        /// The refused text.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Which syntax to accept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// Python ops' syntax: major and minor are required, the patch is optional.
    Ops,
    /// Juju's non-strict syntax, which also takes `3` and `3.6-beta`.
    NonStrict,
}

impl JujuVersion {
    /// The release `<major>.<minor>.<patch>`, for example `JujuVersion::new(3, 6, 14)`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        JujuVersion {
            major,
            minor,
            tag: String::new(),
            patch,
            build: 0,
        }
    }

    /// The same version with a build number (`3.5.4` with build 1 is `3.5.4.1`).
    pub fn with_build(self, build: u32) -> Self {
        JujuVersion { build, ..self }
    }

    /// Parses a version the way Juju's non-strict parser does: what
    /// [`str::parse`] accepts, and also a bare major number (`3` reads as
    /// `3.0.0`) and a tag without a number (`3.6-beta` reads as `3.6-beta0`).
    ///
    /// Juju itself never sets `JUJU_VERSION` to such a short form; this is
    /// for versions a person typed, such as a test's chosen Juju version.
    ///
    /// ```
    /// use ops::JujuVersion;
    /// assert_eq!(JujuVersion::parse_non_strict("3").unwrap(), JujuVersion::new(3, 0, 0));
    /// assert!("3".parse::<JujuVersion>().is_err());
    /// ```
    pub fn parse_non_strict(text: &str) -> Result<Self, JujuVersionError> {
        parse(text, Syntax::NonStrict)
    }

    /// The major number (3 in `3.6.14`).
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The minor number (6 in `3.6.14`).
    pub fn minor(&self) -> u32 {
        self.minor
    }

    /// The patch number (14 in `3.6.14`, 1 in `3.6-beta1`).
    pub fn patch(&self) -> u32 {
        self.patch
    }

    /// The build number (1 in `3.5.4.1`; 0 when there is none).
    pub fn build(&self) -> u32 {
        self.build
    }

    /// The pre-release tag (`beta` in `3.6-beta1`); `None` for a release.
    pub fn tag(&self) -> Option<&str> {
        (!self.tag.is_empty()).then_some(self.tag.as_str())
    }

    /// Major, minor and patch: what ops' feature checks compare (they ignore
    /// the tag and the build, so `3.0-beta3` counts as 3.0.3).
    fn release(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch)
    }

    /// Whether relations have application databags (Juju 2.7.0 and later).
    pub fn has_app_data(&self) -> bool {
        self.release() >= (2, 7, 0)
    }

    /// Whether Juju runs the charm through its `dispatch` file (2.8.0 and later).
    pub fn is_dispatch_aware(&self) -> bool {
        self.release() >= (2, 8, 0)
    }

    /// Whether Juju can keep charm state on the controller (2.8.0 and later).
    pub fn has_controller_storage(&self) -> bool {
        self.release() >= (2, 8, 0)
    }

    /// Whether secrets work as ops expects them to (3.0.3 and later: 3.0.2
    /// renamed `secret-get --update` to `--refresh` and split out
    /// `secret-info-get`, and 3.0.3 fixed observer labels).
    pub fn has_secrets(&self) -> bool {
        self.release() >= (3, 0, 3)
    }

    /// Whether `open-port` works on Kubernetes (3.0.3 and later).
    pub fn supports_open_port_on_k8s(&self) -> bool {
        self.release() >= (3, 0, 3)
    }

    /// Whether Pebble's exec takes a service context (3.1.6 and later, except 3.2.0,
    /// which shipped an older Pebble).
    pub fn supports_exec_service_context(&self) -> bool {
        self.release() >= (3, 1, 6) && self.release() != (3, 2, 0)
    }

    /// Whether the bundled Pebble forwards logs with labels (3.4.0 and later).
    pub fn supports_pebble_log_forwarding(&self) -> bool {
        self.release() >= (3, 4, 0)
    }

    /// Whether the bundled Pebble supports identities (3.6.4 and later).
    pub fn supports_pebble_identities(&self) -> bool {
        self.release() >= (3, 6, 4)
    }

    /// Whether the bundled Pebble serves metrics (3.6.4 and later).
    pub fn supports_pebble_metrics(&self) -> bool {
        self.release() >= (3, 6, 4)
    }
}

/// Takes the digits at the start of `rest`: `Ok(None)` when there are none.
fn number(rest: &mut &str) -> Result<Option<u32>, &'static str> {
    let end = rest
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    if end == 0 {
        return Ok(None);
    }
    if end > 9 {
        return Err("a number has more than 9 digits");
    }
    let (digits, tail) = rest.split_at(end);
    *rest = tail;
    // Nine digits always fit in a u32.
    digits
        .parse()
        .map(Some)
        .map_err(|_| "a number has more than 9 digits")
}

/// Takes the lowercase letters at the start of `rest`.
fn letters<'a>(rest: &mut &'a str) -> &'a str {
    let end = rest
        .bytes()
        .position(|b| !b.is_ascii_lowercase())
        .unwrap_or(rest.len());
    let (tag, tail) = rest.split_at(end);
    *rest = tail;
    tag
}

fn parse(text: &str, syntax: Syntax) -> Result<JujuVersion, JujuVersionError> {
    parse_parts(text, syntax).map_err(|reason| JujuVersionError::Invalid {
        text: text.to_owned(),
        reason,
    })
}

fn parse_parts(text: &str, syntax: Syntax) -> Result<JujuVersion, &'static str> {
    if text.is_empty() {
        return Err("it is empty");
    }
    let mut rest = text;
    let major = number(&mut rest)?.ok_or("it does not start with the major number")?;
    if rest.is_empty() && syntax == Syntax::NonStrict {
        return Ok(JujuVersion::new(major, 0, 0));
    }
    rest = rest
        .strip_prefix('.')
        .ok_or("the major number must be followed by `.` and the minor number")?;
    let minor = number(&mut rest)?.ok_or("there is no minor number after the `.`")?;
    let mut version = JujuVersion::new(major, minor, 0);
    if let Some(after) = rest.strip_prefix('-') {
        rest = after;
        let tag = letters(&mut rest);
        if tag.is_empty() {
            return Err("a `-` must be followed by a lowercase tag such as `beta`");
        }
        version.tag = tag.to_owned();
        version.patch = match number(&mut rest)? {
            Some(patch) => patch,
            None if syntax == Syntax::NonStrict => 0,
            None => return Err("the tag must be followed by its number, as in `3.6-beta1`"),
        };
    } else if let Some(after) = rest.strip_prefix('.') {
        rest = after;
        version.patch = number(&mut rest)?.ok_or("there is no patch number after the `.`")?;
    }
    if let Some(after) = rest.strip_prefix('.') {
        rest = after;
        version.build = number(&mut rest)?.ok_or("there is no build number after the `.`")?;
    }
    if !rest.is_empty() {
        return Err("it has unexpected text after the version numbers");
    }
    Ok(version)
}

impl FromStr for JujuVersion {
    type Err = JujuVersionError;

    /// Parses a version as Python ops does (see [`JujuVersion`]).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text, Syntax::Ops)
    }
}

impl fmt::Display for JujuVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tag.is_empty() {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        } else {
            write!(
                f,
                "{}.{}-{}{}",
                self.major, self.minor, self.tag, self.patch
            )?;
        }
        if self.build > 0 {
            write!(f, ".{}", self.build)?;
        }
        Ok(())
    }
}

impl fmt::Debug for JujuVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JujuVersion({self})")
    }
}

impl Ord for JujuVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then_with(|| match (self.tag.is_empty(), other.tag.is_empty()) {
                (true, true) => Ordering::Equal,
                // A release comes after every pre-release of it.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.tag.cmp(&other.tag),
            })
            .then(self.patch.cmp(&other.patch))
            .then(self.build.cmp(&other.build))
    }
}

impl PartialOrd for JujuVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A version equals the text of a version that parses to it (`"2.9"` equals
/// `2.9.0`); text that does not parse equals no version.
impl PartialEq<str> for JujuVersion {
    fn eq(&self, other: &str) -> bool {
        other.parse::<JujuVersion>().is_ok_and(|v| v == *self)
    }
}

impl PartialEq<&str> for JujuVersion {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

/// Serialised as its text, for example `"3.6-beta1"`.
impl Serialize for JujuVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for JujuVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn v(text: &str) -> JujuVersion {
        text.parse()
            .unwrap_or_else(|e| panic!("{text} should parse: {e}"))
    }

    fn tagged(major: u32, minor: u32, tag: &str, patch: u32) -> JujuVersion {
        JujuVersion {
            tag: tag.to_owned(),
            ..JujuVersion::new(major, minor, patch)
        }
    }

    #[rstest]
    #[case::release("2.9.49", JujuVersion::new(2, 9, 49))]
    #[case::current("3.6.14", JujuVersion::new(3, 6, 14))]
    #[case::zero("0.0.0", JujuVersion::new(0, 0, 0))]
    #[case::no_patch("2.9", JujuVersion::new(2, 9, 0))]
    #[case::beta("3.6-beta1", tagged(3, 6, "beta", 1))]
    #[case::rc("3.6-rc2", tagged(3, 6, "rc", 2))]
    #[case::build("3.5.4.1", JujuVersion::new(3, 5, 4).with_build(1))]
    #[case::tagged_build("3.6-rc2.1", tagged(3, 6, "rc", 2).with_build(1))]
    #[case::zero_build("3.5.4.0", JujuVersion::new(3, 5, 4))]
    #[case::leading_zeros("03.06.014", JujuVersion::new(3, 6, 14))]
    #[case::nine_digits("999999999.0.1", JujuVersion::new(999_999_999, 0, 1))]
    fn parses(#[case] text: &str, #[case] expected: JujuVersion) {
        assert_eq!(v(text), expected);
        assert_eq!(JujuVersion::parse_non_strict(text).unwrap(), expected);
    }

    #[rstest]
    #[case::empty("", "it is empty")]
    #[case::major_only("3", "followed by `.`")]
    #[case::letters("latest", "does not start with the major number")]
    #[case::v_prefix("v3.6.1", "does not start with the major number")]
    #[case::space(" 3.6.1", "does not start with the major number")]
    #[case::trailing_space("3.6.1 ", "unexpected text")]
    #[case::newline("3.6.1\n", "unexpected text")]
    #[case::trailing_dot("3.6.", "no patch number")]
    #[case::no_minor("3.", "no minor number")]
    #[case::letter_patch("3.6.x", "no patch number")]
    #[case::tag_without_number("3.6-beta", "followed by its number")]
    #[case::empty_tag("3.6-1", "lowercase tag")]
    #[case::uppercase_tag("3.6-Beta1", "lowercase tag")]
    #[case::tag_after_patch("3.6.1-beta1", "unexpected text")]
    #[case::five_parts("3.6.1.2.3", "unexpected text")]
    #[case::binary_version("3.6.1-ubuntu-amd64", "unexpected text")]
    #[case::ten_digits("3.1234567890.1", "more than 9 digits")]
    #[case::negative("-3.6.1", "does not start with the major number")]
    #[case::semver_pre_release("3.6.0-beta.1", "unexpected text")]
    fn refuses(#[case] text: &str, #[case] reason: &str) {
        let err = text.parse::<JujuVersion>().unwrap_err();
        let message = err.to_string();
        assert!(message.contains(reason), "{text:?}: {message}");
        assert!(
            message.starts_with(&format!("{text:?} is not a Juju version")),
            "{message}"
        );
        assert!(message.contains("for example `3.6.14`"), "{message}");
    }

    #[rstest]
    #[case::major_only("3", JujuVersion::new(3, 0, 0))]
    #[case::major_minor("3.6", JujuVersion::new(3, 6, 0))]
    #[case::tag_without_number("3.6-beta", tagged(3, 6, "beta", 0))]
    #[case::tag_without_number_with_build("3.6-beta.2", tagged(3, 6, "beta", 0).with_build(2))]
    fn non_strict_also_takes_short_forms(#[case] text: &str, #[case] expected: JujuVersion) {
        assert_eq!(JujuVersion::parse_non_strict(text).unwrap(), expected);
    }

    #[rstest]
    #[case("")]
    #[case("3.")]
    #[case("3.6-")]
    #[case("3.6.x")]
    #[case("x")]
    fn non_strict_still_refuses_garbage(#[case] text: &str) {
        assert!(JujuVersion::parse_non_strict(text).is_err(), "{text:?}");
    }

    #[rstest]
    #[case::patch("2.9.48", "2.9.49")]
    #[case::patch_numerically("3.6.9", "3.6.10")]
    #[case::minor("2.9.49", "3.0.0")]
    #[case::minor_numerically("3.9.0", "3.10.0")]
    #[case::major("2.99.99", "3.0.0")]
    #[case::beta_numbers("3.6-beta1", "3.6-beta2")]
    #[case::beta_before_rc("3.6-beta2", "3.6-rc1")]
    #[case::alpha_before_beta("3.6-alpha9", "3.6-beta1")]
    #[case::rc_before_release("3.6-rc1", "3.6.0")]
    #[case::rc_before_release_whatever_the_patch("3.6-rc9", "3.6.0")]
    #[case::pre_release_after_previous_minor("3.5.99", "3.6-beta1")]
    #[case::build_after_release("3.5.4", "3.5.4.1")]
    #[case::build_numbers("3.5.4.1", "3.5.4.2")]
    #[case::build_before_next_patch("3.5.4.9", "3.5.5")]
    #[case::tagged_build("3.6-rc2", "3.6-rc2.1")]
    #[case::tagged_build_before_next_rc("3.6-rc2.1", "3.6-rc3")]
    #[case::no_patch_is_zero("2.9", "2.9.1")]
    fn orders(#[case] lower: &str, #[case] higher: &str) {
        let (lower, higher) = (v(lower), v(higher));
        assert!(lower < higher, "{lower} < {higher}");
        assert!(higher > lower, "{higher} > {lower}");
        assert_ne!(lower, higher);
        assert_eq!(lower.cmp(&higher), Ordering::Less);
    }

    #[rstest]
    #[case("2.9", "2.9.0")]
    #[case("3.5.4.0", "3.5.4")]
    #[case("03.6.1", "3.6.1")]
    fn equal_versions_compare_equal(#[case] a: &str, #[case] b: &str) {
        assert_eq!(v(a), v(b));
        assert_eq!(v(a).cmp(&v(b)), Ordering::Equal);
    }

    #[rstest]
    #[case("2.9.49")]
    #[case("3.6.14")]
    #[case("3.6-beta1")]
    #[case("3.6-rc2.1")]
    #[case("3.5.4.1")]
    #[case("0.0.0")]
    fn display_round_trips(#[case] text: &str) {
        let version = v(text);
        assert_eq!(version.to_string(), text);
        assert_eq!(v(&version.to_string()), version);
        assert_eq!(format!("{version:?}"), format!("JujuVersion({text})"));
    }

    #[test]
    fn short_forms_print_in_full_and_parse_back() {
        for text in ["2.9", "3", "3.6-beta"] {
            let version = JujuVersion::parse_non_strict(text).unwrap();
            assert_eq!(v(&version.to_string()), version, "{text}");
        }
        assert_eq!(v("2.9").to_string(), "2.9.0");
    }

    #[test]
    fn serde_uses_the_text() {
        let version = v("3.6-rc2.1");
        let json = serde_json::to_string(&version).unwrap();
        assert_eq!(json, r#""3.6-rc2.1""#);
        assert_eq!(serde_json::from_str::<JujuVersion>(&json).unwrap(), version);
        let err = serde_json::from_str::<JujuVersion>(r#""three""#).unwrap_err();
        assert!(err.to_string().contains("not a Juju version"), "{err}");
        assert!(serde_json::from_str::<JujuVersion>("3").is_err());
    }

    #[test]
    fn accessors_give_the_parts() {
        let version = v("3.6-rc2.1");
        assert_eq!(
            (
                version.major(),
                version.minor(),
                version.patch(),
                version.build()
            ),
            (3, 6, 2, 1)
        );
        assert_eq!(version.tag(), Some("rc"));
        assert_eq!(v("3.6.1").tag(), None);
        assert_eq!(JujuVersion::default(), JujuVersion::new(0, 0, 0));
    }

    #[test]
    fn compares_with_text() {
        assert_eq!(v("2.9.0"), "2.9");
        assert!(v("2.9.0") != "2.9.1");
        assert!(v("2.9.0") != "not a version");
    }

    #[rstest]
    #[case::ancient("2.6.0", [false, false, false, false, false, false, false, false, false])]
    #[case::app_data("2.7.0", [true, false, false, false, false, false, false, false, false])]
    #[case::dispatch("2.8.0", [true, true, true, false, false, false, false, false, false])]
    #[case::early_secrets("3.0.2", [true, true, true, false, false, false, false, false, false])]
    #[case::secrets("3.0.3", [true, true, true, true, true, false, false, false, false])]
    #[case::exec_context("3.1.6", [true, true, true, true, true, true, false, false, false])]
    #[case::old_pebble("3.2.0", [true, true, true, true, true, false, false, false, false])]
    #[case::later_3_2("3.2.2", [true, true, true, true, true, true, false, false, false])]
    #[case::log_forwarding("3.4.0", [true, true, true, true, true, true, true, false, false])]
    #[case::before_identities("3.6.3", [true, true, true, true, true, true, true, false, false])]
    #[case::identities("3.6.4", [true, true, true, true, true, true, true, true, true])]
    #[case::tag_is_ignored("3.0-beta3", [true, true, true, true, true, false, false, false, false])]
    fn feature_gates_follow_ops(#[case] text: &str, #[case] expected: [bool; 9]) {
        let version = v(text);
        let gates = [
            version.has_app_data(),
            version.is_dispatch_aware(),
            version.has_controller_storage(),
            version.has_secrets(),
            version.supports_open_port_on_k8s(),
            version.supports_exec_service_context(),
            version.supports_pebble_log_forwarding(),
            version.supports_pebble_identities(),
            version.supports_pebble_metrics(),
        ];
        assert_eq!(gates, expected, "{text}");
    }
}
