//! Excel-friendly CSV outputs (UTF-8 with BOM, `;`, CRLF, one Norwegian header row):
//! `kandidater.csv` for caseworkers and `datakvalitet.csv` for the data owners.

use std::io::Write;

use tempfile::NamedTempFile;

use super::{ReportWriter, Staged};
use crate::contract::Lang;
use crate::contract::quality::Finding;
use crate::engine::Verdict;
use crate::rules::Status;

pub const KANDIDATER: &str = "kandidater.csv";
pub const DATAKVALITET: &str = "datakvalitet.csv";
pub const NAER_TREFF: &str = "naer_treff.csv";

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `kandidater.csv`'s rows are formatted in stretches of this many rows, on every core ...
const STRETCH: usize = 2048;
/// ... a window of this many stretches at a time, while the window before is written.
const WINDOW_STRETCHES: usize = 8;
/// About how long a row of `kandidater.csv` is (the national data's average is ~520 bytes):
/// the room made for a stretch of rows as it is formatted.
const ROW_BYTES: usize = 640;
/// `kandidater.csv`'s rows are held in chunks of this many: no growing buffer copied as it
/// doubles (the rows are sorted by reference).
const ROWS_CHUNK: usize = 4096;

/// Every CSV this tool writes goes through this writer: each cell is guarded against formula
/// injection ([`guard`]) whatever the caller passed, so no output can forget it.
pub(crate) struct CsvWriter<W: Write = super::HashedFile>(csv::Writer<W>);

impl<W: Write> CsvWriter<W> {
    pub fn write_record<I, T>(&mut self, cells: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        for c in cells {
            self.0.write_field(guard(c.as_ref()).as_bytes())?;
        }
        self.0.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// What the records were written into, every record flushed to it.
    fn into_inner(self) -> anyhow::Result<W> {
        self.0
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{}", e.error()))
    }
}

impl CsvWriter<Vec<u8>> {
    /// A writer of records into memory, with the files' settings (no BOM, no header), with room
    /// for `bytes`: a long file's rows can be formatted in stretches on every core and appended
    /// in order.
    fn in_memory(bytes: usize) -> Self {
        CsvWriter(builder().from_writer(Vec::with_capacity(bytes)))
    }
}

fn builder() -> csv::WriterBuilder {
    let mut b = csv::WriterBuilder::new();
    b.delimiter(b';').terminator(csv::Terminator::CRLF);
    b
}

/// A CSV file written (and hashed) into `tmp`, its BOM first.
pub(crate) fn writer(tmp: NamedTempFile) -> anyhow::Result<CsvWriter> {
    let mut file = super::HashedFile::new(tmp);
    file.write_all(BOM)?;
    Ok(CsvWriter(builder().from_writer(file)))
}

pub(crate) fn done(w: CsvWriter, name: &str, rows: u64) -> anyhow::Result<Staged> {
    let tmp = w.into_inner().map_err(|e| {
        anyhow::anyhow!(
            "{}",
            crate::tr!("kan ikke fullføre {name}: {e}", "cannot finish {name}: {e}")
        )
    })?;
    Ok(tmp.staged(name.into(), rows))
}

/// Text that Excel would read as a formula gets a leading apostrophe (CSV injection guard):
/// a cell starting with `=`, `+`, `-`, `@`, tab or CR, also after leading spaces.
pub(crate) fn safe(s: &str) -> String {
    if starts_like_formula(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// [`safe`] of a text already made for the cell (moved, not copied, when it is safe).
fn safe_owned(s: String) -> String {
    if starts_like_formula(&s) {
        format!("'{s}")
    } else {
        s
    }
}

/// Whether Excel would read the text as a formula: it starts with `=`, `+`, `-`, `@`, tab or
/// CR, also after leading spaces.
fn starts_like_formula(s: &str) -> bool {
    s.trim_start_matches(' ')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The guard applied to every cell: [`safe`], except the `="<digits>"` form [`id_cell`] writes
/// on purpose (a formula that only yields the digits as text).
pub(crate) fn guard(cell: &str) -> std::borrow::Cow<'_, str> {
    let is_id_formula = cell
        .strip_prefix("=\"")
        .and_then(|c| c.strip_suffix('"'))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    if is_id_formula || !starts_like_formula(cell) {
        std::borrow::Cow::Borrowed(cell)
    } else {
        std::borrow::Cow::Owned(format!("'{cell}"))
    }
}

/// An all-digit id is written as ="…" so Excel keeps it as text (no lost leading zero, no 1.2E+10).
pub(crate) fn id_cell(id: &str) -> String {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        let mut s = String::with_capacity(id.len() + 3);
        s.push_str("=\"");
        s.push_str(id);
        s.push('"');
        s
    } else {
        safe(id)
    }
}

struct Row {
    nav_kontor: crate::engine::Short,
    veileder: Option<crate::engine::Short>,
    person_id: crate::engine::Short,
    alder: i64,
    treff: crate::engine::Ids,
    maneder: i64,
    siste: Option<chrono::NaiveDate>,
    innsatsgruppe: String,
    hint: crate::engine::Ids,
    uavklart: crate::engine::Ids,
    /// The sentences, shared with the verdict's (joined when the row is written).
    begrunnelse: Vec<std::sync::Arc<str>>,
}

/// Candidates for caseworkers, sorted by office, caseworker, then most rules and most months.
/// Persons with `STRENGT_FORTROLIG` address protection (kode 6) are left out (counted instead).
pub struct KandidaterWriter {
    tmp: NamedTempFile,
    rows: Vec<Vec<Row>>,
    pub skjermet: u64,
    lang: Lang,
    /// rule id → title in `lang`: people read rule titles, not ids
    titles: std::collections::HashMap<String, String>,
}

impl KandidaterWriter {
    pub fn new(
        tmp: NamedTempFile,
        lang: Lang,
        titles: std::collections::HashMap<String, String>,
    ) -> Self {
        KandidaterWriter {
            tmp,
            rows: Vec::new(),
            skjermet: 0,
            lang,
            titles,
        }
    }
}

/// Rule titles for rule ids (an unknown id as it is), joined with `; `.
fn titled<'a>(
    titles: &'a std::collections::HashMap<String, String>,
    ids: impl Iterator<Item = &'a str>,
) -> String {
    ids.map(|id| titles.get(id).map_or(id, String::as_str))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A header row in the run's language: `nb` as caseworkers read it, or `en`.
pub fn header<'a>(lang: Lang, nb: &[&'a str], en: &[&'a str]) -> Vec<&'a str> {
    debug_assert_eq!(nb.len(), en.len());
    lang.pick((nb, en)).to_vec()
}

/// The English header of `kandidater.csv` (`--lang en`).
pub const HEADER_EN: [&str; 11] = [
    "NAV office",
    "Caseworker",
    "Person ID",
    "Age",
    "Rules that apply",
    "Number of rules",
    "Months with assistance, last 12",
    "Last month with assistance",
    "Innsatsgruppe",
    "Hints",
    "Explanation",
];

/// The header row: Norwegian, as caseworkers read it.
pub const HEADER: [&str; 11] = [
    "NAV-kontor",
    "Veileder",
    "Person-ID",
    "Alder",
    "Regler med treff",
    "Antall regler",
    "Måneder med stønad siste 12",
    "Siste måned med stønad",
    "Innsatsgruppe",
    "Hint",
    "Begrunnelse",
];

impl ReportWriter for KandidaterWriter {
    fn verdict(&mut self, v: &Verdict) -> anyhow::Result<()> {
        if v.status != Status::Kandidat {
            return Ok(());
        }
        let f = &v.facts;
        if f.skjermet() {
            self.skjermet += 1;
            return Ok(());
        }
        let row = Row {
            nav_kontor: f.nav_kontor.clone(),
            veileder: f.veileder.clone(),
            person_id: f.person_id.clone(),
            alder: f.alder,
            treff: v.treff.clone(),
            maneder: f.stonadsmaneder_siste_12,
            siste: f.siste_stonadsmaned,
            innsatsgruppe: f
                .innsatsgruppe
                .as_deref()
                .map(|i| crate::contract::label("innsatsgruppe", i, self.lang))
                .unwrap_or_default(),
            hint: v.hint.clone(),
            uavklart: v.uavklart.clone(),
            begrunnelse: v.begrunnelse.iter().map(|e| e.text.clone()).collect(),
        };
        match self.rows.last_mut().filter(|c| c.len() < ROWS_CHUNK) {
            Some(chunk) => chunk.push(row),
            None => {
                let mut chunk = Vec::with_capacity(ROWS_CHUNK);
                chunk.push(row);
                self.rows.push(chunk);
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> anyhow::Result<Staged> {
        let KandidaterWriter {
            tmp,
            rows,
            lang,
            titles,
            ..
        } = *self;
        use rayon::prelude::*;
        let mut sorted: Vec<&Row> = rows.iter().flatten().collect();
        in_file_order(&mut sorted);
        let n = sorted.len() as u64;
        let mut w = writer(tmp)?;
        w.write_record(header(lang, &HEADER, &HEADER_EN))?;
        // the rows are appended to the file as formatted below
        let mut file = w.into_inner()?;
        let not_assessed = crate::i18n::labels::UTFALL.text("uavklart", lang);
        let format = |stretch: &[&Row]| -> anyhow::Result<Vec<u8>> {
            // room made once (a stretch grown from empty was copied as it doubled)
            let mut b = CsvWriter::in_memory(stretch.len() * ROW_BYTES);
            for r in stretch {
                b.write_record(r.cells(&titles, not_assessed))?;
            }
            b.into_inner()
        };
        // The rows formatted in stretches on every core a window at a time, while the window
        // before is written (and hashed) in order.
        let mut rest = sorted.chunks(STRETCH * WINDOW_STRETCHES);
        let mut formatted: Option<Vec<Vec<u8>>> = None;
        loop {
            let window: &[&Row] = rest.next().unwrap_or_default();
            let (written, next) = rayon::join(
                || -> anyhow::Result<()> {
                    if let Some(stretches) = formatted.take() {
                        for s in &stretches {
                            file.write_all(s)?;
                        }
                    }
                    Ok(())
                },
                || {
                    window
                        .par_chunks(STRETCH)
                        .map(format)
                        .collect::<anyhow::Result<Vec<_>>>()
                },
            );
            written?;
            if window.is_empty() {
                break;
            }
            formatted = Some(next?);
        }
        Ok(file.staged(KANDIDATER.into(), n))
    }
}

/// The rows in `kandidater.csv`'s order (stable): by office, caseworker (none last), then most
/// rules, most months and person id. Verdicts come by office and caseworker already (the
/// engine's order), so each caseworker's run is sorted on its own, the runs on every core; rows
/// in any other order are sorted whole.
fn in_file_order(rows: &mut [&Row]) {
    use rayon::prelude::*;
    use std::cmp::Ordering;
    let caseworker = |a: &Row, b: &Row| {
        a.nav_kontor
            .cmp(&b.nav_kontor)
            .then_with(|| match (&a.veileder, &b.veileder) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
    };
    let within = |a: &Row, b: &Row| {
        b.treff
            .len()
            .cmp(&a.treff.len())
            .then_with(|| b.maneder.cmp(&a.maneder))
            .then_with(|| a.person_id.cmp(&b.person_id))
    };
    if rows.is_sorted_by(|a, b| caseworker(a, b) != Ordering::Greater) {
        rows.par_chunk_by_mut(|a, b| caseworker(a, b) == Ordering::Equal)
            .for_each(|run| run.sort_by(|a, b| within(a, b)));
    } else {
        rows.par_sort_by(|a, b| caseworker(a, b).then_with(|| within(a, b)));
    }
}

impl Row {
    /// The row's cells in `kandidater.csv`.
    fn cells(
        &self,
        titles: &std::collections::HashMap<String, String>,
        not_assessed: &str,
    ) -> [String; 11] {
        let mut hint = vec![titled(titles, self.hint.iter().map(|h| h.as_str()))];
        hint.extend(self.uavklart.iter().map(|u| {
            format!(
                "{not_assessed}: {}",
                titled(titles, std::iter::once(u.as_str()))
            )
        }));
        hint.retain(|h| !h.is_empty());
        [
            id_cell(&self.nav_kontor),
            self.veileder.as_deref().map(safe).unwrap_or_default(),
            id_cell(&self.person_id),
            self.alder.to_string(),
            titled(titles, self.treff.iter().map(|t| t.as_str())),
            self.treff.len().to_string(),
            self.maneder.to_string(),
            self.siste
                .map(crate::engine::values::iso_month)
                .unwrap_or_default(),
            self.innsatsgruppe.clone(),
            hint.join("; "),
            safe_owned(self.begrunnelse.join(" ")),
        ]
    }
}

/// Writes `datakvalitet.csv`: one line per finding, by table (contract order), file and row.
pub fn write_datakvalitet(
    tmp: NamedTempFile,
    findings: &[Finding],
    lang: Lang,
) -> anyhow::Result<Staged> {
    let order = |t: &str| {
        crate::contract::TABLES
            .iter()
            .position(|s| s.name == t)
            .map_or(0, |i| i + 1)
    };
    let mut findings: Vec<&Finding> = findings.iter().collect();
    findings
        .sort_by(|a, b| (order(&a.table), &a.file, a.row).cmp(&(order(&b.table), &b.file, b.row)));
    let mut w = writer(tmp)?;
    w.write_record(header(
        lang,
        &[
            "Tabell",
            "Fil",
            "Rad",
            "Kolonne",
            "Alvorlighet",
            "Årsak",
            "kode",
        ],
        &[
            "Table", "File", "Row", "Column", "Severity", "Reason", "code",
        ],
    ))?;
    for f in &findings {
        w.write_record([
            f.table.as_str(),
            f.file.as_str(),
            &f.row.to_string(),
            f.column.as_str(),
            f.severity().label(lang),
            &safe(&f.problem.reason(lang)),
            f.problem.code(),
        ])?;
    }
    done(w, DATAKVALITET, findings.len() as u64)
}

/// `naer_treff.csv`: per office and candidate rule, how many persons miss the rule by exactly one
/// condition (and which), and how many could not be assessed because a table is missing.
pub struct NaerTreffWriter {
    tmp: NamedTempFile,
    lang: Lang,
    candidate_rules: Vec<String>,
    /// rule id → title in `lang`
    titles: std::collections::HashMap<String, String>,
    /// nav_kontor → rule → krav (or "" for undecided) → persons: in the order of the file's
    /// rows, and a verdict's keys are looked up without being copied (only a new key is)
    counts: Counts,
    /// The office of the verdicts counted last and their counts, not yet in `counts`: the
    /// verdicts come office by office, so an office is looked up once, not per person.
    office: Option<(crate::engine::Short, OfficeCounts)>,
}

impl NaerTreffWriter {
    pub fn new(
        tmp: NamedTempFile,
        candidate_rules: Vec<String>,
        lang: Lang,
        titles: std::collections::HashMap<String, String>,
    ) -> Self {
        NaerTreffWriter {
            tmp,
            lang,
            candidate_rules,
            titles,
            counts: Default::default(),
            office: None,
        }
    }
}

/// A verdict's candidate rules missed by one condition (rule, condition) and its undecided
/// candidate rules (rule, "").
fn near_keys<'v>(
    v: &'v Verdict,
    candidate_rules: &'v [String],
) -> impl Iterator<Item = (&'v str, &'v str)> + Clone {
    let candidate = move |rule: &str| candidate_rules.iter().any(|c| c == rule);
    let near = v.naer_treff.iter().filter(move |n| candidate(&n.rule));
    let undecided = v.uavklart.iter().filter(move |u| candidate(u));
    near.map(|n| (n.rule.as_str(), n.krav.as_str()))
        .chain(undecided.map(|u| (u.as_str(), "")))
}

/// The counts of `office`, the office counted last (`current`): those of the office before it
/// are added to `counts` first (an office seen again adds to its earlier counts).
fn office_counts<'c>(
    current: &'c mut Option<(crate::engine::Short, OfficeCounts)>,
    counts: &mut Counts,
    office: &crate::engine::Short,
) -> &'c mut OfficeCounts {
    if current.as_ref().is_none_or(|(o, _)| o != office) {
        put_office_away(current, counts);
        *current = Some((office.clone(), OfficeCounts::new()));
    }
    &mut current.as_mut().expect("set above").1
}

/// The office counted last (`current`) into `counts`.
fn put_office_away(
    current: &mut Option<(crate::engine::Short, OfficeCounts)>,
    counts: &mut Counts,
) {
    let Some((office, rules)) = current.take() else {
        return;
    };
    if rules.is_empty() {
        return;
    }
    let all = counts.entry(office.to_string()).or_default();
    for (rule, kravs) in rules {
        let into = all.entry(rule).or_default();
        for (krav, n) in kravs {
            *into.entry(krav).or_default() += n;
        }
    }
}

/// One office's counts: rule → krav (or "" for undecided) → persons.
type OfficeCounts = std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>;

type Counts = std::collections::BTreeMap<String, OfficeCounts>;

/// Counts one person for (rule, krav) in one office's counts.
fn bump(counts: &mut OfficeCounts, rule: &str, krav: &str) {
    fn at<'m, V: Default>(m: &'m mut std::collections::BTreeMap<String, V>, k: &str) -> &'m mut V {
        if !m.contains_key(k) {
            m.insert(k.to_string(), V::default());
        }
        m.get_mut(k).expect("inserted above")
    }
    *at(at(counts, rule), krav) += 1;
}

impl ReportWriter for NaerTreffWriter {
    fn verdict(&mut self, v: &Verdict) -> anyhow::Result<()> {
        // kode 6 is counted in no per-office figure
        if v.facts.skjermet() {
            return Ok(());
        }
        let keys = near_keys(v, &self.candidate_rules);
        // most verdicts have none: looked at once, and no list is made
        if keys.clone().next().is_none() {
            return Ok(());
        }
        let counts = office_counts(&mut self.office, &mut self.counts, &v.facts.nav_kontor);
        for (rule, krav) in keys {
            bump(counts, rule, krav);
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<Staged> {
        put_office_away(&mut self.office, &mut self.counts);
        let mut w = writer(self.tmp)?;
        w.write_record(header(
            self.lang,
            &[
                "NAV-kontor",
                "Regel",
                "Vilkåret som manglet",
                "Personer nær treff",
                "Personer ikke vurdert",
                "Regel-ID",
                "Vilkår-ID",
            ],
            &[
                "NAV office",
                "Rule",
                "The condition missed",
                "Persons near a match",
                "Persons not assessed",
                "Rule ID",
                "Condition ID",
            ],
        ))?;
        let all = self.counts.iter().flat_map(|(office, rules)| {
            rules.iter().flat_map(move |(rule, kravs)| {
                kravs.iter().map(move |(krav, n)| (office, rule, krav, n))
            })
        });
        let mut rows = 0u64;
        for (office, rule, krav, n) in all {
            rows += 1;
            let (near, undecided) = if krav.is_empty() {
                (String::new(), n.to_string())
            } else {
                (n.to_string(), String::new())
            };
            let title = titled(&self.titles, std::iter::once(rule.as_str()));
            w.write_record([
                id_cell(office),
                title,
                krav.replace('_', " "),
                near,
                undecided,
                rule.clone(),
                krav.clone(),
            ])?;
        }
        done(w, NAER_TREFF, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Near misses and undecided candidate rules counted per office, also when an office's
    /// verdicts do not all come together; other rules and kode 6 are not counted.
    #[test]
    fn near_misses_are_counted_per_office_and_rule_in_any_office_order() {
        use crate::engine::{NearMiss, PersonFacts};
        let verdict =
            |office: &str, near: &[(&str, &str)], undecided: &[&str], kode6: bool| Verdict {
                facts: PersonFacts {
                    nav_kontor: office.into(),
                    adressebeskyttelse: kode6.then(|| "STRENGT_FORTROLIG".into()),
                    ..Default::default()
                },
                status: Status::IkkeTreff,
                treff: Default::default(),
                eksklusjoner: Default::default(),
                hint: Default::default(),
                uavklart: undecided.iter().map(|u| (*u).into()).collect(),
                begrunnelse: vec![],
                naer_treff: near
                    .iter()
                    .map(|(rule, krav)| NearMiss {
                        rule: (*rule).into(),
                        krav: (*krav).into(),
                        text: "".into(),
                    })
                    .collect(),
                krav: vec![],
            };
        let mut w = NaerTreffWriter::new(
            NamedTempFile::new().unwrap(),
            vec!["a".into(), "b".into()],
            Lang::Nb,
            Default::default(),
        );
        let verdicts = [
            verdict("0301", &[("a", "k1"), ("x", "k1")], &[], false),
            verdict("0301", &[("a", "k1")], &["b", "x"], false),
            verdict("0301", &[], &[], false),
            verdict("1103", &[("b", "k2")], &[], false),
            verdict("1103", &[("a", "k1")], &[], true),
            verdict("0301", &[("a", "k2")], &["b"], false),
        ];
        for v in &verdicts {
            w.verdict(v).unwrap();
        }
        put_office_away(&mut w.office, &mut w.counts);
        let counts: Vec<(&str, &str, &str, u64)> = w
            .counts
            .iter()
            .flat_map(|(o, rules)| {
                rules.iter().flat_map(move |(r, kravs)| {
                    kravs
                        .iter()
                        .map(move |(k, n)| (o.as_str(), r.as_str(), k.as_str(), *n))
                })
            })
            .collect();
        assert_eq!(
            counts,
            [
                ("0301", "a", "k1", 2),
                ("0301", "a", "k2", 1),
                ("0301", "b", "", 2),
                ("1103", "b", "k2", 1),
            ]
        );
    }

    /// Rows as the engine hands them over (by office and caseworker, none last) and in any
    /// order are put in the file's order as the whole sort by its definition does.
    mod file_order {
        use super::super::*;
        use proptest::prelude::*;

        fn row((office, caseworker, rules, months, id): (u8, Option<u8>, usize, i64, u8)) -> Row {
            Row {
                nav_kontor: format!("03{office}").into(),
                veileder: caseworker.map(|c| format!("V{c}").into()),
                person_id: format!("{id:02}").into(),
                alder: 30,
                treff: smallvec::smallvec!["r".into(); rules],
                maneder: months,
                siste: None,
                innsatsgruppe: String::new(),
                hint: Default::default(),
                uavklart: Default::default(),
                begrunnelse: vec![],
            }
        }

        /// The definition: one stable sort by every key.
        fn by_definition(rows: &mut [&Row]) {
            rows.sort_by(|a, b| {
                (&a.nav_kontor, a.veileder.is_none(), &a.veileder)
                    .cmp(&(&b.nav_kontor, b.veileder.is_none(), &b.veileder))
                    .then(b.treff.len().cmp(&a.treff.len()))
                    .then(b.maneder.cmp(&a.maneder))
                    .then(a.person_id.cmp(&b.person_id))
            });
        }

        fn ids(
            rows: &[&Row],
        ) -> Vec<(
            crate::engine::Short,
            Option<crate::engine::Short>,
            crate::engine::Short,
        )> {
            rows.iter()
                .map(|r| {
                    (
                        r.nav_kontor.clone(),
                        r.veileder.clone(),
                        r.person_id.clone(),
                    )
                })
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]
            #[test]
            fn as_the_definition(
                keys in proptest::collection::vec(
                    (0u8..3, proptest::option::of(0u8..3), 0usize..3, 0i64..4, 0u8..40),
                    0..60,
                ),
                engine_order in any::<bool>(),
            ) {
                let rows: Vec<Row> = keys.into_iter().map(row).collect();
                let mut given: Vec<&Row> = rows.iter().collect();
                if engine_order {
                    given.sort_by(|a, b| {
                        (&a.nav_kontor, a.veileder.is_none(), &a.veileder)
                            .cmp(&(&b.nav_kontor, b.veileder.is_none(), &b.veileder))
                            .then(a.person_id.cmp(&b.person_id))
                    });
                }
                let mut want = given.clone();
                by_definition(&mut want);
                in_file_order(&mut given);
                prop_assert_eq!(ids(&given), ids(&want));
            }
        }
    }

    #[test]
    fn ids_stay_text_and_formulas_are_defused() {
        assert_eq!(id_cell("01019012345"), "=\"01019012345\"");
        assert_eq!(id_cell("P-17"), "P-17");
        assert_eq!(safe("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(safe("Mottok"), "Mottok");
        assert_eq!(safe("  =1+1"), "'  =1+1");
        assert_eq!(safe(" -2"), "' -2");
        for s in ["=1", "Mottok", " +x", ""] {
            assert_eq!(safe_owned(s.to_string()), safe(s));
        }
    }

    #[test]
    fn every_cell_is_guarded_except_the_id_formula() {
        for bad in [
            "=cmd|' /C calc'!A0",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "   =x",
        ] {
            assert_eq!(guard(bad), format!("'{bad}"), "{bad:?}");
        }
        assert_eq!(guard("=\"01019012345\""), "=\"01019012345\"");
        assert_eq!(guard("=\"1\"+\"2\""), "'=\"1\"+\"2\"");
        assert_eq!(guard("=\"\""), "'=\"\"");
        assert_eq!(guard("lister/0314/V1.csv"), "lister/0314/V1.csv");
        assert_eq!(guard("'=x"), "'=x");
    }
}
