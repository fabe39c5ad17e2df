//! `cutover schema KIND`: the JSON Schema of plans, action libraries, manifests or
//! inventories, for editors. The same schemas are committed under `schemas/`.

use std::process::ExitCode;

use crate::schema::{Kind, schema};

pub fn run(kind: Kind) -> Result<ExitCode, super::Failure> {
    super::output::write_stdout(schema(kind).as_bytes())
}
