//! `kvp-scan import kostra`: the KOSTRA 11F and 11CF files every municipality already sends
//! Statistics Norway, turned into the Parquet tables of the data contract, with the import's own
//! `datakvalitet.csv` and manifest, staged and committed like every other output
//! (`../shared/spec/kostra-import.md`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use serde::Serialize;

use crate::contract::Lang;
use crate::contract::kostra::layout::Kind;
use crate::contract::kostra::mapping::{Offices, Tables};
use crate::contract::kostra::record::{self, Encoding, Finding, Parser, Severity};
use crate::contract::kostra::{layout, mapping};
use crate::output::csv_out::{done, writer};
use crate::output::{OutputDir, Staged};
use clap::Subcommand;

#[derive(Debug, Clone)]
pub struct ImportArgs {
    pub files: Vec<PathBuf>,
    pub out: PathBuf,
    /// CSV `kommune_nr;bydel_nr;nav_kontor`.
    pub kontorer: Option<PathBuf>,
    /// CSV `person_id;adressebeskyttelse`.
    pub adressebeskyttelse: Option<PathBuf>,
    pub lang: Lang,
}

/// One input file in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct InputEntry {
    pub fil: String,
    pub sha256: String,
    pub koding: Encoding,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Reporting years of the records imported.
    pub rapporteringsar: Vec<i32>,
    pub linjer: u64,
    pub importert: u64,
    pub satt_til_side: u64,
}

#[derive(Debug, Serialize)]
struct Manifest {
    verktoy: &'static str,
    versjon: &'static str,
    inndata: Vec<InputEntry>,
    tabeller: BTreeMap<&'static str, usize>,
    /// What KOSTRA does not carry: tables not written, facts the scan cannot decide.
    mangler: Vec<&'static str>,
    adressebeskyttelse: &'static str,
    utdata: Vec<crate::output::manifest::OutputEntry>,
}

/// What the summary on stderr says.
pub struct ImportOutcome {
    pub inputs: Vec<InputEntry>,
    /// (kind, year) → records imported
    pub records: BTreeMap<(Kind, i32), u64>,
    pub tables: Vec<(&'static str, usize)>,
    pub errors: usize,
    pub warnings: usize,
    pub protection_given: bool,
    pub elapsed: std::time::Duration,
}

/// The import's own files, beside the tables (see [`crate::contract::IMPORT_FILES`]).
pub const DATAKVALITET: &str = "import_datakvalitet.csv";
pub const MANIFEST: &str = "import_manifest.json";

/// Reads a `;`-separated CSV of a fixed number of columns, skipping a header row that names
/// the first column; a malformed line is fatal (file and line named).
fn read_map_csv(path: &Path, header: &str, columns: usize) -> anyhow::Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        crate::tr!(
            "kan ikke lese {} (forventet CSV i UTF-8)",
            "cannot read {} (expected UTF-8 CSV)",
            path.display()
        )
    })?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}').trim_end_matches('\r');
        if line.trim().is_empty() || (i == 0 && line.starts_with(header)) {
            continue;
        }
        let cells: Vec<String> = line.split(';').map(|c| c.trim().to_string()).collect();
        anyhow::ensure!(
            cells.len() == columns,
            "{}",
            crate::tr!(
                "{}: linje {}: forventet {columns} kolonner skilt med `;`, fant {}",
                "{}: line {}: expected {columns} `;`-separated columns, found {}",
                path.display(),
                i + 1,
                cells.len()
            )
        );
        rows.push(cells);
    }
    Ok(rows)
}

fn parquet(
    out: &OutputDir,
    spec: &crate::contract::TableSpec,
    b: &datafusion::arrow::array::RecordBatch,
) -> anyhow::Result<Staged> {
    let name = format!("{}.parquet", spec.name);
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    crate::output::parquet_out::stage_batch(out, &name, b, props)
}

/// Reads every file (fatal problems stop before anything is written), maps the records and
/// writes the tables, `datakvalitet.csv` and `manifest.json` into `args.out` all at once.
pub fn run(args: &ImportArgs) -> anyhow::Result<ImportOutcome> {
    let started = std::time::Instant::now();
    anyhow::ensure!(
        !args.files.is_empty(),
        "{}",
        crate::tr!(
            "oppgi minst én 11F- eller 11CF-fil",
            "give at least one 11F or 11CF file"
        )
    );
    let (offices, protection) = read_maps(args)?;
    let mut tables = Tables::default();
    let mut findings: Vec<Finding> = Vec::new();
    let mut inputs = Vec::new();
    let mut records: BTreeMap<(Kind, i32), u64> = BTreeMap::new();
    for (file_no, path) in args.files.iter().enumerate() {
        let mut into = (&mut tables, &mut findings, &mut records);
        inputs.push(import_file((file_no, path), &offices, &mut into)?);
    }

    let counts = tables.counts();
    let batches = tables.batches(&protection)?;
    let out = OutputDir::create(&args.out)?;
    let mut staged = Vec::new();
    for (spec, b) in &batches {
        staged.push(parquet(&out, spec, b)?);
    }
    staged.push(write_findings(&out, &findings, args.lang)?);
    let utdata = crate::output::manifest::output_entries(&staged)?;
    let mut mangler = vec!["oppfolgingsvedtak", "kvp_tiltak"];
    if !tables_has(&counts, "kvp_hendelser") {
        mangler.push("kvp_hendelser");
    }
    let m = Manifest {
        verktoy: "kvp-scan import kostra",
        versjon: env!("CARGO_PKG_VERSION"),
        inndata: inputs.clone(),
        tabeller: counts.iter().copied().collect(),
        mangler,
        adressebeskyttelse: if args.adressebeskyttelse.is_some() {
            "fra_fil"
        } else {
            "ukjent"
        },
        utdata,
    };
    staged.push(out.stage_json(MANIFEST, &m)?);
    out.commit(staged)?;
    let errors = findings
        .iter()
        .filter(|f| f.problem.severity() == Severity::Feil)
        .count();
    Ok(ImportOutcome {
        inputs,
        records,
        tables: counts,
        errors,
        warnings: findings.len() - errors,
        protection_given: args.adressebeskyttelse.is_some(),
        elapsed: started.elapsed(),
    })
}

/// The office map (`--kontorer`) and the address protection (`--adressebeskyttelse`), when given.
fn read_maps(args: &ImportArgs) -> anyhow::Result<(Offices, HashMap<String, String>)> {
    let mut offices = Offices::new();
    if let Some(p) = &args.kontorer {
        for r in read_map_csv(p, "kommune_nr", 3)? {
            offices.insert((r[0].clone(), r[1].clone()), r[2].clone());
        }
    }
    let mut protection = HashMap::new();
    if let Some(p) = &args.adressebeskyttelse {
        for r in read_map_csv(p, "person_id", 2)? {
            if !r[1].is_empty() {
                protection.insert(r[0].clone(), r[1].clone());
            }
        }
    }
    Ok((offices, protection))
}

/// What one file adds: its records to the tables, its problems to the findings, its count per
/// kind and year; returns the file's entry for the manifest.
fn import_file(
    (file_no, path): (usize, &Path),
    offices: &Offices,
    (tables, findings, records): &mut (
        &mut Tables,
        &mut Vec<Finding>,
        &mut BTreeMap<(Kind, i32), u64>,
    ),
) -> anyhow::Result<InputEntry> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| record::Fatal::Read {
        path: name.clone(),
        source,
    })?;
    let d = record::decode(&name, &bytes)?;
    let mut entry = InputEntry {
        fil: name.clone(),
        // the bytes already read, not the file a second time
        sha256: {
            use sha2::{Digest, Sha256};
            format!("{:x}", Sha256::digest(&bytes))
        },
        koding: d.encoding,
        kind: d.kind,
        rapporteringsar: Vec::new(),
        linjer: d.lines.len() as u64,
        importert: 0,
        satt_til_side: 0,
    };
    let mut journal: HashMap<String, usize> = HashMap::new();
    for (line, text) in &d.lines {
        let mut p = Parser::new(&name, *line);
        let head = match d.kind {
            Kind::F11 => p.f11(text).map(|r| {
                let (id, w) = mapping::person_id(&r.head, r.duf.as_deref());
                (id, w, r.head.clone(), Some(r), None)
            }),
            Kind::Cf11 => p.cf11(text).map(|r| {
                let (id, w) = mapping::person_id(&r.head, None);
                (id, w, r.head.clone(), None, Some(r))
            }),
        };
        let mut accepted = None;
        if let Some((id, warning, head, f, cf)) = head {
            if let Some(first) = journal.get(&head.journalnr) {
                let problem = record::Problem::DuplicateJournal { first_line: *first };
                p.report(layout::PERSON_JOURNALNR.name, problem);
            } else {
                journal.insert(head.journalnr.clone(), *line);
                if let Some(w) = warning {
                    p.report(layout::PERSON_JOURNALNR.name, w);
                }
                accepted = Some((id, head.year, f, cf));
            }
        }
        findings.append(&mut p.findings);
        match accepted {
            Some((id, year, f, cf)) => {
                if let Some(r) = f {
                    tables.add_11f(&id, &r, file_no, offices);
                }
                if let Some(r) = cf {
                    tables.add_11cf(&id, &r, file_no, offices);
                }
                entry.importert += 1;
                if !entry.rapporteringsar.contains(&year) {
                    entry.rapporteringsar.push(year);
                }
                *records.entry((d.kind, year)).or_default() += 1;
            }
            None => entry.satt_til_side += 1,
        }
    }
    entry.rapporteringsar.sort();
    Ok(entry)
}

fn tables_has(counts: &[(&'static str, usize)], name: &str) -> bool {
    counts.iter().any(|(t, _)| *t == name)
}

/// `datakvalitet.csv` of the import: file, line, SSB field, severity, reason, and the code.
fn write_findings(out: &OutputDir, findings: &[Finding], lang: Lang) -> anyhow::Result<Staged> {
    let mut w = writer(out.temp(DATAKVALITET)?)?;
    w.write_record(crate::output::csv_out::header(
        lang,
        &["Fil", "Linje", "Felt", "Alvorlighet", "Årsak", "kode"],
        &["File", "Line", "Field", "Severity", "Reason", "code"],
    ))?;
    for f in findings {
        w.write_record([
            f.file.as_str(),
            &f.line.to_string(),
            f.field,
            f.problem.severity().label(lang),
            &crate::output::csv_out::safe(&f.problem.reason(lang)),
            f.problem.code(),
        ])?;
    }
    done(w, DATAKVALITET, findings.len() as u64)
}

/// The summary printed on stderr.
pub fn summary_text(o: &ImportOutcome, out: &Path) -> String {
    use crate::i18n::{Msg, push};
    use std::fmt::Write as _;
    let lang = crate::i18n::lang();
    let mut t = String::new();
    let took = crate::output::numbers::seconds(o.elapsed, lang);
    let n = o.inputs.len();
    push(&mut t, lang, Msg::Imported, &[&n, &out.display(), &took]);
    for i in &o.inputs {
        let years: Vec<String> = i.rapporteringsar.iter().map(|y| y.to_string()).collect();
        let years = if years.is_empty() {
            "-".into()
        } else {
            years.join(", ")
        };
        let koding = match i.koding {
            Encoding::Utf8 => "UTF-8",
            Encoding::Latin1 => "ISO-8859-1",
        };
        let values: [&dyn std::fmt::Display; 7] = [
            &i.fil,
            &i.kind.as_str(),
            &years,
            &koding,
            &i.linjer,
            &i.importert,
            &i.satt_til_side,
        ];
        push(&mut t, lang, Msg::ImportedFile, &values);
    }
    push(&mut t, lang, Msg::ImportedRecords, &[]);
    for ((kind, year), n) in &o.records {
        let _ = writeln!(t, "    {:<5} {year}  {n:>8}", kind.as_str());
    }
    push(&mut t, lang, Msg::ImportedTables, &[]);
    for (table, n) in &o.tables {
        let rows = Msg::ImportedRows.fill(lang, &[&format!("{n:>10}")]);
        let _ = writeln!(t, "    {table:<20}{rows}");
    }
    let quality: [&dyn std::fmt::Display; 3] = [&o.errors, &o.warnings, &DATAKVALITET];
    push(&mut t, lang, Msg::ImportQuality, &quality);
    let events = if tables_has(&o.tables, "kvp_hendelser") {
        ""
    } else {
        Msg::ImportNoEvents.text(lang)
    };
    push(&mut t, lang, Msg::ImportCannotTell, &[&events]);
    if !o.protection_given {
        push(&mut t, lang, Msg::ImportNoProtection, &[]);
    }
    t
}

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// KOSTRA 11F (økonomisk sosialhjelp) and 11CF (kvalifiseringsstønad) files, recognised by
    /// their record length, into the contract's Parquet tables, datakvalitet.csv and a manifest.
    Kostra {
        /// Output data directory (created if missing); `scan --data` reads it as it is.
        #[arg(long)]
        out: PathBuf,
        /// CSV `kommune_nr;bydel_nr;nav_kontor` mapping municipalities (and Oslo districts) to
        /// NAV offices; without it the office is the kommune number (+ bydel in Oslo).
        #[arg(long, value_name = "FILE")]
        kontorer: Option<PathBuf>,
        /// CSV `person_id;adressebeskyttelse` (KOSTRA carries no address protection).
        #[arg(long, value_name = "FILE")]
        adressebeskyttelse: Option<PathBuf>,
        /// Language of datakvalitet.csv.
        #[arg(long, value_enum, default_value_t = Lang::Nb)]
        lang: Lang,
        /// The 11F and 11CF files (several years, municipalities and kinds at once).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

/// `kvp-scan import kostra`: imports the files and prints what was read and what is missing.
pub fn main(cmd: ImportCmd, quiet: bool) -> anyhow::Result<()> {
    let ImportCmd::Kostra {
        out,
        kontorer,
        adressebeskyttelse,
        lang,
        files,
    } = cmd;
    let args = ImportArgs {
        files,
        out,
        kontorer,
        adressebeskyttelse,
        lang,
    };
    let o = run(&args)?;
    if !quiet {
        eprint!("{}", summary_text(&o, &args.out));
    }
    Ok(())
}
