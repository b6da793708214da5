"""The peer for issue #14: the rules of ../shared/spec/kvp-rules.md as one hand-written DuckDB
query over the same Parquet data directory kvp-scan reads, the way an analyst would write them
instead of using the tool. Statuses and the ids of the rules that fired, per person,
materialised as an Arrow table. It does none of what the tool does besides: no validation,
explanations, outputs or manifest.

    pip install duckdb pyarrow
    python3 benches/peer/kvp_duckdb.py --data /tmp/nasjonal --as-of 2026-11-16 [--runs 5]

prints the best and median in-process time of `--runs` runs and the persons per status.
"""

import argparse
import statistics
import time

import duckdb

QUERY = """
WITH
params AS (SELECT DATE '{as_of}' AS d, date_trunc('month', DATE '{as_of}') AS m0),
p AS (
  SELECT p.person_id,
         year(d) - year(fodselsdato)
           - CASE WHEN strftime(d, '%m%d') < strftime(fodselsdato, '%m%d') THEN 1 ELSE 0 END AS alder
  FROM read_parquet('{data}/personer.parquet') p, params
),
-- months with stønad in the last 12 months (KOSTRA's STMND_m): paid rows covering the month
stonad AS (
  SELECT s.person_id, m.maned
  FROM read_parquet('{data}/okonomisk_stonad.parquet') s, params,
       LATERAL (SELECT unnest(generate_series(
                  date_trunc('month', coalesce(s.fom, s.utbetalingsdato)),
                  date_trunc('month', coalesce(s.tom, s.fom, s.utbetalingsdato)),
                  INTERVAL 1 MONTH)) AS maned) m
  WHERE (s.status IS NULL OR s.status = 'UTBETALT') AND s.belop > 0 AND s.utbetalingsdato <= d
    AND m.maned BETWEEN m0 - INTERVAL 11 MONTH AND m0
),
maneder AS (
  SELECT person_id, count(DISTINCT maned) AS n,
         bool_or(maned >= (SELECT m0 FROM params) - INTERVAL 2 MONTH) AS nylig
  FROM stonad GROUP BY person_id
),
ytelse AS (
  SELECT y.person_id, y.ytelse
  FROM read_parquet('{data}/ytelser.parquet') y, params
  WHERE y.fom <= d AND (y.tom IS NULL OR y.tom >= d)
),
vedtak AS (
  SELECT person_id,
         CASE innsatsgruppe
           WHEN 'IKVAL' THEN 'STANDARD_INNSATS' WHEN 'GODE_MULIGHETER' THEN 'STANDARD_INNSATS'
           WHEN 'BFORM' THEN 'SITUASJONSBESTEMT_INNSATS'
           WHEN 'TRENGER_VEILEDNING' THEN 'SITUASJONSBESTEMT_INNSATS'
           WHEN 'BATT' THEN 'SPESIELT_TILPASSET_INNSATS'
           WHEN 'TRENGER_VEILEDNING_NEDSATT_ARBEIDSEVNE' THEN 'SPESIELT_TILPASSET_INNSATS'
           WHEN 'JOBBE_DELVIS' THEN 'GRADERT_VARIG_TILPASSET_INNSATS'
           WHEN 'VARIG' THEN 'VARIG_TILPASSET_INNSATS'
           WHEN 'LITEN_MULIGHET_TIL_A_JOBBE' THEN 'VARIG_TILPASSET_INNSATS'
           ELSE innsatsgruppe END AS ig
  -- two vedtak on one day: the later row of the file is in force (as in the tool)
  FROM (SELECT v.*, row_number() OVER (PARTITION BY person_id
                                       ORDER BY vedtak_dato DESC, file_row_number DESC) AS r
        FROM read_parquet('{data}/oppfolgingsvedtak.parquet', file_row_number = true) v, params
        WHERE vedtak_dato <= d)
  WHERE r = 1
),
hendelser AS (
  SELECT h.person_id, h.dato, h.hendelse, h.file_row_number,
         CASE h.hendelse WHEN 'INFORMERT' THEN 1 WHEN 'VURDERT' THEN 2 WHEN 'SOKNAD' THEN 3
           WHEN 'INNVILGET' THEN 4 WHEN 'AVSLATT' THEN 4 WHEN 'BEGYNT' THEN 5
           WHEN 'PERMISJON' THEN 6 WHEN 'GJENOPPTATT' THEN 7 ELSE 8 END AS rang
  FROM read_parquet('{data}/kvp_hendelser.parquet', file_row_number = true) h, params
  WHERE h.dato <= d
),
tilstand AS (
  SELECT person_id, hendelse FROM (
    SELECT *, row_number() OVER (PARTITION BY person_id
                                 ORDER BY dato DESC, rang DESC, file_row_number DESC) AS r
    FROM hendelser) WHERE r = 1
),
vilkar AS (
  SELECT DISTINCT v.person_id FROM read_parquet('{data}/vilkar.parquet') v, params
  WHERE v.hjemmel = '20a' AND (v.status IS NULL OR v.status <> 'ANNULLERT')
    AND v.fom <= d AND (v.tom IS NULL OR v.tom >= d)
),
regler AS (
  SELECT p.person_id,
    coalesce(m.n >= 6 AND m.nylig, false) AS langtidsmottaker,
    coalesce(v.ig = 'SPESIELT_TILPASSET_INNSATS', false)
      AND (coalesce(m.nylig, false)
           OR EXISTS (SELECT 1 FROM ytelse y WHERE y.person_id = p.person_id AND y.ytelse = 'TILTAKSPENGER'))
      AND NOT EXISTS (SELECT 1 FROM ytelse y WHERE y.person_id = p.person_id
                      AND y.ytelse NOT IN ('TILTAKSPENGER', 'BARNETRYGD', 'BOSTOTTE'))
      AS spesielt_tilpasset_innsats,
    p.alder < 30 AND p.person_id IN (SELECT person_id FROM vilkar) AS under_30_aktivitetsvilkar,
    p.alder < 18 OR p.alder >= 67 AS utenfor_yrkesaktiv_alder,
    coalesce(t.hendelse IN ('BEGYNT', 'GJENOPPTATT', 'PERMISJON'), false) AS deltar_i_kvp,
    coalesce(t.hendelse IN ('SOKNAD', 'INNVILGET'), false) AS kvp_under_behandling,
    EXISTS (SELECT 1 FROM hendelser h, params WHERE h.person_id = p.person_id
            AND h.hendelse IN ('VURDERT', 'AVSLATT') AND h.dato > d - INTERVAL 6 MONTH) AS nylig_vurdert,
    EXISTS (SELECT 1 FROM ytelse y WHERE y.person_id = p.person_id AND y.ytelse IN
            ('AAP', 'DAGPENGER', 'SYKEPENGER', 'UFORETRYGD', 'OVERGANGSSTONAD', 'OMSTILLINGSSTONAD',
             'ALDERSPENSJON', 'SUPPLERENDE_STONAD', 'INTRODUKSJONSSTONAD', 'KVALIFISERINGSSTONAD',
             'ANNEN_TRYGD')) AS har_livsoppholdsytelse,
    coalesce(v.ig = 'STANDARD_INNSATS', false) AS standard_innsats,
    v.person_id IS NULL AS mangler_14a_vedtak,
    coalesce(v.ig = 'SITUASJONSBESTEMT_INNSATS' AND m.n >= 6 AND m.nylig, false) AS situasjonsbestemt_revurder,
    EXISTS (SELECT 1 FROM hendelser h, params WHERE h.person_id = p.person_id
            AND h.hendelse = 'AVSLUTTET' AND h.dato < d) AS tidligere_kvp,
    EXISTS (SELECT 1 FROM hendelser i WHERE i.person_id = p.person_id AND i.hendelse = 'INFORMERT'
            AND NOT EXISTS (SELECT 1 FROM hendelser l WHERE l.person_id = i.person_id
                            AND l.hendelse IN ('VURDERT', 'SOKNAD', 'INNVILGET', 'AVSLATT', 'BEGYNT')
                            AND l.dato >= i.dato)) AS informert_uten_vurdering
  FROM p LEFT JOIN maneder m USING (person_id) LEFT JOIN vedtak v USING (person_id)
         LEFT JOIN tilstand t USING (person_id)
)
SELECT person_id,
  CASE WHEN deltar_i_kvp THEN 'deltaker'
       WHEN kvp_under_behandling THEN 'under_behandling'
       WHEN langtidsmottaker OR spesielt_tilpasset_innsats OR under_30_aktivitetsvilkar THEN
         CASE WHEN utenfor_yrkesaktiv_alder OR nylig_vurdert OR har_livsoppholdsytelse OR standard_innsats
              THEN 'ekskludert' ELSE 'kandidat' END
       ELSE 'ikke_treff' END AS status,
  list_filter([
    CASE WHEN langtidsmottaker THEN 'langtidsmottaker' END,
    CASE WHEN spesielt_tilpasset_innsats THEN 'spesielt_tilpasset_innsats' END,
    CASE WHEN under_30_aktivitetsvilkar THEN 'under_30_aktivitetsvilkar' END,
    CASE WHEN utenfor_yrkesaktiv_alder THEN 'utenfor_yrkesaktiv_alder' END,
    CASE WHEN deltar_i_kvp THEN 'deltar_i_kvp' END,
    CASE WHEN kvp_under_behandling THEN 'kvp_under_behandling' END,
    CASE WHEN nylig_vurdert THEN 'nylig_vurdert' END,
    CASE WHEN har_livsoppholdsytelse THEN 'har_livsoppholdsytelse' END,
    CASE WHEN standard_innsats THEN 'standard_innsats' END,
    CASE WHEN mangler_14a_vedtak THEN 'mangler_14a_vedtak' END,
    CASE WHEN situasjonsbestemt_revurder THEN 'situasjonsbestemt_revurder' END,
    CASE WHEN tidligere_kvp THEN 'tidligere_kvp' END,
    CASE WHEN informert_uten_vurdering THEN 'informert_uten_vurdering' END
  ], lambda x: x IS NOT NULL) AS regler
FROM regler
"""


def run_once(con, data: str, as_of: str):
    """One evaluation, materialised; returns (seconds, arrow table)."""
    started = time.perf_counter()
    table = con.sql(QUERY.format(data=data, as_of=as_of)).to_arrow_table()
    return time.perf_counter() - started, table


def per_status(table) -> dict:
    counts = {}
    for s in table.column("status").to_pylist():
        counts[s] = counts.get(s, 0) + 1
    return dict(sorted(counts.items()))


def per_rule(table) -> dict:
    counts = {}
    for rules in table.column("regler").to_pylist():
        for r in rules:
            counts[r] = counts.get(r, 0) + 1
    return dict(sorted(counts.items()))


def agrees_with(table, manifest: dict) -> list:
    """Where the peer and a kvp-scan manifest (`oppsummering`) disagree: empty when the peer
    computes the same statuses and rule counts as the tool (kode-6 persons included in both)."""
    o = manifest["oppsummering"]
    want_status = {k: v for k, v in o["per_status"].items() if v}
    want_rules = {k: v for k, v in o["per_regel"].items() if v}
    out = []
    if per_status(table) != want_status:
        out.append(f"statuses: peer {per_status(table)} vs kvp-scan {want_status}")
    if per_rule(table) != want_rules:
        out.append(f"rules: peer {per_rule(table)} vs kvp-scan {want_rules}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--check", metavar="MANIFEST",
                    help="a kvp-scan scan's manifest.json to compare the counts with")
    args = ap.parse_args()
    con = duckdb.connect()
    times = []
    table = None
    for _ in range(args.runs):
        t, table = run_once(con, args.data, args.as_of)
        times.append(t)
    print(f"peer (DuckDB {duckdb.__version__}): best {min(times):.3f} s, "
          f"median {statistics.median(times):.3f} s over {args.runs} runs")
    print(f"persons per status: {per_status(table)}")
    if args.check:
        import json
        with open(args.check, encoding="utf-8") as f:
            diff = agrees_with(table, json.load(f))
        print("agrees with kvp-scan" if not diff else "DISAGREES with kvp-scan:\n  " + "\n  ".join(diff))
        raise SystemExit(1 if diff else 0)


if __name__ == "__main__":
    main()
