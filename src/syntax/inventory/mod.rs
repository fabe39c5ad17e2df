//! Reading an inventory into the model, in any of the forms a plan's `inventory:` may name:
//! cutover's own YAML (`groups:` and `hosts:` with `installed:`), or an Ansible inventory read
//! natively: INI (`ini`), YAML, or the JSON of `ansible-inventory --list` (`tree`), with
//! installed versions in the host variable `cutover_installed` (`ansible`). The form is chosen
//! by the file's extension and its first lines ([`Form::of`]).

mod ansible;
mod ini;
mod pattern;
mod tree;

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, abbreviate};
use crate::model::names::{self, NameKind};
use crate::model::{Host, Inventory, Spanned};
use crate::source::FileId;
use crate::syntax::reader::Reader;
use crate::syntax::yaml::{self, Node, NodeKind};

pub use ansible::INSTALLED_VARIABLE;

/// The fields of cutover's own inventory form; `gathered` is written by `cutover gather`.
pub(crate) const INVENTORY_FIELDS: &[&str] = &["groups", "hosts", "gathered"];
/// The fields of a host in cutover's own form.
pub(crate) const HOST_FIELDS: &[&str] = &["installed", "gathered"];

/// The forms of inventory cutover reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// YAML or JSON: cutover's own form, Ansible's YAML form or `ansible-inventory --list`
    /// JSON, told apart by their keys once read.
    Tree,
    /// Ansible's INI form.
    Ini,
}

impl Form {
    /// The form of the file `name` holding `text`: `.ini` is INI, `.json` a tree; otherwise the
    /// first line that is not blank or a comment decides: a `[section]` header is INI, `---`, a
    /// `{` or a `key:` is YAML, and for `.yaml`/`.yml` YAML is assumed; anything else (a bare
    /// host name, as INI inventories without sections begin) is INI.
    #[must_use]
    pub fn of(name: &str, text: &str) -> Self {
        let extension = name.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase());
        match extension.as_deref() {
            Some("ini" | "cfg") => return Self::Ini,
            Some("json") => return Self::Tree,
            _ => {}
        }
        let first = text.lines().map(str::trim).find(|line| !line.is_empty() && !line.starts_with(['#', ';']));
        let Some(first) = first else { return Self::Tree };
        if first.starts_with('[') {
            return Self::Ini;
        }
        let yaml_key = first.ends_with(':') || first.contains(": ") || first.contains(":\t");
        if first.starts_with("---")
            || first.starts_with('{')
            || yaml_key
            || matches!(extension.as_deref(), Some("yaml" | "yml"))
        {
            Self::Tree
        } else {
            Self::Ini
        }
    }
}

/// Reads the inventory file `file`, named `name` (its extension helps choose the form).
/// `None` when the file is not an inventory at all, after reporting why.
pub fn read_inventory(file: FileId, name: &str, text: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<Inventory> {
    match Form::of(name, text) {
        Form::Ini => {
            if text.trim().is_empty() {
                diagnostics.push(Diagnostic::new(
                    crate::codes::CUT001,
                    crate::source::Span::new(file, 0, 0),
                    "the file is empty",
                ));
                return None;
            }
            ini::read(file, text, diagnostics).finish(diagnostics)
        }
        Form::Tree => {
            let root = match yaml::parse(file, text) {
                Ok(root) => root,
                Err(diagnostic) => {
                    diagnostics.push(diagnostic);
                    return None;
                }
            };
            if is_cutover_form(&root) {
                read_cutover_inventory(file, &root, diagnostics)
            } else {
                tree::read(file, text, &root, diagnostics).finish(diagnostics)
            }
        }
    }
}

/// Cutover's own form has `groups:` or `hosts:` at the top (or is not a mapping, which its
/// reader reports); an Ansible inventory has group names there (`all:`, `_meta:`).
fn is_cutover_form(root: &Node) -> bool {
    let NodeKind::Mapping(entries) = &root.kind else { return true };
    entries.is_empty()
        || entries
            .iter()
            .any(|(key, _)| key.as_scalar().is_some_and(|key| INVENTORY_FIELDS.contains(&key.text.as_str())))
}

/// Reads cutover's own inventory form. `None` when the file is not an inventory at all.
pub fn read_cutover_inventory(file: FileId, root: &Node, diagnostics: &mut Vec<Diagnostic>) -> Option<Inventory> {
    let mut reader = Reader { diagnostics };
    let fields = reader.fields(root, INVENTORY_FIELDS, "an inventory")?;
    reader.optional_string(&fields, "gathered");
    let mut hosts: IndexMap<String, Host> = IndexMap::new();
    if let Some(node) = fields.get("hosts") {
        for (name, host) in reader.entries(node, "`hosts`") {
            let mut installed = IndexMap::new();
            if host.kind != NodeKind::Null
                && let Some(host_fields) = reader.fields(host, HOST_FIELDS, &format!("host `{}`", name.value))
            {
                reader.optional_string(&host_fields, "gathered");
                if let Some(node) = host_fields.get("installed") {
                    for (package, version) in reader.entries(node, "`installed`") {
                        if let Some(version) = reader.version_of(version) {
                            installed.insert(package.value, version);
                        }
                    }
                }
            }
            reader.diagnostics.extend(names::check(NameKind::Host, &name));
            hosts.insert(name.value.clone(), Host { name, installed });
        }
    }
    let mut groups = IndexMap::new();
    if let Some(node) = fields.get("groups") {
        for (name, members) in reader.entries(node, "`groups`") {
            let members: Vec<Spanned<String>> = reader
                .items(members, format!("group `{}`", abbreviate(&name.value)))
                .iter()
                .filter_map(|item| reader.string(item, "a host name"))
                .collect();
            reader.diagnostics.extend(names::check(NameKind::Group, &name));
            for member in &members {
                if !hosts.contains_key(member.as_str()) {
                    reader.diagnostics.extend(names::check(NameKind::Host, member));
                }
                hosts
                    .entry(member.value.clone())
                    .or_insert_with(|| Host { name: member.clone(), installed: IndexMap::new() });
            }
            groups.insert(name.value.clone(), crate::model::Group { name, hosts: members });
        }
    }
    Some(Inventory { file, groups, hosts })
}

#[cfg(test)]
mod tests;
