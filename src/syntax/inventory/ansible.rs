//! What an Ansible inventory declares, whatever its form (INI, YAML, `ansible-inventory --list`
//! JSON), and how Ansible reads it into groups and hosts: `all` holds every host, `ungrouped`
//! those in no other group, a group holds its children's hosts, and `cutover_installed` is
//! taken from the host, else from its groups by Ansible's variable precedence.

use indexmap::IndexMap;

use crate::codes::CUT001;
use crate::diagnostic::Diagnostic;
use crate::model::names::{self, NameKind};
use crate::model::{Group, Host, Inventory, Spanned};
use crate::source::{FileId, Span};
use crate::syntax::reader::Reader;
use crate::syntax::yaml::{Node, NodeKind};

/// The variable that holds a host's installed versions: `{component: version}`.
pub const INSTALLED_VARIABLE: &str = "cutover_installed";

/// Most group memberships (a host in a group, counted once per group that holds it through its
/// children) one inventory may have; a chain of a million groups over a large fleet would
/// otherwise take gigabytes.
const MAX_MEMBERSHIPS: usize = 4_000_000;

const ALL: usize = 0;
const UNGROUPED: usize = 1;

/// Installed versions as one declaration wrote them.
pub type Installed = IndexMap<String, Spanned<semver::Version>>;

/// Groups and hosts in the order the file first names them.
pub struct Declared {
    file: FileId,
    groups: IndexMap<String, DeclaredGroup>,
    hosts: IndexMap<String, DeclaredHost>,
    /// What is left of the budget for hosts expanded from ranges.
    pub host_budget: usize,
}

struct DeclaredGroup {
    name: Spanned<String>,
    /// Written in the file (not only Ansible's implicit `all` and `ungrouped`).
    written: bool,
    hosts: Vec<usize>,
    children: Vec<Spanned<String>>,
    installed: Option<Installed>,
    priority: i64,
}

struct DeclaredHost {
    name: Spanned<String>,
    installed: Option<Installed>,
    /// In a group other than `all` and `ungrouped`.
    grouped: bool,
}

impl Declared {
    #[must_use]
    pub fn new(file: FileId) -> Self {
        let mut declared = Self {
            file,
            groups: IndexMap::new(),
            hosts: IndexMap::new(),
            host_budget: super::pattern::MAX_EXPANDED_HOSTS,
        };
        for name in ["all", "ungrouped"] {
            let name = Spanned::new(name.to_owned(), Span::new(file, 0, 0));
            declared.groups.insert(name.value.clone(), DeclaredGroup::new(name, false));
        }
        declared
    }

    /// The group `name`, declared now if it is new; the name is checked once.
    pub fn group(&mut self, name: &Spanned<String>, diagnostics: &mut Vec<Diagnostic>) -> usize {
        if let Some((index, _, group)) = self.groups.get_full_mut(name.as_str()) {
            if !group.written {
                group.written = true;
                group.name = name.clone();
            }
            return index;
        }
        diagnostics.extend(names::check(NameKind::Group, name));
        self.groups.insert_full(name.value.clone(), DeclaredGroup::new(name.clone(), true)).0
    }

    /// The group `name` without declaring it: `[g:vars]` sets variables of a group declared
    /// elsewhere.
    pub fn group_for_vars(&mut self, name: &Spanned<String>, diagnostics: &mut Vec<Diagnostic>) -> usize {
        if let Some(index) = self.groups.get_index_of(name.as_str()) {
            return index;
        }
        diagnostics.extend(names::check(NameKind::Group, name));
        self.groups.insert_full(name.value.clone(), DeclaredGroup::new(name.clone(), false)).0
    }

    /// True when the file declared a group of this name (INI's children must name one).
    #[must_use]
    pub fn has_group(&self, name: &str) -> bool {
        self.groups.get(name).is_some_and(|group| group.written || matches!(name, "all" | "ungrouped"))
    }

    /// The host `name`, declared now if it is new; the name is checked once.
    pub fn host(&mut self, name: &str, span: Span, diagnostics: &mut Vec<Diagnostic>) -> usize {
        if let Some(index) = self.hosts.get_index_of(name) {
            return index;
        }
        let name = Spanned::new(name.to_owned(), span);
        diagnostics.extend(names::check(NameKind::Host, &name));
        self.hosts.insert_full(name.value.clone(), DeclaredHost { name, installed: None, grouped: false }).0
    }

    #[must_use]
    pub fn has_host(&self, name: &str) -> bool {
        self.hosts.contains_key(name)
    }

    pub fn add_host(&mut self, group: usize, host: usize) {
        if group != ALL && group != UNGROUPED {
            self.hosts[host].grouped = true;
        }
        self.groups[group].hosts.push(host);
    }

    pub fn add_child(&mut self, parent: usize, child: Spanned<String>) {
        self.groups[parent].children.push(child);
    }

    /// Sets a group's `cutover_installed`; a later value replaces an earlier one.
    pub fn set_group_installed(&mut self, group: usize, installed: Installed) {
        self.groups[group].installed = Some(installed);
    }

    pub fn set_group_priority(&mut self, group: usize, priority: i64) {
        self.groups[group].priority = priority;
    }

    pub fn set_host_installed(&mut self, host: usize, installed: Installed) {
        self.hosts[host].installed = Some(installed);
    }

    /// Groups and hosts as Ansible reads them. `None` when the inventory is too big to read.
    pub fn finish(self, diagnostics: &mut Vec<Diagnostic>) -> Option<Inventory> {
        let Self { file, groups, mut hosts, .. } = self;
        let count = groups.len();
        let mut children = child_indices(&groups, diagnostics);
        let order = break_cycles(&groups, &mut children, diagnostics);
        // A group no other group names is a child of `all`, as in Ansible.
        let mut has_parent = vec![false; count];
        for (child, _) in children.iter().flatten() {
            has_parent[*child] = true;
        }
        for (group, parented) in has_parent.iter().enumerate().skip(1) {
            if !parented {
                children[ALL].push((group, Span::new(file, 0, 0)));
            }
        }
        // Depth from `all`, for variable precedence: parents before children in `order`, and
        // `all` (first there, having no parent) at depth 0.
        let mut depth = vec![0usize; count];
        for &group in std::iter::once(&ALL).chain(order.iter().filter(|group| **group != ALL)) {
            for (child, _) in &children[group] {
                depth[*child] = depth[*child].max(depth[group] + 1);
            }
        }
        let mut direct: Vec<Vec<usize>> = groups.values().map(|group| group.hosts.clone()).collect();
        direct[UNGROUPED].retain(|host| !hosts[*host].grouped);
        direct[UNGROUPED].extend((0..hosts.len()).filter(|host| !hosts[*host].grouped));
        // Each group's hosts, children first (the reverse of `order`), in the order the file
        // first names them.
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
        let mut budget = MAX_MEMBERSHIPS;
        for &group in order.iter().rev().filter(|group| **group != ALL).chain(std::iter::once(&ALL)) {
            let size =
                direct[group].len() + children[group].iter().map(|(child, _)| members[*child].len()).sum::<usize>();
            if size > budget {
                diagnostics.push(Diagnostic::new(
                    CUT001,
                    Span::new(file, 0, 0),
                    format!("the inventory is too big to read safely: more than {MAX_MEMBERSHIPS} hosts in groups, counting every group that holds each"),
                ));
                return None;
            }
            budget -= size;
            let mut hosts_of = std::mem::take(&mut direct[group]);
            for (child, _) in &children[group] {
                hosts_of.extend_from_slice(&members[*child]);
            }
            hosts_of.sort_unstable();
            hosts_of.dedup();
            members[group] = hosts_of;
        }
        // Ansible gives a host the value of its deepest group (then the highest
        // `ansible_group_priority`, then the last name), and its own value over any group's.
        let mut by_precedence: Vec<usize> = (0..count).filter(|group| groups[*group].installed.is_some()).collect();
        by_precedence.sort_by(|left, right| {
            let key = |group: usize| (depth[group], groups[group].priority, groups[group].name.value.as_str());
            key(*left).cmp(&key(*right))
        });
        let mut inherited: Vec<Option<usize>> = vec![None; hosts.len()];
        for &group in &by_precedence {
            for &host in &members[group] {
                inherited[host] = Some(group);
            }
        }
        let host_list: IndexMap<String, Host> = hosts
            .values_mut()
            .zip(&inherited)
            .map(|(host, inherited)| {
                let installed = host
                    .installed
                    .take()
                    .or_else(|| inherited.and_then(|group| groups[group].installed.clone()))
                    .unwrap_or_default();
                (host.name.value.clone(), Host { name: host.name.clone(), installed })
            })
            .collect();
        let group_list = groups
            .values()
            .zip(members)
            .map(|(group, members)| {
                let hosts = members.into_iter().map(|host| host_list[host].name.clone()).collect();
                (group.name.value.clone(), Group { name: group.name.clone(), hosts })
            })
            .collect();
        Some(Inventory { file, groups: group_list, hosts: host_list })
    }
}

impl DeclaredGroup {
    fn new(name: Spanned<String>, written: bool) -> Self {
        Self { name, written, hosts: Vec::new(), children: Vec::new(), installed: None, priority: 1 }
    }
}

/// The children each group names, as indices, once each; a name that is no declared group
/// and `all` (which can be nobody's child) are reported.
fn child_indices(
    groups: &IndexMap<String, DeclaredGroup>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Vec<(usize, Span)>> {
    let mut children: Vec<Vec<(usize, Span)>> = vec![Vec::new(); groups.len()];
    for (parent, group) in groups.values().enumerate() {
        for child in &group.children {
            let declared = groups
                .get_full(child.as_str())
                .filter(|(index, _, group)| group.written || *index <= UNGROUPED)
                .map(|(index, _, _)| index);
            match declared {
                Some(ALL) => diagnostics.push(
                    Diagnostic::new(CUT001, child.span, format!("group `{}` names `all` as a child", group.name.value))
                        .with_primary_label("`all` holds every group already")
                        .with_help("remove this line"),
                ),
                Some(index) if !children[parent].iter().any(|(known, _)| *known == index) => {
                    children[parent].push((index, child.span));
                }
                Some(_) => {}
                None => diagnostics.push(
                    Diagnostic::new(
                        CUT001,
                        child.span,
                        format!(
                            "group `{}` has child `{}`, which is no group of this inventory",
                            group.name.value, child.value
                        ),
                    )
                    .with_primary_label("no such group")
                    .with_optional_help(
                        crate::diagnostic::did_you_mean(child.as_str(), groups.keys().map(String::as_str))
                            .or_else(|| Some(format!("declare it with a `[{}]` section", child.value))),
                    ),
                ),
            }
        }
    }
    children
}

/// Reports each child that closes a cycle (a group that holds itself through its children)
/// and drops it. Returns every group in an order where parents come before their children.
fn break_cycles(
    groups: &IndexMap<String, DeclaredGroup>,
    children: &mut [Vec<(usize, Span)>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    fn advance(stack: &mut [(usize, usize)]) {
        if let Some((_, next)) = stack.last_mut() {
            *next += 1;
        }
    }
    let mut state = vec![State::New; groups.len()];
    let mut finished = Vec::with_capacity(groups.len());
    for root in 0..groups.len() {
        if state[root] != State::New {
            continue;
        }
        // An explicit stack of (group, next child to visit): no input deepens the call stack.
        let mut stack = vec![(root, 0usize)];
        state[root] = State::Open;
        while let Some(&(group, next)) = stack.last() {
            let Some(&(child, span)) = children[group].get(next) else {
                state[group] = State::Done;
                finished.push(group);
                stack.pop();
                continue;
            };
            match state[child] {
                State::New => {
                    advance(&mut stack);
                    state[child] = State::Open;
                    stack.push((child, 0));
                }
                State::Open => {
                    let from = stack.iter().position(|(open, _)| *open == child).unwrap_or(0);
                    let path: Vec<&str> = stack[from..]
                        .iter()
                        .map(|(open, _)| groups[*open].name.value.as_str())
                        .chain(std::iter::once(groups[child].name.value.as_str()))
                        .collect();
                    diagnostics.push(
                        Diagnostic::new(
                            CUT001,
                            span,
                            format!("groups hold each other through their children: {}", path.join(" → ")),
                        )
                        .with_primary_label("this child closes the cycle")
                        .with_help("a group cannot hold itself: remove one of these children"),
                    );
                    children[group].remove(next);
                }
                State::Done => advance(&mut stack),
            }
        }
    }
    finished.reverse();
    finished
}

/// Reads a `cutover_installed` value: a mapping of component to version.
pub fn read_installed(reader: &mut Reader<'_>, node: &Node) -> Installed {
    let mut installed = Installed::new();
    if !matches!(node.kind, NodeKind::Mapping(_)) {
        reader.report(
            Diagnostic::new(
                CUT001,
                node.span,
                format!("`{INSTALLED_VARIABLE}` is {}, not a mapping of component to version", node.describe()),
            )
            .with_primary_label("expected a mapping")
            .with_help(format!("write it like `{INSTALLED_VARIABLE}: {{ dten-core: 3.9.2 }}`")),
        );
        return installed;
    }
    for (component, version) in reader.entries(node, &format!("`{INSTALLED_VARIABLE}`")) {
        if version.kind == NodeKind::Null {
            reader.report(
                Diagnostic::new(CUT001, component.span, format!("component `{}` has no version", component.value))
                    .with_primary_label("no version")
                    .with_help("write `component: version`, with a space after the colon"),
            );
        } else if let Some(version) = reader.version_of(version) {
            installed.insert(component.value, version);
        }
    }
    installed
}
