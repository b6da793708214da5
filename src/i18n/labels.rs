//! The words for codes: the codes of the data contract (benefits, innsatsgrupper, KVP events,
//! § 20 a conditions) and the categories, statuses and kinds the outputs use. An unknown code
//! is shown as it is ([`Table::word`]).

use super::Table;

/// The benefit codes of `ytelser.ytelse`.
pub const YTELSE: Table = Table(&[
    (
        "AAP",
        "arbeidsavklaringspenger",
        "work assessment allowance (AAP)",
    ),
    ("DAGPENGER", "dagpenger", "unemployment benefit (dagpenger)"),
    ("SYKEPENGER", "sykepenger", "sickness benefit"),
    ("UFORETRYGD", "uføretrygd", "disability benefit"),
    ("OVERGANGSSTONAD", "overgangsstønad", "transitional benefit"),
    (
        "OMSTILLINGSSTONAD",
        "omstillingsstønad",
        "adjustment benefit",
    ),
    ("ALDERSPENSJON", "alderspensjon", "retirement pension"),
    (
        "SUPPLERENDE_STONAD",
        "supplerende stønad",
        "supplementary benefit",
    ),
    (
        "INTRODUKSJONSSTONAD",
        "introduksjonsstønad",
        "introduction benefit",
    ),
    (
        "KVALIFISERINGSSTONAD",
        "kvalifiseringsstønad",
        "qualification benefit",
    ),
    (
        "ANNEN_TRYGD",
        "annen trygdeytelse",
        "other social security benefit",
    ),
    ("ARBEIDSINNTEKT", "arbeidsinntekt", "earned income"),
    (
        "TILTAKSPENGER",
        "tiltakspenger",
        "measure allowance (tiltakspenger)",
    ),
    ("STIPEND_LAN", "stipend/lån", "student grant/loan"),
    ("ANNEN_INNTEKT", "annen inntekt", "other income"),
    ("BARNETRYGD", "barnetrygd", "child benefit"),
    ("BOSTOTTE", "bostøtte", "housing allowance"),
]);

/// The innsatsgruppe codes of `oppfolging.innsatsgruppe`.
pub const INNSATSGRUPPE: Table = Table(&[
    ("STANDARD_INNSATS", "standard innsats", "standard support"),
    (
        "SITUASJONSBESTEMT_INNSATS",
        "situasjonsbestemt innsats",
        "situational support",
    ),
    (
        "SPESIELT_TILPASSET_INNSATS",
        "spesielt tilpasset innsats",
        "specially adapted support",
    ),
    (
        "GRADERT_VARIG_TILPASSET_INNSATS",
        "gradert varig tilpasset innsats",
        "graded permanently adapted support",
    ),
    (
        "VARIG_TILPASSET_INNSATS",
        "varig tilpasset innsats",
        "permanently adapted support",
    ),
]);

/// The KVP event codes of `kvp_hendelser.hendelse`.
pub const HENDELSE: Table = Table(&[
    ("INFORMERT", "informert om KVP", "informed about KVP"),
    ("VURDERT", "vurdert", "assessed"),
    ("SOKNAD", "søknad registrert", "application registered"),
    ("INNVILGET", "innvilget", "granted"),
    ("AVSLATT", "avslått", "refused"),
    ("BEGYNT", "begynt i program", "started the programme"),
    ("PERMISJON", "permisjon", "on leave"),
    ("GJENOPPTATT", "gjenopptatt", "resumed"),
    ("AVSLUTTET", "avsluttet", "ended"),
]);

/// The KOSTRA § 20 a condition codes of `vilkar.vilkar_kode`.
pub const VILKAR: Table = Table(&[
    ("04", "skole", "school"),
    ("06", "arbeidssøker/jobblogg", "job seeking/job log"),
    ("07", "jobbtilbud", "job offer"),
    ("08", "veiledningssamtaler", "guidance meetings"),
    (
        "10",
        "andre økonomiske rettigheter",
        "other economic rights",
    ),
    ("14", "helsetjenester", "health services"),
    ("15", "annet", "other"),
    ("16", "arbeidstrening/-praksis", "work training/practice"),
    ("17", "arbeidsrettede kurs", "work-oriented courses"),
    (
        "18",
        "realisere formue/redusere boutgifter",
        "realise assets/reduce housing costs",
    ),
    ("19", "digital aktivitetsplan", "digital activity plan"),
    (
        "20",
        "norsk-/samiskopplæring",
        "Norwegian/Sami language training",
    ),
]);

/// The report's categories (status, age band, sex, regi, outcome) by code.
pub const KATEGORI: Table = Table(&[
    ("deltakere", "Deltakere", "Participants"),
    ("i_program", "– i program", "– in programme"),
    ("permisjon", "– i permisjon", "– on leave"),
    (
        "under_behandling",
        "Søknad under behandling",
        "Application pending",
    ),
    ("kandidater", "Kandidater", "Candidates"),
    ("ekskludert", "Ekskludert", "Excluded"),
    ("under_20", "Under 20", "Under 20"),
    ("20_24", "20–24", "20–24"),
    ("25_29", "25–29", "25–29"),
    ("30_39", "30–39", "30–39"),
    ("40_49", "40–49", "40–49"),
    ("50_66", "50–66", "50–66"),
    ("67_plus", "67+", "67+"),
    ("mann", "Mann", "Men"),
    ("kvinne", "Kvinne", "Women"),
    ("ukjent", "Ukjent", "Unknown"),
    ("statlig", "Statlig", "State"),
    ("kommunal", "Kommunal", "Municipal"),
    ("annen", "Annen", "Other"),
    ("ingen", "Ingen tiltak", "No measure"),
    ("alle", "Alle avsluttede", "All ended"),
    ("under_18", "Under 18", "Under 18"),
    ("18_24", "18–24", "18–24"),
    ("25_pluss", "25 og over", "25 and over"),
    ("kun_statlig", "Kun statlig regi", "State regi only"),
    ("kun_kommunal", "Kun kommunal regi", "Municipal regi only"),
    (
        "annen_eller_flere",
        "Annen regi eller flere",
        "Other or several regi",
    ),
    ("ordinaert_arbeid", "Ordinært arbeid", "Ordinary work"),
    (
        "arbeid_med_lonnstilskudd",
        "Arbeid med lønnstilskudd",
        "Work with wage subsidy",
    ),
    ("skole_utdanning", "Skole/utdanning", "School/education"),
    ("uforetrygd", "Uføretrygd", "Disability benefit"),
    (
        "aap",
        "Arbeidsavklaringspenger",
        "Work assessment allowance",
    ),
    (
        "okonomisk_stonad",
        "Økonomisk stønad",
        "Economic assistance",
    ),
    ("annet", "Annet/ukjent", "Other/unknown"),
    ("andel", "Andel deltakere", "Participant share"),
]);

/// A person's status, by its code.
pub const STATUS: Table = Table(&[
    ("deltaker", "deltaker", "participant"),
    (
        "under_behandling",
        "under behandling",
        "application pending",
    ),
    ("kandidat", "kandidat", "candidate"),
    ("ekskludert", "ekskludert", "excluded"),
    ("ikke_treff", "ikke treff", "no match"),
]);

/// How a person's outcome changed between two rule sets (`compare`), by its code.
pub const ENDRING: Table = Table(&[
    ("status", "Status endret", "Status changed"),
    ("regler", "Bare regler endret", "Rules changed only"),
    ("forklaring", "Bare ordlyden endret", "Wording changed only"),
]);

/// Where a person stands on the weekly list, by its code.
pub const PA_LISTEN: Table = Table(&[
    ("ny", "ny", "new"),
    ("fortsetter", "fortsetter", "continuing"),
    ("ute", "ute av listen", "left the list"),
]);

/// The weekly list's sections, by the list status they hold.
pub const PA_LISTEN_SEKSJON: Table = Table(&[
    ("ny", "Nye denne uken", "New this week"),
    ("fortsetter", "Fortsatt på listen", "Still on the list"),
    (
        "ute",
        "Ute av listen siden forrige kjøring",
        "Left the list since the previous run",
    ),
]);

/// What became of a row with a data-quality finding, by the finding's severity.
pub const ALVORLIGHET: Table = Table(&[
    (
        "feil",
        "feil (raden er satt til side)",
        "error (the row is set aside)",
    ),
    (
        "advarsel",
        "advarsel (raden er brukt)",
        "warning (the row is used)",
    ),
]);

/// The audit's finding for a flagged person, by its code.
pub const VURDERING: Table = Table(&[
    ("tilbudt_i_tide", "tilbudt i tide", "offered in time"),
    ("tilbudt_for_sent", "tilbudt for sent", "offered late"),
    ("ikke_tilbudt", "ikke tilbudt", "not offered"),
]);

/// The levels of the audit's tables (`revisjon_kontor.csv`, `revisjon_aktivitet.csv`).
pub const REVISJON_NIVA: Table = Table(&[
    ("totalt", "Totalt", "Total"),
    ("nav_kontor", "NAV-kontor", "NAV office"),
    ("aldersgruppe", "Aldersgruppe", "Age band"),
    ("kjonn", "Kjønn", "Gender"),
    ("regel", "Regel", "Rule"),
    (
        "skjermet",
        "Strengt fortrolig adresse (kode 6)",
        "Strictly confidential address (kode 6)",
    ),
    ("alle", "Alle", "All"),
]);

/// The levels of `endringer_kontor.csv` (`compare`).
pub const ENDRING_NIVA: Table = Table(&[
    ("totalt", "Alle kontorer", "All offices"),
    (
        "skjermet",
        "Strengt fortrolig adresse (kode 6), samlet",
        "Strictly confidential address (kode 6), together",
    ),
    ("nav_kontor", "NAV-kontor", "NAV office"),
]);

/// Genders as a group of people (the audit page's rows), by the report's category code.
pub const KJONN_GRUPPE: Table = Table(&[
    ("kvinne", "Kvinner", "Women"),
    ("mann", "Menn", "Men"),
    ("ukjent", "Ukjent", "Unknown"),
]);

/// A rule's outcome for a person, by its code.
pub const UTFALL: Table = Table(&[
    ("treff", "treff", "fired"),
    ("ikke_treff", "ikke treff", "not fired"),
    ("uavklart", "ikke vurdert", "not assessed"),
]);

/// The laws a rule's legal basis names, by their Norwegian short name.
pub const LOV: Table = Table(&[
    (
        "sosialtjenesteloven",
        "sosialtjenesteloven",
        "the Social Services Act",
    ),
    (
        "folketrygdloven",
        "folketrygdloven",
        "the National Insurance Act",
    ),
    (
        "forskrift om kvalifiseringsprogram",
        "forskrift om kvalifiseringsprogram",
        "the Regulations on the Qualification Programme",
    ),
    ("NAV-loven", "NAV-loven", "the NAV Act"),
]);

/// A subsection (ledd) of a section, by its number: an ordinal word in Norwegian.
pub const LEDD: Table = Table(&[
    ("1", "første", "1"),
    ("2", "andre", "2"),
    ("3", "tredje", "3"),
    ("4", "fjerde", "4"),
    ("5", "femte", "5"),
    ("6", "sjette", "6"),
    ("7", "sjuende", "7"),
    ("8", "åttende", "8"),
]);

/// The months, by number.
pub const MANED: Table = Table(&[
    ("1", "januar", "January"),
    ("2", "februar", "February"),
    ("3", "mars", "March"),
    ("4", "april", "April"),
    ("5", "mai", "May"),
    ("6", "juni", "June"),
    ("7", "juli", "July"),
    ("8", "august", "August"),
    ("9", "september", "September"),
    ("10", "oktober", "October"),
    ("11", "november", "November"),
    ("12", "desember", "December"),
]);

/// The word that joins the last item of a list ("a, b og c").
pub const OG: Table = Table(&[("og", " og ", " and ")]);
