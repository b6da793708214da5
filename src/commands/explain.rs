//! `explain`: why one person is or is not a candidate, from the engine's own evaluation (the
//! same planned rules and the same verdict code as `scan`), with the facts and source rows used.

use crate::i18n::pages::{FORKLARING, Forklaring};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::scalar::ScalarValue;
use serde::Serialize;

use crate::commands::args::EvalArgs;
use crate::contract::Lang;
use crate::engine::PlannedRule;
use crate::engine::session::Session;
use crate::engine::{Engine, EngineOptions, Verdict, values};
use crate::rules::{Kind, Outcome, ParamValue, RuleSet};
use clap::Args;

pub struct ExplainArgs {
    pub data: PathBuf,
    pub person: String,
    pub as_of: NaiveDate,
    pub rules: Option<PathBuf>,
    pub lang: Lang,
    /// The operator states she is authorised to see kode-6 persons (`--skjermet`).
    pub skjermet: bool,
}

/// A kode-6 person asked for without `--skjermet`.
#[derive(Debug, thiserror::Error)]
#[error("{}", crate::tr!(
    "denne personen har strengt fortrolig adresse (kode 6) og vises bare for dem som har \
     tilgang til det; har du det, kjør igjen med --skjermet (bruken logges)",
    "this person has a strictly confidential address (strengt fortrolig, kode 6) and is shown only \
     to those authorised for it; if you are, run again with --skjermet (its use is logged)"
))]
pub struct Skjermet;

/// The documented JSON shape of an explanation (`explain --json`).
#[derive(Debug, Serialize)]
pub struct PersonReport {
    pub person_id: String,
    pub skanningsdato: String,
    pub status: String,
    pub nav_kontor: String,
    pub veileder: Option<String>,
    pub alder: i64,
    pub regler: Vec<RuleOutcome>,
    /// What would have to be different, as support for the caseworker's own assessment.
    pub motfaktisk: Vec<String>,
    pub fakta: Facts,
}

#[derive(Debug, Serialize)]
pub struct RuleOutcome {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub tittel: String,
    pub hjemmel: String,
    /// `treff`, `ikke_treff` or `uavklart`.
    pub utfall: Outcome,
    pub forklaring: Option<String>,
    /// The rule's conditions with their outcome for this person (rules with `krav`, when the
    /// person is in the rule's scope).
    pub krav: Vec<KravOutcome>,
    pub parametre: BTreeMap<String, ParamValue>,
}

#[derive(Debug, Serialize)]
pub struct KravOutcome {
    pub krav: String,
    pub oppfylt: bool,
    pub tekst: String,
}

/// Source rows behind the key facts, each a map of column to value.
#[derive(Debug, Serialize, Default)]
pub struct Facts {
    pub stonadsmaneder_siste_12: i64,
    pub utbetalinger_siste_12_maneder: Vec<BTreeMap<String, String>>,
    pub innsatsgruppe_i_kraft: Vec<BTreeMap<String, String>>,
    pub aktive_ytelser: Vec<BTreeMap<String, String>>,
    pub aktive_vilkar: Vec<BTreeMap<String, String>>,
    pub kvp_hendelser: Vec<BTreeMap<String, String>>,
    /// Optional tables missing from the export (their facts are unknown).
    pub mangler_tabeller: Vec<String>,
}

fn rows(batches: &[RecordBatch]) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            let mut m = BTreeMap::new();
            for (i, f) in b.schema().fields().iter().enumerate() {
                let v = values::cell(b.column(i), r);
                if !v.is_none() {
                    m.insert(f.name().clone(), v.to_string());
                }
            }
            out.push(m);
        }
    }
    out
}

async fn query(
    engine: &Engine,
    sql: &str,
    person: &str,
) -> anyhow::Result<Vec<BTreeMap<String, String>>> {
    let p = ScalarValue::Utf8(Some(person.to_string()));
    Ok(rows(&engine.query_with(sql, vec![("p", p)]).await?))
}

pub async fn run(args: &ExplainArgs) -> anyhow::Result<PersonReport> {
    let one_thread = EngineOptions {
        target_partitions: 1,
        memory_limit: None,
        ..Default::default()
    };
    let session = Session::open(&args.data, args.rules.as_deref(), args.as_of, &one_thread).await?;
    let engine = session.engine().await?;
    let planned = session.plan(&engine).await?;
    let (rules, data) = (&session.rules, &session.data);
    let mut verdicts: Vec<Verdict> = Vec::new();
    engine
        .evaluate(rules, &planned, args.lang, Some(&args.person), |v| {
            verdicts.push(v);
            Ok(())
        })
        .await?;
    let v = verdicts.pop().ok_or_else(|| not_found(&args.person))?;
    if v.facts.skjermet() {
        if !args.skjermet {
            return Err(Skjermet.into());
        }
        tracing::info!("explain: a person with strengt fortrolig address shown under --skjermet");
    }
    let regler = rule_outcomes(&planned, &v, args.lang);
    let motfaktisk = counterfactuals(rules, &v, args.lang);
    let fakta = facts(&engine, args, &v, data).await?;
    Ok(PersonReport {
        person_id: v.facts.person_id.to_string(),
        skanningsdato: args.as_of.to_string(),
        status: v.status.as_str().to_string(),
        nav_kontor: v.facts.nav_kontor.to_string(),
        veileder: v.facts.veileder.as_ref().map(ToString::to_string),
        alder: v.facts.alder,
        regler,
        motfaktisk,
        fakta,
    })
}

/// The error for an id the data does not have, with a hint when the id looks damaged.
fn not_found(id: &str) -> anyhow::Error {
    let digits = id.bytes().all(|b| b.is_ascii_digit());
    let hint = if digits && id.len() == 10 {
        crate::tr!(
            " ID-en har 10 sifre; et fødselsnummer har 11: har en innledende null falt bort (f.eks. i Excel)?",
            " The id has 10 digits; a fødselsnummer has 11: was a leading zero lost (e.g. in Excel)?"
        )
    } else if digits && id.len() != 11 && id.len() != 12 {
        crate::tr!(
            " ID-en er bare sifre, men verken 11 (fødselsnummer) eller 12 (DUF) lang.",
            " The id is all digits but neither 11 (fødselsnummer) nor 12 (DUF) long."
        )
    } else {
        String::new()
    };
    anyhow::anyhow!(
        "{}",
        crate::tr!(
            "personen finnes ikke i personer (eller raden i personer ble satt til side; se datakvalitet.csv fra en skanning).{hint}",
            "the person is not in personer (or its personer row was set aside; see datakvalitet.csv from a scan).{hint}"
        )
    )
}

/// Every rule's outcome for the person, with its sentence, conditions and parameters.
fn rule_outcomes(planned: &[PlannedRule<'_>], v: &Verdict, lang: Lang) -> Vec<RuleOutcome> {
    let mut regler = Vec::new();
    for p in planned {
        let r = p.rule;
        regler.push(RuleOutcome {
            id: r.id.clone(),
            kind: r.kind.as_str(),
            tittel: r.title(lang).to_string(),
            hjemmel: r.hjemmel.render(lang),
            utfall: v.outcome(&r.id),
            forklaring: v.sentence(&r.id).map(str::to_string),
            krav: v
                .krav
                .iter()
                .filter(|k| k.rule == r.id)
                .map(|k| KravOutcome {
                    krav: k.krav.to_string(),
                    oppfylt: k.oppfylt,
                    tekst: k.text.to_string(),
                })
                .collect(),
            parametre: p.params.clone(),
        });
    }
    regler
}

/// What stands in the way: the single exclusion of a matching person, each rule missed by one
/// condition, and exclusions that could not be assessed for a candidate.
fn counterfactuals(rules: &RuleSet, v: &Verdict, lang: Lang) -> Vec<String> {
    // Counterfactuals: a candidate rule fired and exactly one exclusion stands in the way.
    let mut motfaktisk = Vec::new();
    if v.eksklusjoner.len() == 1 && !v.treff.is_empty() {
        let ex = &v.eksklusjoner[0];
        let title = rules.get(ex).map(|r| r.title(lang)).unwrap_or(ex);
        let why = v.sentence(ex).unwrap_or("");
        motfaktisk.push(Forklaring::KunEkskludertAv.fill(lang, &[&title, &why]));
    }
    for n in &v.naer_treff {
        let title = rules.get(&n.rule).map(|r| r.title(lang)).unwrap_or(&n.rule);
        motfaktisk.push(Forklaring::NaerTreff.fill(lang, &[&title, &n.text]));
    }
    for u in &v.uavklart {
        let r = rules
            .get(u)
            .expect("undecided rules come from the rule set");
        if r.kind == Kind::Eksklusjon && v.status.as_str() == "kandidat" {
            motfaktisk.push(Forklaring::SjekkSelv.fill(lang, &[&r.title(lang)]));
        }
    }
    motfaktisk
}

/// The facts behind the verdict: the source rows of the last 12 months and what is in force.
async fn facts(
    engine: &Engine,
    args: &ExplainArgs,
    v: &Verdict,
    data: &crate::contract::load::Dataset,
) -> anyhow::Result<Facts> {
    let p = &args.person;
    Ok(Facts {
        stonadsmaneder_siste_12: v.facts.stonadsmaneder_siste_12,
        utbetalinger_siste_12_maneder: query(
            engine,
            &format!(
                "SELECT utbetalingsdato, fom, tom, belop, stonadstype, status, _rad AS rad
                 FROM okonomisk_stonad
                 WHERE person_id = $p AND coalesce(tom, utbetalingsdato) >= {}
                 ORDER BY utbetalingsdato, _rad",
                Engine::sql_date(window_start(args.as_of))
            ),
            p,
        )
        .await?,
        innsatsgruppe_i_kraft: query(
            engine,
            "SELECT innsatsgruppe, innsatsgruppe_kilde, vedtak_dato, hovedmal FROM innsatsgruppe_gjeldende WHERE person_id = $p",
            p,
        )
        .await?,
        aktive_ytelser: query(
            engine,
            "SELECT ytelse, fom, tom, livsopphold FROM ytelser_aktive WHERE person_id = $p ORDER BY fom, ytelse",
            p,
        )
        .await?,
        aktive_vilkar: query(
            engine,
            "SELECT hjemmel, vilkar_kode, fom, tom FROM vilkar_aktive WHERE person_id = $p ORDER BY fom",
            p,
        )
        .await?,
        kvp_hendelser: query(
            engine,
            "SELECT dato, hendelse, status_kode FROM kvp_hendelser WHERE person_id = $p ORDER BY dato, _rad",
            p,
        )
        .await?,
        mangler_tabeller: data.missing_tables().iter().map(|s| s.to_string()).collect(),
    })
}

/// The first day of the 12-month window that ends with the scan date's month.
fn window_start(as_of: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    as_of.with_day(1).expect("day 1 exists") - chrono::Months::new(11)
}

fn fmt_row(m: &BTreeMap<String, String>, cols: &[&str]) -> String {
    cols.iter()
        .filter_map(|c| m.get(*c).map(|v| format!("{c}={v}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The readable report.
pub fn render_text(e: &PersonReport, lang: Lang) -> String {
    let tr = |key| FORKLARING.text(key, lang);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Person {} — status: {} ({} {})",
        e.person_id,
        e.status,
        tr("skanningsdato"),
        e.skanningsdato
    );
    let _ = writeln!(
        t,
        "NAV-kontor {}, veileder {}, {} {}",
        e.nav_kontor,
        e.veileder.as_deref().unwrap_or("-"),
        tr("alder"),
        e.alder
    );
    render_rules(&mut t, &e.regler, lang);
    render_facts(&mut t, &e.fakta, lang);
    if !e.motfaktisk.is_empty() {
        let _ = writeln!(t, "\n{}", tr("i_veien"));
        for m in &e.motfaktisk {
            let _ = writeln!(t, "  - {m}");
        }
    }
    let _ = writeln!(t, "\n{}", tr("ikke_vedtak"));
    t
}

/// Every rule by kind: its outcome, sentence, conditions and parameters.
fn render_rules(t: &mut String, regler: &[RuleOutcome], lang: Lang) {
    let tr = |key| FORKLARING.text(key, lang);
    for kind in ["kandidat", "eksklusjon", "hint"] {
        let _ = writeln!(t, "\n{}", tr(kind));
        for r in regler.iter().filter(|r| r.kind == kind) {
            let mark = tr(r.utfall.as_str());
            let _ = writeln!(t, "  {mark} {} ({})", r.tittel, r.hjemmel);
            if let Some(f) = &r.forklaring {
                let _ = writeln!(t, "      {f}");
            }
            for k in &r.krav {
                let _ = writeln!(
                    t,
                    "      {} {}",
                    if k.oppfylt { "[x]" } else { "[ ]" },
                    k.tekst
                );
            }
            if !r.parametre.is_empty() {
                let p: Vec<String> = r
                    .parametre
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", serde_json::to_string(v).unwrap_or_default()))
                    .collect();
                let _ = writeln!(t, "      {}: {}", tr("parametre"), p.join(", "));
            }
        }
    }
}

/// The facts with their source rows, and the tables missing from the export.
fn render_facts(t: &mut String, f: &Facts, lang: Lang) {
    let tr = |key| FORKLARING.text(key, lang);
    let _ = writeln!(t, "\n{}", tr("fakta"));
    let _ = writeln!(t, "  {}: {}", tr("maneder"), f.stonadsmaneder_siste_12);
    for (title, list, cols) in [
        (
            "utbetalinger",
            &f.utbetalinger_siste_12_maneder,
            &[
                "utbetalingsdato",
                "fom",
                "tom",
                "belop",
                "stonadstype",
                "status",
                "rad",
            ][..],
        ),
        (
            "innsatsgruppe",
            &f.innsatsgruppe_i_kraft,
            &["innsatsgruppe", "innsatsgruppe_kilde", "vedtak_dato"][..],
        ),
        (
            "ytelser",
            &f.aktive_ytelser,
            &["ytelse", "fom", "tom", "livsopphold"][..],
        ),
        (
            "vilkar",
            &f.aktive_vilkar,
            &["hjemmel", "vilkar_kode", "fom", "tom"][..],
        ),
        (
            "hendelser",
            &f.kvp_hendelser,
            &["dato", "hendelse", "status_kode"][..],
        ),
    ] {
        let _ = writeln!(
            t,
            "  {}:{}",
            tr(title),
            if list.is_empty() { " -" } else { "" }
        );
        for r in list {
            let _ = writeln!(t, "    {}", fmt_row(r, cols));
        }
    }
    if !f.mangler_tabeller.is_empty() {
        let _ = writeln!(t, "  {}: {}", tr("mangler"), f.mangler_tabeller.join(", "));
    }
}

#[derive(Debug, Args)]
pub struct ExplainCmd {
    #[command(flatten)]
    pub eval: EvalArgs,
    /// The person's id (person_id in personer).
    #[arg(long)]
    pub person: String,
    /// Print the explanation as JSON (schema: README, "explain --json").
    #[arg(long)]
    pub json: bool,
    /// States that you are authorised to see persons with strictly confidential address
    /// (kode 6); without it such a person is refused. Its use is logged (without the id).
    #[arg(long)]
    pub skjermet: bool,
}

/// `kvp-scan explain`: prints one person's explanation (text or JSON).
pub async fn main(cmd: ExplainCmd, _quiet: bool) -> anyhow::Result<()> {
    let as_of = cmd.eval.scan_date()?;
    let args = ExplainArgs {
        data: cmd.eval.data,
        // pasted ids often carry spaces
        person: cmd.person.trim().to_string(),
        as_of,
        rules: cmd.eval.rules,
        lang: cmd.eval.lang,
        skjermet: cmd.skjermet,
    };
    let e = run(&args).await?;
    if cmd.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        print!("{}", render_text(&e, args.lang));
    }
    Ok(())
}
