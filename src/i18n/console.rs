//! The console texts: the summaries on stderr, `history`, `audit verify` and the frame of an
//! error, each keyed by a [`Msg`] variant with its bokmål and English text. `{}` marks a value,
//! filled in order by [`Msg::fill`](super::Keyed::fill).

super::keyed! {
    /// A console text.
    pub enum Msg {
        Scanned => (
            "kvp-scan: skannet {} personer per {} med {} regler",
            "kvp-scan: scanned {} persons as of {} with {} rules",
        ),
        StatusHead => ("  status:", "  status:"),
        RulesFired => ("  regler som slo til:", "  rules fired:"),
        NotAssessed => (
            "  ikke vurdert (tabell mangler): {}",
            "  not assessed (table missing): {}",
        ),
        Kode6Left => (
            "  kandidater med strengt fortrolig adresse (kode 6), holdt utenfor kandidater.csv: {}",
            "  candidates with strengt fortrolig address (kode 6), left out of kandidater.csv: {}",
        ),
        DataQuality => (
            "  datakvalitet: {} feil (rader satt til side), {} advarsler; se datakvalitet.csv",
            "  data quality: {} errors (rows set aside), {} warnings; see datakvalitet.csv",
        ),
        Elapsed => ("  tid: {} s", "  elapsed: {} s"),
        WeeklyRun => ("  ukekjøring {} i {}", "  weekly run {} in {}"),
        ComparedWith => ("  sammenlignet med kjøring {}", "  compared with run {}"),
        FirstRun => (
            "  første registrerte kjøring: alle kandidater er nye på listen",
            "  first recorded run: every candidate is new on the list",
        ),
        Replaced => ("  erstattet kjøring(er): {}", "  replaced run(s): {}"),
        Pruned => (
            "  fjernet gamle kjøringer (--keep): {}",
            "  removed old run(s) (--keep): {}",
        ),
        WeeklyCounts => (
            "  kandidater: {} ({} nye, {} fortsetter); {} gikk ut av listen",
            "  candidates: {} ({} new, {} continuing); {} left the list",
        ),
        Left => ("    ute, {}", "    left, {}"),
        Lists => (
            "  {} veilederlister (csv + html + xlsx); {} kandidater uten veileder på «uten veileder»-lister",
            "  {} caseworker lists (csv + html + xlsx); {} candidates without a caseworker on \"uten veileder\" lists",
        ),
        WeeklyProtected => (
            "  strengt fortrolig (kode 6): {} bare i skjermet-filene; fortrolig (kode 7): {} listet uten adressefelt",
            "  strengt fortrolig (kode 6): {} in the skjermet files only; fortrolig (kode 7): {} listed without address fields",
        ),
        Compared => (
            "kvp-scan: sammenlignet to regelsett på {} personer på {} s",
            "kvp-scan: compared two rule sets on {} persons in {} s",
        ),
        NoChange => (
            "  ingen endring: alle har samme status, regler og begrunnelse",
            "  no change: every person has the same status, rules and explanation",
        ),
        Changed => (
            "  endret: {} status, {} bare regler, {} bare ordlyden i begrunnelsen",
            "  changed: {} status, {} rules only, {} explanation wording only",
        ),
        RuleCounts => ("  regel {}", "  rule {}"),
        Report => (
            "kvp-scan: tilgjengelighetsrapport for {} kontorer og {} kommuner over {} datoer i {}",
            "kvp-scan: availability report for {} offices and {} kommuner over {} dates in {}",
        ),
        ReportHidden => (
            "  {} tall skjult (antall 1–4, og antall en sum ellers ville avslørt)",
            "  {} figures hidden (counts 1–4, and counts a sum would reveal)",
        ),
        Audit => (
            "kvp-scan: tilsyn over {} mandager fra {} til {}: {} personer flagget",
            "kvp-scan: audit of {} Mondays from {} to {}: {} persons flagged",
        ),
        AuditVerified => (
            "kvp-scan: tilsynet er bekreftet: hver fil er byte for byte lik en ny kjøring",
            "kvp-scan: audit verified: every output is byte-identical to a re-run",
        ),
        AuditMismatch => (
            "tilsynet i {} stemmer ikke med en ny kjøring på {}",
            "the audit in {} does not match a re-run on {}",
        ),
        VerifyIdentical => ("{}: identisk ({})", "{}: identical ({})"),
        VerifyDiffersRerun => (
            "{}: AVVIKER fra en ny kjøring på disse inndataene",
            "{}: DIFFERS from a re-run on these inputs",
        ),
        VerifyDiffersManifest => (
            "{}: AVVIKER fra hashen i manifestet (filen er endret)",
            "{}: DIFFERS from the hash in the manifest (the file was altered)",
        ),
        VerifyMissing => (
            "{}: MANGLER i tilsynsmappen",
            "{}: MISSING from the audit folder",
        ),
        VerifyNotRewritten => (
            "{}: ikke skrevet av en ny kjøring på disse inndataene",
            "{}: not written by a re-run on these inputs",
        ),
        VerifyNotInManifest => (
            "{}: skrevet av tilsynet, men mangler i manifestet",
            "{}: written by the audit but missing from the manifest",
        ),
        VerifyExtra => (
            "{}: i tilsynsmappen, men ikke i manifestet",
            "{}: in the audit folder but not in the manifest",
        ),
        VerifyRules => (
            "regler: ikke regelsettet tilsynet brukte (oppgi mappen med --rules)",
            "rules: not the rule set the audit used (give its folder with --rules)",
        ),
        VerifyInputChanged => (
            "inndata {}: endret siden tilsynet",
            "input {}: changed since the audit",
        ),
        VerifyInputMissing => ("inndata {}: mangler", "input {}: missing"),
        VerifyInputAdded => (
            "inndata {}: ikke i tilsynets manifest (lagt til siden)",
            "input {}: not in the audit's manifest (added since)",
        ),
        HistoryHead => (
            "dato|kjøring|personer|kandidat|ekskl.|deltaker|under_b.|ikke_tr.|nye|ute|regler sha256",
            "date|run id|persons|kandidat|ekskl.|deltaker|under_b.|ikke_tr.|new|left|rules sha256",
        ),
        HistoryRemovedHead => (
            "fjernet av --keep (personopplysninger lagres ikke lenger enn nødvendig):",
            "removed by --keep (personal data is not kept longer than needed):",
        ),
        HistoryRemoved => (
            "  {}  fjernet av kjøringen {}",
            "  {}  removed by the run of {}",
        ),
        HistoryPseudonymised => (
            "person-ID-ene i denne mappen er pseudonymer",
            "person ids in this state are pseudonymised",
        ),
        HistoryEmpty => (
            "{} har ingen registrerte kjøringer ({} mangler)",
            "{} has no recorded runs ({} missing)",
        ),
        Imported => (
            "kvp-scan: leste inn {} KOSTRA-fil(er) til {} på {} s",
            "kvp-scan: imported {} KOSTRA file(s) into {} in {} s",
        ),
        ImportedFile => (
            "  {} ({}, {}, {}): {} linjer, {} lest inn, {} satt til side",
            "  {} ({}, {}, {}): {} lines, {} imported, {} set aside",
        ),
        ImportedRecords => ("  poster lest inn:", "  records imported:"),
        ImportedTables => ("  tabeller skrevet:", "  tables written:"),
        ImportedRows => ("{} rader", "{} rows"),
        ImportQuality => (
            "  datakvalitet: {} feil (poster satt til side), {} advarsler; se {}",
            "  data quality: {} errors (records set aside), {} warnings; see {}",
        ),
        ImportNoEvents => (
            ", KVP-hendelser (ingen 11CF-fil oppgitt)",
            ", KVP events (no 11CF file given)",
        ),
        ImportCannotTell => (
            "  KOSTRA kan ikke si: innsatsgruppen etter § 14 a (ingen oppfolgingsvedtak), KVP-tiltak (ingen kvp_tiltak){}; regler som trenger dem, rapporteres som ikke vurdert (uavklart)",
            "  KOSTRA cannot tell: the § 14 a innsatsgruppe (no oppfolgingsvedtak), KVP measures (no kvp_tiltak){}; rules that need them are reported as not assessed (uavklart)",
        ),
        ImportNoProtection => (
            "  adressebeskyttelse finnes ikke i KOSTRA: uten --adressebeskyttelse behandles ingen som kode 6 eller 7; oppgi den før lister deles",
            "  address protection is not in KOSTRA: without --adressebeskyttelse no person is treated as kode 6 or 7; give it before lists are shared",
        ),
        RulesChecked => (
            "{} regler sjekket ({}): ingen problemer",
            "{} rules checked ({}): no problems",
        ),
        RulesTally => ("{} bestått, {} feilet", "{} passed, {} failed"),
        RulesWithoutExamples => ("regler uten eksempler: {}", "rules without example cases: {}"),
        Generated => (
            "kvp-scan: laget {} personer på {} s",
            "kvp-scan: generated {} persons in {} s",
        ),
        GenerateProgress => (
            "{spinner} lager {pos}/{len} personer [{bar:40}] {eta}",
            "{spinner} generating {pos}/{len} persons [{bar:40}] {eta}",
        ),
        GeneratedRecords => ("{} poster", "{} records"),
        GeneratedRows => ("{} rader", "{} rows"),
        Error => ("feil: {}", "error: {}"),
        CpuLacks => (
            "dette programmet er bygget for prosessorer med {}, som denne maskinen mangler",
            "this binary was built for processors with {}, which this machine lacks",
        ),
        CpuHelp => (
            "hjelp: bruk den vanlige utgaven (dist/build.sh uten KVP_TARGET_CPU), som går på alle x86-64-maskiner",
            "help: use the portable build (dist/build.sh without KVP_TARGET_CPU), which runs on any x86-64 machine",
        ),
        CausedBy => ("  årsak: {}", "  caused by: {}"),
        MemoryHelp => (
            "hjelp: spørremotoren brukte opp minnet --memory-limit tillater; gi en større grense (operatorer skriver til disk utover den, men noen trenger et minimum; 2g holder til 1,5 millioner personer) eller utelat --memory-limit",
            "help: the query engine ran out of the memory --memory-limit allows; give a larger limit (operators spill to disk beyond it, but some need a minimum; 2g runs 1.5 million persons) or leave --memory-limit out",
        ),
    }
}
