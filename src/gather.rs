//! `cutover gather`'s judgement, without I/O (`cli::gather` asks the hosts and writes): what a
//! host's answer says (the probe text's lines, `probe::read_output`, or the tree that `ansible
//! -m package_facts --tree DIR` writes), and the inventory written from the answers, in
//! cutover's own form with `gathered:` timestamps (`docs/inventory.md`).
//!
//! A host that cannot be reached, or a component its probe cannot tell, is reported for that
//! host and written down as a comment beside it, never fatal for the others: the host keeps
//! what the inventory said of that component, so that the file stays a working inventory
//! and a reader sees what was not gathered.

use std::fmt::Write as _;
use std::time::SystemTime;

use indexmap::IndexMap;

use crate::model::{Inventory, Manifest, Probe};
use crate::probe::Reading;

/// What one host said.
#[derive(Clone, Debug)]
pub struct Gathered {
    pub host: String,
    /// When it answered (`YYYY-MM-DDTHH:MM:SSZ`).
    pub at: String,
    pub outcome: Outcome,
}

#[derive(Clone, Debug)]
pub enum Outcome {
    /// What it said of each probed component, in manifest order.
    Read(Vec<(String, Reading)>),
    /// It could not be asked: why.
    Unreachable(String),
}

/// The probed components of `manifest`, in its order.
#[must_use]
pub fn probed(manifest: &Manifest) -> Vec<(&str, &Probe)> {
    manifest
        .components
        .values()
        .filter_map(|component| component.probe.as_ref().map(|probe| (component.name.as_str(), probe)))
        .collect()
}

/// What `ansible -m package_facts --tree DIR` wrote for one host (`text`): the package
/// probes are answered from its `packages`; a command probe cannot be, and says so.
#[must_use]
pub fn read_facts(text: &str, probed: &[(&str, &Probe)]) -> Outcome {
    let Ok(facts) = serde_json::from_str::<serde_json::Value>(text) else {
        return Outcome::Unreachable("its facts file is not JSON".to_owned());
    };
    if facts["unreachable"].as_bool() == Some(true) || facts["failed"].as_bool() == Some(true) {
        let message = facts["msg"].as_str().unwrap_or("no message").lines().next().unwrap_or_default();
        let what = if facts["unreachable"].as_bool() == Some(true) { "unreachable" } else { "failed" };
        return Outcome::Unreachable(format!("package_facts {what}: {message}"));
    }
    let packages = &facts["ansible_facts"]["packages"];
    if !packages.is_object() {
        return Outcome::Unreachable("its facts have no `packages` (run `ansible -m package_facts`)".to_owned());
    }
    let readings = probed
        .iter()
        .map(|(name, probe)| {
            let reading = match probe {
                Probe::Command { .. } => {
                    Reading::Unknown("its probe is a command, which package facts cannot answer".to_owned())
                }
                Probe::Package(package) => match packages[&package.value].as_array().and_then(|list| list.first()) {
                    None => Reading::Unknown(format!("package {} is not installed", package.value)),
                    Some(entry) => {
                        let raw = entry["version"].as_str().unwrap_or_default();
                        let full = match (entry["epoch"].as_u64(), entry["release"].as_str()) {
                            (epoch, Some(release)) if !release.is_empty() => {
                                format!("{}{raw}-{release}", epoch.map(|epoch| format!("{epoch}:")).unwrap_or_default())
                            }
                            _ => raw.to_owned(),
                        };
                        upstream(&full)
                    }
                },
            };
            ((*name).to_owned(), reading)
        })
        .collect();
    Outcome::Read(readings)
}

/// A package manager's version read as the upstream one: the epoch (`1:`) and the Debian
/// revision or RPM release (`-1ubuntu2`) dropped, `14.11` read as `14.11.0`.
fn upstream(raw: &str) -> Reading {
    let mut version = raw
        .split_once(':')
        .filter(|(epoch, _)| epoch.bytes().all(|b| b.is_ascii_digit()))
        .map_or(raw, |(_, rest)| rest);
    if let Some((upstream, _)) = version.rsplit_once('-') {
        version = upstream;
    }
    match crate::model::parse_version(version) {
        Ok(parsed) => Reading::Version { raw: (raw != parsed.to_string()).then(|| raw.to_owned()), version: parsed },
        Err(_) => Reading::Unknown(format!("`{raw}` is not a version cutover reads (semver)")),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of `time`, in UTC.
#[must_use]
pub fn timestamp(time: SystemTime) -> String {
    let seconds = time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let rest = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// The inventory `gather` writes: `inventory`'s groups and hosts, each host's probed components
/// as gathered (the others as the inventory said), with a comment where something was not.
#[must_use]
pub fn inventory_text(
    inventory: &Inventory,
    inventory_name: &str,
    probed: &[(&str, &Probe)],
    gathered: &[Gathered],
    started: &str,
) -> String {
    let names: Vec<&str> = probed.iter().map(|(name, _)| *name).collect();
    let mut out = format!(
        "# Written by `cutover gather` from {}: the versions of {} as each host said;\n\
         # anything else as that inventory said.\n",
        comment(inventory_name),
        comment(&names.join(", "))
    );
    let _ = writeln!(out, "gathered: {started}");
    out.push_str("groups:\n");
    if inventory.groups.is_empty() {
        out.push_str("  {}\n");
    }
    for group in inventory.groups.values() {
        let hosts: Vec<String> = group.hosts.iter().map(|host| word(&host.value)).collect();
        let _ = writeln!(out, "  {}: [{}]", word(&group.name.value), hosts.join(", "));
    }
    out.push_str("hosts:\n");
    let by_host: IndexMap<&str, &Gathered> = gathered.iter().map(|one| (one.host.as_str(), one)).collect();
    for (name, host) in &inventory.hosts {
        let mut installed: IndexMap<String, String> =
            host.installed.iter().map(|(component, version)| (component.clone(), version.value.to_string())).collect();
        let mut notes = Vec::new();
        let mut stamp = None;
        match by_host.get(name.as_str()).map(|one| (&one.outcome, &one.at)) {
            None => notes.push("not gathered".to_owned()),
            Some((Outcome::Unreachable(why), _)) => {
                notes.push(format!("not gathered: {why}; its versions are as {inventory_name} said"));
            }
            Some((Outcome::Read(readings), at)) => {
                stamp = Some(at.as_str());
                for (component, reading) in readings {
                    match reading {
                        Reading::Version { version, raw } => {
                            installed.insert(component.clone(), version.to_string());
                            if let Some(raw) = raw {
                                notes.push(format!("{component} {version} read from {raw}"));
                            }
                        }
                        reading @ Reading::Unknown(_) if reading.is_not_installed() => {
                            installed.shift_remove(component);
                        }
                        Reading::Unknown(why) => {
                            let kept = installed
                                .get(component)
                                .map_or_else(|| "left out".to_owned(), |version| format!("kept at {version}"));
                            notes.push(format!("{component} not gathered: {why}; {kept}"));
                        }
                    }
                }
            }
        }
        for note in &notes {
            let _ = writeln!(out, "  # {}: {}", comment(name), comment(note));
        }
        let versions: Vec<String> =
            installed.iter().map(|(component, version)| format!("{}: {}", word(component), word(version))).collect();
        let _ = write!(out, "  {}: {{ installed: {{ {} }}", word(name), versions.join(", "));
        if let Some(at) = stamp {
            let _ = write!(out, ", gathered: {at}");
        }
        out.push_str(" }\n");
    }
    out
}

/// A YAML scalar: plain where it is a simple word YAML reads as text, double-quoted otherwise.
fn word(text: &str) -> String {
    let plain = !text.is_empty()
        && text.bytes().next().is_some_and(|first| first.is_ascii_alphanumeric())
        && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._-+@/".contains(&byte))
        && !matches!(text.to_ascii_lowercase().as_str(), "true" | "false" | "null" | "yes" | "no" | "on" | "off")
        && text.parse::<f64>().is_err();
    if plain { text.to_owned() } else { serde_json::to_string(text).unwrap_or_default() }
}

/// Text for a comment: one line, no control character.
fn comment(text: &str) -> String {
    text.chars()
        .map(
            |character| {
                if character.is_control() || matches!(character, '\u{2028}' | '\u{2029}') { ' ' } else { character }
            },
        )
        .collect()
}

/// `$CUTOVER_SSH` as words, as the script reads it (xargs' rules: blanks separate, quotes group,
/// a backslash outside quotes takes the next character as it is); `None` when a quote is open.
#[must_use]
pub fn ssh_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        match character {
            '\'' | '"' => {
                in_word = true;
                loop {
                    match characters.next() {
                        Some(end) if end == character => break,
                        Some(inner) => word.push(inner),
                        None => return None,
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(characters.next()?);
            }
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            _ => {
                in_word = true;
                word.push(character);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_420_000)), "2026-12-04T21:33:20Z");
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn ssh_is_read_as_words() {
        assert_eq!(ssh_words("ssh -F 'a b' -o x\\ y").unwrap(), ["ssh", "-F", "a b", "-o", "x y"]);
        assert_eq!(ssh_words("ssh \"\"").unwrap(), ["ssh", ""]);
        assert!(ssh_words("ssh -F 'open").is_none());
    }

    #[test]
    fn package_versions_are_read_upstream() {
        assert_eq!(
            upstream("1:4.0.3-1ubuntu2"),
            Reading::Version { version: semver::Version::new(4, 0, 3), raw: Some("1:4.0.3-1ubuntu2".into()) }
        );
        assert_eq!(
            upstream("14.11"),
            Reading::Version { version: semver::Version::new(14, 11, 0), raw: Some("14.11".into()) }
        );
        assert_eq!(upstream("3.9.2"), Reading::Version { version: semver::Version::new(3, 9, 2), raw: None });
        assert!(matches!(upstream("x"), Reading::Unknown(_)));
    }

    #[test]
    fn words_are_quoted_where_yaml_would_read_them_otherwise() {
        assert_eq!(word("app-1"), "app-1");
        assert_eq!(word("3.9.2"), "3.9.2");
        assert_eq!(word("14.11"), "\"14.11\"");
        assert_eq!(word("yes"), "\"yes\"");
        assert_eq!(word("a: b"), "\"a: b\"");
    }
}
