//! Checking: resolve names and types, build the graph, run every rule, and hand lowering a plan
//! that is known to be sound.
//!
//! **Invariant:** checking never prints and never stops at the first problem; it returns every
//! diagnostic of the run.

pub(crate) mod commands;
pub mod resolve;
pub mod rules;
mod suppress;
pub mod template;

use crate::diagnostic::{Diagnostic, Note};
use crate::graph::StepGraph;
use crate::graph::flow::{self, Flow, Verdict};
use crate::model::{Inventory, Library, Manifest, Plan};
use crate::source::SourceMap;

use resolve::Resolved;

/// What a plan is checked against: everything the front ends read.
#[derive(Debug)]
pub struct Inputs<'m> {
    pub plan: &'m Plan,
    /// `None` when it could not be read; the checks that need it are skipped.
    pub manifest: Option<&'m Manifest>,
    pub inventory: Option<&'m Inventory>,
    pub libraries: &'m [Library],
    pub prelude: &'m Library,
    /// From `cutover.toml`, or the defaults.
    pub settings: &'m crate::config::Settings,
}

/// Everything the rules look at.
pub struct Context<'c, 'm> {
    pub inputs: &'c Inputs<'m>,
    pub sources: &'c SourceMap,
    pub resolved: &'c Resolved<'m>,
    pub graph: &'c StepGraph,
    /// `None` when the graph has a cycle.
    pub order: Option<&'c [usize]>,
    /// `None` without an order, a manifest or an inventory.
    pub flow: Option<&'c Flow>,
}

impl Context<'_, '_> {
    /// Whether step `before` finishes before step `after` starts in every order the graph
    /// allows: `before` is an ancestor of `after`, or a preflight step and `after` a main step.
    #[must_use]
    pub fn runs_before(&self, before: usize, after: usize) -> bool {
        use crate::model::Phase;
        let steps = &self.resolved.steps;
        if steps[before].step.phase == Phase::Preflight && steps[after].step.phase == Phase::Main {
            return true;
        }
        before != after
            && petgraph::algo::has_path_connecting(
                &self.graph.graph,
                self.graph.node(before),
                self.graph.node(after),
                None,
            )
    }
}

/// A plan that passed its checks, ready for lowering.
#[derive(Debug)]
pub struct Checked<'m> {
    pub inputs: &'m Inputs<'m>,
    pub resolved: Resolved<'m>,
    pub graph: StepGraph,
    pub order: Vec<usize>,
    pub flow: Flow,
}

/// The outcome of checking: every diagnostic and note, and the checked plan when nothing was an
/// error.
pub struct Outcome<'m> {
    pub diagnostics: Vec<Diagnostic>,
    pub notes: Vec<Note>,
    pub checked: Option<Checked<'m>>,
}

/// Checks a plan against its inputs. `diagnostics` holds what the front ends already found.
#[must_use]
pub fn check<'m>(inputs: &'m Inputs<'m>, sources: &SourceMap, mut diagnostics: Vec<Diagnostic>) -> Outcome<'m> {
    let resolved = resolve::resolve(inputs, sources, &mut diagnostics);
    let graph = StepGraph::build(&resolved, inputs.manifest);
    let order = graph.order();
    let flow = match (&order, inputs.manifest, inputs.inventory) {
        (Some(order), Some(manifest), Some(inventory)) => Some(flow::walk(&resolved, order, manifest, inventory)),
        _ => None,
    };
    let context =
        Context { inputs, sources, resolved: &resolved, graph: &graph, order: order.as_deref(), flow: flow.as_ref() };
    rules::run_all(&context, &mut diagnostics);
    suppress::apply(inputs.plan, sources, &mut diagnostics);
    // `cutover.toml` may turn a rule off or change its severity.
    diagnostics.retain_mut(|diagnostic| match inputs.settings.severity(diagnostic.code, diagnostic.severity) {
        Some(severity) => {
            diagnostic.severity = severity;
            true
        }
        None => false,
    });
    let notes = flow.as_ref().map(|flow| already_there_notes(&resolved, flow)).unwrap_or_default();
    diagnostics
        .sort_by_key(|diagnostic| (diagnostic.primary.span.file, diagnostic.primary.span.start, diagnostic.code));
    let checked = match (order, flow) {
        (Some(order), Some(flow)) if !diagnostics.iter().any(Diagnostic::is_error) => {
            Some(Checked { inputs, resolved, graph, order, flow })
        }
        _ => None,
    };
    Outcome { diagnostics, notes, checked }
}

/// A release on a host that already has the version does nothing there; say so once per step
/// and version.
pub(crate) fn already_there_notes(resolved: &Resolved<'_>, flow: &Flow) -> Vec<Note> {
    let mut notes: Vec<Note> = Vec::new();
    let mut grouped: indexmap::IndexMap<(usize, &str, &semver::Version), Vec<&str>> = indexmap::IndexMap::new();
    for hop in &flow.hops {
        if hop.verdict == Verdict::AlreadyThere {
            grouped.entry((hop.step, hop.component.as_str(), &hop.to)).or_default().push(hop.host.as_str());
        }
    }
    for ((step, component, version), hosts) in grouped {
        let step = &resolved.steps[step];
        let span = step
            .releases
            .iter()
            .find(|release| release.component == component)
            .map_or(step.step.id.span, |release| release.span);
        let (subject, verb) = if hosts.len() == 1 { (hosts[0].to_owned(), "has") } else { (hosts.join(", "), "have") };
        notes.push(Note {
            span,
            message: format!("{subject} already {verb} {component} {version}: `{}` does nothing there", step.id()),
        });
    }
    notes
}
