//! `rules test`: every rule's example cases run through the real loader, validator and engine,
//! and what they exercise (`--coverage`).

pub mod coverage;
pub mod examples;
