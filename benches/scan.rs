//! Criterion benches: the full scan, a second weekly run (lists compared with last week's),
//! the availability report with its 12 month-ends and the 52-week offer audit at 10 000
//! persons and at national scale (150 000 persons, 5 years), the scan floor (reading the columns once),
//! loading + planning the rule set alone, `compare` with one threshold lowered, and
//! `import kostra` of one reporting year's 11F and 11CF files of the same population. Data is generated in setup (not timed).
//!
//! Run: `cargo bench --bench scan` (KVP_BENCH_SKIP_NATIONAL=1 leaves out the national scale).

use std::path::PathBuf;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use kvp_scan::commands::audit::{AuditArgs, run as audit};
use kvp_scan::commands::generate::{GenerateArgs, run as generate};
use kvp_scan::commands::scan::{ScanArgs, run as scan};
use kvp_scan::contract::Lang;
use kvp_scan::engine::EngineOptions;
use kvp_scan::engine::session::load_rules;

/// The same allocator as the binary, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()
}

fn population(dir: &std::path::Path, persons: u64) -> PathBuf {
    let out = dir.join(format!("data_{persons}"));
    generate(&GenerateArgs {
        persons,
        out: out.clone(),
        seed: 1,
        as_of: as_of(),
        years: 5,
        progress: false,
    })
    .expect("generate");
    out
}

/// The scan floor: read every contract column of every table once, nothing else.
fn read_floor(dir: &std::path::Path) -> usize {
    use datafusion::parquet::arrow::ProjectionMask;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let mut rows = 0;
    for spec in kvp_scan::contract::TABLES {
        let file = std::fs::File::open(dir.join(format!("{}.parquet", spec.name))).unwrap();
        let b = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let idx: Vec<usize> = spec
            .columns
            .iter()
            .map(|c| b.schema().index_of(c.name).unwrap())
            .collect();
        let mask = ProjectionMask::roots(b.parquet_schema(), idx);
        for batch in b.with_projection(mask).build().unwrap() {
            rows += batch.unwrap().num_rows();
        }
    }
    rows
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();

    let mut g = c.benchmark_group("rules");
    g.sample_size(20);
    g.bench_function("load_and_plan", |b| {
        b.iter(|| rt.block_on(load_rules(None, as_of())).unwrap())
    });
    g.finish();

    let mut sizes = vec![10_000u64];
    if std::env::var_os("KVP_BENCH_SKIP_NATIONAL").is_none() {
        sizes.push(150_000);
    }
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    for persons in sizes {
        let data = population(tmp.path(), persons);
        let out = tmp.path().join(format!("out_{persons}"));
        g.bench_function(format!("floor_read_columns_{persons}"), |b| {
            b.iter(|| read_floor(&data))
        });
        g.bench_function(format!("full_scan_{persons}"), |b| {
            b.iter(|| {
                let args = ScanArgs {
                    data: data.clone(),
                    out: out.clone(),
                    as_of: as_of(),
                    rules: None,
                    lang: Lang::Nb,
                    engine: EngineOptions::default(),
                    pseudonymize: None,
                };
                rt.block_on(scan(args)).unwrap()
            })
        });
        // the same data under the shipped rules and with one threshold lowered
        g.bench_function(format!("compare_min_maneder_5_{persons}"), |b| {
            b.iter(|| {
                let args = kvp_scan::commands::compare::CompareArgs {
                    data: data.clone(),
                    out: tmp.path().join(format!("compare_{persons}")),
                    as_of: as_of(),
                    rules_a: None,
                    rules_b: None,
                    set: vec!["langtidsmottaker.min_maneder=5".into()],
                    lang: Lang::Nb,
                    engine: EngineOptions::default(),
                    pseudonymize: None,
                };
                rt.block_on(kvp_scan::commands::compare::run(&args))
                    .unwrap()
            })
        });
        // one reporting year of KOSTRA files (≈130 000 11F records at national scale)
        let kostra = tmp.path().join(format!("kostra_{persons}"));
        kvp_scan::contract::kostra::export::write(&data, as_of(), &kostra).expect("kostra files");
        g.bench_function(format!("import_kostra_2026_{persons}"), |b| {
            b.iter(|| {
                let args = kvp_scan::commands::import_kostra::ImportArgs {
                    files: vec![kostra.join("11F_2026.txt"), kostra.join("11CF_2026.txt")],
                    out: tmp.path().join(format!("import_{persons}")),
                    kontorer: None,
                    adressebeskyttelse: None,
                    lang: Lang::Nb,
                };
                kvp_scan::commands::import_kostra::run(&args).unwrap()
            })
        });
        // a second weekly run: this week's lists against last week's (replacing this week's
        // run each time, so every iteration compares with the same previous run)
        let state = tmp.path().join(format!("state_{persons}"));
        let weekly_args = |as_of: NaiveDate| kvp_scan::commands::weekly::WeeklyArgs {
            scan: ScanArgs {
                data: data.clone(),
                out: PathBuf::new(),
                as_of,
                rules: None,
                lang: Lang::Nb,
                engine: EngineOptions::default(),
                pseudonymize: None,
            },
            state: state.clone(),
            replace_history: true,
            keep: 10,
        };
        let last_week = as_of() - chrono::Duration::days(7);
        rt.block_on(kvp_scan::commands::weekly::run(weekly_args(last_week)))
            .expect("first weekly run");
        g.bench_function(format!("weekly_second_run_{persons}"), |b| {
            b.iter(|| {
                rt.block_on(kvp_scan::commands::weekly::run(weekly_args(as_of())))
                    .unwrap()
            })
        });
        // the availability report: the scan date in full, 12 month-ends' statuses
        g.bench_function(format!("report_12_months_{persons}"), |b| {
            b.iter(|| {
                let args = kvp_scan::commands::report::ReportArgs {
                    data: data.clone(),
                    out: tmp.path().join(format!("report_{persons}")),
                    as_of: as_of(),
                    rules: None,
                    lang: Lang::Nb,
                    engine: EngineOptions::default(),
                    months: 12,
                    kontor: Vec::new(),
                    intern: false,
                    kontornavn: None,
                    kommunenavn: None,
                };
                rt.block_on(kvp_scan::commands::report::run(args)).unwrap()
            })
        });
        // 53 Mondays, every one a column of the facts
        g.bench_function(format!("audit_52_weeks_{persons}"), |b| {
            b.iter(|| {
                let args = AuditArgs {
                    data: data.clone(),
                    out: tmp.path().join(format!("audit_{persons}")),
                    from: NaiveDate::from_ymd_opt(2025, 11, 17).unwrap(),
                    to: as_of(),
                    frist_dager: 28,
                    rules: None,
                    lang: Lang::Nb,
                    engine: EngineOptions::default(),
                };
                rt.block_on(audit(&args)).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(scan_benches, benches);
criterion_main!(scan_benches);
