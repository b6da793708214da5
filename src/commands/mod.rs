//! One module per command: each reads its arguments, opens what it needs from the layers
//! below (contract, rules, engine, output) and returns what the command line prints.

pub mod args;
pub mod audit;
pub mod compare;
pub mod explain;
pub mod generate;
pub mod import_kostra;
pub mod report;
pub mod rules;
pub mod scan;
pub mod weekly;
