//! Probes: how a host tells which version of a component is installed (`probe:` in the
//! manifest). One bash text asks a host for every probed component at once; `cutover gather`
//! sends it over ssh, and the script's and the playbook's drift guard run the same text, so
//! that the three read a version the same way.
//!
//! The text prints one line per component: `NAME VERSION RAW` when the host has it, where
//! VERSION is the upstream version (an epoch, a Debian revision or an RPM release dropped,
//! `14.11` padded to `14.11.0`) and RAW what the host said; or `NAME - REASON` when it cannot
//! tell (not installed, the command printed nothing the pattern matches). Patterns are POSIX
//! extended regexes, matched on the host by bash's `=~`.

use std::fmt::Write as _;

use crate::model::Probe;
use crate::resolve::template::quote;

/// A value as one bash word on one line: single quotes, or `$'…'` with escapes where it holds
/// a control character (a line break), so that no value adds a line to the text.
fn word(value: &str) -> String {
    let breaks = |character: char| character.is_control() || matches!(character, '\u{2028}' | '\u{2029}');
    if !value.chars().any(breaks) {
        return quote(value);
    }
    let mut out = String::from("$'");
    for character in value.chars() {
        match character {
            '\\' | '\'' => {
                out.push('\\');
                out.push(character);
            }
            control if breaks(control) => {
                let _ = write!(out, "\\u{:04x}", u32::from(control));
            }
            other => out.push(other),
        }
    }
    out.push('\'');
    out
}

/// The bash text that probes `components` (name and probe, in order) on one host.
#[must_use]
pub fn script<'a>(components: impl IntoIterator<Item = (&'a str, &'a Probe)>) -> String {
    let mut out = String::from(HELPERS);
    for (index, (name, probe)) in components.into_iter().enumerate() {
        match probe {
            Probe::Package(package) => {
                let _ = writeln!(out, "cutover_probe_package {} {}", word(name), word(&package.value));
            }
            // The command is a function of its own, so that nothing in its text (a comment, a
            // quote) reaches the line that reads its output.
            Probe::Command { command, pattern } => {
                let _ = writeln!(
                    out,
                    "cutover_probe_{index}() {{\n{}\n}}\ncutover_probe_output {} {} \"$(cutover_probe_{index} 2>/dev/null </dev/null)\"",
                    command.value.trim_end(),
                    word(name),
                    word(&pattern.value),
                );
            }
        }
    }
    out
}

/// The bash text a host runs to check itself against the versions a plan was compiled for
/// (`compiled_for`, host by host): `probe` (the text of [`script`]) is run, and one line is
/// printed for each component whose version differs or cannot be told, saying what `runner`
/// (`playbook`) was compiled for. Nothing is printed where the host is as compiled. The host
/// is `$CUTOVER_HOST`.
#[must_use]
pub fn guard(
    probe: &str,
    compiled_for: &indexmap::IndexMap<String, indexmap::IndexMap<String, String>>,
    runner: &str,
) -> String {
    let mut out = format!("cutover_probe() {{\n{probe}}}\ndeclare -A expected=() seen=()\ncase $CUTOVER_HOST in\n");
    for (host, versions) in compiled_for {
        let table: Vec<String> =
            versions.iter().map(|(component, version)| format!("[{}]={}", word(component), word(version))).collect();
        let _ = writeln!(out, "  {}) expected=({}) ;;", word(host), table.join(" "));
    }
    out.push_str("esac\n");
    out.push_str(&GUARD.replace("RUNNER", runner));
    out
}

/// The comparison of [`guard`], after its table.
const GUARD: &str = r#"while read -r name version rest; do
  [[ -n $name && -n ${expected[$name]+set} ]] || continue
  seen[$name]=1
  if [[ $version == - ]]; then
    printf '%s: cannot tell which %s it runs (%s); this RUNNER was compiled for %s\n' \
      "$CUTOVER_HOST" "$name" "$rest" "${expected[$name]}"
  elif [[ $version != "${expected[$name]}" ]]; then
    printf '%s runs %s %s; this RUNNER was compiled for %s: run %s and build again\n' \
      "$CUTOVER_HOST" "$name" "$version" "${expected[$name]}" "\`cutover gather\`"
  fi
done < <(cutover_probe)
for name in "${!expected[@]}"; do
  [[ -n ${seen[$name]:-} ]] || printf '%s: cannot tell which %s it runs (the probe said nothing); this RUNNER was compiled for %s\n' \
    "$CUTOVER_HOST" "$name" "${expected[$name]}"
done
"#;

/// The helpers every probe text starts with.
const HELPERS: &str = r#"cutover_probe_report() {
  local name=$1 version=$2 raw=$3
  if [[ $version =~ ^[0-9]+$ ]]; then
    version+=.0.0
  elif [[ $version =~ ^[0-9]+\.[0-9]+$ ]]; then
    version+=.0
  fi
  printf '%s %s %s\n' "$name" "$version" "$raw"
}
cutover_probe_package() {
  local name=$1 package=$2 raw version
  if command -v dpkg-query >/dev/null 2>&1; then
    raw=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null) || raw=
  elif command -v rpm >/dev/null 2>&1; then
    raw=$(rpm -q --qf '%{EPOCH}:%{VERSION}-%{RELEASE}' "$package" 2>/dev/null) || raw=
    raw=${raw#\(none\):}
  else
    printf '%s - neither dpkg-query nor rpm is on this host\n' "$name"
    return
  fi
  raw=${raw//[$'\t\n ']/}
  if [[ -z $raw ]]; then
    printf '%s - package %s is not installed\n' "$name" "$package"
    return
  fi
  version=$raw
  [[ $version =~ ^[0-9]+:(.*)$ ]] && version=${BASH_REMATCH[1]}
  [[ $version == *-* ]] && version=${version%-*}
  cutover_probe_report "$name" "$version" "$raw"
}
cutover_probe_output() {
  local name=$1 pattern=$2 output=$3 version
  if [[ -z $output ]]; then
    printf '%s - the probe printed nothing\n' "$name"
  elif [[ $output =~ $pattern ]]; then
    version=${BASH_REMATCH[1]}
    cutover_probe_report "$name" "$version" "$version"
  else
    printf '%s - the probe printed nothing its pattern matches\n' "$name"
  fi
}
"#;

/// What a host said about one component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// The upstream version, and the raw one where it differs (`1:4.0.3-1ubuntu2`).
    Version { version: semver::Version, raw: Option<String> },
    /// The host could not tell; why.
    Unknown(String),
}

impl Reading {
    /// True where the host said it does not have the component (a package probe's "package
    /// NAME is not installed", from the host or from package facts): a fact, not a doubt.
    #[must_use]
    pub fn is_not_installed(&self) -> bool {
        matches!(self, Self::Unknown(why) if why.ends_with(" is not installed"))
    }
}

/// Reads the lines of a probe text's output: component name to what the host said.
#[must_use]
pub fn read_output(output: &str) -> Vec<(String, Reading)> {
    output
        .lines()
        .filter_map(|line| {
            let mut words = line.splitn(3, ' ');
            let name = words.next()?.to_owned();
            let version = words.next()?;
            let rest = words.next().unwrap_or_default().to_owned();
            if version == "-" {
                return Some((name, Reading::Unknown(rest)));
            }
            Some((
                name,
                match crate::model::parse_version(version) {
                    Ok(parsed) => Reading::Version { raw: (rest != version).then_some(rest), version: parsed },
                    Err(_) => Reading::Unknown(format!("`{rest}` is not a version cutover reads (semver)")),
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_need_one_group_in_ere() {
        assert_eq!(Probe::check_pattern("dten-core ([0-9.]+)"), Ok(()));
        assert_eq!(Probe::check_pattern("v[(]?([0-9.]+)"), Ok(()));
        assert!(Probe::check_pattern("([0-9]+)\\.([0-9]+)").unwrap_err().contains("2 groups"));
        assert!(Probe::check_pattern("[0-9.]+").unwrap_err().contains("no group"));
        assert!(Probe::check_pattern("(\\d+)").unwrap_err().contains("\\d"));
        assert!(Probe::check_pattern("(?:x)(1)").unwrap_err().contains("(?"));
        assert!(Probe::check_pattern("([0-9").unwrap_err().contains('['));
    }

    #[test]
    fn output_lines_are_read_with_what_was_dropped() {
        let read = read_output("a 4.0.3 1:4.0.3-1ubuntu2\nb 4.2.0 4.2.0\nc - package c is not installed\nd x.y x.y\n");
        assert_eq!(
            read[0],
            (
                "a".to_owned(),
                Reading::Version { version: semver::Version::new(4, 0, 3), raw: Some("1:4.0.3-1ubuntu2".into()) }
            )
        );
        assert_eq!(read[1], ("b".to_owned(), Reading::Version { version: semver::Version::new(4, 2, 0), raw: None }));
        assert_eq!(read[2], ("c".to_owned(), Reading::Unknown("package c is not installed".into())));
        assert!(matches!(&read[3].1, Reading::Unknown(why) if why.contains("x.y")));
    }
}
