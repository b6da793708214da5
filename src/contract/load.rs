//! Reading a data directory: finding the tables, checking schemas up front, casting to the
//! contract's canonical types, validating every row and setting bad rows aside with a finding.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use compact_str::CompactString;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::compute::kernels::cmp;
use datafusion::arrow::compute::{cast, filter_record_batch, max, min};
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};
use thiserror::Error;
use tracing::{debug, info, warn};

use super::quality::MAX_ID_BYTES;
use super::quality::{Finding, Problem, RowCounts};
use super::strs::{Strs, dictionary_type};
use super::{Adressebeskyttelse, ColType, ColumnSpec, TableSpec, fnr, stonad};

/// A fatal problem with the input: the run stops and nothing is written.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{}", crate::tr!(
        "datamappen {} finnes ikke eller er ikke en mappe",
        "data directory {} does not exist or is not a directory",
        .0.display()
    ))]
    NoDataDir(PathBuf),
    #[error("{}", crate::tr!(
        "den påkrevde tabellen `{table}` mangler i {dir}: forventet {table}.parquet eller en mappe {table}/ med Parquet-deler{hint}",
        "required table `{table}` is missing in {dir}: expected {table}.parquet or a folder {table}/ of Parquet part files{hint}",
        dir = dir.display()
    ))]
    MissingTable {
        table: &'static str,
        dir: PathBuf,
        /// what the folder holds instead, when that explains it
        hint: String,
    },
    #[error("{}", crate::tr!(
        "tabellen `{table}` finnes to ganger i {dir}: både {table}.parquet og mappen {table}/",
        "table `{table}` is given twice in {dir}: both {table}.parquet and the folder {table}/ exist",
        dir = dir.display()
    ))]
    AmbiguousTable { table: &'static str, dir: PathBuf },
    #[error("{}", crate::tr!(
        "{path}: ikke en lesbar Parquet-fil",
        "{path}: not a readable Parquet file",
        path = path.display()
    ))]
    NotParquet {
        path: PathBuf,
        #[source]
        source: datafusion::parquet::errors::ParquetError,
    },
    #[error("{}", crate::tr!(
        "{path}: den påkrevde kolonnen `{column}` mangler (forventet type {expected})",
        "{path}: required column `{column}` is missing (expected type {expected})",
        path = path.display()
    ))]
    MissingColumn {
        path: PathBuf,
        column: &'static str,
        expected: &'static str,
    },
    #[error("{}", crate::tr!(
        "{path}: kolonnen `{column}` har typen {found}, forventet {expected}",
        "{path}: column `{column}` has type {found}, expected {expected}",
        path = path.display()
    ))]
    WrongType {
        path: PathBuf,
        column: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("{}", crate::tr!("{path}: kan ikke leses", "{path}: cannot read", path = path.display()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", crate::tr!(
        "{path}: kan ikke lese radene",
        "{path}: cannot read row data",
        path = path.display()
    ))]
    Arrow {
        path: PathBuf,
        #[source]
        source: datafusion::arrow::error::ArrowError,
    },
}

/// One input file, for the manifest.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct InputFile {
    pub tabell: String,
    /// Path relative to the data directory.
    pub fil: String,
    pub sha256: String,
    pub rader: u64,
}

/// A loaded, validated table.
#[derive(Debug)]
pub struct LoadedTable {
    pub spec: &'static TableSpec,
    /// False when an optional table is absent from the export: its facts are unknown.
    pub present: bool,
    pub batches: Vec<RecordBatch>,
    pub counts: RowCounts,
}

/// Everything read from a data directory (or built from a rule's example case).
#[derive(Debug)]
pub struct Dataset {
    pub tables: BTreeMap<&'static str, LoadedTable>,
    pub findings: Vec<Finding>,
    pub inputs: Vec<InputFile>,
    /// The payments' months with stønad, when only those were kept
    /// ([`LoadOptions::payment_months`]): `okonomisk_stonad` then has its counts but no rows.
    pub stonad_maneder: Option<Months>,
}

/// The payments' months with stønad in a window ([`stonad`]), as the loader kept them.
#[derive(Debug, Clone)]
pub struct Months {
    pub window: stonad::Window,
    pub batches: Vec<RecordBatch>,
}

/// How many of a file's first rows are read while `personer` is checked even when the file's
/// rows are reduced as they are checked ([`LoadOptions::payment_months`]): enough to keep the
/// other core busy, few enough that the memory held does not grow with the file.
const READ_AHEAD_ROWS: u64 = 1_000_000;

/// How many of such a file's first rows are read at most while `personer` is still being
/// checked: past [`READ_AHEAD_ROWS`], parts are read only until `personer` is done (with ten
/// times the national persons that takes a second, which the other core otherwise idled).
const READ_AHEAD_MAX_ROWS: u64 = 6_000_000;

/// What the loader keeps besides the validated rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Keep the payments only as their months with stønad in this window: each part of the
    /// payments file is read, checked and reduced to its months in one go, so no payment row
    /// is held (for a session where nothing reads the payments themselves).
    pub payment_months: Option<stonad::Window>,
}

impl LoadOptions {
    /// The window a table's rows are reduced to months in, if they are.
    fn months_of(&self, spec: &TableSpec) -> Option<stonad::Window> {
        self.payment_months
            .filter(|_| spec.name == super::OKONOMISK_STONAD.name)
    }
}

impl Dataset {
    /// Lets go of every table's rows (and the payments' months), keeping what the outputs
    /// report of them: counts, findings, inputs. For a caller whose engine holds the rows
    /// from here on.
    pub fn drop_rows(&mut self) {
        for t in self.tables.values_mut() {
            t.batches = Vec::new();
        }
        self.stonad_maneder = None;
    }

    pub fn missing_tables(&self) -> Vec<&'static str> {
        self.tables
            .values()
            .filter(|t| !t.present)
            .map(|t| t.spec.name)
            .collect()
    }
}

/// Raw batches of one table from one source (a file, or an example case).
pub struct Source {
    /// How findings name the source: a path relative to the data directory.
    pub name: String,
    pub batches: Box<dyn Iterator<Item = Result<RecordBatch, LoadError>>>,
}

/// Validates batches table by table; `personer` must be fed first.
pub struct Validator {
    as_of: NaiveDate,
    as_of_days: i32,
    /// Every person id seen in `personer`, with its first row: filled while `personer` is read,
    /// then shared read-only by the workers of the other tables (which look up the kept ones).
    /// An id of up to 24 bytes (every fødselsnummer) is kept inline: no allocation per person.
    persons: Arc<PersonSet>,
    /// Persons whose duplicate rows carry a stricter protection than the row used.
    stricter: FxHashMap<String, Adressebeskyttelse>,
    findings: Vec<Finding>,
}

/// 1970-01-01 counted from 0001-01-01 as day 1 (chrono's `num_days_from_ce`).
const EPOCH_FROM_CE: i32 = 719_163;

fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_FROM_CE
}

/// The date `d` days after 1970-01-01 (a Parquet `date32`). Every `i32` gives a date: one
/// beyond chrono's years (about ±262 000) gives its first or last day instead of a panic. Input
/// dates outside the contract's years are set aside by the loader (`DateOutOfRange`) and files
/// read back are checked ([`crate::output::columns`]), so such a day is never shown.
pub fn date_from_days(d: i32) -> NaiveDate {
    d.checked_add(EPOCH_FROM_CE)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(if d < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
}

/// The contract's dates, 1900-01-01 to 2099-12-31, as days since 1970-01-01 (a unit test checks
/// them against the calendar).
pub const CONTRACT_DAYS: std::ops::RangeInclusive<i32> = -25_567..=47_481;

/// Whether any date of `d` is outside the contract's years (from its minimum and maximum).
pub fn any_outside_contract(d: &datafusion::arrow::array::Date32Array) -> bool {
    min(d).is_some_and(|v| v < *CONTRACT_DAYS.start())
        || max(d).is_some_and(|v| v > *CONTRACT_DAYS.end())
}

/// Where a batch's rows are: for the findings' file and row numbers.
struct Rows<'a> {
    spec: &'static TableSpec,
    file: &'a str,
    row_offset: u64,
}

impl Rows<'_> {
    /// The 1-based row number in the file of the batch's row `i`.
    fn row(&self, i: usize) -> u64 {
        self.row_offset + i as u64 + 1
    }
}

/// A column of a canonical batch (which has every column of its table).
fn column(batch: &RecordBatch, name: &str) -> ArrayRef {
    batch
        .column_by_name(name)
        .cloned()
        .expect("canonical batch has every column")
}

impl Validator {
    pub fn new(as_of: NaiveDate) -> Self {
        Validator {
            as_of,
            as_of_days: days(as_of),
            persons: Arc::new(PersonSet::default()),
            stricter: FxHashMap::default(),
            findings: Vec::new(),
        }
    }

    pub fn finding(&mut self, f: Finding) {
        self.findings.push(f);
    }

    pub fn into_findings(self) -> Vec<Finding> {
        // the person map (a string per person) is let go on rayon's pool, not on the way
        // from the load to the engine
        let persons = self.persons;
        rayon::spawn(move || drop(persons));
        self.findings
    }

    /// Room in the person map for the rows the `personer` files' footers give (so it is not
    /// rebuilt as it grows); at most [`MAX_PERSONS_RESERVED`], as a footer is only a claim.
    fn expect_persons(&mut self, rows: i64) {
        let n = usize::try_from(rows).unwrap_or(0).min(MAX_PERSONS_RESERVED);
        Arc::make_mut(&mut self.persons).reserve(n);
    }

    /// A validator for a part of a table other than `personer`, run on another thread: it
    /// shares the person set and collects its own findings.
    fn worker(&self) -> Validator {
        Validator {
            as_of: self.as_of,
            as_of_days: self.as_of_days,
            persons: Arc::clone(&self.persons),
            stricter: FxHashMap::default(),
            findings: Vec::new(),
        }
    }

    /// Reads every source of a table, validates it and returns the usable rows.
    pub fn load_table(
        &mut self,
        spec: &'static TableSpec,
        sources: Vec<Source>,
        first_kilde: i32,
    ) -> Result<LoadedTable, LoadError> {
        let mut out = Vec::new();
        let mut counts = RowCounts::default();
        for (i, source) in sources.into_iter().enumerate() {
            let kilde = first_kilde + i as i32;
            let mut row_offset = 0u64;
            for batch in source.batches {
                let batch = batch?;
                let n = batch.num_rows() as u64;
                let clean =
                    self.validate_batch(spec, &source.name, &batch, kilde, row_offset, &mut counts);
                row_offset += n;
                out.extend(clean);
            }
        }
        Ok(LoadedTable {
            spec,
            present: true,
            batches: out,
            counts,
        })
    }

    fn push(&mut self, spec: &TableSpec, file: &str, row: u64, column: &str, problem: Problem) {
        self.findings.push(Finding {
            table: spec.name.to_string(),
            file: file.to_string(),
            row,
            column: column.to_string(),
            problem,
        });
    }

    /// Validates one batch whose columns are already in canonical types (see [`canonicalise`]).
    fn validate_batch(
        &mut self,
        spec: &'static TableSpec,
        file: &str,
        batch: &RecordBatch,
        kilde: i32,
        row_offset: u64,
        counts: &mut RowCounts,
    ) -> Vec<RecordBatch> {
        let keep = self.check_batch(spec, file, batch, row_offset, counts);
        kept_rows(normalise(spec, batch, kilde, row_offset), &keep)
    }

    /// Checks one batch (in canonical types, its string columns plain or, for payments reduced
    /// to months, dictionary-encoded): records its findings and counts, and returns which rows
    /// are kept.
    fn check_batch(
        &mut self,
        spec: &'static TableSpec,
        file: &str,
        batch: &RecordBatch,
        row_offset: u64,
        counts: &mut RowCounts,
    ) -> Vec<bool> {
        let n = batch.num_rows();
        let mut ok = vec![true; n];
        let at = Rows {
            spec,
            file,
            row_offset,
        };
        for c in spec.columns {
            self.check_column(&at, c, &column(batch, c.name), &mut ok);
        }
        self.check_period(&at, batch, &mut ok);
        self.check_amounts(&at, batch, &mut ok);
        if spec.name == "personer" {
            self.check_persons(spec, file, batch, &mut ok, row_offset);
        } else {
            self.check_person_ids(&at, batch, &mut ok);
        }
        self.count(spec, batch, &ok, counts)
    }

    /// One column's values: nulls where none are allowed, codes outside the list, ids that are
    /// too long, dates outside the contract's range.
    #[allow(clippy::needless_range_loop)]
    fn check_column(&mut self, at: &Rows, c: &ColumnSpec, arr: &ArrayRef, ok: &mut [bool]) {
        let (spec, file) = (at.spec, at.file);
        let rowno = |i: usize| at.row(i);
        let n = arr.len();
        let strs = match c.ty {
            ColType::Str => Some(Strs::of(arr).expect("a canonical string column")),
            _ => None,
        };
        let is_null = |i: usize| match &strs {
            Some(s) => s.is_null(i),
            None => arr.is_null(i),
        };
        // Skip the row loop when the whole column is known to be fine.
        let nulls = strs
            .as_ref()
            .map_or_else(|| arr.null_count(), Strs::null_count);
        let nulls_bad = !c.nullable && nulls > 0;
        let too_long = strs
            .as_ref()
            .is_some_and(|s| c.codes.is_none() && s.longest_bytes() > MAX_ID_BYTES);
        if !(nulls_bad || too_long || c.codes.is_some() || self.dates_out_of_range(c, arr)) {
            return;
        }
        // (a code column is never checked for length)
        if let Some(s) = &strs
            && c.codes.is_some()
            && !nulls_bad
        {
            return self.check_codes(at, c, s, ok);
        }
        for i in 0..n {
            if is_null(i) {
                if !c.nullable {
                    self.push(spec, file, rowno(i), c.name, Problem::Null);
                    ok[i] = false;
                }
                continue;
            }
            match c.ty {
                ColType::Str => {
                    let v = strs.as_ref().expect("a string column").value(i);
                    if too_long && v.len() > MAX_ID_BYTES {
                        let p = Problem::TooLong {
                            limit: MAX_ID_BYTES,
                        };
                        self.push(spec, file, rowno(i), c.name, p);
                        ok[i] = false;
                    }
                    if let Some(codes) = c.codes
                        && !codes.contains(&v)
                    {
                        let p = Problem::UnknownCode {
                            value: truncate(v),
                            allowed: codes,
                        };
                        self.push(spec, file, rowno(i), c.name, p);
                        ok[i] = false;
                    }
                }
                ColType::Date => {
                    let v = arr.as_primitive::<Date32Type>().value(i);
                    if !CONTRACT_DAYS.contains(&v) {
                        self.push(spec, file, rowno(i), c.name, Problem::DateOutOfRange);
                        ok[i] = false;
                    }
                }
                ColType::StrList => {
                    if let Some(codes) = c.codes {
                        let list = arr.as_list::<i32>().value(i);
                        let items = list.as_string::<i32>();
                        for v in items.iter().flatten() {
                            if !codes.contains(&v) {
                                let p = Problem::UnknownCode {
                                    value: truncate(v),
                                    allowed: codes,
                                };
                                self.push(spec, file, rowno(i), c.name, p);
                                ok[i] = false;
                            }
                        }
                    }
                }
                ColType::Int => {}
            }
        }
    }

    /// Whether a date column has a value outside the contract's range (from its minimum and
    /// maximum).
    fn dates_out_of_range(&self, c: &ColumnSpec, arr: &ArrayRef) -> bool {
        if c.ty != ColType::Date {
            return false;
        }
        any_outside_contract(arr.as_primitive::<Date32Type>())
    }

    /// A code column's values, where that is all there is to check: each distinct value (or
    /// one equal to the row before's) looked up among the codes once.
    fn check_codes(&mut self, at: &Rows, c: &ColumnSpec, strs: &Strs, ok: &mut [bool]) {
        let codes = c.codes.expect("a code column");
        for i in strs.failing(|v| codes.contains(&v)) {
            let p = Problem::UnknownCode {
                value: truncate(strs.value(i)),
                allowed: codes,
            };
            self.push(at.spec, at.file, at.row(i), c.name, p);
            ok[i] = false;
        }
    }

    /// A period (`fom`..`tom`) must not end before it starts.
    #[allow(clippy::needless_range_loop)]
    fn check_period(&mut self, at: &Rows, batch: &RecordBatch, ok: &mut [bool]) {
        let (spec, file, n) = (at.spec, at.file, batch.num_rows());
        let rowno = |i: usize| at.row(i);
        let col = |name: &str| column(batch, name);
        if let Some((fom, tom)) = spec.period {
            // compared a column at a time; rows looked at only when one ends before it starts
            let backwards = cmp::lt(&col(tom), &col(fom)).expect("two date columns");
            if backwards.true_count() == 0 {
                return;
            }
            for i in (0..n).filter(|i| backwards.is_valid(*i) && backwards.value(*i)) {
                self.push(spec, file, rowno(i), tom, Problem::PeriodBackwards);
                ok[i] = false;
            }
        }
    }

    /// A payment's amount must not be negative.
    #[allow(clippy::needless_range_loop)]
    fn check_amounts(&mut self, at: &Rows, batch: &RecordBatch, ok: &mut [bool]) {
        let (spec, file, n) = (at.spec, at.file, batch.num_rows());
        let rowno = |i: usize| at.row(i);
        let col = |name: &str| column(batch, name);
        if spec.name == "okonomisk_stonad" {
            let negative = cmp::lt(&col("belop"), &Int64Array::new_scalar(0))
                .expect("an Int64 column against an Int64");
            if negative.true_count() == 0 {
                return;
            }
            for i in (0..n).filter(|i| negative.is_valid(*i) && negative.value(*i)) {
                self.push(spec, file, rowno(i), "belop", Problem::NegativeAmount);
                ok[i] = false;
            }
        }
    }

    /// Every row's person must be in `personer`.
    fn check_person_ids(&mut self, at: &Rows, batch: &RecordBatch, ok: &mut [bool]) {
        let (spec, file) = (at.spec, at.file);
        let rowno = |i: usize| at.row(i);
        let ids = column(batch, "person_id");
        let ids = Strs::of(&ids).expect("a canonical string column");
        // Exports list a person's rows together: a row with the previous row's id (or, in a
        // dictionary, an id already looked up) needs no lookup in the person set.
        let persons = Arc::clone(&self.persons);
        let mut next = 0;
        for i in ids.failing(|id| persons.kept(id, &mut next)) {
            if ok[i] {
                self.push(spec, file, rowno(i), "person_id", Problem::UnknownPerson);
                ok[i] = false;
            }
        }
    }

    /// The rows read, set aside, used, and dated after the scan date (not errors: not known
    /// yet); returns which rows are kept.
    #[allow(clippy::needless_range_loop)]
    fn count(
        &self,
        spec: &TableSpec,
        batch: &RecordBatch,
        ok: &[bool],
        counts: &mut RowCounts,
    ) -> Vec<bool> {
        let n = batch.num_rows();
        let col = |name: &str| column(batch, name);
        // Rows dated after the scan date are not errors: they are not known yet.
        let mut keep = ok.to_vec();
        if let Some(dc) = spec.date_column {
            let d = col(dc);
            let d = d.as_primitive::<Date32Type>();
            for i in 0..n {
                if keep[i] && d.value(i) > self.as_of_days {
                    keep[i] = false;
                    counts.etter_skanningsdato += 1;
                }
            }
        }
        let set_aside = ok.iter().filter(|o| !**o).count() as u64;
        counts.lest += n as u64;
        counts.satt_til_side += set_aside;
        let used = keep.iter().filter(|k| **k).count() as u64;
        counts.brukt += used;
        keep
    }

    #[allow(clippy::needless_range_loop)]
    fn check_persons(
        &mut self,
        spec: &TableSpec,
        file: &str,
        batch: &RecordBatch,
        ok: &mut [bool],
        row_offset: u64,
    ) {
        let strings = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let (ids, kommune, bydel, veileder, vern) = (
            strings("person_id"),
            strings("kommune_nr"),
            strings("bydel_nr"),
            strings("veileder"),
            strings("adressebeskyttelse"),
        );
        let born = batch
            .column_by_name("fodselsdato")
            .unwrap()
            .as_primitive::<Date32Type>()
            .clone();
        // the person map taken out for the batch (made unique once, not once per row: its
        // reference count's atomic check showed in the load's profile)
        let mut persons = std::mem::take(&mut self.persons);
        let map = Arc::make_mut(&mut persons);
        for i in 0..batch.num_rows() {
            let row = row_offset + i as u64 + 1;
            let raw = vern.is_valid(i).then(|| vern.value(i));
            let level = Adressebeskyttelse::of(raw);
            if !Adressebeskyttelse::is_recognised(raw) {
                let value = truncate(raw.unwrap_or_default());
                let p = Problem::UnknownProtection { value };
                self.push(spec, file, row, "adressebeskyttelse", p);
            }
            if ids.is_valid(i) {
                let at = (spec, file, row);
                if !self.check_person_id(map, at, ids.value(i), level, ok[i]) {
                    ok[i] = false;
                }
            }
            if born.is_valid(i) {
                let b = date_from_days(born.value(i));
                if let Some(age) = self.as_of.years_since(b).filter(|a| *a > 100) {
                    let problem = Problem::AgeOver100 { age: age as i64 };
                    self.push(spec, file, row, "fodselsdato", problem);
                }
            }
            let k = kommune.is_valid(i).then(|| kommune.value(i));
            let b = bydel.is_valid(i).then(|| bydel.value(i));
            self.check_place(spec, file, row, k, b);
            if veileder.is_valid(i) && veileder.value(i).chars().count() > 10 {
                self.push(spec, file, row, "veileder", Problem::VeilederTooLong);
            }
        }
        self.persons = persons;
    }

    /// A person row's id: the first row of the id (a later one is set aside, and a stricter
    /// protection in it is kept and reported) and a valid fødselsnummer when it is one. `ok`
    /// says whether the row passed its other checks (a first row that did not is recorded, but
    /// its person is not kept). Returns whether the row is kept.
    fn check_person_id(
        &mut self,
        persons: &mut PersonSet,
        (spec, file, row): (&TableSpec, &str, u64),
        id: &str,
        level: Adressebeskyttelse,
        ok: bool,
    ) -> bool {
        let mut kept = true;
        // one lookup: a first row is recorded where the id is looked up
        let seen = match persons.0.entry(CompactString::from(id)) {
            indexmap::map::Entry::Occupied(e) => Some((e.get().row, e.get().level)),
            indexmap::map::Entry::Vacant(e) => {
                e.insert(PersonRow {
                    row,
                    level,
                    kept: ok,
                });
                None
            }
        };
        if let Some((first, first_level)) = seen {
            self.push(
                spec,
                file,
                row,
                "person_id",
                Problem::DuplicatePerson { first_row: first },
            );
            kept = false;
            // fail closed: the strictest protection among a person's rows applies
            let known = self.stricter.get(id).copied().unwrap_or(first_level);
            if level > known {
                self.stricter.insert(id.to_string(), level);
                let p = Problem::StricterProtectionInDuplicate { first_row: first };
                self.push(spec, file, row, "adressebeskyttelse", p);
            }
        }
        let problem = match fnr::check(id) {
            Some(Err(fnr::FnrProblem::CheckDigit)) => Some(Problem::FnrCheck),
            Some(Err(fnr::FnrProblem::InvalidDate)) => Some(Problem::FnrDate),
            Some(Err(fnr::FnrProblem::NotDigits)) => Some(Problem::FnrNotDigits),
            _ => None,
        };
        if let Some(p) = problem {
            self.push(spec, file, row, "person_id", p);
        }
        kept
    }

    /// A person row's kommune number (four digits) and bydel (01–15, in Oslo only).
    fn check_place(
        &mut self,
        spec: &TableSpec,
        file: &str,
        row: u64,
        kommune: Option<&str>,
        bydel: Option<&str>,
    ) {
        if let Some(k) = kommune
            && (k.len() != 4 || !k.bytes().all(|b| b.is_ascii_digit()))
        {
            self.push(spec, file, row, "kommune_nr", Problem::KommuneNr);
        }
        if let Some(b) = bydel {
            let oslo = kommune == Some("0301");
            let in_range = b.len() == 2 && matches!(b.parse::<u8>(), Ok(1..=15));
            if !oslo || !in_range {
                self.push(spec, file, row, "bydel_nr", Problem::BydelNr);
            }
        }
    }
}

/// A person id's first row in `personer`: where it is, its protection, and whether the person
/// is kept (the row passed its checks; the other tables' rows of a person not kept are set
/// aside as unknown).
#[derive(Clone, Copy)]
struct PersonRow {
    row: u64,
    level: Adressebeskyttelse,
    kept: bool,
}

/// The persons of `personer` by id, in the order of their first rows.
#[derive(Clone, Default)]
struct PersonSet(indexmap::IndexMap<CompactString, PersonRow, rustc_hash::FxBuildHasher>);

/// How many persons after the last one found [`PersonSet::kept`] compares before it looks an id
/// up: the national data's tables find 97 % of their persons within 8, `kvp_tiltak` (5 000 of
/// 150 000 persons) a quarter.
const PERSONS_AHEAD: usize = 16;

impl PersonSet {
    /// Whether `id` is a kept person. `next` is the position after the person found last
    /// (start at 0): exports list their persons in `personer`'s order, so the id is first
    /// compared with the few persons after it, which lie side by side in memory, and only then
    /// looked up in the table, whose entries lie anywhere (a cache miss each, ~4 % of a
    /// national scan's CPU; benches/RESULTS.md, thirty-first session). Any order gives the same
    /// answer.
    fn kept(&self, id: &str, next: &mut usize) -> bool {
        let at = (*next..self.0.len())
            .take(PERSONS_AHEAD)
            .find(|at| {
                self.0
                    .get_index(*at)
                    .is_some_and(|(k, _)| super::strs::same(k.as_bytes(), id.as_bytes()))
            })
            .or_else(|| self.0.get_index_of(id));
        match at {
            Some(at) => {
                *next = at + 1;
                self.0.get_index(at).is_some_and(|(_, p)| p.kept)
            }
            None => false,
        }
    }

    fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }
}

/// The most person rows room is made for up front ([`Validator::expect_persons`]): Norway's
/// population, twice over.
const MAX_PERSONS_RESERVED: usize = 12_000_000;

/// Rows per batch read from a file.
const BATCH_ROWS: usize = 8192;

/// Most stretches of rows a batch's kept rows are handed on as (zero-copy slices of the batch);
/// with more, the kept rows are copied into one batch.
const MAX_KEPT_SLICES: usize = 8;

/// The rows of `batch` whose `keep` is true, in order and without empty batches: the batch
/// itself when every row is kept; slices of it when the kept rows lie in a few stretches (as
/// when a few payments are dated after the scan date: no copy of the batch); else one filtered
/// copy.
fn kept_rows(batch: RecordBatch, keep: &[bool]) -> Vec<RecordBatch> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, k) in keep.iter().enumerate() {
        if !*k {
            continue;
        }
        if let Some((start, len)) = runs.last_mut()
            && *start + *len == i
        {
            *len += 1;
        } else if runs.len() == MAX_KEPT_SLICES {
            let mask = BooleanArray::from(keep.to_vec());
            let kept = filter_record_batch(&batch, &mask).expect("mask has the batch's length");
            return vec![kept];
        } else {
            runs.push((i, 1));
        }
    }
    match runs[..] {
        [(0, len)] if len == batch.num_rows() => vec![batch],
        _ => runs
            .into_iter()
            .map(|(start, len)| batch.slice(start, len))
            .collect(),
    }
}

/// Writes the strictest protection found among a person's duplicate rows into the row used.
fn apply_stricter(t: &mut LoadedTable, stricter: &FxHashMap<String, Adressebeskyttelse>) {
    if stricter.is_empty() {
        return;
    }
    for b in &mut t.batches {
        let (Some(ids), Some(idx)) = (
            b.column_by_name("person_id"),
            b.schema().index_of("adressebeskyttelse").ok(),
        ) else {
            continue;
        };
        let ids = ids.as_string::<i32>();
        let old = b.column(idx).as_string::<i32>();
        let new: StringArray = (0..b.num_rows())
            .map(|i| match stricter.get(ids.value(i)) {
                Some(level) => level.code(),
                None => old.is_valid(i).then(|| old.value(i)),
            })
            .collect();
        let mut cols = b.columns().to_vec();
        cols[idx] = Arc::new(new);
        *b = RecordBatch::try_new(b.schema(), cols).expect("same schema");
    }
}

fn truncate(v: &str) -> String {
    v.chars().take(40).collect()
}

/// Fills documented defaults (null status means UTBETALT / RELEVANT), maps innsatsgruppe codes to
/// the current ones (keeping the original in `innsatsgruppe_kilde`) and adds provenance columns.
fn normalise(spec: &TableSpec, batch: &RecordBatch, kilde: i32, row_offset: u64) -> RecordBatch {
    let n = batch.num_rows();
    let schema = spec.schema();
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for c in spec.columns {
        let arr = batch.column_by_name(c.name).unwrap().clone();
        let arr: ArrayRef = match (spec.name, c.name) {
            ("okonomisk_stonad", "status") => fill_null(&arr, super::UTBETALT),
            ("vilkar", "status") => fill_null(&arr, "RELEVANT"),
            ("personer", "adressebeskyttelse") => {
                let s = arr.as_string::<i32>();
                Arc::new(
                    s.iter()
                        .map(|v| Adressebeskyttelse::of(v).code())
                        .collect::<StringArray>(),
                )
            }
            ("oppfolgingsvedtak", "innsatsgruppe") => {
                let s = arr.as_string::<i32>();
                Arc::new(
                    s.iter()
                        .map(|v| v.map(super::normalise_innsatsgruppe))
                        .collect::<StringArray>(),
                )
            }
            _ => arr,
        };
        cols.push(arr);
    }
    if spec.name == "oppfolgingsvedtak" {
        cols.push(batch.column_by_name("innsatsgruppe").unwrap().clone());
    }
    cols.push(Arc::new(Int32Array::from(vec![kilde; n])));
    cols.push(Arc::new(Int64Array::from_iter_values(
        (0..n as i64).map(|i| row_offset as i64 + i + 1),
    )));
    RecordBatch::try_new(schema, cols).expect("normalised batch matches the table schema")
}

fn fill_null(arr: &ArrayRef, value: &str) -> ArrayRef {
    if arr.null_count() == 0 {
        return Arc::clone(arr);
    }
    let s = arr.as_string::<i32>();
    // sized up front: a column of millions of rows is not regrown as it fills
    let bytes = s.values().len() + s.null_count() * value.len();
    let mut b = datafusion::arrow::array::StringBuilder::with_capacity(s.len(), bytes);
    for v in s.iter() {
        b.append_value(v.unwrap_or(value));
    }
    Arc::new(b.finish())
}

/// Casts the contract columns of a batch to their canonical types, dropping other columns.
/// The caller has checked that every column exists with an accepted type.
pub fn canonicalise(
    spec: &TableSpec,
    batch: &RecordBatch,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    canonical(spec, batch, false)
}

/// [`canonicalise`]; with `dictionaries`, a string column read dictionary-encoded
/// ([`dictionary_hint`]) is kept so.
fn canonical(
    spec: &TableSpec,
    batch: &RecordBatch,
    dictionaries: bool,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let cols = spec
        .columns
        .iter()
        .map(|c| {
            let arr = batch.column_by_name(c.name).expect("schema checked");
            let kept = arr.data_type() == &c.ty.canonical()
                || (dictionaries && c.ty == ColType::Str && arr.data_type() == &dictionary_type());
            if kept {
                Ok(arr.clone())
            } else {
                cast(arr, &c.ty.canonical())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(
        spec.columns
            .iter()
            .zip(&cols)
            .map(|(c, a)| {
                datafusion::arrow::datatypes::Field::new(c.name, a.data_type().clone(), true)
            })
            .collect::<Vec<_>>(),
    ));
    RecordBatch::try_new(schema, cols)
}

/// A file's footer with its contract string columns (those stored as `Utf8`, and
/// dictionary-encoded in every row group of `row_groups`) read as dictionaries, as Parquet
/// holds them: for a table reduced to months, whose strings are only checked and compared, so
/// no row's string is copied. A column written without a dictionary is read plain (made into
/// a dictionary it would be hashed row by row). None when no column is hinted or the reader
/// does not take the hint.
fn dictionary_hint(
    spec: &TableSpec,
    meta: &ArrowReaderMetadata,
    row_groups: &[usize],
) -> Option<ArrowReaderMetadata> {
    use datafusion::arrow::datatypes::{Field, Schema};
    let parquet = meta.metadata();
    let encoded = |name: &str| {
        let Some(leaf) = parquet
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .position(|c| c.path().parts() == [name])
        else {
            return false;
        };
        !row_groups.is_empty()
            && row_groups.iter().all(|g| {
                parquet
                    .row_groups()
                    .get(*g)
                    .and_then(|rg| rg.columns().get(leaf))
                    .is_some_and(|c| c.dictionary_page_offset().is_some())
            })
    };
    let schema = meta.schema();
    let mut hinted_any = false;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let string = spec
                .columns
                .iter()
                .any(|c| c.name == f.name() && c.ty == ColType::Str);
            if string && f.data_type() == &DataType::Utf8 && encoded(f.name()) {
                hinted_any = true;
                f.as_ref().clone().with_data_type(dictionary_type())
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    if !hinted_any {
        return None;
    }
    let hinted = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let options = ArrowReaderOptions::new().with_schema(hinted);
    ArrowReaderMetadata::try_new(meta.metadata().clone(), options).ok()
}

/// Where each table's files are in a data directory.
struct Layout {
    files: BTreeMap<&'static str, Vec<PathBuf>>,
    unknown: Vec<PathBuf>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LoadError + '_ {
    move |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn discover(dir: &Path) -> Result<Layout, LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::NoDataDir(dir.to_path_buf()));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io_err(dir))?;
    entries.sort();
    let mut files: BTreeMap<&'static str, Vec<PathBuf>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let (stem, is_file) = match name.strip_suffix(".parquet") {
            Some(stem) if path.is_file() => (stem.to_string(), true),
            _ => (name.clone(), false),
        };
        let spec = super::table(&stem).filter(|_| is_file || path.is_dir());
        let Some(spec) = spec else {
            if !super::IMPORT_FILES.contains(&name.as_str()) {
                unknown.push(path);
            }
            continue;
        };
        if files.contains_key(spec.name) {
            return Err(LoadError::AmbiguousTable {
                table: spec.name,
                dir: dir.to_path_buf(),
            });
        }
        if is_file {
            files.insert(spec.name, vec![path]);
        } else {
            let mut parts: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(io_err(&path))?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .map_err(io_err(&path))?;
            parts.sort();
            let (parquet, other): (Vec<_>, Vec<_>) = parts
                .into_iter()
                .partition(|p| p.is_file() && p.extension().is_some_and(|e| e == "parquet"));
            unknown.extend(other);
            if !parquet.is_empty() {
                files.insert(spec.name, parquet);
            } else {
                warn!(table = spec.name, "table folder has no .parquet part files");
            }
        }
    }
    Ok(Layout { files, unknown })
}

fn rel(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn sha256_file(path: &Path) -> Result<String, LoadError> {
    let mut f = File::open(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// Opens a Parquet file and checks its schema against the contract (fatal on mismatch).
fn open_checked(
    spec: &TableSpec,
    path: &Path,
) -> Result<ParquetRecordBatchReaderBuilder<File>, LoadError> {
    let file = open_file(path)?;
    let meta =
        ArrowReaderMetadata::load(&file, ArrowReaderOptions::default()).map_err(|source| {
            LoadError::NotParquet {
                path: path.to_path_buf(),
                source,
            }
        })?;
    #[cfg(test)]
    footer_parsed(path);
    checked_builder(spec, path, file, meta)
}

/// A reader of a file whose footer was already parsed (by [`open_checked`]): a file with many
/// row groups is read in parts without parsing its footer once per part.
fn reopen(
    spec: &TableSpec,
    path: &Path,
    meta: &ArrowReaderMetadata,
) -> Result<ParquetRecordBatchReaderBuilder<File>, LoadError> {
    checked_builder(spec, path, open_file(path)?, meta.clone())
}

fn open_file(path: &Path) -> Result<File, LoadError> {
    File::open(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// How often each file's footer was parsed (tests only).
#[cfg(test)]
static FOOTER_PARSES: std::sync::Mutex<BTreeMap<PathBuf, usize>> =
    std::sync::Mutex::new(BTreeMap::new());

#[cfg(test)]
fn footer_parsed(path: &Path) {
    *FOOTER_PARSES
        .lock()
        .unwrap()
        .entry(path.to_path_buf())
        .or_default() += 1;
}

/// Checks the file's schema against the contract and projects the contract's columns.
fn checked_builder(
    spec: &TableSpec,
    path: &Path,
    file: File,
    meta: ArrowReaderMetadata,
) -> Result<ParquetRecordBatchReaderBuilder<File>, LoadError> {
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta);
    let schema = builder.schema().clone();
    let mut indices = Vec::new();
    for c in spec.columns {
        match schema.index_of(c.name) {
            Err(_) => {
                return Err(LoadError::MissingColumn {
                    path: path.to_path_buf(),
                    column: c.name,
                    expected: c.ty.name(),
                });
            }
            Ok(i) => {
                let found = schema.field(i).data_type();
                if !c.ty.accepts(found) {
                    return Err(LoadError::WrongType {
                        path: path.to_path_buf(),
                        column: c.name,
                        expected: c.ty.name(),
                        found: type_name(found),
                    });
                }
                indices.push(i);
            }
        }
    }
    Ok(contract_columns(builder, indices))
}

/// A reader of the contract's columns (at `indices` in the file's schema), in batches of
/// [`BATCH_ROWS`].
fn contract_columns(
    builder: ParquetRecordBatchReaderBuilder<File>,
    indices: Vec<usize>,
) -> ParquetRecordBatchReaderBuilder<File> {
    let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
    builder.with_projection(mask).with_batch_size(BATCH_ROWS)
}

fn type_name(dt: &DataType) -> String {
    match dt {
        DataType::List(f) | DataType::LargeList(f) => format!("{dt:?} of {}", f.data_type()),
        other => other.to_string(),
    }
}

/// Loads a data directory as of a scan date. Fatal problems return `Err`; row problems become
/// findings in the returned dataset.
pub fn load_dir(dir: &Path, as_of: NaiveDate) -> Result<Dataset, LoadError> {
    load_dir_with(dir, as_of, LoadOptions::default())
}

/// As [`load_dir`], keeping what `opts` says.
pub fn load_dir_with(
    dir: &Path,
    as_of: NaiveDate,
    opts: LoadOptions,
) -> Result<Dataset, LoadError> {
    let started = std::time::Instant::now();
    let layout = discover(dir)?;
    check_required(dir, &layout)?;
    let mut builders = open_all(&layout)?;
    let mut v = Validator::new(as_of);
    for path in &layout.unknown {
        warn!("ignoring an unknown file in the data directory");
        debug!(path = %path.display(), "unknown file");
        v.finding(Finding::unknown_file(rel(dir, path)));
    }
    let mut tables = BTreeMap::new();
    let mut inputs = Vec::new();
    // `personer` (first in TABLES) is checked on this thread while the other tables' parts are
    // read on the other cores; their ids are checked against it afterwards.
    let Sources {
        personer,
        parts,
        parts_error,
    } = sources(dir, &mut builders, &mut tables);
    let personer_done = std::sync::atomic::AtomicBool::new(false);
    let load_personer = || {
        load_personer(
            &mut v,
            dir,
            personer,
            (&mut inputs, &mut tables),
            &personer_done,
        )
    };
    let months_of = |p: &Part| opts.months_of(p.spec);
    let read_parts = || match parts_error {
        Some(_) => Vec::new(),
        None => read_first(&parts, opts, &personer_done),
    };
    let (checked, decoded) = rayon::join(load_personer, read_parts);
    checked?;
    if let Some(e) = parts_error {
        return Err(e);
    }

    // The other tables' parts checked on every core; results are put together in table, file
    // and row order, so findings and rows come out as if read in one go.
    let outputs: Vec<_> = parts
        .par_iter()
        .zip(decoded)
        .map(|(part, d)| {
            d.unwrap_or_else(|| decode_part(part, months_of(part).is_some()))
                .map(|d| validate_part(&v, part, d, months_of(part)))
        })
        .collect();
    let months = gather_parts(&parts, outputs, &mut v, &mut inputs, &mut tables)?;
    let months = opts
        .payment_months
        .filter(|_| !months.is_empty())
        .map(|window| Months {
            window,
            batches: stonad::put_together(months),
        });
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "data loaded"
    );
    Ok(Dataset {
        tables,
        findings: v.into_findings(),
        inputs,
        stonad_maneder: months,
    })
}

/// Checks `personer` (its files, if any) into `tables`, filling the validator's person map;
/// `done` is set once its rows are checked (the parts read meanwhile look at it).
fn load_personer(
    v: &mut Validator,
    dir: &Path,
    personer: Option<PersonFiles>,
    (inputs, tables): (
        &mut Vec<InputFile>,
        &mut BTreeMap<&'static str, LoadedTable>,
    ),
    done: &std::sync::atomic::AtomicBool,
) -> Result<(), LoadError> {
    let Some((spec, files, first_kilde)) = personer else {
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        return Ok(());
    };
    let rows: i64 = files
        .iter()
        .map(|(_, b)| b.metadata().file_metadata().num_rows())
        .sum();
    v.expect_persons(rows);
    let sources = person_sources(spec, dir, files, inputs)?;
    let t = v.load_table(spec, sources, first_kilde);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut t = t?;
    apply_stricter(&mut t, &v.stricter);
    log_table(&t);
    tables.insert(spec.name, t);
    Ok(())
}

/// The parts read while `personer` is checked: all of them, but of a table reduced as it is
/// checked ([`LoadOptions::payment_months`]) only those of its files' first rows (read ahead),
/// and further ones up to [`READ_AHEAD_MAX_ROWS`] while `personer` is not done; the others
/// are read when they are checked, a part at a time.
fn read_first(
    parts: &[Part],
    opts: LoadOptions,
    personer_done: &std::sync::atomic::AtomicBool,
) -> Vec<Option<Result<Decoded, LoadError>>> {
    parts
        .par_iter()
        .map(|p| {
            let still = || {
                p.row_offset < READ_AHEAD_MAX_ROWS
                    && !personer_done.load(std::sync::atomic::Ordering::Relaxed)
            };
            let now = opts.months_of(p.spec).is_none() || p.row_offset < READ_AHEAD_ROWS || still();
            now.then(|| decode_part(p, opts.months_of(p.spec).is_some()))
        })
        .collect()
}

/// What `load_dir` reads: `personer`'s files (with its first `_kilde`), the other tables in
/// parts, and the first part that could not be set up.
struct Sources {
    personer: Option<PersonFiles>,
    parts: Vec<Part>,
    /// Reported after `personer`, as if the tables were read in order.
    parts_error: Option<LoadError>,
}

type PersonFiles = (
    &'static TableSpec,
    Vec<(PathBuf, ParquetRecordBatchReaderBuilder<File>)>,
    i32,
);

/// The files of every table in contract order, numbered (`_kilde`) in that order; a table not
/// in the export is entered in `tables` as absent.
fn sources(
    dir: &Path,
    builders: &mut Builders,
    tables: &mut BTreeMap<&'static str, LoadedTable>,
) -> Sources {
    let mut kilde = 0i32;
    let mut personer = None;
    let mut parts = Vec::new();
    let mut parts_error = None;
    for spec in super::TABLES {
        let Some(files) = builders.remove(spec.name) else {
            info!(
                table = spec.name,
                "optional table not in the export: its facts are unknown"
            );
            tables.insert(spec.name, empty_table(spec));
            continue;
        };
        if spec.name == "personer" {
            let n = files.len() as i32;
            personer = Some((*spec, files, kilde));
            kilde += n;
            continue;
        }
        for (path, builder) in files {
            if parts_error.is_none() {
                match parts_of(spec, dir, (path, builder), kilde) {
                    Ok(p) => parts.extend(p),
                    Err(e) => parts_error = Some(e),
                }
            }
            kilde += 1;
        }
    }
    Sources {
        personer,
        parts,
        parts_error,
    }
}

/// Every required table is there; else the error names what the folder holds instead.
fn check_required(dir: &Path, layout: &Layout) -> Result<(), LoadError> {
    for spec in super::TABLES {
        if spec.required && !layout.files.contains_key(spec.name) {
            let other = ["csv", "xlsx", "txt", "json"]
                .iter()
                .map(|ext| format!("{}.{ext}", spec.name))
                .find(|f| dir.join(f).exists());
            return Err(LoadError::MissingTable {
                table: spec.name,
                dir: dir.to_path_buf(),
                hint: other
                    .map(|f| crate::tr!(
                        " (mappen har {f}: tabellene må være Parquet; KOSTRA 11F/11CF-filer leses inn med `kvp-scan import kostra`)",
                        " (the folder has {f}: the tables must be Parquet; KOSTRA 11F/11CF files go through `kvp-scan import kostra`)"
                    ))
                    .unwrap_or_default(),
            });
        }
    }
    Ok(())
}

type Builders = BTreeMap<&'static str, Vec<(PathBuf, ParquetRecordBatchReaderBuilder<File>)>>;

/// Every file opened and its schema checked before any row is read, so a fatal problem is
/// found at once.
fn open_all(layout: &Layout) -> Result<Builders, LoadError> {
    let mut builders = Builders::new();
    for spec in super::TABLES {
        for path in layout.files.get(spec.name).into_iter().flatten() {
            let b = open_checked(spec, path)?;
            builders
                .entry(spec.name)
                .or_default()
                .push((path.clone(), b));
        }
    }
    Ok(builders)
}

/// A file of a table other than `personer`, as parts of one row group each (a file without row
/// groups is still one part, read and hashed).
fn parts_of(
    spec: &'static TableSpec,
    dir: &Path,
    (path, builder): (PathBuf, ParquetRecordBatchReaderBuilder<File>),
    kilde: i32,
) -> Result<Vec<Part>, LoadError> {
    let mut parts = Vec::new();
    let name = rel(dir, &path);
    let reader_meta = ArrowReaderMetadata::try_new(builder.metadata().clone(), Default::default())
        .map_err(|source| LoadError::NotParquet {
            path: path.clone(),
            source,
        })?;
    let meta = builder.metadata();
    let groups = meta.row_groups();
    let mut row_offset = 0u64;
    // One part per row group (a file without row groups is still read and hashed).
    for g in 0..groups.len().max(1) {
        parts.push(Part {
            spec,
            path: path.clone(),
            name: name.clone(),
            kilde,
            row_groups: if groups.is_empty() { vec![] } else { vec![g] },
            row_offset,
            first: g == 0,
            file_rows: meta.file_metadata().num_rows() as u64,
            meta: reader_meta.clone(),
        });
        row_offset += groups.get(g).map_or(0, |m| m.num_rows() as u64);
    }
    Ok(parts)
}

/// `personer`'s files as batch sources for the validator, each recorded with its hash.
fn person_sources(
    spec: &'static TableSpec,
    dir: &Path,
    files: Vec<(PathBuf, ParquetRecordBatchReaderBuilder<File>)>,
    inputs: &mut Vec<InputFile>,
) -> Result<Vec<Source>, LoadError> {
    let mut sources = Vec::new();
    for (path, builder) in files {
        let rows = builder.metadata().file_metadata().num_rows() as u64;
        inputs.push(InputFile {
            tabell: spec.name.into(),
            fil: rel(dir, &path),
            sha256: sha256_file(&path)?,
            rader: rows,
        });
        let reader = builder.build().map_err(|source| LoadError::NotParquet {
            path: path.clone(),
            source,
        })?;
        let p = path.clone();
        let batches = reader.map(move |b| {
            let b = b.map_err(|source| LoadError::Arrow {
                path: p.clone(),
                source,
            })?;
            canonicalise(spec, &b).map_err(|source| LoadError::Arrow {
                path: p.clone(),
                source,
            })
        });
        sources.push(Source {
            name: rel(dir, &path),
            batches: Box::new(batches),
        });
    }
    Ok(sources)
}

/// The parts read in parallel, put together in table, file and row order; returns the months
/// with stønad of the payments' parts, in order, when they were reduced to them
/// ([`LoadOptions::payment_months`]; none otherwise).
fn gather_parts(
    parts: &[Part],
    outputs: Vec<Result<PartOut, LoadError>>,
    v: &mut Validator,
    inputs: &mut Vec<InputFile>,
    tables: &mut BTreeMap<&'static str, LoadedTable>,
) -> Result<Vec<RecordBatch>, LoadError> {
    let mut by_table: BTreeMap<&'static str, LoadedTable> = BTreeMap::new();
    let mut months = Vec::new();
    for (part, out) in parts.iter().zip(outputs) {
        let out = out?;
        months.extend(out.months);
        let t = by_table
            .entry(part.spec.name)
            .or_insert_with(|| LoadedTable {
                spec: part.spec,
                present: true,
                batches: Vec::new(),
                counts: RowCounts::default(),
            });
        t.batches.extend(out.batches);
        t.counts.add(&out.counts);
        v.findings.extend(out.findings);
        if let Some(sha256) = out.sha256 {
            inputs.push(InputFile {
                tabell: part.spec.name.into(),
                fil: part.name.clone(),
                sha256,
                rader: part.file_rows,
            });
        }
    }
    for (name, t) in by_table {
        log_table(&t);
        tables.insert(name, t);
    }
    Ok(months)
}

fn log_table(t: &LoadedTable) {
    info!(
        table = t.spec.name,
        read = t.counts.lest,
        used = t.counts.brukt,
        set_aside = t.counts.satt_til_side,
        after_scan_date = t.counts.etter_skanningsdato,
        "table loaded"
    );
}

/// Some row groups of one file of a table other than `personer`, read on their own.
struct Part {
    spec: &'static TableSpec,
    path: PathBuf,
    /// The file as findings name it.
    name: String,
    kilde: i32,
    row_groups: Vec<usize>,
    /// Rows of the file before the first of these row groups.
    row_offset: u64,
    /// The file's first part also hashes the file for the manifest.
    first: bool,
    file_rows: u64,
    /// The file's footer, parsed once for all its parts.
    meta: ArrowReaderMetadata,
}

struct PartOut {
    batches: Vec<RecordBatch>,
    /// The part's months with stønad instead of its rows ([`LoadOptions::payment_months`]).
    months: Option<RecordBatch>,
    findings: Vec<Finding>,
    counts: RowCounts,
    sha256: Option<String>,
}

/// A part's rows as canonical batches, and the file's hash when it is the file's first part.
struct Decoded {
    batches: Vec<RecordBatch>,
    sha256: Option<String>,
}

/// A part's rows; with `dictionaries` (a table reduced to months), its string columns as the
/// file's dictionaries ([`dictionary_hint`]).
fn decode_part(part: &Part, dictionaries: bool) -> Result<Decoded, LoadError> {
    let sha256 = if part.first {
        Some(sha256_file(&part.path)?)
    } else {
        None
    };
    let hinted = dictionaries
        .then(|| dictionary_hint(part.spec, &part.meta, &part.row_groups))
        .flatten();
    let builder = match &hinted {
        // the columns were checked against the file's own schema when it was opened; the
        // hint changes only their string types, not their places
        Some(meta) => {
            let indices = part
                .spec
                .columns
                .iter()
                .filter_map(|c| meta.schema().index_of(c.name).ok())
                .collect();
            let file = open_file(&part.path)?;
            let b = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone());
            contract_columns(b, indices)
        }
        None => reopen(part.spec, &part.path, &part.meta)?,
    };
    let dictionaries = hinted.is_some();
    let reader = builder
        .with_row_groups(part.row_groups.clone())
        .build()
        .map_err(|source| LoadError::NotParquet {
            path: part.path.clone(),
            source,
        })?;
    let arrow_err = |source| LoadError::Arrow {
        path: part.path.clone(),
        source,
    };
    let batches = reader
        .map(|b| canonical(part.spec, &b.map_err(arrow_err)?, dictionaries).map_err(arrow_err))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Decoded { batches, sha256 })
}

/// A part's decoded rows validated (each raw batch let go once checked), or only their months
/// with stønad in `months` (then the rows are let go too).
fn validate_part(
    v: &Validator,
    part: &Part,
    decoded: Decoded,
    months: Option<stonad::Window>,
) -> PartOut {
    let mut w = v.worker();
    let mut counts = RowCounts::default();
    let mut batches = Vec::new();
    let mut row_offset = part.row_offset;
    if let Some(window) = months {
        // only checked: the months are taken from the rows as read, those not kept left out
        let checked: Vec<(RecordBatch, Vec<bool>)> = decoded
            .batches
            .into_iter()
            .map(|b| {
                let keep = w.check_batch(part.spec, &part.name, &b, row_offset, &mut counts);
                row_offset += b.num_rows() as u64;
                (b, keep)
            })
            .collect();
        let months = stonad::stretch_months_kept(&checked, window, stonad::IdForm::Keyed);
        return PartOut {
            batches,
            months: Some(months),
            findings: w.into_findings(),
            counts,
            sha256: decoded.sha256,
        };
    }
    for b in decoded.batches {
        let clean = w.validate_batch(
            part.spec,
            &part.name,
            &b,
            part.kilde,
            row_offset,
            &mut counts,
        );
        row_offset += b.num_rows() as u64;
        batches.extend(clean);
    }
    PartOut {
        batches,
        months: None,
        findings: w.into_findings(),
        counts,
        sha256: decoded.sha256,
    }
}

pub fn empty_table(spec: &'static TableSpec) -> LoadedTable {
    LoadedTable {
        spec,
        present: false,
        batches: Vec::new(),
        counts: RowCounts::default(),
    }
}

pub fn days_since_epoch(d: NaiveDate) -> i32 {
    days(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::Int64Type;
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::properties::WriterProperties;

    proptest::proptest! {
        /// A person set answers as a plain look-up whatever order the ids are asked in (the
        /// persons' order, another, repeated or unknown ids) and wherever the search ahead
        /// starts.
        #[test]
        fn person_set_answers_as_a_look_up_in_any_order(
            kept in proptest::collection::vec(proptest::bool::ANY, 0..60),
            asked in proptest::collection::vec(0usize..80, 0..200),
        ) {
            let mut set = PersonSet::default();
            for (n, k) in kept.iter().enumerate() {
                let p = PersonRow { row: n as u64, level: Adressebeskyttelse::of(None), kept: *k };
                set.0.insert(CompactString::from(format!("{n:011}")), p);
            }
            let mut next = 0;
            for n in asked {
                // ids of 80 and above are not in the set; a number above the persons' is unknown
                let id = format!("{n:011}");
                let want = kept.get(n).copied().unwrap_or(false);
                proptest::prop_assert_eq!(set.kept(&id, &mut next), want);
                proptest::prop_assert!(next <= kept.len());
            }
            proptest::prop_assert!(!set.kept("no such id", &mut next));
        }
    }

    /// Days and dates both ways as `epoch ± days` gives them, and a day beyond the calendar
    /// (a hostile `date32`) gives the calendar's end instead of a panic.
    #[test]
    fn days_and_dates_agree_and_every_day_gives_a_date() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for d in (-800_000..800_000).step_by(997).chain([-1, 0, 1, 20_513]) {
            let date = epoch + chrono::Duration::days(d.into());
            assert_eq!(date_from_days(d), date, "day {d}");
            assert_eq!(days(date), d);
        }
        assert_eq!(date_from_days(i32::MAX), NaiveDate::MAX);
        assert_eq!(date_from_days(i32::MIN), NaiveDate::MIN);
        let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();
        assert_eq!(CONTRACT_DAYS, days(first)..=days(last));
    }

    fn rows(text: &str) -> Vec<toml::Table> {
        let t: toml::Table = text.parse().unwrap();
        t["rad"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_table().unwrap().clone())
            .collect()
    }

    /// Writes `rows` of a contract table as Parquet, `group` rows per row group.
    fn write(dir: &Path, spec: &TableSpec, rows: &[toml::Table], group: usize) {
        write_encoded(dir, spec, rows, group, true);
    }

    /// [`write`], with or without dictionary encoding (which other writers may not use).
    fn write_encoded(
        dir: &Path,
        spec: &TableSpec,
        rows: &[toml::Table],
        group: usize,
        dictionaries: bool,
    ) {
        let batch = super::super::rows::batch_from_rows(spec, rows, &[]).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(group))
            .set_dictionary_enabled(dictionaries)
            .build();
        let f = File::create(dir.join(format!("{}.parquet", spec.name))).unwrap();
        let mut w = ArrowWriter::try_new(f, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    fn protection(d: &Dataset) -> BTreeMap<String, Option<String>> {
        let mut out = BTreeMap::new();
        for b in &d.tables["personer"].batches {
            let ids = b.column_by_name("person_id").unwrap().as_string::<i32>();
            let v = b
                .column_by_name("adressebeskyttelse")
                .unwrap()
                .as_string::<i32>();
            for i in 0..b.num_rows() {
                out.insert(
                    ids.value(i).to_string(),
                    v.is_valid(i).then(|| v.value(i).to_string()),
                );
            }
        }
        out
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const PERSONS: &str = r#"
        rad = [
          { person_id = "A", fodselsdato = 1990-01-01, kommune_nr = "0301", nav_kontor = "0314" },
          { person_id = "B", fodselsdato = 1990-01-01, kommune_nr = "0301", nav_kontor = "0314", adressebeskyttelse = "STRENGT_FORTROLIG_UTLAND" },
          { person_id = "C", fodselsdato = 1990-01-01, kommune_nr = "0301", nav_kontor = "0314", adressebeskyttelse = "fortrolig" },
          { person_id = "D", fodselsdato = 1990-01-01, kommune_nr = "0301", nav_kontor = "0314", adressebeskyttelse = " FORTROLIG" },
          { person_id = "E", fodselsdato = 1990-01-01, kommune_nr = "0301", nav_kontor = "0314", adressebeskyttelse = "FORTROLIG" },
          { person_id = "E", fodselsdato = 1990-01-01, kommune_nr = "0301", nav_kontor = "9999", adressebeskyttelse = "STRENGT_FORTROLIG" },
          { person_id = "F", fodselsdato = 1990-01-01, kommune_nr = "0301", nav_kontor = "0314", adressebeskyttelse = "FORTROLIG" },
          { person_id = "F", fodselsdato = 1990-01-01, kommune_nr = "0301", nav_kontor = "0314" },
          { person_id = "G", fodselsdato = 1990-01-01, kommune_nr = "0301", nav_kontor = "0314", veileder = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" },
        ]"#;

    #[test]
    fn protection_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &super::super::PERSONER, &rows(PERSONS), 3);
        write(
            dir.path(),
            &super::super::OKONOMISK_STONAD,
            &rows(
                r#"rad = [{ person_id = "A", utbetalingsdato = 2026-10-05, belop = 1, stonadstype = "BIDRAG" }]"#,
            ),
            1,
        );
        let data = load_dir(dir.path(), d("2026-11-16")).unwrap();
        let p = protection(&data);
        let s = Some("STRENGT_FORTROLIG".to_string());
        assert_eq!(p["A"], None);
        // unrecognised values (a variant, lower case, padding) are kode 6, never dropped
        assert_eq!(p["B"], s);
        assert_eq!(p["C"], s);
        assert_eq!(p["D"], s);
        // the strictest protection among duplicate rows applies to the row used
        assert_eq!(p["E"], s);
        assert_eq!(p["F"], Some("FORTROLIG".to_string()));
        // an over-long id is a row error: the person is set aside, with a finding
        assert!(!p.contains_key("G"));
        let codes: Vec<(&str, u64)> = data
            .findings
            .iter()
            .map(|f| (f.problem.code(), f.row))
            .collect();
        for want in [
            ("ukjent_adressebeskyttelse", 2),
            ("ukjent_adressebeskyttelse", 3),
            ("ukjent_adressebeskyttelse", 4),
            ("duplikat_person", 6),
            ("strengere_adressebeskyttelse", 6),
            ("duplikat_person", 8),
            ("for_lang_verdi", 9),
        ] {
            assert!(codes.contains(&want), "{want:?} in {codes:?}");
        }
        assert!(!codes.contains(&("strengere_adressebeskyttelse", 8)));
        assert_eq!(data.tables["personer"].counts.lest, 9);
        assert_eq!(data.tables["personer"].counts.satt_til_side, 3);
    }

    #[test]
    fn a_file_footer_is_parsed_once_however_many_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &super::super::PERSONER, &rows(PERSONS), 100);
        let payments: Vec<toml::Table> = (0..200)
            .map(|i| {
                format!(
                    r#"person_id = "A"
                    utbetalingsdato = 2026-10-{:02}
                    belop = {i}
                    stonadstype = "BIDRAG""#,
                    i % 28 + 1
                )
                .parse()
                .unwrap()
            })
            .collect();
        write(dir.path(), &super::super::OKONOMISK_STONAD, &payments, 2);
        let data = load_dir(dir.path(), d("2026-11-16")).unwrap();
        assert_eq!(data.tables["okonomisk_stonad"].counts.lest, 200);
        let path = dir.path().join("okonomisk_stonad.parquet");
        let parses = FOOTER_PARSES.lock().unwrap().get(&path).copied();
        assert_eq!(parses, Some(1), "100 row groups, one footer parse");
    }

    #[test]
    fn kept_rows_are_the_batch_its_slices_or_one_copy_in_order() {
        let batch = RecordBatch::try_from_iter([(
            "n",
            Arc::new(Int64Array::from_iter_values(0..40)) as ArrayRef,
        )])
        .unwrap();
        let values = |bs: &[RecordBatch]| -> Vec<i64> {
            bs.iter()
                .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
                .collect()
        };
        let all = vec![true; 40];
        let out = kept_rows(batch.clone(), &all);
        assert_eq!(out.len(), 1);
        assert!(
            out[0]
                .column(0)
                .to_data()
                .ptr_eq(&batch.column(0).to_data())
        );
        // four stretches (12, 25 and 38 left out): four slices sharing the batch's buffer
        let few: Vec<bool> = (0..40).map(|i| i % 13 != 12).collect();
        let out = kept_rows(batch.clone(), &few);
        assert_eq!(out.len(), 4);
        let want: Vec<i64> = (0..40).filter(|i| i % 13 != 12).collect();
        assert_eq!(values(&out), want);
        let base = batch
            .column(0)
            .as_primitive::<Int64Type>()
            .values()
            .as_ptr();
        assert_eq!(
            out[0]
                .column(0)
                .as_primitive::<Int64Type>()
                .values()
                .as_ptr(),
            base
        );
        // many stretches: one copy
        let many: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
        let out = kept_rows(batch.clone(), &many);
        assert_eq!(out.len(), 1);
        assert_eq!(values(&out), (0..40).step_by(2).collect::<Vec<_>>());
        // none kept: no batch
        assert!(kept_rows(batch, &[false; 40]).is_empty());
    }

    #[test]
    fn every_unknown_code_is_found_however_many_known_values_repeat_around_it() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &super::super::PERSONER, &rows(PERSONS), 3);
        let pay = |status: &str| {
            format!(
                r#"{{ person_id = "A", utbetalingsdato = 2026-10-05, belop = 1, stonadstype = "BIDRAG"{status} }}"#
            )
        };
        let statuses = [
            ", status = \"UTBETALT\"",
            ", status = \"UTBETALT\"",
            ", status = \"utbetalt\"",
            ", status = \"UTBETALT\"",
            "",
            ", status = \"UTBETALT\"",
            ", status = \"UTBETALT \"",
            ", status = \"UTBETALT \"",
        ];
        let text = format!(
            "rad = [{}]",
            statuses
                .iter()
                .map(|s| pay(s))
                .collect::<Vec<_>>()
                .join(", ")
        );
        write(dir.path(), &super::super::OKONOMISK_STONAD, &rows(&text), 3);
        let data = load_dir(dir.path(), d("2026-11-16")).unwrap();
        let bad: Vec<u64> = data
            .findings
            .iter()
            .filter(|f| f.table == "okonomisk_stonad" && f.column == "status")
            .inspect(|f| assert!(matches!(f.problem, Problem::UnknownCode { .. })))
            .map(|f| f.row)
            .collect();
        assert_eq!(bad, vec![3, 7, 8]);
        assert_eq!(data.tables["okonomisk_stonad"].counts.brukt, 5);
    }

    #[test]
    fn payments_kept_as_months_give_the_months_of_their_rows_and_no_rows() {
        let as_of = d("2026-11-16");
        let window = stonad::Window {
            lo: 2016 * 12 + 11,
            hi: 2026 * 12 + 10,
            dmax: days_since_epoch(as_of),
        };
        let pay = |id: &str, paid: &str| {
            format!(
                r#"{{ person_id = "{id}", utbetalingsdato = {paid}, belop = 1, stonadstype = "BIDRAG" }}"#
            )
        };
        // rows that give no month, each for its own reason: an unknown code, a negative
        // amount, a status other than paid; and a null status, which means paid
        let odd = [
            r#"{ person_id = "E", utbetalingsdato = 2026-08-05, belop = 1, stonadstype = "GAVE" }"#,
            r#"{ person_id = "E", utbetalingsdato = 2026-09-05, belop = -1, stonadstype = "LAAN" }"#,
            r#"{ person_id = "E", utbetalingsdato = 2026-10-05, belop = 1, stonadstype = "LAAN", status = "STOPPET" }"#,
            r#"{ person_id = "E", utbetalingsdato = 2026-11-05, belop = 1, stonadstype = "LAAN", status = "?" }"#,
            r#"{ person_id = "E", utbetalingsdato = 2026-02-05, belop = 1, stonadstype = "LAAN", status = "UTBETALT" }"#,
        ];
        // in two-row row groups: persons cross from one part into the next (A over three
        // parts); in the second order A's payments are apart (regrouped)
        let together = [
            ("A", "2026-01-05"),
            ("A", "2026-02-05"),
            ("A", "2026-03-05"),
            ("A", "2026-03-20"),
            ("A", "2026-04-05"),
            ("E", "2026-05-05"),
            ("E", "2026-06-05"),
            ("F", "2026-07-05"),
            ("X", "2026-07-05"),
            ("F", "2026-12-05"),
        ];
        let apart = [
            ("A", "2026-01-05"),
            ("E", "2026-05-05"),
            ("A", "2026-03-20"),
            ("F", "2026-07-05"),
            ("A", "2026-03-05"),
        ];
        let orders = [&together[..], &apart[..]];
        for (rows_in_order, dictionaries) in
            orders.into_iter().flat_map(|o| [(o, true), (o, false)])
        {
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), &super::super::PERSONER, &rows(PERSONS), 3);
            let text = format!(
                "rad = [{}]",
                rows_in_order
                    .iter()
                    .map(|(i, p)| pay(i, p))
                    .chain(odd.iter().map(|r| r.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let payments = rows(&text);
            write_encoded(
                dir.path(),
                &super::super::OKONOMISK_STONAD,
                &payments,
                2,
                dictionaries,
            );
            // the months' reader gets the payments' strings as dictionaries
            let file = File::open(dir.path().join("okonomisk_stonad.parquet")).unwrap();
            let meta = ArrowReaderMetadata::load(&file, Default::default()).unwrap();
            let groups: Vec<usize> = (0..meta.metadata().num_row_groups()).collect();
            let hinted = dictionary_hint(&super::super::OKONOMISK_STONAD, &meta, &groups);
            // (a column written without a dictionary is read plain)
            match hinted {
                Some(hinted) => {
                    assert!(dictionaries);
                    for c in ["person_id", "stonadstype"] {
                        let f = hinted.schema().field_with_name(c).unwrap().clone();
                        assert_eq!(f.data_type(), &dictionary_type());
                    }
                }
                None => assert!(!dictionaries),
            }
            let plain = load_dir(dir.path(), as_of).unwrap();
            let opts = LoadOptions {
                payment_months: Some(window),
            };
            let kept = load_dir_with(dir.path(), as_of, opts).unwrap();
            let payments = &plain.tables["okonomisk_stonad"];
            let one_stretch =
                stonad::stretch_months(&payments.batches, window, stonad::IdForm::View);
            let want = stonad::sorted_rows(&stonad::put_together(vec![one_stretch]));
            assert!(want.len() >= 3, "{want:?}");
            let months = kept.stonad_maneder.as_ref().expect("months kept");
            assert_eq!(months.window, window);
            // the loader keeps the ids keyed: 4 bytes a row
            assert!(matches!(
                months.batches[0].column(0).data_type(),
                DataType::Dictionary(..)
            ));
            assert_eq!(stonad::sorted_rows(&months.batches), want);
            // no payment row held, the counts and findings as without (X is not a person,
            // F's December payment is after the scan date)
            let t = &kept.tables["okonomisk_stonad"];
            assert!(t.batches.is_empty());
            let counts = |c: &RowCounts| (c.lest, c.brukt, c.satt_til_side, c.etter_skanningsdato);
            assert_eq!(counts(&t.counts), counts(&payments.counts));
            assert_eq!(kept.findings, plain.findings);
            // the unknown code, the negative amount, the unknown status (and X) are set aside
            let set_aside = plain
                .findings
                .iter()
                .filter(|f| f.table == "okonomisk_stonad")
                .count();
            let unknown = rows_in_order.iter().filter(|(id, _)| *id == "X").count();
            assert_eq!(set_aside, 3 + unknown, "{:?}", plain.findings);
            // E's months: those of its payments without a status (paid out), and February's,
            // paid out as its status says; none from the odd rows of August to November
            let e_months: Vec<i64> = want
                .iter()
                .filter(|(id, _, _)| id == "E")
                .map(|(_, m, _)| m % 12 + 1)
                .collect();
            assert_eq!(e_months[0], 2, "{want:?}");
            assert!(e_months.contains(&5), "{want:?}");
            assert!(!e_months.iter().any(|m| (8..=11).contains(m)), "{want:?}");
            assert!(plain.stonad_maneder.is_none());
        }
    }
}
