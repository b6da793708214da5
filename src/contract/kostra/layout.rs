//! The fixed-width layouts of KOSTRA 11F and 11CF (reporting years 2025 and 2026, identical):
//! field positions and code lists, as `../shared/spec/kostra-import.md` and SSB's
//! `kravspesifikasjon/file_description_11F_2026.yaml` / `..._11CF_2026.yaml` give them.

/// One field: SSB's name and its 1-based first position and size in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub from: usize,
    pub size: usize,
}

const fn f(name: &'static str, from: usize, size: usize) -> Field {
    Field { name, from, size }
}

/// The kind of a KOSTRA file, recognised by its record length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Kind {
    /// Økonomisk sosialhjelp: one record per recipient and year.
    #[serde(rename = "11F")]
    F11,
    /// Kvalifiseringsstønad: one record per participant programme and year.
    #[serde(rename = "11CF")]
    Cf11,
}

impl Kind {
    pub fn record_len(self) -> usize {
        match self {
            Kind::F11 => 338,
            Kind::Cf11 => 152,
        }
    }

    pub fn of_len(len: usize) -> Option<Kind> {
        [Kind::F11, Kind::Cf11]
            .into_iter()
            .find(|k| k.record_len() == len)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::F11 => "11F",
            Kind::Cf11 => "11CF",
        }
    }
}

/// Reporting years whose layout this importer knows (VERSION `25`, `26`).
pub const YEARS: [i32; 2] = [2025, 2026];

// fields both kinds share
pub const KOMMUNE_NR: Field = f("KOMMUNE_NR", 1, 4);
pub const VERSION: Field = f("VERSION", 5, 2);
pub const BYDELSNR: Field = f("BYDELSNR", 7, 2);
pub const FODSELSDATO: Field = f("FODSELSDATO", 9, 8);
pub const PERSON_JOURNALNR: Field = f("PERSON_JOURNALNR", 17, 8);
pub const PERSON_FODSELSNR: Field = f("PERSON_FODSELSNR", 25, 11);

/// 11F.
pub mod f11 {
    use super::{Field, f};
    pub const PERSON_DUF: Field = f("PERSON_DUF", 36, 12);
    pub const KJONN: Field = f("KJONN", 48, 1);
    pub const VKLO: Field = f("VKLO", 53, 1);
    pub const TRYGDESIT: Field = f("TRYGDESIT", 54, 2);
    pub const BIDRAG: Field = f("BIDRAG", 82, 7);
    pub const LAAN: Field = f("LAAN", 89, 7);
    pub const SAKSBEHANDLER: Field = f("SAKSBEHANDLER", 266, 10);
    pub const VILKARSOSLOV: Field = f("VILKARSOSLOV", 277, 1);
    pub const UTBETDATO: Field = f("UTBETDATO", 279, 8);
    pub const UTBETTOMDATO: Field = f("UTBETTOMDATO", 287, 8);

    /// `STMND_m`: holds the month number `01`..`12` when stønad was received in month m.
    pub fn stmnd(m: usize) -> Field {
        const NAMES: [&str; 12] = [
            "STMND_1", "STMND_2", "STMND_3", "STMND_4", "STMND_5", "STMND_6", "STMND_7", "STMND_8",
            "STMND_9", "STMND_10", "STMND_11", "STMND_12",
        ];
        f(NAMES[m - 1], 58 + 2 * (m - 1), 2)
    }

    /// `BIDRAG_<month>` and `LAAN_<month>` of month m (1-based): 7 digits each, alternating.
    pub fn monthly(m: usize) -> (Field, Field) {
        const BIDRAG: [&str; 12] = [
            "BIDRAG_JAN",
            "BIDRAG_FEB",
            "BIDRAG_MARS",
            "BIDRAG_APRIL",
            "BIDRAG_MAI",
            "BIDRAG_JUNI",
            "BIDRAG_JULI",
            "BIDRAG_AUG",
            "BIDRAG_SEPT",
            "BIDRAG_OKT",
            "BIDRAG_NOV",
            "BIDRAG_DES",
        ];
        const LAAN: [&str; 12] = [
            "LAAN_JAN",
            "LAAN_FEB",
            "LAAN_MARS",
            "LAAN_APRIL",
            "LAAN_MAI",
            "LAAN_JUNI",
            "LAAN_JULI",
            "LAAN_AUG",
            "LAAN_SEPT",
            "LAAN_OKT",
            "LAAN_NOV",
            "LAAN_DES",
        ];
        let from = 96 + 14 * (m - 1);
        (f(BIDRAG[m - 1], from, 7), f(LAAN[m - 1], from + 7, 7))
    }

    /// The 12 condition boxes, in order, with the code each holds when ticked.
    pub const VILKAR: [(Field, &str); 12] = [
        (f("VILKARARBEID", 295, 2), "16"),
        (f("VILKARKURS", 297, 2), "17"),
        (f("VILKARUTD", 299, 2), "04"),
        (f("VILKARJOBBLOG", 301, 2), "06"),
        (f("VILKARJOBBTILB", 303, 2), "07"),
        (f("VILKARSAMT", 305, 2), "08"),
        (f("VILKAROKRETT", 307, 2), "10"),
        (f("VILKARLIVSH", 309, 2), "18"),
        (f("VILKARHELSE", 311, 2), "14"),
        (f("VILKARANNET", 313, 2), "15"),
        (f("VILKARDIGPLAN", 315, 2), "19"),
        (f("VILKARNORSKSAMISKOPPL", 317, 2), "20"),
    ];

    /// VKLO: main source of livelihood → the `ytelser` code it means (`3`, `5`: none).
    pub const VKLO_CODES: [(&str, Option<&str>); 9] = [
        ("1", Some("ARBEIDSINNTEKT")),
        ("2", Some("TILTAKSPENGER")),
        ("3", None),
        ("4", Some("STIPEND_LAN")),
        ("5", None),
        ("6", Some("INTRODUKSJONSSTONAD")),
        ("7", Some("ANNEN_INNTEKT")),
        ("8", Some("KVALIFISERINGSSTONAD")),
        ("9", Some("ANNEN_INNTEKT")),
    ];

    /// TRYGDESIT: the benefit of greatest value → the `ytelser` code (`12`: none).
    pub const TRYGDESIT_CODES: [(&str, Option<&str>); 11] = [
        ("01", Some("SYKEPENGER")),
        ("02", Some("DAGPENGER")),
        ("04", Some("UFORETRYGD")),
        ("05", Some("OVERGANGSSTONAD")),
        ("06", Some("OMSTILLINGSSTONAD")),
        ("07", Some("ALDERSPENSJON")),
        ("09", Some("SUPPLERENDE_STONAD")),
        ("10", Some("ANNEN_TRYGD")),
        ("11", Some("AAP")),
        ("12", None),
        ("13", Some("BARNETRYGD")),
    ];
}

/// 11CF.
pub mod cf11 {
    use super::{Field, f};
    pub const KJONN: Field = f("KJONN", 36, 1);
    pub const REG_DATO: Field = f("REG_DATO", 41, 8);
    pub const VEDTAK_DATO: Field = f("VEDTAK_DATO", 49, 8);
    pub const BEGYNT_DATO: Field = f("BEGYNT_DATO", 57, 8);
    pub const STATUS: Field = f("STATUS", 112, 1);
    pub const AVSL_DATO: Field = f("AVSL_DATO", 113, 8);
    pub const AVSL_VIKTIGSTE_INNTEKT: Field = f("AVSL_VIKTIGSTE_INNTEKT", 141, 2);
    pub const SAKSBEHANDLER: Field = f("SAKSBEHANDLER", 143, 10);

    /// The 10 boxes of the situation after ending, in order, with the code each holds.
    pub const AVSL: [(Field, &str); 10] = [
        (f("AVSL_ORDINAERTARB", 121, 2), "01"),
        (f("AVSL_ARBLONNSTILS", 123, 2), "11"),
        (f("AVSL_ARBMARK", 125, 2), "03"),
        (f("AVSL_SKOLE", 127, 2), "04"),
        (f("AVSL_UFORE", 129, 2), "13"),
        (f("AVSL_AAP", 131, 2), "14"),
        (f("AVSL_OK_AVKLAR", 133, 2), "15"),
        (f("AVSL_UTEN_OK_AVKLAR", 135, 2), "16"),
        (f("AVSL_ANNET", 137, 2), "10"),
        (f("AVSL_UKJENT", 139, 2), "17"),
    ];

    /// STATUS codes: `1` in programme, `2` leave, `3`..`7` ended.
    pub const STATUS_CODES: [&str; 7] = ["1", "2", "3", "4", "5", "6", "7"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_tile_the_records_as_ssb_lays_them_out() {
        assert_eq!(f11::stmnd(1).from, 58);
        assert_eq!(f11::stmnd(12).from, 80);
        let (b, l) = f11::monthly(1);
        assert_eq!((b.from, l.from), (96, 103));
        let (b, l) = f11::monthly(12);
        assert_eq!((b.from, l.from + l.size - 1), (250, 263));
        assert_eq!(f11::VILKAR[11].0.from + 1, 318);
        assert_eq!(cf11::AVSL[9].0.from + 1, 140);
        assert_eq!(cf11::SAKSBEHANDLER.from + cf11::SAKSBEHANDLER.size - 1, 152);
        assert_eq!(Kind::of_len(338), Some(Kind::F11));
        assert_eq!(Kind::of_len(152), Some(Kind::Cf11));
        assert_eq!(Kind::of_len(337), None);
    }
}
