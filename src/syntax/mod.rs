//! Front ends: source text to the [`crate::model`]. YAML today; the DSL joins here and produces
//! the same model.

pub mod yaml;
