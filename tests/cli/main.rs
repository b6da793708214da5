//! The integration tests: the real `kvp-scan` binary on the fixtures in `testdata/`, one
//! binary for all of them (a cold DataFusion build is slow).
//!
//! Table of contents:
//! - [`scan`]: verdicts on the fixtures, the output files, bad input, the console's language
//! - [`rules`]: `rules check` and `rules test`, dated parameters
//! - [`explain`]: one person's explanation, agreeing with `scan`
//! - [`weekly`]: caseworker lists week after week, history, the worklist and its print
//! - [`report`]: the availability report, office pages, suppression
//! - [`audit`]: the offer audit and `audit verify`
//! - [`compare`]: two rule sets on the same data
//! - [`kostra`]: importing KOSTRA 11F and 11CF files
//! - [`security`]: kode 6 and 7, hostile input, file modes, pseudonyms
//! - [`helpers`] and [`browser`]: shared helpers and headless Chromium

mod helpers;
use helpers::*;

mod audit;
mod browser;
mod compare;
mod explain;
mod kostra;
mod report;
mod rules;
mod scan;
mod security;
mod weekly;
