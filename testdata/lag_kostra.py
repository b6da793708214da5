#!/usr/bin/env python3
"""Writes the KOSTRA 11F/11CF fixtures under testdata/kostra/ (run from the repository root):

    python3 testdata/lag_kostra.py

One record per mapping rule of ../shared/spec/kostra-import.md, each labelled in
`kostra/personer.csv` with the verdict a scan on 2026-06-30 must give (`forventet.csv`), one
record per validation finding in `kostra/feil/`, and the fatal cases in `kostra/fatal/`.
Files come in UTF-8 and ISO-8859-1, with LF and CRLF. Person ids are synthetic fødselsnummer
(month + 80), never a real person's. Positions are 1-based and inclusive, as SSB writes them.
"""

import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "kostra"

F11 = {  # name: (from, size)
    "KOMMUNE_NR": (1, 4), "VERSION": (5, 2), "BYDELSNR": (7, 2), "FODSELSDATO": (9, 8),
    "PERSON_JOURNALNR": (17, 8), "PERSON_FODSELSNR": (25, 11), "PERSON_DUF": (36, 12),
    "KJONN": (48, 1), "EKTSTAT": (49, 1), "BU18": (50, 1), "VKLO": (53, 1), "TRYGDESIT": (54, 2),
    "ARBSIT": (56, 2), "BIDRAG": (82, 7), "LAAN": (89, 7), "GITT_OKONOMIRAD": (264, 1),
    "FAAT_INDIVIDUELL_PLAN": (265, 1), "SAKSBEHANDLER": (266, 10), "BOSIT": (276, 1),
    "VILKARSOSLOV": (277, 1), "VILKARSAMEKT": (278, 1), "UTBETDATO": (279, 8),
    "UTBETTOMDATO": (287, 8),
}
for m in range(1, 13):
    F11[f"STMND_{m}"] = (58 + 2 * (m - 1), 2)
    F11[f"BIDRAG_{m}"] = (96 + 14 * (m - 1), 7)
    F11[f"LAAN_{m}"] = (103 + 14 * (m - 1), 7)
VILKAR = ["16", "17", "04", "06", "07", "08", "10", "18", "14", "15", "19", "20"]
for i, code in enumerate(VILKAR):
    F11[f"VILKAR_{code}"] = (295 + 2 * i, 2)

CF11 = {
    "KOMMUNE_NR": (1, 4), "VERSION": (5, 2), "BYDELSNR": (7, 2), "FODSELSDATO": (9, 8),
    "PERSON_JOURNALNR": (17, 8), "PERSON_FODSELSNR": (25, 11), "KJONN": (36, 1),
    "REG_DATO": (41, 8), "VEDTAK_DATO": (49, 8), "BEGYNT_DATO": (57, 8), "STATUS": (112, 1),
    "AVSL_DATO": (113, 8), "AVSL_VIKTIGSTE_INNTEKT": (141, 2), "SAKSBEHANDLER": (143, 10),
}
AVSL = ["01", "11", "03", "04", "13", "14", "15", "16", "10", "17"]
for i, code in enumerate(AVSL):
    CF11[f"AVSL_{code}"] = (121 + 2 * i, 2)


def record(layout, length, **fields):
    line = [" "] * length
    for name, value in fields.items():
        start, size = layout[name]
        value = str(value)
        assert len(value) <= size, (name, value)
        for i, c in enumerate(value):
            line[start - 1 + i] = c
    return "".join(line)


# the synthetic fødselsnummer of the other fixtures (month + 80, valid check digits)
from lag_testdata import synthetic_fnr as fnr  # noqa: E402


def ddmmyyyy(d: str) -> str:
    y, m, day = d.split("-")
    return f"{day}{m}{y}"


class File:
    def __init__(self, kind, kommune, year, bydel=""):
        self.kind, self.kommune, self.year, self.bydel = kind, kommune, year, bydel
        self.lines = []

    def f11(self, pid, born, months, saksbehandler="V1", vklo="5", trygd="12", duf="", bydel=None,
            monthly=None, bidrag=None, laan=0, **extra):
        j = len(self.lines) + 1
        fields = dict(KOMMUNE_NR=self.kommune, VERSION=f"{self.year % 100:02d}",
                      BYDELSNR=self.bydel if bydel is None else bydel, FODSELSDATO=born.strftime("%d%m%Y"),
                      PERSON_JOURNALNR=f"{j:08d}", PERSON_FODSELSNR=pid, PERSON_DUF=duf, KJONN="2",
                      EKTSTAT="1", BU18="2", VKLO=vklo, TRYGDESIT=trygd, ARBSIT="04",
                      GITT_OKONOMIRAD="2", FAAT_INDIVIDUELL_PLAN="2", SAKSBEHANDLER=saksbehandler,
                      BOSIT="1", VILKARSOSLOV="2", VILKARSAMEKT="2")
        total_b = total_l = 0
        for m in months:
            fields[f"STMND_{m}"] = f"{m:02d}"
            if monthly is None:
                fields[f"BIDRAG_{m}"] = "0007500"
                total_b += 7500
            elif monthly:
                b, l = monthly
                fields[f"BIDRAG_{m}"] = f"{b:07d}"
                fields[f"LAAN_{m}"] = f"{l:07d}"
                total_b, total_l = total_b + b, total_l + l
        fields["BIDRAG"] = f"{(total_b if bidrag is None else bidrag):07d}"
        fields["LAAN"] = f"{(total_l if not laan else laan):07d}"
        fields.update(extra)
        self.lines.append(record(F11, 338, **{k: v for k, v in fields.items() if v is not None}))

    def cf11(self, pid, born, reg, status, vedtak="", begynt="", avsl="", boxes=(), viktigste="", **extra):
        j = len(self.lines) + 1
        fields = dict(KOMMUNE_NR=self.kommune, VERSION=f"{self.year % 100:02d}", BYDELSNR=self.bydel,
                      FODSELSDATO=born.strftime("%d%m%Y"), PERSON_JOURNALNR=f"{j:08d}",
                      PERSON_FODSELSNR=pid, KJONN="1", REG_DATO=ddmmyyyy(reg) if reg else "",
                      VEDTAK_DATO=ddmmyyyy(vedtak) if vedtak else "",
                      BEGYNT_DATO=ddmmyyyy(begynt) if begynt else "", STATUS=status,
                      AVSL_DATO=ddmmyyyy(avsl) if avsl else "", AVSL_VIKTIGSTE_INNTEKT=viktigste,
                      SAKSBEHANDLER="K1")
        for b in boxes:
            fields[f"AVSL_{b}"] = b
        fields.update(extra)
        self.lines.append(record(CF11, 152, **fields))

    def write(self, path: Path, encoding="utf-8", newline="\n"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes("".join(l + newline for l in self.lines).encode(encoding))


def main():
    serial = [100]
    labels = []  # (label, person_id, status, treff)

    def person(label, born, status, treff=""):
        serial[0] += 7
        pid = fnr(born, serial[0])
        labels.append((label, pid, status, treff))
        return pid

    oslo = File("11F", "0301", 2026, bydel="05")      # UTF-8, LF
    rygge = File("11F", "4601", 2026)                 # ISO-8859-1, CRLF
    h2025 = File("11F", "4601", 2025)                 # UTF-8, CRLF
    kvp = File("11CF", "0301", 2026, bydel="05")      # UTF-8, CRLF
    kvp25 = File("11CF", "0301", 2025, bydel="05")    # ISO-8859-1, LF
    b = dt.date(1985, 3, 14)
    H1 = range(1, 7)  # January to June 2026: six months, the last recent

    # months across two years and two municipalities: 3 + 3 = 6 only together
    p = person("to_aar_to_kommuner", b, "kandidat", "langtidsmottaker")
    h2025.f11(p, b, [10, 11, 12]); oslo.f11(p, b, [2, 3, 4], saksbehandler="ÅSE1")
    p = person("bare_ett_aar", b, "ikke_treff")
    oslo.f11(p, b, [2, 3, 4])
    # a DUF number instead of a fødselsnummer (Latin-1 caseworker id), and no id at all
    labels.append(("duf_uten_fnr", "201234567890", "kandidat", "langtidsmottaker"))
    rygge.f11("", b, H1, duf="201234567890", saksbehandler="SØR1")
    labels.append(("lokal_nokkel", "4601-00000002", "kandidat", "langtidsmottaker"))
    rygge.f11("", b, H1)
    # monthly amounts blank: the yearly sum is shared; a loan-only year
    p = person("manedsbelop_blanke", b, "kandidat", "langtidsmottaker")
    oslo.f11(p, b, H1, monthly=False, bidrag=6000)
    p = person("bare_laan", b, "kandidat", "langtidsmottaker")
    oslo.f11(p, b, H1, monthly=(0, 500))
    # each TRYGDESIT: livelihood benefits exclude, 12 (none) and 13 (barnetrygd) do not
    for code in ["01", "02", "04", "05", "06", "07", "09", "10", "11", "12", "13"]:
        livelihood = code not in ("12", "13")
        p = person(f"trygdesit_{code}", b, "ekskludert" if livelihood else "kandidat", "langtidsmottaker")
        oslo.f11(p, b, H1, vklo="3" if livelihood else "5", trygd=code)
    # each VKLO: introduksjonsstønad and kvalifiseringsstønad are livelihood benefits
    for code in "123456789":
        livelihood = code in "68"
        p = person(f"vklo_{code}", b, "ekskludert" if livelihood else "kandidat", "langtidsmottaker")
        oslo.f11(p, b, H1, vklo=code)
    # conditions: § 20 a under 30 (on UTBETDATO), § 20 from 30
    for label, born, status, treff in [("vilkar_under_30", dt.date(2001, 1, 1), "kandidat", "under_30_aktivitetsvilkar"),
                                       ("vilkar_over_30", dt.date(1986, 1, 1), "ikke_treff", "")]:
        p = person(label, born, status, treff)
        oslo.f11(p, born, [4, 5, 6], VILKARSOSLOV="1", UTBETDATO="01032026", UTBETTOMDATO="31122026",
                 VILKAR_17="17", VILKAR_06="06")
    # each 11CF status with its events
    p = person("kvp_status_1", b, "deltaker", "langtidsmottaker")
    oslo.f11(p, b, H1); kvp.cf11(p, b, "2026-01-10", "1", vedtak="2026-01-20", begynt="2026-02-01")
    p = person("kvp_status_2", b, "deltaker", "langtidsmottaker")
    oslo.f11(p, b, H1); kvp25.cf11(p, b, "2025-03-01", "2", vedtak="2025-03-10", begynt="2025-04-01")
    for status in "34567":
        p = person(f"kvp_status_{status}", b, "kandidat", "langtidsmottaker")
        oslo.f11(p, b, H1)
        kvp.cf11(p, b, "2025-12-01", status, vedtak="2025-12-15", begynt="2026-01-05", avsl="2026-03-31",
                 boxes=["01"] if status == "3" else ["17"], viktigste="01" if status == "3" else "")
    # an application registered, not yet granted: status 1 without start counts as pending
    p = person("kvp_soknad", b, "under_behandling", "langtidsmottaker")
    oslo.f11(p, b, H1); kvp.cf11(p, b, "2026-06-20", "1")

    oslo.write(ROOT / "11F_2026_0301.txt")
    rygge.write(ROOT / "11F_2026_4601.txt", encoding="iso-8859-1", newline="\r\n")
    h2025.write(ROOT / "11F_2025_4601.txt", newline="\r\n")
    kvp.write(ROOT / "11CF_2026_0301.txt", newline="\r\n")
    kvp25.write(ROOT / "11CF_2025_0301.txt", encoding="iso-8859-1")
    with open(ROOT / "forventet.csv", "w", encoding="utf-8") as f:
        f.write("label;person_id;status;treff\n")
        for row in labels:
            f.write(";".join(row) + "\n")
    (ROOT / "kontorer.csv").write_text("kommune_nr;bydel_nr;nav_kontor\n4601;;4601NAV\n", encoding="utf-8")

    # one record per validation finding (line numbers are the test's)
    bad = File("11F", "4601", 2026)
    c = dt.date(1990, 6, 1)
    ok = fnr(c, 500)
    bad.f11(ok, c, H1)                                              # 1 kept
    bad.f11(fnr(c, 510), c, H1, KJONN=" ")                          # 2 KJONN blank
    bad.f11(fnr(c, 520), c, H1, FODSELSDATO="31022000")             # 3 date
    bad.f11(fnr(c, 530), c, H1, trygd="03")                         # 4 code
    bad.f11(fnr(c, 540), c, H1, VERSION="19")                       # 5 version
    bad.f11(fnr(c, 550), c, H1, PERSON_JOURNALNR="00000001")        # 6 duplicate journal
    bad.f11(fnr(c, 560), c, H1, BIDRAG="0012a00")                   # 7 number
    bad.f11(fnr(c, 570), c, H1, STMND_3="05")                       # 8 month code
    bad.f11(ok[:10] + str((int(ok[10]) + 1) % 10), c, H1)           # 9 fnr check (warning)
    bad.f11(fnr(c, 590), c, [])                                     # 10 no month (warning)
    bad.f11(fnr(c, 600), c, H1, BIDRAG="0099999")                   # 11 sums (warning)
    bad.f11(fnr(c, 610), c, H1, KOMMUNE_NR="46X1")                  # 12 kommune
    bad.f11(fnr(c, 620), c, H1, VILKARSOSLOV="1", VILKAR_17="17")   # 13 UTBETDATO blank
    bad.f11(fnr(c, 630), c, H1, KOMMUNE_NR="0301", BYDELSNR="  ")   # 14 Oslo without bydel
    bad.write(ROOT / "feil" / "11F_feil.txt")
    badc = File("11CF", "4601", 2026)
    badc.cf11(fnr(c, 700), c, "2026-01-10", "1", begynt="2026-02-01")          # 1 kept
    badc.cf11("", c, "2026-01-10", "1", begynt="2026-02-01")                   # 2 fnr blank
    badc.cf11(fnr(c, 720), c, "2026-01-10", "8", begynt="2026-02-01")          # 3 status
    badc.cf11(fnr(c, 730), c, "2026-01-10", "3", begynt="2026-02-01")          # 4 no end date
    badc.cf11(fnr(c, 740), c, "", "1", REG_DATO="99999999")                    # 5 date
    badc.write(ROOT / "feil" / "11CF_feil.txt")

    fatal = File("11F", "4601", 2026)
    fatal.f11(fnr(c, 800), c, H1)
    fatal.lines.append(fatal.lines[0][:337])
    fatal.write(ROOT / "fatal" / "kort_linje.txt")
    tab = File("11F", "4601", 2026)
    tab.f11(fnr(c, 810), c, H1)
    tab.lines[0] = tab.lines[0][:300] + "\t" + tab.lines[0][301:]
    tab.write(ROOT / "fatal" / "tab.txt")
    print("testdata/kostra written")


if __name__ == "__main__":
    main()
