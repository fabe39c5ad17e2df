//! Ansible inventories read as a YAML (or JSON) tree: the YAML inventory format (`all:` with
//! `hosts:`, `children:` and `vars:`, groups nested in `children:`) and the JSON that
//! `ansible-inventory --list` and inventory scripts print (groups with lists of `hosts` and
//! `children`, host variables under `_meta.hostvars`). One reader serves both: where the YAML
//! form has a mapping (hosts with their variables, nested groups), the JSON form has a list of
//! names.

use crate::diagnostic::Diagnostic;
use crate::model::Spanned;
use crate::source::FileId;
use crate::syntax::reader::Reader;
use crate::syntax::yaml::{Node, NodeKind};

use super::ansible::{Declared, INSTALLED_VARIABLE, read_installed};
use super::pattern::{self, Located};

const GROUP_FIELDS: &[&str] = &["hosts", "children", "vars"];

/// Reads an Ansible inventory tree into what it declares.
pub fn read(file: FileId, text: &str, root: &Node, diagnostics: &mut Vec<Diagnostic>) -> Declared {
    let mut tree = Tree { file, text, declared: Declared::new(file), reader: Reader { diagnostics } };
    let mut meta = None;
    for (name, node) in tree.reader.entries(root, "an Ansible inventory") {
        if name.value == "_meta" {
            meta = Some(node);
        } else {
            tree.group(&name, node);
        }
    }
    // Host variables of `--list` output, read as inventory scripts are: for hosts of a group.
    if let Some(meta) = meta
        && let Some(fields) = tree.reader.fields(meta, &["hostvars"], "`_meta`")
        && let Some(hostvars) = fields.get("hostvars")
    {
        for (name, variables) in tree.reader.entries(hostvars, "`hostvars`") {
            if tree.declared.has_host(&name.value) {
                let host = tree.declared.host(&name.value, name.span, tree.reader.diagnostics);
                tree.host_variables(host, &name, variables);
            }
        }
    }
    tree.declared
}

struct Tree<'t, 'd> {
    file: FileId,
    text: &'t str,
    declared: Declared,
    reader: Reader<'d>,
}

impl Tree<'_, '_> {
    /// A group and what it holds. Nested groups recurse, at most as deep as the YAML reader's
    /// nesting limit allows.
    fn group(&mut self, name: &Spanned<String>, node: &Node) -> usize {
        let group = self.declared.group(name, self.reader.diagnostics);
        match &node.kind {
            NodeKind::Null => {}
            // An inventory script's group may be just its list of hosts.
            NodeKind::Sequence(_) => self.host_names(group, node),
            NodeKind::Scalar(_) => {
                self.reader.wrong_form(
                    node,
                    &format!("a mapping of `hosts`, `children` and `vars` for group `{}`", name.value),
                );
            }
            NodeKind::Mapping(_) => {
                let Some(fields) = self.reader.fields(
                    node,
                    GROUP_FIELDS,
                    &format!("group `{}`", crate::diagnostic::abbreviate(&name.value)),
                ) else {
                    return group;
                };
                if let Some(hosts) = fields.get("hosts") {
                    match &hosts.kind {
                        NodeKind::Sequence(_) => self.host_names(group, hosts),
                        NodeKind::Scalar(_) => self
                            .host_patterns(group, &[(hosts.clone(), Node { kind: NodeKind::Null, span: hosts.span })]),
                        NodeKind::Mapping(entries) => self.host_patterns(group, entries),
                        NodeKind::Null => {}
                    }
                }
                if let Some(children) = fields.get("children") {
                    match &children.kind {
                        NodeKind::Mapping(_) => {
                            for (child, value) in self.reader.entries(children, "`children`") {
                                self.group(&child, value);
                                self.declared.add_child(group, child);
                            }
                        }
                        _ => {
                            for item in self.reader.items(children, "`children`") {
                                if let Some(child) = self.reader.string(item, "a group name") {
                                    self.declared.group(&child, self.reader.diagnostics);
                                    self.declared.add_child(group, child);
                                }
                            }
                        }
                    }
                }
                if let Some(variables) = fields.get("vars") {
                    self.group_variables(group, variables);
                }
            }
        }
        group
    }

    /// Hosts written as a list of names (`--list` output): taken as they are, no ranges.
    fn host_names(&mut self, group: usize, node: &Node) {
        for item in self.reader.items(node, "`hosts`") {
            if let Some(name) = self.reader.string(item, "a host name") {
                let host = self.declared.host(&name.value, name.span, self.reader.diagnostics);
                self.declared.add_host(group, host);
            }
        }
    }

    /// Hosts written as a mapping of host pattern to host variables (the YAML form).
    fn host_patterns(&mut self, group: usize, entries: &[(Node, Node)]) {
        for (key, variables) in entries {
            let Some(scalar) = key.as_scalar() else {
                self.reader.wrong_form(key, "a host name");
                continue;
            };
            let start = key.span.start as usize;
            let located = if self.text.get(start..key.span.end as usize) == Some(scalar.text.as_str()) {
                Located::exact(self.file, &scalar.text, start)
            } else {
                Located { text: scalar.text.clone(), runs: Vec::new(), whole: key.span }
            };
            match pattern::expand(&located, &mut self.declared.host_budget) {
                Ok(names) => {
                    for (name, span) in names {
                        let host = self.declared.host(&name, span, self.reader.diagnostics);
                        self.declared.add_host(group, host);
                        self.host_variables(host, &Spanned::new(name, span), variables);
                    }
                }
                Err(diagnostic) => self.reader.report(diagnostic),
            }
        }
    }

    fn host_variables(&mut self, host: usize, name: &Spanned<String>, variables: &Node) {
        if !self.are_variables(variables, &format!("host `{}`", name.value)) {
            return;
        }
        if let Some(installed) = variable(variables, INSTALLED_VARIABLE) {
            let installed = read_installed(&mut self.reader, installed);
            self.declared.set_host_installed(host, installed);
        }
    }

    fn group_variables(&mut self, group: usize, variables: &Node) {
        if !self.are_variables(variables, "`vars`") {
            return;
        }
        if let Some(installed) = variable(variables, INSTALLED_VARIABLE) {
            let installed = read_installed(&mut self.reader, installed);
            self.declared.set_group_installed(group, installed);
        }
        if let Some(priority) = variable(variables, "ansible_group_priority")
            && let Some(priority) = priority.as_scalar().and_then(|scalar| scalar.text.parse().ok())
        {
            self.declared.set_group_priority(group, priority);
        }
    }

    /// True for a mapping of variables; nothing (a host written `app-1:`) has none.
    fn are_variables(&mut self, variables: &Node, context: &str) -> bool {
        match variables.kind {
            NodeKind::Mapping(_) => true,
            NodeKind::Null => false,
            _ => {
                self.reader.wrong_form(variables, &format!("a mapping of variables for {context}"));
                false
            }
        }
    }
}

/// The value of one variable in a mapping of variables; the other variables are Ansible's.
fn variable<'n>(variables: &'n Node, wanted: &str) -> Option<&'n Node> {
    let NodeKind::Mapping(entries) = &variables.kind else { return None };
    entries
        .iter()
        .find(|(key, _)| key.as_scalar().is_some_and(|scalar| scalar.text == wanted))
        .map(|(_, value)| value)
        .filter(|value| value.kind != NodeKind::Null)
}
