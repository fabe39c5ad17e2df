//! The step graph (petgraph): `after` edges plus the ordering the manifest implies, its cycles,
//! and its topological order with ties kept in declaration order.
//!
//! **Invariant:** the graph reports no diagnostics. It returns facts (edges, cycles, an order)
//! that the rules turn into diagnostics.

pub mod flow;
pub mod schedule;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::model::Manifest;
use crate::resolve::Resolved;
use crate::source::Span;

/// The steps (with the release argument's span) that release one component, by version.
type ReleasesByVersion<'r> = BTreeMap<&'r semver::Version, Vec<(usize, Span)>>;

/// Why one step waits for another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Written in the plan: an entry of `after`.
    After { span: Span },
    /// Implied by the manifest; `cause` points at what implies it.
    Inferred { reason: String, cause: Span },
}

impl EdgeKind {
    #[must_use]
    pub fn is_inferred(&self) -> bool {
        matches!(self, Self::Inferred { .. })
    }
}

/// The dependency graph of a resolved plan. Node weights are step indexes into
/// [`Resolved::steps`]; an edge `a → b` means `b` runs after `a`.
#[derive(Debug)]
pub struct StepGraph {
    pub graph: DiGraph<usize, EdgeKind>,
    nodes: Vec<NodeIndex>,
}

/// A cycle: the steps on it in order, and the edge from each to the next (the last back to
/// the first).
#[derive(Debug)]
pub struct Cycle {
    pub steps: Vec<usize>,
    pub edges: Vec<EdgeKind>,
}

impl StepGraph {
    /// Builds the graph: explicit `after` edges, then the inferred ones.
    #[must_use]
    pub fn build(resolved: &Resolved<'_>, manifest: Option<&Manifest>) -> Self {
        let mut graph = DiGraph::with_capacity(resolved.steps.len(), resolved.steps.len() * 2);
        let nodes: Vec<NodeIndex> = (0..resolved.steps.len()).map(|index| graph.add_node(index)).collect();
        for (index, step) in resolved.steps.iter().enumerate() {
            for &(before, span) in &step.after {
                graph.add_edge(nodes[before], nodes[index], EdgeKind::After { span });
            }
        }
        let mut step_graph = Self { graph, nodes };
        if let Some(manifest) = manifest {
            step_graph.infer_edges(resolved, manifest);
        }
        step_graph
    }

    #[must_use]
    pub fn node(&self, step: usize) -> NodeIndex {
        self.nodes[step]
    }

    /// Direct predecessors of a step with the edge that links them, in edge insertion order.
    pub fn predecessors(&self, step: usize) -> impl Iterator<Item = (usize, &EdgeKind)> {
        let mut edges: Vec<_> = self
            .graph
            .edges_directed(self.nodes[step], petgraph::Direction::Incoming)
            .map(|edge| (edge.id(), self.graph[edge.source()], edge.weight()))
            .collect();
        edges.sort_by_key(|(id, ..)| *id);
        edges.into_iter().map(|(_, step, kind)| (step, kind))
    }

    /// Adds the ordering the manifest implies (SPEC §2): a release after the releases of what its
    /// component requires; a stop before the releases above it; a migration after the release of
    /// its component. An edge already written in the plan is not repeated.
    fn infer_edges(&mut self, resolved: &Resolved<'_>, manifest: &Manifest) {
        // Release steps per component, by version, in declaration order.
        let mut releases: HashMap<&str, ReleasesByVersion<'_>> = HashMap::new();
        for (index, step) in resolved.steps.iter().enumerate() {
            for release in &step.releases {
                releases
                    .entry(release.component.as_str())
                    .or_default()
                    .entry(&release.version)
                    .or_default()
                    .push((index, release.span));
            }
        }
        let mut inferred: Vec<(usize, usize, EdgeKind)> = Vec::new();
        for (index, step) in resolved.steps.iter().enumerate() {
            for release in &step.releases {
                let Some(component) = manifest.components.get(&release.component) else { continue };
                if release.version != component.version.value {
                    continue;
                }
                for requirement in &component.requires {
                    let Some(required) = releases.get(requirement.name.as_str()) else { continue };
                    for (version, steps) in required {
                        let reason = requirement_reason(&release.component, requirement, version, required);
                        for &(before, _) in steps {
                            inferred.push((
                                before,
                                index,
                                EdgeKind::Inferred { reason: reason.clone(), cause: requirement.name.span },
                            ));
                        }
                    }
                }
            }
            for (migration, _) in &step.migrations {
                let Some(by_version) = releases.get(migration.component.as_str()) else { continue };
                let target =
                    manifest.components.get(&migration.component.value).map(|component| &component.version.value);
                let matching: Vec<usize> = by_version
                    .iter()
                    .filter(|(version, _)| target.is_none_or(|target| *version == &target))
                    .flat_map(|(_, steps)| steps.iter().map(|(step, _)| *step))
                    .collect();
                for before in matching {
                    inferred.push((
                        before,
                        index,
                        EdgeKind::Inferred {
                            reason: format!(
                                "migration {} ships with {}",
                                migration.id.value, migration.component.value
                            ),
                            cause: migration.id.span,
                        },
                    ));
                }
            }
        }
        // Stops before what lies above them: each version's releases after the next lower
        // version's, where the lower one is a stop.
        for (component_name, by_version) in &releases {
            let Some(component) = manifest.components.get(*component_name) else { continue };
            let stop_span = |version: &semver::Version| {
                component
                    .upgrade_from
                    .iter()
                    .flat_map(|edge| edge.via.iter())
                    .chain(component.required_stops.iter())
                    .find(|stop| &stop.value == version)
                    .map(|stop| stop.span)
            };
            let versions: Vec<_> = by_version.iter().collect();
            for pair in versions.windows(2) {
                let (lower, lower_steps) = pair[0];
                let (_, upper_steps) = pair[1];
                let Some(cause) = stop_span(lower) else { continue };
                for &(before, _) in lower_steps {
                    for &(after, _) in upper_steps {
                        inferred.push((
                            before,
                            after,
                            EdgeKind::Inferred {
                                reason: format!("{component_name} {lower} is a required stop"),
                                cause,
                            },
                        ));
                    }
                }
            }
        }
        for (before, after, kind) in inferred {
            if before == after || self.graph.contains_edge(self.nodes[before], self.nodes[after]) {
                continue;
            }
            self.graph.add_edge(self.nodes[before], self.nodes[after], kind);
        }
    }

    /// Every cycle, one per strongly connected component, with the steps in dependency order.
    ///
    /// The components come from Kosaraju's algorithm, whose depth-first searches keep their
    /// stack on the heap: petgraph's Tarjan recurses once per step of a chain, and a chain of
    /// 25,000 `after` entries overflowed the stack of a lint worker thread.
    #[must_use]
    pub fn cycles(&self) -> Vec<Cycle> {
        let mut cycles = Vec::new();
        for component in petgraph::algo::kosaraju_scc(&self.graph) {
            let self_loop = component.len() == 1 && self.graph.contains_edge(component[0], component[0]);
            if component.len() < 2 && !self_loop {
                continue;
            }
            cycles.push(self.cycle_through(&component));
        }
        cycles.sort_by_key(|cycle| cycle.steps.iter().copied().min());
        cycles
    }

    /// A simple cycle inside one strongly connected component, starting at its first-declared
    /// step: a breadth-first search for the shortest way back to the start.
    fn cycle_through(&self, component: &[NodeIndex]) -> Cycle {
        let members: std::collections::HashSet<NodeIndex> = component.iter().copied().collect();
        let start = *component.iter().min_by_key(|node| self.graph[**node]).expect("a component is never empty");
        let mut came_from: HashMap<NodeIndex, (NodeIndex, petgraph::graph::EdgeIndex)> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(node) = queue.pop_front() {
            let mut edges: Vec<_> = self.graph.edges(node).collect();
            edges.sort_by_key(|edge| self.graph[edge.target()]);
            for edge in edges {
                let next = edge.target();
                if !members.contains(&next) {
                    continue;
                }
                if next == start {
                    closing = Some((node, edge.id()));
                    break 'search;
                }
                if next != start && !came_from.contains_key(&next) {
                    came_from.insert(next, (node, edge.id()));
                    queue.push_back(next);
                }
            }
        }
        let (mut node, closing_edge) = closing.expect("a strongly connected component has a cycle through each node");
        let mut steps = vec![self.graph[node]];
        let mut edges = vec![self.graph[closing_edge].clone()];
        while node != start {
            let (previous, edge) = came_from[&node];
            steps.push(self.graph[previous]);
            edges.push(self.graph[edge].clone());
            node = previous;
        }
        // Built backwards from the closing edge; reversed, `edges[i]` leads out of `steps[i]`.
        steps.reverse();
        edges.reverse();
        Cycle { steps, edges }
    }

    /// Topological order (Kahn's algorithm); among steps that are ready at once, the one declared
    /// first goes first, so the same plan always gives the same order. `None` on a cycle.
    #[must_use]
    pub fn order(&self) -> Option<Vec<usize>> {
        let mut waiting: Vec<usize> = self
            .nodes
            .iter()
            .map(|node| self.graph.neighbors_directed(*node, petgraph::Direction::Incoming).count())
            .collect();
        let mut ready: BinaryHeap<Reverse<usize>> =
            waiting.iter().enumerate().filter(|(_, count)| **count == 0).map(|(step, _)| Reverse(step)).collect();
        let mut order = Vec::with_capacity(self.nodes.len());
        while let Some(Reverse(step)) = ready.pop() {
            order.push(step);
            for next in self.graph.neighbors_directed(self.nodes[step], petgraph::Direction::Outgoing) {
                let next = self.graph[next];
                waiting[next] -= 1;
                if waiting[next] == 0 {
                    ready.push(Reverse(next));
                }
            }
        }
        (order.len() == self.nodes.len()).then_some(order)
    }
}

/// Why a release waits for a release of what its component requires, true for the version that
/// step installs: "dten-agent requires dten-core ^4.2" when it meets the requirement; a lower
/// stop on the way to one that does is "a stop on the way", and any other version is said not to
/// meet it. A release waits for every release of what it requires, so that it comes after the
/// last.
fn requirement_reason(
    component: &str,
    requirement: &crate::model::Requirement,
    version: &semver::Version,
    releases: &ReleasesByVersion<'_>,
) -> String {
    let (name, text) = (&requirement.name.value, &requirement.text);
    if requirement.requirement.value.matches(version) {
        format!("{component} requires {name} {text}")
    } else if releases.keys().any(|later| *later > version && requirement.requirement.value.matches(later)) {
        format!("{component} requires {name} {text}; {version} is a stop on the way")
    } else {
        format!("{component} requires {name} {text}, which {version} does not meet")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph of `steps` steps, each after the one before it; `closed` adds the edge from the
    /// last back to the first.
    fn chain(steps: usize, closed: bool) -> StepGraph {
        let mut graph = DiGraph::new();
        let nodes: Vec<NodeIndex> = (0..steps).map(|index| graph.add_node(index)).collect();
        let span = Span::new(crate::source::FileId(0), 0, 0);
        for pair in nodes.windows(2) {
            graph.add_edge(pair[0], pair[1], EdgeKind::After { span });
        }
        if closed {
            graph.add_edge(nodes[steps - 1], nodes[0], EdgeKind::After { span });
        }
        StepGraph { graph, nodes }
    }

    #[test]
    fn long_chains_and_cycles_need_no_deep_stack() {
        // A recursive search needs far more than 256 KiB for 200,000 steps; lint's workers and
        // the thread beside the rules have small stacks.
        let found = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| (chain(200_000, false).cycles().len(), chain(50_000, true).cycles()))
            .expect("a thread starts")
            .join()
            .expect("no stack overflow");
        let (acyclic, cycles) = found;
        assert_eq!(acyclic, 0);
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].steps.len(), 50_000);
        assert_eq!(cycles[0].steps[..3], [0, 1, 2]);
    }

    /// An inferred edge's reason is true for the version its step installs: the stop on the
    /// way (4.0.3) does not meet the agent's `^4.2`, and its edge says so.
    #[test]
    fn a_requirement_edge_names_what_the_version_is_to_it() {
        use crate::testing::{DTEN_INVENTORY, DTEN_MANIFEST, compile_body};
        let plan = "upgrade: { dten-core: 4.2.0, dten-agent: 4.2.0 }\nsteps:\n  - { id: core-4-0-3, do: install, with: { target: dten-core@4.0.3 }, on: app }\n  - { id: core, do: install, with: { target: dten-core@4.2.0 }, on: app }\n  - { id: agent, do: install, with: { target: dten-agent@4.2.0 }, on: app }\n";
        let lowered = compile_body(plan, DTEN_MANIFEST, DTEN_INVENTORY).lowered.expect("lowers");
        let reason = |from: &str| {
            let edge = lowered.edges.iter().find(|edge| edge.from == from && edge.to == "agent").expect("an edge");
            edge.reason.clone().expect("inferred")
        };
        assert_eq!(reason("core"), "dten-agent requires dten-core ^4.2");
        assert_eq!(reason("core-4-0-3"), "dten-agent requires dten-core ^4.2; 4.0.3 is a stop on the way");
    }
}
