//! The DataFusion engine: one session per scan with the validated tables, the fact views and
//! one view per rule; evaluation streams every person's facts and rule hits into a verdict.

pub mod check;
pub mod facts;
pub mod parallel;
pub mod session;
pub mod values;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{Months, NaiveDate};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int64Type};
use datafusion::common::ParamValues;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionImplementation, Volatility, create_udf,
};
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext, col};
use datafusion::scalar::ScalarValue;
use futures::StreamExt;
use thiserror::Error;
use tracing::{debug, info};

use crate::contract::Lang;
use crate::contract::load::{Dataset, date_from_days, days_since_epoch};
use crate::rules::{Kind, Outcome, Rule, RuleSet, Status, template};

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("{}", crate::tr!("feil i spørremotoren", "query engine error"))]
    DataFusion(#[from] DataFusionError),
    #[error("{}", crate::tr!("regel `{rule}`: SQL-en kan ikke planlegges", "rule `{rule}`: cannot plan its SQL"))]
    Plan {
        rule: String,
        #[source]
        source: DataFusionError,
    },
    #[error("{}", crate::tr!(
        "regel `{rule}`: SQL-en må returnere kolonnen `person_id` som tekst",
        "rule `{rule}`: its SQL must return a `person_id` column of type string"
    ))]
    NoPersonId { rule: String },
    #[error("{}", crate::tr!(
        "regel `{rule}`: SQL-en må returnere kolonnen `skanningsdato` fra faktaene den leser (en dato)",
        "rule `{rule}`: its SQL must return the `skanningsdato` column of the facts it reads (a date)"
    ))]
    NoScanDate { rule: String },
    #[error("{}", crate::tr!(
        "regel `{rule}`: ga samme person mer enn én gang for en skanningsdato; grupper etter skanningsdato, person_id",
        "rule `{rule}`: returned the same person more than once for a scan date; group by skanningsdato, person_id"
    ))]
    DuplicatePerson { rule: String },
    #[error("{}", crate::tr!(
        "regel `{rule}`: kan ikke lage begrunnelsen på {lang:?}: {message}",
        "rule `{rule}`: cannot render its {lang:?} explanation: {message}"
    ))]
    Template {
        rule: String,
        lang: Lang,
        message: String,
    },
}

/// Session settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub target_partitions: usize,
    /// Memory pool size in bytes; operators spill to disk beyond it.
    pub memory_limit: Option<usize>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            target_partitions: crate::engine::parallel::threads(),
            memory_limit: None,
        }
    }
}

/// A rule planned against the session: its result is visible as `regel_<id>`.
pub struct PlannedRule<'a> {
    pub rule: &'a Rule,
    pub index: usize,
    /// None when a table the rule needs is missing from the export.
    pub frame: Option<DataFrame>,
    pub params: BTreeMap<String, crate::rules::ParamValue>,
    /// Everything the rule's rendered rows depend on in this session: its SQL, parameters,
    /// texts and kind, and the fingerprints of the rules whose views it reads. Equal
    /// fingerprints in one session give equal rows (see [`Engine::with_rule_memo`]).
    pub fingerprint: u64,
}

/// A person's key facts, as written to `vurderinger`.
#[derive(Debug, Clone, Default)]
pub struct PersonFacts {
    pub person_id: String,
    pub nav_kontor: String,
    pub veileder: Option<String>,
    pub kommune_nr: String,
    /// `1` mann, `2` kvinne (KOSTRA), or unknown.
    pub kjonn: Option<String>,
    pub adressebeskyttelse: Option<String>,
    pub alder: i64,
    pub stonadsmaneder_siste_12: i64,
    pub siste_stonadsmaned: Option<NaiveDate>,
    pub innsatsgruppe: Option<String>,
    pub vedtak_dato: Option<NaiveDate>,
    /// None when `ytelser` is missing from the export (unknown).
    pub livsoppholdsytelser: Option<Vec<String>>,
    pub kvp_tilstand: Option<String>,
    pub kvp_siste_hendelse: Option<String>,
    pub kvp_siste_dato: Option<NaiveDate>,
}

impl PersonFacts {
    /// Strengt fortrolig (kode 6): the person appears only in `skjermet*` files.
    pub fn skjermet(&self) -> bool {
        crate::contract::Adressebeskyttelse::is_skjermet(self.adressebeskyttelse.as_deref())
    }
}

/// The outcome for one person.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub facts: PersonFacts,
    pub status: Status,
    pub treff: Vec<String>,
    pub eksklusjoner: Vec<String>,
    pub hint: Vec<String>,
    /// Rules that could not be decided because a table they need is missing.
    pub uavklart: Vec<String>,
    /// One sentence per fired rule (kandidat, eksklusjon, hint order), then one per undecided rule.
    pub begrunnelse: Vec<Explanation>,
    /// Rules that did not fire because exactly one of their conditions failed.
    pub naer_treff: Vec<NearMiss>,
    /// Every condition with its outcome (only when one person is evaluated).
    pub krav: Vec<KravCheck>,
}

/// A rule condition evaluated for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KravCheck {
    pub rule: String,
    pub krav: String,
    pub oppfylt: bool,
    pub text: String,
}

/// A rule that missed one person by a single condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss {
    pub rule: String,
    pub krav: String,
    /// The condition's text, with the person's facts.
    pub text: String,
}

/// Per person, the rules that fired (positions in the rule set) with their sentences. Texts are
/// shared, not copied: many persons get the same sentence, and a session that evaluates two
/// rule sets (`compare`) reuses a rule's rows.
type Hits = rustc_hash::FxHashMap<Arc<str>, Vec<(usize, Sentence)>>;
type NearMisses = rustc_hash::FxHashMap<Arc<str>, Vec<Arc<KravCheck>>>;

/// What the rules gave, for the persons an evaluation makes verdicts for.
struct RuleHits {
    hits: Hits,
    near: NearMisses,
    /// With [`Persons::Touched`], those persons.
    touched: Option<rustc_hash::FxHashSet<Arc<str>>>,
}

/// Which persons an evaluation gives verdicts for (always in the order nav_kontor, veileder,
/// person_id).
#[derive(Debug, Clone, Copy)]
pub enum Persons<'a> {
    /// Everyone in `personer`.
    All,
    /// One person, with every condition's outcome.
    One(&'a str),
    /// The persons listed, and every person one of `rules` (positions in the rule set) fires
    /// for. A comparison of two rule sets needs verdicts only where a rule that differs fired
    /// under either set: everyone else's outcome is the same under both.
    Touched {
        ids: &'a rustc_hash::FxHashSet<String>,
        rules: &'a [usize],
    },
}

impl<'a> Persons<'a> {
    fn one(self) -> Option<&'a str> {
        match self {
            Persons::One(id) => Some(id),
            _ => None,
        }
    }
}

/// A rule's sentence for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub rule: String,
    /// Shared: many persons get the same sentence, and it is never copied per person.
    pub text: Arc<str>,
    /// The decisive fact in a few words (the rule file's `kort_forklaring`), for the printed
    /// worklist.
    pub kort: Option<Arc<str>>,
}

/// A fired rule's sentence and its short form.
#[derive(Debug, Clone)]
struct Sentence {
    text: Arc<str>,
    kort: Option<Arc<str>>,
}

impl Verdict {
    pub fn sentences(&self) -> Vec<&str> {
        self.begrunnelse.iter().map(|e| &*e.text).collect()
    }

    /// What became of one rule for this person: `treff`, `uavklart` or `ikke_treff`.
    pub fn outcome(&self, rule: &str) -> Outcome {
        if self
            .treff
            .iter()
            .chain(&self.eksklusjoner)
            .chain(&self.hint)
            .any(|r| r == rule)
        {
            Outcome::Treff
        } else if self.uavklart.iter().any(|r| r == rule) {
            Outcome::Uavklart
        } else {
            Outcome::IkkeTreff
        }
    }

    /// The sentence a rule gave this person, if any.
    pub fn sentence(&self, rule: &str) -> Option<&str> {
        self.begrunnelse
            .iter()
            .find(|e| e.rule == rule)
            .map(|e| &*e.text)
    }
}

/// Statuses on many scan dates: one row per (date, person) whose status is not `ikke_treff`.
#[derive(Debug, Clone, Default)]
pub struct DatedStatuses {
    /// The person ids; rows refer to them by position.
    pub persons: Vec<String>,
    /// Sorted by date; the order of persons within a date is not specified.
    pub rows: Vec<DatedStatus>,
}

/// A person's status on one scan date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedStatus {
    pub dato: NaiveDate,
    /// Position in `DatedStatuses::persons`.
    pub person: u32,
    pub status: Status,
    /// The candidate rules that fired, as positions in the rule set, in rule-set order.
    pub treff: Vec<usize>,
}

/// Counts from one evaluation.
#[derive(Debug, Clone, Default)]
pub struct EvalStats {
    pub persons: u64,
    pub per_status: BTreeMap<Status, u64>,
    pub per_rule: BTreeMap<String, u64>,
    pub undecided_rules: Vec<String>,
}

pub struct Engine {
    ctx: SessionContext,
    /// The latest scan date: the parameters in force.
    as_of: NaiveDate,
    /// How many scan dates the fact views hold.
    dates: usize,
    missing: Vec<&'static str>,
    ytelser_present: bool,
    /// What a session that evaluates several rule sets (`compare`) keeps between them.
    memo: Option<std::sync::Mutex<Memory>>,
}

/// Kept between evaluations of one session: a rule unchanged between two rule sets is not run
/// twice, and the persons' key facts (which no rule changes) are queried once.
#[derive(Default)]
struct Memory {
    /// Rendered rows per (rule fingerprint, language).
    rows: HashMap<(u64, Lang), RuleRows>,
    key_facts: Option<Vec<RecordBatch>>,
}

/// A rule's fingerprint in a session (see [`PlannedRule::fingerprint`]).
fn fingerprint(
    rule: &Rule,
    params: &BTreeMap<String, crate::rules::ParamValue>,
    earlier: &[(String, u64)],
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&rule.id, &rule.sql, &rule.template_nb, &rule.template_en).hash(&mut h);
    (&rule.title_nb, &rule.title_en, &rule.krever).hash(&mut h);
    let rest = format!("{:?}{:?}{params:?}", rule.hjemmel, rule.gir_status);
    (rule.kind.as_str(), rest).hash(&mut h);
    for k in &rule.krav {
        (&k.name, &k.nb, &k.en).hash(&mut h);
    }
    for (view, fp) in earlier {
        if rule.sql.contains(view.as_str()) {
            (view, fp).hash(&mut h);
        }
    }
    h.finish()
}

/// A rule's rendered rows (person id, row), kept for reuse.
type RuleRows = Arc<Vec<(Arc<str>, Rendered)>>;

/// What one row of a rule's result gave: a fired rule's sentence or a condition's text.
#[derive(Clone)]
enum Rendered {
    Hit(Sentence),
    Krav(Arc<KravCheck>),
}

/// Texts already rendered by one thread, per (rule work, template): template 0 is the
/// sentence, 1 + k the rule's k-th condition.
type RenderCache = rustc_hash::FxHashMap<(usize, usize), Memo>;

/// One template's texts by the values of the columns it reads (in Arrow's row format). A
/// template's text depends only on those values and the rule's shared ones, and many persons
/// share them (9 of 12 months, last in november), so most rows need no rendering at all. A
/// template whose values are seldom shared (dates, lists) stops being remembered.
#[derive(Default)]
struct Memo {
    texts: rustc_hash::FxHashMap<Box<[u8]>, Arc<str>>,
    hits: u64,
    misses: u64,
}

impl Memo {
    /// Whether remembering still pays: after a first stretch, at least one row in four found
    /// its text.
    fn worth_it(&self) -> bool {
        self.misses < 2_000 || self.hits * 3 >= self.misses
    }
}

/// The cache keys of one template over a batch.
enum Keys {
    /// The template reads no column: one text for every row.
    Same,
    Rows(datafusion::arrow::row::Rows),
    /// A column type the row format does not take: render every row.
    Unkeyed,
}

impl Keys {
    fn of(batch: &RecordBatch, cols: &[usize]) -> Keys {
        use datafusion::arrow::row::{RowConverter, SortField};
        if cols.is_empty() {
            return Keys::Same;
        }
        let fields = cols
            .iter()
            .map(|c| SortField::new(batch.column(*c).data_type().clone()))
            .collect();
        let arrays: Vec<ArrayRef> = cols.iter().map(|c| batch.column(*c).clone()).collect();
        match RowConverter::new(fields).and_then(|conv| conv.convert_columns(&arrays)) {
            Ok(rows) => Keys::Rows(rows),
            Err(_) => Keys::Unkeyed,
        }
    }

    fn get(&self, row: usize) -> Option<&[u8]> {
        match self {
            Keys::Same => Some(&[]),
            Keys::Rows(r) => Some(r.row(row).data()),
            Keys::Unkeyed => None,
        }
    }
}

/// A rule's compiled templates and shared template context, for rendering its rows.
struct RuleWork<'a, 'e> {
    planned: &'a PlannedRule<'a>,
    lang: Lang,
    tmpl: minijinja::Template<'e, 'e>,
    krav: Vec<minijinja::Template<'e, 'e>>,
    /// The decisive fact in a few words (`kort_forklaring`), rendered beside the sentence.
    short: Option<minijinja::Template<'e, 'e>>,
    /// The variables each template reads: the sentence's, each condition's, the short form's.
    reads: Vec<std::collections::HashSet<String>>,
    base: minijinja::Value,
}

impl<'a, 'e> RuleWork<'a, 'e> {
    fn new(
        env: &'e minijinja::Environment<'e>,
        p: &'a PlannedRule<'a>,
        lang: Lang,
        as_of: NaiveDate,
    ) -> Result<Self, EngineError>
    where
        'a: 'e,
    {
        let template_error = |e: minijinja::Error| EngineError::Template {
            rule: p.rule.id.clone(),
            lang,
            message: e.to_string(),
        };
        let tmpl = env
            .template_from_str(p.rule.template(lang))
            .map_err(template_error)?;
        let krav = p
            .rule
            .krav
            .iter()
            .map(|k| env.template_from_str(k.text(lang)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(template_error)?;
        let short = p
            .rule
            .short_template(lang)
            .map(|t| env.template_from_str(t))
            .transpose()
            .map_err(template_error)?;
        let mut base: BTreeMap<String, minijinja::Value> = p
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.template_value()))
            .collect();
        base.insert("hjemmel".into(), p.rule.hjemmel.render(lang).into());
        base.insert("tittel".into(), p.rule.title(lang).into());
        base.insert(
            "skanningsdato".into(),
            as_of.format("%Y-%m-%d").to_string().into(),
        );
        let reads = std::iter::once(&tmpl)
            .chain(&krav)
            .chain(&short)
            .map(|t| t.undeclared_variables(false))
            .collect();
        Ok(RuleWork {
            planned: p,
            lang,
            tmpl,
            krav,
            short,
            reads,
            base: minijinja::Value::from(base),
        })
    }

    fn template_error(&self, e: minijinja::Error) -> EngineError {
        EngineError::Template {
            rule: self.planned.rule.id.clone(),
            lang: self.lang,
            message: e.to_string(),
        }
    }

    /// Renders one batch of the rule's rows: for a scan, the sentence of every row whose
    /// conditions all hold and the failed condition of every row that misses by one; for one
    /// person (`only`), every condition with its outcome as well.
    fn render(
        &self,
        batch: &RecordBatch,
        only: Option<&str>,
        (work, cache): (usize, &mut RenderCache),
    ) -> Result<Vec<(Arc<str>, Rendered)>, EngineError> {
        let rule = self.planned.rule;
        let schema = batch.schema();
        let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
        let context = Arc::new(values::BatchContext {
            batch: batch.clone(),
            base: self.base.clone(),
        });
        // For each template, the columns it reads: their values are its cache key.
        let key_cols: Vec<Vec<usize>> = self
            .reads
            .iter()
            .map(|vars| {
                (0..names.len())
                    .filter(|c| vars.contains(names[*c].as_str()))
                    .collect()
            })
            .collect();
        let keys: Vec<Keys> = key_cols.iter().map(|c| Keys::of(batch, c)).collect();
        let mut text = |t: usize, row: usize| -> Result<Arc<str>, EngineError> {
            let memo = cache.entry((work, t)).or_default();
            let key = keys[t].get(row).filter(|_| memo.worth_it());
            if let Some(k) = key {
                if let Some(s) = memo.texts.get(k) {
                    memo.hits += 1;
                    return Ok(s.clone());
                }
                memo.misses += 1;
            }
            let ctx = values::row_context(&context, row);
            let template = match t {
                0 => &self.tmpl,
                t if t <= self.krav.len() => &self.krav[t - 1],
                _ => self.short.as_ref().expect("a short form"),
            };
            let s: Arc<str> = template
                .render(&ctx)
                .map_err(|e| self.template_error(e))?
                .trim()
                .into();
            if let Some(k) = key {
                memo.texts.insert(k.into(), s.clone());
            }
            Ok(s)
        };
        let krav_cols: Vec<(usize, usize)> = rule
            .krav
            .iter()
            .enumerate()
            .filter_map(|(k, kr)| {
                names
                    .iter()
                    .position(|n| **n == kr.column())
                    .map(|c| (k, c))
            })
            .collect();
        let ids = batch
            .column_by_name("person_id")
            .expect("checked when planned");
        let ids = datafusion::arrow::compute::cast(ids, &DataType::Utf8)
            .map_err(DataFusionError::from)?;
        let ids = ids.as_string::<i32>();
        let mut out = Vec::new();
        for row in 0..batch.num_rows() {
            if ids.is_null(row) {
                continue;
            }
            let id = ids.value(row);
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let failed: Vec<usize> = krav_cols
                .iter()
                .filter(|(_, c)| {
                    let a = batch.column(*c).as_boolean();
                    a.is_null(row) || !a.value(row)
                })
                .map(|(k, _)| *k)
                .collect();
            // Rows missed by more than one condition need no text at all.
            if only.is_none() && failed.len() > 1 {
                continue;
            }
            // A scan keeps the failed condition of a near miss; one person's explanation
            // keeps every condition with its outcome.
            let keep: Vec<usize> = match (only, &failed[..]) {
                (Some(_), _) => (0..self.krav.len()).collect(),
                (None, [k]) => vec![*k],
                _ => Vec::new(),
            };
            let id: Arc<str> = id.into();
            for k in keep {
                let text = text(1 + k, row)?.to_string();
                out.push((
                    Arc::clone(&id),
                    Rendered::Krav(Arc::new(KravCheck {
                        rule: rule.id.clone(),
                        krav: rule.krav[k].name.clone(),
                        oppfylt: !failed.contains(&k),
                        text,
                    })),
                ));
            }
            if !failed.is_empty() {
                continue;
            }
            let kort = match self.short {
                Some(_) => Some(text(1 + self.krav.len(), row)?),
                None => None,
            };
            let sentence = Sentence {
                text: text(0, row)?,
                kort,
            };
            out.push((id, Rendered::Hit(sentence)));
        }
        Ok(out)
    }
}

/// Rules and facts may only query: no DDL, no DML, no statements.
fn sql_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

impl Engine {
    /// Builds a session over a loaded dataset for one scan date, with the fact views registered.
    pub async fn new(
        data: &Dataset,
        as_of: NaiveDate,
        opts: &EngineOptions,
    ) -> Result<Engine, EngineError> {
        Engine::for_dates(data, &[as_of], opts).await
    }

    /// Builds a session whose fact views have one row per scan date and person, for evaluating
    /// many dates in one pass. The dataset must be loaded as of the latest date; each view
    /// keeps only the rows dated on or before its scan date. Parameters are those in force on
    /// the latest date (callers group dates by parameters).
    pub async fn for_dates(
        data: &Dataset,
        dates: &[NaiveDate],
        opts: &EngineOptions,
    ) -> Result<Engine, EngineError> {
        let as_of = *dates.iter().max().expect("at least one scan date");
        let config = SessionConfig::new()
            .with_target_partitions(opts.target_partitions.max(1))
            .with_information_schema(false)
            .set_bool("datafusion.sql_parser.collect_spans", true)
            .set_bool("datafusion.sql_parser.enable_ident_normalization", true);
        let mut rt = RuntimeEnvBuilder::new();
        if let Some(limit) = opts.memory_limit {
            rt = rt.with_memory_pool(Arc::new(FairSpillPool::new(limit)));
        }
        let ctx = SessionContext::new_with_config_rt(config, rt.build_arc()?);
        ctx.register_udf(trekk_maneder_udf());
        for (name, table) in &data.tables {
            let schema = table.spec.schema();
            let parts = split_partitions(&table.batches, opts.target_partitions.max(1));
            let mem = MemTable::try_new(schema, parts)?;
            ctx.register_table(*name, Arc::new(mem))?;
        }
        for (name, batch) in [
            (facts::DATES, facts::dates_batch(dates)?),
            (facts::DATE_MONTHS, facts::date_months_batch(dates)?),
        ] {
            let mem = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
            ctx.register_table(name, Arc::new(mem))?;
        }
        // Months with stønad: one pass over the payments in Rust (the part that does not depend
        // on the dates), on a thread of its own while the other facts are computed.
        let payments = data.tables["okonomisk_stonad"].batches.clone();
        let known_dates = dates.to_vec();
        let threads = opts.target_partitions.max(1);
        let known = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            facts::stonad_kjent(&payments, &known_dates, threads).map(|k| (k, started.elapsed()))
        });
        // Which vedtak and which KVP event is in force when: one sort each, in Rust.
        let dmax = days_since_epoch(as_of);
        let by_event: facts::RankBy = ("hendelse", facts::event_rank);
        for (name, table, date_col, rank_by) in [
            (
                facts::VEDTAK_NESTE,
                "oppfolgingsvedtak",
                "vedtak_dato",
                None,
            ),
            (
                facts::HENDELSER_NESTE,
                "kvp_hendelser",
                "dato",
                Some(by_event),
            ),
        ] {
            let t = &data.tables[table];
            let (schema, batches) =
                facts::with_next_date(&t.spec.schema(), &t.batches, date_col, dmax, rank_by)?;
            let parts = split_partitions(&batches, opts.target_partitions.max(1));
            ctx.register_table(name, Arc::new(MemTable::try_new(schema, parts)?))?;
        }
        // Each fact is computed once and kept in memory: several rules read the same facts,
        // and none of them re-reads the contract tables to get them. With many dates they grow
        // with the dates and are computed as read (months with stønad are kept, above).
        let empty = data.tables.values().all(|t| t.batches.is_empty());
        let views = facts::views();
        let eager = views.iter().filter(|v| !v.lazy);
        let computed = futures::future::try_join_all(eager.map(|view| {
            let ctx = &ctx;
            async move {
                let started = std::time::Instant::now();
                let df = ctx.sql_with_options(&view.sql, sql_options()).await?;
                let keep = !empty && dates.len() == 1;
                let table = if keep {
                    df.cache().await?.into_view()
                } else {
                    df.into_view()
                };
                debug!(
                    fact = view.name,
                    kept = keep,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "fact computed"
                );
                Ok::<_, DataFusionError>((view.name, table))
            }
        }))
        .await?;
        for (name, table) in computed {
            ctx.register_table(name, table)?;
        }
        let (known, known_took) = known
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))??;
        debug!(
            fact = facts::STONAD_KJENT,
            rows = known.iter().map(|b| b.num_rows()).sum::<usize>(),
            elapsed_ms = known_took.as_millis() as u64,
            "fact computed"
        );
        let schema = known[0].schema();
        let parts = split_partitions(&known, opts.target_partitions.max(1));
        ctx.register_table(
            facts::STONAD_KJENT,
            Arc::new(MemTable::try_new(schema, parts)?),
        )?;
        for view in views.iter().filter(|v| v.lazy) {
            let df = ctx.sql_with_options(&view.sql, sql_options()).await?;
            ctx.register_table(view.name, df.into_view())?;
        }
        Ok(Engine {
            ctx,
            as_of,
            dates: dates.len(),
            missing: data.missing_tables(),
            ytelser_present: data.tables["ytelser"].present,
            memo: None,
        })
    }

    /// Keeps every rule's rendered rows until the next evaluation in the session, which uses
    /// (and takes) the rows of each rule whose fingerprint is unchanged instead of running it;
    /// the persons' key facts are queried once for all evaluations.
    pub fn with_rule_memo(mut self) -> Engine {
        self.memo = Some(Default::default());
        self
    }

    /// The session itself, for the rule checks of this module.
    pub(crate) fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// A read-only query over the tables and facts (no DDL, DML or statements, as for rules),
    /// streamed a batch at a time.
    pub async fn query(
        &self,
        sql: &str,
    ) -> Result<datafusion::physical_plan::SendableRecordBatchStream, EngineError> {
        let df = self.ctx.sql_with_options(sql, sql_options()).await?;
        Ok(df.execute_stream().await?)
    }

    /// A read-only query with `$name` parameters, collected.
    pub async fn query_with(
        &self,
        sql: &str,
        params: Vec<(&str, ScalarValue)>,
    ) -> Result<Vec<RecordBatch>, EngineError> {
        let df = self.ctx.sql_with_options(sql, sql_options()).await?;
        Ok(df
            .with_param_values(ParamValues::from(params))?
            .collect()
            .await?)
    }

    /// Makes a table of the caller's rows visible to its later queries under `name` (which
    /// must not be a contract table or fact).
    pub fn register_rows(&self, name: &str, batch: RecordBatch) -> Result<(), EngineError> {
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        self.ctx.register_table(name, Arc::new(table))?;
        Ok(())
    }

    /// Removes a table [`Engine::register_rows`] made.
    pub fn deregister_rows(&self, name: &str) -> Result<(), EngineError> {
        self.ctx.deregister_table(name)?;
        Ok(())
    }

    /// Plans one rule's SQL with its parameters (`$name`) bound.
    pub async fn plan_sql(
        &self,
        rule: &Rule,
        params: &BTreeMap<String, crate::rules::ParamValue>,
    ) -> Result<DataFrame, EngineError> {
        let plan_err = |source| EngineError::Plan {
            rule: rule.id.clone(),
            source,
        };
        let df = self
            .ctx
            .sql_with_options(&rule.sql, sql_options())
            .await
            .map_err(plan_err)?;
        let values: HashMap<String, ScalarValue> = params
            .iter()
            .map(|(k, v)| (k.clone(), v.scalar()))
            .collect();
        let df = df
            .with_param_values(ParamValues::from(values))
            .map_err(plan_err)?;
        match df.schema().field_with_unqualified_name("person_id") {
            Ok(f)
                if matches!(
                    f.data_type(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) => {}
            _ => {
                return Err(EngineError::NoPersonId {
                    rule: rule.id.clone(),
                });
            }
        }
        match df.schema().field_with_unqualified_name("skanningsdato") {
            Ok(f) if f.data_type() == &DataType::Date32 => Ok(df),
            _ => Err(EngineError::NoScanDate {
                rule: rule.id.clone(),
            }),
        }
    }

    /// Plans every rule in order and registers its result as `regel_<id>`, replacing the view
    /// of an earlier plan in the session (`compare` plans two rule sets on one session; a plan
    /// already made keeps the views it was planned with).
    pub async fn plan_rules<'a>(
        &self,
        rules: &'a RuleSet,
        overrides: &HashMap<String, BTreeMap<String, crate::rules::ParamValue>>,
    ) -> Result<Vec<PlannedRule<'a>>, EngineError> {
        let mut planned = Vec::new();
        let mut fingerprints: Vec<(String, u64)> = Vec::new();
        for (index, rule) in rules.rules.iter().enumerate() {
            let mut params = rule.params_at(self.as_of);
            if let Some(o) = overrides.get(&rule.id) {
                params.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let fingerprint = fingerprint(rule, &params, &fingerprints);
            fingerprints.push((rule.view_name(), fingerprint));
            let df = self.plan_sql(rule, &params).await?;
            // Other rules see only the persons the rule fires for: all its conditions hold.
            self.ctx.deregister_table(rule.view_name())?;
            self.ctx
                .register_table(rule.view_name(), fired_only(rule, df.clone())?.into_view())?;
            let decidable = rule.krever.iter().all(|t| !self.missing.contains(t));
            planned.push(PlannedRule {
                rule,
                index,
                frame: decidable.then_some(df),
                params,
                fingerprint,
            });
        }
        Ok(planned)
    }

    /// Runs every decidable rule and renders its explanation for each person it fires for.
    /// The rules' queries run concurrently; their rows are then rendered on every core and
    /// put together in rule order, so the result does not depend on the threads.
    async fn rule_hits(
        &self,
        planned: &[PlannedRule<'_>],
        lang: Lang,
        persons: Persons<'_>,
    ) -> Result<RuleHits, EngineError> {
        let started = std::time::Instant::now();
        let only = persons.one();
        let decidable: Vec<&PlannedRule> = planned.iter().filter(|p| p.frame.is_some()).collect();
        // rules whose rows this session has rendered already (same fingerprint) are not run
        let memo = self.memo.as_ref().filter(|_| only.is_none());
        let remembered: Vec<Option<RuleRows>> = decidable
            .iter()
            .map(|p| {
                // taken: the next evaluation with the same rule uses them, once
                let mut m = memo?.lock().expect("memo lock");
                m.rows.remove(&(p.fingerprint, lang))
            })
            .collect();
        let todo: Vec<usize> = (0..decidable.len())
            .filter(|w| remembered[*w].is_none())
            .collect();
        let results =
            futures::future::try_join_all(todo.iter().map(|w| decidable[*w]).map(|p| async move {
                let df = p.frame.clone().expect("decidable");
                let rule_started = std::time::Instant::now();
                let batches = match only {
                    // One person: filter before the rule's rows are collected.
                    Some(o) => {
                        df.filter(col("person_id").eq(datafusion::prelude::lit(o)))?
                            .collect()
                            .await?
                    }
                    None => df.collect().await?,
                };
                debug!(
                    rule = %p.rule.id,
                    rows = batches.iter().map(|b| b.num_rows()).sum::<usize>(),
                    elapsed_ms = rule_started.elapsed().as_millis() as u64,
                    "rule queried"
                );
                Ok::<_, DataFusionError>(batches)
            }))
            .await?;
        let queried = started.elapsed();

        let env = template::environment(lang);
        let works = decidable
            .iter()
            .map(|p| RuleWork::new(&env, p, lang, self.as_of))
            .collect::<Result<Vec<_>, _>>()?;
        let items: Vec<(usize, &RecordBatch)> = results
            .iter()
            .zip(&todo)
            .flat_map(|(batches, w)| batches.iter().map(move |b| (*w, b)))
            .collect();
        // each rayon job keeps a cache of texts while it renders its batches
        let rendered: Vec<_> = {
            use rayon::prelude::*;
            items
                .par_iter()
                .map_init(RenderCache::default, |cache, (w, batch)| {
                    works[*w].render(batch, only, (*w, cache))
                })
                .collect()
        };
        // The rules' rows are not needed once rendered.
        let batch_rules: Vec<usize> = items.iter().map(|(w, _)| *w).collect();
        drop(items);
        drop(results);
        let rendered_at = started.elapsed();
        // each rule's rows in batch order: fresh, or as this session rendered them before
        let mut fresh: Vec<Vec<(Arc<str>, Rendered)>> =
            (0..works.len()).map(|_| Vec::new()).collect();
        for (w, out) in batch_rules.iter().zip(rendered) {
            fresh[*w].extend(out?);
        }
        let all: Vec<RuleRows> = fresh
            .into_iter()
            .zip(remembered)
            .zip(&works)
            .map(|((rows, kept), work)| match (kept, memo) {
                (Some(kept), _) => kept,
                (None, Some(m)) => {
                    let rows = Arc::new(rows);
                    let mut m = m.lock().expect("memo lock");
                    m.rows
                        .insert((work.planned.fingerprint, lang), Arc::clone(&rows));
                    rows
                }
                (None, None) => Arc::new(rows),
            })
            .collect();
        let touched = match persons {
            Persons::Touched { ids, rules } => {
                let mut set: rustc_hash::FxHashSet<Arc<str>> =
                    ids.iter().map(|id| Arc::from(id.as_str())).collect();
                for (rows, work) in all.iter().zip(&works) {
                    if rules.contains(&work.planned.index) {
                        set.extend(
                            rows.iter()
                                .filter(|(_, r)| matches!(r, Rendered::Hit(_)))
                                .map(|(id, _)| Arc::clone(id)),
                        );
                    }
                }
                Some(set)
            }
            Persons::All | Persons::One(_) => None,
        };
        let mut hits = Hits::default();
        let mut near = NearMisses::default();
        let mut per_rule = vec![0u64; works.len()];
        for (w, rows) in all.into_iter().enumerate() {
            let work = &works[w];
            let mut add = |id: Arc<str>, row: Rendered| -> Result<(), EngineError> {
                match row {
                    Rendered::Krav(k) => near.entry(id).or_default().push(k),
                    Rendered::Hit(sentence) => {
                        let entry = hits.entry(id).or_default();
                        if entry.iter().any(|(r, _)| *r == work.planned.index) {
                            return Err(EngineError::DuplicatePerson {
                                rule: work.planned.rule.id.clone(),
                            });
                        }
                        entry.push((work.planned.index, sentence));
                        per_rule[w] += 1;
                    }
                }
                Ok(())
            };
            let wanted = |id: &str| touched.as_ref().is_none_or(|t| t.contains(id));
            // rows no one else holds are moved; rows the session keeps are shared
            match Arc::try_unwrap(rows) {
                Ok(rows) => {
                    for (id, row) in rows.into_iter().filter(|(id, _)| wanted(id)) {
                        add(id, row)?;
                    }
                }
                Err(shared) => {
                    for (id, row) in shared.iter().filter(|(id, _)| wanted(id)) {
                        add(Arc::clone(id), row.clone())?;
                    }
                }
            }
        }
        for (work, n) in works.iter().zip(per_rule) {
            debug!(rule = %work.planned.rule.id, hits = n, "rule evaluated");
        }
        debug!(
            query_ms = queried.as_millis() as u64,
            render_ms = (rendered_at - queried).as_millis() as u64,
            merge_ms = (started.elapsed() - rendered_at).as_millis() as u64,
            "rules evaluated"
        );
        Ok(RuleHits {
            hits,
            near,
            touched,
        })
    }

    /// Evaluates every rule for every person (or one person) and hands each verdict to `sink`,
    /// in the order nav_kontor, veileder, person_id.
    pub async fn evaluate(
        &self,
        rules: &RuleSet,
        planned: &[PlannedRule<'_>],
        lang: Lang,
        only: Option<&str>,
        sink: impl FnMut(Verdict) -> anyhow::Result<()> + Send,
    ) -> anyhow::Result<EvalStats> {
        let persons = only.map_or(Persons::All, Persons::One);
        self.evaluate_persons(rules, planned, lang, persons, sink)
            .await
    }

    /// Evaluates every rule and hands the verdict of each person `persons` selects to `sink`,
    /// in the order nav_kontor, veileder, person_id. The counts cover those persons only.
    pub async fn evaluate_persons(
        &self,
        rules: &RuleSet,
        planned: &[PlannedRule<'_>],
        lang: Lang,
        persons: Persons<'_>,
        mut sink: impl FnMut(Verdict) -> anyhow::Result<()> + Send,
    ) -> anyhow::Result<EvalStats> {
        anyhow::ensure!(
            self.dates == 1,
            "a full evaluation needs a session with one scan date"
        );
        let started = std::time::Instant::now();
        let only = persons.one();
        // Every person's key facts, queried while the rules run and render (once per session
        // when it evaluates several rule sets).
        let memo = self.memo.as_ref().filter(|_| only.is_none());
        let kept = memo.and_then(|m| m.lock().expect("memo lock").key_facts.clone());
        let key_facts = match kept {
            Some(batches) => tokio::spawn(async move { Ok(batches) }),
            None => {
                let mut sql = facts::KEY_FACTS.to_string();
                if only.is_some() {
                    sql.push_str(" WHERE p.person_id = $person");
                }
                sql.push_str(" ORDER BY p.nav_kontor, p.veileder NULLS LAST, p.person_id");
                let mut df = self.ctx.sql_with_options(&sql, sql_options()).await?;
                if let Some(o) = only {
                    df = df.with_param_values(ParamValues::from(vec![(
                        "person",
                        ScalarValue::Utf8(Some(o.to_string())),
                    )]))?;
                }
                tokio::spawn(df.collect())
            }
        };
        let RuleHits {
            mut hits,
            mut near,
            touched,
        } = self.rule_hits(planned, lang, persons).await?;
        let key_facts = key_facts
            .await
            .map_err(|e| anyhow::anyhow!("key facts query stopped: {e}"))??;
        if let Some(m) = memo {
            m.lock().expect("memo lock").key_facts = Some(key_facts.clone());
        }
        let wanted = |batch: &RecordBatch, row: usize| {
            touched
                .as_ref()
                .is_none_or(|t| t.contains(values::string(batch.column(1), row).as_str()))
        };
        let undecided: Vec<&PlannedRule> = planned.iter().filter(|p| p.frame.is_none()).collect();
        let mut stats = EvalStats {
            undecided_rules: undecided.iter().map(|p| p.rule.id.clone()).collect(),
            ..Default::default()
        };
        let undecided_sentences: Vec<Explanation> = undecided
            .iter()
            .map(|p| {
                let tables: Vec<String> = p.rule.krever.iter().filter(|t| self.missing.contains(t)).map(|t| t.to_string()).collect();
                let tables = template::join_list(&tables, lang);
                let text = match lang {
                    Lang::Nb => format!(
                        "«{}» er ikke vurdert: {tables} mangler i uttrekket, så det er ukjent om regelen slår til.",
                        p.rule.title(lang)
                    ),
                    Lang::En => format!(
                        "\"{}\" was not assessed: {tables} is missing from the export, so whether it applies is unknown.",
                        p.rule.title(lang)
                    ),
                };
                Explanation { rule: p.rule.id.clone(), text: text.into(), kort: None }
            })
            .collect();

        // Verdicts are made here and written by the sink on another thread, a batch at a time.
        let verdicts_started = std::time::Instant::now();
        let sink_busy = std::thread::scope(|scope| -> anyhow::Result<std::time::Duration> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Verdict>>(4);
            let writer = scope.spawn(move || -> anyhow::Result<std::time::Duration> {
                let mut busy = std::time::Duration::ZERO;
                for chunk in rx {
                    let t = std::time::Instant::now();
                    for v in chunk {
                        sink(v)?;
                    }
                    busy += t.elapsed();
                }
                Ok(busy)
            });
            for batch in &key_facts {
                let names: Vec<&str> = batch
                    .schema_ref()
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect();
                assert_eq!(
                    names,
                    facts::KEY_FACT_COLUMNS,
                    "key facts come in KEY_FACTS's order"
                );
                let mut chunk = Vec::with_capacity(batch.num_rows());
                for row in 0..batch.num_rows() {
                    if !wanted(batch, row) {
                        continue;
                    }
                    let facts = self.person_facts(batch, row);
                    let fired = hits.remove(facts.person_id.as_str()).unwrap_or_default();
                    let naer = near.remove(facts.person_id.as_str()).unwrap_or_default();
                    let v = verdict(
                        rules,
                        facts,
                        fired,
                        naer,
                        &stats.undecided_rules,
                        &undecided_sentences,
                    );
                    stats.persons += 1;
                    *stats.per_status.entry(v.status).or_default() += 1;
                    for id in v.treff.iter().chain(&v.eksklusjoner).chain(&v.hint) {
                        match stats.per_rule.get_mut(id) {
                            Some(n) => *n += 1,
                            None => {
                                stats.per_rule.insert(id.clone(), 1);
                            }
                        }
                    }
                    chunk.push(v);
                }
                // A closed channel means the writer stopped on an error, returned below.
                if tx.send(chunk).is_err() {
                    break;
                }
            }
            drop(tx);
            writer.join().expect("the writer thread does not panic")
        })?;
        debug!(
            verdicts_ms = verdicts_started.elapsed().as_millis() as u64,
            sink_ms = sink_busy.as_millis() as u64,
            "verdicts written"
        );
        if !hits.is_empty() {
            tracing::warn!(
                count = hits.len(),
                "rules returned ids that are not in personer; they were not used"
            );
        }
        info!(
            persons = stats.persons,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "evaluation done"
        );
        Ok(stats)
    }

    /// For every scan date of the session, every person whose status is not `ikke_treff` (a
    /// candidate rule or an exclusion that sets a status of its own fired), with the status and
    /// the candidate rules that fired, in one pass: each rule runs once over all dates. Hints are
    /// not run (they never change a status); the other exclusions are only looked up for the
    /// (date, person) pairs already found.
    pub async fn dated_statuses(
        &self,
        rules: &RuleSet,
        planned: &[PlannedRule<'_>],
    ) -> Result<DatedStatuses, EngineError> {
        let started = std::time::Instant::now();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut ids: Vec<String> = Vec::new();
        let mut fired: HashMap<(i32, u32), Vec<usize>> = HashMap::new();
        let opens = |p: &&PlannedRule| {
            p.rule.kind == Kind::Kandidat
                || (p.rule.kind == Kind::Eksklusjon && p.rule.gir_status.is_some())
        };
        let order = planned.iter().filter(opens).chain(
            planned
                .iter()
                .filter(|p| p.rule.kind == Kind::Eksklusjon && p.rule.gir_status.is_none()),
        );
        for p in order {
            let Some(df) = &p.frame else { continue };
            let rule_started = std::time::Instant::now();
            let opens_pair = opens(&p);
            let df =
                fired_only(p.rule, df.clone())?.select_columns(&["skanningsdato", "person_id"])?;
            let mut stream = df.execute_stream().await?;
            let mut rows = 0u64;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                let dates = batch.column(0).as_primitive::<Date32Type>();
                let pids = datafusion::arrow::compute::cast(batch.column(1), &DataType::Utf8)
                    .map_err(DataFusionError::from)?;
                let pids = pids.as_string::<i32>();
                for row in 0..batch.num_rows() {
                    if pids.is_null(row) || dates.is_null(row) {
                        continue;
                    }
                    rows += 1;
                    let id = pids.value(row);
                    let entry = if opens_pair {
                        let n = match index.get(id) {
                            Some(n) => *n,
                            None => {
                                ids.push(id.to_string());
                                index.insert(id.to_string(), ids.len() as u32 - 1);
                                ids.len() as u32 - 1
                            }
                        };
                        fired.entry((dates.value(row), n)).or_default()
                    } else {
                        match index
                            .get(id)
                            .and_then(|n| fired.get_mut(&(dates.value(row), *n)))
                        {
                            Some(e) => e,
                            None => continue,
                        }
                    };
                    if entry.last() == Some(&p.index) {
                        return Err(EngineError::DuplicatePerson {
                            rule: p.rule.id.clone(),
                        });
                    }
                    entry.push(p.index);
                }
            }
            debug!(
                rule = %p.rule.id,
                rows,
                elapsed_ms = rule_started.elapsed().as_millis() as u64,
                "rule evaluated for all dates"
            );
        }
        let mut rows: Vec<DatedStatus> = fired
            .into_iter()
            .map(|((d, person), mut idx)| {
                let status = status_of(rules, idx.iter().copied());
                idx.retain(|i| rules.rules[*i].kind == Kind::Kandidat);
                DatedStatus {
                    dato: date_from_days(d),
                    person,
                    status,
                    treff: idx,
                }
            })
            .collect();
        rows.sort_unstable_by_key(|r| (r.dato, r.person));
        info!(
            dates = self.dates,
            pairs = rows.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "statuses for all dates"
        );
        Ok(DatedStatuses { persons: ids, rows })
    }

    fn person_facts(&self, b: &RecordBatch, row: usize) -> PersonFacts {
        // Columns by position: KEY_FACTS's select list (`evaluate` checks each batch's names).
        let c = |i: usize| b.column(i);
        let s = |i: usize| -> Option<String> {
            (!c(i).is_null(row)).then(|| values::string(c(i), row))
        };
        let i = |i: usize| -> Option<i64> {
            (!c(i).is_null(row)).then(|| c(i).as_primitive::<Int64Type>().value(row))
        };
        let d = |i: usize| -> Option<NaiveDate> {
            (!c(i).is_null(row))
                .then(|| date_from_days(c(i).as_primitive::<Date32Type>().value(row)))
        };
        let ytelser = {
            let c = c(12);
            if c.is_null(row) {
                self.ytelser_present.then(Vec::new)
            } else {
                let list = c.as_list::<i32>().value(row);
                Some(
                    (0..list.len())
                        .filter(|j| !list.is_null(*j))
                        .map(|j| values::string(&list, j))
                        .collect(),
                )
            }
        };
        PersonFacts {
            person_id: s(1).unwrap_or_default(),
            nav_kontor: s(2).unwrap_or_default(),
            veileder: s(3),
            kommune_nr: s(4).unwrap_or_default(),
            kjonn: s(5),
            adressebeskyttelse: s(6),
            alder: i(7).unwrap_or_default(),
            stonadsmaneder_siste_12: i(8).unwrap_or_default(),
            siste_stonadsmaned: d(9),
            innsatsgruppe: s(10),
            vedtak_dato: d(11),
            livsoppholdsytelser: ytelser,
            kvp_tilstand: s(13),
            kvp_siste_hendelse: s(14),
            kvp_siste_dato: d(15),
        }
    }
}

/// One person's verdict from the rules that fired for them.
fn verdict(
    rules: &RuleSet,
    facts: PersonFacts,
    mut fired: Vec<(usize, Sentence)>,
    krav: Vec<Arc<KravCheck>>,
    undecided: &[String],
    undecided_sentences: &[Explanation],
) -> Verdict {
    fired.sort_by_key(|(i, _)| *i);
    // a check no other verdict shares is moved, not copied
    let krav: Vec<KravCheck> = krav.into_iter().map(Arc::unwrap_or_clone).collect();
    let mut v = Verdict {
        facts,
        status: Status::IkkeTreff,
        treff: Vec::new(),
        eksklusjoner: Vec::new(),
        hint: Vec::new(),
        uavklart: undecided.to_vec(),
        begrunnelse: Vec::new(),
        naer_treff: near_misses(&krav),
        krav,
    };
    let status = status_of(rules, fired.iter().map(|(i, _)| *i));
    for (i, sentence) in fired {
        let rule = &rules.rules[i];
        match rule.kind {
            Kind::Kandidat => v.treff.push(rule.id.clone()),
            Kind::Eksklusjon => v.eksklusjoner.push(rule.id.clone()),
            Kind::Hint => v.hint.push(rule.id.clone()),
        }
        v.begrunnelse.push(Explanation {
            rule: rule.id.clone(),
            text: sentence.text,
            kort: sentence.kort,
        });
    }
    v.begrunnelse.extend(undecided_sentences.iter().cloned());
    v.status = status;
    v
}

/// The status of kvp-rules.md from the rules that fired (indices into the rule set): a status
/// set by an exclusion (`gir_status`) first, then kandidat / ekskludert when a candidate rule
/// fires, else ikke_treff.
pub fn status_of(rules: &RuleSet, fired: impl IntoIterator<Item = usize>) -> Status {
    let (mut forced, mut treff, mut eksklusjon) = (None::<Status>, false, false);
    for i in fired {
        let rule = &rules.rules[i];
        match rule.kind {
            Kind::Kandidat => treff = true,
            Kind::Eksklusjon => eksklusjon = true,
            Kind::Hint => {}
        }
        if let Some(s) = rule.gir_status {
            forced = Some(forced.map_or(s, |f| f.min(s)));
        }
    }
    match forced {
        Some(s) => s,
        None if !treff => Status::IkkeTreff,
        None if !eksklusjon => Status::Kandidat,
        None => Status::Ekskludert,
    }
}

/// A rule's result restricted to the rows where every condition (`krav_*`) holds.
fn fired_only(rule: &Rule, df: DataFrame) -> Result<DataFrame, DataFusionError> {
    match rule
        .krav
        .iter()
        .map(|k| col(k.column()).is_true())
        .reduce(|a, b| a.and(b))
    {
        Some(all) => df.filter(all),
        None => Ok(df),
    }
}

/// The rules a person misses by exactly one condition.
fn near_misses(checks: &[KravCheck]) -> Vec<NearMiss> {
    let mut by_rule: BTreeMap<&str, Vec<&KravCheck>> = BTreeMap::new();
    for c in checks {
        by_rule.entry(c.rule.as_str()).or_default().push(c);
    }
    by_rule
        .into_values()
        .filter_map(
            |cs| match cs.iter().filter(|c| !c.oppfylt).collect::<Vec<_>>()[..] {
                [one] => Some(NearMiss {
                    rule: one.rule.clone(),
                    krav: one.krav.clone(),
                    text: one.text.clone(),
                }),
                _ => None,
            },
        )
        .collect()
}

/// Splits batches into `n` partitions for parallel scans.
fn split_partitions(batches: &[RecordBatch], n: usize) -> Vec<Vec<RecordBatch>> {
    let mut parts = vec![Vec::new(); n];
    for (i, b) in batches.iter().enumerate() {
        parts[i % n].push(b.clone());
    }
    parts
}

/// `trekk_maneder(dato, n)`: the date `n` calendar months before `dato` (clamped to the
/// month's last day), for rules such as "within the last 6 months".
fn trekk_maneder_udf() -> datafusion::logical_expr::ScalarUDF {
    let fun: ScalarFunctionImplementation = Arc::new(
        |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
            let scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let dates = arrays[0].as_primitive::<Date32Type>();
            let n = datafusion::arrow::compute::cast(&arrays[1], &DataType::Int64)?;
            let n = n.as_primitive::<Int64Type>();
            let out: Date32Array = (0..dates.len())
                .map(|i| {
                    if dates.is_null(i) || n.is_null(i) {
                        return None;
                    }
                    let d = date_from_days(dates.value(i));
                    let m = n.value(i);
                    let r = if m >= 0 {
                        d.checked_sub_months(Months::new(m as u32))
                    } else {
                        d.checked_add_months(Months::new((-m) as u32))
                    };
                    r.map(days_since_epoch)
                })
                .collect();
            let out: ArrayRef = Arc::new(out);
            if scalar {
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
            } else {
                Ok(ColumnarValue::Array(out))
            }
        },
    );
    create_udf(
        "trekk_maneder",
        vec![DataType::Date32, DataType::Int64],
        DataType::Date32,
        Volatility::Immutable,
        fun,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped rule set and the position of a rule in it.
    fn shipped() -> (RuleSet, impl Fn(&str) -> usize) {
        let rules = RuleSet::load(None).expect("the shipped rules");
        let ids: Vec<String> = rules.rules.iter().map(|r| r.id.clone()).collect();
        (rules, move |id: &str| {
            ids.iter().position(|i| i == id).expect("a shipped rule")
        })
    }

    /// kvp-rules.md: a status set by an exclusion wins (deltaker before under behandling), then
    /// kandidat unless an exclusion fired, ekskludert if one did, ikke treff without a candidate
    /// rule; hints never change it.
    #[test]
    fn status_follows_the_precedence_of_kvp_rules() {
        let (rules, at) = shipped();
        let s = |ids: &[&str]| status_of(&rules, ids.iter().map(|i| at(i)));
        assert_eq!(s(&[]), Status::IkkeTreff);
        assert_eq!(s(&["tidligere_kvp"]), Status::IkkeTreff, "a hint alone");
        assert_eq!(s(&["langtidsmottaker"]), Status::Kandidat);
        assert_eq!(s(&["langtidsmottaker", "tidligere_kvp"]), Status::Kandidat);
        assert_eq!(
            s(&["langtidsmottaker", "har_livsoppholdsytelse"]),
            Status::Ekskludert
        );
        assert_eq!(s(&["har_livsoppholdsytelse"]), Status::IkkeTreff);
        assert_eq!(
            s(&["langtidsmottaker", "kvp_under_behandling"]),
            Status::UnderBehandling
        );
        assert_eq!(
            s(&["kvp_under_behandling", "deltar_i_kvp", "langtidsmottaker"]),
            Status::Deltaker
        );
        assert_eq!(
            s(&["deltar_i_kvp"]),
            Status::Deltaker,
            "without a candidate rule"
        );
    }

    fn check(rule: &str, krav: &str, oppfylt: bool) -> Arc<KravCheck> {
        Arc::new(KravCheck {
            rule: rule.into(),
            krav: krav.into(),
            oppfylt,
            text: format!("{rule}.{krav}"),
        })
    }

    /// A near miss is a rule missed by exactly one condition; two missed, or none, is not one.
    #[test]
    fn near_misses_are_rules_missed_by_one_condition() {
        let checks = [
            check("a", "x", true),
            check("a", "y", false),
            check("b", "x", false),
            check("b", "y", false),
            check("c", "x", true),
        ];
        let checks: Vec<KravCheck> = checks.iter().map(|c| (**c).clone()).collect();
        assert_eq!(
            near_misses(&checks),
            vec![NearMiss {
                rule: "a".into(),
                krav: "y".into(),
                text: "a.y".into()
            }]
        );
    }

    /// A verdict lists the fired rules by kind in rule-set order with their sentences (the
    /// undecided rules' sentences last), and its status from [`status_of`].
    #[test]
    fn a_verdict_sorts_what_fired_by_kind_and_order() {
        let (rules, at) = shipped();
        let sentence = |t: &str| Sentence {
            text: t.into(),
            kort: Some(format!("kort {t}").into()),
        };
        let fired = vec![
            (at("tidligere_kvp"), sentence("hint")),
            (at("har_livsoppholdsytelse"), sentence("eksklusjon")),
            (at("langtidsmottaker"), sentence("kandidat")),
        ];
        let undecided = vec!["spesielt_tilpasset_innsats".to_string()];
        let undecided_text = vec![Explanation {
            rule: "spesielt_tilpasset_innsats".into(),
            text: "ikke vurdert".into(),
            kort: None,
        }];
        let v = verdict(
            &rules,
            PersonFacts::default(),
            fired,
            vec![check("standard_innsats", "x", false)],
            &undecided,
            &undecided_text,
        );
        assert_eq!(v.status, Status::Ekskludert);
        assert_eq!(v.treff, ["langtidsmottaker"]);
        assert_eq!(v.eksklusjoner, ["har_livsoppholdsytelse"]);
        assert_eq!(v.hint, ["tidligere_kvp"]);
        assert_eq!(v.uavklart, undecided);
        let order: Vec<usize> = v.begrunnelse[..3].iter().map(|e| at(&e.rule)).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "rule-set order");
        assert_eq!(v.begrunnelse[3].text.as_ref(), "ikke vurdert");
        let lang = v
            .begrunnelse
            .iter()
            .find(|e| e.rule == "langtidsmottaker")
            .unwrap();
        assert_eq!(lang.kort.as_deref(), Some("kort kandidat"));
        assert_eq!(v.naer_treff.len(), 1);
    }
}
