//! The input data contract: table and column specifications, codes and their labels.
//!
//! `../shared/spec/data-contract.md` is the binding source; this module is its machine-readable
//! form. Loading and validation live in [`load`], the data-quality findings in [`quality`].

pub mod fnr;
pub mod kostra;
pub mod load;
pub mod names;
pub mod quality;
pub mod rows;
pub mod stonad;
pub mod strs;

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// The logical type of a contract column, as the contract's "Types" paragraph defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// Utf8, LargeUtf8 or Utf8View; read as Utf8.
    Str,
    /// Date32; Date64 and timestamps are accepted and truncated to the date.
    Date,
    /// Any integer type; read as Int64.
    Int,
    /// A list of strings; read as List<Utf8>.
    StrList,
}

impl ColType {
    /// The Arrow type every accepted input type is cast to.
    pub fn canonical(self) -> DataType {
        match self {
            ColType::Str => DataType::Utf8,
            ColType::Date => DataType::Date32,
            ColType::Int => DataType::Int64,
            ColType::StrList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        }
    }

    /// Whether an input column of type `dt` is accepted for this contract type.
    pub fn accepts(self, dt: &DataType) -> bool {
        match self {
            ColType::Str => matches!(
                dt,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ),
            ColType::Date => matches!(
                dt,
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
            ),
            ColType::Int => dt.is_integer(),
            ColType::StrList => match dt {
                DataType::List(f) | DataType::LargeList(f) => ColType::Str.accepts(f.data_type()),
                _ => false,
            },
        }
    }

    /// The contract's name for the type, used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            ColType::Str => "string (Utf8, LargeUtf8 or Utf8View)",
            ColType::Date => "date (Date32, Date64 or Timestamp)",
            ColType::Int => "int (any integer type)",
            ColType::StrList => "list<string>",
        }
    }
}

/// One column of a contract table.
#[derive(Debug)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub ty: ColType,
    pub nullable: bool,
    /// The allowed codes, for code columns; a value outside them is a row error.
    pub codes: Option<&'static [&'static str]>,
}

const fn col(name: &'static str, ty: ColType, nullable: bool) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        nullable,
        codes: None,
    }
}

const fn code(name: &'static str, nullable: bool, codes: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name,
        ty: ColType::Str,
        nullable,
        codes: Some(codes),
    }
}

/// One table of the contract.
#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    pub required: bool,
    pub columns: &'static [ColumnSpec],
    /// The column that dates a row: rows dated after the scan date are ignored.
    pub date_column: Option<&'static str>,
    /// A `fom`/`tom` pair that must not run backwards.
    pub period: Option<(&'static str, &'static str)>,
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&'static ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The schema the loader produces: the contract columns in canonical types, then the
    /// provenance columns `_kilde` (index of the source file) and `_rad` (1-based row number).
    pub fn schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(c.name, c.ty.canonical(), true))
            .collect();
        if self.name == "oppfolgingsvedtak" {
            fields.push(Field::new("innsatsgruppe_kilde", DataType::Utf8, true));
        }
        fields.push(Field::new("_kilde", DataType::Int32, false));
        fields.push(Field::new("_rad", DataType::Int64, false));
        Arc::new(Schema::new(fields))
    }
}

pub const ADRESSEBESKYTTELSE: &[&str] = &["STRENGT_FORTROLIG", "FORTROLIG"];

/// Files `import kostra` writes beside the tables (its provenance): a data directory may hold
/// them, and the loader passes them over without a warning.
pub const IMPORT_FILES: &[&str] = &["import_datakvalitet.csv", "import_manifest.json"];

/// Address protection, the one place that decides who is protected and how strictly.
///
/// Fail closed: any value other than null or the contract's two exact codes (a variant such as
/// `STRENGT_FORTROLIG_UTLAND`, lower case, padding, an empty string) counts as strengt fortrolig,
/// never as unprotected. The loader writes the normalised code back into `personer`, so every
/// later reader sees only null, `FORTROLIG` or `STRENGT_FORTROLIG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Adressebeskyttelse {
    Ingen,
    /// Kode 7: listed, but never with address-revealing fields (kommune, bydel).
    Fortrolig,
    /// Kode 6: only in files whose name starts with `skjermet`.
    StrengtFortrolig,
}

impl Adressebeskyttelse {
    /// The protection a raw `personer.adressebeskyttelse` value means.
    pub fn of(raw: Option<&str>) -> Adressebeskyttelse {
        match raw {
            None => Adressebeskyttelse::Ingen,
            Some("FORTROLIG") => Adressebeskyttelse::Fortrolig,
            Some(_) => Adressebeskyttelse::StrengtFortrolig,
        }
    }

    /// Whether `raw` is one of the contract's values (null or an exact code).
    pub fn is_recognised(raw: Option<&str>) -> bool {
        raw.is_none_or(|v| ADRESSEBESKYTTELSE.contains(&v))
    }

    /// The contract code written to outputs.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Adressebeskyttelse::Ingen => None,
            Adressebeskyttelse::Fortrolig => Some("FORTROLIG"),
            Adressebeskyttelse::StrengtFortrolig => Some("STRENGT_FORTROLIG"),
        }
    }

    /// Kode 6: the person appears only in `skjermet*` files.
    pub fn is_skjermet(raw: Option<&str>) -> bool {
        Self::of(raw) == Adressebeskyttelse::StrengtFortrolig
    }

    /// Kode 7: no address-revealing fields.
    pub fn is_fortrolig(raw: Option<&str>) -> bool {
        Self::of(raw) == Adressebeskyttelse::Fortrolig
    }
}
pub const KJONN: &[&str] = &["1", "2"];
pub const STONADSTYPE: &[&str] = &["BIDRAG", "LAAN"];
pub const UTBETALINGSSTATUS: &[&str] = &["UTBETALT", "PLANLAGT_UTBETALING", "STOPPET", "ANNULLERT"];
/// The payment status a payment without one has (data-contract.md): paid out.
pub const UTBETALT: &str = "UTBETALT";

/// Livelihood benefits (ytelser til livsopphold).
pub const LIVSOPPHOLDSYTELSER: &[&str] = &[
    "AAP",
    "DAGPENGER",
    "SYKEPENGER",
    "UFORETRYGD",
    "OVERGANGSSTONAD",
    "OMSTILLINGSSTONAD",
    "ALDERSPENSJON",
    "SUPPLERENDE_STONAD",
    "INTRODUKSJONSSTONAD",
    "KVALIFISERINGSSTONAD",
    "ANNEN_TRYGD",
];
pub const YTELSER: &[&str] = &[
    "AAP",
    "DAGPENGER",
    "SYKEPENGER",
    "UFORETRYGD",
    "OVERGANGSSTONAD",
    "OMSTILLINGSSTONAD",
    "ALDERSPENSJON",
    "SUPPLERENDE_STONAD",
    "INTRODUKSJONSSTONAD",
    "KVALIFISERINGSSTONAD",
    "ANNEN_TRYGD",
    "ARBEIDSINNTEKT",
    "TILTAKSPENGER",
    "STIPEND_LAN",
    "ANNEN_INNTEKT",
    "BARNETRYGD",
    "BOSTOTTE",
];
pub const INNSATSGRUPPER: &[&str] = &[
    "STANDARD_INNSATS",
    "SITUASJONSBESTEMT_INNSATS",
    "SPESIELT_TILPASSET_INNSATS",
    "GRADERT_VARIG_TILPASSET_INNSATS",
    "VARIG_TILPASSET_INNSATS",
    "IKVAL",
    "BFORM",
    "BATT",
    "VARIG",
    "GODE_MULIGHETER",
    "TRENGER_VEILEDNING",
    "TRENGER_VEILEDNING_NEDSATT_ARBEIDSEVNE",
    "JOBBE_DELVIS",
    "LITEN_MULIGHET_TIL_A_JOBBE",
];
pub const HOVEDMAL: &[&str] = &["SKAFFE_ARBEID", "BEHOLDE_ARBEID", "OKE_DELTAKELSE"];
pub const HJEMMEL: &[&str] = &["20", "20a"];
pub const VILKAR_KODER: &[&str] = &[
    "04", "06", "07", "08", "10", "14", "15", "16", "17", "18", "19", "20",
];
pub const VILKAR_STATUS: &[&str] = &["RELEVANT", "ANNULLERT"];
pub const HENDELSER: &[&str] = &[
    "INFORMERT",
    "VURDERT",
    "SOKNAD",
    "INNVILGET",
    "AVSLATT",
    "BEGYNT",
    "PERMISJON",
    "GJENOPPTATT",
    "AVSLUTTET",
];
pub const KVP_STATUS_KODER: &[&str] = &["3", "4", "5", "6", "7"];
pub const AVSLUTNING_SITUASJON: &[&str] =
    &["01", "11", "03", "04", "13", "14", "15", "16", "10", "17"];
pub const REGI: &[&str] = &["STATLIG", "KOMMUNAL", "ANNEN"];

use ColType::*;

pub const PERSONER: TableSpec = TableSpec {
    name: "personer",
    required: true,
    columns: &[
        col("person_id", Str, false),
        col("fodselsdato", Date, false),
        code("kjonn", true, KJONN),
        col("kommune_nr", Str, false),
        col("bydel_nr", Str, true),
        col("nav_kontor", Str, false),
        col("veileder", Str, true),
        // not a code column: an unrecognised value is a warning and counts as kode 6
        // (see [`Adressebeskyttelse`]), never a reason to set the person aside
        col("adressebeskyttelse", Str, true),
    ],
    date_column: None,
    period: None,
};

pub const OKONOMISK_STONAD: TableSpec = TableSpec {
    name: "okonomisk_stonad",
    required: true,
    columns: &[
        col("person_id", Str, false),
        col("utbetalingsdato", Date, false),
        col("fom", Date, true),
        col("tom", Date, true),
        col("belop", Int, false),
        code("stonadstype", false, STONADSTYPE),
        code("status", true, UTBETALINGSSTATUS),
    ],
    date_column: Some("utbetalingsdato"),
    period: Some(("fom", "tom")),
};

pub const YTELSER_TABLE: TableSpec = TableSpec {
    name: "ytelser",
    required: false,
    columns: &[
        col("person_id", Str, false),
        code("ytelse", false, YTELSER),
        col("fom", Date, false),
        col("tom", Date, true),
    ],
    date_column: Some("fom"),
    period: Some(("fom", "tom")),
};

pub const OPPFOLGINGSVEDTAK: TableSpec = TableSpec {
    name: "oppfolgingsvedtak",
    required: false,
    columns: &[
        col("person_id", Str, false),
        col("vedtak_dato", Date, false),
        code("innsatsgruppe", false, INNSATSGRUPPER),
        code("hovedmal", true, HOVEDMAL),
    ],
    date_column: Some("vedtak_dato"),
    period: None,
};

pub const VILKAR: TableSpec = TableSpec {
    name: "vilkar",
    required: false,
    columns: &[
        col("person_id", Str, false),
        code("hjemmel", false, HJEMMEL),
        code("vilkar_kode", true, VILKAR_KODER),
        col("fom", Date, false),
        col("tom", Date, true),
        code("status", true, VILKAR_STATUS),
    ],
    date_column: Some("fom"),
    period: Some(("fom", "tom")),
};

pub const KVP_HENDELSER: TableSpec = TableSpec {
    name: "kvp_hendelser",
    required: false,
    columns: &[
        col("person_id", Str, false),
        col("dato", Date, false),
        code("hendelse", false, HENDELSER),
        code("status_kode", true, KVP_STATUS_KODER),
        ColumnSpec {
            name: "avslutning_situasjon",
            ty: StrList,
            nullable: true,
            codes: Some(AVSLUTNING_SITUASJON),
        },
        code("viktigste_inntekt", true, AVSLUTNING_SITUASJON),
    ],
    date_column: Some("dato"),
    period: None,
};

pub const KVP_TILTAK: TableSpec = TableSpec {
    name: "kvp_tiltak",
    required: false,
    columns: &[
        col("person_id", Str, false),
        col("fom", Date, false),
        col("tom", Date, true),
        code("regi", false, REGI),
    ],
    date_column: Some("fom"),
    period: Some(("fom", "tom")),
};

/// Every table of the contract, `personer` first (the others are checked against it).
pub const TABLES: &[&TableSpec] = &[
    &PERSONER,
    &OKONOMISK_STONAD,
    &YTELSER_TABLE,
    &OPPFOLGINGSVEDTAK,
    &VILKAR,
    &KVP_HENDELSER,
    &KVP_TILTAK,
];

pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().copied().find(|t| t.name == name)
}

/// Maps an accepted innsatsgruppe code (current, Arena or NAV's newer names) to the current one.
pub fn normalise_innsatsgruppe(code: &str) -> &'static str {
    match code {
        "STANDARD_INNSATS" | "IKVAL" | "GODE_MULIGHETER" => "STANDARD_INNSATS",
        "SITUASJONSBESTEMT_INNSATS" | "BFORM" | "TRENGER_VEILEDNING" => "SITUASJONSBESTEMT_INNSATS",
        "SPESIELT_TILPASSET_INNSATS" | "BATT" | "TRENGER_VEILEDNING_NEDSATT_ARBEIDSEVNE" => {
            "SPESIELT_TILPASSET_INNSATS"
        }
        "GRADERT_VARIG_TILPASSET_INNSATS" | "JOBBE_DELVIS" => "GRADERT_VARIG_TILPASSET_INNSATS",
        _ => "VARIG_TILPASSET_INNSATS",
    }
}

pub use crate::i18n::Lang;

/// A readable name for a code of the contract, in the given language. Unknown codes are
/// returned as they are.
pub fn label(kind: &str, code: &str, lang: Lang) -> String {
    use crate::i18n::labels;
    let table = match kind {
        "ytelse" => &labels::YTELSE,
        "innsatsgruppe" => &labels::INNSATSGRUPPE,
        "hendelse" => &labels::HENDELSE,
        "vilkar" => &labels::VILKAR,
        _ => return code.to_string(),
    };
    table.word(code, lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_innsatsgruppe_code_normalises_to_a_current_one() {
        for code in INNSATSGRUPPER {
            let n = normalise_innsatsgruppe(code);
            assert!(INNSATSGRUPPER[..5].contains(&n), "{code} -> {n}");
        }
        assert_eq!(
            normalise_innsatsgruppe("BATT"),
            "SPESIELT_TILPASSET_INNSATS"
        );
        assert_eq!(normalise_innsatsgruppe("IKVAL"), "STANDARD_INNSATS");
        assert_eq!(
            normalise_innsatsgruppe("LITEN_MULIGHET_TIL_A_JOBBE"),
            "VARIG_TILPASSET_INNSATS"
        );
    }

    #[test]
    fn accepted_types_follow_the_contract() {
        use datafusion::arrow::datatypes::TimeUnit;
        assert!(ColType::Str.accepts(&DataType::LargeUtf8));
        assert!(ColType::Str.accepts(&DataType::Utf8View));
        assert!(!ColType::Str.accepts(&DataType::Int64));
        assert!(ColType::Date.accepts(&DataType::Date64));
        assert!(ColType::Date.accepts(&DataType::Timestamp(TimeUnit::Microsecond, None)));
        assert!(!ColType::Date.accepts(&DataType::Utf8));
        assert!(ColType::Int.accepts(&DataType::UInt16));
        assert!(!ColType::Int.accepts(&DataType::Float64));
    }

    #[test]
    fn every_ytelse_has_a_label_in_both_languages() {
        for y in YTELSER {
            assert_ne!(label("ytelse", y, Lang::Nb), *y);
            assert_ne!(label("ytelse", y, Lang::En), *y);
        }
    }
}
