//! The labels and sentences of the pages (HTML, print, workbooks): one table per page, read
//! by its template by key (`t.tittel`), and the sentences pages build with values.

use super::Table;

/// The weekly caseworker list (HTML page and print).
pub const UKELISTE: Table = Table(&[
    ("lang", "nb", "en"),
    ("tittel", "KVP-kandidater", "KVP candidates"),
    ("kontor", "NAV-kontor", "NAV office"),
    ("veileder", "Veileder", "Caseworker"),
    ("dato", "Skanningsdato", "Scan date"),
    ("kjoring", "Kjøring", "Run"),
    (
        "sammenlignet",
        "sammenlignet med kjøringen",
        "compared with the run of",
    ),
    (
        "forste_kjoring",
        "første registrerte kjøring: alle kandidater er nye",
        "first recorded run: every candidate is new",
    ),
    ("nye", "Nye", "New"),
    ("fortsetter", "Fortsetter", "Continuing"),
    ("ute", "Ute av listen", "Left the list"),
    (
        "ikke_vedtak",
        "Listen viser hvem som sannsynligvis fyller vilkårene for kvalifiseringsprogrammet (sosialtjenesteloven § 29), med begrunnelse. Den er ikke et vedtak: snakk med personen og gjør en konkret vurdering.",
        "The list shows who probably meets the conditions for the qualification programme (Social Services Act § 29), with the reasons. It is not a decision: talk to the person and make a concrete assessment.",
    ),
    ("fortrolig", "fortrolig adresse", "confidential address"),
    ("alder", "Alder", "Age"),
    ("kommune", "Kommune", "Municipality"),
    ("forste_gang", "Første gang kandidat", "First a candidate"),
    ("uker", "Uker på listen", "Weeks on the list"),
    (
        "maneder",
        "Måneder med stønad siste 12",
        "Months with assistance, last 12",
    ),
    ("sist", "sist", "last"),
    ("innsatsgruppe", "Innsatsgruppe", "Innsatsgruppe"),
    ("treff", "Regler med treff", "Rules that apply"),
    ("grunn", "Grunn", "Reason"),
    (
        "endringer",
        "Endret siden forrige kjøring",
        "Changed since the previous run",
    ),
    ("begrunnelse", "Begrunnelse", "Explanation"),
    ("ingen", "Ingen.", "None."),
    ("arbeidsliste", "Arbeidsliste", "Worklist"),
    (
        "na",
        "Kan vurderes for KVP nå",
        "Can be assessed for KVP now",
    ),
    ("forst", "Må avklares først", "To be settled first"),
    (
        "rekkefolge",
        "Rekkefølge: regelens prioritet (satt i regelfilene; informert uten vurdering først), så flest uker på listen, så flest regler. Detaljene for hver person følger under.",
        "Order: the rule's priority (set in the rule files; informed but not assessed first), then most weeks on the list, then most rules. The details of each person follow below.",
    ),
    ("nr", "Nr.", "No."),
    ("person", "Person", "Person"),
    ("avgjorende", "Det avgjørende", "What decides it"),
    ("neste", "Neste steg", "Next step"),
    ("ny_uke", "Ny denne uken", "New this week"),
    ("regelsett", "regelsett", "rule set"),
    (
        "fotnote",
        "Inneholder personopplysninger: skal ikke deles utenfor tjenesten.",
        "Contains personal data: not to be shared outside the service.",
    ),
]);

/// The office page of the availability report.
pub const RAPPORT_KONTOR: Table = Table(&[
    ("lang", "nb", "en"),
    ("tittel", "KVP ved NAV-kontor", "KVP at NAV office"),
    ("dato", "Skanningsdato", "Scan date"),
    ("fylke", "Fylke", "County"),
    ("kontoret", "Kontoret", "The office"),
    ("kontoret_andel", "Kontoret, andel", "The office, share"),
    ("fylket", "Fylket", "The county"),
    ("fylket_andel", "Fylket, andel", "The county, share"),
    ("landet", "Landet", "Nationwide"),
    ("landet_andel", "Landet, andel", "Nationwide, share"),
    ("median", "Median for kontorene", "Median of the offices"),
    ("status", "Status", "Status"),
    ("andel", "Andel deltakere", "Participant share"),
    ("deltakere", "Deltakere", "Participants"),
    ("kandidater", "Kandidater", "Candidates"),
    ("maned", "Månedsskifte", "Month-end"),
    (
        "trend",
        "Utvikling ved hvert månedsskifte",
        "At each month-end",
    ),
    (
        "intern",
        "Intern side: kontorets egne tall vises uten skjuling. Siden er for kontorets ledelse og skal ikke deles; tall for fylket og landet er skjult som i den delte rapporten.",
        "Internal page: the office's own counts are shown without suppression. The page is for the office's management and must not be shared; county and national figures are hidden as in the shared report.",
    ),
    (
        "delt",
        "Delt side: små tall er skjult som i den nasjonale rapporten.",
        "Shared page: small counts are hidden as in the national report.",
    ),
    (
        "skjult",
        "Tall som er skjult: «<5» betyr 1–4 personer, «:» er skjult fordi en sum ellers ville avslørt et lite antall. Små tall skjules når tall deles, så ingen enkeltperson kan kjennes igjen. Kontorets ledelse kan se egne tall med «report --kontor ID --intern».",
        "Hidden figures: \"<5\" means 1–4 persons, \":\" is hidden because a sum would otherwise reveal a small count. Small counts are hidden when figures are shared, so no one can be recognised. The office's management can see its own counts with \"report --kontor ID --intern\".",
    ),
    (
        "andel_forklaring",
        "Andel deltakere = deltakere / (deltakere + kandidater). «–»: ingen å regne andel av.",
        "Participant share = participants / (participants + candidates). \"–\": nothing to take a share of.",
    ),
    (
        "fotnote",
        "Laget med kvp-scan fra regelsett",
        "Made with kvp-scan from rule set",
    ),
]);

/// The availability report's national page and its charts.
pub const RAPPORT: Table = Table(&[
    ("lang", "nb", "en"),
    (
        "tittel",
        "Tilgang til kvalifiseringsprogrammet",
        "Access to the qualification programme",
    ),
    ("dato", "Skanningsdato", "Scan date"),
    (
        "ingress",
        "Deltakere, søknader under behandling og personer som sannsynligvis fyller vilkårene for KVP (kandidater), per NAV-kontor og kommune. Andel deltakere = deltakere / (deltakere + kandidater).",
        "Participants, pending applications and people who probably meet the conditions for KVP (candidates), per NAV office and municipality. Participant share = participants / (participants + candidates).",
    ),
    (
        "skjuling",
        "Antall 1–4 vises som «<5»; «:» er skjult fordi en sum ellers ville avslørt et lite antall. Rapporten inneholder ingen person-ID-er.",
        "Counts of 1–4 are shown as \"<5\"; \":\" is hidden because a sum would otherwise reveal a small count. The report holds no person ids.",
    ),
    (
        "andel_kontor",
        "Andel deltakere per NAV-kontor",
        "Participant share per NAV office",
    ),
    (
        "trend",
        "Utvikling siste 12 måneder (totalt, ved hvert månedsskifte)",
        "The last 12 months (total, at each month-end)",
    ),
    (
        "alder",
        "Kandidater og deltakere etter alder (totalt)",
        "Candidates and participants by age (total)",
    ),
    ("kontor", "Per NAV-kontor", "Per NAV office"),
    ("kommune", "Per kommune", "Per municipality"),
    (
        "fylke",
        "Per fylke (kommunenummerets to første sifre)",
        "Per county (the first two digits of the municipality number)",
    ),
    ("median", "median for kontorene", "median of the offices"),
    (
        "andel_sortert",
        "Kontorene er sortert med høyeste andel først; den stiplede linjen er medianen for kontorene med kjent andel.",
        "Offices are sorted with the highest share first; the dashed line is the median of the offices whose share is known.",
    ),
    (
        "totalt",
        "Totalt (uten personer med strengt fortrolig adresse)",
        "Total (without persons with strictly confidential address)",
    ),
    (
        "skjermet",
        "Strengt fortrolig adresse (kode 6), hele landet: telles bare her",
        "Strictly confidential address (kode 6), nationwide: counted only here",
    ),
    ("kjonn", "Etter kjønn (totalt)", "By gender (total)"),
    (
        "regel",
        "Etter kandidatregel (totalt; en person kan treffe flere regler)",
        "By candidate rule (total; a person can match several rules)",
    ),
    (
        "grunn",
        "Ekskludert etter grunn (totalt; en person kan ha flere grunner)",
        "Excluded by reason (total; a person can have several reasons)",
    ),
    (
        "regi",
        "Deltakere etter tiltakenes regi (totalt; en deltaker kan ha tiltak i flere regier)",
        "Participants by the regi of their measures (total; a participant can have several)",
    ),
    (
        "regi_ukjent",
        "kvp_tiltak mangler i uttrekket: regi er ukjent.",
        "kvp_tiltak is missing from the export: regi is unknown.",
    ),
    (
        "avsluttet",
        "Avsluttede program siste 12 måneder etter situasjon ved avslutning (totalt; flere situasjoner kan gjelde)",
        "Programmes ended in the last 12 months by situation at the end (total; several can apply)",
    ),
    (
        "tiltak",
        "Deltakere etter tiltakenes regi, hver deltaker én gang (totalt)",
        "Participants by the regi of their measures, each once (total)",
    ),
    (
        "aldersgruppe",
        "Deltakere 18–24 og 25 år og over (totalt)",
        "Participants 18–24 and 25 and over (total)",
    ),
    ("alle_avsluttet", "Alle avsluttede", "All ended"),
    (
        "planmessig",
        "Planmessig (status 3)",
        "As planned (status 3)",
    ),
    (
        "avbrudd",
        "Avbrutt (status 4, 5, 7)",
        "Interrupted (status 4, 5, 7)",
    ),
    (
        "skjult_her",
        "Skjulte tall i tabellen: «<5» er 1–4 personer; «:» er skjult fordi en sum ellers ville avslørt et lite antall. Små tall skjules så ingen enkeltperson kan kjennes igjen når rapporten deles.",
        "Hidden figures in the table: \"<5\" is 1–4 persons; \":\" is hidden because a sum would otherwise reveal a small count. Small counts are hidden so that no one can be recognised when the report is shared.",
    ),
    ("kandidater", "Kandidater", "Candidates"),
    ("deltakere", "Deltakere", "Participants"),
    ("andel", "Andel deltakere", "Participant share"),
    ("antall", "Antall", "Count"),
    (
        "fotnote",
        "Laget med kvp-scan fra regelsett",
        "Made with kvp-scan from rule set",
    ),
]);

/// The rule owner's page of `compare` (`endringer.html`). Written HTML-ready: the template
/// shows them as they are (`|safe`, or `|fill` with its values escaped).
pub const ENDRINGER: Table = Table(&[
    ("lang", "nb", "en"),
    ("tittel", "Hva endringen gjør", "What the change does"),
    (
        "overskrift",
        "Hva regelendringen gjør",
        "What the rule change does",
    ),
    (
        "grunnlag",
        "Samme data per {}, vurdert med regelsett A ({}) og B ({})",
        "The same data as of {}, assessed under rule set A ({}) and B ({})",
    ),
    ("satt", ", B med {}", ", B with {}"),
    (
        "lesing",
        ". {} personer får annen status, andre regler eller annen begrunnelse. Antall 1–4 per kontor vises som «&lt;5», «:» er skjult fordi en sum ellers ville avslørt et lite antall. Personer med strengt fortrolig adresse er ikke med her.",
        ". {} persons get another status, other rules or another explanation. Counts of 1–4 per office are shown as \"&lt;5\", \":\" is hidden because a sum would reveal a small count. Persons with a strictly confidential address are not shown here.",
    ),
    (
        "overganger",
        "Overganger mellom statuser",
        "Status transitions",
    ),
    (
        "overganger_forklart",
        "Rader: status med A. Kolonner: status med B.",
        "Rows: status under A. Columns: status under B.",
    ),
    (
        "kontorer",
        "Kontorene som berøres mest",
        "The offices most affected",
    ),
    (
        "kontorer_forklart",
        "Personer med endret status, regler eller begrunnelse (hele tabellen: endringer_kontor.csv)",
        "Persons whose status, rules or explanation changed (all offices: endringer_kontor.csv)",
    ),
    ("personer", "Personer", "Persons"),
    ("ingen", "Ingen.", "None."),
    ("eksempler", "Eksempler", "Examples"),
    ("lagt_til", "lagt til", "added"),
    ("falt_bort", "falt bort", "dropped"),
    ("ingen_endringer", "Ingen endringer.", "No changes."),
    (
        "fotnote",
        "per person: endringer.csv (status og regler), endringer.parquet (også de {} som bare fikk en begrunnelse med annen ordlyd); per kontor: endringer_kontor.csv",
        "per person: endringer.csv (status and rules), endringer.parquet (also the {} whose explanation only changed wording); per office: endringer_kontor.csv",
    ),
]);
super::keyed! {
    /// A sentence of a page or a workbook, with values (`{}`, filled in order).
    pub enum Page {
        EndringFlere => (
            "Med regelsett B blir det {} flere kandidater ({} → {}).",
            "Rule set B gives {} more candidates ({} → {}).",
        ),
        EndringFaerre => (
            "Med regelsett B blir det {} færre kandidater ({} → {}).",
            "Rule set B gives {} fewer candidates ({} → {}).",
        ),
        EndringLike => (
            "Regelsett B gir like mange kandidater som A ({}).",
            "Rule set B gives as many candidates as A ({}).",
        ),
        Hjemmel => ("{} § {}", "{} section {}"),
        HjemmelLedd => ("{} § {} {} ledd", "{} section {} subsection {}"),
    }
}

/// The supervisor's page of `audit` (`revisjon.html`), HTML-ready as [`ENDRINGER`].
pub const REVISJON: Table = Table(&[
    ("lang", "nb", "en"),
    ("tittel", "Tilsyn: tilbud om KVP", "Audit: KVP offers"),
    (
        "overskrift",
        "Tilsyn: fikk de som fylte vilkårene tilbud om KVP?",
        "Audit: were those who met the criteria offered KVP?",
    ),
    (
        "metode",
        "Reglene er kjørt på nytt for hver mandag fra {} til {} (dataene slik de var da, parameterne som gjaldt da). For hver person som var kandidat minst én gang: første KVP-hendelse (informert, vurdert, søknad, innvilget, avslått, begynt) på eller etter første dato som kandidat. Tilbudt i tide = innen {} dager. Antall 1–4 vises som «&lt;5», «:» er skjult fordi en sum ellers ville avslørt et lite antall; andeler vises bare når antallene vises; median vises bare for minst 5 personer. Stolpen viser andelen tilbudt i tide (grønn) og for sent (oransje).",
        "The rules were replayed for every Monday from {} to {} (the data as it stood then, the parameters in force then). For every person who was a candidate at least once: the first KVP event (informed, assessed, application, granted, refused, started) on or after the first date as a candidate. Offered in time = within {} days. Counts of 1–4 are shown as \"&lt;5\", \":\" is hidden because a sum would reveal a small count; shares are shown only where the counts are; a median is shown for 5 persons or more. The bar shows the share offered in time (green) and late (orange).",
    ),
    (
        "tabell_forklart",
        "Flagget, tilbudt i tide, for sent, aldri, median dager til tilbud, andeler",
        "Flagged, offered in time, late, never, median days to an offer, shares",
    ),
    ("flagget", "Flagget", "Flagged"),
    ("i_tide", "I tide", "In time"),
    ("for_sent", "For sent", "Late"),
    ("aldri", "Aldri", "Never"),
    ("median", "Median dager", "Median days"),
    ("i_tide_pst", "I tide %", "In time %"),
    ("aldri_pst", "Aldri %", "Never %"),
    (
        "aktivitet",
        "Unge under 30 med vilkår om aktivitet (§ 20 a): hva skjedde etterpå?",
        "Under-30s with an activity condition (§ 20 a): what followed?",
    ),
    (
        "vilkar_mangler",
        "vilkar mangler i uttrekket: hvem som hadde vilkår om aktivitet er ukjent.",
        "vilkar is missing from the export: who had an activity condition is unknown.",
    ),
    (
        "aktivitet_metode",
        "Alle med vilkår om aktivitet etter § 20 a som gjaldt en dag i perioden. Etter første dag med vilkåret og til {}: arbeidsinntekt eller stipend/lån (utdanning) som begynte, ingen utbetalt økonomisk stønad de siste tre månedene, KVP begynt eller avsluttet (og om det var til arbeid eller utdanning). En person kan telle i flere kolonner. Antall 1–4 vises som «&lt;5», «:» er skjult fordi en sum ellers ville avslørt et lite antall.",
        "Everyone with a § 20 a activity condition in force some day of the period. After the condition's first day and up to {}: earned income or a student grant/loan (education) that began, no economic assistance paid in the last three months, KVP started or ended (and whether to work or education). A person can count in several columns. Counts of 1–4 are shown as \"&lt;5\", \":\" is hidden because a sum would reveal a small count.",
    ),
    (
        "ytelser_mangler",
        " ytelser mangler i uttrekket: arbeidsinntekt og stipend/lån er ukjent (0).",
        " ytelser is missing from the export: earned income and student grants are unknown (0).",
    ),
    (
        "hendelser_mangler",
        " kvp_hendelser mangler i uttrekket: KVP er ukjent (0).",
        " kvp_hendelser is missing from the export: KVP is unknown (0).",
    ),
    (
        "aktivitet_forklart",
        "Vilkår om aktivitet for unge under 30 og hva som fulgte, per NAV-kontor",
        "Activity conditions for under-30s and what followed, per NAV office",
    ),
    (
        "fotnote",
        "per person: revisjon.csv; alle tall: revisjon_kontor.csv, revisjon_aktivitet.csv; kontroll: kvp-scan audit verify",
        "per person: revisjon.csv; all figures: revisjon_kontor.csv, revisjon_aktivitet.csv; check: kvp-scan audit verify",
    ),
    ("totalt", "Totalt", "Total"),
    (
        "per_kontor",
        "Per NAV-kontor (lavest andel tilbudt i tide først)",
        "Per NAV office (lowest share offered in time first)",
    ),
    (
        "per_alder",
        "Per aldersgruppe (alder da personen først ble flagget)",
        "Per age band (age when first flagged)",
    ),
    ("per_kjonn", "Per kjønn", "Per gender"),
    (
        "per_regel",
        "Per kandidatregel (en person kan telle under flere)",
        "Per candidate rule (a person can count under several)",
    ),
    ("ark", "Revisjon", "Audit"),
]);

super::keyed! {
    /// The first sentence of the audit page, in its parts.
    pub enum Revisjon {
        Tilbudt => (
            "{} av {} som ble flagget ({} %) fikk tilbud om KVP innen {} dager; {} % fikk det aldri.",
            "{} of {} persons flagged ({} %) were offered KVP within {} days; {} % never were.",
        ),
        IngenFlagget => ("Ingen ble flagget i perioden.", "Nobody was flagged in the period."),
        ForSma => (
            "Antallene er for små til å vises uten å avsløre enkeltpersoner.",
            "The counts are too small to show without revealing individuals.",
        ),
        ForstInformert => (
            "{} Av de {} som fikk tilbud, ble {} ({} %) først bare informert; {} ble vurdert, søkte, fikk vedtak eller begynte.",
            "{} Of the {} offered, {} ({} %) were at first only informed; {} were assessed, applied, got a decision or started.",
        ),
    }
}

/// The text report of `explain` (labels by key).
pub const FORKLARING: Table = Table(&[
    ("skanningsdato", "skanningsdato", "scan date"),
    ("alder", "alder", "age"),
    ("i_veien", "Hva som står i veien", "What stands in the way"),
    (
        "ikke_vedtak",
        "Dette er støtte til veileders egen vurdering, ikke et vedtak.",
        "This supports the caseworker's own assessment; it is not a decision.",
    ),
    ("kandidat", "Kandidatregler", "Candidate rules"),
    ("eksklusjon", "Eksklusjoner", "Exclusions"),
    ("hint", "Hint", "Hints"),
    ("treff", "[treff]      ", "[fired]      "),
    ("uavklart", "[ikke vurdert]", "[not assessed]"),
    ("ikke_treff", "[ikke treff] ", "[not fired]  "),
    ("parametre", "parametre", "parameters"),
    ("fakta", "Fakta", "Facts"),
    (
        "maneder",
        "Måneder med stønad siste 12",
        "Months with assistance, last 12",
    ),
    (
        "utbetalinger",
        "Utbetalinger siste 12 måneder",
        "Payments, last 12 months",
    ),
    (
        "innsatsgruppe",
        "Innsatsgruppe i kraft",
        "Support category in force",
    ),
    ("ytelser", "Aktive ytelser", "Active benefits"),
    ("vilkar", "Aktive vilkår", "Active conditions"),
    ("hendelser", "KVP-hendelser", "KVP events"),
    (
        "mangler",
        "Mangler i uttrekket (ukjent, ikke usant)",
        "Missing from the export (unknown, not false)",
    ),
]);

super::keyed! {
    /// The sentences of an explanation that the engine and `explain` write themselves (the
    /// rest comes from the rule files).
    pub enum Forklaring {
        IkkeVurdert => (
            "«{}» er ikke vurdert: {} mangler i uttrekket, så det er ukjent om regelen slår til.",
            "\"{}\" was not assessed: {} is missing from the export, so whether it applies is unknown.",
        ),
        KunEkskludertAv => ("Ekskludert kun av «{}»: {}", "Excluded only by \"{}\": {}"),
        NaerTreff => (
            "«{}» ville slått til om også dette var oppfylt: {}",
            "\"{}\" would apply if this also held: {}",
        ),
        SjekkSelv => (
            "«{}» er ikke vurdert fordi data mangler; sjekk dette selv.",
            "\"{}\" was not assessed because data is missing; check it yourself.",
        ),
    }
}

/// The levels of the availability report (`rapport.json`, `rapport.csv`); anything else is the kode-6 level.
pub const RAPPORT_NIVA: Table = Table(&[
    ("totalt", "Hele landet", "Whole country"),
    ("fylke", "Fylke", "County"),
    ("nav_kontor", "NAV-kontor", "NAV office"),
    ("kommune", "Kommune", "Municipality"),
    (
        "skjermet",
        "Strengt fortrolig adresse (kode 6), samlet",
        "Strictly confidential address (kode 6), together",
    ),
]);

/// The availability report's tables, by id (the last, `avsluttet_siste_12_mnd`, for any other).
pub const RAPPORT_TABELL: Table = Table(&[
    ("status", "Status", "Status"),
    (
        "alder_deltakere",
        "Deltakere etter alder",
        "Participants by age",
    ),
    (
        "kjonn_deltakere",
        "Deltakere etter kjønn",
        "Participants by gender",
    ),
    (
        "regel_deltakere",
        "Deltakere etter regel de ville truffet (en person kan treffe flere)",
        "Participants by the rule they would match (a person can match several)",
    ),
    (
        "regi_deltakere",
        "Deltakere etter tiltakenes regi (en deltaker kan ha flere)",
        "Participants by the regi of their measures (a participant can have several)",
    ),
    (
        "deltakere_aldersgruppe",
        "Deltakere etter alder (seed 004: 18–24 og 25+)",
        "Participants by age (18–24 and 25+)",
    ),
    (
        "deltakere_tiltak",
        "Deltakere etter tiltakenes regi (hver deltaker én gang)",
        "Participants by the regi of their measures (each participant once)",
    ),
    (
        "alder_kandidater",
        "Kandidater etter alder",
        "Candidates by age",
    ),
    (
        "kjonn_kandidater",
        "Kandidater etter kjønn",
        "Candidates by gender",
    ),
    (
        "regel_kandidater",
        "Kandidater etter regel (en person kan treffe flere)",
        "Candidates by rule (a person can match several)",
    ),
    (
        "ekskludert_grunn",
        "Ekskludert etter grunn (en person kan ha flere)",
        "Excluded by reason (a person can have several)",
    ),
    (
        "avsluttet_planmessig",
        "Planmessig avsluttet siste 12 måneder (status 3), etter situasjon etterpå",
        "Completed as planned in the last 12 months (status 3), by situation after",
    ),
    (
        "avsluttet_avbrudd",
        "Avbrutt siste 12 måneder (status 4, 5, 7), etter situasjon etterpå",
        "Interrupted in the last 12 months (status 4, 5, 7), by situation after",
    ),
    (
        "avsluttet_siste_12_mnd",
        "Alle avsluttede siste 12 måneder, etter situasjon etterpå (flere kan gjelde)",
        "All ended in the last 12 months, by situation after (several can apply)",
    ),
]);

/// The availability report's words outside its page tables.
pub const RAPPORT_ORD: Table = Table(&[
    ("alle", "Alle", "All"),
    ("totalt", "Totalt", "Total"),
    ("skjermet", "Skjermet (kode 6)", "Protected (kode 6)"),
    ("andel_tabell", "Andel deltakere", "Participant share"),
    (
        "andel_kategori",
        "Deltakere av deltakere og kandidater",
        "Participants of participants and candidates",
    ),
]);

super::keyed! {
    /// The sentences of the availability report's office page.
    pub enum Rapport {
        Overskrift => (
            "NAV-kontor {} har {} deltakere i KVP og {} kandidater som trolig fyller vilkårene: andel deltakere {} (fylket {}, landet {}).",
            "NAV office {} has {} KVP participants and {} candidates who probably meet the conditions: participant share {} (county {}, nationwide {}).",
        ),
        KommunerUtenDeltakere => (
            "Kommuner uten deltakere: {} av {} i fylket, {} av {} i landet.",
            "Municipalities without participants: {} of {} in the county, {} of {} nationwide.",
        ),
    }
}

/// The weekly lists' words outside the page table.
pub const UKELISTE_ORD: Table = Table(&[
    ("ja", "ja", "yes"),
    ("ark", "KVP-kandidater", "KVP candidates"),
    ("uten_veileder", "uten veileder", "no caseworker"),
    ("ingen", "ingen", "none"),
]);
