//! Front ends: source text to the [`crate::model`]. YAML today; the DSL joins here and produces
//! the same model.
//!
//! **Invariant:** only `syntax::yaml` knows the YAML library; the readers see its node tree.

pub mod dsl;
pub mod manifest;
pub mod plan;
pub mod reader;
pub mod yaml;
