//! Settings from `cutover.toml`: per-rule severity and the endpoints a plan may reach.
//!
//! The file is found upward from each plan (see `cli::lint`); this module holds what it says
//! and applies it to diagnostics.

use std::collections::BTreeMap;

use crate::codes::{Code, Severity};

/// What a `[rules]` entry sets a code to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Not reported at all.
    Allow,
    Warn,
    Deny,
}

impl Level {
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "allow" => Some(Self::Allow),
            "warn" | "warning" => Some(Self::Warn),
            "deny" | "error" => Some(Self::Deny),
            _ => None,
        }
    }
}

/// The settings that apply to one plan. The default is no file at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub rules: BTreeMap<Code, Level>,
    /// `endpoints.allowed`: hosts (or URL prefixes) a plan may reach without CUT037.
    pub endpoints_allowed: Vec<String>,
}

impl Settings {
    /// The severity a code's diagnostics get, or `None` when the code is allowed.
    #[must_use]
    pub fn severity(&self, code: Code, default: Severity) -> Option<Severity> {
        match self.rules.get(&code) {
            Some(Level::Allow) => None,
            Some(Level::Warn) => Some(Severity::Warning),
            Some(Level::Deny) => Some(Severity::Error),
            None => Some(default),
        }
    }
}

/// The file name searched for upward from each plan.
pub const FILE_NAME: &str = "cutover.toml";

impl Settings {
    /// Reads `cutover.toml` text:
    ///
    /// ```toml
    /// [rules]
    /// CUT037 = "allow"            # by code…
    /// unbounded-retries = "deny"  # …or by name
    ///
    /// [endpoints]
    /// allowed = ["repo.example.com", "https://vendor.example.com/releases/"]
    /// ```
    ///
    /// # Errors
    /// A message naming what is wrong: invalid TOML, an unknown table or key, an unknown rule,
    /// a level other than allow, warn or deny.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let table: toml::Table = text.parse().map_err(|error: toml::de::Error| error.message().to_owned())?;
        let mut settings = Self::default();
        for (key, value) in &table {
            match (key.as_str(), value) {
                ("rules", toml::Value::Table(rules)) => {
                    for (rule, level) in rules {
                        let code = Code::find(rule)
                            .ok_or_else(|| format!("`[rules]` names `{rule}`, which is not a rule code or name"))?;
                        let level = level
                            .as_str()
                            .and_then(Level::parse)
                            .ok_or_else(|| format!("`[rules] {rule}` must be \"allow\", \"warn\" or \"deny\""))?;
                        settings.rules.insert(code, level);
                    }
                }
                ("endpoints", toml::Value::Table(endpoints)) => {
                    for (name, value) in endpoints {
                        if name != "allowed" {
                            return Err(format!("`[endpoints]` has no key `{name}` (it takes `allowed`)"));
                        }
                        let list = value.as_array().ok_or("`endpoints.allowed` must be a list of strings")?;
                        for entry in list {
                            let entry = entry.as_str().ok_or("`endpoints.allowed` must be a list of strings")?;
                            settings.endpoints_allowed.push(entry.to_owned());
                        }
                    }
                }
                ("rules" | "endpoints", _) => return Err(format!("`{key}` must be a table (`[{key}]`)")),
                _ => return Err(format!("unknown table `{key}` (cutover.toml takes `[rules]` and `[endpoints]`)")),
            }
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{CUT037, CUT039};

    #[test]
    fn reads_rules_by_code_or_name_and_endpoints() {
        let settings = Settings::from_toml(
            "[rules]\nCUT037 = \"allow\"\nunbounded-retries = \"deny\"\n[endpoints]\nallowed = [\"repo.example.com\"]\n",
        )
        .unwrap();
        assert_eq!(settings.rules[&CUT037], Level::Allow);
        assert_eq!(settings.rules[&CUT039], Level::Deny);
        assert_eq!(settings.endpoints_allowed, ["repo.example.com"]);
        assert_eq!(settings.severity(CUT037, Severity::Warning), None);
        assert_eq!(settings.severity(CUT039, Severity::Warning), Some(Severity::Error));
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        assert!(Settings::from_toml("[rules]\nCUT999 = \"allow\"\n").unwrap_err().contains("CUT999"));
        assert!(Settings::from_toml("[rules]\nCUT037 = \"off\"\n").unwrap_err().contains("allow"));
        assert!(Settings::from_toml("[lints]\n").unwrap_err().contains("unknown table"));
        assert!(Settings::from_toml("rules = [").is_err());
    }
}
