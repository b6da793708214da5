//! `--pseudonymize KEYFILE`: person ids replaced by a keyed hash (HMAC-SHA-256) in every output,
//! stable across runs with the same key. The key is read once and never written anywhere.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 16;
/// The longest key file read, in bytes: anything larger is not a key file.
pub const MAX_KEY_BYTES: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{}", crate::tr!("kan ikke lese nøkkelfilen {}", "cannot read the key file {}", path.display()))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", crate::tr!(
        "nøkkelfilen {path} har {len} byte; forventet minst {MIN_KEY_BYTES} hemmelige tilfeldige byte \
         (lag en med: head -c 32 /dev/urandom > {path})",
        "the key file {path} holds {len} bytes; expected at least {MIN_KEY_BYTES} secret random bytes \
         (make one with: head -c 32 /dev/urandom > {path})",
        path = path.display()
    ))]
    TooShort { path: PathBuf, len: usize },
    #[error("{}", crate::tr!(
        "nøkkelfilen {path} er større enn {MAX_KEY_BYTES} byte: ikke en nøkkelfil \
         (en nøkkel er 16 til {MAX_KEY_BYTES} byte, f.eks. head -c 32 /dev/urandom > NØKKELFIL)",
        "the key file {path} is larger than {MAX_KEY_BYTES} bytes: not a key file \
         (a key is 16 to {MAX_KEY_BYTES} bytes, e.g. head -c 32 /dev/urandom > KEYFILE)",
        path = path.display()
    ))]
    TooLong { path: PathBuf },
}

/// Turns person ids into pseudonyms. `Debug` never shows the key.
#[derive(Clone)]
pub struct Pseudonymizer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(<key hidden>)")
    }
}

impl Pseudonymizer {
    /// Reads the key file. Format: the key is the file's bytes exactly as they are (raw random
    /// bytes, or a hex or base64 text: its text is the key), 16 to 4096 bytes, with a trailing
    /// newline (as an editor leaves it) not part of the key. The same file always gives the
    /// same pseudonyms, so analysts can share one key file.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        use std::io::Read;
        let read_err = |source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut key = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_KEY_BYTES as u64 + 1).read_to_end(&mut key))
            .map_err(read_err)?;
        if key.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLong {
                path: path.to_path_buf(),
            });
        }
        while key.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            key.pop();
        }
        if key.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort {
                path: path.to_path_buf(),
                len: key.len(),
            });
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(m) = std::fs::metadata(path)
                && m.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(
                    file = %path.display(),
                    "the pseudonymisation key file can be read by other users; chmod 600 it"
                );
            }
        }
        Ok(Pseudonymizer { key })
    }

    #[cfg(test)]
    pub fn from_key(key: &[u8]) -> Self {
        Pseudonymizer { key: key.to_vec() }
    }

    fn mac(&self, domain: &[u8], value: &[u8]) -> String {
        let mut m = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        m.update(domain);
        m.update(value);
        let out = m.finalize().into_bytes();
        let mut s = String::with_capacity(64);
        for b in out {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// The pseudonym of a person id: 64 lowercase hex digits.
    pub fn person(&self, id: &str) -> String {
        // No domain prefix: the pseudonym is HMAC-SHA-256(key, person_id), so analysts can
        // reproduce it with any HMAC tool given the key.
        self.mac(b"", id.as_bytes())
    }

    /// A check value that tells whether two runs used the same key, without revealing the key
    /// or any pseudonym (a different message than any person id: it has a NUL byte).
    pub fn key_check(&self) -> String {
        self.mac(b"kvp-scan\0key-check", b"")[..16].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonym_is_hmac_sha256_of_the_id() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        let p = Pseudonymizer::from_key(b"Jefe");
        assert_eq!(
            p.person("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn stable_per_key_and_different_across_keys() {
        let a = Pseudonymizer::from_key(b"0123456789abcdef");
        let b = Pseudonymizer::from_key(b"0123456789abcdeF");
        assert_eq!(a.person("01019012345"), a.person("01019012345"));
        assert_ne!(a.person("01019012345"), a.person("01019012346"));
        assert_ne!(a.person("01019012345"), b.person("01019012345"));
        assert_ne!(a.key_check(), b.key_check());
        assert!(!format!("{a:?}").contains("0123"));
    }

    #[test]
    fn short_keys_are_refused_and_newline_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("k1");
        std::fs::write(&short, b"kort\n").unwrap();
        assert!(matches!(
            Pseudonymizer::from_file(&short),
            Err(KeyError::TooShort { len: 4, .. })
        ));
        let ok = dir.path().join("k2");
        std::fs::write(&ok, b"0123456789abcdef\n").unwrap();
        let p = Pseudonymizer::from_file(&ok).unwrap();
        assert_eq!(
            p.person("x"),
            Pseudonymizer::from_key(b"0123456789abcdef").person("x")
        );
        let huge = dir.path().join("k3");
        std::fs::write(&huge, vec![7u8; MAX_KEY_BYTES + 1]).unwrap();
        assert!(matches!(
            Pseudonymizer::from_file(&huge),
            Err(KeyError::TooLong { .. })
        ));
    }
}
