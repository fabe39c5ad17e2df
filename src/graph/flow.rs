//! Versions along the graph: what each host has before and after every release step, walked in
//! topological order, and whether each move is an upgrade path the manifest knows.
//!
//! This is where `.from` comes from: after `dten-core@4.0.3`, the `4.2.0` step starts from 4.0.3
//! on that host, not from the inventory's 3.9.2.

use std::collections::HashMap;

use semver::Version;

pub use crate::model::paths::Verdict;
use crate::model::paths::judge;
use crate::model::{Inventory, Manifest};
use crate::resolve::Resolved;
use crate::source::Span;

/// One release on one host: `component` goes from `from` (nothing: a fresh install) to `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    pub step: usize,
    pub host: String,
    pub parameter: String,
    pub component: String,
    pub from: Option<Version>,
    pub to: Version,
    /// The release argument.
    pub span: Span,
    pub verdict: Verdict,
}

/// Every hop of the plan, and where each host ends.
#[derive(Debug, Default)]
pub struct Flow {
    /// In topological order of steps, then host order.
    pub hops: Vec<Hop>,
    /// `(host, component)` to the version it has after the plan.
    pub finals: HashMap<(String, String), Version>,
    /// `(step, host)` to the positions of its hops in `hops`.
    by_instance: HashMap<(usize, String), Vec<usize>>,
}

impl Flow {
    /// The hops of one step on one host.
    pub fn hops_of(&self, step: usize, host: &str) -> impl Iterator<Item = &Hop> {
        self.by_instance.get(&(step, host.to_owned())).into_iter().flatten().map(|position| &self.hops[*position])
    }

    /// What `host` has of `component` after the plan (or before it, if the plan does not touch it).
    #[must_use]
    pub fn final_version(&self, inventory: &Inventory, host: &str, component: &str) -> Option<Version> {
        self.finals.get(&(host.to_owned(), component.to_owned())).cloned().or_else(|| {
            inventory
                .hosts
                .get(host)
                .and_then(|entry| entry.installed.get(component))
                .map(|version| version.value.clone())
        })
    }
}

/// Hops of one step that make the same move (component, from, to) on several hosts.
pub struct HopGroup<'f> {
    /// The first hop of the group; the others differ only in their host.
    pub hop: &'f Hop,
    pub hosts: Vec<&'f str>,
}

impl Flow {
    /// The hops whose verdict `keep` accepts, grouped so that one diagnostic can name every
    /// host a move applies to; in step order.
    pub fn grouped(&self, keep: impl Fn(&Verdict) -> bool) -> Vec<HopGroup<'_>> {
        let mut groups: Vec<HopGroup<'_>> = Vec::new();
        let mut index: HashMap<(usize, &str, Option<&Version>, &Version), usize> = HashMap::new();
        for hop in self.hops.iter().filter(|hop| keep(&hop.verdict)) {
            let key = (hop.step, hop.component.as_str(), hop.from.as_ref(), &hop.to);
            if let Some(&position) = index.get(&key) {
                groups[position].hosts.push(&hop.host);
            } else {
                index.insert(key, groups.len());
                groups.push(HopGroup { hop, hosts: vec![&hop.host] });
            }
        }
        groups.sort_by_key(|group| group.hop.step);
        groups
    }
}

/// Walks the steps in `order`, carrying each host's versions forward.
#[must_use]
pub fn walk(resolved: &Resolved<'_>, order: &[usize], manifest: &Manifest, inventory: &Inventory) -> Flow {
    let mut current: HashMap<(String, String), Version> = HashMap::new();
    let mut flow = Flow::default();
    for &step_index in order {
        let step = &resolved.steps[step_index];
        if step.releases.is_empty() {
            continue;
        }
        for host in &step.hosts {
            for release in &step.releases {
                let key = (host.clone(), release.component.clone());
                let from = current.get(&key).cloned().or_else(|| {
                    inventory
                        .hosts
                        .get(host)
                        .and_then(|entry| entry.installed.get(&release.component))
                        .map(|version| version.value.clone())
                });
                let verdict = match manifest.components.get(&release.component) {
                    Some(component) => judge(component, from.as_ref(), &release.version),
                    None => Verdict::Fine,
                };
                flow.by_instance.entry((step_index, host.clone())).or_default().push(flow.hops.len());
                flow.hops.push(Hop {
                    step: step_index,
                    host: host.clone(),
                    parameter: release.parameter.clone(),
                    component: release.component.clone(),
                    from,
                    to: release.version.clone(),
                    span: release.span,
                    verdict,
                });
                current.insert(key, release.version.clone());
            }
        }
    }
    flow.finals = current;
    flow
}
