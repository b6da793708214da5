//! kvp-scan: finds people likely entitled to the qualification programme (KVP) in Parquet
//! exports of economic-assistance records, using declarative rule files run on DataFusion.
//!
//! The modules follow the data flow, each importing only those above it in this list:
//! `i18n` (languages and console texts) → `contract` (the input tables) → `rules` (the
//! rule-file model) → `engine` (the evaluation session) → `output` (one module per output
//! file) → `commands` (one module per command) → `cli`.

pub mod i18n;

pub mod contract;

pub mod rules;

pub mod engine;

pub mod output;

pub mod commands;

pub mod cli;
