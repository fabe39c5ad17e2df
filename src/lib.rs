//! cutover
pub mod codes;
pub mod diagnostic;
pub mod source;
pub mod syntax;
