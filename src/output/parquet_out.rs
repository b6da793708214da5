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

/// Every row of a `vurderinger.parquet` or `skjermet.parquet` kvp-scan wrote; the
/// explanations (`begrunnelse`, the bulk of the file) only of the persons `with_texts` names,
/// empty for the others.
pub fn read(path: &Path, with_texts: &dyn Fn(&str) -> bool) -> anyhow::Result<Vec<VurderingRow>> {
    let batches = columns::batches(path)?;
    let mut out = Vec::with_capacity(batches.iter().map(|b| b.num_rows()).sum());
    for b in &batches {
        let c = columns::Cols(b, path);
        // each column's type checked once per batch, not once per row
        let (person_id, nav_kontor, veileder, kommune_nr, vern) = (
            c.strs("person_id")?,
            c.strs("nav_kontor")?,
            c.strs("veileder")?,
            c.strs("kommune_nr")?,
            c.strs("adressebeskyttelse")?,
        );
        let (alder, status, innsatsgruppe, hendelse) = (
            c.i64s("alder")?,
            c.strs("status")?,
            c.strs("innsatsgruppe")?,
            c.strs("kvp_siste_hendelse")?,
        );
        let (treff, eksklusjoner, hint, begrunnelse, ytelser) = (
            c.lists("treff")?,
            c.lists("eksklusjoner")?,
            c.lists("hint")?,
            c.lists("begrunnelse")?,
            c.lists("livsoppholdsytelser")?,
        );
        let (maneder, siste, kvp_dato) = (
            c.i64s("stonadsmaneder_siste_12")?,
            c.dates("siste_stonadsmaned")?,
            c.dates("kvp_siste_dato")?,
        );
        for row in 0..b.num_rows() {
            let person_id = person_id.get(row).unwrap_or_default();
            let begrunnelse = if with_texts(&person_id) {
                begrunnelse.get(row).unwrap_or_default()
            } else {
                Vec::new()
            };
            out.push(VurderingRow {
                person_id,
                nav_kontor: nav_kontor.get(row).unwrap_or_default(),
                veileder: veileder.get(row),
                kommune_nr: kommune_nr.get(row).unwrap_or_default(),
                adressebeskyttelse: vern.get(row),
                alder: alder.get(row).unwrap_or_default(),
                status: status
                    .get(row)
                    .as_deref()
                    .and_then(Status::from_code)
                    .with_context(|| {
                        crate::tr!(
                            "{}: rad {} har ingen gyldig status",
                            "{}: row {} has no valid status",
                            path.display(),
                            row + 1
                        )
                    })?,
                treff: treff.get(row).unwrap_or_default(),
                eksklusjoner: eksklusjoner.get(row).unwrap_or_default(),
                hint: hint.get(row).unwrap_or_default(),
                begrunnelse,
                stonadsmaneder_siste_12: maneder.get(row).unwrap_or_default(),
                siste_stonadsmaned: siste.get(row),
                innsatsgruppe: innsatsgruppe.get(row),
                livsoppholdsytelser: ytelser.get(row),
                kvp_siste_hendelse: hendelse.get(row),
                kvp_siste_dato: kvp_dato.get(row),
            });
        }
    }
    Ok(out)
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

/// Encodes and compresses batches on a thread of its own while verdicts keep coming.
struct Encoder {
    tx: Option<std::sync::mpsc::SyncSender<RecordBatch>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<ArrowWriter<super::HashedFile>>>>,
}

impl Encoder {
    fn start(mut writer: ArrowWriter<super::HashedFile>) -> Encoder {
        let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let thread = std::thread::spawn(move || {
            for batch in rx {
                writer.write(&batch)?;
            }
            Ok(writer)
        });
        Encoder {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    fn write(&self, batch: RecordBatch) {
        // A closed channel means the thread stopped on an error: `finish` returns it.
        if let Some(tx) = &self.tx {
            let _ = tx.send(batch);
        }
    }

    fn finish(mut self) -> anyhow::Result<ArrowWriter<super::HashedFile>> {
        drop(self.tx.take());
        self.thread
            .take()
            .expect("finished once")
            .join()
            .map_err(|_| anyhow::anyhow!("the Parquet encoder thread panicked"))?
    }
}

impl Drop for Encoder {
    /// A run that fails before `finish` waits for the thread, so its temporary file is gone
    /// before the output folder is cleaned up.
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
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
            writer: Encoder::start(writer),
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
        self.writer.write(batch);
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
        push_list(&mut b.treff, v.treff.iter().map(String::as_str));
        push_list(
            &mut b.eksklusjoner,
            v.eksklusjoner.iter().map(String::as_str),
        );
        push_list(&mut b.hint, v.hint.iter().map(String::as_str));
        push_list(&mut b.uavklart, v.uavklart.iter().map(String::as_str));
        push_list(&mut b.begrunnelse, v.sentences());
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
