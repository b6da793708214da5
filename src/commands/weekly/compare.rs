//! This week against last week: who is new on the list, who continues (since when), what
//! changed in their rules and facts, and who left the list and why.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::contract::{Lang, label};
use crate::engine::{Explanation, Verdict};
use crate::output::parquet_out::{VurderingFile, VurderingRow};
use crate::rules::{RuleSet, Status, UteGrunn};

/// Where a person stands on this week's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PaListen {
    Ny,
    Fortsetter,
    Ute,
}

impl PaListen {
    /// The list status a code of `liste.parquet` names (`ny`, `fortsetter`, `ute`).
    pub fn from_code(code: &str) -> Option<PaListen> {
        [PaListen::Ny, PaListen::Fortsetter, PaListen::Ute]
            .into_iter()
            .find(|p| p.as_str() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaListen::Ny => "ny",
            PaListen::Fortsetter => "fortsetter",
            PaListen::Ute => "ute",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        crate::i18n::labels::PA_LISTEN.text(self.as_str(), lang)
    }
}

/// Something that moved since the previous run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The person was not in the previous run's data.
    NyIUttrekket,
    RegelBegynte(String),
    RegelSluttet(String),
    EksklusjonBegynte(String),
    EksklusjonSluttet(String),
    HintNy(String),
    Stonadsmaneder {
        fra: i64,
        til: i64,
    },
    Innsatsgruppe {
        fra: Option<String>,
        til: Option<String>,
    },
    YtelseNy(String),
    YtelseSluttet(String),
    KvpHendelse {
        hendelse: String,
        dato: Option<NaiveDate>,
    },
    NavKontor {
        fra: String,
        til: String,
    },
    Veileder {
        fra: Option<String>,
        til: Option<String>,
    },
}

/// Why a person left the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grunn {
    BleDeltaker,
    SoknadRegistrert { hendelse: Option<String> },
    Vurdert { hendelse: Option<String> },
    NyYtelse { ytelser: Vec<String> },
    Ekskludert { regler: Vec<String> },
    TrefferIkkeLenger,
    IkkeIData,
}

fn or_none(v: &Option<String>, lang: Lang, f: impl Fn(&str) -> String) -> String {
    match v {
        Some(s) => f(s),
        None => crate::i18n::pages::UKELISTE_ORD.word("ingen", lang),
    }
}

impl Change {
    pub fn code(&self) -> &'static str {
        match self {
            Change::NyIUttrekket => "ny_i_uttrekket",
            Change::RegelBegynte(_) => "regel_begynte",
            Change::RegelSluttet(_) => "regel_sluttet",
            Change::EksklusjonBegynte(_) => "eksklusjon_begynte",
            Change::EksklusjonSluttet(_) => "eksklusjon_sluttet",
            Change::HintNy(_) => "hint_ny",
            Change::Stonadsmaneder { .. } => "stonadsmaneder",
            Change::Innsatsgruppe { .. } => "innsatsgruppe",
            Change::YtelseNy(_) => "ytelse_ny",
            Change::YtelseSluttet(_) => "ytelse_sluttet",
            Change::KvpHendelse { .. } => "kvp_hendelse",
            Change::NavKontor { .. } => "nav_kontor",
            Change::Veileder { .. } => "veileder",
        }
    }

    pub fn text(&self, rules: &RuleSet, lang: Lang) -> String {
        use Lang::*;
        let t = |id: &str| rules.title(id, lang);
        match (self, lang) {
            (Change::NyIUttrekket, Nb) => "ny i uttrekket siden forrige kjøring".into(),
            (Change::NyIUttrekket, En) => "new in the export since the previous run".into(),
            (Change::RegelBegynte(r), Nb) => format!("slår nå til: «{}»", t(r)),
            (Change::RegelBegynte(r), En) => format!("now applies: \"{}\"", t(r)),
            (Change::RegelSluttet(r), Nb) => format!("slår ikke lenger til: «{}»", t(r)),
            (Change::RegelSluttet(r), En) => format!("no longer applies: \"{}\"", t(r)),
            (Change::EksklusjonBegynte(r), Nb) => format!("nytt hinder: «{}»", t(r)),
            (Change::EksklusjonBegynte(r), En) => format!("new exclusion: \"{}\"", t(r)),
            (Change::EksklusjonSluttet(r), Nb) => format!("hinder falt bort: «{}»", t(r)),
            (Change::EksklusjonSluttet(r), En) => {
                format!("exclusion no longer applies: \"{}\"", t(r))
            }
            (Change::HintNy(r), Nb) => format!("nytt hint: «{}»", t(r)),
            (Change::HintNy(r), En) => format!("new hint: \"{}\"", t(r)),
            (Change::Stonadsmaneder { fra, til }, Nb) => {
                format!("måneder med økonomisk stønad siste 12: {fra} → {til}")
            }
            (Change::Stonadsmaneder { fra, til }, En) => {
                format!("months with economic assistance in the last 12: {fra} → {til}")
            }
            (Change::Innsatsgruppe { fra, til }, _) => {
                let l = |c: &str| label("innsatsgruppe", c, lang);
                let (fra, til) = (or_none(fra, lang, l), or_none(til, lang, l));
                match lang {
                    Nb => format!("innsatsgruppe (§ 14 a-vedtak): {fra} → {til}"),
                    En => format!("innsatsgruppe (§ 14 a decision): {fra} → {til}"),
                }
            }
            (Change::YtelseNy(y), Nb) => format!("ny ytelse: {}", label("ytelse", y, lang)),
            (Change::YtelseNy(y), En) => format!("new benefit: {}", label("ytelse", y, lang)),
            (Change::YtelseSluttet(y), Nb) => {
                format!("ytelse opphørt: {}", label("ytelse", y, lang))
            }
            (Change::YtelseSluttet(y), En) => {
                format!("benefit ended: {}", label("ytelse", y, lang))
            }
            (Change::KvpHendelse { hendelse, dato }, _) => {
                let d = dato.map(|d| format!(" {d}")).unwrap_or_default();
                match lang {
                    Nb => format!("ny KVP-hendelse: {}{d}", label("hendelse", hendelse, lang)),
                    En => format!("new KVP event: {}{d}", label("hendelse", hendelse, lang)),
                }
            }
            (Change::NavKontor { fra, til }, Nb) => format!("NAV-kontor: {fra} → {til}"),
            (Change::NavKontor { fra, til }, En) => format!("NAV office: {fra} → {til}"),
            (Change::Veileder { fra, til }, _) => {
                let id = |s: &str| s.to_string();
                let (fra, til) = (or_none(fra, lang, id), or_none(til, lang, id));
                match lang {
                    Nb => format!("veileder: {fra} → {til}"),
                    En => format!("caseworker: {fra} → {til}"),
                }
            }
        }
    }
}

impl Grunn {
    pub fn code(&self) -> &'static str {
        match self {
            Grunn::BleDeltaker => "ble_deltaker",
            Grunn::SoknadRegistrert { .. } => "soknad_registrert",
            Grunn::Vurdert { .. } => "vurdert",
            Grunn::NyYtelse { .. } => "ny_ytelse",
            Grunn::Ekskludert { .. } => "ekskludert",
            Grunn::TrefferIkkeLenger => "treffer_ikke_lenger",
            Grunn::IkkeIData => "ikke_i_dataene",
        }
    }

    pub fn text(&self, rules: &RuleSet, lang: Lang) -> String {
        use Lang::*;
        match (self, lang) {
            (Grunn::BleDeltaker, Nb) => "har begynt i kvalifiseringsprogrammet".into(),
            (Grunn::BleDeltaker, En) => "has started the qualification programme".into(),
            (Grunn::SoknadRegistrert { hendelse }, _) => {
                match (hendelse.as_deref() == Some("INNVILGET"), lang) {
                    (true, Nb) => {
                        "søknad om KVP er innvilget; programmet har ikke startet ennå".into()
                    }
                    (true, En) => {
                        "a KVP application is granted; the programme has not started yet".into()
                    }
                    (false, Nb) => "søknad om KVP er registrert".into(),
                    (false, En) => "a KVP application is registered".into(),
                }
            }
            (Grunn::Vurdert { hendelse }, _) => {
                match (hendelse.as_deref() == Some("AVSLATT"), lang) {
                    (true, Nb) => "søknad om KVP er nylig avslått".into(),
                    (true, En) => "a KVP application was recently refused".into(),
                    (false, Nb) => "er nylig vurdert for KVP".into(),
                    (false, En) => "was recently assessed for KVP".into(),
                }
            }
            (Grunn::NyYtelse { ytelser }, _) => {
                let y: Vec<String> = ytelser.iter().map(|y| label("ytelse", y, lang)).collect();
                let y = crate::rules::template::join_list(&y, lang);
                match lang {
                    Nb => format!("utelukket av ny ytelse til livsopphold: {y}"),
                    En => format!("excluded by a new livelihood benefit: {y}"),
                }
            }
            (Grunn::Ekskludert { regler }, _) => {
                let r: Vec<String> = regler.iter().map(|r| rules.title(r, lang)).collect();
                let r = crate::rules::template::join_list(&r, lang);
                match lang {
                    Nb => format!("utelukket: {r}"),
                    En => format!("excluded: {r}"),
                }
            }
            (Grunn::TrefferIkkeLenger, Nb) => "treffer ikke lenger noen kandidatregel".into(),
            (Grunn::TrefferIkkeLenger, En) => "no longer matches a candidate rule".into(),
            (Grunn::IkkeIData, Nb) => "finnes ikke lenger i uttrekket".into(),
            (Grunn::IkkeIData, En) => "is no longer in the export".into(),
        }
    }
}

/// A person on the previous run's list.
#[derive(Debug, Clone)]
pub struct PrevListed {
    pub forste_gang_kandidat: NaiveDate,
}

/// The previous run, as far as the comparison needs it.
#[derive(Debug, Default)]
pub struct Previous {
    pub date: Option<NaiveDate>,
    /// The previous run's `vurderinger.parquet` (and `skjermet.parquet`) as read, a row made
    /// only when [`Previous::facts`] asks for it; the index gives each id's file and row.
    files: Vec<VurderingFile>,
    by_id: rustc_hash::FxHashMap<String, (u32, u32)>,
    /// Persons who were candidates in the previous run.
    pub listed: HashMap<String, PrevListed>,
}

impl Previous {
    /// Reads `vurderinger.parquet` and `liste.parquet` of a recorded run, and their kode-6
    /// counterparts `skjermet.parquet` and `skjermet_liste.parquet` (absent in runs recorded
    /// before they existed, when kode 6 was kept in the first two).
    pub fn load(dir: &Path, date: NaiveDate) -> anyhow::Result<Previous> {
        let mut p = Previous {
            date: Some(date),
            ..Default::default()
        };
        use super::lists::{LISTE, SKJERMET_LISTE};
        use crate::output::parquet_out::{FILE, SKJERMET};
        // the list first: only those on it need last week's explanations (shown when they
        // leave the list), so the others' are not read
        for name in [LISTE, SKJERMET_LISTE] {
            let path = dir.join(name);
            if name == SKJERMET_LISTE && !path.exists() {
                continue;
            }
            p.load_listed(&path)?;
        }
        for name in [FILE, SKJERMET] {
            let path = dir.join(name);
            if name == SKJERMET && !path.exists() {
                continue;
            }
            p.load_facts(&path)?;
        }
        Ok(p)
    }

    /// The previous run's row of person `id` (of the file read last, were there two).
    pub fn facts(&self, id: &str) -> anyhow::Result<Option<VurderingRow>> {
        match self.by_id.get(id) {
            Some(&(file, row)) => Ok(Some(self.files[file as usize].row(row)?)),
            None => Ok(None),
        }
    }

    fn load_facts(&mut self, path: &Path) -> anyhow::Result<()> {
        let listed = &self.listed;
        let file = VurderingFile::read(path, &|id| listed.contains_key(id))?;
        let n = u32::try_from(self.files.len())?;
        let ids = file.ids()?;
        self.by_id.reserve(ids.len());
        for (id, row) in ids {
            self.by_id.insert(id.to_string(), (n, row));
        }
        self.files.push(file);
        Ok(())
    }

    fn load_listed(&mut self, path: &Path) -> anyhow::Result<()> {
        for r in super::lists::read_liste(path)? {
            if r.pa_listen != PaListen::Ute {
                self.listed.insert(
                    r.person_id,
                    PrevListed {
                        forste_gang_kandidat: r.forste_gang_kandidat,
                    },
                );
            }
        }
        Ok(())
    }
}

/// One person on this week's list (or just off it).
#[derive(Debug, Clone)]
pub struct ListEntry {
    pub pa_listen: PaListen,
    pub person_id: String,
    pub nav_kontor: String,
    pub veileder: Option<String>,
    pub kommune_nr: String,
    pub adressebeskyttelse: Option<String>,
    pub alder: i64,
    pub forste_gang_kandidat: NaiveDate,
    pub uker_pa_listen: i64,
    pub treff: crate::engine::Ids,
    pub hint: crate::engine::Ids,
    pub maneder: i64,
    pub siste: Option<NaiveDate>,
    pub innsatsgruppe: Option<String>,
    pub begrunnelse: Vec<Explanation>,
    pub endringer: Vec<Change>,
    pub grunn: Option<Grunn>,
}

impl ListEntry {
    pub fn skjermet(&self) -> bool {
        crate::contract::Adressebeskyttelse::is_skjermet(self.adressebeskyttelse.as_deref())
    }
    pub fn fortrolig(&self) -> bool {
        crate::contract::Adressebeskyttelse::is_fortrolig(self.adressebeskyttelse.as_deref())
    }
}

/// Weeks on the list, counting the first week as 1.
pub fn weeks_on_list(first: NaiveDate, as_of: NaiveDate) -> i64 {
    (as_of - first).num_days().max(0) / 7 + 1
}

/// The rules that started or stopped firing since the previous run, and the new hints.
fn rule_changes(p: &VurderingRow, v: &Verdict) -> Vec<Change> {
    let mut c = Vec::new();
    // a rule id in a list of them, whether kept as `String` or as `Short`
    fn has(ids: &[impl AsRef<str>], id: &str) -> bool {
        ids.iter().any(|i| i.as_ref() == id)
    }
    for r in v.treff.iter().filter(|r| !has(&p.treff, r)) {
        c.push(Change::RegelBegynte(r.to_string()));
    }
    for r in p.treff.iter().filter(|r| !has(&v.treff, r)) {
        c.push(Change::RegelSluttet(r.clone()));
    }
    for r in v.eksklusjoner.iter().filter(|r| !has(&p.eksklusjoner, r)) {
        c.push(Change::EksklusjonBegynte(r.to_string()));
    }
    for r in p.eksklusjoner.iter().filter(|r| !has(&v.eksklusjoner, r)) {
        c.push(Change::EksklusjonSluttet(r.clone()));
    }
    for r in v.hint.iter().filter(|r| !has(&p.hint, r)) {
        c.push(Change::HintNy(r.to_string()));
    }
    c
}

/// The months count moves every week; it is the decisive fact only when a candidate rule
/// started or stopped and no benefit, vedtak or KVP event among `c` explains it.
fn months_decide(c: &[Change]) -> bool {
    let rule_moved = c
        .iter()
        .any(|x| matches!(x, Change::RegelBegynte(_) | Change::RegelSluttet(_)));
    let explained = c.iter().any(|x| {
        matches!(
            x,
            Change::Innsatsgruppe { .. }
                | Change::YtelseNy(_)
                | Change::YtelseSluttet(_)
                | Change::KvpHendelse { .. }
        )
    });
    rule_moved && !explained
}

/// What moved between the previous run's facts and this verdict.
pub fn changes(prev: Option<&VurderingRow>, v: &Verdict, had_previous_run: bool) -> Vec<Change> {
    let Some(p) = prev else {
        return if had_previous_run {
            vec![Change::NyIUttrekket]
        } else {
            Vec::new()
        };
    };
    let mut c = rule_changes(p, v);
    let f = &v.facts;
    let months_changed = p.stonadsmaneder_siste_12 != f.stonadsmaneder_siste_12;
    if p.innsatsgruppe.as_deref() != f.innsatsgruppe.as_deref() {
        c.push(Change::Innsatsgruppe {
            fra: p.innsatsgruppe.clone(),
            til: owned(&f.innsatsgruppe),
        });
    }
    if let (Some(before), Some(now)) = (&p.livsoppholdsytelser, &f.livsoppholdsytelser) {
        for y in now.iter().filter(|y| !before.contains(y)) {
            c.push(Change::YtelseNy(y.clone()));
        }
        for y in before.iter().filter(|y| !now.contains(y)) {
            c.push(Change::YtelseSluttet(y.clone()));
        }
    }
    if f.kvp_siste_hendelse.is_some()
        && (p.kvp_siste_hendelse.as_deref() != f.kvp_siste_hendelse.as_deref()
            || p.kvp_siste_dato != f.kvp_siste_dato)
    {
        c.push(Change::KvpHendelse {
            hendelse: owned(&f.kvp_siste_hendelse).unwrap_or_default(),
            dato: f.kvp_siste_dato,
        });
    }
    if months_changed && months_decide(&c) {
        c.push(Change::Stonadsmaneder {
            fra: p.stonadsmaneder_siste_12,
            til: f.stonadsmaneder_siste_12,
        });
    }
    // where a strengt fortrolig (kode 6) person was last week is not said on an ordinary list
    let was_skjermet =
        crate::contract::Adressebeskyttelse::is_skjermet(p.adressebeskyttelse.as_deref());
    if was_skjermet && !f.skjermet() {
        return c;
    }
    if p.nav_kontor != f.nav_kontor {
        c.push(Change::NavKontor {
            fra: p.nav_kontor.clone(),
            til: f.nav_kontor.to_string(),
        });
    }
    if p.veileder.as_deref() != f.veileder.as_deref() {
        c.push(Change::Veileder {
            fra: p.veileder.clone(),
            til: owned(&f.veileder),
        });
    }
    c
}

/// A key fact as an owned string.
fn owned(s: &Option<crate::engine::Short>) -> Option<String> {
    s.as_ref().map(ToString::to_string)
}

/// Why a person who was a candidate last week is not one now. An exclusion names its reason
/// through its rule file's `ute_grunn`.
pub fn reason(v: &Verdict, reasons: &ExitReasons) -> Grunn {
    let f = &v.facts;
    let named = v.eksklusjoner.iter().filter_map(|id| reasons.of(id)).min();
    match v.status {
        Status::Deltaker => Grunn::BleDeltaker,
        Status::UnderBehandling => Grunn::SoknadRegistrert {
            hendelse: owned(&f.kvp_siste_hendelse),
        },
        Status::Ekskludert if named == Some(UteGrunn::Vurdert) => Grunn::Vurdert {
            hendelse: owned(&f.kvp_siste_hendelse),
        },
        Status::Ekskludert if named == Some(UteGrunn::NyYtelse) => Grunn::NyYtelse {
            ytelser: f.livsoppholdsytelser.clone().unwrap_or_default(),
        },
        Status::Ekskludert => Grunn::Ekskludert {
            regler: v.eksklusjoner.iter().map(ToString::to_string).collect(),
        },
        Status::IkkeTreff | Status::Kandidat => Grunn::TrefferIkkeLenger,
    }
}

/// The rules' `ute_grunn`, by rule id: all of the rule set a list needs, so that the list can
/// be built on a thread of its own.
#[derive(Debug, Clone, Default)]
pub struct ExitReasons(Vec<(String, UteGrunn)>);

impl ExitReasons {
    pub fn new(rules: &RuleSet) -> Self {
        ExitReasons(
            rules
                .rules
                .iter()
                .filter_map(|r| r.ute_grunn.map(|g| (r.id.clone(), g)))
                .collect(),
        )
    }

    /// The reason rule `id` gives, if it names one.
    fn of(&self, id: &str) -> Option<UteGrunn> {
        self.0.iter().find(|(r, _)| r == id).map(|(_, g)| *g)
    }
}

/// Collects list entries while verdicts stream past.
pub struct ListBuilder {
    prev: Option<Previous>,
    as_of: NaiveDate,
    seen: rustc_hash::FxHashSet<String>,
    entries: Vec<ListEntry>,
    /// Verdicts of those not on the list, let go on rayon's pool
    /// (see [`crate::engine::Graveyard`]).
    unlisted: crate::engine::Graveyard<Verdict>,
}

impl ListBuilder {
    pub fn new(prev: Option<Previous>, as_of: NaiveDate) -> Self {
        ListBuilder {
            prev,
            as_of,
            seen: Default::default(),
            entries: Vec::new(),
            unlisted: Default::default(),
        }
    }

    /// Takes a verdict; an entry moves the verdict's texts and facts instead of copying them.
    pub fn verdict(&mut self, v: Verdict, reasons: &ExitReasons) -> anyhow::Result<()> {
        let prev = self.prev.as_ref();
        let listed = prev
            .and_then(|p| p.listed.get(v.facts.person_id.as_str()))
            .map(|l| l.forste_gang_kandidat);
        let pa_listen = match (v.status == Status::Kandidat, listed) {
            (true, None) => PaListen::Ny,
            (true, Some(_)) => PaListen::Fortsetter,
            (false, Some(_)) => PaListen::Ute,
            (false, None) => {
                self.unlisted.bury(v);
                return Ok(());
            }
        };
        let prev_facts = match prev {
            Some(p) => p.facts(&v.facts.person_id)?,
            None => None,
        };
        let forste = listed.unwrap_or(self.as_of);
        // A person who left was on the list up to the previous run.
        let until = match pa_listen {
            PaListen::Ute => prev.and_then(|p| p.date).unwrap_or(self.as_of),
            _ => self.as_of,
        };
        let endringer = changes(prev_facts.as_ref(), &v, prev.is_some());
        let grunn = (pa_listen == PaListen::Ute).then(|| reason(&v, reasons));
        let f = v.facts;
        if listed.is_some() {
            self.seen.insert(f.person_id.to_string());
        }
        self.entries.push(ListEntry {
            pa_listen,
            person_id: f.person_id.into(),
            nav_kontor: f.nav_kontor.into(),
            veileder: f.veileder.map(Into::into),
            kommune_nr: f.kommune_nr.into(),
            adressebeskyttelse: f.adressebeskyttelse.map(Into::into),
            alder: f.alder,
            forste_gang_kandidat: forste,
            uker_pa_listen: weeks_on_list(forste, until),
            treff: v.treff,
            hint: v.hint,
            maneder: f.stonadsmaneder_siste_12,
            siste: f.siste_stonadsmaned,
            innsatsgruppe: f.innsatsgruppe.map(Into::into),
            begrunnelse: v.begrunnelse,
            endringer,
            grunn,
        });
        Ok(())
    }

    /// The entries, plus last week's candidates who are no longer in the data.
    pub fn finish(mut self) -> anyhow::Result<Vec<ListEntry>> {
        if let Some(prev) = &self.prev {
            let mut gone: Vec<(&String, &PrevListed)> = prev
                .listed
                .iter()
                .filter(|(id, _)| !self.seen.contains(*id))
                .collect();
            gone.sort_by(|a, b| a.0.cmp(b.0));
            for (id, l) in gone {
                let p = prev.facts(id)?.unwrap_or_default();
                let begrunnelse = p
                    .begrunnelse
                    .iter()
                    .map(|t| Explanation {
                        rule: Default::default(),
                        text: t.as_str().into(),
                        kort: None,
                    })
                    .collect();
                self.entries.push(ListEntry {
                    pa_listen: PaListen::Ute,
                    person_id: id.clone(),
                    nav_kontor: p.nav_kontor,
                    veileder: p.veileder,
                    kommune_nr: p.kommune_nr,
                    adressebeskyttelse: p.adressebeskyttelse,
                    alder: p.alder,
                    forste_gang_kandidat: l.forste_gang_kandidat,
                    uker_pa_listen: weeks_on_list(
                        l.forste_gang_kandidat,
                        prev.date.unwrap_or(self.as_of),
                    ),
                    treff: Default::default(),
                    hint: Default::default(),
                    maneder: p.stonadsmaneder_siste_12,
                    siste: p.siste_stonadsmaned,
                    innsatsgruppe: p.innsatsgruppe,
                    begrunnelse,
                    endringer: Vec::new(),
                    grunn: Some(Grunn::IkkeIData),
                });
            }
        }
        // Last week's facts and this week's ids (a hash table of 150 000 rows each nationally)
        // are freed on rayon's pool: on this thread it took ~0.15 s with the other core idle.
        let ListBuilder {
            prev,
            seen,
            entries,
            ..
        } = self;
        crate::engine::parallel::let_go((prev, seen));
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_status_has_words_and_a_section() {
        use crate::i18n::labels::{PA_LISTEN, PA_LISTEN_SEKSJON};
        for p in [PaListen::Ny, PaListen::Fortsetter, PaListen::Ute] {
            assert!(PA_LISTEN.get(p.as_str(), Lang::En).is_some(), "{p:?}");
            assert!(
                PA_LISTEN_SEKSJON.get(p.as_str(), Lang::Nb).is_some(),
                "{p:?}"
            );
        }
    }
    use crate::engine::PersonFacts;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn verdict(status: Status, treff: &[&str], eksl: &[&str], maneder: i64) -> Verdict {
        Verdict {
            facts: PersonFacts {
                person_id: "p1".into(),
                nav_kontor: "0301".into(),
                stonadsmaneder_siste_12: maneder,
                livsoppholdsytelser: Some(vec!["AAP".into()]),
                ..Default::default()
            },
            status,
            treff: treff.iter().map(|s| (*s).into()).collect(),
            eksklusjoner: eksl.iter().map(|s| (*s).into()).collect(),
            hint: Default::default(),
            uavklart: Default::default(),
            begrunnelse: vec![],
            naer_treff: vec![],
            krav: vec![],
        }
    }

    #[test]
    fn weeks_count_the_first_week_as_one() {
        assert_eq!(weeks_on_list(d("2026-11-16"), d("2026-11-16")), 1);
        assert_eq!(weeks_on_list(d("2026-11-09"), d("2026-11-16")), 2);
        assert_eq!(weeks_on_list(d("2026-10-19"), d("2026-11-16")), 5);
    }

    #[test]
    fn changes_name_rules_and_facts_that_moved() {
        let prev = VurderingRow {
            nav_kontor: "0301".into(),
            stonadsmaneder_siste_12: 5,
            livsoppholdsytelser: Some(vec![]),
            ..Default::default()
        };
        let v = verdict(Status::Kandidat, &["langtidsmottaker"], &[], 6);
        let c = changes(Some(&prev), &v, true);
        // the new benefit is the decisive fact, not the months count
        assert_eq!(
            c,
            vec![
                Change::RegelBegynte("langtidsmottaker".into()),
                Change::YtelseNy("AAP".into()),
            ]
        );
        // a sixth month that makes the rule fire is named
        let same_benefits = VurderingRow {
            livsoppholdsytelser: Some(vec!["AAP".into()]),
            ..prev.clone()
        };
        assert_eq!(
            changes(Some(&same_benefits), &v, true),
            vec![
                Change::RegelBegynte("langtidsmottaker".into()),
                Change::Stonadsmaneder { fra: 5, til: 6 },
            ]
        );
        // routine drift (11 → 12 with the same rules) is left out
        let drift = VurderingRow {
            stonadsmaneder_siste_12: 11,
            treff: vec!["langtidsmottaker".into()],
            ..same_benefits.clone()
        };
        let v12 = verdict(Status::Kandidat, &["langtidsmottaker"], &[], 12);
        assert!(changes(Some(&drift), &v12, true).is_empty());
        assert_eq!(changes(None, &v, true), vec![Change::NyIUttrekket]);
        assert!(changes(None, &v, false).is_empty());
    }

    #[test]
    fn reasons_follow_status_and_exclusions() {
        // the reasons come from the shipped rule files' `ute_grunn`
        let rules = ExitReasons::new(&RuleSet::load(None).unwrap());
        assert_eq!(
            reason(&verdict(Status::Deltaker, &[], &[], 0), &rules),
            Grunn::BleDeltaker
        );
        assert_eq!(
            reason(
                &verdict(Status::Ekskludert, &["x"], &["har_livsoppholdsytelse"], 0),
                &rules
            ),
            Grunn::NyYtelse {
                ytelser: vec!["AAP".into()]
            }
        );
        assert!(matches!(
            reason(
                &verdict(
                    Status::Ekskludert,
                    &["x"],
                    &["har_livsoppholdsytelse", "nylig_vurdert"],
                    0
                ),
                &rules
            ),
            Grunn::Vurdert { .. }
        ));
        assert_eq!(
            reason(&verdict(Status::IkkeTreff, &[], &[], 0), &rules),
            Grunn::TrefferIkkeLenger
        );
    }
}
