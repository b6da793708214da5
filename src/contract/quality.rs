//! Data-quality findings: row errors (row set aside) and warnings (row used), as the contract's
//! "Bad input" section defines them, and how they are worded in each language.

use serde::Serialize;

use super::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The row is set aside and not used.
    Feil,
    /// The row is used.
    Advarsel,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Feil => "feil",
            Severity::Advarsel => "advarsel",
        }
    }

    /// The severity in words: what became of the row.
    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::labels::ALVORLIGHET.text(self.as_str(), lang)
    }
}

/// What is wrong, with the facts needed to say it in either language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Null,
    UnknownCode {
        value: String,
        allowed: &'static [&'static str],
    },
    PeriodBackwards,
    DateOutOfRange,
    NegativeAmount,
    UnknownPerson,
    DuplicatePerson {
        first_row: u64,
    },
    FnrCheck,
    FnrDate,
    FnrNotDigits,
    AgeOver100 {
        age: i64,
    },
    KommuneNr,
    BydelNr,
    VeilederTooLong,
    UnknownFile,
    EmptyTable,
    /// A protection value other than null or the two codes: treated as strengt fortrolig.
    UnknownProtection {
        value: String,
    },
    /// A duplicate `personer` row had a stricter protection than the row used: it applies.
    StricterProtectionInDuplicate {
        first_row: u64,
    },
    /// A string longer than its column allows (ids and codes: [`MAX_ID_BYTES`]).
    TooLong {
        limit: usize,
    },
}

/// The longest id or code (in bytes) a row may carry; a longer one is a row error, so one
/// hostile value cannot be copied into every list.
pub const MAX_ID_BYTES: usize = 64;

impl Problem {
    pub fn severity(&self) -> Severity {
        match self {
            Problem::Null
            | Problem::UnknownCode { .. }
            | Problem::PeriodBackwards
            | Problem::DateOutOfRange
            | Problem::NegativeAmount
            | Problem::UnknownPerson
            | Problem::DuplicatePerson { .. }
            | Problem::TooLong { .. } => Severity::Feil,
            _ => Severity::Advarsel,
        }
    }

    /// A short machine-friendly code for the kind of problem.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Null => "mangler_verdi",
            Problem::UnknownCode { .. } => "ukjent_kode",
            Problem::PeriodBackwards => "tom_for_fom",
            Problem::DateOutOfRange => "dato_utenfor_gyldig_intervall",
            Problem::NegativeAmount => "negativt_belop",
            Problem::UnknownPerson => "ukjent_person",
            Problem::DuplicatePerson { .. } => "duplikat_person",
            Problem::FnrCheck | Problem::FnrDate | Problem::FnrNotDigits => {
                "fodselsnummer_kontroll"
            }
            Problem::AgeOver100 { .. } => "alder_over_100",
            Problem::KommuneNr => "kommune_nr_format",
            Problem::BydelNr => "bydel_nr",
            Problem::VeilederTooLong => "veileder_for_lang",
            Problem::UnknownFile => "ukjent_fil",
            Problem::EmptyTable => "tom_tabell",
            Problem::UnknownProtection { .. } => "ukjent_adressebeskyttelse",
            Problem::StricterProtectionInDuplicate { .. } => "strengere_adressebeskyttelse",
            Problem::TooLong { .. } => "for_lang_verdi",
        }
    }

    /// The reason, without person values (codes found in code columns are not personal data).
    pub fn reason(&self, lang: Lang) -> String {
        use Lang::*;
        match (self, lang) {
            (Problem::Null, Nb) => "mangler verdi i en kolonne som ikke kan være tom".into(),
            (Problem::Null, En) => "null in a column that must have a value".into(),
            (Problem::UnknownCode { value, allowed }, Nb) => {
                format!(
                    "ukjent kode «{value}»; forventet en av {}",
                    allowed.join(", ")
                )
            }
            (Problem::UnknownCode { value, allowed }, En) => {
                format!(
                    "unknown code \"{value}\"; expected one of {}",
                    allowed.join(", ")
                )
            }
            (Problem::PeriodBackwards, Nb) => "tom er før fom".into(),
            (Problem::PeriodBackwards, En) => "tom is before fom".into(),
            (Problem::DateOutOfRange, Nb) => "dato før 1900-01-01 eller etter 2099-12-31".into(),
            (Problem::DateOutOfRange, En) => "date before 1900-01-01 or after 2099-12-31".into(),
            (Problem::NegativeAmount, Nb) => "negativt beløp; forventet 0 eller mer".into(),
            (Problem::NegativeAmount, En) => "negative amount; expected 0 or more".into(),
            (Problem::UnknownPerson, Nb) => {
                "person_id finnes ikke i personer (eller personraden er satt til side)".into()
            }
            (Problem::UnknownPerson, En) => {
                "person_id is not in personer (or its personer row was set aside)".into()
            }
            (Problem::DuplicatePerson { first_row }, Nb) => {
                format!("person_id forekommer allerede i rad {first_row}; første rad brukes")
            }
            (Problem::DuplicatePerson { first_row }, En) => {
                format!("person_id already occurs in row {first_row}; the first row is used")
            }
            (Problem::FnrCheck, Nb) => "fødselsnummeret har feil kontrollsiffer (mod 11)".into(),
            (Problem::FnrCheck, En) => "fødselsnummer has wrong check digits (mod 11)".into(),
            (Problem::FnrDate, Nb) => "fødselsnummeret har ugyldig datodel".into(),
            (Problem::FnrDate, En) => "fødselsnummer has an invalid date part".into(),
            (Problem::FnrNotDigits, Nb) => "11 tegn lang person_id som ikke bare er sifre".into(),
            (Problem::FnrNotDigits, En) => "11-character person_id that is not all digits".into(),
            (Problem::AgeOver100 { age }, Nb) => {
                format!("alder over 100 på skanningsdatoen ({age} år)")
            }
            (Problem::AgeOver100 { age }, En) => {
                format!("age over 100 on the scan date ({age} years)")
            }
            (Problem::KommuneNr, Nb) => "kommune_nr er ikke fire sifre".into(),
            (Problem::KommuneNr, En) => "kommune_nr is not four digits".into(),
            (Problem::BydelNr, Nb) => {
                "bydel_nr brukes bare for Oslo (0301) og må være 01–15".into()
            }
            (Problem::BydelNr, En) => "bydel_nr is only for Oslo (0301) and must be 01–15".into(),
            (Problem::VeilederTooLong, Nb) => "veileder er lengre enn 10 tegn".into(),
            (Problem::VeilederTooLong, En) => "veileder is longer than 10 characters".into(),
            (Problem::UnknownFile, Nb) => "ukjent fil i datamappen; ignorert".into(),
            (Problem::UnknownFile, En) => "unknown file in the data directory; ignored".into(),
            (Problem::EmptyTable, Nb) => "tabellen har ingen rader".into(),
            (Problem::EmptyTable, En) => "the table has no rows".into(),
            (Problem::UnknownProtection { value }, Nb) => format!(
                "ukjent adressebeskyttelse «{value}»; behandles som STRENGT_FORTROLIG (kode 6)"
            ),
            (Problem::UnknownProtection { value }, En) => format!(
                "unknown address protection \"{value}\"; treated as STRENGT_FORTROLIG (kode 6)"
            ),
            (Problem::StricterProtectionInDuplicate { first_row }, Nb) => format!(
                "duplikatraden har strengere adressebeskyttelse enn rad {first_row}; den strengeste gjelder"
            ),
            (Problem::StricterProtectionInDuplicate { first_row }, En) => format!(
                "the duplicate row has a stricter address protection than row {first_row}; the strictest applies"
            ),
            (Problem::TooLong { limit }, Nb) => {
                format!("verdien er lengre enn {limit} byte; raden er satt til side")
            }
            (Problem::TooLong { limit }, En) => {
                format!("the value is longer than {limit} bytes; the row is set aside")
            }
        }
    }
}

/// One data-quality finding. `row` is 1-based within `file`; 0 means the whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub table: String,
    pub file: String,
    pub row: u64,
    pub column: String,
    pub problem: Problem,
}

impl Finding {
    /// A file in the data directory that is no table of the contract.
    pub fn unknown_file(file: String) -> Finding {
        Finding {
            table: String::new(),
            file,
            row: 0,
            column: String::new(),
            problem: Problem::UnknownFile,
        }
    }

    pub fn severity(&self) -> Severity {
        self.problem.severity()
    }
}

/// Per-table row accounting, so that no input row vanishes without a trace:
/// `read = used + set_aside + after_scan_date`.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct RowCounts {
    pub lest: u64,
    pub brukt: u64,
    pub satt_til_side: u64,
    pub etter_skanningsdato: u64,
}

impl RowCounts {
    /// Adds the counts of another part of the same table.
    pub fn add(&mut self, other: &RowCounts) {
        self.lest += other.lest;
        self.brukt += other.brukt;
        self.satt_til_side += other.satt_til_side;
        self.etter_skanningsdato += other.etter_skanningsdato;
    }
}
