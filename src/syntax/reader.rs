//! Reading a YAML node tree into the model: the typed accessors every YAML reader shares.
//!
//! A reader never stops at the first problem: it records a diagnostic, skips the bad value and
//! reads on, so one run reports everything.

use std::fmt::Display;

use crate::codes::{CUT001, CUT002};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::{Duration, Percent, Spanned, parse_version, parse_version_req};
use crate::syntax::yaml::{Node, NodeKind};

/// A field's name as messages write it, `` `key` ``; formatted only when a message is.
#[derive(Clone, Copy)]
struct Field<'k>(&'k str);

impl Display for Field<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "`{}`", self.0)
    }
}

/// Collects diagnostics while reading one file.
pub struct Reader<'d> {
    pub diagnostics: &'d mut Vec<Diagnostic>,
}

/// The entries of a mapping after unknown keys were reported.
pub struct Fields<'n> {
    entries: &'n [(Node, Node)],
    pub span: crate::source::Span,
}

impl<'n> Fields<'n> {
    /// The value of `key`, if present and not null.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entry(key).map(|(_, value)| value).filter(|value| value.kind != NodeKind::Null)
    }

    /// The key node and value of `key`, null values included.
    #[must_use]
    pub fn entry(&self, key: &str) -> Option<(&'n Node, &'n Node)> {
        self.entries
            .iter()
            .find(|(name, _)| name.as_scalar().is_some_and(|scalar| scalar.text == key))
            .map(|(name, value)| (name, value))
    }

    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }
}

impl Reader<'_> {
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// A CUT001 at `node`: the value is of the wrong form.
    pub fn wrong_form(&mut self, node: &Node, expected: &str) {
        let found = match &node.kind {
            NodeKind::Scalar(scalar) => format!("`{}`", crate::diagnostic::abbreviate(&scalar.text)),
            _ => node.describe().to_owned(),
        };
        self.report(
            Diagnostic::new(CUT001, node.span, format!("expected {expected}, found {found}"))
                .with_primary_label(format!("expected {expected}")),
        );
    }

    /// The entries of a mapping, reporting keys that are not in `known` (CUT002).
    pub fn fields<'n>(&mut self, node: &'n Node, known: &[&str], context: &str) -> Option<Fields<'n>> {
        let NodeKind::Mapping(entries) = &node.kind else {
            self.wrong_form(node, &format!("a mapping for {context}"));
            return None;
        };
        for (key, _) in entries {
            match key.as_scalar() {
                Some(scalar) if known.contains(&scalar.text.as_str()) => {}
                Some(scalar) => {
                    let diagnostic = Diagnostic::new(
                        CUT002,
                        key.span,
                        format!("unknown field `{}` in {context}", crate::diagnostic::abbreviate(&scalar.text)),
                    )
                    .with_primary_label("not a field of this")
                    .with_optional_help(
                        did_you_mean(&scalar.text, known.iter().copied())
                            .or_else(|| Some(format!("known fields: {}", known.join(", ")))),
                    );
                    self.report(diagnostic);
                }
                None => self.wrong_form(key, "a field name"),
            }
        }
        Some(Fields { entries, span: node.span })
    }

    /// The entries of a mapping whose keys are names chosen by the user (components, hosts).
    pub fn entries<'n>(&mut self, node: &'n Node, context: &str) -> Vec<(Spanned<String>, &'n Node)> {
        let NodeKind::Mapping(entries) = &node.kind else {
            if node.kind != NodeKind::Null {
                self.wrong_form(node, &format!("a mapping for {context}"));
            }
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|(key, value)| {
                if let Some(scalar) = key.as_scalar() {
                    Some((Spanned::new(scalar.text.clone(), key.span), value))
                } else {
                    self.wrong_form(key, "a name");
                    None
                }
            })
            .collect()
    }

    /// The items of a list; a single value is read as a list of one.
    pub fn items<'n>(&mut self, node: &'n Node, context: impl Display) -> &'n [Node] {
        match &node.kind {
            NodeKind::Sequence(items) => items,
            NodeKind::Null => &[],
            NodeKind::Scalar(_) => std::slice::from_ref(node),
            NodeKind::Mapping(_) => {
                self.wrong_form(node, &format!("a list for {context}"));
                &[]
            }
        }
    }

    /// A single value as text.
    pub fn string(&mut self, node: &Node, context: impl Display) -> Option<Spanned<String>> {
        if let Some(scalar) = node.as_scalar() {
            Some(Spanned::new(scalar.text.clone(), node.span))
        } else {
            self.wrong_form(node, &format!("a single value for {context}"));
            None
        }
    }

    /// A required field's text; a missing field is reported at `fields`' mapping.
    pub fn required_string(&mut self, fields: &Fields<'_>, key: &str, context: &str) -> Option<Spanned<String>> {
        if let Some(node) = fields.get(key) {
            self.string(node, Field(key))
        } else {
            self.report(
                Diagnostic::new(CUT001, first_line(fields.span), format!("{context} has no `{key}`"))
                    .with_primary_label(format!("`{key}` is missing here"))
                    .with_help(format!("add `{key}:`")),
            );
            None
        }
    }

    pub fn optional_string(&mut self, fields: &Fields<'_>, key: &str) -> Option<Spanned<String>> {
        fields.get(key).and_then(|node| self.string(node, Field(key)))
    }

    /// A list of single values (a single value counts as a list of one).
    pub fn strings(&mut self, fields: &Fields<'_>, key: &str) -> Vec<Spanned<String>> {
        let Some(node) = fields.get(key) else { return Vec::new() };
        self.items(node, Field(key))
            .iter()
            .filter_map(|item| self.string(item, format_args!("an item of {}", Field(key))))
            .collect()
    }

    pub fn parsed<T>(
        &mut self,
        fields: &Fields<'_>,
        key: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<Spanned<T>> {
        let node = fields.get(key)?;
        let text = self.string(node, Field(key))?;
        if let Some(value) = parse(&text.value) {
            Some(Spanned::new(value, text.span))
        } else {
            self.wrong_form(node, expected);
            None
        }
    }

    pub fn duration(&mut self, fields: &Fields<'_>, key: &str) -> Option<Spanned<Duration>> {
        self.parsed(fields, key, "a duration like 90s, 5m or 1h30m", Duration::parse)
    }

    pub fn percent(&mut self, fields: &Fields<'_>, key: &str) -> Option<Spanned<Percent>> {
        self.parsed(fields, key, "a percentage like 25%", Percent::parse)
    }

    pub fn boolean(&mut self, fields: &Fields<'_>, key: &str) -> Option<Spanned<bool>> {
        self.parsed(fields, key, "`true` or `false`", crate::model::parse_bool)
    }

    pub fn version_of(&mut self, node: &Node) -> Option<Spanned<semver::Version>> {
        let text = self.string(node, "a version")?;
        match parse_version(&text.value) {
            Ok(version) => Some(Spanned::new(version, text.span)),
            Err(message) => {
                self.report(Diagnostic::new(CUT001, text.span, message).with_primary_label("not a version"));
                None
            }
        }
    }

    pub fn version(&mut self, fields: &Fields<'_>, key: &str) -> Option<Spanned<semver::Version>> {
        fields.get(key).and_then(|node| self.version_of(node))
    }

    pub fn version_req_of(&mut self, node: &Node) -> Option<(Spanned<semver::VersionReq>, String)> {
        let text = self.string(node, "a version requirement")?;
        match parse_version_req(&text.value) {
            Ok(requirement) => Some((Spanned::new(requirement, text.span), text.value)),
            Err(message) => {
                self.report(Diagnostic::new(CUT001, text.span, message).with_primary_label("not a requirement"));
                None
            }
        }
    }
}

/// A mapping's span covers all of it; a "missing field" points at its first line only.
fn first_line(span: crate::source::Span) -> crate::source::Span {
    crate::source::Span { end: span.start, ..span }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::syntax::yaml;

    /// The messages name the field (and the item, and the argument) without building the
    /// names for values that are fine.
    #[test]
    fn wrong_forms_name_the_field() {
        let text = "after: [a, {b: 1}]\nid: [x]\nrun: ok\ntimeout: soon\n";
        let root = yaml::parse(FileId(0), text).expect("reads");
        let mut diagnostics = Vec::new();
        let mut reader = Reader { diagnostics: &mut diagnostics };
        let fields = reader.fields(&root, &["after", "id", "run", "timeout"], "a step").expect("a mapping");
        let after = reader.strings(&fields, "after");
        assert_eq!(after.iter().map(|text| text.value.as_str()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(reader.optional_string(&fields, "id"), None);
        assert_eq!(reader.required_string(&fields, "run", "a step").map(|text| text.value), Some("ok".to_owned()));
        assert_eq!(reader.duration(&fields, "timeout"), None);
        let messages: Vec<&str> = diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "expected a single value for an item of `after`, found a mapping",
                "expected a single value for `id`, found a list",
                "expected a duration like 90s, 5m or 1h30m, found `soon`",
            ]
        );
    }
}
