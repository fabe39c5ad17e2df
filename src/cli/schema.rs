//! `cutover schema KIND`: the JSON Schema of plans, action libraries, manifests or
//! inventories, for editors. The same schemas are committed under `schemas/`.

use std::process::ExitCode;

use crate::schema::{Kind, schema};

pub fn run(kind: Kind) -> ExitCode {
    print!("{}", schema(kind));
    ExitCode::SUCCESS
}
