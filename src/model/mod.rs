//! The model: plans, action libraries, manifests and inventories as the front ends read them,
//! with a span on every value a diagnostic can point at.
//!
//! **Invariant:** the model is syntax-free. Both front ends (YAML, DSL) produce it, and no later
//! stage knows which one was used.

pub mod names;
pub mod paths;
mod values;

pub use values::{BadBatchSize, BatchSize, Duration, Percent, Serial, parse_bool, parse_version, parse_version_req};

use indexmap::IndexMap;

use crate::source::{FileId, Span};

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }

    pub fn map<U>(self, change: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned { value: change(self.value), span: self.span }
    }
}

impl Spanned<String> {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// A plan file (SPEC §1.3).
#[derive(Clone, Debug)]
pub struct Plan {
    pub file: FileId,
    /// `cutover: 1`, the language version.
    pub language: Spanned<u32>,
    pub name: Spanned<String>,
    pub manifest: Option<Spanned<String>>,
    pub inventory: Option<Spanned<String>>,
    pub window: Option<Spanned<Duration>>,
    pub buffer: Option<Spanned<Percent>>,
    pub uses: Vec<Spanned<String>>,
    /// The goal: component name to target version text, in the order written.
    pub upgrade: Vec<(Spanned<String>, Spanned<String>)>,
    pub notify: Option<Spanned<String>>,
    pub preflight: Vec<Step>,
    pub steps: Vec<Step>,
    pub actions: Vec<Action>,
}

/// Which list a step was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Read-only checks, run before anything changes.
    Preflight,
    Main,
}

impl Phase {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preflight => "preflight",
            Self::Main => "main",
        }
    }
}

/// A step: an action call (`do` + `with`) or inline (`run` + `rollback`/`irreversible`).
#[derive(Clone, Debug)]
pub struct Step {
    pub id: Spanned<String>,
    pub phase: Phase,
    /// The whole step, for diagnostics about it as a unit.
    pub span: Span,
    pub call: Option<Call>,
    pub commands: Commands,
    pub tuning: Tuning,
    pub after: Vec<Spanned<String>>,
    /// An inventory group, a host, or `local` (the default).
    pub on: Option<Spanned<String>>,
    pub serial: Option<Spanned<Serial>>,
    /// The failure budget: how many of the step's hosts may fail before the plan fails.
    pub max_fail: Option<Spanned<MaxFail>>,
    /// A health check run after each batch of the step (once without `serial`).
    pub gate: Option<Spanned<Gate>>,
    pub effects: Vec<Spanned<Effect>>,
    /// Inline steps may declare themselves read-only, as actions do.
    pub readonly: Option<Spanned<bool>>,
}

/// `gate:` on a step: a check run on every host of a batch once the batch is done, until it has
/// passed `passes` times in a row within `timeout`, then kept passing for `soak`. A gate that
/// fails is a failure of the step (docs/language.md, "Gates").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    pub check: GateCheck,
    pub interval: Option<Duration>,
    pub passes: Option<u32>,
    pub soak: Option<Duration>,
    pub timeout: Option<Duration>,
}

impl Gate {
    /// Seconds between two checks (10 s unless written).
    pub const DEFAULT_INTERVAL: u64 = 10;
    /// Seconds the gate waits for its passes (5 minutes unless written).
    pub const DEFAULT_TIMEOUT: u64 = 300;

    #[must_use]
    pub fn interval_seconds(&self) -> u64 {
        self.interval.map_or(Self::DEFAULT_INTERVAL, Duration::seconds)
    }

    #[must_use]
    pub fn passes(&self) -> u32 {
        self.passes.unwrap_or(1).max(1)
    }

    #[must_use]
    pub fn soak_seconds(&self) -> u64 {
        self.soak.map_or(0, Duration::seconds)
    }

    #[must_use]
    pub fn timeout_seconds(&self) -> u64 {
        self.timeout.map_or(Self::DEFAULT_TIMEOUT, Duration::seconds)
    }

    /// What a healthy batch spends in the gate: the checks before its last pass, then the soak.
    #[must_use]
    pub fn expected_seconds(&self) -> u64 {
        u64::from(self.passes() - 1) * self.interval_seconds() + self.soak_seconds()
    }
}

/// What a gate checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GateCheck {
    /// The URL answers with `status` (200 unless written), its body matching `body` (a POSIX
    /// extended regular expression) when one is given.
    Http { url: Spanned<String>, status: Option<u16>, body: Option<Spanned<String>> },
    /// The command exits 0.
    Command(Spanned<String>),
}

/// `max_fail`: how many of a step's hosts may fail (a count, or a share of its hosts) before the
/// plan fails. Hosts that fail within the budget are rolled back and drop out of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxFail {
    Hosts(u32),
    Share(Percent),
}

impl MaxFail {
    /// Reads `2` or `25%`; zero is allowed (no host may fail, the default).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        if text.ends_with('%') { Percent::parse(text).map(Self::Share) } else { text.parse().ok().map(Self::Hosts) }
    }

    /// Hosts that may fail out of `hosts`; a share rounds down, so `25%` of 3 hosts is none.
    #[must_use]
    pub fn allowed(self, hosts: usize) -> usize {
        match self {
            Self::Hosts(count) => (count as usize).min(hosts),
            Self::Share(percent) => hosts * percent.0 as usize / 10_000,
        }
    }
}

impl std::fmt::Display for MaxFail {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hosts(count) => write!(formatter, "{count}"),
            Self::Share(percent) => write!(formatter, "{percent}"),
        }
    }
}

/// `do: action` with its `with:` arguments.
#[derive(Clone, Debug)]
pub struct Call {
    pub action: Spanned<String>,
    pub arguments: Vec<Argument>,
}

#[derive(Clone, Debug)]
pub struct Argument {
    pub name: Spanned<String>,
    pub value: Spanned<String>,
}

/// The command templates shared by inline steps and action definitions.
#[derive(Clone, Debug, Default)]
pub struct Commands {
    pub run: Option<Spanned<String>>,
    pub undo: Option<Undo>,
    pub verify: Option<Spanned<String>>,
    pub cleanup: Option<Spanned<String>>,
}

/// How a mutating step is undone.
#[derive(Clone, Debug)]
pub enum Undo {
    Rollback(Spanned<String>),
    /// It cannot be undone; the text says why.
    Irreversible(Spanned<String>),
}

/// Timing a step may set or override.
#[derive(Clone, Debug, Default)]
pub struct Tuning {
    pub estimate: Option<Spanned<Duration>>,
    pub timeout: Option<Spanned<Duration>>,
    pub retries: Option<Spanned<Retries>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retries {
    pub count: u32,
    pub backoff: Option<Backoff>,
    pub base: Option<Duration>,
    pub max: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    None,
    Fixed,
    Linear,
    Exponential,
}

impl Backoff {
    pub const NAMES: [&'static str; 4] = ["none", "fixed", "linear", "exponential"];

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(Self::None),
            "fixed" => Some(Self::Fixed),
            "linear" => Some(Self::Linear),
            "exponential" => Some(Self::Exponential),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// Side effects a step leaves behind (SPEC §1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Effect {
    Snapshot,
    Flag,
    Webhook,
    Credential,
    Schedule,
    Reboot,
    Config,
    Data,
}

impl Effect {
    pub const NAMES: [&'static str; 8] =
        ["snapshot", "flag", "webhook", "credential", "schedule", "reboot", "config", "data"];
    const ALL: [Self; 8] = [
        Self::Snapshot,
        Self::Flag,
        Self::Webhook,
        Self::Credential,
        Self::Schedule,
        Self::Reboot,
        Self::Config,
        Self::Data,
    ];

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::NAMES.iter().position(|name| *name == text).map(|index| Self::ALL[index])
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// An action definition: from the prelude, a `use:` library, or the plan's `actions:`.
#[derive(Clone, Debug)]
pub struct Action {
    pub name: Spanned<String>,
    pub params: Vec<Param>,
    pub commands: Commands,
    pub tuning: Tuning,
    pub effects: Vec<Spanned<Effect>>,
    pub readonly: bool,
    /// `estimate` may name a duration parameter (`estimate: "{timeout}"`), as `http.wait` does.
    pub estimate_from: Option<Spanned<String>>,
}

/// A declared parameter: `name: type` or `name: { type: T, default: V }`.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: Spanned<String>,
    pub kind: Spanned<ParamType>,
    pub default: Option<Spanned<String>>,
}

/// The parameter types of SPEC §1.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamType {
    String,
    Int,
    Bool,
    Path,
    Url,
    Duration,
    Component,
    Release,
    Unit,
    ConfigKey,
    Migration,
    Group,
}

impl ParamType {
    pub const NAMES: [&'static str; 12] = [
        "string",
        "int",
        "bool",
        "path",
        "url",
        "duration",
        "component",
        "release",
        "unit",
        "config_key",
        "migration",
        "group",
    ];
    const ALL: [Self; 12] = [
        Self::String,
        Self::Int,
        Self::Bool,
        Self::Path,
        Self::Url,
        Self::Duration,
        Self::Component,
        Self::Release,
        Self::Unit,
        Self::ConfigKey,
        Self::Migration,
        Self::Group,
    ];

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::NAMES.iter().position(|name| *name == text).map(|index| Self::ALL[index])
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The fields a template may read with `{name.field}`.
    #[must_use]
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Release => &["component", "version", "from"],
            Self::Duration => &["seconds"],
            _ => &[],
        }
    }
}

/// A file of `actions:` only, named by a plan's `use:`.
#[derive(Clone, Debug)]
pub struct Library {
    pub file: FileId,
    pub actions: Vec<Action>,
}

/// The vendor's package manifest (SPEC §1.1).
#[derive(Clone, Debug)]
pub struct Manifest {
    pub file: FileId,
    pub package: Spanned<String>,
    pub version: Spanned<semver::Version>,
    pub components: IndexMap<String, Component>,
    pub config: IndexMap<String, ConfigKey>,
    pub migrations: Vec<Migration>,
    pub signing: Option<Signing>,
    pub files: Vec<(Spanned<String>, Spanned<String>)>,
    /// `skew:` relative version rules, checked in every state of the rollout (CUT022).
    pub skew: Vec<Skew>,
}

impl Manifest {
    /// The components a config key belongs to: the one its `component:` names; otherwise the
    /// component its first dotted word names (`dten-core.threads`); otherwise every component
    /// that ships units (as with `dten.hybrid.enable` or postgres's `wal_level`).
    #[must_use]
    pub fn owners_of(&self, key: &ConfigKey) -> Vec<&Component> {
        if let Some(component) = key.component.as_ref().and_then(|name| self.components.get(name.as_str())) {
            return vec![component];
        }
        let first_word = key.name.as_str().split('.').next().unwrap_or_default();
        if let Some(component) = self.components.get(first_word) {
            return vec![component];
        }
        self.components.values().filter(|component| !component.units.is_empty()).collect()
    }

    /// What a config key's `since`, `deprecated_in` and `removed_in` are versions of, and the
    /// version the plan installs: the owning component's when the key has exactly one (named by
    /// `component:` or by its first dotted word), otherwise the package's.
    #[must_use]
    pub fn release_of(&self, key: &ConfigKey) -> (&str, &semver::Version) {
        let named = key.component.as_ref().map(Spanned::as_str).or_else(|| key.name.as_str().split('.').next());
        match named.and_then(|name| self.components.get(name)) {
            Some(component) => (component.name.as_str(), &component.version.value),
            None => (self.package.as_str(), &self.version.value),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Component {
    pub name: Spanned<String>,
    pub version: Spanned<semver::Version>,
    pub requires: Vec<Requirement>,
    pub units: Vec<Spanned<String>>,
    pub renamed_units: Vec<(Spanned<String>, Spanned<String>)>,
    pub reboot: Spanned<Reboot>,
    pub upgrade_from: Vec<UpgradeEdge>,
    pub required_stops: Vec<Spanned<semver::Version>>,
    /// How a host tells the installed version (`cutover gather`, the runners' drift guard).
    pub probe: Option<Probe>,
}

/// `probe:` of a component: how a host tells which version of it is installed.
#[derive(Clone, Debug)]
pub enum Probe {
    /// `{ package: NAME }`: the package manager's version (dpkg-query or rpm, whichever the
    /// host has), read as the upstream version.
    Package(Spanned<String>),
    /// `{ command: "...", pattern: "..." }`: the one group of `pattern` (a POSIX extended
    /// regex, as bash's `=~` reads it) in what `command` prints.
    Command { command: Spanned<String>, pattern: Spanned<String> },
}

impl Probe {
    /// Why a probe pattern cannot be used: it must have exactly one group, and stay within what
    /// bash's `=~` (POSIX extended regexes) reads.
    ///
    /// # Errors
    /// What is wrong with the pattern, as a phrase that follows "the pattern".
    pub fn check_pattern(pattern: &str) -> Result<(), String> {
        let mut groups = 0;
        let mut characters = pattern.chars().peekable();
        let mut in_bracket = false;
        while let Some(character) = characters.next() {
            match character {
                '\\' => match characters.next() {
                    Some(class @ ('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B')) => {
                        return Err(format!(
                            "uses `\\{class}`, which bash's `=~` does not read (write a bracket expression like [0-9])"
                        ));
                    }
                    Some(_) => {}
                    None => return Err("ends in a lone backslash".to_owned()),
                },
                '[' if !in_bracket => {
                    in_bracket = true;
                    // `[]…]` and `[^]…]` hold a literal `]`.
                    if characters.peek() == Some(&'^') {
                        characters.next();
                    }
                    if characters.peek() == Some(&']') {
                        characters.next();
                    }
                }
                ']' if in_bracket => in_bracket = false,
                '(' if !in_bracket => {
                    if characters.peek() == Some(&'?') {
                        return Err("uses `(?`, which bash's `=~` does not read".to_owned());
                    }
                    groups += 1;
                }
                _ => {}
            }
        }
        if in_bracket {
            return Err("has a `[` without its `]`".to_owned());
        }
        match groups {
            1 => Ok(()),
            0 => Err("has no group: put ( ) around the version".to_owned()),
            _ => Err(format!("has {groups} groups; it needs exactly one, around the version")),
        }
    }
}

impl Component {
    /// Every version the manifest offers for this component: its own, its `via` stops and its
    /// required stops.
    pub fn offered_versions(&self) -> impl Iterator<Item = &Spanned<semver::Version>> {
        std::iter::once(&self.version)
            .chain(self.upgrade_from.iter().flat_map(|edge| edge.via.iter()))
            .chain(self.required_stops.iter())
    }
}

/// One `skew:` rule of the manifest: how far `component` may stand from another component,
/// on the same host where it has both, otherwise against every host that has the other.
#[derive(Clone, Debug)]
pub struct Skew {
    pub component: Spanned<String>,
    pub limit: SkewLimit,
    /// The whole rule, for labels.
    pub span: Span,
}

/// What a `skew:` rule allows.
#[derive(Clone, Debug)]
pub enum SkewLimit {
    /// `at_most: OTHER`: never newer than OTHER (semver order of the whole version).
    AtMost(Spanned<String>),
    /// `behind: OTHER, max_minor: N`: never newer than OTHER, of the same major, and at most N
    /// minors older (Kubernetes' kubelet against kube-apiserver).
    Behind { other: Spanned<String>, max_minor: Spanned<u64> },
}

impl Skew {
    /// The component the rule measures against.
    #[must_use]
    pub fn other(&self) -> &Spanned<String> {
        match &self.limit {
            SkewLimit::AtMost(other) | SkewLimit::Behind { other, .. } => other,
        }
    }

    /// Whether `version` of the component may stand beside `other` of the other one.
    #[must_use]
    pub fn allows(&self, version: &semver::Version, other: &semver::Version) -> bool {
        match &self.limit {
            SkewLimit::AtMost(_) => version <= other,
            SkewLimit::Behind { max_minor, .. } => {
                version.major == other.major
                    && version.minor <= other.minor
                    && other.minor - version.minor <= max_minor.value
                    && version <= other
            }
        }
    }

    /// The rule as a phrase: "dten-agent is never newer than dten-core", "kubelet is at most 3
    /// minors behind kube-apiserver".
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.limit {
            SkewLimit::AtMost(other) => format!("{} is never newer than {}", self.component.value, other.value),
            SkewLimit::Behind { other, max_minor } => {
                let minors = if max_minor.value == 1 { "minor" } else { "minors" };
                format!(
                    "{} is never newer than {} and at most {} {minors} behind it",
                    self.component.value, other.value, max_minor.value
                )
            }
        }
    }
}

/// `name: ">=13"` in `requires`.
#[derive(Clone, Debug)]
pub struct Requirement {
    pub name: Spanned<String>,
    pub requirement: Spanned<semver::VersionReq>,
    /// The requirement as written, for messages.
    pub text: String,
}

/// A known upgrade path to the component's version: from any version matching `from`, through
/// the `via` stops in order.
#[derive(Clone, Debug)]
pub struct UpgradeEdge {
    pub from: Spanned<semver::VersionReq>,
    pub from_text: String,
    pub via: Vec<Spanned<semver::Version>>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reboot {
    None,
    Recommended,
    Required,
}

/// One row of the config-key matrix.
#[derive(Clone, Debug)]
pub struct ConfigKey {
    pub name: Spanned<String>,
    /// `component:`, the component the key belongs to, when the matrix says.
    pub component: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub since: Option<Spanned<semver::Version>>,
    pub deprecated_in: Option<Spanned<semver::Version>>,
    pub removed_in: Option<Spanned<semver::Version>>,
    pub replaced_by: Option<Spanned<String>>,
    pub required: bool,
    pub expect: Option<Spanned<String>>,
    pub why: Option<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub struct Migration {
    pub id: Spanned<String>,
    pub component: Spanned<String>,
    pub lock: Spanned<LockMode>,
    pub estimate: Option<Spanned<Duration>>,
    pub reversible: bool,
}

/// `PostgreSQL`'s table lock modes, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockMode {
    None,
    AccessShare,
    RowExclusive,
    Share,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    pub const NAMES: [&'static str; 6] =
        ["none", "access_share", "row_exclusive", "share", "exclusive", "access_exclusive"];
    const ALL: [Self; 6] =
        [Self::None, Self::AccessShare, Self::RowExclusive, Self::Share, Self::Exclusive, Self::AccessExclusive];

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::NAMES.iter().position(|name| *name == text).map(|index| Self::ALL[index])
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

#[derive(Clone, Debug)]
pub struct Signing {
    pub certificate: Option<Spanned<String>>,
    pub issuer: Option<Spanned<String>>,
    pub span: Span,
}

/// What runs in production (SPEC §1.2).
#[derive(Clone, Debug)]
pub struct Inventory {
    pub file: FileId,
    pub groups: IndexMap<String, Group>,
    /// Every host: those under `hosts:` first, in order, then hosts only named in a group.
    pub hosts: IndexMap<String, Host>,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub name: Spanned<String>,
    pub hosts: Vec<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub struct Host {
    pub name: Spanned<String>,
    /// Package name to installed version, in the order written.
    pub installed: IndexMap<String, Spanned<semver::Version>>,
}
