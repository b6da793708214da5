//! File names made from data (office and caseworker ids): safe as one path component on
//! every file system, and unique within a folder.

/// File names on Windows that name a device, whatever the extension.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// The longest id kept as it is in a file name; longer ones are shortened and hashed.
const MAX_PLAIN: usize = 64;

/// A path component made from an office or caseworker id: ASCII letters, digits, `-` and `_`
/// kept, anything else (slashes, dots, spaces, other letters) becomes `_`, so data can never
/// name a path outside the folder. An id that had to change, is too long or is a reserved
/// name gets the first 8 hex digits of its SHA-256 appended, so `a/b` and `a_b` differ.
pub fn file_stem(id: &str, also_reserved: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let cleaned: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let reserved = RESERVED.contains(&cleaned.to_ascii_uppercase().as_str())
        || also_reserved
            .iter()
            .any(|r| cleaned.eq_ignore_ascii_case(r));
    if cleaned == id && !id.is_empty() && id.len() <= MAX_PLAIN && !reserved {
        return cleaned;
    }
    let hash = Sha256::digest(id.as_bytes());
    let short: String = cleaned.chars().take(48).collect();
    format!(
        "{short}-{:02x}{:02x}{:02x}{:02x}",
        hash[0], hash[1], hash[2], hash[3]
    )
}

/// Unique names within one folder, also on a case-insensitive file system: a name already
/// taken (in any case) gets `-2`, `-3`, ... Ids are named in sorted order, so the same ids
/// always get the same names.
#[derive(Default)]
pub struct Names(std::collections::HashSet<String>);

impl Names {
    /// Takes a name that nothing else may get.
    pub fn reserve(&mut self, name: &str) {
        self.0.insert(name.to_ascii_lowercase());
    }

    pub fn unique(&mut self, stem: String) -> String {
        let mut name = stem.clone();
        let mut n = 1;
        while !self.0.insert(name.to_ascii_lowercase()) {
            n += 1;
            name = format!("{stem}-{n}");
        }
        name
    }
}
