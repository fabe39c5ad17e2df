//! cutover: a compiler for upgrade plans.
//!
//! A plan goes through these stages, one module each, in this order:
//!
//! 1. [`source`] loads files into a [`source::SourceMap`]; every position is a byte [`source::Span`].
//! 2. [`syntax`] reads text into the [`model`]: `syntax::yaml` turns YAML or JSON into a spanned
//!    node tree (the only code that knows the YAML library); the readers build plans,
//!    manifests, inventories and action libraries, reporting CUT001/CUT002 as they go.
//! 3. [`resolve`] checks names, binds every step to its action, types every argument and parses
//!    every template with the shell context of each placeholder.
//! 4. [`graph`] builds the step graph with its inferred edges and walks each host's versions
//!    along it (`graph::flow`).
//! 5. [`check`] runs resolve and graph, then the rules in `check::rules`. It returns
//!    [`diagnostic::Diagnostic`]s; it never prints.
//! 6. [`lower`] turns a plan with no errors into ordered step instances with rendered,
//!    quoted commands: the [`lower::LoweredPlan`].
//! 7. [`emit`] writes the lowered plan as a runbook, a bash script, an Ansible playbook, JSON,
//!    DOT or Mermaid, reading nothing but the lowered plan.
//!
//! [`driver`] runs the stages end to end; the `cutover` binary's `cli` module renders the
//! diagnostics and writes the outputs.
//!
//! ```no_run
//! let compilation = cutover::compile_path(std::path::Path::new("plans/dten-4.2/plan.yaml"))?;
//! for diagnostic in &compilation.diagnostics {
//!     println!("{} {}", diagnostic.code, diagnostic.message);
//! }
//! # Ok::<(), cutover::source::LoadError>(())
//! ```

pub mod actions;
pub mod check;
pub mod cli;
pub mod codes;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod driver;
pub mod emit;
pub mod gather;
pub mod graph;
pub mod init;
pub mod lower;
pub mod model;
mod parallel;
pub mod probe;
pub mod report;
pub mod resolve;
pub mod scan;
pub mod schema;
pub mod source;
pub mod syntax;

#[cfg(test)]
mod testing;

pub use driver::{Compilation, compile, compile_path};
