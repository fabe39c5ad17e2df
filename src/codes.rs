//! The one registry of diagnostic codes: code, kebab-case name, default severity and summary.
//!
//! A code is never reused and never renamed; retired codes stay listed. Names are accepted
//! wherever a code is (`cutover.toml`, suppression comments, `cutover explain`).

use std::fmt;

/// How serious a diagnostic is. `Error` fails the run (exit 1); `Warning` does not unless
/// `--deny warnings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// A registered rule.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

/// A diagnostic code: an index into [`RULES`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(u16);

impl Code {
    #[must_use]
    pub fn rule(self) -> &'static Rule {
        &RULES[self.0 as usize]
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.rule().code
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        self.rule().name
    }

    /// Looks a code up by its code (`CUT013`, any case) or its name (`skipped-required-stop`).
    #[must_use]
    pub fn find(code_or_name: &str) -> Option<Self> {
        RULES
            .iter()
            .position(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name == code_or_name)
            .map(|index| Self(index as u16))
    }

    pub fn all() -> impl Iterator<Item = Self> {
        (0..RULES.len()).map(|index| Self(index as u16))
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

macro_rules! registry {
    ($($constant:ident = $code:literal, $name:literal, $severity:ident, $summary:literal;)*) => {
        /// Every rule, in code order.
        pub static RULES: &[Rule] = &[
            $(Rule { code: $code, name: $name, severity: Severity::$severity, summary: $summary },)*
        ];
        registry!(@constants 0u16, $($constant)*);
    };
    (@constants $index:expr, $constant:ident $($rest:ident)*) => {
        #[doc = concat!("The code `", stringify!($constant), "`.")]
        pub const $constant: Code = Code($index);
        registry!(@constants $index + 1u16, $($rest)*);
    };
    (@constants $index:expr,) => {};
}

registry! {
    CUT001 = "CUT001", "syntax-error", Error, "syntax error (YAML or DSL), or a value of the wrong form";
    CUT002 = "CUT002", "unknown-field", Error, "unknown field (with the nearest known one)";
    CUT003 = "CUT003", "duplicate-id", Error, "duplicate step or action id";
    CUT004 = "CUT004", "unknown-step", Error, "`after` names an unknown step";
    CUT005 = "CUT005", "dependency-cycle", Error, "dependency cycle (names every step on it)";
    CUT006 = "CUT006", "invalid-call", Error, "unknown action, missing/unknown argument, argument of the wrong type, unknown template parameter";
    CUT007 = "CUT007", "unreadable-input", Error, "a file the plan names (manifest, inventory, library) cannot be read";
    CUT008 = "CUT008", "invalid-suppression", Error, "a suppression comment without a reason, or naming an unknown rule";
    CUT009 = "CUT009", "unused-suppression", Warning, "a suppression comment that suppresses nothing";
    CUT010 = "CUT010", "unknown-component", Error, "unknown component";
    CUT011 = "CUT011", "unknown-version", Error, "version not offered by the manifest (neither the component's version nor a stop)";
    CUT012 = "CUT012", "no-upgrade-path", Error, "a host's installed version has no upgrade path to the target";
    CUT013 = "CUT013", "skipped-required-stop", Error, "a required stop (`via`) is skipped or taken out of order";
    CUT014 = "CUT014", "unmet-requirement", Error, "a requirement is unmet after the upgrade";
    CUT015 = "CUT015", "removed-config-key", Error, "removed config key set";
    CUT016 = "CUT016", "deprecated-config-key", Warning, "deprecated config key set";
    CUT017 = "CUT017", "required-config-unset", Error, "a required config key is not set to its expected value before the component's service starts";
    CUT018 = "CUT018", "renamed-unit", Error, "a unit is named by its old name in a step that runs after the rename";
    CUT019 = "CUT019", "missing-reboot", Error, "reboot required (error) or recommended (warning) and no reboot step after the install";
    CUT020 = "CUT020", "unbounded-requirement", Warning, "manifest requirement with no upper bound";
    CUT021 = "CUT021", "goal-not-reached", Error, "the `upgrade` goal is not reached on some host that has the component";
    CUT022 = "CUT022", "unmet-during-rollout", Error, "a requirement or `skew` rule is broken in some state during the rollout";
    CUT023 = "CUT023", "no-gate-after-rolling", Warning, "a `serial` step with neither `gate` nor `verify`: nothing stops a bad batch reaching the next";
    CUT030 = "CUT030", "missing-rollback", Error, "mutating step with neither `rollback` nor `irreversible`";
    CUT031 = "CUT031", "irreversible-without-snapshot", Error, "irreversible step with no `snapshot` step before it";
    CUT032 = "CUT032", "effect-without-cleanup", Error, "`flag`, `webhook`, `credential` or `schedule` effect with no `cleanup`";
    CUT033 = "CUT033", "migration-lock-timeout", Error, "migration taking `share` lock or stronger without a `lock_timeout` argument";
    CUT034 = "CUT034", "window-exceeded", Error, "the schedule exceeds the window minus its buffer";
    CUT035 = "CUT035", "mutating-preflight", Error, "preflight step that is not readonly";
    CUT036 = "CUT036", "hard-coded-credential", Error, "hard-coded credential in a command";
    CUT037 = "CUT037", "external-endpoint", Warning, "external endpoint outside `endpoints.allowed`";
    CUT038 = "CUT038", "unverified-install", Error, "install before the package signature is verified";
    CUT039 = "CUT039", "unbounded-retries", Warning, "retries with no backoff or no bound";
    CUT040 = "CUT040", "unfinished-scaffold", Error, "a TODO marker written by `cutover init` is still in the plan or a library";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::fmt::Write as _;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for rule in RULES {
            assert!(codes.insert(rule.code), "code {} registered twice", rule.code);
            assert!(names.insert(rule.name), "name {} registered twice", rule.name);
            assert!(rule.code.len() == 6 && rule.code.starts_with("CUT"), "bad code {}", rule.code);
            assert!(rule.code[3..].chars().all(|c| c.is_ascii_digit()), "bad code {}", rule.code);
            assert!(
                rule.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "name {} is not kebab-case",
                rule.name
            );
        }
        let mut sorted: Vec<_> = RULES.iter().map(|rule| rule.code).collect();
        sorted.sort_unstable();
        assert_eq!(sorted, RULES.iter().map(|rule| rule.code).collect::<Vec<_>>(), "keep codes in order");
    }

    #[test]
    fn constants_point_at_their_own_rows() {
        assert_eq!(CUT001.as_str(), "CUT001");
        assert_eq!(CUT013.name(), "skipped-required-stop");
        assert_eq!(CUT039.as_str(), "CUT039");
        assert_eq!(Code::find("cut013"), Some(CUT013));
        assert_eq!(Code::find("goal-not-reached"), Some(CUT021));
        assert_eq!(Code::find("CUT999"), None);
    }

    #[test]
    fn registry_list_is_stable() {
        let listing = RULES.iter().fold(String::new(), |mut listing, rule| {
            let _ = writeln!(listing, "{} {} {}", rule.code, rule.name, rule.severity.as_str());
            listing
        });
        insta::assert_snapshot!(listing);
    }
}
