//! Evaluating a planned rule set: the rules' rows for the persons wanted, their verdicts in
//! office order streamed to a sink, and every person's status on many dates in one pass.

use super::plan::fired_only;
use super::render::{RenderCache, Rendered, RuleWork};
use super::verdict::{Sentence, verdict};
use super::*;

/// Per person, the rules that fired (positions in the rule set) with their sentences. Texts are
/// shared, not copied: many persons get the same sentence, and a session that evaluates two
/// rule sets (`compare`) reuses a rule's rows.
pub(crate) type Hits = rustc_hash::FxHashMap<Arc<str>, Vec<(usize, Sentence)>>;

pub(crate) type NearMisses = rustc_hash::FxHashMap<Arc<str>, Vec<Arc<KravCheck>>>;

/// What the rules gave, for the persons an evaluation makes verdicts for.
pub(crate) struct RuleHits {
    pub(crate) hits: Hits,
    pub(crate) near: NearMisses,
    /// With [`Persons::Touched`], those persons.
    pub(crate) touched: Option<rustc_hash::FxHashSet<Arc<str>>>,
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
        let results = query_rules(&decidable, &todo, only).await?;
        let queried = started.elapsed();

        let env = template::environment(lang);
        let works = decidable
            .iter()
            .map(|p| RuleWork::new(&env, p, lang, self.as_of, self.short_forms))
            .collect::<Result<Vec<_>, _>>()?;
        let fresh = render_rows(&works, results, &todo, only)?;
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
        let touched = touched_persons(persons, &all, &works);
        let (hits, near) = merge_rows(all, &works, touched.as_ref())?;
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
    /// The persons' key facts in office, caseworker and id order (one person's alone), as a
    /// read-only query.
    async fn key_facts(&self, only: Option<&str>) -> Result<DataFrame, DataFusionError> {
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
        Ok(df)
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
            rule: p.rule.id.clone(),
            text: text.into(),
            kort: None,
        }
    }

    pub async fn evaluate_persons(
        &self,
        rules: &RuleSet,
        planned: &[PlannedRule<'_>],
        lang: Lang,
        persons: Persons<'_>,
        sink: impl FnMut(Verdict) -> anyhow::Result<()> + Send,
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
        let key_facts = self.spawn_key_facts(only, memo).await?;
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
            touched.as_ref(),
            (rules, &undecided_sentences),
            (&mut hits, &mut near),
            &mut stats,
            sink,
        )?;
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

    /// Every person's key facts (one person's with `only`), queried on a task of their own
    /// so they come while the rules run and render; taken from the session's memo when an
    /// earlier evaluation kept them.
    async fn spawn_key_facts(
        &self,
        only: Option<&str>,
        memo: Option<&std::sync::Mutex<Memory>>,
    ) -> anyhow::Result<tokio::task::JoinHandle<Result<Vec<RecordBatch>, DataFusionError>>> {
        let kept = memo.and_then(|m| m.lock().expect("memo lock").key_facts.clone());
        Ok(match kept {
            Some(batches) => tokio::spawn(async move { Ok(batches) }),
            None => tokio::spawn(self.key_facts(only).await?.collect()),
        })
    }

    /// The verdicts of every person in `key_facts` (those `touched`, when given), made here a
    /// batch at a time and handed to `sink` on another thread; returns the time the sink took.
    fn write_verdicts(
        &self,
        key_facts: &[RecordBatch],
        touched: Option<&rustc_hash::FxHashSet<Arc<str>>>,
        (rules, undecided_sentences): (&RuleSet, &[Explanation]),
        (hits, near): (&mut Hits, &mut NearMisses),
        stats: &mut EvalStats,
        mut sink: impl FnMut(Verdict) -> anyhow::Result<()> + Send,
    ) -> anyhow::Result<std::time::Duration> {
        let wanted = |batch: &RecordBatch, row: usize| {
            touched.is_none_or(|t| t.contains(values::string(batch.column(1), row).as_str()))
        };
        std::thread::scope(|scope| -> anyhow::Result<std::time::Duration> {
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
            for batch in key_facts {
                let rows = (0..batch.num_rows()).filter(|row| wanted(batch, *row));
                let chunk = self.batch_verdicts(
                    (rules, undecided_sentences),
                    (batch, rows),
                    (&mut *hits, &mut *near),
                    stats,
                );
                // A closed channel means the writer stopped on an error, returned below.
                if tx.send(chunk).is_err() {
                    break;
                }
            }
            drop(tx);
            writer.join().expect("the writer thread does not panic")
        })
    }

    /// One batch of key facts as verdicts, for the rows wanted, counted into `stats`.
    fn batch_verdicts(
        &self,
        (rules, undecided_sentences): (&RuleSet, &[Explanation]),
        (batch, rows): (&RecordBatch, impl Iterator<Item = usize>),
        (hits, near): (&mut Hits, &mut NearMisses),
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
        let mut chunk = Vec::with_capacity(batch.num_rows());
        for row in rows {
            let facts = self.person_facts(batch, row);
            let fired = hits.remove(facts.person_id.as_str()).unwrap_or_default();
            let naer = near.remove(facts.person_id.as_str()).unwrap_or_default();
            let v = verdict(
                rules,
                facts,
                fired,
                naer,
                &stats.undecided_rules,
                undecided_sentences,
            );
            stats.count(&v);
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
        let mut fired = DatedFired::default();
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
                    let (day, id) = (dates.value(row), pids.value(row));
                    if !fired.add(day, id, opens_pair, p.index) {
                        return Err(EngineError::DuplicatePerson {
                            rule: p.rule.id.clone(),
                        });
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
            dates = self.dates,
            pairs = statuses.rows.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "statuses for all dates"
        );
        Ok(statuses)
    }

    fn person_facts(&self, b: &RecordBatch, row: usize) -> PersonFacts {
        use facts::KeyFact::{self as K, *};
        // Columns by name (`KeyFact`, whose positions are KEY_FACTS's select list; each batch's
        // names are checked against it before any row is read).
        let c = |k: K| b.column(k as usize);
        let s =
            |k: K| -> Option<String> { (!c(k).is_null(row)).then(|| values::string(c(k), row)) };
        let i = |k: K| -> Option<i64> {
            (!c(k).is_null(row)).then(|| c(k).as_primitive::<Int64Type>().value(row))
        };
        let d = |k: K| -> Option<NaiveDate> {
            (!c(k).is_null(row))
                .then(|| date_from_days(c(k).as_primitive::<Date32Type>().value(row)))
        };
        let ytelser = {
            let c = c(Livsoppholdsytelser);
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
            person_id: s(PersonId).unwrap_or_default(),
            nav_kontor: s(NavKontor).unwrap_or_default(),
            veileder: s(Veileder),
            kommune_nr: s(KommuneNr).unwrap_or_default(),
            kjonn: s(Kjonn),
            adressebeskyttelse: s(Adressebeskyttelse),
            alder: i(Alder).unwrap_or_default(),
            stonadsmaneder_siste_12: i(StonadsmanederSiste12).unwrap_or_default(),
            siste_stonadsmaned: d(SisteStonadsmaned),
            innsatsgruppe: s(Innsatsgruppe),
            vedtak_dato: d(VedtakDato),
            livsoppholdsytelser: ytelser,
            kvp_tilstand: s(KvpTilstand),
            kvp_siste_hendelse: s(KvpSisteHendelse),
            kvp_siste_dato: d(KvpSisteDato),
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

/// Each rule's rendered rows in batch order (rules not queried get none), rendered on rayon's
/// pool with a text cache per job.
#[allow(clippy::type_complexity)]
fn render_rows(
    works: &[RuleWork<'_, '_>],
    results: Vec<Vec<RecordBatch>>,
    todo: &[usize],
    only: Option<&str>,
) -> Result<Vec<Vec<(Arc<str>, Rendered)>>, EngineError> {
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
                works[*w].render(batch, only, (*w, cache))
            })
            .collect()
    };
    // The rules' rows are not needed once rendered.
    let batch_rules: Vec<usize> = items.iter().map(|(w, _)| *w).collect();
    drop(items);
    drop(results);
    // each rule's rows in batch order: fresh, or as this session rendered them before
    let mut fresh: Vec<Vec<(Arc<str>, Rendered)>> = (0..works.len()).map(|_| Vec::new()).collect();
    for (w, out) in batch_rules.iter().zip(rendered) {
        fresh[*w].extend(out?);
    }
    Ok(fresh)
}

/// With [`Persons::Touched`]: the persons listed and every person one of its rules fired for.
fn touched_persons(
    persons: Persons<'_>,
    all: &[RuleRows],
    works: &[RuleWork<'_, '_>],
) -> Option<rustc_hash::FxHashSet<Arc<str>>> {
    match persons {
        Persons::Touched { ids, rules } => {
            let mut set: rustc_hash::FxHashSet<Arc<str>> =
                ids.iter().map(|id| Arc::from(id.as_str())).collect();
            for (rows, work) in all.iter().zip(works) {
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
    }
}

/// The rendered rows per person: the rules that fired with their sentences, and the near
/// misses; a rule that returns one person twice is an error.
fn merge_rows(
    all: Vec<RuleRows>,
    works: &[RuleWork<'_, '_>],
    touched: Option<&rustc_hash::FxHashSet<Arc<str>>>,
) -> Result<(Hits, NearMisses), EngineError> {
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
        let wanted = |id: &str| touched.is_none_or(|t| t.contains(id));
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
    Ok((hits, near))
}

/// The rules that fired per (scan date, person), persons numbered in the order first seen.
#[derive(Default)]
struct DatedFired {
    index: rustc_hash::FxHashMap<String, u32>,
    ids: Vec<String>,
    fired: rustc_hash::FxHashMap<(i32, u32), Vec<usize>>,
}

impl DatedFired {
    /// Rule `rule` fired for `id` on `day`. A rule that can open a pair (a candidate rule, or
    /// an exclusion that gives a status) adds it; any other only joins a pair already open.
    /// False when the rule already fired for the pair (it returned the person twice).
    fn add(&mut self, day: i32, id: &str, opens: bool, rule: usize) -> bool {
        let entry = if opens {
            let n = match self.index.get(id) {
                Some(n) => *n,
                None => {
                    self.ids.push(id.to_string());
                    self.index.insert(id.to_string(), self.ids.len() as u32 - 1);
                    self.ids.len() as u32 - 1
                }
            };
            self.fired.entry((day, n)).or_default()
        } else {
            match self
                .index
                .get(id)
                .and_then(|n| self.fired.get_mut(&(day, *n)))
            {
                Some(e) => e,
                None => return true,
            }
        };
        if entry.last() == Some(&rule) {
            return false;
        }
        entry.push(rule);
        true
    }

    /// Each pair's status and candidate rules, by date and person.
    fn statuses(self, rules: &RuleSet) -> DatedStatuses {
        let mut rows: Vec<DatedStatus> = self
            .fired
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
        DatedStatuses {
            persons: self.ids,
            rows,
        }
    }
}
