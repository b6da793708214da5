//! `vurderinger.parquet`: one row per person with status, rule hits, explanations and key facts:
//! its schema, its writer, and its reader (the weekly comparison reads last week's run back).

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, Date32Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use tempfile::NamedTempFile;

use super::{ReportWriter, Staged, columns};
use crate::contract::load::days_since_epoch;
use crate::engine::Verdict;
use crate::rules::Status;
use anyhow::Context;

pub const FILE: &str = "vurderinger.parquet";
/// The verdicts of strengt fortrolig (kode 6) persons: the same columns, kept apart so that
/// they appear only in files whose name starts with `skjermet`.
pub const SKJERMET: &str = "skjermet.parquet";
const CHUNK: usize = 8192;

fn list(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    )
}

pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Utf8, false),
        Field::new("nav_kontor", DataType::Utf8, false),
        Field::new("veileder", DataType::Utf8, true),
        Field::new("kommune_nr", DataType::Utf8, false),
        Field::new("adressebeskyttelse", DataType::Utf8, true),
        Field::new("alder", DataType::Int64, false),
        Field::new("status", DataType::Utf8, false),
        list("treff"),
        list("eksklusjoner"),
        list("hint"),
        list("uavklart"),
        list("begrunnelse"),
        Field::new("stonadsmaneder_siste_12", DataType::Int64, false),
        Field::new("siste_stonadsmaned", DataType::Date32, true),
        Field::new("innsatsgruppe", DataType::Utf8, true),
        Field::new("vedtak_dato", DataType::Date32, true),
        list("livsoppholdsytelser"),
        Field::new("kvp_tilstand", DataType::Utf8, true),
        Field::new("kvp_siste_hendelse", DataType::Utf8, true),
        Field::new("kvp_siste_dato", DataType::Date32, true),
        Field::new("skanningsdato", DataType::Date32, false),
    ]))
}

/// One row of `vurderinger.parquet` (or `skjermet.parquet`) as read back.
#[derive(Debug, Clone, Default)]
pub struct VurderingRow {
    pub person_id: String,
    pub nav_kontor: String,
    pub veileder: Option<String>,
    pub kommune_nr: String,
    pub adressebeskyttelse: Option<String>,
    pub alder: i64,
    pub status: Status,
    pub treff: Vec<String>,
    pub eksklusjoner: Vec<String>,
    pub hint: Vec<String>,
    pub begrunnelse: Vec<String>,
    pub stonadsmaneder_siste_12: i64,
    pub siste_stonadsmaned: Option<NaiveDate>,
    pub innsatsgruppe: Option<String>,
    pub livsoppholdsytelser: Option<Vec<String>>,
    pub kvp_siste_hendelse: Option<String>,
    pub kvp_siste_dato: Option<NaiveDate>,
}

/// A `vurderinger.parquet` (or `skjermet.parquet`) kvp-scan wrote, read back whole: every
/// column's type and every row's status checked as it is read (an error names the file and the
/// row), a row made into a [`VurderingRow`] only when asked for ([`VurderingFile::row`]: a
/// weekly run looks up about a third of last week's persons), and the explanations
/// (`begrunnelse`, the bulk of the file) kept only of the persons `with_texts` names (empty for
/// the others).
#[derive(Debug)]
pub struct VurderingFile {
    path: std::path::PathBuf,
    /// The batches' columns a row is made of ([`RowCols::COLUMNS`], in that order), each
    /// batch with the number of its first row.
    batches: Vec<(RecordBatch, u32)>,
    /// The explanations kept, by row number.
    texts: rustc_hash::FxHashMap<u32, Vec<String>>,
}

impl VurderingFile {
    pub fn read(path: &Path, with_texts: &dyn Fn(&str) -> bool) -> anyhow::Result<Self> {
        let mut file = VurderingFile {
            path: path.to_path_buf(),
            batches: Vec::new(),
            texts: Default::default(),
        };
        let mut first = 0u32;
        for b in columns::batches(path)? {
            let c = columns::Cols(&b, path);
            // the columns a row is made of, in `RowCols`' order (a row is then read without
            // looking up names), and every column's type (and every date) checked here, so
            // that a row is made without surprises
            let at: Vec<usize> = RowCols::COLUMNS
                .iter()
                .map(|n| c.index(n))
                .collect::<anyhow::Result<_>>()?;
            let kept = b.project(&at)?;
            let cols = RowCols::of(&columns::Cols(&kept, path))?;
            c.checked_dates("siste_stonadsmaned")?;
            c.checked_dates("kvp_siste_dato")?;
            let begrunnelse = c.lists("begrunnelse")?;
            // the rows numbered from `first` up to `next` (so `first + row` fits)
            let next = u32::try_from(b.num_rows())
                .ok()
                .and_then(|n| first.checked_add(n))
                .with_context(|| format!("{}: more than 4 billion rows", path.display()))?;
            for row in 0..b.num_rows() {
                cols.status(row, path)?;
                if cols.person_id.get_str(row).is_some_and(with_texts) {
                    file.texts
                        .insert(first + row as u32, begrunnelse.get(row).unwrap_or_default());
                }
            }
            file.batches.push((kept, first));
            first = next;
        }
        Ok(file)
    }

    /// Every row's person id with the row's number, in file order.
    pub fn ids(&self) -> anyhow::Result<Vec<(&str, u32)>> {
        let mut out = Vec::new();
        for (b, first) in &self.batches {
            let ids = columns::Cols(b, &self.path).strs("person_id")?;
            out.extend(
                (0..b.num_rows())
                    .map(|row| (ids.get_str(row).unwrap_or_default(), first + row as u32)),
            );
        }
        Ok(out)
    }

    /// Row number `at` (from [`VurderingFile::ids`]) as a [`VurderingRow`].
    pub fn row(&self, at: u32) -> anyhow::Result<VurderingRow> {
        let k = self.batches.partition_point(|(_, first)| *first <= at);
        let (b, first) = k
            .checked_sub(1)
            .and_then(|k| self.batches.get(k))
            .filter(|(b, first)| ((at - first) as usize) < b.num_rows())
            .with_context(|| format!("{}: no row {at}", self.path.display()))?;
        let row = (at - first) as usize;
        let c = columns::Cols(b, &self.path);
        let cols = RowCols::of(&c)?;
        Ok(VurderingRow {
            person_id: cols.person_id.get(row).unwrap_or_default(),
            nav_kontor: cols.nav_kontor.get(row).unwrap_or_default(),
            veileder: cols.veileder.get(row),
            kommune_nr: cols.kommune_nr.get(row).unwrap_or_default(),
            adressebeskyttelse: cols.vern.get(row),
            alder: cols.alder.get(row).unwrap_or_default(),
            status: cols.status(row, &self.path)?,
            treff: cols.treff.get(row).unwrap_or_default(),
            eksklusjoner: cols.eksklusjoner.get(row).unwrap_or_default(),
            hint: cols.hint.get(row).unwrap_or_default(),
            begrunnelse: self.texts.get(&at).cloned().unwrap_or_default(),
            stonadsmaneder_siste_12: cols.maneder.get(row).unwrap_or_default(),
            siste_stonadsmaned: cols.siste.get(row),
            innsatsgruppe: cols.innsatsgruppe.get(row),
            livsoppholdsytelser: cols.ytelser.get(row),
            kvp_siste_hendelse: cols.hendelse.get(row),
            kvp_siste_dato: cols.kvp_dato.get(row),
        })
    }
}

/// The columns of a `vurderinger` batch a [`VurderingRow`] is made of, each type checked once.
struct RowCols<'a> {
    person_id: columns::StrCol<'a>,
    nav_kontor: columns::StrCol<'a>,
    veileder: columns::StrCol<'a>,
    kommune_nr: columns::StrCol<'a>,
    vern: columns::StrCol<'a>,
    alder: columns::I64Col<'a>,
    status: columns::StrCol<'a>,
    innsatsgruppe: columns::StrCol<'a>,
    hendelse: columns::StrCol<'a>,
    treff: columns::ListCol<'a>,
    eksklusjoner: columns::ListCol<'a>,
    hint: columns::ListCol<'a>,
    ytelser: columns::ListCol<'a>,
    maneder: columns::I64Col<'a>,
    siste: columns::DateCol<'a>,
    kvp_dato: columns::DateCol<'a>,
}

impl<'a> RowCols<'a> {
    /// The columns, in the fields' order.
    const COLUMNS: [&'static str; 16] = [
        "person_id",
        "nav_kontor",
        "veileder",
        "kommune_nr",
        "adressebeskyttelse",
        "alder",
        "status",
        "innsatsgruppe",
        "kvp_siste_hendelse",
        "treff",
        "eksklusjoner",
        "hint",
        "livsoppholdsytelser",
        "stonadsmaneder_siste_12",
        "siste_stonadsmaned",
        "kvp_siste_dato",
    ];

    /// The columns of a batch that has [`RowCols::COLUMNS`] in that order (an error names the
    /// file and the column when it has not).
    fn of(c: &columns::Cols<'a>) -> anyhow::Result<Self> {
        let n = Self::COLUMNS;
        Ok(RowCols {
            person_id: c.strs_at(0, n[0])?,
            nav_kontor: c.strs_at(1, n[1])?,
            veileder: c.strs_at(2, n[2])?,
            kommune_nr: c.strs_at(3, n[3])?,
            vern: c.strs_at(4, n[4])?,
            alder: c.i64s_at(5, n[5])?,
            status: c.strs_at(6, n[6])?,
            innsatsgruppe: c.strs_at(7, n[7])?,
            hendelse: c.strs_at(8, n[8])?,
            treff: c.lists_at(9, n[9])?,
            eksklusjoner: c.lists_at(10, n[10])?,
            hint: c.lists_at(11, n[11])?,
            ytelser: c.lists_at(12, n[12])?,
            maneder: c.i64s_at(13, n[13])?,
            siste: c.dates_at(14, n[14])?,
            kvp_dato: c.dates_at(15, n[15])?,
        })
    }

    /// The row's status; an error names the file and the row (of its batch) when it has none.
    fn status(&self, row: usize, path: &Path) -> anyhow::Result<Status> {
        self.status
            .get_str(row)
            .and_then(Status::from_code)
            .with_context(|| {
                crate::tr!(
                    "{}: rad {} har ingen gyldig status",
                    "{}: row {} has no valid status",
                    path.display(),
                    row + 1
                )
            })
    }
}

#[derive(Default)]
struct Builders {
    person_id: StringBuilder,
    nav_kontor: StringBuilder,
    veileder: StringBuilder,
    kommune_nr: StringBuilder,
    adressebeskyttelse: StringBuilder,
    alder: Int64Builder,
    status: StringBuilder,
    treff: ListBuilder<StringBuilder>,
    eksklusjoner: ListBuilder<StringBuilder>,
    hint: ListBuilder<StringBuilder>,
    uavklart: ListBuilder<StringBuilder>,
    begrunnelse: ListBuilder<StringBuilder>,
    stonadsmaneder: Int64Builder,
    siste_stonadsmaned: Date32Builder,
    innsatsgruppe: StringBuilder,
    vedtak_dato: Date32Builder,
    livsoppholdsytelser: ListBuilder<StringBuilder>,
    kvp_tilstand: StringBuilder,
    kvp_siste_hendelse: StringBuilder,
    kvp_siste_dato: Date32Builder,
    skanningsdato: Date32Builder,
    len: usize,
}

/// A string column's array; its builder starts again sized as this chunk was (builders start
/// empty after `finish`, and a chunk's explanations were otherwise regrown, copied and their
/// pages touched again, several times per chunk).
fn finish_sized(b: &mut StringBuilder) -> ArrayRef {
    let (items, bytes) = (b.len(), b.values_slice().len());
    let a = b.finish();
    *b = StringBuilder::with_capacity(items, bytes);
    Arc::new(a)
}

/// A list column's array, its builder sized again as [`finish_sized`]'s.
fn finish_list_sized(b: &mut ListBuilder<StringBuilder>) -> ArrayRef {
    let lists = b.len();
    let (items, bytes) = (b.values_ref().len(), b.values_ref().values_slice().len());
    let a = b.finish();
    *b = ListBuilder::with_capacity(StringBuilder::with_capacity(items, bytes), lists);
    Arc::new(a)
}

fn push_list<'a>(b: &mut ListBuilder<StringBuilder>, items: impl IntoIterator<Item = &'a str>) {
    for i in items {
        b.values().append_value(i);
    }
    b.append(true);
}

fn date(d: Option<NaiveDate>) -> Option<i32> {
    d.map(days_since_epoch)
}

/// Encodes and compresses batches on a thread of its own while verdicts keep coming (a run
/// that fails waits for it, so its temporary file is gone before the output folder is cleaned
/// up).
type Encoder = crate::engine::Stage<RecordBatch, ArrowWriter<super::HashedFile>>;

fn encoder(mut writer: ArrowWriter<super::HashedFile>) -> Encoder {
    crate::engine::Stage::start("Parquet encoder", 2, move |batches| {
        for batch in batches {
            writer.write(&batch)?;
        }
        Ok(writer)
    })
}

pub struct VurderingerWriter {
    name: &'static str,
    writer: Encoder,
    b: Builders,
    as_of: i32,
    rows: u64,
}

/// How every Parquet output is written: Snappy-compressed (explanations repeat a lot, so
/// files shrink several times at little cost), statistics per column chunk (files are read
/// whole).
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .build()
}

/// One batch as a Parquet file `name` in `out`, staged (its rows counted for the manifest).
pub fn stage_batch(
    out: &super::OutputDir,
    name: &str,
    batch: &RecordBatch,
    props: WriterProperties,
) -> anyhow::Result<super::Staged> {
    let file = super::HashedFile::new(out.temp(name)?);
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props))?;
    w.write(batch)?;
    Ok(w.into_inner()?
        .staged(name.to_string(), batch.num_rows() as u64))
}

impl VurderingerWriter {
    /// A writer of `vurderinger.parquet`.
    pub fn new(tmp: NamedTempFile, as_of: NaiveDate) -> anyhow::Result<Self> {
        Self::named(FILE, tmp, as_of)
    }

    /// A writer of the same columns into another file ([`SKJERMET`]).
    pub fn named(name: &'static str, tmp: NamedTempFile, as_of: NaiveDate) -> anyhow::Result<Self> {
        // Ids are unique: a dictionary would be built and thrown away. Statistics per column
        // chunk are enough for a file read whole.
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_column_dictionary_enabled("person_id".into(), false)
            .build();
        let writer = ArrowWriter::try_new(super::HashedFile::new(tmp), schema(), Some(props))?;
        Ok(VurderingerWriter {
            name,
            writer: encoder(writer),
            b: Builders::default(),
            as_of: days_since_epoch(as_of),
            rows: 0,
        })
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.b.len == 0 {
            return Ok(());
        }
        let b = &mut self.b;
        let cols: Vec<ArrayRef> = vec![
            finish_sized(&mut b.person_id),
            finish_sized(&mut b.nav_kontor),
            finish_sized(&mut b.veileder),
            finish_sized(&mut b.kommune_nr),
            finish_sized(&mut b.adressebeskyttelse),
            Arc::new(b.alder.finish()),
            finish_sized(&mut b.status),
            finish_list_sized(&mut b.treff),
            finish_list_sized(&mut b.eksklusjoner),
            finish_list_sized(&mut b.hint),
            finish_list_sized(&mut b.uavklart),
            finish_list_sized(&mut b.begrunnelse),
            Arc::new(b.stonadsmaneder.finish()),
            Arc::new(b.siste_stonadsmaned.finish()),
            finish_sized(&mut b.innsatsgruppe),
            Arc::new(b.vedtak_dato.finish()),
            finish_list_sized(&mut b.livsoppholdsytelser),
            finish_sized(&mut b.kvp_tilstand),
            finish_sized(&mut b.kvp_siste_hendelse),
            Arc::new(b.kvp_siste_dato.finish()),
            Arc::new(b.skanningsdato.finish()),
        ];
        b.len = 0;
        let batch = RecordBatch::try_new(schema(), cols)?;
        // a closed channel means the thread stopped on an error: `finish` returns it
        self.writer.send(batch);
        Ok(())
    }
}

impl ReportWriter for VurderingerWriter {
    fn verdict(&mut self, v: &Verdict) -> anyhow::Result<()> {
        let f = &v.facts;
        let b = &mut self.b;
        b.person_id.append_value(&f.person_id);
        b.nav_kontor.append_value(&f.nav_kontor);
        b.veileder.append_option(f.veileder.as_deref());
        b.kommune_nr.append_value(&f.kommune_nr);
        b.adressebeskyttelse
            .append_option(f.adressebeskyttelse.as_deref());
        b.alder.append_value(f.alder);
        b.status.append_value(v.status.as_str());
        push_list(
            &mut b.treff,
            v.treff.iter().map(crate::engine::Short::as_str),
        );
        push_list(
            &mut b.eksklusjoner,
            v.eksklusjoner.iter().map(crate::engine::Short::as_str),
        );
        push_list(&mut b.hint, v.hint.iter().map(crate::engine::Short::as_str));
        push_list(
            &mut b.uavklart,
            v.uavklart.iter().map(crate::engine::Short::as_str),
        );
        push_list(&mut b.begrunnelse, v.begrunnelse.iter().map(|e| &*e.text));
        b.stonadsmaneder.append_value(f.stonadsmaneder_siste_12);
        b.siste_stonadsmaned
            .append_option(date(f.siste_stonadsmaned));
        b.innsatsgruppe.append_option(f.innsatsgruppe.as_deref());
        b.vedtak_dato.append_option(date(f.vedtak_dato));
        match &f.livsoppholdsytelser {
            Some(y) => push_list(&mut b.livsoppholdsytelser, y.iter().map(String::as_str)),
            None => b.livsoppholdsytelser.append(false),
        }
        b.kvp_tilstand.append_option(f.kvp_tilstand.as_deref());
        b.kvp_siste_hendelse
            .append_option(f.kvp_siste_hendelse.as_deref());
        b.kvp_siste_dato.append_option(date(f.kvp_siste_dato));
        b.skanningsdato.append_value(self.as_of);
        b.len += 1;
        self.rows += 1;
        if b.len >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<Staged> {
        self.flush()?;
        let file = self.writer.finish()?.into_inner()?;
        Ok(file.staged(self.name.into(), self.rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Explanation, PersonFacts, Verdict};

    fn verdict(i: usize) -> Verdict {
        Verdict {
            facts: PersonFacts {
                person_id: format!("{i:011}").into(),
                nav_kontor: "0301".into(),
                veileder: i.is_multiple_of(3).then(|| "V1".into()),
                alder: i as i64 % 70,
                stonadsmaneder_siste_12: i as i64 % 13,
                livsoppholdsytelser: (!i.is_multiple_of(5)).then(|| vec!["AAP".to_string()]),
                ..Default::default()
            },
            status: if i.is_multiple_of(2) {
                Status::Kandidat
            } else {
                Status::IkkeTreff
            },
            treff: smallvec::smallvec![format!("r{}", i % 4).into()],
            eksklusjoner: Default::default(),
            hint: Default::default(),
            uavklart: Default::default(),
            begrunnelse: vec![Explanation {
                rule: "r".into(),
                text: format!("sentence {i}").into(),
                kort: None,
            }],
            naer_treff: vec![],
            krav: vec![],
        }
    }

    /// What is written is read back row by row across batches, the explanations only of the
    /// persons asked for; a row is found by the number `ids` gives it.
    #[test]
    fn rows_are_read_back_when_asked_for() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let n = CHUNK * 2 + 5;
        let mut w = VurderingerWriter::new(NamedTempFile::new().unwrap(), as_of).unwrap();
        for i in 0..n {
            w.verdict(&verdict(i)).unwrap();
        }
        let staged = Box::new(w).finish().unwrap();
        let wanted = |id: &str| id.ends_with('7');
        let file = VurderingFile::read(&staged.tmp, &wanted).unwrap();
        assert!(file.batches.len() > 1, "several batches");
        let ids = file.ids().unwrap();
        assert_eq!(ids.len(), n);
        for (i, (id, at)) in ids.into_iter().enumerate() {
            assert_eq!(id, format!("{i:011}"));
            let row = file.row(at).unwrap();
            let v = verdict(i);
            assert_eq!(row.person_id, v.facts.person_id);
            assert_eq!(row.veileder.as_deref(), v.facts.veileder.as_deref());
            assert_eq!(row.alder, v.facts.alder);
            assert_eq!(row.status, v.status);
            assert_eq!(row.treff[..], v.treff[..]);
            assert_eq!(row.stonadsmaneder_siste_12, v.facts.stonadsmaneder_siste_12);
            assert_eq!(row.livsoppholdsytelser, v.facts.livsoppholdsytelser);
            let texts: Vec<String> = if wanted(id) {
                vec![format!("sentence {i}")]
            } else {
                vec![]
            };
            assert_eq!(row.begrunnelse, texts);
        }
        assert!(file.row(n as u32).is_err(), "no row past the end");
    }

    /// A row without a valid status is an error naming the file and the row, when read.
    #[test]
    fn a_row_without_a_valid_status_is_an_error() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let mut w = VurderingerWriter::new(NamedTempFile::new().unwrap(), as_of).unwrap();
        for i in 0..3 {
            w.verdict(&verdict(i)).unwrap();
        }
        let staged = Box::new(w).finish().unwrap();
        // the same batch with the second row's status replaced
        let b = columns::batches(&staged.tmp).unwrap().remove(0);
        let at = b.schema().index_of("status").unwrap();
        let mut cols = b.columns().to_vec();
        cols[at] = Arc::new(datafusion::arrow::array::StringArray::from(vec![
            "kandidat", "ukjent", "kandidat",
        ]));
        let bad = RecordBatch::try_new(b.schema(), cols).unwrap();
        let path = NamedTempFile::new().unwrap().into_temp_path();
        let f = std::fs::File::create(&path).unwrap();
        let mut pw = ArrowWriter::try_new(f, bad.schema(), None).unwrap();
        pw.write(&bad).unwrap();
        pw.close().unwrap();
        let err = VurderingFile::read(&path, &|_| true).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            (msg.contains("rad 2 ") || msg.contains("row 2 "))
                && msg.contains(&path.display().to_string()),
            "{msg}"
        );
    }
}
