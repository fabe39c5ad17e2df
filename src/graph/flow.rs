//! Versions along the graph: what each host has before and after every release step, walked in
//! topological order, and whether each move is an upgrade path the manifest knows.
//!
//! This is where `.from` comes from: after `dten-core@4.0.3`, the `4.2.0` step starts from 4.0.3
//! on that host, not from the inventory's 3.9.2.

use std::collections::HashMap;

use semver::Version;

use crate::check::resolve::Resolved;
use crate::model::{Component, Inventory, Manifest};
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

/// Whether a hop follows the manifest's upgrade paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fine,
    /// The host already has this version: the step does nothing there.
    AlreadyThere,
    /// No known path from `from` to `to` (CUT012). `cause` points at the manifest's paths.
    NoPath {
        cause: Span,
        reason: String,
    },
    /// The hop jumps over a required stop (CUT013).
    SkippedStop {
        stop: Version,
        cause: Span,
    },
    /// The hop goes back below a stop it already passed, or takes stops out of order (CUT013).
    OutOfOrder {
        stop: Version,
        cause: Span,
    },
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

/// Judges one hop against the component's `upgrade_from` edges and `required_stops`.
pub(crate) fn judge(component: &Component, from: Option<&Version>, to: &Version) -> Verdict {
    let Some(from) = from else { return Verdict::Fine };
    if from == to {
        return Verdict::AlreadyThere;
    }
    if from > to {
        // Back down onto a stop already passed: the stops are taken out of order.
        let stop = component
            .upgrade_from
            .iter()
            .flat_map(|edge| edge.via.iter())
            .chain(component.required_stops.iter())
            .find(|stop| &stop.value == to);
        if let Some(stop) = stop {
            return Verdict::OutOfOrder { stop: from.clone(), cause: stop.span };
        }
        return Verdict::NoPath {
            cause: component.version.span,
            reason: format!("{from} is newer than {to}: a release step cannot downgrade"),
        };
    }
    // GitLab-style stops: any hop that crosses one must land on it.
    if let Some(stop) = component.required_stops.iter().find(|stop| &stop.value > from && &stop.value < to) {
        return Verdict::SkippedStop { stop: stop.value.clone(), cause: stop.span };
    }
    if component.upgrade_from.is_empty() {
        return Verdict::Fine;
    }
    let is_target = to == &component.version.value;
    // A hop to a `via` stop: the first stop of a path from `from`, or the stop after `from`.
    for edge in &component.upgrade_from {
        let Some(position) = edge.via.iter().position(|stop| &stop.value == to) else { continue };
        let previous = position.checked_sub(1).map(|index| &edge.via[index].value);
        if previous == Some(from) || (position == 0 && edge.from.value.matches(from)) {
            return Verdict::Fine;
        }
        if edge.from.value.matches(from) {
            return Verdict::SkippedStop { stop: edge.via[0].value.clone(), cause: edge.via[0].span };
        }
        if let Some(later) = edge.via.iter().skip(position + 1).find(|stop| &stop.value == from) {
            return Verdict::OutOfOrder { stop: later.value.clone(), cause: later.span };
        }
        if let Some(previous_stop) = position.checked_sub(1).map(|index| &edge.via[index])
            && from < &previous_stop.value
        {
            return Verdict::SkippedStop { stop: previous_stop.value.clone(), cause: previous_stop.span };
        }
    }
    // A stop that no path reaches from this version: neither the start of its path (the `from`
    // range does not match) nor the stop after the one the host is at.
    if let Some(edge) = component.upgrade_from.iter().find(|edge| edge.via.iter().any(|stop| &stop.value == to)) {
        return Verdict::NoPath {
            cause: edge.span,
            reason: format!("the path through the stop {to} starts from `{}`", edge.from_text),
        };
    }
    if is_target {
        // The last stop of a path leads to the target.
        if component.upgrade_from.iter().any(|edge| edge.via.last().is_some_and(|stop| &stop.value == from)) {
            return Verdict::Fine;
        }
        let matching: Vec<_> = component.upgrade_from.iter().filter(|edge| edge.from.value.matches(from)).collect();
        if matching.iter().any(|edge| edge.via.is_empty()) {
            return Verdict::Fine;
        }
        if let Some(edge) = matching.first() {
            return Verdict::SkippedStop { stop: edge.via[0].value.clone(), cause: edge.via[0].span };
        }
        return Verdict::NoPath {
            cause: component.upgrade_from[0].span,
            reason: format!(
                "the manifest lists upgrades to {} only from {}",
                component.version.value,
                component
                    .upgrade_from
                    .iter()
                    .map(|edge| format!("`{}`", edge.from_text))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
    }
    Verdict::Fine
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> Version {
        crate::model::parse_version(text).unwrap()
    }

    /// A dten-core 4.2.0 with these paths.
    fn component(edges: &[(&str, &[&str])], stops: &[&str]) -> Component {
        crate::testing::component("4.2.0", edges, stops)
    }

    #[test]
    fn via_stops_must_be_taken_in_order() {
        let dten = component(&[(">=4.0.0, <4.2.0", &[]), (">=3.6.0, <4.0.0", &["4.0.3"])], &[]);
        assert_eq!(judge(&dten, Some(&version("3.9.2")), &version("4.0.3")), Verdict::Fine);
        assert_eq!(judge(&dten, Some(&version("4.0.3")), &version("4.2.0")), Verdict::Fine);
        assert_eq!(judge(&dten, Some(&version("4.1.0")), &version("4.2.0")), Verdict::Fine);
        assert!(matches!(judge(&dten, Some(&version("3.9.2")), &version("4.2.0")), Verdict::SkippedStop { .. }));
        assert!(matches!(judge(&dten, Some(&version("3.1.0")), &version("4.2.0")), Verdict::NoPath { .. }));
        assert!(matches!(judge(&dten, Some(&version("4.2.0")), &version("4.0.3")), Verdict::OutOfOrder { .. }));
        assert!(matches!(judge(&dten, Some(&version("4.2.0")), &version("3.9.2")), Verdict::NoPath { .. }));
        assert_eq!(judge(&dten, Some(&version("4.2.0")), &version("4.2.0")), Verdict::AlreadyThere);
        assert_eq!(judge(&dten, None, &version("4.2.0")), Verdict::Fine);
        // A stop reached from a version its path does not start from.
        assert!(matches!(judge(&dten, Some(&version("3.1.0")), &version("4.0.3")), Verdict::NoPath { .. }));
    }

    #[test]
    fn chains_of_via_stops() {
        let chain = component(&[(">=3.0.0, <4.0.0", &["3.9.9", "4.0.3"])], &[]);
        assert_eq!(judge(&chain, Some(&version("3.1.0")), &version("3.9.9")), Verdict::Fine);
        assert_eq!(judge(&chain, Some(&version("3.9.9")), &version("4.0.3")), Verdict::Fine);
        assert_eq!(judge(&chain, Some(&version("4.0.3")), &version("4.2.0")), Verdict::Fine);
        assert!(
            matches!(judge(&chain, Some(&version("3.1.0")), &version("4.0.3")), Verdict::SkippedStop { stop, .. } if stop == version("3.9.9"))
        );
    }

    #[test]
    fn required_stops_must_be_landed_on() {
        let gitlab = component(&[], &["16.3.9", "16.7.10", "16.11.10"]);
        assert_eq!(judge(&gitlab, Some(&version("16.3.9")), &version("16.7.10")), Verdict::Fine);
        assert!(
            matches!(judge(&gitlab, Some(&version("16.3.9")), &version("16.11.10")), Verdict::SkippedStop { stop, .. } if stop == version("16.7.10"))
        );
        assert!(matches!(judge(&gitlab, Some(&version("16.11.10")), &version("4.2.0")), Verdict::NoPath { .. }));
    }
}
