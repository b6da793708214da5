//! kvp-scan: finds people likely entitled to the qualification programme (KVP) in Parquet
//! exports of economic-assistance records, using declarative rule files run on DataFusion.

pub mod audit;
pub mod availability;
pub mod cli;
pub mod compare;
pub mod contract;
pub mod engine;
pub mod explain;
pub mod generate;
pub mod i18n;
pub mod kostra;
pub mod parallel;
pub mod pseudonym;
pub mod report;
pub mod rules;
pub mod scan;
pub mod weekly;
