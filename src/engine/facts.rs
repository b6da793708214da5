//! The per-person facts every rule can read, as SQL views over the validated contract tables.
//!
//! They are the engine's vocabulary (README, "Facts"): rule files select from them instead of
//! repeating the contract's definitions (what counts as a month with stønad, which vedtak is
//! in force, what the KVP state is).

use chrono::{Datelike, NaiveDate};

/// How far back `stonadsmaneder` reaches, in months including the scan month.
pub const HORIZON_MONTHS: i64 = 120;

/// Livelihood benefits as an SQL list.
fn livsopphold_list() -> String {
    crate::contract::LIVSOPPHOLDSYTELSER
        .iter()
        .map(|y| format!("'{y}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Month index (year * 12 + month - 1) of a date.
pub fn month_index(d: NaiveDate) -> i64 {
    d.year() as i64 * 12 + d.month0() as i64
}

/// The fact views in creation order: (name, SQL). Values that only depend on the scan date are
/// written into the SQL as literals.
pub fn views(as_of: NaiveDate) -> Vec<(&'static str, String)> {
    let d = format!("DATE '{}'", as_of.format("%Y-%m-%d"));
    let y = as_of.year();
    let md = as_of.month() * 100 + as_of.day();
    let mi = month_index(as_of);
    let lo = mi - (HORIZON_MONTHS - 1);
    let midx = |c: &str| format!("(date_part('year', {c}) * 12 + date_part('month', {c}) - 1)");
    vec![
        (
            "person",
            format!(
                "SELECT person_id, fodselsdato, kjonn, kommune_nr, bydel_nr, nav_kontor, veileder, adressebeskyttelse,
                   CAST({y} - date_part('year', fodselsdato)
                        - CASE WHEN date_part('month', fodselsdato) * 100 + date_part('day', fodselsdato) > {md}
                               THEN 1 ELSE 0 END AS BIGINT) AS alder
                 FROM personer"
            ),
        ),
        (
            "stonadsmaneder",
            format!(
                "SELECT person_id, maned_nr, CAST({mi} - maned_nr AS BIGINT) AS maneder_siden,
                   make_date(CAST(maned_nr / 12 AS INT), CAST(maned_nr % 12 + 1 AS INT), 1) AS maned
                 FROM (
                   SELECT DISTINCT person_id, maned_nr FROM (
                     SELECT person_id, unnest(generate_series(greatest(fra, {lo}), least(til, {mi}))) AS maned_nr
                     FROM (
                       SELECT person_id,
                         CAST({fra} AS BIGINT) AS fra,
                         CAST(CASE WHEN fom IS NULL THEN {utb} ELSE {til} END AS BIGINT) AS til
                       FROM okonomisk_stonad
                       WHERE status = 'UTBETALT' AND belop > 0 AND utbetalingsdato <= {d}
                     ) WHERE til >= {lo} AND fra <= {mi}
                   )
                 )",
                fra = midx("coalesce(fom, utbetalingsdato)"),
                utb = midx("utbetalingsdato"),
                til = midx("coalesce(tom, fom)"),
            ),
        ),
        (
            "innsatsgruppe_gjeldende",
            format!(
                "SELECT person_id, innsatsgruppe, innsatsgruppe_kilde, vedtak_dato, hovedmal FROM (
                   SELECT *, row_number() OVER (PARTITION BY person_id
                                                ORDER BY vedtak_dato DESC, _kilde DESC, _rad DESC) AS nr
                   FROM oppfolgingsvedtak WHERE vedtak_dato <= {d}
                 ) WHERE nr = 1"
            ),
        ),
        (
            "ytelser_aktive",
            format!(
                "SELECT person_id, ytelse, fom, tom, ytelse IN ({liv}) AS livsopphold
                 FROM ytelser WHERE fom <= {d} AND (tom IS NULL OR tom >= {d})",
                liv = livsopphold_list()
            ),
        ),
        (
            "vilkar_aktive",
            format!(
                "SELECT person_id, hjemmel, vilkar_kode, fom, tom FROM vilkar
                 WHERE status = 'RELEVANT' AND fom <= {d} AND (tom IS NULL OR tom >= {d})"
            ),
        ),
        (
            "kvp_status",
            format!(
                "SELECT person_id, hendelse, dato,
                   CASE WHEN hendelse IN ('BEGYNT', 'GJENOPPTATT') THEN 'i_program'
                        WHEN hendelse = 'PERMISJON' THEN 'permisjon'
                        WHEN hendelse IN ('SOKNAD', 'INNVILGET') THEN 'soknad_under_behandling'
                        ELSE 'ikke_i_program' END AS tilstand
                 FROM (
                   SELECT *, row_number() OVER (PARTITION BY person_id ORDER BY dato DESC,
                     CASE hendelse WHEN 'INFORMERT' THEN 1 WHEN 'VURDERT' THEN 2 WHEN 'SOKNAD' THEN 3
                                   WHEN 'INNVILGET' THEN 4 WHEN 'AVSLATT' THEN 4 WHEN 'BEGYNT' THEN 5
                                   WHEN 'PERMISJON' THEN 6 WHEN 'GJENOPPTATT' THEN 7 ELSE 8 END DESC,
                     _kilde DESC, _rad DESC) AS nr
                   FROM kvp_hendelser WHERE dato <= {d}
                 ) WHERE nr = 1"
            ),
        ),
    ]
}

/// One row per person with the key facts written to `vurderinger`, sorted for output.
pub const KEY_FACTS: &str = "
SELECT p.person_id, p.nav_kontor, p.veileder, p.kommune_nr, p.kjonn, p.adressebeskyttelse, p.alder,
       coalesce(s.maneder, 0) AS stonadsmaneder_siste_12, s.siste_maned AS siste_stonadsmaned,
       v.innsatsgruppe, v.vedtak_dato,
       y.livsoppholdsytelser,
       k.tilstand AS kvp_tilstand, k.hendelse AS kvp_siste_hendelse, k.dato AS kvp_siste_dato
FROM person p
LEFT JOIN (SELECT person_id, count(*) AS maneder, max(maned) AS siste_maned
           FROM stonadsmaneder WHERE maneder_siden < 12 GROUP BY person_id) s ON s.person_id = p.person_id
LEFT JOIN innsatsgruppe_gjeldende v ON v.person_id = p.person_id
LEFT JOIN (SELECT person_id, array_sort(array_agg(DISTINCT ytelse)) AS livsoppholdsytelser
           FROM ytelser_aktive WHERE livsopphold GROUP BY person_id) y ON y.person_id = p.person_id
LEFT JOIN kvp_status k ON k.person_id = p.person_id
";

/// The names rules may read: the contract tables, the fact views, and `regel_<id>` views.
pub fn fact_names() -> Vec<&'static str> {
    vec![
        "person",
        "stonadsmaneder",
        "innsatsgruppe_gjeldende",
        "ytelser_aktive",
        "vilkar_aktive",
        "kvp_status",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_index_counts_months_from_year_zero() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        assert_eq!(month_index(d), 2026 * 12 + 10);
        let jan = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let dec = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        assert_eq!(month_index(jan) - month_index(dec), 1);
    }
}
