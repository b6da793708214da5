#!/usr/bin/env python3
"""Writes the Parquet fixtures under testdata/ (run from the repository root).

    pip install pyarrow==26.0.1 && python3 testdata/lag_testdata.py

The fixtures are committed; this script documents exactly what is in them and rebuilds them.
It uses pyarrow on purpose: an independent Parquet writer, like the systems that make real
exports, so the scanner is tested against files it did not write itself. Every person id is a
synthetic fødselsnummer (month + 80, valid mod-11 check digits): never a real person's.
"""

import datetime as dt
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent
SCAN = dt.date(2026, 11, 16)
D = dt.date.fromisoformat

# ---------------------------------------------------------------- synthetic fødselsnummer

def control(digits, weights):
    k = 11 - sum(d * w for d, w in zip(digits, weights)) % 11
    return 0 if k == 11 else (None if k == 10 else k)


def synthetic_fnr(born: dt.date, serial: int) -> str:
    """A synthetic fødselsnummer for a birth date: month + 80 and valid check digits."""
    for s in range(serial, serial + 1000):
        ind = s % 1000
        prefix = f"{born.day:02d}{born.month + 80:02d}{born.year % 100:02d}{ind:03d}"
        d = [int(c) for c in prefix]
        k1 = control(d, [3, 7, 6, 1, 8, 9, 4, 5, 2])
        if k1 is None:
            continue
        k2 = control(d + [k1], [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
        if k2 is None:
            continue
        return f"{prefix}{k1}{k2}"
    raise ValueError("no valid number")


# ---------------------------------------------------------------- schemas (data-contract.md)

LIST_STR = pa.list_(pa.string())
SCHEMAS = {
    "personer": pa.schema([("person_id", pa.string()), ("fodselsdato", pa.date32()), ("kjonn", pa.string()),
                           ("kommune_nr", pa.string()), ("bydel_nr", pa.string()), ("nav_kontor", pa.string()),
                           ("veileder", pa.string()), ("adressebeskyttelse", pa.string())]),
    "okonomisk_stonad": pa.schema([("person_id", pa.string()), ("utbetalingsdato", pa.date32()), ("fom", pa.date32()),
                                   ("tom", pa.date32()), ("belop", pa.int64()), ("stonadstype", pa.string()),
                                   ("status", pa.string())]),
    "ytelser": pa.schema([("person_id", pa.string()), ("ytelse", pa.string()), ("fom", pa.date32()), ("tom", pa.date32())]),
    "oppfolgingsvedtak": pa.schema([("person_id", pa.string()), ("vedtak_dato", pa.date32()),
                                    ("innsatsgruppe", pa.string()), ("hovedmal", pa.string())]),
    "vilkar": pa.schema([("person_id", pa.string()), ("hjemmel", pa.string()), ("vilkar_kode", pa.string()),
                         ("fom", pa.date32()), ("tom", pa.date32()), ("status", pa.string())]),
    "kvp_hendelser": pa.schema([("person_id", pa.string()), ("dato", pa.date32()), ("hendelse", pa.string()),
                                ("status_kode", pa.string()), ("avslutning_situasjon", LIST_STR),
                                ("viktigste_inntekt", pa.string())]),
    "kvp_tiltak": pa.schema([("person_id", pa.string()), ("fom", pa.date32()), ("tom", pa.date32()), ("regi", pa.string())]),
}


def write(dir_: Path, table: str, rows, schema=None):
    schema = schema or SCHEMAS[table]
    cols = {f.name: [r.get(f.name) for r in rows] for f in schema}
    pq.write_table(pa.table(cols, schema=schema), dir_ / f"{table}.parquet")


class Data:
    def __init__(self):
        self.t = {k: [] for k in SCHEMAS}
        self.expected = []
        self.serial = 100
        self.labels = []

    def person(self, label, born, kontor="0314", veileder="V1", kjonn="2", kommune="0301", bydel="14",
               beskyttelse=None, status=None, treff=(), eksklusjoner=(), hint=()):
        self.serial += 7
        pid = synthetic_fnr(born, self.serial)
        self.labels.append(label)
        self.t["personer"].append(dict(person_id=pid, fodselsdato=born, kjonn=kjonn, kommune_nr=kommune,
                                       bydel_nr=bydel if kommune == "0301" else None, nav_kontor=kontor,
                                       veileder=veileder, adressebeskyttelse=beskyttelse))
        if status and self.expected is not None:
            self.expected.append(dict(label=label, person_id=pid, status=status, treff=",".join(treff),
                                      eksklusjoner=",".join(eksklusjoner), hint=",".join(hint)))
        return pid

    def stonad(self, pid, *dates, **kw):
        for d in dates:
            self.t["okonomisk_stonad"].append(dict(person_id=pid, utbetalingsdato=D(d), belop=kw.get("belop", 7500),
                                                   stonadstype=kw.get("stonadstype", "BIDRAG"),
                                                   status=kw.get("status"), fom=kw.get("fom"), tom=kw.get("tom")))

    def months(self, pid, n, last="2026-11"):
        """n monthly payments ending in month `last` (day 5, no fom/tom)."""
        y, m = map(int, last.split("-"))
        dates = []
        for _ in range(n):
            dates.append(f"{y:04d}-{m:02d}-05")
            m -= 1
            if m == 0:
                y, m = y - 1, 12
        self.stonad(pid, *dates)

    def add(self, table, pid, **row):
        row["person_id"] = pid
        for k, v in list(row.items()):
            if isinstance(v, str) and len(v) == 10 and v[4] == "-" and k not in ("person_id",):
                row[k] = D(v)
        self.t[table].append(row)

    def save(self, dir_: Path, tables=None):
        if dir_.exists():
            shutil.rmtree(dir_)
        dir_.mkdir(parents=True)
        for name, rows in self.t.items():
            if tables is None or name in tables:
                write(dir_, name, rows)


def born_age(age, month=1, day=1):
    """Birth date for someone who is `age` on the scan date (birthday 1 January by default)."""
    return dt.date(SCAN.year - age, month, day)


# ---------------------------------------------------------------- the main fixture

def fixtures() -> Data:
    d = Data()
    L, STI, U30 = "langtidsmottaker", "spesielt_tilpasset_innsats", "under_30_aktivitetsvilkar"
    M14 = "mangler_14a_vedtak"

    def vedtak(pid, gruppe, dato="2025-06-01"):
        d.add("oppfolgingsvedtak", pid, vedtak_dato=dato, innsatsgruppe=gruppe, hovedmal="OKE_DELTAKELSE")

    p = d.person("langtid_9_av_12", born_age(40), status="kandidat", treff=[L], hint=[M14]); d.months(p, 9)
    p = d.person("sti_med_stonad", born_age(35), status="kandidat", treff=[STI])
    vedtak(p, "SPESIELT_TILPASSET_INNSATS"); d.stonad(p, "2026-10-05"); d.add("ytelser", p, ytelse="BOSTOTTE", fom="2024-01-01")
    p = d.person("u30_fyller_29_pa_skanningsdato", dt.date(1997, 11, 16), status="kandidat", treff=[U30])
    vedtak(p, "SITUASJONSBESTEMT_INNSATS"); d.add("vilkar", p, hjemmel="20a", vilkar_kode="17", fom="2026-09-01")
    p = d.person("u30_fyller_30_pa_skanningsdato", dt.date(1996, 11, 16), status="ikke_treff")
    vedtak(p, "SITUASJONSBESTEMT_INNSATS"); d.add("vilkar", p, hjemmel="20a", vilkar_kode="17", fom="2026-09-01")
    p = d.person("alder_17", dt.date(2008, 11, 17), status="ekskludert", treff=[L],
                 eksklusjoner=["utenfor_yrkesaktiv_alder"], hint=[M14]); d.months(p, 7)
    p = d.person("alder_18_pa_skanningsdato", dt.date(2008, 11, 16), status="kandidat", treff=[L], hint=[M14]); d.months(p, 7)
    p = d.person("alder_66", dt.date(1959, 11, 17), status="kandidat", treff=[L], hint=[M14]); d.months(p, 7)
    p = d.person("alder_67_pa_skanningsdato", dt.date(1959, 11, 16), status="ekskludert", treff=[L],
                 eksklusjoner=["utenfor_yrkesaktiv_alder"], hint=[M14]); d.months(p, 7)
    p = d.person("aap_lopende", born_age(45), status="ekskludert", treff=[L], eksklusjoner=["har_livsoppholdsytelse"], hint=[M14])
    d.months(p, 8); d.add("ytelser", p, ytelse="AAP", fom="2026-03-01")
    p = d.person("i_kvp", born_age(31), status="deltaker", treff=[L], eksklusjoner=["deltar_i_kvp"], hint=[M14])
    d.months(p, 12); d.add("kvp_hendelser", p, dato="2026-02-01", hendelse="SOKNAD"); d.add("kvp_hendelser", p, dato="2026-03-01", hendelse="BEGYNT")
    d.add("kvp_tiltak", p, fom="2026-03-01", regi="STATLIG")
    p = d.person("kvp_permisjon", born_age(33), status="deltaker", eksklusjoner=["deltar_i_kvp"], hint=[M14])
    d.add("kvp_hendelser", p, dato="2026-01-01", hendelse="BEGYNT"); d.add("kvp_hendelser", p, dato="2026-10-01", hendelse="PERMISJON")
    p = d.person("kvp_soknad", born_age(28), status="under_behandling", treff=[L], eksklusjoner=["kvp_under_behandling"], hint=[M14])
    d.months(p, 6); d.add("kvp_hendelser", p, dato="2026-11-02", hendelse="SOKNAD")
    p = d.person("vurdert_for_2_mnd_siden", born_age(50), status="ekskludert", treff=[L], eksklusjoner=["nylig_vurdert"], hint=[M14])
    d.months(p, 10); d.add("kvp_hendelser", p, dato="2026-09-10", hendelse="VURDERT")
    p = d.person("avslatt_for_8_mnd_siden", born_age(52), status="kandidat", treff=[L], hint=[M14])
    d.months(p, 10); d.add("kvp_hendelser", p, dato="2026-03-10", hendelse="AVSLATT")
    p = d.person("tidligere_kvp_avsluttet", born_age(41), status="kandidat", treff=[L], hint=[M14, "tidligere_kvp"])
    d.months(p, 6)
    d.add("kvp_hendelser", p, dato="2024-03-01", hendelse="BEGYNT")
    d.add("kvp_hendelser", p, dato="2025-03-01", hendelse="AVSLUTTET", status_kode="3", avslutning_situasjon=["16"], viktigste_inntekt="16")
    p = d.person("standard_innsats_arena", born_age(38), status="ekskludert", treff=[L], eksklusjoner=["standard_innsats"])
    d.months(p, 7); vedtak(p, "IKVAL", "2023-01-15")
    p = d.person("situasjonsbestemt_langtid", born_age(44), status="kandidat", treff=[L], hint=["situasjonsbestemt_revurder"])
    d.months(p, 11); vedtak(p, "BFORM", "2024-05-01")
    p = d.person("informert_uten_vurdering", born_age(36), status="kandidat", treff=[L], hint=[M14, "informert_uten_vurdering"])
    d.months(p, 6); d.add("kvp_hendelser", p, dato="2026-08-01", hendelse="INFORMERT")
    p = d.person("bare_5_maneder", born_age(27), status="ikke_treff", hint=[M14]); d.months(p, 5)
    p = d.person("annullert_og_null", born_age(39), status="ikke_treff", hint=[M14])
    d.months(p, 4, last="2026-09"); d.stonad(p, "2026-10-05", status="ANNULLERT"); d.stonad(p, "2026-11-05", belop=0)
    d.stonad(p, "2026-11-06", status="STOPPET")
    p = d.person("en_utbetaling_seks_maneder", born_age(42), status="kandidat", treff=[L], hint=[M14])
    d.stonad(p, "2026-06-01", fom=D("2026-06-01"), tom=D("2026-11-30"), belop=42000)
    p = d.person("forste_og_siste_maned_i_vinduet", born_age(43), status="kandidat", treff=[L], hint=[M14])
    d.stonad(p, "2025-11-28", "2025-12-03", "2026-01-05", "2026-02-05", "2026-03-05", "2026-11-02")
    d.stonad(p, "2026-04-01", fom=D("2026-04-01"), tom=D("2026-04-30"), stonadstype="LAAN")
    p = d.person("sjette_maned_etter_skanningsdato", born_age(29, 3, 3), status="ikke_treff", hint=[M14])
    d.months(p, 5, last="2026-10"); d.stonad(p, "2026-11-20")
    p = d.person("sti_ny_kode_tiltakspenger", born_age(26), status="kandidat", treff=[STI])
    vedtak(p, "TRENGER_VEILEDNING_NEDSATT_ARBEIDSEVNE", "2026-04-01"); d.add("ytelser", p, ytelse="TILTAKSPENGER", fom="2026-09-01")
    p = d.person("sti_med_arbeidsinntekt", born_age(34), status="ikke_treff")
    vedtak(p, "BATT"); d.stonad(p, "2026-10-05"); d.add("ytelser", p, ytelse="ARBEIDSINNTEKT", fom="2026-01-01")
    p = d.person("vedtak_etter_skanningsdato", born_age(37), status="ikke_treff", hint=[M14])
    vedtak(p, "SPESIELT_TILPASSET_INNSATS", "2026-12-01"); d.stonad(p, "2026-10-05")
    p = d.person("strengt_fortrolig_kandidat", born_age(30), status="kandidat", treff=[L], hint=[M14],
                 beskyttelse="STRENGT_FORTROLIG", veileder="V2"); d.months(p, 8)
    p = d.person("fortrolig_kandidat", born_age(32), status="kandidat", treff=[L], hint=[M14],
                 beskyttelse="FORTROLIG", veileder="V2"); d.months(p, 8)
    p = d.person("uten_veileder", born_age(46), status="kandidat", treff=[L], hint=[M14], veileder=None); d.months(p, 9)
    p = d.person("barn_10_ar", born_age(10), status="ikke_treff", eksklusjoner=["utenfor_yrkesaktiv_alder"], hint=[M14])
    p = d.person("to_regler", born_age(33), status="kandidat", treff=[L, STI], veileder="V2")
    d.months(p, 12); vedtak(p, "SPESIELT_TILPASSET_INNSATS")
    p = d.person("tre_regler", born_age(24), status="kandidat", treff=[L, STI, U30], veileder="V2")
    d.months(p, 7); vedtak(p, "SPESIELT_TILPASSET_INNSATS"); d.add("vilkar", p, hjemmel="20a", fom="2026-06-01", tom="2026-12-31")
    p = d.person("annet_kontor", born_age(48), kontor="4601", kommune="4601", status="kandidat", treff=[L], hint=[M14], veileder="B7")
    d.months(p, 6)
    p = d.person("avsluttet_og_begynt_igjen_samme_dag", born_age(39), status="deltaker", eksklusjoner=["deltar_i_kvp"],
                 hint=[M14, "tidligere_kvp"])
    d.add("kvp_hendelser", p, dato="2025-01-01", hendelse="BEGYNT")
    d.add("kvp_hendelser", p, dato="2026-06-01", hendelse="AVSLUTTET", status_kode="7")
    d.add("kvp_hendelser", p, dato="2026-06-01", hendelse="PERMISJON")
    d.add("kvp_hendelser", p, dato="2026-07-01", hendelse="GJENOPPTATT")
    return d


def write_expected(d: Data, path: Path):
    with path.open("w", encoding="utf-8") as f:
        f.write("label;person_id;status;treff;eksklusjoner;hint\n")
        for e in d.expected:
            f.write(f"{e['label']};{e['person_id']};{e['status']};{e['treff']};{e['eksklusjoner']};{e['hint']}\n")


# ---------------------------------------------------------------- bad rows and warnings

def bad_rows() -> Data:
    d = Data()
    ok = d.person("ok", born_age(40))
    d.months(ok, 6)
    dup = d.t["personer"][0].copy(); dup["veileder"] = "V9"
    d.t["personer"].append(dup)                                                     # row 2: duplicate
    d.t["personer"].append(dict(person_id="12345678901", fodselsdato=born_age(40), kommune_nr="0301",
                                nav_kontor="0314"))                                 # row 3: fnr check (warning)
    d.t["personer"].append(dict(person_id="P-GAMMEL", fodselsdato=D("1920-05-05"), kommune_nr="301",
                                nav_kontor="0314", veileder="VEILEDER-MED-LANG-ID", bydel_nr="16"))  # row 4: warnings
    d.t["personer"].append(dict(person_id="P-UTEN-KONTOR", fodselsdato=born_age(30), kommune_nr="0301",
                                nav_kontor=None))                                   # row 5: null
    d.t["personer"].append(dict(person_id="P-KODE", fodselsdato=born_age(30), kommune_nr="0301",
                                nav_kontor="0314", kjonn="M", adressebeskyttelse="KODE6"))  # row 6: two unknown codes
    d.t["personer"].append(dict(person_id="P-1850", fodselsdato=D("1850-01-01"), kommune_nr="0301",
                                nav_kontor="0314"))                                 # row 7: date out of range
    s = d.t["okonomisk_stonad"]
    s.append(dict(person_id=ok, utbetalingsdato=D("2026-06-10"), belop=-500, stonadstype="BIDRAG"))      # negative
    s.append(dict(person_id=ok, utbetalingsdato=D("2026-06-10"), belop=500, stonadstype="GAVE"))        # unknown code
    s.append(dict(person_id="P-UKJENT", utbetalingsdato=D("2026-06-10"), belop=500, stonadstype="BIDRAG"))  # unknown person
    s.append(dict(person_id=ok, utbetalingsdato=D("2026-06-10"), fom=D("2026-06-30"), tom=D("2026-06-01"),
                  belop=500, stonadstype="BIDRAG"))                                 # tom before fom
    s.append(dict(person_id=ok, utbetalingsdato=D("2206-06-10"), belop=500, stonadstype="BIDRAG"))       # year typo
    s.append(dict(person_id=ok, utbetalingsdato=None, belop=500, stonadstype="BIDRAG"))                 # null date
    s.append(dict(person_id="P-UTEN-KONTOR", utbetalingsdato=D("2026-06-10"), belop=500, stonadstype="BIDRAG"))  # set-aside person
    s.append(dict(person_id=ok, utbetalingsdato=D("2027-01-05"), belop=500, stonadstype="BIDRAG"))       # after scan date: ignored
    d.add("ytelser", ok, ytelse="LOTTO", fom="2026-01-01")
    d.add("oppfolgingsvedtak", ok, vedtak_dato="2026-01-01", innsatsgruppe="INGEN")
    d.add("vilkar", ok, hjemmel="21", fom="2026-01-01")
    d.add("kvp_hendelser", ok, dato="2026-01-01", hendelse="AVSLUTTET", avslutning_situasjon=["01", "99"])
    d.add("kvp_tiltak", ok, fom="2026-01-01", regi="PRIVAT")
    return d


# ---------------------------------------------------------------- type variants the contract accepts

def type_variants(src: Path, dst: Path):
    """The main fixture again, written with other accepted Arrow types, part files and extras."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    personer = pq.read_table(src / "personer.parquet")
    personer = personer.cast(pa.schema([(f.name, pa.large_string() if f.type == pa.string() else f.type)
                                        for f in personer.schema]))
    fd = personer.column("fodselsdato").cast(pa.timestamp("ms", tz="UTC"))
    personer = personer.set_column(personer.schema.get_field_index("fodselsdato"), "fodselsdato", fd)
    personer = personer.append_column("ekstra_kolonne", pa.array(["x"] * personer.num_rows))
    pq.write_table(personer, dst / "personer.parquet")
    stonad = pq.read_table(src / "okonomisk_stonad.parquet")
    stonad = stonad.set_column(stonad.schema.get_field_index("belop"), "belop", stonad.column("belop").cast(pa.int32()))
    stonad = stonad.set_column(stonad.schema.get_field_index("utbetalingsdato"), "utbetalingsdato",
                               stonad.column("utbetalingsdato").cast(pa.date64()))
    (dst / "okonomisk_stonad").mkdir()
    half = stonad.num_rows // 2
    pq.write_table(stonad.slice(0, half), dst / "okonomisk_stonad" / "part-00000.parquet", compression="zstd")
    pq.write_table(stonad.slice(half), dst / "okonomisk_stonad" / "part-00001.parquet", compression="gzip")
    (dst / "okonomisk_stonad" / "_SUCCESS").write_text("")
    for t in ["ytelser", "oppfolgingsvedtak", "vilkar", "kvp_hendelser", "kvp_tiltak"]:
        tab = pq.read_table(src / f"{t}.parquet")
        if t == "kvp_hendelser":
            tab = tab.cast(pa.schema([(f.name, pa.large_list(pa.large_string()) if pa.types.is_list(f.type) else f.type)
                                      for f in tab.schema]))
        pq.write_table(tab, dst / f"{t}.parquet")
    (dst / "LESMEG.txt").write_text("Uttrekk fra fagsystemet.\n", encoding="utf-8")


# ---------------------------------------------------------------- fatal cases

def fatal_cases(src: Path, dst_root: Path):
    if dst_root.exists():
        shutil.rmtree(dst_root)
    cases = {}
    def copy(name):
        d = dst_root / name
        shutil.copytree(src, d)
        cases[name] = d
        return d
    d = copy("mangler_okonomisk_stonad"); (d / "okonomisk_stonad.parquet").unlink()
    d = copy("ikke_parquet"); (d / "okonomisk_stonad.parquet").write_text("person_id;belop\n1;2\n")
    d = copy("mangler_kolonne")
    t = pq.read_table(src / "okonomisk_stonad.parquet").drop_columns(["belop"])
    pq.write_table(t, d / "okonomisk_stonad.parquet")
    d = copy("feil_type")
    t = pq.read_table(src / "personer.parquet")
    t = t.set_column(1, "fodselsdato", t.column("fodselsdato").cast(pa.string()))
    pq.write_table(t, d / "personer.parquet")
    d = copy("feil_type_valgfri_tabell")
    t = pq.read_table(src / "ytelser.parquet")
    t = t.set_column(2, "fom", t.column("fom").cast(pa.string()))
    pq.write_table(t, d / "ytelser.parquet")


# ---------------------------------------------------------------- demo population

def demo(n=300, seed=2026) -> Data:
    rnd = random.Random(seed)
    d = Data()
    kontorer = [("0314", "0301", "13"), ("0312", "0301", "12"), ("4601", "4601", None), ("5001", "5001", None),
                ("1103", "1103", None)]
    for i in range(n):
        kontor, kommune, bydel = rnd.choices(kontorer, weights=[3, 2, 3, 2, 2])[0]
        age = rnd.choices([rnd.randint(16, 24), rnd.randint(25, 29), rnd.randint(30, 49), rnd.randint(50, 70)],
                          weights=[22, 13, 45, 20])[0]
        born = dt.date(SCAN.year - age, rnd.randint(1, 12), rnd.randint(1, 28))
        veileder = None if rnd.random() < 0.05 else f"{kontor}V{rnd.randint(1, 4)}"
        prot = rnd.choices([None, "FORTROLIG", "STRENGT_FORTROLIG"], weights=[97, 2, 1])[0]
        pid = d.person(f"demo{i}", born, kontor=kontor, veileder=veileder, kommune=kommune, bydel=bydel,
                       kjonn=rnd.choice("12"), beskyttelse=prot)
        # months with stønad in the last 12: U-shaped, as SSB reports
        m = rnd.choices([0, 1, 2, 3, 4, 5, 6, 8, 10, 12], weights=[25, 16, 10, 9, 5, 5, 6, 8, 7, 9])[0]
        if m:
            months = sorted(rnd.sample(range(12), m))
            for back in months:
                y, mo = 2026, 11 - back
                if mo <= 0:
                    y, mo = y - 1, mo + 12
                d.stonad(pid, f"{y:04d}-{mo:02d}-{rnd.randint(1, 28):02d}", belop=rnd.randint(2, 16) * 1000,
                         stonadstype="LAAN" if rnd.random() < 0.05 else "BIDRAG")
        if rnd.random() < 0.7:
            gruppe = rnd.choices(["STANDARD_INNSATS", "SITUASJONSBESTEMT_INNSATS", "SPESIELT_TILPASSET_INNSATS",
                                  "VARIG_TILPASSET_INNSATS", "BATT", "TRENGER_VEILEDNING"], weights=[25, 30, 25, 5, 10, 5])[0]
            d.add("oppfolgingsvedtak", pid, vedtak_dato=f"{rnd.randint(2019, 2026)}-{rnd.randint(1, 10):02d}-01",
                  innsatsgruppe=gruppe, hovedmal="SKAFFE_ARBEID")
        r = rnd.random()
        if r < 0.15:
            d.add("ytelser", pid, ytelse=rnd.choice(["AAP", "DAGPENGER", "SYKEPENGER", "UFORETRYGD"]),
                  fom=f"2026-{rnd.randint(1, 10):02d}-01")
        elif r < 0.25:
            d.add("ytelser", pid, ytelse="TILTAKSPENGER", fom=f"2026-{rnd.randint(1, 10):02d}-01")
        elif r < 0.32:
            d.add("ytelser", pid, ytelse="ARBEIDSINNTEKT", fom=f"2025-{rnd.randint(1, 12):02d}-01")
        if rnd.random() < 0.25:
            d.add("ytelser", pid, ytelse="BOSTOTTE", fom="2024-01-01")
        if age < 30 and m and rnd.random() < 0.6:
            d.add("vilkar", pid, hjemmel="20a", vilkar_kode=rnd.choice(["06", "16", "17", "19"]),
                  fom=f"2026-{rnd.randint(1, 11):02d}-01")
        r = rnd.random()
        if r < 0.05:
            d.add("kvp_hendelser", pid, dato="2026-03-01", hendelse="BEGYNT")
            d.add("kvp_tiltak", pid, fom="2026-03-01", regi=rnd.choice(["STATLIG", "KOMMUNAL", "ANNEN"]))
        elif r < 0.07:
            d.add("kvp_hendelser", pid, dato="2026-11-01", hendelse="SOKNAD")
        elif r < 0.10:
            d.add("kvp_hendelser", pid, dato="2026-08-01", hendelse="INFORMERT")
        elif r < 0.12:
            d.add("kvp_hendelser", pid, dato="2026-09-15", hendelse="VURDERT")
        elif r < 0.14:
            d.add("kvp_hendelser", pid, dato="2024-02-01", hendelse="BEGYNT")
            d.add("kvp_hendelser", pid, dato="2025-02-01", hendelse="AVSLUTTET", status_kode="3",
                  avslutning_situasjon=[rnd.choice(["01", "11", "04", "13", "14", "16"])], viktigste_inntekt="01")
    return d


# ---------------------------------------------------------------- consecutive weeks

def weeks() -> tuple[Data, Data]:
    """Persons whose situation changes between the scan dates 2026-10-26, 2026-11-02 and 2026-11-09
    (rows dated after a scan date are not seen by it). `uker/a` is used for the first two weeks,
    `uker/b` (the same without `borte_uke3`) for the third."""
    def build(with_gone: bool) -> Data:
        d = Data()
        d.expected = None
        p = d.person("ny_uke2_seks_maneder", born_age(40)); d.months(p, 5, last="2026-10"); d.stonad(p, "2026-11-01")
        p = d.person("hele_tiden", born_age(41)); d.months(p, 9, last="2026-10")
        p = d.person("soknad_uke2", born_age(42)); d.months(p, 9, last="2026-10")
        d.add("kvp_hendelser", p, dato="2026-10-29", hendelse="SOKNAD")
        p = d.person("begynt_uke2", born_age(43)); d.months(p, 9, last="2026-10")
        d.add("kvp_hendelser", p, dato="2026-10-30", hendelse="BEGYNT")
        p = d.person("aap_uke2", born_age(44)); d.months(p, 9, last="2026-10")
        d.add("ytelser", p, ytelse="AAP", fom="2026-10-28")
        p = d.person("vurdert_uke2", born_age(45)); d.months(p, 9, last="2026-10")
        d.add("kvp_hendelser", p, dato="2026-10-31", hendelse="VURDERT")
        p = d.person("strengt_fortrolig", born_age(46), veileder="V2", beskyttelse="STRENGT_FORTROLIG")
        d.months(p, 9, last="2026-10")
        p = d.person("fortrolig", born_age(47), veileder="V2", beskyttelse="FORTROLIG", kommune="0301")
        d.months(p, 9, last="2026-10")
        p = d.person("borte_uke3", born_age(48))
        if with_gone:
            d.months(p, 9, last="2026-10")
        else:
            d.t["personer"].pop()
        p = d.person("sti_uke3", born_age(35)); d.stonad(p, "2026-10-05")
        d.add("oppfolgingsvedtak", p, vedtak_dato="2025-06-01", innsatsgruppe="SITUASJONSBESTEMT_INNSATS", hovedmal="OKE_DELTAKELSE")
        d.add("oppfolgingsvedtak", p, vedtak_dato="2026-11-05", innsatsgruppe="SPESIELT_TILPASSET_INNSATS", hovedmal="OKE_DELTAKELSE")
        p = d.person("faller_ut_uke2", born_age(36)); d.months(p, 6, last="2026-08")
        p = d.person("uten_veileder", born_age(37), veileder=None); d.months(p, 9, last="2026-10")
        p = d.person("brutt_strekk", born_age(38)); d.months(p, 9, last="2026-10")
        d.add("ytelser", p, ytelse="AAP", fom="2026-10-28", tom="2026-11-04")
        p = d.person("annet_kontor", born_age(39), kontor="4601", kommune="4601", veileder="B7")
        d.months(p, 9, last="2026-10")
        return d
    return build(True), build(False)


def audit_history() -> Data:
    """Known flag dates and offer dates for `audit --from 2026-09-01 --to 2026-11-30` (13 Mondays,
    deadline 28 days). Labels say the expected verdict."""
    d = Data()
    d.expected = None
    def ev(p, dato, hendelse):
        d.add("kvp_hendelser", p, dato=dato, hendelse=hendelse)
    # flagged on the first Monday, 2026-09-07 (six months Apr-Sep)
    p = d.person("i_tide_13_dager", born_age(40)); d.months(p, 6, last="2026-09"); ev(p, "2026-09-20", "INFORMERT")
    p = d.person("for_sent_43_dager", born_age(41)); d.months(p, 6, last="2026-09"); ev(p, "2026-10-20", "SOKNAD")
    p = d.person("ikke_tilbudt_hendelse_for_flagg", born_age(42)); d.months(p, 6, last="2026-09")
    ev(p, "2026-08-01", "INFORMERT")
    # flagged 2026-10-05: the sixth month arrives on 2026-10-01
    p = d.person("i_tide_28_dager", born_age(25)); d.months(p, 5, last="2026-09"); d.stonad(p, "2026-10-01")
    ev(p, "2026-11-02", "VURDERT")
    p = d.person("for_sent_29_dager", born_age(26)); d.months(p, 5, last="2026-09"); d.stonad(p, "2026-10-01")
    ev(p, "2026-11-03", "VURDERT")
    # never offered: six in one office so the office's count is shown
    for i in range(6):
        p = d.person(f"ikke_tilbudt_{i + 1}", born_age(30 + i), kontor="5001", kommune="5001", veileder="T1")
        d.months(p, 8, last="2026-09")
    # never a candidate: not in the audit
    p = d.person("aldri_kandidat", born_age(44)); d.months(p, 2, last="2026-09")
    return d


def aktivitet() -> Data:
    """Seed 002's follow-up for `audit --from 2026-09-01 --to 2026-11-30`: recipients under 30
    with a § 20 a activity condition and what followed (in one office, so nothing is hidden).
    Expected total: 23 persons; 6 earned income (and no assistance in the last 3 months), 5 a
    student grant/loan, 5 started and ended KVP to work; the distractors are not counted."""
    d = Data()
    d.expected = None
    def vilkar(p, fom, hjemmel="20a", tom=None, status=None):
        d.add("vilkar", p, hjemmel=hjemmel, vilkar_kode="16", fom=fom, tom=tom, status=status)
    def person(label):
        return d.person(label, born_age(25), kontor="4601", kommune="4601", veileder="U1")
    for i in range(6):
        p = person(f"arbeid_{i + 1}"); vilkar(p, "2026-06-01"); d.months(p, 4, last="2026-08")
        d.add("ytelser", p, ytelse="ARBEIDSINNTEKT", fom="2026-09-01")
    for i in range(5):
        p = person(f"utdanning_{i + 1}"); vilkar(p, "2026-07-01"); d.months(p, 6, last="2026-11")
        d.add("ytelser", p, ytelse="STIPEND_LAN", fom="2026-08-15")
    for i in range(5):
        p = person(f"kvp_{i + 1}"); vilkar(p, "2026-05-01"); d.months(p, 8, last="2026-11")
        d.add("kvp_hendelser", p, dato="2026-08-01", hendelse="BEGYNT")
        d.add("kvp_hendelser", p, dato="2026-11-01", hendelse="AVSLUTTET", status_kode="3",
              avslutning_situasjon=["01"])
    for i in range(6):
        p = person(f"ingenting_{i + 1}"); vilkar(p, "2026-09-15"); d.months(p, 4, last="2026-11")
    # in the cohort, but the earned income began before the condition: not counted as work
    p = person("arbeid_for_vilkaret"); vilkar(p, "2026-06-01"); d.months(p, 6, last="2026-11")
    d.add("ytelser", p, ytelse="ARBEIDSINNTEKT", fom="2026-01-01")
    # not in the cohort: § 20 (not 20 a), annulled, or ended before the period
    p = person("paragraf_20"); vilkar(p, "2026-06-01", hjemmel="20"); d.months(p, 6, last="2026-11")
    p = person("annullert"); vilkar(p, "2026-06-01", status="ANNULLERT"); d.months(p, 6, last="2026-11")
    p = person("endt_for"); vilkar(p, "2026-03-01", tom="2026-08-01"); d.months(p, 6, last="2026-11")
    return d


def protected() -> Data:
    """Persons with strengt fortrolig address (kode 6) for the test that reads every output of
    scan, two weekly runs, report and audit: an office only they have (SKJKONTOR, caseworker
    SKJV9), a caseworker only they have in a shared office (SKJV1), an unrecognised protection
    value (SKJV2) and a duplicate personer row that is stricter than the first (SKJV3). Only
    `skjermet*` files may name them. Scan dates 2026-11-09 and 2026-11-16; audit from 2026-09-01."""
    d = Data()
    d.expected = None
    def ev(p, dato, hendelse):
        d.add("kvp_hendelser", p, dato=dato, hendelse=hendelse)
    for i in range(8):
        p = d.person(f"vanlig_{i + 1}", born_age(30 + i)); d.months(p, 9, last="2026-10")
        if i == 0:
            d.add("vilkar", p, hjemmel="20a", vilkar_kode="16", fom="2026-06-01")
        if i < 3:
            ev(p, "2026-10-20", "INFORMERT")
    for i in range(2):
        p = d.person(f"kode7_{i + 1}", born_age(40 + i), beskyttelse="FORTROLIG"); d.months(p, 9, last="2026-10")
    for i in range(5):
        p = d.person(f"kode6_kontor_{i + 1}", born_age(25 + i), kontor="SKJKONTOR", veileder="SKJV9",
                     beskyttelse="STRENGT_FORTROLIG")
        d.months(p, 9, last="2026-10")
        if i == 0:
            ev(p, "2026-11-12", "INFORMERT")
            # in the audit's § 20 a follow-up: only in its national kode-6 line
            d.add("vilkar", p, hjemmel="20a", vilkar_kode="16", fom="2026-06-01")
    p = d.person("kode6_deltaker", born_age(33), kontor="SKJKONTOR", veileder="SKJV9", beskyttelse="STRENGT_FORTROLIG")
    d.months(p, 9, last="2026-10"); ev(p, "2026-06-01", "SOKNAD"); ev(p, "2026-06-15", "BEGYNT")
    p = d.person("kode6_aap", born_age(34), kontor="SKJKONTOR", veileder="SKJV9", beskyttelse="STRENGT_FORTROLIG")
    d.months(p, 9, last="2026-10"); d.add("ytelser", p, ytelse="AAP", fom="2026-03-01")
    p = d.person("kode6_egen_veileder", born_age(35), veileder="SKJV1", beskyttelse="STRENGT_FORTROLIG")
    d.months(p, 9, last="2026-10")
    p = d.person("ukjent_vern", born_age(36), veileder="SKJV2", beskyttelse="strengt_fortrolig ")
    d.months(p, 9, last="2026-10")
    p = d.person("duplikat_strengere", born_age(37), veileder="SKJV3")
    d.months(p, 9, last="2026-10")
    dup = dict(d.t["personer"][-1]); dup["adressebeskyttelse"] = "STRENGT_FORTROLIG"; dup["nav_kontor"] = "SKJKONTOR2"
    d.t["personer"].append(dup)
    return d


# Caseworker ids that must each get their own list file (and the blank ones the office's
# «uten veileder» list): a slash, names equal after cleaning or in another case, a reserved
# device name, our own list's name, a path, a formula, and a long non-ASCII id.
HOSTILE_CASEWORKERS = ["a/b", "a_b", "a_b-2", "A_B", "CON", "", "   ", "uten_veileder", "../x",
                       "=HYPERLINK(1)", "  -1", "Å" * 30]


def hostile_names() -> Data:
    d = Data()
    d.expected = None
    for i, v in enumerate(HOSTILE_CASEWORKERS):
        p = d.person(f"veileder_{i}", born_age(30 + i), veileder=v); d.months(p, 9, last="2026-10")
    return d


def many_caseworkers(n=5000) -> Data:
    """n candidates, each with a caseworker of their own: n lists (2n files) in one run."""
    d = Data()
    d.expected = None
    for i in range(n):
        born = dt.date(1970, 1, 1) + dt.timedelta(days=i)  # one birth date each: unique ids
        p = d.person(f"p{i}", born, kontor=f"{1000 + i % 50}", veileder=f"V{i:05d}")
        d.months(p, 6, last="2026-10")
    return d


def write_week_labels(d: Data, path: Path):
    """label;person_id for the weekly fixtures, so the tests can name persons."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("label;person_id\n")
        for label, row in zip(d.labels, d.t["personer"]):
            f.write(f"{label};{row['person_id']}\n")


def main():
    import sys
    if sys.argv[1:] == ["sikkerhet"]:  # only these fixtures (the others are unchanged)
        security_fixtures()
        print("security fixtures written")
        return
    if sys.argv[1:] == ["aktivitet"]:  # only this fixture
        aktivitet().save(ROOT / "aktivitet" / "data")
        print("aktivitet fixture written")
        return
    f = fixtures()
    f.save(ROOT / "fixtures")
    write_expected(f, ROOT / "forventet_fixtures.csv")
    f.save(ROOT / "uten_valgfrie", tables={"personer", "okonomisk_stonad"})
    bad_rows().save(ROOT / "feil")
    type_variants(ROOT / "fixtures", ROOT / "typer")
    fatal_cases(ROOT / "fixtures", ROOT / "fatal")
    demo().save(ROOT / "demo")
    a, b = weeks()
    a.save(ROOT / "uker" / "a")
    b.save(ROOT / "uker" / "b")
    write_week_labels(a, ROOT / "uker" / "personer.csv")
    r = audit_history()
    r.save(ROOT / "revisjon" / "data")
    write_week_labels(r, ROOT / "revisjon" / "personer.csv")
    aktivitet().save(ROOT / "aktivitet" / "data")
    security_fixtures()
    print("testdata written")


def security_fixtures():
    p = protected()
    p.save(ROOT / "skjermet" / "data")
    write_week_labels(p, ROOT / "skjermet" / "personer.csv")
    h = hostile_names()
    h.save(ROOT / "filnavn" / "data")
    write_week_labels(h, ROOT / "filnavn" / "personer.csv")
    many_caseworkers().save(ROOT / "mange_veiledere")


if __name__ == "__main__":
    main()
