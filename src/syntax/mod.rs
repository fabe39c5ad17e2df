//! Front ends: source text to the [`crate::model`]. YAML (`yaml`, `plan`, `manifest`, `inventory`,
//! which also reads Ansible's INI) and the DSL
//! (`dsl`) produce the same model; what both front ends decide the same way is `build`.
//!
//! **Invariant:** only `syntax::yaml` knows the YAML library; the readers see its node tree.

pub mod build;
pub mod dsl;
pub mod inventory;
pub mod manifest;
pub mod plan;
pub mod reader;
pub mod suppression;
pub mod yaml;
