//! Names for the numbers leaders read: NAV offices from a CSV file the office gives (`report
//! --kontornavn`); municipalities from the 2024 list bundled here (SSB's classification 131,
//! `kommuner_2024.csv`), or from `--kommunenavn`, which wins; counties (fylker) from the 2024
//! county list bundled here. A number without a name is shown as the number alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The counties from 1 January 2024, by the first two digits of the municipality number.
pub const FYLKER: [(&str, &str); 15] = [
    ("03", "Oslo"),
    ("11", "Rogaland"),
    ("15", "Møre og Romsdal"),
    ("18", "Nordland"),
    ("31", "Østfold"),
    ("32", "Akershus"),
    ("33", "Buskerud"),
    ("34", "Innlandet"),
    ("39", "Vestfold"),
    ("40", "Telemark"),
    ("42", "Agder"),
    ("46", "Vestland"),
    ("50", "Trøndelag"),
    ("55", "Troms"),
    ("56", "Finnmark"),
];

/// The largest names file read (a national office list is a few kilobytes).
const MAX_BYTES: u64 = 4 << 20;

#[derive(Debug, Error)]
pub enum NamesError {
    #[error("{}", crate::tr!("kan ikke lese {}: {source}", "cannot read {}: {source}", path.display()))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", crate::tr!(
        "{} er større enn {MAX_BYTES} byte; forventet en kort CSV med numre og navn",
        "{} is larger than {MAX_BYTES} bytes; expected a short CSV of numbers and names",
        path.display()
    ))]
    TooLarge { path: PathBuf },
    #[error("{}", crate::tr!(
        "{}: forventet en overskriftsrad med kolonnene `{key}` og `navn` (skilt med `;` eller `,`), fant: {found}",
        "{}: expected a header row with the columns `{key}` and `navn` (separated by `;` or `,`), found: {found}",
        path.display()
    ))]
    Header {
        path: PathBuf,
        key: &'static str,
        found: String,
    },
    #[error("{}:{line}: {message}", path.display())]
    Row {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// Names by number.
#[derive(Debug, Clone, Default)]
pub struct Names {
    kontor: BTreeMap<String, String>,
    kommune: BTreeMap<String, String>,
}

impl Names {
    /// Reads the files given (either may be absent).
    pub fn load(kontor: Option<&Path>, kommune: Option<&Path>) -> Result<Names, NamesError> {
        Ok(Names {
            kontor: kontor
                .map(|p| read(p, "nav_kontor"))
                .transpose()?
                .unwrap_or_default(),
            kommune: kommune
                .map(|p| read(p, "kommune_nr"))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    pub fn kontor(&self, nr: &str) -> Option<&str> {
        self.kontor.get(nr).map(String::as_str)
    }

    pub fn kommune(&self, nr: &str) -> Option<&str> {
        self.kommune
            .get(nr)
            .map(String::as_str)
            .or_else(|| bundled_kommune(nr))
    }

    pub fn fylke(&self, nr: &str) -> Option<&str> {
        FYLKER.iter().find(|(k, _)| *k == nr).map(|(_, n)| *n)
    }

    /// `0312 Sagene`, or the number alone when it has no name; `level` is `nav_kontor`,
    /// `kommune` or `fylke`.
    pub fn label(&self, level: &str, nr: &str) -> String {
        let name = match level {
            "nav_kontor" => self.kontor(nr),
            "kommune" => self.kommune(nr),
            "fylke" => self.fylke(nr),
            _ => None,
        };
        match name {
            Some(n) => format!("{nr} {n}"),
            None => nr.to_string(),
        }
    }
}

/// The 357 municipalities from 1 January 2024 (SSB, classification 131), `kommune_nr;navn`.
const KOMMUNER_2024: &str = include_str!("kommuner_2024.csv");

/// The bundled 2024 list by number, read once (the report looks a name up for every unit and
/// date).
static BUNDLED_KOMMUNER: std::sync::LazyLock<std::collections::HashMap<&str, &str>> =
    std::sync::LazyLock::new(|| {
        KOMMUNER_2024
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(';'))
            .collect()
    });

/// A municipality's name in the bundled 2024 list.
fn bundled_kommune(nr: &str) -> Option<&'static str> {
    BUNDLED_KOMMUNER.get(nr).copied()
}

/// The file as UTF-8 text, at most `MAX_BYTES`.
fn read_text(path: &Path) -> Result<String, NamesError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|source| NamesError::Read {
        path: path.into(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| NamesError::Read {
            path: path.into(),
            source,
        })?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(NamesError::TooLarge { path: path.into() });
    }
    String::from_utf8(bytes).map_err(|e| NamesError::Row {
        path: path.into(),
        line: 1,
        message: crate::tr!(
            "ikke UTF-8-tekst (byte {})",
            "not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// A row's number (letters or digits, at most 64) and name (1–120 characters).
fn check_name(key: &str, nr: &str, name: &str) -> Result<(), String> {
    if nr.is_empty() || nr.len() > 64 || !nr.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(crate::tr!(
            "`{key}` må være et nummer på høyst 64 bokstaver eller sifre, fant `{}`",
            "`{key}` must be a number of at most 64 letters or digits, found `{}`",
            nr.chars().take(70).collect::<String>()
        ));
    }
    if name.is_empty() || name.chars().count() > 120 {
        return Err(crate::tr!(
            "`navn` for {nr} må ha 1–120 tegn",
            "`navn` of {nr} must be 1–120 characters"
        ));
    }
    Ok(())
}

/// A `key;navn` CSV (`;` or `,`, UTF-8 with or without BOM): every row a number and a name.
fn read(path: &Path, key: &'static str) -> Result<BTreeMap<String, String>, NamesError> {
    let text = read_text(path)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains(';') { b';' } else { b',' };
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = r
        .headers()
        .map_err(|e| NamesError::Row {
            path: path.into(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(k), Some(n)) = (col(key), col("navn")) else {
        return Err(NamesError::Header {
            path: path.into(),
            key,
            found: header.iter().collect::<Vec<_>>().join(", "),
        });
    };
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for row in r.records() {
        let row = row.map_err(|e| NamesError::Row {
            path: path.into(),
            line: e.position().map_or(0, |p| p.line()),
            message: crate::tr!(
                "{e}; forventet `{key}` og `navn` på hver rad",
                "{e}; expected `{key}` and `navn` in every row"
            ),
        })?;
        let line = row.position().map_or(0, |p| p.line());
        let err = |message: String| NamesError::Row {
            path: path.into(),
            line,
            message,
        };
        let (nr, name) = (row[k].trim(), row[n].trim());
        check_name(key, nr, name).map_err(err)?;
        match out.get(nr) {
            Some(earlier) if earlier != name => {
                return Err(err(crate::tr!(
                    "{nr} har to navn: `{earlier}` og `{name}`",
                    "{nr} is named twice: `{earlier}` and `{name}`"
                )));
            }
            _ => {
                out.insert(nr.to_string(), name.to_string());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn names_are_read_with_either_separator_and_a_bom() {
        let f = file("\u{feff}nav_kontor;navn\r\n0312;NAV Sagene\r\n0314;NAV Gamle Oslo\r\n");
        let n = Names::load(Some(f.path()), None).unwrap();
        assert_eq!(n.label("nav_kontor", "0312"), "0312 NAV Sagene");
        assert_eq!(n.label("nav_kontor", "9999"), "9999");
        let f = file("kommune_nr,navn\n1103,Stavanger\n");
        let n = Names::load(None, Some(f.path())).unwrap();
        assert_eq!(n.label("kommune", "1103"), "1103 Stavanger");
        assert_eq!(n.label("fylke", "50"), "50 Trøndelag");
        assert_eq!(n.label("fylke", "99"), "99");
        // the bundled list names what the file does not; the file wins
        assert_eq!(n.label("kommune", "4601"), "4601 Bergen");
        assert_eq!(n.label("kommune", "0000"), "0000");
        let f = file("kommune_nr;navn\n4601;Bjørgvin\n");
        let n = Names::load(None, Some(f.path())).unwrap();
        assert_eq!(n.label("kommune", "4601"), "4601 Bjørgvin");
    }

    #[test]
    fn bad_files_name_the_line_and_what_was_expected() {
        let f = file("kontor;navn\n0312;x\n");
        let e = Names::load(Some(f.path()), None).unwrap_err().to_string();
        assert!(e.contains("`nav_kontor` og `navn`"), "{e}");
        let f = file("nav_kontor;navn\n0312;A\n0312;B\n");
        let e = Names::load(Some(f.path()), None).unwrap_err().to_string();
        assert!(e.contains(":3: 0312 har to navn"), "{e}");
        let f = file("nav_kontor;navn\n../x;A\n");
        let e = Names::load(Some(f.path()), None).unwrap_err().to_string();
        assert!(e.contains(":2: `nav_kontor` må være"), "{e}");
        let f = file("nav_kontor;navn\n0312\n");
        let e = Names::load(Some(f.path()), None).unwrap_err().to_string();
        assert!(e.contains(":2:"), "{e}");
    }

    /// The bundled list: 357 distinct four-digit numbers, each in a bundled county.
    #[test]
    fn the_bundled_municipalities_are_the_2024_list() {
        let rows: Vec<(&str, &str)> = KOMMUNER_2024
            .lines()
            .skip(1)
            .map(|l| l.split_once(';').expect("nr;navn"))
            .collect();
        assert_eq!(rows.len(), 357);
        let numbers: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.0).collect();
        assert_eq!(numbers.len(), 357);
        for (nr, name) in rows {
            assert!(
                nr.len() == 4 && nr.bytes().all(|b| b.is_ascii_digit()),
                "{nr}"
            );
            assert!(FYLKER.iter().any(|(f, _)| nr.starts_with(f)), "{nr}");
            assert!(!name.is_empty() && name.trim() == name, "{nr}");
        }
    }
}
