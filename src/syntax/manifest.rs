//! Reading the vendor's package manifest (JSON or YAML) into the model.

use indexmap::IndexMap;

use crate::codes::{CUT001, CUT010};
use crate::diagnostic::Diagnostic;
use crate::model::{
    Component, ConfigKey, LockMode, Manifest, Migration, Probe, Reboot, Requirement, Signing, Skew, SkewLimit, Spanned,
    UpgradeEdge,
};
use crate::source::{FileId, Span};
use crate::syntax::reader::Reader;
use crate::syntax::yaml::Node;

pub(crate) const MANIFEST_FIELDS: &[&str] =
    &["package", "version", "components", "config", "migrations", "signing", "files", "skew"];
pub(crate) const COMPONENT_FIELDS: &[&str] =
    &["version", "requires", "units", "renamed_units", "reboot", "upgrade_from", "required_stops", "probe"];
pub(crate) const CONFIG_FIELDS: &[&str] =
    &["component", "type", "since", "deprecated_in", "removed_in", "replaced_by", "required", "expect", "why"];
pub(crate) const SKEW_FIELDS: &[&str] = &["component", "at_most", "behind", "max_minor"];
pub(crate) const MIGRATION_FIELDS: &[&str] = &["id", "component", "lock", "estimate", "reversible"];

/// Reads a manifest. `None` when the file is not a manifest at all.
pub fn read_manifest(file: FileId, root: &Node, diagnostics: &mut Vec<Diagnostic>) -> Option<Manifest> {
    let mut reader = Reader { diagnostics };
    let fields = reader.fields(root, MANIFEST_FIELDS, "a package manifest")?;
    let package = reader.required_string(&fields, "package", "the manifest")?;
    let version = reader.version(&fields, "version").unwrap_or_else(|| {
        if !fields.has("version") {
            reader.report(Diagnostic::new(CUT001, package.span, "the manifest has no `version`"));
        }
        Spanned::new(semver::Version::new(0, 0, 0), package.span)
    });
    let components: IndexMap<String, Component> = fields
        .get("components")
        .map(|node| {
            reader
                .entries(node, "`components`")
                .into_iter()
                .filter_map(|(name, node)| read_component(&mut reader, name, node))
                .map(|component| (component.name.value.clone(), component))
                .collect()
        })
        .unwrap_or_default();
    let config: IndexMap<String, ConfigKey> = fields
        .get("config")
        .map(|node| {
            reader
                .entries(node, "`config`")
                .into_iter()
                .filter_map(|(name, node)| read_config_key(&mut reader, name, node))
                .map(|key| (key.name.value.clone(), key))
                .collect()
        })
        .unwrap_or_default();
    let migrations = fields
        .get("migrations")
        .map(|node| {
            reader.items(node, "`migrations`").iter().filter_map(|item| read_migration(&mut reader, item)).collect()
        })
        .unwrap_or_default();
    let signing = fields.get("signing").and_then(|node| {
        let fields = reader.fields(node, &["certificate", "issuer"], "`signing`")?;
        Some(Signing {
            certificate: reader.optional_string(&fields, "certificate"),
            issuer: reader.optional_string(&fields, "issuer"),
            span: node.span,
        })
    });
    let files = fields
        .get("files")
        .map(|node| {
            reader
                .entries(node, "`files`")
                .into_iter()
                .filter_map(|(path, checksum)| reader.string(checksum, "a checksum").map(|checksum| (path, checksum)))
                .collect()
        })
        .unwrap_or_default();
    let skew = fields
        .get("skew")
        .map(|node| reader.items(node, "`skew`").iter().filter_map(|item| read_skew(&mut reader, item)).collect())
        .unwrap_or_default();
    for key in config.values() {
        let Some(owner) = key.component.as_ref() else { continue };
        if !components.contains_key(owner.as_str()) {
            let known: Vec<&str> = components.keys().map(String::as_str).collect();
            reader.report(
                Diagnostic::new(
                    CUT010,
                    owner.span,
                    format!(
                        "config key `{}` belongs to `{}`, which is no component of this manifest",
                        key.name.value, owner.value
                    ),
                )
                .with_help(format!("name one of the components: {}", known.join(", "))),
            );
        }
    }
    Some(Manifest { file, package, version, components, config, migrations, signing, files, skew })
}

fn read_component(reader: &mut Reader<'_>, name: Spanned<String>, node: &Node) -> Option<Component> {
    let fields = reader.fields(node, COMPONENT_FIELDS, &format!("component `{}`", name.value))?;
    let Some(version) = reader.version(&fields, "version") else {
        if !fields.has("version") {
            reader.report(
                Diagnostic::new(CUT001, name.span, format!("component `{}` has no `version`", name.value))
                    .with_help("add the version this package ships, like `version: 4.2.0`"),
            );
        }
        return None;
    };
    let requires = fields
        .get("requires")
        .map(|node| {
            reader
                .entries(node, "`requires`")
                .into_iter()
                .filter_map(|(name, requirement)| {
                    let (requirement, text) = reader.version_req_of(requirement)?;
                    Some(Requirement { name, requirement, text })
                })
                .collect()
        })
        .unwrap_or_default();
    let units = reader.strings(&fields, "units");
    let renamed_units = fields
        .get("renamed_units")
        .map(|node| {
            reader
                .entries(node, "`renamed_units`")
                .into_iter()
                .filter_map(|(old, new)| reader.string(new, "the new unit name").map(|new| (old, new)))
                .collect()
        })
        .unwrap_or_default();
    let reboot = reader
        .parsed(&fields, "reboot", "one of none, recommended, required", |text| match text {
            "none" => Some(Reboot::None),
            "recommended" => Some(Reboot::Recommended),
            "required" => Some(Reboot::Required),
            _ => None,
        })
        .unwrap_or_else(|| Spanned::new(Reboot::None, name.span));
    let upgrade_from = fields
        .get("upgrade_from")
        .map(|node| {
            reader.items(node, "`upgrade_from`").iter().filter_map(|item| read_upgrade_edge(reader, item)).collect()
        })
        .unwrap_or_default();
    let required_stops = fields
        .get("required_stops")
        .map(|node| reader.items(node, "`required_stops`").iter().filter_map(|item| reader.version_of(item)).collect())
        .unwrap_or_default();
    let probe = fields.get("probe").and_then(|node| read_probe(reader, &name.value, node));
    Some(Component { name, version, requires, units, renamed_units, reboot, upgrade_from, required_stops, probe })
}

fn read_probe(reader: &mut Reader<'_>, component: &str, node: &Node) -> Option<Probe> {
    let context = format!("the `probe` of `{component}`");
    let fields = reader.fields(node, &["package", "command", "pattern"], &context)?;
    let package = reader.optional_string(&fields, "package");
    let command = reader.optional_string(&fields, "command");
    let pattern = reader.optional_string(&fields, "pattern");
    match (package, command, pattern) {
        (Some(package), None, None) => Some(Probe::Package(package)),
        (None, Some(command), Some(pattern)) => {
            if let Err(problem) = crate::model::Probe::check_pattern(&pattern.value) {
                reader.report(
                    Diagnostic::new(CUT001, pattern.span, format!("the probe pattern of `{component}` {problem}"))
                        .with_help(
                            "write a POSIX extended regex (bash's `=~` reads it on the host) with one group \
                             around the version, like \"dten-core ([0-9.]+)\"",
                        ),
                );
                return None;
            }
            Some(Probe::Command { command, pattern })
        }
        (None, Some(command), None) => {
            reader.report(
                Diagnostic::new(CUT001, command.span, format!("the probe command of `{component}` has no `pattern`"))
                    .with_help("add the regex whose one group is the version, like `pattern: \"version ([0-9.]+)\"`"),
            );
            None
        }
        _ => {
            reader.report(
                Diagnostic::new(CUT001, node.span, format!("{context} needs either `package` or `command` with `pattern`"))
                    .with_help("write `probe: { package: NAME }` or `probe: { command: \"NAME --version\", pattern: \"([0-9.]+)\" }`"),
            );
            None
        }
    }
}

fn read_upgrade_edge(reader: &mut Reader<'_>, node: &Node) -> Option<UpgradeEdge> {
    let fields = reader.fields(node, &["from", "via"], "an `upgrade_from` entry")?;
    let Some(from_node) = fields.get("from") else {
        reader.report(
            Diagnostic::new(
                CUT001,
                Span { end: node.span.start, ..node.span },
                "an `upgrade_from` entry has no `from`",
            )
            .with_help("add the versions this path starts from, like `from: \">=4.0.0, <4.2.0\"`"),
        );
        return None;
    };
    let (from, from_text) = reader.version_req_of(from_node)?;
    let via = fields
        .get("via")
        .map(|via| reader.items(via, "`via`").iter().filter_map(|item| reader.version_of(item)).collect())
        .unwrap_or_default();
    Some(UpgradeEdge { from, from_text, via, span: node.span })
}

fn read_config_key(reader: &mut Reader<'_>, name: Spanned<String>, node: &Node) -> Option<ConfigKey> {
    let fields = reader.fields(node, CONFIG_FIELDS, &format!("config key `{}`", name.value))?;
    Some(ConfigKey {
        component: reader.optional_string(&fields, "component"),
        kind: reader.optional_string(&fields, "type"),
        since: reader.version(&fields, "since"),
        deprecated_in: reader.version(&fields, "deprecated_in"),
        removed_in: reader.version(&fields, "removed_in"),
        replaced_by: reader.optional_string(&fields, "replaced_by"),
        required: reader.boolean(&fields, "required").is_some_and(|required| required.value),
        expect: reader.optional_string(&fields, "expect"),
        why: reader.optional_string(&fields, "why"),
        name,
    })
}

/// `{ component: A, at_most: B }` or `{ component: A, behind: B, max_minor: N }`.
fn read_skew(reader: &mut Reader<'_>, node: &Node) -> Option<Skew> {
    let fields = reader.fields(node, SKEW_FIELDS, "a `skew` rule")?;
    let component = reader.required_string(&fields, "component", "a `skew` rule")?;
    let at_most = reader.optional_string(&fields, "at_most");
    let behind = reader.optional_string(&fields, "behind");
    let max_minor = reader
        .parsed(&fields, "max_minor", "a whole number of minor versions, like 3", |text| text.parse::<u64>().ok());
    let form = "write `{ component: A, at_most: B }` or `{ component: A, behind: B, max_minor: N }`";
    let limit = match (at_most, behind, max_minor) {
        (Some(other), None, None) => SkewLimit::AtMost(other),
        (None, Some(other), Some(max_minor)) => SkewLimit::Behind { other, max_minor },
        (None, Some(other), None) => {
            if !fields.has("max_minor") {
                reader.report(
                    Diagnostic::new(
                        CUT001,
                        other.span,
                        format!("the skew rule of `{}` has no `max_minor`", component.value),
                    )
                    .with_help("say how many minor versions it may be behind, like `max_minor: 3`"),
                );
            }
            return None;
        }
        (Some(_), Some(other), _) => {
            reader.report(
                Diagnostic::new(
                    CUT001,
                    other.span,
                    format!("the skew rule of `{}` has both `at_most` and `behind`", component.value),
                )
                .with_help(form),
            );
            return None;
        }
        (Some(_), None, Some(max_minor)) => {
            reader.report(
                Diagnostic::new(CUT001, max_minor.span, "`max_minor` goes with `behind`, not with `at_most`")
                    .with_help(form),
            );
            return None;
        }
        (None, None, _) => {
            reader.report(
                Diagnostic::new(
                    CUT001,
                    component.span,
                    format!("the skew rule of `{}` says no limit", component.value),
                )
                .with_help(form),
            );
            return None;
        }
    };
    Some(Skew { component, limit, span: node.span })
}

fn read_migration(reader: &mut Reader<'_>, node: &Node) -> Option<Migration> {
    let fields = reader.fields(node, MIGRATION_FIELDS, "a migration")?;
    let id = reader.required_string(&fields, "id", "a migration")?;
    let component = reader.required_string(&fields, "component", &format!("migration `{}`", id.value))?;
    let lock = reader
        .parsed(&fields, "lock", &format!("a lock mode ({})", LockMode::NAMES.join(", ")), LockMode::parse)
        .unwrap_or_else(|| Spanned::new(LockMode::None, id.span));
    Some(Migration {
        estimate: reader.duration(&fields, "estimate"),
        reversible: reader.boolean(&fields, "reversible").is_none_or(|reversible| reversible.value),
        id,
        component,
        lock,
    })
}
