//! Config scanning for `cutover scan-config`: the manifest's deprecated and removed keys (its
//! `config` matrix) in real config files. Beside the pipeline, not a stage of it; pure, like the
//! stages: the CLI reads the files and hands their text here.
//!
//! One line is one setting. Understood: `key = value`, `key: value` (YAML-ish, with nested block
//! mappings read as dotted names), and INI or TOML `[section]` headers, under which a key is
//! matched both as `section.key` and as `key`. Blank lines and comments (`#`, `;`) are skipped;
//! so are YAML list items, document markers and the text of block scalars (`key: |`).

use semver::Version;

use crate::codes::{CUT015, CUT016, Code};
use crate::model::{ConfigKey, Manifest};

/// A key's standing at the manifest's version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `removed_in` is at or below the manifest's version: the new version ignores or rejects it.
    Removed,
    /// `deprecated_in` is at or below the manifest's version, or a removal is announced for a
    /// later one: it still works, for now.
    Deprecated,
}

impl Status {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Removed => "removed",
            Self::Deprecated => "deprecated",
        }
    }

    /// CUT015 `removed-config-key` or CUT016 `deprecated-config-key`: the codes `check` uses
    /// for the same keys set in a plan.
    #[must_use]
    pub fn code(self) -> Code {
        match self {
            Self::Removed => CUT015,
            Self::Deprecated => CUT016,
        }
    }
}

/// One setting in a config file: where its key is and the dotted names it may go by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'t> {
    /// The key as written (without quotes).
    pub written: &'t str,
    /// The `[section]` it sits under, if any.
    pub section: Option<&'t str>,
    /// Names to look the key up by, most specific first: `section.key`, then `key` (each with
    /// the names of the YAML mappings it is nested in).
    pub names: Vec<String>,
    /// 1-based line, and column in characters.
    pub line: usize,
    pub column: usize,
    /// Byte range of the key in the text.
    pub start: usize,
    pub end: usize,
}

/// A deprecated or removed key found in a config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The key's name in the manifest's matrix.
    pub key: String,
    pub written: String,
    pub section: Option<String>,
    pub line: usize,
    pub column: usize,
    pub start: usize,
    pub end: usize,
    pub status: Status,
    pub deprecated_in: Option<Version>,
    pub removed_in: Option<Version>,
    pub replaced_by: Option<String>,
}

impl Finding {
    /// `removed key dten.legacy.fallback (removed in 4.2.0; use dten.hybrid.enable instead)`.
    #[must_use]
    pub fn message(&self) -> String {
        let mut details = Vec::new();
        match self.status {
            Status::Removed => {
                if let Some(removed_in) = &self.removed_in {
                    details.push(format!("removed in {removed_in}"));
                }
            }
            Status::Deprecated => {
                if let Some(deprecated_in) = &self.deprecated_in {
                    details.push(format!("deprecated in {deprecated_in}"));
                }
                if let Some(removed_in) = &self.removed_in {
                    details.push(format!("to be removed in {removed_in}"));
                }
            }
        }
        if let Some(replacement) = &self.replaced_by {
            details.push(format!("use {replacement} instead"));
        }
        if details.is_empty() {
            format!("{} key {}", self.status.as_str(), self.key)
        } else {
            format!("{} key {} ({})", self.status.as_str(), self.key, details.join("; "))
        }
    }
}

/// The standing of `key` at `version`; `None` for a key that is current there.
#[must_use]
pub fn status(key: &ConfigKey, version: &Version) -> Option<Status> {
    let removed_in = key.removed_in.as_ref().map(|removed_in| &removed_in.value);
    let deprecated_in = key.deprecated_in.as_ref().map(|deprecated_in| &deprecated_in.value);
    if removed_in.is_some_and(|removed_in| removed_in <= version) {
        Some(Status::Removed)
    } else if deprecated_in.is_some_and(|deprecated_in| deprecated_in <= version)
        || (deprecated_in.is_none() && removed_in.is_some())
    {
        Some(Status::Deprecated)
    } else {
        None
    }
}

/// Every deprecated or removed key of `manifest`'s matrix set in `text`, judged at the version
/// the manifest ships of the key's component (`Manifest::release_of`), in line order.
#[must_use]
pub fn scan(text: &str, manifest: &Manifest) -> Vec<Finding> {
    let mut findings = Vec::new();
    for entry in entries(text) {
        // The most specific name the matrix knows is the key this line sets; a current key
        // there is no finding, even if a shorter name of it is deprecated.
        let Some(key) = entry.names.iter().find_map(|name| manifest.config.get(name)) else { continue };
        let Some(status) = status(key, manifest.release_of(key).1) else { continue };
        findings.push(Finding {
            key: key.name.value.clone(),
            written: entry.written.to_owned(),
            section: entry.section.map(str::to_owned),
            line: entry.line,
            column: entry.column,
            start: entry.start,
            end: entry.end,
            status,
            deprecated_in: key.deprecated_in.as_ref().map(|version| version.value.clone()),
            removed_in: key.removed_in.as_ref().map(|version| version.value.clone()),
            replaced_by: key.replaced_by.as_ref().map(|replacement| replacement.value.clone()),
        });
    }
    findings
}

/// Every setting in `text`, in line order.
#[must_use]
pub fn entries(text: &str) -> Vec<Entry<'_>> {
    let mut found = Vec::new();
    let mut section: Option<&str> = None;
    // The YAML mappings the current line may be nested in: (indent, key), outermost first.
    let mut nesting: Vec<(usize, &str)> = Vec::new();
    // Inside a block scalar (`key: |`): lines indented deeper than this are its text.
    let mut block_scalar: Option<usize> = None;
    let mut line_start = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let start_of_this_line = line_start;
        line_start += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        // A byte-order mark is not part of the first key.
        let bom = if index == 0 && line.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        let body = &line[bom..];
        let content = body.trim_start();
        let indent = body.len() - content.len();
        if content.is_empty() {
            continue;
        }
        if let Some(block_indent) = block_scalar {
            if indent > block_indent {
                continue;
            }
            block_scalar = None;
        }
        if content.starts_with(['#', ';']) || content.starts_with("- ") || content == "-" {
            continue;
        }
        if content == "---" || content == "..." {
            nesting.clear();
            continue;
        }
        if let Some(header) = section_header(content) {
            section = (!header.is_empty()).then_some(header);
            nesting.clear();
            continue;
        }
        let Some(separator) = content.find(['=', ':']) else { continue };
        let (key, quote) = unquote(content[..separator].trim_end());
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        let value = content[separator + 1..].trim();
        let yaml = content.as_bytes()[separator] == b':';
        // A key at or left of a mapping's key closes that mapping, whatever its separator.
        while nesting.last().is_some_and(|(outer, _)| *outer >= indent) {
            nesting.pop();
        }
        let mut path = String::new();
        if yaml {
            for (_, name) in &nesting {
                path.push_str(name);
                path.push('.');
            }
        }
        path.push_str(key);
        let mut names = Vec::with_capacity(2);
        if let Some(section) = section {
            names.push(format!("{section}.{path}"));
        }
        names.push(path);
        let key_start = start_of_this_line + bom + indent + quote;
        found.push(Entry {
            written: key,
            section,
            names,
            line: index + 1,
            column: body[..indent].chars().count() + quote + 1,
            start: key_start,
            end: key_start + key.len(),
        });
        if yaml && (value.is_empty() || value.starts_with('#')) {
            nesting.push((indent, key));
        } else if yaml && value.starts_with(['|', '>']) {
            block_scalar = Some(indent);
        }
    }
    found
}

/// The name inside `[section]` (or TOML's `[[table]]`), trimmed; a comment may follow it.
fn section_header(content: &str) -> Option<&str> {
    let (open, close) = if content.starts_with("[[") { ("[[", "]]") } else { ("[", "]") };
    let after_open = content.strip_prefix(open)?;
    let end = after_open.find(close)?;
    let rest = after_open[end + close.len()..].trim_start();
    (rest.is_empty() || rest.starts_with(['#', ';'])).then(|| after_open[..end].trim())
}

/// A key without the quotes around it (`"dten.legacy.fallback"`), and how many bytes of quote
/// came before it.
fn unquote(key: &str) -> (&str, usize) {
    for quote in ['"', '\''] {
        if let Some(inner) = key.strip_prefix(quote).and_then(|inner| inner.strip_suffix(quote)) {
            return (inner, 1);
        }
    }
    (key, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    const MANIFEST: &str = r"
package: dten
version: 4.2.0
components: { dten-core: { version: 4.2.0 } }
config:
  dten.legacy.fallback: { deprecated_in: 4.0.0, removed_in: 4.2.0, replaced_by: dten.hybrid.enable }
  dten.cache.size:      { deprecated_in: 4.1.0 }
  dten.sessions.split:  { removed_in: 4.4.0 }
  dten.future.knob:     { deprecated_in: 4.3.0, removed_in: 5.0.0 }
  dten.hybrid.enable:   { type: bool, since: 4.1.0 }
  legacy.fallback:      { removed_in: 4.1.0 }
";

    fn manifest() -> Manifest {
        let root = crate::syntax::yaml::parse(FileId(0), MANIFEST).unwrap();
        let mut diagnostics = Vec::new();
        let manifest = crate::syntax::manifest::read_manifest(FileId(0), &root, &mut diagnostics).unwrap();
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        manifest
    }

    /// `LINE: message` for each finding.
    fn findings(text: &str) -> Vec<String> {
        scan(text, &manifest()).iter().map(|finding| format!("{}: {}", finding.line, finding.message())).collect()
    }

    fn names(text: &str) -> Vec<String> {
        entries(text).into_iter().map(|entry| entry.names.join(" | ")).collect()
    }

    #[test]
    fn status_is_judged_at_the_manifest_version() {
        let manifest = manifest();
        let at = |name: &str| status(&manifest.config[name], &manifest.version.value);
        assert_eq!(at("dten.legacy.fallback"), Some(Status::Removed));
        assert_eq!(at("dten.cache.size"), Some(Status::Deprecated));
        // A removal announced for later is a deprecation now.
        assert_eq!(at("dten.sessions.split"), Some(Status::Deprecated));
        assert_eq!(at("dten.future.knob"), None);
        assert_eq!(at("dten.hybrid.enable"), None);
    }

    #[test]
    fn messages_name_the_versions_and_the_replacement() {
        assert_eq!(
            findings("dten.legacy.fallback = true\ndten.cache.size: 64\ndten.sessions.split=1\n"),
            [
                "1: removed key dten.legacy.fallback (removed in 4.2.0; use dten.hybrid.enable instead)",
                "2: deprecated key dten.cache.size (deprecated in 4.1.0)",
                "3: deprecated key dten.sessions.split (to be removed in 4.4.0)",
            ]
        );
    }

    #[test]
    fn comments_blank_lines_and_current_keys_are_not_findings() {
        let text = "# dten.legacy.fallback = true\n\n; dten.cache.size = 1\n   # indented comment: x\n\
                    dten.hybrid.enable = true\ndten.future.knob = 3\nnot a setting\n";
        assert_eq!(findings(text), Vec::<String>::new());
    }

    #[test]
    fn ini_keys_match_with_and_without_their_section() {
        let text =
            "[dten]\ncache.size = 1\n\n[dten.legacy]  ; old keys\nfallback = on\n[[other]]\ndten.legacy.fallback=1\n";
        assert_eq!(
            names(text),
            [
                "dten.cache.size | cache.size",
                "dten.legacy.fallback | fallback",
                "other.dten.legacy.fallback | dten.legacy.fallback"
            ]
        );
        assert_eq!(
            findings(text),
            [
                "2: deprecated key dten.cache.size (deprecated in 4.1.0)",
                "5: removed key dten.legacy.fallback (removed in 4.2.0; use dten.hybrid.enable instead)",
                "7: removed key dten.legacy.fallback (removed in 4.2.0; use dten.hybrid.enable instead)",
            ]
        );
    }

    #[test]
    fn section_headers_may_carry_a_comment() {
        assert_eq!(section_header("[dten]"), Some("dten"));
        assert_eq!(section_header("[ dten.cache ]  # see [docs]"), Some("dten.cache"));
        assert_eq!(section_header("[[servers]] ; TOML array of tables"), Some("servers"));
        assert_eq!(section_header("[a] b"), None);
        assert_eq!(section_header("[unclosed"), None);
    }

    #[test]
    fn the_most_specific_name_decides() {
        // In [dten], `legacy.fallback` is dten.legacy.fallback, not the top-level legacy.fallback.
        let found = scan("[dten]\nlegacy.fallback = 1\n", &manifest());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "dten.legacy.fallback");
        assert_eq!(found[0].section.as_deref(), Some("dten"));
        // In [dten], `hybrid.enable` is the current dten.hybrid.enable: no finding.
        assert!(scan("[dten]\nhybrid.enable = 1\n", &manifest()).is_empty());
    }

    #[test]
    fn nested_yaml_mappings_make_dotted_names() {
        let text = "dten:\n  legacy:\n    fallback: true # old\n  cache:\n    size: 64\nother: 1\nsize: 2\n";
        assert_eq!(
            names(text),
            ["dten", "dten.legacy", "dten.legacy.fallback", "dten.cache", "dten.cache.size", "other", "size"]
        );
    }

    #[test]
    fn block_scalars_list_items_and_markers_are_skipped() {
        let text = "---\nnotes: |\n  dten.legacy.fallback: true\n  more text\nitems:\n  - dten.cache.size: 1\n...\n";
        assert_eq!(names(text), ["notes", "items"]);
    }

    #[test]
    fn positions_point_at_the_key() {
        let text = "\u{feff}a = 1\r\n  \"dten.cache.size\": 2\r\n";
        let entries = entries(text);
        assert_eq!((entries[0].line, entries[0].column), (1, 1));
        assert_eq!(&text[entries[0].start..entries[0].end], "a");
        assert_eq!((entries[1].line, entries[1].column), (2, 4));
        assert_eq!(&text[entries[1].start..entries[1].end], "dten.cache.size");
        assert_eq!(entries[1].names, ["dten.cache.size"]);
    }
}
