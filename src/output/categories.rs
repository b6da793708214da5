//! The categories published figures are broken down by (KOSTRA's age bands, gender, the
//! measures' regi, seed 004's age groups and outcomes of ended programmes), how a person's facts
//! fall into them, and their labels in both languages. Used by the report and the audit.

use crate::contract::Lang;

/// KOSTRA's age bands for KVP.
pub const AGE_BANDS: [&str; 7] = [
    "under_20", "20_24", "25_29", "30_39", "40_49", "50_66", "67_plus",
];

pub fn age_band(age: i64) -> &'static str {
    match age {
        i64::MIN..=19 => AGE_BANDS[0],
        20..=24 => AGE_BANDS[1],
        25..=29 => AGE_BANDS[2],
        30..=39 => AGE_BANDS[3],
        40..=49 => AGE_BANDS[4],
        50..=66 => AGE_BANDS[5],
        _ => AGE_BANDS[6],
    }
}

pub const GENDERS: [&str; 3] = ["mann", "kvinne", "ukjent"];

/// KOSTRA's gender code as a category: `mann`, `kvinne` or `ukjent`.
pub fn gender(k: Option<&str>) -> &'static str {
    match k {
        Some("1") => "mann",
        Some("2") => "kvinne",
        _ => "ukjent",
    }
}

pub const REGI: [&str; 4] = ["statlig", "kommunal", "annen", "ingen"];

/// Participants by their measures' regi as seed 004 counts them: each participant in one
/// category (measures only in state regi, only municipal, other or mixed, none).
pub const TILTAK: [&str; 4] = ["kun_statlig", "kun_kommunal", "annen_eller_flere", "ingen"];

/// Participants' age groups as seed 004 counts them (KVP starts at 18; `under_18` keeps the
/// categories adding up to all participants).
pub const ALDERSGRUPPE: [&str; 3] = ["under_18", "18_24", "25_pluss"];

pub fn aldersgruppe(age: i64) -> &'static str {
    match age {
        i64::MIN..=17 => ALDERSGRUPPE[0],
        18..=24 => ALDERSGRUPPE[1],
        _ => ALDERSGRUPPE[2],
    }
}

/// The county (fylke) of a four-digit municipality number: its first two digits; `ukjent`
/// for anything else.
pub fn fylke(kommune_nr: &str) -> &str {
    match kommune_nr.as_bytes() {
        [a, b, c, d] if [a, b, c, d].iter().all(|x| x.is_ascii_digit()) => &kommune_nr[..2],
        _ => "ukjent",
    }
}

/// How an ended programme ended (11CF STATUS): `planmessig` (3, completed as agreed) or
/// `avbrudd` (4 non-attendance, 5 moved, 7 ended after a break); others (6, unknown) are
/// counted only among all ended.
pub fn avslutning(status_kode: Option<&str>) -> Option<&'static str> {
    match status_kode.map(str::trim) {
        Some("3") => Some("avsluttet_planmessig"),
        Some("4" | "5" | "7") => Some("avsluttet_avbrudd"),
        _ => None,
    }
}

/// Outcome categories of ended programmes (seed 004), from 11CF AVSL_* codes.
pub const OUTCOMES: [&str; 7] = [
    "ordinaert_arbeid",
    "arbeid_med_lonnstilskudd",
    "skole_utdanning",
    "uforetrygd",
    "aap",
    "okonomisk_stonad",
    "annet",
];

pub fn outcome(code: &str) -> &'static str {
    match code {
        "01" => "ordinaert_arbeid",
        "11" => "arbeid_med_lonnstilskudd",
        "04" => "skole_utdanning",
        "13" => "uforetrygd",
        "14" => "aap",
        "15" | "16" => "okonomisk_stonad",
        _ => "annet",
    }
}

/// A category's label in `lang` (the code itself when it has none).
pub fn label(code: &str, lang: Lang) -> String {
    crate::i18n::labels::KATEGORI.word(code, lang)
}
