//! The weekly outputs: one CSV and one self-contained HTML page per office and caseworker,
//! `skjermet.csv` for strengt fortrolig (kode 6) persons, an overview of the lists, and
//! `liste.parquet`, the run's list as the next week reads it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};

use super::compare::{ListEntry, PaListen};
use super::state::ListCounts;
use crate::contract::load::days_since_epoch;
use crate::contract::{Lang, label};
use crate::output::csv_out::{done, header, id_cell, safe, writer};
use crate::output::file_name::{self, Names};
use crate::output::xlsx_out::Cell;
use crate::output::{OutputDir, Staged};
use crate::rules::{RuleSet, in_lang};

pub const LISTE: &str = "liste.parquet";
/// The list rows of strengt fortrolig (kode 6) persons, as next week's run reads them.
pub const SKJERMET_LISTE: &str = "skjermet_liste.parquet";
pub const SKJERMET: &str = "skjermet.csv";
pub const LISTER: &str = "lister";
pub const OVERSIKT: &str = "lister/oversikt.csv";
/// The list of an office's persons without a caseworker.
pub const UTEN_VEILEDER: &str = "uten_veileder";

pub struct Context<'a> {
    pub rules: &'a RuleSet,
    pub lang: Lang,
    pub as_of: NaiveDate,
    pub run_id: &'a str,
    /// Scan date of the run compared with.
    pub previous: Option<String>,
}

pub struct Written {
    pub staged: Vec<Staged>,
    pub counts: ListCounts,
    pub left_by_reason: BTreeMap<String, u64>,
    /// Caseworker lists written (each as CSV and HTML).
    pub lists: usize,
}

/// A file name made from an office or caseworker id (see [`file_name::file_stem`]); the
/// «uten veileder» list's name is reserved too.
pub fn file_stem(id: &str) -> String {
    file_name::file_stem(id, &[UTEN_VEILEDER])
}

fn order(a: &ListEntry, b: &ListEntry) -> std::cmp::Ordering {
    a.pa_listen
        .cmp(&b.pa_listen)
        .then_with(|| b.treff.len().cmp(&a.treff.len()))
        .then_with(|| b.maneder.cmp(&a.maneder))
        .then_with(|| a.person_id.cmp(&b.person_id))
}

fn yes(lang: Lang) -> &'static str {
    crate::i18n::pages::UKELISTE_ORD.text("ja", lang)
}

/// The English header of the caseworker lists (`--lang en`).
pub const HEADER_EN: [&str; 17] = [
    "Change",
    "NAV office",
    "Caseworker",
    "Person ID",
    "Age",
    "Municipality",
    "Confidential address",
    "First a candidate",
    "Weeks on the list",
    "Rules that apply",
    "Months with assistance, last 12",
    "Last month with assistance",
    "Innsatsgruppe",
    "Hints",
    "Changed since the previous run",
    "Why the person left the list",
    "Explanation",
];

pub const HEADER: [&str; 17] = [
    "Endring",
    "NAV-kontor",
    "Veileder",
    "Person-ID",
    "Alder",
    "Kommune",
    "Fortrolig adresse",
    "Første gang kandidat",
    "Uker på listen",
    "Regler med treff",
    "Måneder med stønad siste 12",
    "Siste måned med stønad",
    "Innsatsgruppe",
    "Hint",
    "Endret siden forrige kjøring",
    "Grunn til at personen er ute av listen",
    "Begrunnelse",
];

/// A list row's texts in the run's language, made once for its CSV and workbook row and its
/// page; the sentences are the entry's own, borrowed.
struct Texts<'e> {
    /// Each change since the previous run.
    endringer: Vec<String>,
    grunn: String,
    begrunnelse: Vec<&'e str>,
    innsatsgruppe: String,
    /// The titles of the rules that apply.
    treff: Vec<String>,
}

fn texts<'e>(e: &'e ListEntry, ctx: &Context) -> Texts<'e> {
    Texts {
        endringer: e
            .endringer
            .iter()
            .map(|c| c.text(ctx.rules, ctx.lang))
            .collect(),
        grunn: e
            .grunn
            .as_ref()
            .map(|g| g.text(ctx.rules, ctx.lang))
            .unwrap_or_default(),
        begrunnelse: e.begrunnelse.iter().map(|b| &*b.text).collect(),
        innsatsgruppe: e
            .innsatsgruppe
            .as_deref()
            .map(|i| label("innsatsgruppe", i, ctx.lang))
            .unwrap_or_default(),
        treff: e
            .treff
            .iter()
            .map(|r| ctx.rules.title(r, ctx.lang))
            .collect(),
    }
}

/// Rule titles in the run's language: people read titles, not ids.
fn titles(ids: &[crate::engine::Short], ctx: &Context) -> String {
    ids.iter()
        .map(|r| ctx.rules.title(r, ctx.lang))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One list row as typed cells, in the order of [`HEADER`] (CSV and workbook alike).
fn row_cells(e: &ListEntry, t: &Texts, ctx: &Context) -> Vec<Cell> {
    let fortrolig = e.fortrolig();
    let text = |s: String| {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    };
    vec![
        Cell::Text(e.pa_listen.label(ctx.lang).to_string()),
        Cell::Id(e.nav_kontor.clone()),
        e.veileder.clone().map_or(Cell::Empty, Cell::Text),
        Cell::Id(e.person_id.clone()),
        Cell::Int(e.alder),
        // kode 7: no address-revealing fields
        if fortrolig {
            Cell::Empty
        } else {
            Cell::Id(e.kommune_nr.clone())
        },
        if fortrolig {
            Cell::Text(yes(ctx.lang).to_string())
        } else {
            Cell::Empty
        },
        Cell::Date(e.forste_gang_kandidat),
        Cell::Int(e.uker_pa_listen),
        text(t.treff.join("; ")),
        Cell::Int(e.maneder),
        e.siste.map_or(Cell::Empty, Cell::Month),
        text(t.innsatsgruppe.clone()),
        text(titles(&e.hint, ctx)),
        text(t.endringer.join("; ")),
        text(t.grunn.clone()),
        text(t.begrunnelse.join(" ")),
    ]
}

/// A caseworker's list as CSV and as a workbook (`.xlsx`) with the same rows.
fn write_list_files(
    out: &OutputDir,
    base: &str,
    (entries, texts): (&[&ListEntry], &[Texts]),
    ctx: &Context,
) -> anyhow::Result<[Staged; 2]> {
    let rows: Vec<Vec<Cell>> = entries
        .iter()
        .zip(texts)
        .map(|(e, t)| row_cells(e, t, ctx))
        .collect();
    let head = header(ctx.lang, &HEADER, &HEADER_EN);
    let name = format!("{base}.csv");
    let mut w = writer(out.temp(&name)?)?;
    w.write_record(&head)?;
    for r in &rows {
        w.write_record(r.iter().map(Cell::csv))?;
    }
    let csv = done(w, &name, entries.len() as u64)?;
    let sheet = crate::i18n::pages::UKELISTE_ORD.text("ark", ctx.lang);
    let xlsx = crate::output::xlsx_out::write(
        out,
        &format!("{base}.xlsx"),
        sheet,
        &head,
        &rows,
        ctx.as_of,
    )?;
    Ok([csv, xlsx])
}

/// Only what a specially authorised unit needs: no office, caseworker, municipality or age.
fn write_skjermet(
    out: &OutputDir,
    entries: &[&ListEntry],
    ctx: &Context,
) -> anyhow::Result<Staged> {
    let mut w = writer(out.temp(SKJERMET)?)?;
    w.write_record(header(
        ctx.lang,
        &[
            "Endring",
            "Person-ID",
            "Første gang kandidat",
            "Uker på listen",
            "Regler med treff",
            "Grunn til at personen er ute av listen",
            "Begrunnelse",
        ],
        &[
            "Change",
            "Person ID",
            "First a candidate",
            "Weeks on the list",
            "Rules that apply",
            "Why the person left the list",
            "Explanation",
        ],
    ))?;
    for e in entries {
        let t = texts(e, ctx);
        w.write_record([
            e.pa_listen.label(ctx.lang).to_string(),
            id_cell(&e.person_id),
            e.forste_gang_kandidat.to_string(),
            e.uker_pa_listen.to_string(),
            e.treff.join(", "),
            safe(&t.grunn),
            safe(&t.begrunnelse.join(" ")),
        ])?;
    }
    done(w, SKJERMET, entries.len() as u64)
}

/// A caseworker's page (`veileder.html`), compiled from its template by askama: the layout
/// stays in the template, the values are typed here, and every value is HTML-escaped by
/// [`crate::output::page::Html`] (`askama.toml`).
#[derive(askama::Template)]
#[template(path = "commands/weekly/veileder.html")]
struct Page<'e> {
    /// The page's words in the run's language (`t["tittel"]`; a test checks every key).
    t: BTreeMap<&'static str, &'static str>,
    /// The ranked worklist, then the persons to settle a precondition for first.
    arbeidslister: [Worklist; 2],
    kontor: &'e str,
    veileder: &'e str,
    dato: String,
    run_id: &'e str,
    /// Scan date of the run compared with; empty on a first run.
    forrige: &'e str,
    antall_ny: usize,
    antall_fortsetter: usize,
    antall_ute: usize,
    seksjoner: Vec<HtmlSection<'e>>,
    versjon: &'static str,
    regelsett: &'e str,
}

/// One table of the worklist at the top of a page (left out when it has no rows).
struct Worklist {
    id: &'static str,
    tittel: &'static str,
    rows: Vec<WorkRow>,
}

struct HtmlPerson<'e> {
    person_id: &'e str,
    alder: i64,
    kommune_nr: &'e str,
    fortrolig: bool,
    forste_gang_kandidat: String,
    uker_pa_listen: i64,
    maneder: i64,
    /// The last month with stønad (`YYYY-MM`); empty when none.
    siste: String,
    /// «–» when none.
    innsatsgruppe: &'e str,
    treff: &'e [String],
    /// Why the person left the list; empty when on it.
    grunn: &'e str,
    endringer: &'e [String],
    begrunnelse: &'e [&'e str],
}

/// One row of the ranked worklist at the top of a caseworker's page.
struct WorkRow {
    rang: usize,
    person_id: String,
    alder: i64,
    regler: Vec<String>,
    uker_pa_listen: i64,
    ny: bool,
    /// the sentence of the person's highest-priority rule
    avgjorende: String,
    neste_steg: String,
    /// The same in a few words, for the printed worklist (the rule files' `kort_*`).
    kort: ShortRow,
}

/// A worklist row's short texts: one line each on the printed page.
struct ShortRow {
    regler: Vec<String>,
    avgjorende: String,
    neste_steg: String,
}

/// The first sentence of an explanation (the fact; the legal basis follows it).
fn first_sentence(text: &str) -> String {
    let end = text
        .match_indices(". ")
        .find(|(i, _)| text[i + 2..].chars().next().is_some_and(char::is_uppercase))
        .map_or(text.len(), |(i, _)| i + 1);
    text[..end].to_string()
}

/// The worklist: the persons on the list (not those who left), ranked by the rules' own
/// `prioritet` (the highest of the person's candidate rules and hints), then most weeks on the
/// list, then most rules, then id. Persons with a rule marked `forutsetning` (e.g. no § 14 a
/// assessment yet) come in a list of their own: something must be done before KVP is offered.
fn worklist(entries: &[&ListEntry], ctx: &Context) -> (Vec<WorkRow>, Vec<WorkRow>) {
    let ranked = ranked(entries, ctx);
    let (first, now): (Vec<_>, Vec<_>) = ranked.iter().partition(|(f, _, _)| *f);
    let number = |v: Vec<&(bool, i64, &ListEntry)>| {
        v.into_iter()
            .enumerate()
            .map(|(i, (first, _, e))| work_row(i + 1, *first, e, ctx))
            .collect()
    };
    (number(now), number(first))
}

/// The persons still on the list, each with whether a precondition must be settled first and
/// their highest rule priority, in the worklist's order: preconditions last, then priority,
/// weeks on the list, number of rules and id.
fn ranked<'e>(entries: &[&'e ListEntry], ctx: &Context) -> Vec<(bool, i64, &'e ListEntry)> {
    let mut ranked: Vec<(bool, i64, &ListEntry)> = entries
        .iter()
        .filter(|e| e.pa_listen != PaListen::Ute)
        .map(|e| {
            let rules = e
                .treff
                .iter()
                .chain(&e.hint)
                .filter_map(|r| ctx.rules.get(r));
            let first = rules.clone().any(|r| r.forutsetning);
            let score = rules.map(|r| r.prioritet).max().unwrap_or(0);
            (first, score, *e)
        })
        .collect();
    ranked.sort_by(|a, b| {
        (
            a.0,
            -a.1,
            -a.2.uker_pa_listen,
            std::cmp::Reverse(a.2.treff.len() + a.2.hint.len()),
            &a.2.person_id,
        )
            .cmp(&(
                b.0,
                -b.1,
                -b.2.uker_pa_listen,
                std::cmp::Reverse(b.2.treff.len() + b.2.hint.len()),
                &b.2.person_id,
            ))
    });
    ranked
}

/// One person's worklist row, ranked `rang`: the decisive sentence and the next step of the
/// rule that decides the step (a precondition first, else the highest priority).
fn work_row(rang: usize, first: bool, e: &ListEntry, ctx: &Context) -> WorkRow {
    let lang = ctx.lang;
    let mut rules: Vec<&crate::rules::Rule> = e
        .treff
        .iter()
        .chain(&e.hint)
        .filter_map(|r| ctx.rules.get(r))
        .collect();
    rules.sort_by_key(|r| (!(r.forutsetning && first), -r.prioritet));
    let top = rules.iter().find(|r| r.neste_steg.is_some());
    let step = top
        .and_then(|r| r.neste_steg.as_ref())
        .map(|p| in_lang(p, lang).to_string())
        .unwrap_or_default();
    let short_step = top
        .and_then(|r| r.kort.neste_steg.as_ref())
        .map_or_else(|| step.clone(), |p| in_lang(p, lang).to_string());
    let sentence = rules
        .iter()
        .find_map(|r| e.begrunnelse.iter().find(|b| b.rule == r.id));
    let decisive = sentence
        .map(|b| first_sentence(&b.text))
        .unwrap_or_default();
    let short_decisive = sentence
        .and_then(|b| b.kort.as_deref())
        .map_or_else(|| decisive.clone(), str::to_string);
    let short_titles = e
        .treff
        .iter()
        .map(|r| {
            ctx.rules
                .get(r)
                .map_or(r.as_str(), |r| r.short_title(lang))
                .to_string()
        })
        .collect();
    WorkRow {
        rang,
        person_id: e.person_id.clone(),
        alder: e.alder,
        regler: e.treff.iter().map(|r| ctx.rules.title(r, lang)).collect(),
        uker_pa_listen: e.uker_pa_listen,
        ny: e.pa_listen == PaListen::Ny,
        avgjorende: decisive,
        neste_steg: step,
        kort: ShortRow {
            regler: short_titles,
            avgjorende: short_decisive,
            neste_steg: short_step,
        },
    }
}

struct HtmlSection<'e> {
    id: &'static str,
    tittel: &'static str,
    merke: &'static str,
    personer: Vec<HtmlPerson<'e>>,
}

fn section_title(p: PaListen, lang: Lang) -> &'static str {
    crate::i18n::labels::PA_LISTEN_SEKSJON.text(p.as_str(), lang)
}

fn write_html(
    out: &OutputDir,
    name: &str,
    kontor: &str,
    veileder: &str,
    (entries, texts): (&[&ListEntry], &[Texts]),
    ctx: &Context,
) -> anyhow::Result<Staged> {
    let mut sections = Vec::new();
    let mut antall = [0; 3];
    for (n, p) in [PaListen::Ny, PaListen::Fortsetter, PaListen::Ute]
        .into_iter()
        .enumerate()
    {
        let personer: Vec<HtmlPerson> = entries
            .iter()
            .zip(texts)
            .filter(|(e, _)| e.pa_listen == p)
            .map(|(e, t)| HtmlPerson {
                person_id: &e.person_id,
                alder: e.alder,
                kommune_nr: if e.fortrolig() { "" } else { &e.kommune_nr },
                fortrolig: e.fortrolig(),
                forste_gang_kandidat: e.forste_gang_kandidat.to_string(),
                uker_pa_listen: e.uker_pa_listen,
                maneder: e.maneder,
                siste: e
                    .siste
                    .map(|d| d.format("%Y-%m").to_string())
                    .unwrap_or_default(),
                innsatsgruppe: if t.innsatsgruppe.is_empty() {
                    "–"
                } else {
                    &t.innsatsgruppe
                },
                treff: &t.treff,
                grunn: &t.grunn,
                endringer: &t.endringer,
                begrunnelse: &t.begrunnelse,
            })
            .collect();
        antall[n] = personer.len();
        // An empty "left" section says nothing on a first run; leave it out there.
        if p == PaListen::Ute && personer.is_empty() && ctx.previous.is_none() {
            continue;
        }
        sections.push(HtmlSection {
            id: p.as_str(),
            tittel: section_title(p, ctx.lang),
            merke: p.label(ctx.lang),
            personer,
        });
    }
    let (na, forst) = worklist(entries, ctx);
    let words = crate::i18n::pages::UKELISTE.map(ctx.lang);
    let page = Page {
        arbeidslister: [
            Worklist {
                id: "rangert",
                tittel: words["na"],
                rows: na,
            },
            Worklist {
                id: "forst",
                tittel: words["forst"],
                rows: forst,
            },
        ],
        t: words,
        kontor,
        veileder,
        dato: ctx.as_of.to_string(),
        run_id: ctx.run_id,
        forrige: ctx.previous.as_deref().unwrap_or(""),
        antall_ny: antall[0],
        antall_fortsetter: antall[1],
        antall_ute: antall[2],
        seksjoner: sections,
        versjon: env!("CARGO_PKG_VERSION"),
        regelsett: &ctx.rules.hash()[..12],
    };
    // Rendered into this thread's page buffer, used again from page to page: a page (~40 KB on
    // average, some much larger) grown from askama's estimate was reallocated and copied
    // several times.
    thread_local! {
        static PAGE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    PAGE.with_borrow_mut(|html| {
        html.clear();
        askama::Template::render_into(&page, html)?;
        out.stage_bytes(name, html.as_bytes(), entries.len() as u64)
    })
}

/// One row of `liste.parquet` as read back: who was on the list, how, and since when.
pub struct ListeRow {
    pub person_id: String,
    pub pa_listen: PaListen,
    pub forste_gang_kandidat: NaiveDate,
}

/// Every row of a `liste.parquet` (or `skjermet_liste.parquet`) kvp-scan wrote.
pub fn read_liste(path: &std::path::Path) -> anyhow::Result<Vec<ListeRow>> {
    use crate::output::columns::{Cols, batches};
    use anyhow::Context;
    let mut out = Vec::new();
    for b in batches(path)? {
        let c = Cols(&b, path);
        let (codes, ids, first) = (
            c.strs("pa_listen")?,
            c.strs("person_id")?,
            c.checked_dates("forste_gang_kandidat")?,
        );
        for row in 0..b.num_rows() {
            let missing = |col: &str| {
                crate::tr!(
                    "{}: rad {} har ingen gyldig {col}",
                    "{}: row {} has no valid {col}",
                    path.display(),
                    row + 1
                )
            };
            let code = codes.get(row).unwrap_or_default();
            out.push(ListeRow {
                person_id: ids.get(row).unwrap_or_default(),
                pa_listen: PaListen::from_code(&code).with_context(|| missing("pa_listen"))?,
                forste_gang_kandidat: first
                    .get(row)
                    .with_context(|| missing("forste_gang_kandidat"))?,
            });
        }
    }
    Ok(out)
}

/// The schema of `liste.parquet` (read back by [`ListeRow`]'s reader).
fn liste_schema() -> Arc<Schema> {
    let list = |n: &str| {
        Field::new(
            n,
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            false,
        )
    };
    Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Utf8, false),
        Field::new("pa_listen", DataType::Utf8, false),
        Field::new("ny_denne_uken", DataType::Boolean, false),
        Field::new("forste_gang_kandidat", DataType::Date32, false),
        Field::new("uker_pa_listen", DataType::Int64, false),
        Field::new("nav_kontor", DataType::Utf8, false),
        Field::new("veileder", DataType::Utf8, true),
        Field::new("skjermet", DataType::Boolean, false),
        list("treff"),
        list("endringer"),
        list("endringer_tekst"),
        Field::new("grunn", DataType::Utf8, true),
        Field::new("grunn_tekst", DataType::Utf8, true),
        Field::new("skanningsdato", DataType::Date32, false),
    ]))
}

fn write_liste_parquet(
    out: &OutputDir,
    name: &str,
    entries: &[&ListEntry],
    ctx: &Context,
) -> anyhow::Result<Staged> {
    let schema = liste_schema();
    let mut id = StringBuilder::new();
    let mut pa = StringBuilder::new();
    let mut ny = BooleanBuilder::new();
    let mut forste = Date32Builder::new();
    let mut uker = Int64Builder::new();
    let mut kontor = StringBuilder::new();
    let mut veileder = StringBuilder::new();
    let mut skjermet = BooleanBuilder::new();
    let mut treff = ListBuilder::new(StringBuilder::new());
    let mut endr = ListBuilder::new(StringBuilder::new());
    let mut endr_t = ListBuilder::new(StringBuilder::new());
    let mut grunn = StringBuilder::new();
    let mut grunn_t = StringBuilder::new();
    let mut dato = Date32Builder::new();
    for e in entries {
        id.append_value(&e.person_id);
        pa.append_value(e.pa_listen.as_str());
        ny.append_value(e.pa_listen == PaListen::Ny);
        forste.append_value(days_since_epoch(e.forste_gang_kandidat));
        uker.append_value(e.uker_pa_listen);
        kontor.append_value(&e.nav_kontor);
        veileder.append_option(e.veileder.as_deref());
        skjermet.append_value(e.skjermet());
        for t in &e.treff {
            treff.values().append_value(t);
        }
        treff.append(true);
        for c in &e.endringer {
            endr.values().append_value(c.code());
            endr_t.values().append_value(c.text(ctx.rules, ctx.lang));
        }
        endr.append(true);
        endr_t.append(true);
        grunn.append_option(e.grunn.as_ref().map(|g| g.code()));
        grunn_t.append_option(e.grunn.as_ref().map(|g| g.text(ctx.rules, ctx.lang)));
        dato.append_value(days_since_epoch(ctx.as_of));
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(pa.finish()),
        Arc::new(ny.finish()),
        Arc::new(forste.finish()),
        Arc::new(uker.finish()),
        Arc::new(kontor.finish()),
        Arc::new(veileder.finish()),
        Arc::new(skjermet.finish()),
        Arc::new(treff.finish()),
        Arc::new(endr.finish()),
        Arc::new(endr_t.finish()),
        Arc::new(grunn.finish()),
        Arc::new(grunn_t.finish()),
        Arc::new(dato.finish()),
    ];
    let batch = RecordBatch::try_new(schema, cols)?;
    let props = crate::output::parquet_out::writer_properties();
    crate::output::parquet_out::stage_batch(out, name, &batch, props)
}

/// Writes every weekly output for `entries` into `out` (staged, not yet renamed into place).
/// The header row of the lists' overview (`oversikt.csv`), as caseworkers read it.
const OVERSIKT_HEADER: [&str; 8] = [
    "NAV-kontor",
    "Veileder",
    "Liste (CSV)",
    "Liste (HTML)",
    "Liste (Excel)",
    "Nye",
    "Fortsetter",
    "Ute av listen",
];

/// The overview's English header (`--lang en`).
const OVERSIKT_HEADER_EN: [&str; 8] = [
    "NAV office",
    "Caseworker",
    "List (CSV)",
    "List (HTML)",
    "List (Excel)",
    "New",
    "Continuing",
    "Left the list",
];

pub fn write_all(out: &OutputDir, entries: &[ListEntry], ctx: &Context) -> anyhow::Result<Written> {
    let (counts, left_by_reason) = count_entries(entries);
    // kode 6 only in `skjermet*` files: their list rows (with office and caseworker, which
    // next week's comparison needs) go to skjermet_liste.parquet
    let (skjermet, listed): (Vec<&ListEntry>, Vec<&ListEntry>) =
        entries.iter().partition(|e| e.skjermet());
    let mut staged = vec![
        write_liste_parquet(out, LISTE, &listed, ctx)?,
        write_liste_parquet(out, SKJERMET_LISTE, &skjermet, ctx)?,
    ];
    let skjermet: Vec<&ListEntry> = {
        let mut v = skjermet;
        v.sort_by(|a, b| order(a, b));
        v
    };
    staged.push(write_skjermet(out, &skjermet, ctx)?);

    let mut groups = by_caseworker(entries);
    let mut offices = Names::default();
    let mut oversikt = writer(out.temp(OVERSIKT)?)?;
    oversikt.write_record(header(ctx.lang, &OVERSIKT_HEADER, &OVERSIKT_HEADER_EN))?;
    // the offices' folder names first (each unique), then the offices' lists written on
    // every core, gathered back in office order (the manifest lists the files in that order)
    let work: Vec<(&str, String, &mut ByVeileder)> = groups
        .iter_mut()
        .map(|(kontor, by_veileder)| (*kontor, offices.unique(file_stem(kontor)), by_veileder))
        .collect();
    let written: Vec<anyhow::Result<OfficeFiles>> = {
        use rayon::prelude::*;
        work.into_par_iter()
            .map(|(kontor, dir, by_veileder)| {
                let mut office = OfficeLists {
                    out,
                    ctx,
                    kontor,
                    dir: &dir,
                };
                let mut files = Vec::new();
                let rows = office.write(by_veileder, &mut files)?;
                Ok((files, rows))
            })
            .collect()
    };
    let mut lists = 0;
    for office in written {
        let (files, rows) = office?;
        staged.extend(files);
        for r in rows {
            oversikt.write_record(r)?;
            lists += 1;
        }
    }
    staged.push(done(oversikt, OVERSIKT, lists as u64)?);
    Ok(Written {
        staged,
        counts,
        left_by_reason,
        lists,
    })
}

/// The week's counts for the state index, and those who left by reason.
fn count_entries(entries: &[ListEntry]) -> (ListCounts, BTreeMap<String, u64>) {
    let mut counts = ListCounts::default();
    let mut left_by_reason = BTreeMap::new();
    for e in entries {
        match e.pa_listen {
            PaListen::Ny => counts.nye += 1,
            PaListen::Fortsetter => counts.fortsetter += 1,
            PaListen::Ute => {
                counts.ute_av_listen += 1;
                if let Some(g) = &e.grunn {
                    *left_by_reason.entry(g.code().to_string()).or_insert(0) += 1;
                }
            }
        }
        if e.pa_listen != PaListen::Ute {
            counts.kandidater += 1;
            if e.skjermet() {
                counts.skjermet_kode6 += 1;
            } else {
                if e.fortrolig() {
                    counts.fortrolig_kode7 += 1;
                }
                if e.veileder.is_none() {
                    counts.uten_veileder += 1;
                }
            }
        }
    }
    (counts, left_by_reason)
}

/// Office → caseworker (None = without one) → the office's entries, kode 6 left out.
type Groups<'e> = BTreeMap<&'e str, ByVeileder<'e>>;

/// One office's lists: by caseworker (none: the "uten veileder" list).
type ByVeileder<'e> = BTreeMap<Option<&'e str>, Vec<&'e ListEntry>>;

/// One office's written files and its rows of `oversikt.csv`.
type OfficeFiles = (Vec<Staged>, Vec<[String; 8]>);

fn by_caseworker(entries: &[ListEntry]) -> Groups<'_> {
    let mut groups = Groups::new();
    for e in entries.iter().filter(|e| !e.skjermet()) {
        groups
            .entry(e.nav_kontor.as_str())
            .or_default()
            // an empty or blank caseworker id is no caseworker
            .entry(e.veileder.as_deref().filter(|v| !v.trim().is_empty()))
            .or_default()
            .push(e);
    }
    groups
}

/// One office's caseworker lists being written.
struct OfficeLists<'a> {
    out: &'a OutputDir,
    ctx: &'a Context<'a>,
    kontor: &'a str,
    /// The office's folder under `lister/`.
    dir: &'a str,
}

impl OfficeLists<'_> {
    /// Every list of the office (CSV, workbook, page); returns its rows of `oversikt.csv`, in
    /// order.
    fn write(
        &mut self,
        by_veileder: &mut ByVeileder,
        staged: &mut Vec<Staged>,
    ) -> anyhow::Result<Vec<[String; 8]>> {
        let (out, ctx, kontor, dir) = (self.out, self.ctx, self.kontor, self.dir);
        let mut names = Names::default();
        // the "uten veileder" list's name is never given to a caseworker
        names.reserve(UTEN_VEILEDER);
        let mut rows = Vec::new();
        for (veileder, list) in by_veileder.iter_mut() {
            let veileder = *veileder;
            list.sort_by(|a, b| order(a, b));
            let stem = match veileder {
                Some(v) => names.unique(file_stem(v)),
                None => UTEN_VEILEDER.to_string(),
            };
            let base = format!("{LISTER}/{dir}/{stem}");
            let shown = veileder.map_or_else(
                || crate::i18n::pages::UKELISTE_ORD.word("uten_veileder", ctx.lang),
                str::to_string,
            );
            // each row's texts made once, for the CSV, the workbook and the page
            let texts: Vec<Texts> = list.iter().map(|e| texts(e, ctx)).collect();
            staged.extend(write_list_files(out, &base, (list, &texts), ctx)?);
            staged.push(write_html(
                out,
                &format!("{base}.html"),
                kontor,
                &shown,
                (list, &texts),
                ctx,
            )?);
            let n = |p: PaListen| list.iter().filter(|e| e.pa_listen == p).count().to_string();
            rows.push([
                id_cell(kontor),
                veileder.map(safe).unwrap_or_default(),
                format!("{dir}/{stem}.csv"),
                format!("{dir}/{stem}.html"),
                format!("{dir}/{stem}.xlsx"),
                n(PaListen::Ny),
                n(PaListen::Fortsetter),
                n(PaListen::Ute),
            ]);
        }
        rows.sort();
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word the compiled page looks up (`t["…"]` in veileder.html, and the worklists'
    /// titles) is in its table in both languages: the page never meets a missing key.
    #[test]
    fn every_word_of_the_page_is_in_its_table() {
        let template = include_str!("veileder.html");
        let keys: Vec<&str> = template
            .split("t[\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').expect("a closing quote")])
            .chain(["na", "forst"])
            .collect();
        assert!(keys.len() > 30, "{keys:?}");
        for lang in [Lang::Nb, Lang::En] {
            let words = crate::i18n::pages::UKELISTE.map(lang);
            for k in &keys {
                assert!(words.contains_key(k), "{k} ({lang:?})");
            }
        }
    }

    #[test]
    fn file_stems_cannot_escape_the_folder() {
        assert!(file_stem("../../etc").starts_with("______etc-"));
        assert_eq!(file_stem("Z990123"), "Z990123");
        assert!(file_stem("NAV Grünerløkka").starts_with("NAV_Gr_nerl_kka-"));
        assert!(file_stem("").starts_with("-"));
        assert!(file_stem("CON").starts_with("CON-"));
        assert!(file_stem("nul").starts_with("nul-"));
        assert!(file_stem("Uten_Veileder").starts_with("Uten_Veileder-"));
        let long = "x".repeat(300);
        assert!(file_stem(&long).len() <= 60);
    }

    #[test]
    fn the_decisive_fact_is_the_first_sentence() {
        assert_eq!(
            first_sentence(
                "Mottok stønad i 6 av 12 måneder (grense: 6). Langtidsmottakere er en målgruppe."
            ),
            "Mottok stønad i 6 av 12 måneder (grense: 6)."
        );
        assert_eq!(
            first_sentence("Har sykepenger (§ 17). og mer"),
            "Har sykepenger (§ 17). og mer"
        );
        assert_eq!(first_sentence(""), "");
    }

    #[test]
    fn every_id_gets_its_own_name_also_ignoring_case() {
        let ids = [
            "a/b", "a_b", "a_b-2", "A_B", "a b", "", " ", "CON", "Æ", "Ø",
        ];
        let mut names = Names::default();
        names.reserve(UTEN_VEILEDER);
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            let n = names.unique(file_stem(id));
            assert!(n.len() + ".html".len() <= 100, "{n}");
            assert!(seen.insert(n.to_ascii_lowercase()), "{id:?} -> {n} twice");
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
    }
}
