//! Emitters: the lowered plan to text. Each format is one file; none looks past the
//! [`LoweredPlan`](crate::lower::LoweredPlan).

pub mod ansible;
pub mod dot;
pub mod json;
pub mod mermaid;
pub mod runbook;
pub mod sh;
