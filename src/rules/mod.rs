//! Rule files: the model, loading from the embedded set or a folder, and static checks.
//!
//! A rule is data (see README, "Rule files"): its id, kind, titles, legal basis, dated
//! parameters, the SQL it runs, its explanation templates and its example cases. Checks that
//! need the engine (planning the SQL, template variables, running examples) are in [`check`]
//! and [`examples`].

pub mod diagnostic;
pub mod template;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::scalar::ScalarValue;
use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;

pub use diagnostic::{Code, Diagnostic};

use crate::contract::{self, Lang};

static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/rules");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Kandidat,
    Eksklusjon,
    Hint,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Kandidat => "kandidat",
            Kind::Eksklusjon => "eksklusjon",
            Kind::Hint => "hint",
        }
    }
}

/// A person's status, in order of precedence (the first that holds wins).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, Hash, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Deltaker,
    UnderBehandling,
    Kandidat,
    Ekskludert,
    /// No candidate rule fired (the default).
    #[default]
    IkkeTreff,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Deltaker,
        Status::UnderBehandling,
        Status::Kandidat,
        Status::Ekskludert,
        Status::IkkeTreff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Deltaker => "deltaker",
            Status::UnderBehandling => "under_behandling",
            Status::Kandidat => "kandidat",
            Status::Ekskludert => "ekskludert",
            Status::IkkeTreff => "ikke_treff",
        }
    }
    /// The status a code names (`ikke_treff`), if any.
    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == code)
    }
}

/// A parameter value: what a rule's SQL sees as `$name` and its templates as `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
}

impl ParamValue {
    fn from_toml(v: &toml::Value) -> Option<Self> {
        Some(match v {
            toml::Value::Integer(i) => ParamValue::Int(*i),
            toml::Value::Float(f) => ParamValue::Float(*f),
            toml::Value::String(s) => ParamValue::Text(s.clone()),
            toml::Value::Boolean(b) => ParamValue::Bool(*b),
            _ => return None,
        })
    }

    pub fn scalar(&self) -> ScalarValue {
        match self {
            ParamValue::Int(i) => ScalarValue::Int64(Some(*i)),
            ParamValue::Float(f) => ScalarValue::Float64(Some(*f)),
            ParamValue::Text(s) => ScalarValue::Utf8(Some(s.clone())),
            ParamValue::Bool(b) => ScalarValue::Boolean(Some(*b)),
        }
    }

    pub fn template_value(&self) -> minijinja::Value {
        match self {
            ParamValue::Int(i) => (*i).into(),
            ParamValue::Float(f) => (*f).into(),
            ParamValue::Text(s) => s.clone().into(),
            ParamValue::Bool(b) => (*b).into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub description: Option<String>,
    /// Values with the date each is valid from, sorted by date.
    pub values: Vec<(NaiveDate, ParamValue)>,
}

impl Param {
    /// The value in force on a date: the one with the latest `fra` on or before it.
    pub fn in_force(&self, date: NaiveDate) -> Option<&ParamValue> {
        self.values
            .iter()
            .rev()
            .find(|(from, _)| *from <= date)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hjemmel {
    pub lov: String,
    pub paragraf: String,
    pub ledd: Option<u8>,
}

impl Hjemmel {
    pub fn render(&self, lang: Lang) -> String {
        use crate::i18n::labels::{LEDD, LOV};
        use crate::i18n::pages::Page;
        let law = LOV.word(&self.lov, lang);
        match self.ledd.and_then(|l| LEDD.get(&l.to_string(), lang)) {
            Some(ledd) => Page::HjemmelLedd.fill(lang, &[&law, &self.paragraf, &ledd]),
            None => Page::Hjemmel.fill(lang, &[&law, &self.paragraf]),
        }
    }
}

/// What became of a rule for one person: it fired, it did not, or it could not be decided (a
/// table it needs is missing). An example case names the outcome it expects (`forventet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Treff,
    IkkeTreff,
    Uavklart,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Treff => "treff",
            Outcome::IkkeTreff => "ikke_treff",
            Outcome::Uavklart => "uavklart",
        }
    }
}

/// One example case: a single person with rows in the contract tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub navn: String,
    pub skanningsdato: toml::Value,
    pub forventet: Outcome,
    /// Text the Norwegian explanation must contain (when the rule fires).
    pub forklaring_inneholder: Option<String>,
    /// The one condition (`krav`) the person misses, for a near miss.
    pub naer_treff: Option<String>,
    /// Parameter overrides for this case.
    #[serde(default)]
    pub parametre: toml::Table,
    /// Optional tables treated as absent from the export.
    #[serde(default)]
    pub mangler: Vec<String>,
    #[serde(default)]
    pub person: toml::Table,
    #[serde(default)]
    pub okonomisk_stonad: Vec<toml::Table>,
    #[serde(default)]
    pub ytelser: Vec<toml::Table>,
    #[serde(default)]
    pub oppfolgingsvedtak: Vec<toml::Table>,
    #[serde(default)]
    pub vilkar: Vec<toml::Table>,
    #[serde(default)]
    pub kvp_hendelser: Vec<toml::Table>,
    #[serde(default)]
    pub kvp_tiltak: Vec<toml::Table>,
}

impl Example {
    pub fn rows(&self, table: &str) -> &[toml::Table] {
        match table {
            "okonomisk_stonad" => &self.okonomisk_stonad,
            "ytelser" => &self.ytelser,
            "oppfolgingsvedtak" => &self.oppfolgingsvedtak,
            "vilkar" => &self.vilkar,
            "kvp_hendelser" => &self.kvp_hendelser,
            "kvp_tiltak" => &self.kvp_tiltak,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Texts {
    nb: Option<Spanned<String>>,
    en: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamValueToml {
    fra: toml::Value,
    verdi: toml::Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamToml {
    beskrivelse: Option<String>,
    verdi: Option<toml::Value>,
    #[serde(default)]
    verdier: Vec<ParamValueToml>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: Kind,
    tittel: Spanned<Texts>,
    hjemmel: Hjemmel,
    #[serde(default)]
    krever: Vec<Spanned<String>>,
    gir_status: Option<Spanned<Status>>,
    #[serde(default)]
    parametre: BTreeMap<String, Spanned<ParamToml>>,
    sql: Spanned<String>,
    forklaring: Spanned<Texts>,
    #[serde(default)]
    krav: BTreeMap<String, Spanned<Texts>>,
    #[serde(default)]
    eksempel: Vec<Spanned<Example>>,
    /// Weight in the caseworker's ranked worklist (higher first); 0 when absent.
    #[serde(default)]
    prioritet: i64,
    /// What the caseworker does next when the rule applies (shown on the worklist).
    neste_steg: Option<Spanned<Texts>>,
    /// The rule marks something to be done before KVP can be offered (a § 14 a assessment):
    /// persons it applies to are listed apart on the worklist.
    #[serde(default)]
    forutsetning: bool,
    /// A title of a few words for the printed worklist (the full title otherwise).
    kort_tittel: Option<Spanned<Texts>>,
    /// The decisive fact in a few words (a template like `forklaring`), for the printed worklist.
    kort_forklaring: Option<Spanned<Texts>>,
    /// The next step in a few words, for the printed worklist.
    kort_neste_steg: Option<Spanned<Texts>>,
    /// For an exclusion: what the weekly list says when a candidate leaves because of it.
    ute_grunn: Option<UteGrunn>,
}

/// What the weekly list says when an exclusion takes a candidate off it (`ute_grunn` in the
/// rule file). When several apply, the first in this order is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UteGrunn {
    /// Assessed for KVP (or refused) recently: the event is named.
    Vurdert,
    /// A livelihood benefit began: the benefits are named.
    NyYtelse,
}

/// The text of a rule file and where its parts are, for diagnostics.
#[derive(Debug)]
pub struct RuleSource {
    /// How the file is named in messages: `rules/<file>.toml` for the embedded set.
    pub path: String,
    pub text: Arc<str>,
    pub sha256: String,
    pub id_span: Range<usize>,
    pub sql_span: Range<usize>,
    pub template_spans: [Range<usize>; 2],
    /// Span of each `[krav.<name>]` table, in the order of [`Rule::krav`].
    pub krav_spans: Vec<Range<usize>>,
    /// Span of `kort_forklaring`, when the rule has one.
    pub kort_span: Option<Range<usize>>,
    pub example_spans: Vec<Range<usize>>,
}

impl RuleSource {
    pub fn diag(
        &self,
        span: Option<Range<usize>>,
        code: Code,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(&self.path, self.text.clone(), span, code, message)
    }
}

/// One condition of a rule: the SQL returns a boolean column `krav_<name>` and the rule fires
/// when all of them are true. The texts say what the condition asks, with the row's facts.
#[derive(Debug, Clone)]
pub struct Krav {
    pub name: String,
    /// `name` as an [`Id`], copied without allocating.
    pub key: Id,
    pub nb: String,
    pub en: String,
}

/// A rule or condition id as the verdicts carry it: made once per rule set from an interned
/// `&'static str` (`interned`), so a copy is the 24 bytes themselves — no allocation, nothing
/// to free — even for an id over the 24 bytes a [`compact_str::CompactString`] keeps inline
/// (`spesielt_tilpasset_innsats` and others were a heap string in every verdict that named them).
pub type Id = compact_str::CompactString;

/// `id` as an [`Id`] (see there).
pub fn id(id: &str) -> Id {
    Id::const_new(interned(id))
}

/// The text of `id`, kept once for the life of the process: every distinct rule and condition id
/// a process reads (a rule set has a few dozen; a process reads a handful of sets, from files
/// their owners write) is kept and never freed, so that ids can be `&'static str`.
fn interned(id: &str) -> &'static str {
    use std::sync::{Mutex, OnceLock, PoisonError};
    static IDS: OnceLock<Mutex<std::collections::HashSet<&'static str>>> = OnceLock::new();
    let mut ids = IDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(kept) = ids.get(id) {
        return kept;
    }
    let kept: &'static str = Box::leak(id.into());
    ids.insert(kept);
    kept
}

impl Krav {
    pub fn column(&self) -> String {
        format!("krav_{}", self.name)
    }

    pub fn text(&self, lang: Lang) -> &str {
        lang.pick((&self.nb, &self.en))
    }
}

#[derive(Debug)]
pub struct Rule {
    pub id: String,
    /// `id` as an [`Id`], copied into verdicts without allocating.
    pub key: Id,
    pub kind: Kind,
    pub title_nb: String,
    pub title_en: String,
    pub hjemmel: Hjemmel,
    /// Optional tables without which the rule cannot be decided.
    pub krever: Vec<&'static str>,
    pub gir_status: Option<Status>,
    pub params: Vec<Param>,
    pub sql: String,
    pub template_nb: String,
    pub template_en: String,
    /// The rule's conditions: SQL columns `krav_<name>`, each with a text in both languages.
    pub krav: Vec<Krav>,
    pub examples: Vec<Example>,
    pub source: RuleSource,
    /// Weight in the caseworker's ranked worklist (higher first).
    pub prioritet: i64,
    /// The next step on the worklist (nb, en).
    pub neste_steg: Option<(String, String)>,
    /// Something to be done before KVP can be offered.
    pub forutsetning: bool,
    /// Short forms for the printed worklist: title, decisive fact (a template), next step.
    pub kort: ShortForms,
    /// For an exclusion: what the weekly list says when a candidate leaves because of it.
    pub ute_grunn: Option<UteGrunn>,
}

/// A rule's short texts (nb, en) for the printed worklist; each falls back to the full text.
#[derive(Debug, Default)]
pub struct ShortForms {
    pub tittel: Option<(String, String)>,
    pub forklaring: Option<(String, String)>,
    pub neste_steg: Option<(String, String)>,
}

/// The text of a pair in one language.
pub fn in_lang(pair: &(String, String), lang: Lang) -> &str {
    lang.pick((&pair.0, &pair.1))
}

impl Rule {
    pub fn title(&self, lang: Lang) -> &str {
        lang.pick((&self.title_nb, &self.title_en))
    }

    pub fn template(&self, lang: Lang) -> &str {
        lang.pick((&self.template_nb, &self.template_en))
    }

    /// The title in a few words (the full title when the rule file gives none).
    pub fn short_title(&self, lang: Lang) -> &str {
        self.kort
            .tittel
            .as_ref()
            .map_or_else(|| self.title(lang), |p| in_lang(p, lang))
    }

    /// The template of the decisive fact in a few words, when the rule file gives one.
    pub fn short_template(&self, lang: Lang) -> Option<&str> {
        self.kort.forklaring.as_ref().map(|p| in_lang(p, lang))
    }

    /// The parameter values in force on a date, with overrides applied.
    pub fn params_at(&self, date: NaiveDate) -> BTreeMap<String, ParamValue> {
        self.params
            .iter()
            .filter_map(|p| p.in_force(date).map(|v| (p.name.clone(), v.clone())))
            .collect()
    }

    /// The name under which the rule's result is visible to other rules' SQL.
    pub fn view_name(&self) -> String {
        format!("regel_{}", self.id)
    }
}

/// A loaded and statically checked set of rules.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// "innebygd" (embedded) or the folder the rules came from.
    pub origin: String,
}

impl RuleSet {
    /// The rule set compiled into the binary.
    pub fn embedded() -> Result<RuleSet, Vec<Diagnostic>> {
        let mut files: Vec<(String, String)> = EMBEDDED
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
            .map(|f| {
                (
                    format!("rules/{}", f.path().display()),
                    String::from_utf8_lossy(f.contents()).into_owned(),
                )
            })
            .collect();
        files.sort();
        Self::from_sources(files, "innebygd".into())
    }

    /// Every `*.toml` file in a folder (not recursive).
    pub fn from_dir(dir: &Path) -> Result<RuleSet, Vec<Diagnostic>> {
        let read = || -> std::io::Result<Vec<(String, String)>> {
            let mut files = Vec::new();
            for e in std::fs::read_dir(dir)? {
                let p = e?.path();
                if p.is_file() && p.extension().is_some_and(|e| e == "toml") {
                    files.push((p.display().to_string(), std::fs::read_to_string(&p)?));
                }
            }
            files.sort();
            Ok(files)
        };
        let files = read().map_err(|e| {
            vec![Diagnostic::new(
                &dir.display().to_string(),
                "".into(),
                None,
                Code::Io,
                format!("cannot read the rules folder: {e}"),
            )]
        })?;
        if files.is_empty() {
            return Err(vec![
                Diagnostic::new(
                    &dir.display().to_string(),
                    "".into(),
                    None,
                    Code::NoRules,
                    "the folder has no rule files",
                )
                .with_help(
                    "rule files are TOML files ending in .toml; see the README, \"Rule files\"",
                ),
            ]);
        }
        Self::from_sources(files, dir.display().to_string())
    }

    pub fn load(dir: Option<&Path>) -> Result<RuleSet, Vec<Diagnostic>> {
        match dir {
            Some(d) => Self::from_dir(d),
            None => Self::embedded(),
        }
    }

    fn from_sources(
        files: Vec<(String, String)>,
        origin: String,
    ) -> Result<RuleSet, Vec<Diagnostic>> {
        let mut rules = Vec::new();
        let mut diags = Vec::new();
        for (path, text) in files {
            match parse_rule(&path, text) {
                Ok(r) => rules.push(r),
                Err(mut d) => diags.append(&mut d),
            }
        }
        let mut seen: HashMap<String, String> = HashMap::new();
        for r in &rules {
            if let Some(first) = seen.get(&r.id) {
                diags.push(
                    r.source
                        .diag(
                            Some(r.source.id_span.clone()),
                            Code::DuplicateId,
                            format!("rule id `{}` is already used", r.id),
                        )
                        .with_help(format!(
                            "{first} defines `{}` too; every rule needs its own id",
                            r.id
                        )),
                );
            } else {
                seen.insert(r.id.clone(), r.source.path.clone());
            }
        }
        // Candidates first, then exclusions, then hints: a rule may read earlier kinds' results.
        rules.sort_by_key(|r| (r.kind as u8, r.id.clone()));
        if diags.is_empty() {
            Ok(RuleSet { rules, origin })
        } else {
            Err(diags)
        }
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// A rule's title in `lang`, or its id when the set has no such rule.
    pub fn title(&self, id: &str, lang: Lang) -> String {
        self.get(id)
            .map_or_else(|| id.to_string(), |r| r.title(lang).to_string())
    }

    /// The dates grouped by the parameters in force on them (every rule's), groups in order of
    /// their first date: one evaluation pass per group when many dates share a session.
    pub fn group_by_parameters(&self, dates: &[NaiveDate]) -> Vec<Vec<NaiveDate>> {
        type Params = Vec<BTreeMap<String, ParamValue>>;
        let mut groups: Vec<(Params, Vec<NaiveDate>)> = Vec::new();
        for d in dates {
            let params: Vec<_> = self.rules.iter().map(|r| r.params_at(*d)).collect();
            match groups.iter_mut().find(|(p, _)| *p == params) {
                Some((_, ds)) => ds.push(*d),
                None => groups.push((params, vec![*d])),
            }
        }
        groups.into_iter().map(|(_, ds)| ds).collect()
    }

    /// The ids of the rules of one kind, in rule-set order.
    pub fn ids(&self, kind: Kind) -> Vec<String> {
        self.rules
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.id.clone())
            .collect()
    }

    /// A hash over every rule file, identifying the rule set.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for r in &self.rules {
            h.update(r.id.as_bytes());
            h.update(r.source.sha256.as_bytes());
        }
        format!("{:x}", h.finalize())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some('a'..='z')) && c.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Every template of a rule with its name and place in the file: the explanation, each
/// condition and the short explanation, each in bokmål and English (for `check_templates`).
fn every_template(
    (nb, en, spans): (&str, &str, &[Range<usize>; 2]),
    (krav, krav_spans): (&[Krav], &[Range<usize>]),
    (kort, kort_span): (&Option<(String, String)>, &Option<Range<usize>>),
) -> Vec<(String, String, Range<usize>)> {
    let mut templates = vec![
        (
            "forklaring.nb".to_string(),
            nb.to_string(),
            spans[0].clone(),
        ),
        (
            "forklaring.en".to_string(),
            en.to_string(),
            spans[1].clone(),
        ),
    ];
    for (k, span) in krav.iter().zip(krav_spans) {
        templates.push((format!("krav.{}.nb", k.name), k.nb.clone(), span.clone()));
        templates.push((format!("krav.{}.en", k.name), k.en.clone(), span.clone()));
    }
    if let (Some((nb, en)), Some(span)) = (kort, kort_span) {
        templates.push(("kort_forklaring.nb".into(), nb.clone(), span.clone()));
        templates.push(("kort_forklaring.en".into(), en.clone(), span.clone()));
    }
    templates
}

/// Reads one rule file: every problem is collected (each at its place in the file) before any
/// is returned, so one run of `rules check` shows them all.
fn parse_rule(path: &str, text: String) -> Result<Rule, Vec<Diagnostic>> {
    let mut p = RuleParser {
        path,
        text: text.into(),
        diags: Vec::new(),
    };
    let raw = p.toml()?;
    let id = raw.id.get_ref().clone();
    p.check_id(&raw.id);
    let (title_nb, title_en, _) = p.texts(&raw.tittel, "tittel");
    let neste_steg = p.pair(&raw.neste_steg, "neste_steg");
    let kort = ShortForms {
        tittel: p.pair(&raw.kort_tittel, "kort_tittel"),
        forklaring: p.pair(&raw.kort_forklaring, "kort_forklaring"),
        neste_steg: p.pair(&raw.kort_neste_steg, "kort_neste_steg"),
    };
    let kort_span = raw.kort_forklaring.as_ref().map(|t| t.span());
    let (template_nb, template_en, template_spans) = p.texts(&raw.forklaring, "forklaring");
    let (krav, krav_spans) = p.krav(&raw.krav);
    let krever = p.krever(&raw.krever);
    let params = p.params(&raw.parametre);
    p.check_gir_status(&raw);
    p.check_examples(&raw);
    let templates = every_template(
        (&template_nb, &template_en, &template_spans),
        (&krav, &krav_spans),
        (&kort.forklaring, &kort_span),
    );
    p.check_templates(&templates);
    if !p.diags.is_empty() {
        return Err(p.diags);
    }
    let text = p.text;
    let source = RuleSource {
        path: path.to_string(),
        sha256: format!("{:x}", Sha256::digest(text.as_bytes())),
        text,
        id_span: raw.id.span(),
        sql_span: raw.sql.span(),
        template_spans,
        krav_spans,
        kort_span,
        example_spans: raw.eksempel.iter().map(|e| e.span()).collect(),
    };
    Ok(Rule {
        key: self::id(&id),
        id,
        kind: raw.kind,
        title_nb,
        title_en,
        hjemmel: raw.hjemmel,
        krever,
        gir_status: raw.gir_status.map(|s| s.into_inner()),
        params,
        sql: raw.sql.into_inner(),
        template_nb,
        template_en,
        krav,
        examples: raw.eksempel.into_iter().map(|e| e.into_inner()).collect(),
        source,
        prioritet: raw.prioritet,
        neste_steg,
        forutsetning: raw.forutsetning,
        kort,
        ute_grunn: raw.ute_grunn,
    })
}

/// One rule file being read, and the problems found in it so far.
struct RuleParser<'a> {
    path: &'a str,
    text: Arc<str>,
    diags: Vec<Diagnostic>,
}

impl RuleParser<'_> {
    fn diag(&self, span: Option<Range<usize>>, code: Code, msg: String) -> Diagnostic {
        Diagnostic::new(self.path, self.text.clone(), span, code, msg)
    }

    fn push(&mut self, span: Option<Range<usize>>, code: Code, msg: String, help: String) {
        let d = self.diag(span, code, msg).with_help(help);
        self.diags.push(d);
    }

    /// The file as TOML; a file that is not valid TOML stops here.
    fn toml(&self) -> Result<RuleToml, Vec<Diagnostic>> {
        toml::from_str(&self.text).map_err(|e| {
            let msg = e.message().trim().to_string();
            let help = if msg.starts_with("unknown field") {
                "rule files accept only the fields listed in the README, \"Rule files\"; check the spelling"
            } else if msg.starts_with("missing field") {
                "every rule needs id, type, tittel, hjemmel, sql and forklaring"
            } else if msg.starts_with("unknown variant") {
                "use one of the values the message lists"
            } else {
                "the file must be valid TOML (https://toml.io)"
            };
            vec![self.diag(e.span(), Code::Toml, msg).with_help(help)]
        })
    }

    fn check_id(&mut self, id: &Spanned<String>) {
        if !is_identifier(id.get_ref()) {
            self.push(
                Some(id.span()),
                Code::BadId,
                format!("rule id `{}` is not a valid id", id.get_ref()),
                "ids are lower-case ASCII letters, digits and _, starting with a letter".into(),
            );
        }
    }

    /// A text in both languages, with the spans of each; a missing one is a problem.
    fn texts(&mut self, t: &Spanned<Texts>, what: &str) -> (String, String, [Range<usize>; 2]) {
        let inner = t.get_ref();
        let mut get = |v: &Option<Spanned<String>>, lang: &str| match v {
            Some(s) if !s.get_ref().trim().is_empty() => (s.get_ref().clone(), s.span()),
            _ => {
                self.push(
                    Some(t.span()),
                    Code::MissingText,
                    format!("`{what}` has no {lang} text"),
                    format!("add `{lang} = \"...\"` to `{what}`: every rule needs both nb and en"),
                );
                (String::new(), t.span())
            }
        };
        let (nb, nb_span) = get(&inner.nb, "nb");
        let (en, en_span) = get(&inner.en, "en");
        (nb, en, [nb_span, en_span])
    }

    /// An optional text in both languages.
    fn pair(&mut self, t: &Option<Spanned<Texts>>, what: &str) -> Option<(String, String)> {
        t.as_ref().map(|t| {
            let (nb, en, _) = self.texts(t, what);
            (nb, en)
        })
    }

    /// The optional tables the rule needs (`krever`).
    /// The conditions (`krav.<name>`), each with its place in the file.
    fn krav(&mut self, raw: &BTreeMap<String, Spanned<Texts>>) -> (Vec<Krav>, Vec<Range<usize>>) {
        let mut krav = Vec::new();
        let mut spans = Vec::new();
        for (name, t) in raw {
            let (nb, en, _) = self.texts(t, &format!("krav.{name}"));
            krav.push(Krav {
                name: name.clone(),
                key: id(name),
                nb,
                en,
            });
            spans.push(t.span());
        }
        (krav, spans)
    }

    fn krever(&mut self, krever: &[Spanned<String>]) -> Vec<&'static str> {
        let mut out = Vec::new();
        for k in krever {
            match contract::table(k.get_ref()) {
                Some(t) if !t.required => out.push(t.name),
                Some(t) => self.push(
                    Some(k.span()),
                    Code::Krever,
                    format!("`{}` is a required table and is always present", t.name),
                    "list only optional tables in `krever`".into(),
                ),
                None => {
                    let optional: Vec<&str> = contract::TABLES
                        .iter()
                        .filter(|t| !t.required)
                        .map(|t| t.name)
                        .collect();
                    self.push(
                        Some(k.span()),
                        Code::UnknownTable,
                        format!("unknown table `{}` in `krever`", k.get_ref()),
                        format!("the optional tables are {}", optional.join(", ")),
                    );
                }
            }
        }
        out
    }

    fn params(&mut self, parametre: &BTreeMap<String, Spanned<ParamToml>>) -> Vec<Param> {
        parametre
            .iter()
            .map(|(name, p)| self.param(name, p))
            .collect()
    }

    /// One parameter with its values in date order.
    fn param(&mut self, name: &str, p: &Spanned<ParamToml>) -> Param {
        let span = Some(p.span());
        let bad = |msg: String| (span.clone(), Code::BadParameter, msg);
        let mut problems = Vec::new();
        if !is_identifier(name) || name == "skanningsdato" {
            problems.push((
                bad(format!("`{name}` cannot be a parameter name")),
                "use lower-case letters, digits and _; `skanningsdato` is built in",
            ));
        }
        let p = p.get_ref();
        let mut values = Vec::new();
        if let Some(v) = &p.verdi {
            match ParamValue::from_toml(v) {
                Some(v) => values.push((NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date"), v)),
                None => problems.push((
                    bad(format!(
                        "parameter `{name}` has a value of an unsupported type"
                    )),
                    "a parameter value is an integer, a decimal number, a string or true/false",
                )),
            }
        }
        for pv in &p.verdier {
            match (
                contract::rows::parse_date(&pv.fra),
                ParamValue::from_toml(&pv.verdi),
            ) {
                (Some(d), Some(v)) => values.push((d, v)),
                _ => problems.push((
                    bad(format!(
                        "parameter `{name}` has an entry in `verdier` that cannot be read"
                    )),
                    "each entry is { fra = YYYY-MM-DD, verdi = <integer, number, string or bool> }",
                )),
            }
        }
        if values.is_empty() {
            problems.push((bad(format!("parameter `{name}` has no value")), "give `verdi = ...`, or `verdier = [{ fra = 2010-01-01, verdi = ... }]` for values that change over time"));
        }
        values.sort_by_key(|(d, _)| *d);
        if values.windows(2).any(|w| w[0].0 == w[1].0) {
            problems.push((
                bad(format!(
                    "parameter `{name}` has two values from the same date"
                )),
                "each `fra` date may occur once",
            ));
        }
        for ((span, code, msg), help) in problems {
            self.push(span, code, msg, help.into());
        }
        Param {
            name: name.to_string(),
            description: p.beskrivelse.clone(),
            values,
        }
    }

    fn check_gir_status(&mut self, raw: &RuleToml) {
        let bad_status = |s: &Spanned<Status>| {
            !matches!(s.get_ref(), Status::Deltaker | Status::UnderBehandling)
                || raw.kind != Kind::Eksklusjon
        };
        if let Some(s) = raw.gir_status.as_ref().filter(|s| bad_status(s)) {
            self.push(
                Some(s.span()),
                Code::GirStatus,
                "`gir_status` is only for exclusions, with deltaker or under_behandling".into(),
                "the other statuses follow from which candidate and exclusion rules fire".into(),
            );
        }
    }

    /// The example cases' dates, missing tables and parameter overrides.
    fn check_examples(&mut self, raw: &RuleToml) {
        for (i, ex) in raw.eksempel.iter().enumerate() {
            let e = ex.get_ref();
            let at = Some(ex.span());
            let case = format!("example {} (`{}`)", i + 1, e.navn);
            if contract::rows::parse_date(&e.skanningsdato).is_none() {
                self.push(
                    at.clone(),
                    Code::Example,
                    format!("{case}: `skanningsdato` is not a date"),
                    "write it as a TOML date: skanningsdato = 2026-11-16".into(),
                );
            }
            for m in &e.mangler {
                if contract::table(m).is_none_or(|t| t.required) {
                    self.push(
                        at.clone(),
                        Code::Example,
                        format!("{case}: `{m}` in `mangler` is not an optional table"),
                        "only optional tables can be missing from an export".into(),
                    );
                }
            }
            for key in e
                .parametre
                .keys()
                .filter(|k| !raw.parametre.contains_key(*k))
            {
                self.push(
                    at.clone(),
                    Code::Example,
                    format!("{case} overrides unknown parameter `{key}`"),
                    "declare the parameter under [parametre] first".into(),
                );
            }
        }
    }

    /// Every template compiles (name, text, span of its value).
    fn check_templates(&mut self, templates: &[(String, String, Range<usize>)]) {
        for (lang, tmpl, span) in templates {
            if let Err(e) = template::compile_check(tmpl) {
                let at = e
                    .range()
                    .map(|r| diagnostic::offset_in_value(&self.text, span, r.start))
                    .or(Some(span.start));
                self.push(
                    at.map(|a| a..a + 1),
                    Code::Template,
                    format!("{lang}: {}", e.detail().unwrap_or("template error")),
                    "templates use Jinja syntax: {{ column }}, {{ date | maned }}, {% if ... %}...{% endif %}".into(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An id is kept once: the same text for every rule set that names it, never a heap string.
    #[test]
    fn ids_are_interned_once() {
        let long = String::from("et_langt_regel_id_over_24_byte");
        let (a, b) = (id(&long), id(&long.clone()));
        assert_eq!(a, long);
        assert_eq!(a.as_ptr(), b.as_ptr());
        assert!(!a.is_heap_allocated() && !a.clone().is_heap_allocated());
        let rules = RuleSet::load(None).unwrap();
        for r in &rules.rules {
            assert_eq!(r.key, r.id);
            assert!(r.krav.iter().all(|k| k.key == k.name));
        }
    }

    /// Every status and outcome has its words in both languages (a code missing from its
    /// table would be shown as the bare code).
    #[test]
    fn every_status_and_outcome_has_words() {
        use crate::i18n::labels::{STATUS, UTFALL};
        for s in Status::ALL {
            assert!(STATUS.get(s.as_str(), Lang::En).is_some(), "{s:?}");
        }
        for o in [Outcome::Treff, Outcome::IkkeTreff, Outcome::Uavklart] {
            assert!(UTFALL.get(o.as_str(), Lang::En).is_some(), "{o:?}");
        }
    }

    const MINIMAL: &str = r#"
id = "test_regel"
type = "kandidat"
tittel = { nb = "Test", en = "Test" }
hjemmel = { lov = "sosialtjenesteloven", paragraf = "29", ledd = 1 }
sql = "SELECT skanningsdato, person_id FROM person"
forklaring = { nb = "Treff.", en = "Hit." }

[parametre.grense]
verdier = [{ fra = 2010-01-01, verdi = 6 }, { fra = 2027-01-01, verdi = 4 }]
"#;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_value_in_force_on_the_scan_date_is_used() {
        let r = parse_rule("t.toml", MINIMAL.into()).unwrap();
        assert_eq!(
            r.params_at(date("2026-12-31"))["grense"],
            ParamValue::Int(6)
        );
        assert_eq!(
            r.params_at(date("2027-01-01"))["grense"],
            ParamValue::Int(4)
        );
        assert!(r.params_at(date("2009-12-31")).is_empty());
    }

    #[test]
    fn unknown_fields_point_at_their_line() {
        let bad = MINIMAL.replace("sql =", "sqll = \"x\"\nsql =");
        let d = parse_rule("t.toml", bad).unwrap_err();
        assert_eq!(d[0].code, Code::Toml);
        assert_eq!(d[0].line_col(), Some((6, 1)), "{}", d[0].render());
        assert!(d[0].message.contains("unknown field `sqll`"));
    }

    #[test]
    fn missing_english_text_is_reported() {
        let bad = MINIMAL.replace("en = \"Hit.\"", "");
        let d = parse_rule("t.toml", bad).unwrap_err();
        assert_eq!(d[0].code, Code::MissingText);
        assert!(d[0].message.contains("`forklaring` has no en text"));
        assert_eq!(d[0].line_col().unwrap().0, 7);
    }

    #[test]
    fn hjemmel_renders_in_both_languages() {
        let h = Hjemmel {
            lov: "sosialtjenesteloven".into(),
            paragraf: "29".into(),
            ledd: Some(1),
        };
        assert_eq!(h.render(Lang::Nb), "sosialtjenesteloven § 29 første ledd");
        assert_eq!(
            h.render(Lang::En),
            "the Social Services Act section 29 subsection 1"
        );
    }
}

/// No rule file, however broken, makes the parser or its diagnostics panic.
#[cfg(test)]
mod no_panic {
    use proptest::prelude::*;

    const VALID: &str = include_str!("../../rules/langtidsmottaker.toml");

    fn parse_and_render(text: String) {
        if let Err(diags) = super::parse_rule("regel.toml", text) {
            for d in diags {
                let _ = d.render();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_text(text in "\\PC{0,400}") {
            parse_and_render(text);
        }

        #[test]
        fn a_valid_file_with_edits(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<char>(), 0u8..3), 1..12)
        ) {
            let mut chars: Vec<char> = VALID.chars().collect();
            for (at, c, op) in edits {
                let i = at.index(chars.len().max(1));
                match op {
                    0 if !chars.is_empty() => { chars.remove(i.min(chars.len() - 1)); }
                    1 => chars.insert(i.min(chars.len()), c),
                    _ if !chars.is_empty() => { let j = i.min(chars.len() - 1); chars[j] = c; }
                    _ => {}
                }
            }
            parse_and_render(chars.into_iter().collect());
        }
    }
}
