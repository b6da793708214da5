//! Evaluating a planned rule set: the rules' rows for the persons wanted, their verdicts in
//! office order streamed to a sink, and every person's status on many dates in one pass.

use super::plan::fired_only;
use super::render::{PersonIndex, RenderCache, Rendered, RuleWork, Slot};
use super::verdict::{Checks, Fired, verdict};
use super::*;
use datafusion::arrow::array::{Int64Array, ListArray};

/// What the rules gave, per person by position in the key facts (the verdicts' order): the
/// rules that fired (positions in the rule set) with their sentences, and the near misses.
/// Texts are shared, not copied: many persons get the same sentence, and a session that
/// evaluates two rule sets (`compare`) reuses a rule's rows.
pub(crate) struct RuleHits {
    pub(crate) hits: Vec<Fired>,
    pub(crate) near: Vec<Checks>,
    /// How many ids not in `personer` a rule fired for (they get no verdict).
    pub(crate) unknown: usize,
    /// With [`Persons::Touched`], which persons (by position) get a verdict.
    pub(crate) touched: Option<Vec<bool>>,
}

/// The rule queries of one evaluation: rows rendered before (by this session) or fresh rows.
struct Queried<'p, 'a> {
    decidable: Vec<&'p PlannedRule<'a>>,
    remembered: Vec<Option<RuleRows>>,
    todo: Vec<usize>,
    results: Vec<Vec<RecordBatch>>,
    started: std::time::Instant,
    queried: std::time::Duration,
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

impl Engine {
    /// Runs every decidable rule not remembered from an earlier evaluation of this session;
    /// the queries run concurrently.
    async fn rule_queries<'p, 'a>(
        &self,
        planned: &'p [PlannedRule<'a>],
        lang: Lang,
        persons: Persons<'_>,
    ) -> Result<Queried<'p, 'a>, EngineError> {
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
        let results = query_rules(&decidable, &todo, only).await?;
        Ok(Queried {
            decidable,
            remembered,
            todo,
            results,
            started,
            queried: started.elapsed(),
        })
    }

    /// The queried rules' rows rendered into explanations for each person they fire for (on
    /// every core, put together in rule order, so the result does not depend on the threads)
    /// and gathered per person.
    fn rule_hits(
        &self,
        q: Queried<'_, '_>,
        lang: Lang,
        persons: Persons<'_>,
        index: &PersonIndex<'_>,
    ) -> Result<RuleHits, EngineError> {
        let Queried {
            decidable,
            remembered,
            todo,
            results,
            started,
            queried,
        } = q;
        let only = persons.one();
        let memo = self.memo.as_ref().filter(|_| only.is_none());
        let env = template::environment(lang);
        let works = decidable
            .iter()
            .map(|p| {
                RuleWork::new(
                    &env,
                    p,
                    lang,
                    self.as_of,
                    (self.short_forms, self.explanations),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fresh = render_rows(&works, results, &todo, (only, index))?;
        let rendered_at = started.elapsed();
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
        let touched = touched_persons(persons, &all, &works, index);
        let hits = merge_rows(all, &works, touched.as_deref(), index.len())?;
        debug!(
            query_ms = queried.as_millis() as u64,
            render_ms = (rendered_at - queried).as_millis() as u64,
            merge_ms = (started.elapsed() - rendered_at).as_millis() as u64,
            "rules evaluated"
        );
        Ok(RuleHits { touched, ..hits })
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

    /// The persons' key facts (one person's alone), as a read-only query; in no particular
    /// order ([`facts::in_output_order`] puts them in the outputs').
    async fn key_facts(&self, only: Option<&str>) -> Result<DataFrame, DataFusionError> {
        let mut sql = facts::KEY_FACTS.to_string();
        if only.is_some() {
            sql.push_str(" WHERE p.person_id = $person");
        }
        let mut df = self.ctx.sql_with_options(&sql, sql_options()).await?;
        if let Some(o) = only {
            df = df.with_param_values(ParamValues::from(vec![(
                "person",
                ScalarValue::Utf8(Some(o.to_string())),
            )]))?;
        }
        Ok(df)
    }

    /// Every person's key facts ([`facts::KEY_FACTS`]'s rows) in the outputs' order, in
    /// batches of `batch_rows`: the person side and the three small facts queried at once and
    /// put together by [`facts::key_facts_joined`]; by the one query when a small fact names a
    /// person twice.
    async fn all_key_facts(&self, batch_rows: usize) -> Result<Vec<RecordBatch>, DataFusionError> {
        let query = |sql: &'static str| async move {
            let df = self.ctx.sql_with_options(sql, sql_options()).await?;
            let schema: datafusion::arrow::datatypes::SchemaRef =
                Arc::new(df.schema().as_arrow().clone());
            Ok::<_, DataFusionError>((schema, df.collect().await?))
        };
        let [a, b, c] = facts::KEY_FACTS_SMALL;
        let (base, s, v, k) =
            futures::future::try_join4(query(facts::KEY_FACTS_BASE), query(a), query(b), query(c))
                .await?;
        match facts::key_facts_joined(base.1, [s, v, k], batch_rows)? {
            Some(batches) => Ok(batches),
            None => {
                let batches = self.key_facts(None).await?.collect().await?;
                facts::in_output_order(batches, batch_rows)
            }
        }
    }

    /// The sentence of a rule that could not be decided: which tables are missing.
    fn undecided_sentence(&self, p: &PlannedRule<'_>, lang: Lang) -> Explanation {
        let tables: Vec<String> = p
            .rule
            .krever
            .iter()
            .filter(|t| self.missing.contains(t))
            .map(|t| t.to_string())
            .collect();
        let tables = template::join_list(&tables, lang);
        let title = p.rule.title(lang);
        let text = crate::i18n::pages::Forklaring::IkkeVurdert.fill(lang, &[&title, &tables]);
        Explanation {
            rule: p.rule.key.clone(),
            text: text.into(),
            kort: None,
        }
    }

    /// Evaluates every rule and hands the verdict of each person `persons` selects to `sink`,
    /// in the order nav_kontor, veileder, person_id. The counts cover those persons only.
    pub async fn evaluate_persons(
        &self,
        rules: &RuleSet,
        planned: &[PlannedRule<'_>],
        lang: Lang,
        persons: Persons<'_>,
        sink: impl FnMut(Verdict) -> anyhow::Result<()> + Send,
    ) -> anyhow::Result<EvalStats> {
        anyhow::ensure!(
            self.days.len() == 1,
            "a full evaluation needs a session with one scan date"
        );
        self.check_not_released()?;
        let started = std::time::Instant::now();
        let only = persons.one();
        // Every person's key facts (once per session when it evaluates several rule sets),
        // beside the rules' queries: alone, its joins (each built on one thread) left one core
        // idle for ~0.1 s of a national scan; at 10x it then ends after the rules' queries,
        // and the two take as long as one after the other (benches/RESULTS.md, twenty-third
        // session).
        let memo = self.memo.as_ref().filter(|_| only.is_none());
        let (key_facts, queried) = futures::future::try_join(
            async { Ok::<_, EngineError>(self.key_facts_of(only, memo).await?) },
            self.rule_queries(planned, lang, persons),
        )
        .await?;
        if let Some(m) = memo {
            m.lock().expect("memo lock").key_facts = Some(key_facts.clone());
        }
        // every query of the evaluation has run: a one-off engine lets the tables' rows go
        self.release_if_asked().await?;
        // every person by position in the key facts: the rules' rows are gathered by it
        let index = PersonIndex::of(&key_facts, facts::KeyFact::PersonId as usize)?;
        let RuleHits {
            mut hits,
            mut near,
            unknown,
            touched,
        } = self.rule_hits(queried, lang, persons, &index)?;
        drop(index);
        let undecided: Vec<&PlannedRule> = planned.iter().filter(|p| p.frame.is_none()).collect();
        let mut stats = EvalStats {
            undecided_rules: undecided.iter().map(|p| p.rule.id.clone()).collect(),
            ..Default::default()
        };
        let undecided_sentences: Vec<Explanation> = undecided
            .iter()
            .map(|p| self.undecided_sentence(p, lang))
            .collect();

        let verdicts_started = std::time::Instant::now();
        let sink_busy = self.write_verdicts(
            &key_facts,
            touched.as_deref(),
            (rules, &undecided_sentences, only.is_some()),
            (&mut hits, &mut near),
            &mut stats,
            sink,
        )?;
        debug!(
            verdicts_ms = verdicts_started.elapsed().as_millis() as u64,
            sink_ms = sink_busy.as_millis() as u64,
            "verdicts written"
        );
        if unknown > 0 {
            tracing::warn!(
                count = unknown,
                "rules returned ids that are not in personer; they were not used"
            );
        }
        stats.finish(rules);
        info!(
            persons = stats.persons,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "evaluation done"
        );
        Ok(stats)
    }

    /// Every person's key facts (one person's with `only`), or the session's memo's when an
    /// earlier evaluation kept them.
    async fn key_facts_of(
        &self,
        only: Option<&str>,
        memo: Option<&std::sync::Mutex<Memory>>,
    ) -> Result<Vec<RecordBatch>, DataFusionError> {
        let kept = memo.and_then(|m| m.lock().expect("memo lock").key_facts.clone());
        match kept {
            Some(batches) => Ok(batches),
            None => {
                let started = std::time::Instant::now();
                let batch_rows = self.ctx.state().config().batch_size();
                let ordered = match only {
                    Some(_) => {
                        let batches = self.key_facts(only).await?.collect().await?;
                        facts::in_output_order(batches, batch_rows)?
                    }
                    None => self.all_key_facts(batch_rows).await?,
                };
                debug!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "key facts computed"
                );
                Ok(ordered)
            }
        }
    }

    /// The verdicts of every person in `key_facts` (those `touched`, when given), made here a
    /// batch at a time and handed to `sink` on another thread; returns the time the sink took.
    #[allow(clippy::type_complexity)]
    fn write_verdicts(
        &self,
        key_facts: &[RecordBatch],
        touched: Option<&[bool]>,
        (rules, undecided_sentences, keep_checks): (&RuleSet, &[Explanation], bool),
        (hits, near): (&mut [Fired], &mut [Checks]),
        stats: &mut EvalStats,
        mut sink: impl FnMut(Verdict) -> anyhow::Result<()> + Send,
    ) -> anyhow::Result<std::time::Duration> {
        std::thread::scope(|scope| -> anyhow::Result<std::time::Duration> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Verdict>>(4);
            // Each chunk's buffer, emptied, goes back to be filled again: a chunk is a few MB of
            // verdicts, and a new one each batch had the kernel map (and zero) its pages anew.
            let (back, recycled) = std::sync::mpsc::channel::<Vec<Verdict>>();
            let writer = scope.spawn(move || -> anyhow::Result<std::time::Duration> {
                let mut busy = std::time::Duration::ZERO;
                for mut chunk in rx {
                    let t = std::time::Instant::now();
                    for v in chunk.drain(..) {
                        sink(v)?;
                    }
                    busy += t.elapsed();
                    // the other side is gone only when it has no more chunks to make
                    let _ = back.send(chunk);
                }
                Ok(busy)
            });
            // the persons' positions: key facts rows in order
            let mut first = 0usize;
            for batch in key_facts {
                let rows = (0..batch.num_rows())
                    .filter(|row| touched.is_none_or(|t| t[first + row]))
                    .map(|row| (row, first + row));
                let chunk = self.batch_verdicts(
                    (rules, undecided_sentences, keep_checks),
                    (batch, rows, recycled.try_recv().unwrap_or_default()),
                    (&mut *hits, &mut *near),
                    stats,
                );
                first += batch.num_rows();
                // A closed channel means the writer stopped on an error, returned below.
                if tx.send(chunk).is_err() {
                    break;
                }
            }
            drop(tx);
            writer.join().expect("the writer thread does not panic")
        })
    }

    /// One batch of key facts as verdicts, for the rows wanted (row, the person's position), in
    /// `chunk` (an emptied one, its room used again), counted into `stats`; every condition
    /// checked kept with `keep_checks` (one person).
    #[allow(clippy::type_complexity)]
    fn batch_verdicts(
        &self,
        (rules, undecided_sentences, keep_checks): (&RuleSet, &[Explanation], bool),
        (batch, rows, mut chunk): (
            &RecordBatch,
            impl Iterator<Item = (usize, usize)>,
            Vec<Verdict>,
        ),
        (hits, near): (&mut [Fired], &mut [Checks]),
        stats: &mut EvalStats,
    ) -> Vec<Verdict> {
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
        chunk.clear();
        chunk.reserve(batch.num_rows());
        let cells = KeyFactCells::of(batch);
        for (row, at) in rows {
            let facts = self.person_facts(&cells, row);
            for (i, _) in hits[at].iter() {
                stats.fired(*i);
            }
            let v = verdict(
                rules,
                facts,
                std::mem::take(&mut hits[at]),
                (std::mem::take(&mut near[at]), keep_checks),
                undecided_sentences,
            );
            stats.count(v.status);
            chunk.push(v);
        }
        chunk
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
        let mut fired = DatedFired::new(&self.days, rules.rules.len());
        let opens = |p: &&PlannedRule| {
            p.rule.kind == Kind::Kandidat
                || (p.rule.kind == Kind::Eksklusjon && p.rule.gir_status.is_some())
        };
        let order = planned.iter().filter(opens).chain(
            planned
                .iter()
                .filter(|p| p.rule.kind == Kind::Eksklusjon && p.rule.gir_status.is_none()),
        );
        // the rules' queries run a few at a time (the next ones while one's rows are added),
        // their rows added in this order, so what is open, and the first error, do not depend
        // on which query ends first
        let queries: Vec<_> = order
            .filter(|p| p.frame.is_some())
            .map(|p| {
                let df = p.frame.clone().expect("filtered on frame");
                async move {
                    let started = std::time::Instant::now();
                    let df =
                        fired_only(p.rule, df)?.select_columns(&["skanningsdato", "person_id"])?;
                    let batches = df.collect().await?;
                    Ok::<_, EngineError>((p, batches, started))
                }
            })
            .collect();
        let mut queried = futures::stream::iter(queries).buffered(DATED_QUERIES_AT_ONCE);
        while let Some(result) = queried.next().await {
            let (p, batches, rule_started) = result?;
            let opens_pair = opens(&p);
            let mut rows = 0u64;
            for batch in batches {
                let dates = batch.column(0).as_primitive::<Date32Type>();
                // views as they are (a cast to the same type copies nothing)
                let pids = datafusion::arrow::compute::cast(batch.column(1), &DataType::Utf8View)
                    .map_err(DataFusionError::from)?;
                let pids = pids.as_string_view();
                for row in 0..batch.num_rows() {
                    if pids.is_null(row) || dates.is_null(row) {
                        continue;
                    }
                    rows += 1;
                    let (day, id) = (dates.value(row), pids.value(row));
                    match fired.add(day, id, opens_pair, p.index) {
                        Added::Done => {}
                        Added::NotAScanDate => {
                            return Err(EngineError::NoScanDate {
                                rule: p.rule.id.clone(),
                            });
                        }
                        Added::Twice => {
                            return Err(EngineError::DuplicatePerson {
                                rule: p.rule.id.clone(),
                            });
                        }
                    }
                }
            }
            debug!(
                rule = %p.rule.id,
                rows,
                elapsed_ms = rule_started.elapsed().as_millis() as u64,
                "rule evaluated for all dates"
            );
        }
        let statuses = fired.statuses(rules);
        info!(
            dates = self.days.len(),
            pairs = statuses.rows.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "statuses for all dates"
        );
        Ok(statuses)
    }

    fn person_facts(&self, c: &KeyFactCells<'_>, row: usize) -> PersonFacts {
        let i = |a: Option<&Int64Array>| a.filter(|a| a.is_valid(row)).map(|a| a.value(row));
        let d = |a: Option<&Date32Array>| {
            a.filter(|a| a.is_valid(row))
                .map(|a| date_from_days(a.value(row)))
        };
        let ytelser = match c.ytelser.filter(|l| l.is_valid(row)) {
            None => self.ytelser_present.then(Vec::new),
            Some(l) => {
                let list = l.value(row);
                Some(
                    (0..list.len())
                        .filter(|j| !list.is_null(*j))
                        .map(|j| values::string(&list, j))
                        .collect(),
                )
            }
        };
        PersonFacts {
            person_id: c.person_id.get(row).unwrap_or_default(),
            nav_kontor: c.nav_kontor.get(row).unwrap_or_default(),
            veileder: c.veileder.get(row),
            kommune_nr: c.kommune_nr.get(row).unwrap_or_default(),
            kjonn: c.kjonn.get(row),
            adressebeskyttelse: c.adressebeskyttelse.get(row),
            alder: i(c.alder).unwrap_or_default(),
            stonadsmaneder_siste_12: i(c.maneder).unwrap_or_default(),
            siste_stonadsmaned: d(c.siste_maned),
            innsatsgruppe: c
                .innsatsgruppe
                .get_known(row, crate::contract::INNSATSGRUPPER),
            vedtak_dato: d(c.vedtak_dato),
            livsoppholdsytelser: ytelser,
            kvp_tilstand: c.kvp_tilstand.get(row),
            kvp_siste_hendelse: c.kvp_siste_hendelse.get(row),
            kvp_siste_dato: d(c.kvp_siste_dato),
        }
    }
}

/// The columns of a batch of key facts, each by its [`facts::KeyFact`] position (the batch's
/// names are checked against [`facts::KEY_FACT_COLUMNS`] first) and its type looked at once
/// per batch instead of once per row; a column of another type (`Null`, all nulls) is taken
/// as null in every row.
struct KeyFactCells<'a> {
    person_id: values::StrCells<'a>,
    nav_kontor: values::StrCells<'a>,
    veileder: values::StrCells<'a>,
    kommune_nr: values::StrCells<'a>,
    kjonn: values::StrCells<'a>,
    adressebeskyttelse: values::StrCells<'a>,
    alder: Option<&'a Int64Array>,
    maneder: Option<&'a Int64Array>,
    siste_maned: Option<&'a Date32Array>,
    innsatsgruppe: values::StrCells<'a>,
    vedtak_dato: Option<&'a Date32Array>,
    ytelser: Option<&'a ListArray>,
    kvp_tilstand: values::StrCells<'a>,
    kvp_siste_hendelse: values::StrCells<'a>,
    kvp_siste_dato: Option<&'a Date32Array>,
}

impl<'a> KeyFactCells<'a> {
    fn of(b: &'a RecordBatch) -> Self {
        use facts::KeyFact::{self as K, *};
        let c = |k: K| b.column(k as usize);
        let s = |k: K| values::StrCells::of(c(k));
        KeyFactCells {
            person_id: s(PersonId),
            nav_kontor: s(NavKontor),
            veileder: s(Veileder),
            kommune_nr: s(KommuneNr),
            kjonn: s(Kjonn),
            adressebeskyttelse: s(Adressebeskyttelse),
            alder: c(Alder).as_primitive_opt::<Int64Type>(),
            maneder: c(StonadsmanederSiste12).as_primitive_opt::<Int64Type>(),
            siste_maned: c(SisteStonadsmaned).as_primitive_opt::<Date32Type>(),
            innsatsgruppe: s(Innsatsgruppe),
            vedtak_dato: c(VedtakDato).as_primitive_opt::<Date32Type>(),
            ytelser: c(Livsoppholdsytelser).as_list_opt::<i32>(),
            kvp_tilstand: s(KvpTilstand),
            kvp_siste_hendelse: s(KvpSisteHendelse),
            kvp_siste_dato: c(KvpSisteDato).as_primitive_opt::<Date32Type>(),
        }
    }
}

/// The rows of the rules in `todo` (positions in `decidable`), queried concurrently; for one
/// person, filtered to them before they are collected.
async fn query_rules(
    decidable: &[&PlannedRule<'_>],
    todo: &[usize],
    only: Option<&str>,
) -> Result<Vec<Vec<RecordBatch>>, EngineError> {
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
    Ok(results)
}

/// Each rule's rendered rows in person order (rules not queried get none), rendered on rayon's
/// pool with a text cache per job.
#[allow(clippy::type_complexity)]
fn render_rows(
    works: &[RuleWork<'_, '_>],
    results: Vec<Vec<RecordBatch>>,
    todo: &[usize],
    (only, index): (Option<&str>, &PersonIndex<'_>),
) -> Result<Vec<Vec<(Slot, Rendered)>>, EngineError> {
    let items: Vec<(usize, &RecordBatch)> = results
        .iter()
        .zip(todo)
        .flat_map(|(batches, w)| batches.iter().map(move |b| (*w, b)))
        .collect();
    // each rayon job keeps a cache of texts while it renders its batches
    let rendered: Vec<_> = {
        use rayon::prelude::*;
        items
            .par_iter()
            .map_init(RenderCache::default, |cache, (w, batch)| {
                works[*w].render(batch, (only, index), (*w, cache))
            })
            .collect()
    };
    // The rules' rows are not needed once rendered.
    let batch_rules: Vec<usize> = items.iter().map(|(w, _)| *w).collect();
    drop(items);
    drop(results);
    // each rule's rows by person position (ids not in personer last, each rule's rows of one
    // person in batch order), put together and sorted on every core: gathering them per
    // person then walks the persons in order instead of at random
    let mut parts: Vec<Vec<Vec<(Slot, Rendered)>>> = (0..works.len()).map(|_| Vec::new()).collect();
    for (w, out) in batch_rules.iter().zip(rendered) {
        parts[*w].push(out?);
    }
    use rayon::prelude::*;
    Ok(parts
        .into_par_iter()
        .map(|batches| {
            let mut rows: Vec<(Slot, Rendered)> =
                Vec::with_capacity(batches.iter().map(Vec::len).sum());
            for b in batches {
                rows.extend(b);
            }
            rows.sort_by_key(|(slot, _)| slot.order());
            rows
        })
        .collect())
}

/// With [`Persons::Touched`]: the persons listed and every person one of its rules fired for,
/// by position (true: gets a verdict).
fn touched_persons(
    persons: Persons<'_>,
    all: &[RuleRows],
    works: &[RuleWork<'_, '_>],
    index: &PersonIndex<'_>,
) -> Option<Vec<bool>> {
    match persons {
        Persons::Touched { ids, rules } => {
            let mut set = vec![false; index.len()];
            for n in ids.iter().filter_map(|id| index.position(id)) {
                set[n as usize] = true;
            }
            for (rows, work) in all.iter().zip(works) {
                if rules.contains(&work.planned.index) {
                    for (slot, r) in rows.iter() {
                        if let (Slot::Person(n), Rendered::Hit(_)) = (slot, r) {
                            set[*n as usize] = true;
                        }
                    }
                }
            }
            Some(set)
        }
        Persons::All | Persons::One(_) => None,
    }
}

/// The rendered rows per person (by position): the rules that fired with their sentences, and
/// the near misses; a rule that returns one person twice is an error. Rows of ids not in
/// `personer` are only counted. Each rule's rows come sorted by person ([`render_rows`]), so
/// the persons are gathered in two halves at once, each half's rows cut from every rule's.
fn merge_rows(
    all: Vec<RuleRows>,
    works: &[RuleWork<'_, '_>],
    touched: Option<&[bool]>,
    persons: usize,
) -> Result<RuleHits, EngineError> {
    let mid = persons / 2;
    let (mut lo, mut hi) = (Vec::with_capacity(all.len()), Vec::with_capacity(all.len()));
    for rows in all {
        let cut = |r: &[(Slot, Rendered)]| {
            debug_assert!(r.is_sorted_by_key(|(s, _)| s.order()));
            r.partition_point(|(s, _)| (s.order() as usize) < mid)
        };
        // rows no one else holds are moved; rows the session keeps are shared
        match Arc::try_unwrap(rows) {
            Ok(mut rows) => {
                let upper = rows.split_off(cut(&rows));
                lo.push(Half::Owned(rows));
                hi.push(Half::Owned(upper));
            }
            Err(shared) => {
                let k = cut(&shared);
                lo.push(Half::Shared(Arc::clone(&shared), 0..k));
                hi.push(Half::Shared(Arc::clone(&shared), k..shared.len()));
            }
        }
    }
    let (lo, hi) = rayon::join(
        || gather(lo, works, touched, (0, mid)),
        || gather(hi, works, touched, (mid, persons - mid)),
    );
    // the first rule (in rule set order) that returned a person twice, as one pass would find
    let (mut lo, hi) = match (lo, hi) {
        (Ok(lo), Ok(hi)) => (lo, hi),
        (Err((_, e)), Ok(_)) | (Ok(_), Err((_, e))) => return Err(e),
        (Err(l), Err(h)) => return Err(if l.0 <= h.0 { l.1 } else { h.1 }),
    };
    lo.hits.extend(hi.hits);
    lo.near.extend(hi.near);
    for (work, (a, b)) in works.iter().zip(lo.per_rule.iter().zip(&hi.per_rule)) {
        debug!(rule = %work.planned.rule.id, hits = a + b, "rule evaluated");
    }
    Ok(RuleHits {
        hits: lo.hits,
        near: lo.near,
        unknown: lo.unknown + hi.unknown,
        touched: None,
    })
}

/// One rule's rows of a range of persons: owned (moved on) or the session's (cloned).
enum Half {
    Owned(Vec<(Slot, Rendered)>),
    Shared(RuleRows, std::ops::Range<usize>),
}

/// What [`gather`] made of a range of persons.
struct Gathered {
    hits: Vec<Fired>,
    near: Vec<Checks>,
    unknown: usize,
    per_rule: Vec<u64>,
}

/// The rows of the persons `first..first + len` (and of ids not in `personer`, in the half
/// that holds them), rule by rule in rule set order; an error carries its rule's place.
fn gather(
    halves: Vec<Half>,
    works: &[RuleWork<'_, '_>],
    touched: Option<&[bool]>,
    (first, len): (usize, usize),
) -> Result<Gathered, (usize, EngineError)> {
    let mut hits: Vec<Fired> = (0..len).map(|_| Fired::new()).collect();
    let mut near: Vec<Checks> = (0..len).map(|_| Checks::new()).collect();
    // ids not in personer, with the rules that fired for them
    let mut unknown: rustc_hash::FxHashMap<Arc<str>, Vec<usize>> = Default::default();
    let mut per_rule = vec![0u64; works.len()];
    for (w, rows) in halves.into_iter().enumerate() {
        let work = &works[w];
        let rule = work.planned.index;
        let duplicate = || {
            (
                w,
                EngineError::DuplicatePerson {
                    rule: work.planned.rule.id.clone(),
                },
            )
        };
        let mut add = |slot: &Slot, row: Rendered| -> Result<(), (usize, EngineError)> {
            match (slot, row) {
                (Slot::Person(n), Rendered::Krav(k)) => near[*n as usize - first].push(k),
                (Slot::Person(n), Rendered::Hit(sentence)) => {
                    let entry = &mut hits[*n as usize - first];
                    if entry.iter().any(|(r, _)| *r == rule) {
                        return Err(duplicate());
                    }
                    entry.push((rule, sentence));
                    per_rule[w] += 1;
                }
                (Slot::Unknown(_), Rendered::Krav(_)) => {}
                (Slot::Unknown(id), Rendered::Hit(_)) => {
                    let entry = unknown.entry(Arc::clone(id)).or_default();
                    if entry.contains(&rule) {
                        return Err(duplicate());
                    }
                    entry.push(rule);
                    per_rule[w] += 1;
                }
            }
            Ok(())
        };
        // an id not in personer is always counted (and checked for duplicates)
        let wanted = |slot: &Slot| match (slot, touched) {
            (Slot::Person(n), Some(t)) => t[*n as usize],
            _ => true,
        };
        match rows {
            Half::Owned(rows) => {
                for (slot, row) in rows.into_iter().filter(|(s, _)| wanted(s)) {
                    add(&slot, row)?;
                }
            }
            Half::Shared(shared, range) => {
                for (slot, row) in shared[range].iter().filter(|(s, _)| wanted(s)) {
                    add(slot, row.clone())?;
                }
            }
        }
    }
    Ok(Gathered {
        hits,
        near,
        unknown: unknown.len(),
        per_rule,
    })
}

/// How many of the rules' queries over all dates run at once in [`Engine::dated_statuses`]:
/// the next while one's rows are added, without holding every rule's rows at once.
const DATED_QUERIES_AT_ONCE: usize = 2;

/// What one set of fired rules gives a (date, person) pair: its status, its candidate rules
/// and, when excluded, its exclusions (see [`DatedStatus`]).
type Pattern = (Status, Arc<[usize]>, Arc<[usize]>);

/// What [`DatedFired::add`] made of one rule row.
#[derive(Debug, PartialEq, Eq)]
enum Added {
    /// Recorded, or left out as it should be (a rule that opens no pair, for a pair not open).
    Done,
    /// The rule already fired for the pair: it returned the person twice for the date.
    Twice,
    /// The row's date is none of the scan dates.
    NotAScanDate,
}

/// The rules that fired per (scan date, person), persons numbered in the order first seen: one
/// bit per rule of the set for every (person, date), in words of 64 (a pair is open when any
/// of its bits is set). Dense, so a million pairs cost no hash map entry or list each.
struct DatedFired {
    /// Persons by id, numbered as first seen.
    index: render::IdNumbers<String>,
    ids: Vec<String>,
    /// The person of the row added last, with its number: a rule's rows often come a person
    /// at a time (its dates together), and the same id again needs no look-up (each look-up is
    /// a cache miss in a table of every person).
    last: Option<(compact_str::CompactString, usize)>,
    /// The scan dates (days since 1970-01-01), ascending.
    days: Vec<i32>,
    /// Words per (person, date).
    words: usize,
    /// Per person, per date, `words` words of rule bits.
    bits: Vec<u64>,
}

impl DatedFired {
    fn new(days: &[i32], rules: usize) -> Self {
        let mut days = days.to_vec();
        days.sort_unstable();
        days.dedup();
        DatedFired {
            index: Default::default(),
            ids: Vec::new(),
            last: None,
            days,
            words: rules.div_ceil(64).max(1),
            bits: Vec::new(),
        }
    }

    /// Rule `rule` fired for `id` on `day`. A rule that can open a pair (a candidate rule, or
    /// an exclusion that gives a status) adds it; any other only joins a pair already open.
    fn add(&mut self, day: i32, id: &str, opens: bool, rule: usize) -> Added {
        let Ok(d) = self.days.binary_search(&day) else {
            return Added::NotAScanDate;
        };
        let known = self
            .last
            .as_ref()
            .filter(|(last, _)| crate::contract::strs::same(last.as_bytes(), id.as_bytes()))
            .map(|(_, n)| *n);
        let n = match known.or_else(|| self.index.get(id).map(|n| n as usize)) {
            Some(n) => n,
            None if opens => {
                let n = self.ids.len();
                self.ids.push(id.to_string());
                self.index.insert(id, n as u32);
                self.bits
                    .resize(self.bits.len() + self.days.len() * self.words, 0);
                n
            }
            None => return Added::Done,
        };
        if known.is_none() {
            self.last = Some((id.into(), n));
        }
        let at = self.pair(n, d);
        let pair = &mut self.bits[at];
        if !opens && pair.iter().all(|w| *w == 0) {
            return Added::Done;
        }
        let (word, bit) = (rule / 64, 1u64 << (rule % 64));
        if pair[word] & bit != 0 {
            return Added::Twice;
        }
        pair[word] |= bit;
        Added::Done
    }

    /// Where the words of (person `n`, date `d`) are in `bits`.
    fn pair(&self, n: usize, d: usize) -> std::ops::Range<usize> {
        let start = (n * self.days.len() + d) * self.words;
        start..start + self.words
    }

    /// Each pair's status and candidate rules, by date and person.
    fn statuses(self, rules: &RuleSet) -> DatedStatuses {
        let open = |pair: &[u64]| pair.iter().any(|w| *w != 0);
        let pairs = self.bits.chunks(self.words).filter(|p| open(p)).count();
        let mut rows = Vec::with_capacity(pairs);
        // pairs with the same rules fired share their status, candidate rules and exclusions:
        // each set of rules is looked at once
        let mut seen: rustc_hash::FxHashMap<&[u64], Pattern> = Default::default();
        for (d, day) in self.days.iter().enumerate() {
            let dato = date_from_days(*day);
            for person in 0..self.ids.len() {
                let pair = &self.bits[self.pair(person, d)];
                if !open(pair) {
                    continue;
                }
                let (status, treff, eksklusjoner) = seen.entry(pair).or_insert_with(|| {
                    let fired: Vec<usize> = (0..rules.rules.len())
                        .filter(|i| pair[i / 64] & (1u64 << (i % 64)) != 0)
                        .collect();
                    let status = status_of(rules, fired.iter().copied());
                    let of = |kind: Kind| -> Arc<[usize]> {
                        fired
                            .iter()
                            .copied()
                            .filter(|i| rules.rules[*i].kind == kind)
                            .collect()
                    };
                    let eksklusjoner = match status {
                        Status::Ekskludert => of(Kind::Eksklusjon),
                        _ => Arc::from([]),
                    };
                    (status, of(Kind::Kandidat), eksklusjoner)
                });
                rows.push(DatedStatus {
                    dato,
                    person: person as u32,
                    status: *status,
                    treff: treff.clone(),
                    eksklusjoner: eksklusjoner.clone(),
                });
            }
        }
        DatedStatuses {
            persons: self.ids,
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::session::Session;

    /// The embedded rule set and where `langtidsmottaker` (a candidate rule),
    /// `har_livsoppholdsytelse` (an exclusion) and `deltar_i_kvp` (an exclusion that sets the
    /// status) are in it.
    fn embedded_at() -> (RuleSet, [usize; 3]) {
        let rules = RuleSet::embedded().unwrap();
        let at = |id: &str| rules.rules.iter().position(|r| r.id == id).unwrap();
        let found = ["langtidsmottaker", "har_livsoppholdsytelse", "deltar_i_kvp"].map(at);
        (rules, found)
    }

    #[test]
    fn dated_exclusions_are_kept_for_excluded_pairs_only() {
        let (rules, [lang, liv, deltar]) = embedded_at();
        assert!(rules.rules[liv].gir_status.is_none() && rules.rules[deltar].gir_status.is_some());
        let mut f = DatedFired::new(&[20_000], rules.rules.len());
        // a: candidate and excluded; b: a participant (an exclusion that sets its status) who
        // also has a livelihood benefit; c: only the exclusion, which opens no pair
        for (id, opens, rule) in [
            ("a", true, lang),
            ("b", true, deltar),
            ("a", false, liv),
            ("b", false, liv),
            ("c", false, liv),
        ] {
            assert_eq!(f.add(20_000, id, opens, rule), Added::Done);
        }
        let s = f.statuses(&rules);
        let got: Vec<_> = s
            .rows
            .iter()
            .map(|r| {
                (
                    s.persons[r.person as usize].as_str(),
                    r.status,
                    r.treff.to_vec(),
                    r.eksklusjoner.to_vec(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a", Status::Ekskludert, vec![lang], vec![liv]),
                ("b", Status::Deltaker, vec![], vec![]),
            ]
        );
    }

    /// The same rows give the same statuses whether a person's rows come together (the last
    /// id found again without a look-up) or mixed with others', and an id first seen by a rule
    /// that opens no pair is still numbered when an opening rule comes later.
    #[test]
    fn dated_statuses_do_not_depend_on_the_rows_order() {
        let (rules, [lang, liv, deltar]) = embedded_at();
        let rows = [
            (20_000, "c", false, liv),
            (20_000, "c", true, lang),
            (19_993, "c", true, lang),
            (20_000, "a", true, lang),
            (20_000, "a", false, liv),
            (19_993, "a", false, liv),
            (20_000, "b", true, deltar),
            (20_000, "bb", true, lang),
            (19_993, "b", true, lang),
        ];
        let statuses = |order: &[usize]| {
            let mut f = DatedFired::new(&[20_000, 19_993], rules.rules.len());
            for i in order {
                let (day, id, opens, rule) = rows[*i];
                assert_eq!(f.add(day, id, opens, rule), Added::Done);
            }
            let s = f.statuses(&rules);
            let mut got: Vec<_> = s
                .rows
                .iter()
                .map(|r| {
                    let id = s.persons[r.person as usize].clone();
                    (
                        r.dato,
                        id,
                        r.status,
                        r.treff.to_vec(),
                        r.eksklusjoner.to_vec(),
                    )
                })
                .collect();
            got.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            got
        };
        let together: Vec<usize> = (0..rows.len()).collect();
        let mixed = [3, 6, 0, 7, 4, 1, 8, 5, 2];
        let got = statuses(&together);
        assert_eq!(got, statuses(&mixed));
        let of = |day: i32, id: &str| {
            got.iter()
                .find(|r| r.1 == id && r.0 == date_from_days(day))
                .map(|r| (r.2, r.3.clone(), r.4.clone()))
        };
        // c: its exclusion came before any pair was open, so only the candidate rule counts
        let candidate = Some((Status::Kandidat, vec![lang], vec![]));
        for (day, id) in [(20_000, "c"), (19_993, "c"), (20_000, "bb"), (19_993, "b")] {
            assert_eq!(of(day, id), candidate, "{id} on day {day}");
        }
        let excluded = Some((Status::Ekskludert, vec![lang], vec![liv]));
        assert_eq!(of(20_000, "a"), excluded);
        assert_eq!(of(19_993, "a"), None, "an exclusion opens no pair");
        assert_eq!(of(20_000, "b"), Some((Status::Deltaker, vec![], vec![])));
    }

    #[test]
    fn dated_pairs_open_by_opening_rules_and_keep_rule_set_order() {
        let rules = RuleSet::embedded().unwrap();
        let at = |id: &str| rules.rules.iter().position(|r| r.id == id).unwrap();
        let (lang, under_30) = (at("langtidsmottaker"), at("under_30_aktivitetsvilkar"));
        let hint = rules
            .rules
            .iter()
            .position(|r| r.kind == Kind::Hint)
            .expect("the embedded set has a hint");
        let mut f = DatedFired::new(&[20_000, 19_993], rules.rules.len());
        // A later rule first: the pair's rules still come out in rule-set order.
        assert_eq!(f.add(20_000, "b", true, under_30), Added::Done);
        assert_eq!(f.add(20_000, "b", true, lang), Added::Done);
        assert_eq!(f.add(19_993, "a", true, lang), Added::Done);
        // A hint joins an open pair only.
        assert_eq!(f.add(20_000, "a", false, hint), Added::Done);
        assert_eq!(f.add(19_993, "a", false, hint), Added::Done);
        assert_eq!(f.add(20_000, "c", false, hint), Added::Done);
        // Twice for one pair is an error; a day that is no scan date is refused.
        assert_eq!(f.add(20_000, "b", true, lang), Added::Twice);
        assert_eq!(f.add(20_001, "b", true, lang), Added::NotAScanDate);
        let s = f.statuses(&rules);
        assert_eq!(s.persons, ["b", "a"]);
        let rows: Vec<_> = s
            .rows
            .iter()
            .map(|r| {
                (
                    r.dato,
                    s.persons[r.person as usize].as_str(),
                    r.treff.to_vec(),
                )
            })
            .collect();
        let (d0, d1) = (date_from_days(19_993), date_from_days(20_000));
        assert_eq!(
            rows,
            [
                (d0, "a", vec![lang]),
                (d1, "b", vec![lang.min(under_30), lang.max(under_30)])
            ]
        );
        assert!(s.rows.iter().all(|r| r.status == Status::Kandidat));
    }

    type Verdicts = Vec<(String, Status, Vec<String>, Vec<String>)>;

    /// Every verdict of the demo data as (id, status, rules fired, explanation texts).
    async fn verdicts(explanations: bool) -> Verdicts {
        verdicts_of(explanations, false).await.0
    }

    /// As [`verdicts`]; `as_scan`: the session a scan opens (payments kept as months, the
    /// dataset's rows dropped, the engine's let go after its queries), and then whether the
    /// engine refuses a query and a second evaluation.
    async fn verdicts_of(explanations: bool, as_scan: bool) -> (Verdicts, bool) {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let opts = EngineOptions {
            target_partitions: 2,
            explanations,
            ..Default::default()
        };
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/demo");
        let (session, engine) = if as_scan {
            let mut session = Session::open_for_scan(&path, None, as_of, &opts)
                .await
                .unwrap();
            assert!(session.data.stonad_maneder.is_some());
            let engine = session.engine().await.unwrap().releasing_rows();
            session.data.drop_rows();
            (session, engine)
        } else {
            let session = Session::open(&path, None, as_of, &opts).await.unwrap();
            let engine = session.engine().await.unwrap();
            (session, engine)
        };
        let planned = session.plan(&engine).await.unwrap();
        let mut out = Vec::new();
        engine
            .evaluate(&session.rules, &planned, Lang::Nb, None, |v| {
                let fired = [&v.treff, &v.eksklusjoner, &v.hint]
                    .into_iter()
                    .flatten()
                    .map(ToString::to_string)
                    .collect();
                let texts = v.begrunnelse.iter().map(|e| e.text.to_string()).collect();
                out.push((v.facts.person_id.to_string(), v.status, fired, texts));
                Ok(())
            })
            .await
            .unwrap();
        let refused = matches!(
            engine.query("SELECT count(*) FROM personer").await,
            Err(EngineError::Released)
        ) && engine
            .evaluate(&session.rules, &planned, Lang::Nb, None, |_| Ok(()))
            .await
            .is_err();
        (out, refused)
    }

    #[test]
    fn a_scans_session_gives_the_same_verdicts_and_refuses_queries_once_its_rows_are_gone() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let (plain, plain_refused) = rt.block_on(verdicts_of(true, false));
        let (scan, scan_refused) = rt.block_on(verdicts_of(true, true));
        assert!(plain.len() > 100);
        assert_eq!(plain, scan);
        assert!(
            !plain_refused,
            "an ordinary engine answers queries after an evaluation"
        );
        assert!(scan_refused, "a released engine refuses them");
    }

    #[test]
    fn without_explanations_the_same_rules_fire_and_no_text_is_rendered() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let with = rt.block_on(verdicts(true));
        let without = rt.block_on(verdicts(false));
        assert_eq!(with.len(), without.len());
        assert!(with.iter().any(|(_, _, fired, _)| !fired.is_empty()));
        for (w, wo) in with.iter().zip(&without) {
            assert_eq!((&w.0, w.1, &w.2), (&wo.0, wo.1, &wo.2), "same verdict");
            assert_eq!(w.3.len(), wo.3.len(), "one text per rule fired");
        }
        let rendered = |v: &[(String, Status, Vec<String>, Vec<String>)]| {
            v.iter()
                .flat_map(|r| &r.3)
                .filter(|t| !t.is_empty())
                .count()
        };
        assert!(rendered(&with) > 100, "the demo data's hits have sentences");
        assert_eq!(rendered(&without), 0, "no template rendered");
    }
}
