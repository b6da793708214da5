//! KOSTRA 11F and 11CF files (what municipalities send Statistics Norway): their layouts,
//! reading and checking records, mapping them to the contract's tables, and writing them
//! (for the generator). `import kostra` (in `commands`) writes the result.

pub mod export;
pub mod layout;
pub mod mapping;
pub mod record;
