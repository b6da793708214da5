//! Reading KOSTRA files: decoding (UTF-8, else ISO-8859-1), splitting into records (LF or
//! CRLF), the fatal checks (record length, TAB), and parsing each record into typed fields
//! with SSB's severities: an ERROR sets the record aside, a WARNING keeps it.

use chrono::NaiveDate;

use super::layout::{self, Field, Kind, cf11, f11};
use crate::contract::Lang;

/// A problem that stops the import: nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error("{}", crate::tr!("kan ikke lese KOSTRA-filen {path}", "cannot read the KOSTRA file {path}"))]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", crate::tr!(
        "{path}: linje {line} har {found} tegn; en KOSTRA-post har 338 (11F) eller 152 (11CF), \
         og alle linjene i en fil like mange{expected} (SSB-kontroll 001)",
        "{path}: line {line} has {found} characters; a KOSTRA record has 338 (11F) or 152 (11CF), \
         and every line of a file the same length{expected} (SSB rule 001)"
    ))]
    Length {
        path: String,
        line: usize,
        found: usize,
        /// ", here ..." when the file's kind is already known
        expected: String,
    },
    #[error("{}", crate::tr!(
        "{path}: linje {line} inneholder TAB; KOSTRA-poster bruker bare mellomrom (SSB-kontroll 001)",
        "{path}: line {line} contains a TAB; KOSTRA records use spaces only (SSB rule 001)"
    ))]
    Tab { path: String, line: usize },
    #[error("{}", crate::tr!("{path} har ingen poster", "{path} holds no records"))]
    Empty { path: String },
}

/// How a file was decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "iso-8859-1")]
    Latin1,
}

/// A decoded file: its kind and its records (line number, text).
#[derive(Debug)]
pub struct Decoded {
    pub kind: Kind,
    pub encoding: Encoding,
    pub lines: Vec<(usize, String)>,
}

/// Decodes a file and applies the fatal checks.
pub fn decode(path: &str, bytes: &[u8]) -> Result<Decoded, Fatal> {
    let (text, encoding) = match std::str::from_utf8(bytes) {
        Ok(t) => (std::borrow::Cow::Borrowed(t), Encoding::Utf8),
        // ISO-8859-1 maps every byte to the code point of the same value
        Err(_) => (
            std::borrow::Cow::Owned(bytes.iter().map(|&b| b as char).collect::<String>()),
            Encoding::Latin1,
        ),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut kind = None;
    let mut lines = Vec::new();
    let mut raw: Vec<&str> = text.split('\n').collect();
    if raw.last().is_some_and(|l| l.is_empty()) {
        raw.pop(); // the newline after the last record
    }
    for (i, l) in raw.into_iter().enumerate() {
        let line = i + 1;
        let l = l.strip_suffix('\r').unwrap_or(l);
        if l.contains('\t') {
            return Err(Fatal::Tab {
                path: path.to_string(),
                line,
            });
        }
        let len = l.chars().count();
        let k = match (Kind::of_len(len), kind) {
            (Some(k), None) => k,
            (Some(k), Some(known)) if k == known => k,
            (_, known) => {
                return Err(Fatal::Length {
                    path: path.to_string(),
                    line,
                    found: len,
                    expected: known
                        .map(|k: Kind| {
                            crate::tr!(
                                ", her {} ({})",
                                ", here {} ({})",
                                k.record_len(),
                                k.as_str()
                            )
                        })
                        .unwrap_or_default(),
                });
            }
        };
        kind = Some(k);
        lines.push((line, l.to_string()));
    }
    let kind = kind.ok_or_else(|| Fatal::Empty {
        path: path.to_string(),
    })?;
    Ok(Decoded {
        kind,
        encoding,
        lines,
    })
}

/// One record's text, read by 1-based character positions.
pub struct Record<'a> {
    text: &'a str,
    /// Byte offset of each character, when the record is not ASCII.
    offsets: Option<Vec<usize>>,
}

impl<'a> Record<'a> {
    pub fn new(text: &'a str) -> Self {
        let offsets = (!text.is_ascii()).then(|| {
            let mut o: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            o.push(text.len());
            o
        });
        Record { text, offsets }
    }

    /// The raw field (spaces kept).
    pub fn raw(&self, f: Field) -> &'a str {
        let (a, b) = (f.from - 1, f.from - 1 + f.size);
        match &self.offsets {
            None => self.text.get(a..b).unwrap_or(""),
            Some(o) => match (o.get(a), o.get(b)) {
                (Some(&x), Some(&y)) => &self.text[x..y],
                _ => "",
            },
        }
    }

    /// The field trimmed; `None` when blank.
    pub fn get(&self, f: Field) -> Option<&'a str> {
        let v = self.raw(f).trim();
        (!v.is_empty()).then_some(v)
    }
}

/// SSB's severities map onto the contract's: ERROR (`Feil`) sets the record aside, WARNING
/// (`Advarsel`) keeps it; FATAL stops the file (see [`Fatal`]).
pub use crate::contract::quality::Severity;

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Blank,
    BadDate,
    BadNumber,
    BadCode { value: String },
    UnknownVersion { value: String },
    DuplicateJournal { first_line: usize },
    MissingEndDate,
    FnrCheck,
    LocalId,
    NoMonth,
    AmountsDoNotSum,
    BydelOutsideOslo,
}

impl Problem {
    pub fn severity(&self) -> Severity {
        match self {
            Problem::FnrCheck
            | Problem::LocalId
            | Problem::NoMonth
            | Problem::AmountsDoNotSum
            | Problem::BydelOutsideOslo => Severity::Advarsel,
            _ => Severity::Feil,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Problem::Blank => "mangler_verdi",
            Problem::BadDate => "ugyldig_dato",
            Problem::BadNumber => "ugyldig_tall",
            Problem::BadCode { .. } => "ukjent_kode",
            Problem::UnknownVersion { .. } => "ukjent_versjon",
            Problem::DuplicateJournal { .. } => "duplikat_journalnr",
            Problem::MissingEndDate => "mangler_avslutningsdato",
            Problem::FnrCheck => "fodselsnummer_kontroll",
            Problem::LocalId => "lokal_person_id",
            Problem::NoMonth => "ingen_stonadsmaned",
            Problem::AmountsDoNotSum => "belop_summerer_ikke",
            Problem::BydelOutsideOslo => "bydel_utenfor_oslo",
        }
    }

    /// The reason, without person values (codes and years are not personal data).
    pub fn reason(&self, lang: Lang) -> String {
        use Lang::*;
        let v = |s: &str| s.chars().take(20).collect::<String>();
        match (self, lang) {
            (Problem::Blank, Nb) => "obligatorisk felt er blankt; posten er satt til side".into(),
            (Problem::Blank, En) => "a mandatory field is blank; the record is set aside".into(),
            (Problem::BadDate, Nb) => "ikke en gyldig dato (DDMMÅÅÅÅ); posten er satt til side".into(),
            (Problem::BadDate, En) => "not a valid date (DDMMYYYY); the record is set aside".into(),
            (Problem::BadNumber, Nb) => "ikke et heltall; posten er satt til side".into(),
            (Problem::BadNumber, En) => "not a whole number; the record is set aside".into(),
            (Problem::BadCode { value }, Nb) => {
                format!("ukjent kode «{}»; posten er satt til side", v(value))
            }
            (Problem::BadCode { value }, En) => {
                format!("unknown code \"{}\"; the record is set aside", v(value))
            }
            (Problem::UnknownVersion { value }, Nb) => format!(
                "ukjent rapporteringsår «{}»; kjente: 25, 26; posten er satt til side",
                v(value)
            ),
            (Problem::UnknownVersion { value }, En) => format!(
                "unknown reporting year \"{}\"; known: 25, 26; the record is set aside",
                v(value)
            ),
            (Problem::DuplicateJournal { first_line }, Nb) => format!(
                "journalnummeret finnes allerede på linje {first_line} i filen; posten er satt til side"
            ),
            (Problem::DuplicateJournal { first_line }, En) => format!(
                "the case number already occurs on line {first_line} of the file; the record is set aside"
            ),
            (Problem::MissingEndDate, Nb) => {
                "avsluttet program (status 3–7) uten gyldig AVSL_DATO; posten er satt til side".into()
            }
            (Problem::MissingEndDate, En) => {
                "ended programme (status 3–7) without a valid AVSL_DATO; the record is set aside".into()
            }
            (Problem::FnrCheck, Nb) => "fødselsnummeret består ikke kontrollen (mod 11)".into(),
            (Problem::FnrCheck, En) => "the fødselsnummer fails its check (mod 11)".into(),
            (Problem::LocalId, Nb) => {
                "verken fødselsnummer (11 sifre) eller DUF-nummer (12 sifre): lokal nøkkel kommune+bydel-journalnummer brukes".into()
            }
            (Problem::LocalId, En) => {
                "neither a fødselsnummer (11 digits) nor a DUF number (12 digits): the local key kommune+bydel-case number is used".into()
            }
            (Problem::NoMonth, Nb) => "ingen måned med stønad er krysset av".into(),
            (Problem::NoMonth, En) => "no month with assistance is ticked".into(),
            (Problem::AmountsDoNotSum, Nb) => {
                "månedsbeløpene summerer ikke til årsbeløpene BIDRAG og LAAN".into()
            }
            (Problem::AmountsDoNotSum, En) => {
                "the monthly amounts do not add up to the yearly BIDRAG and LAAN".into()
            }
            (Problem::BydelOutsideOslo, Nb) => "bydelsnummer utenfor Oslo (0301); ignorert".into(),
            (Problem::BydelOutsideOslo, En) => "district number outside Oslo (0301); ignored".into(),
        }
    }
}

/// One finding: the file, the line and SSB's field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub field: &'static str,
    pub problem: Problem,
}

/// The fields both kinds share.
#[derive(Debug, Clone)]
pub struct Header {
    pub kommune: String,
    pub year: i32,
    /// Oslo only.
    pub bydel: Option<String>,
    pub fodselsdato: NaiveDate,
    pub journalnr: String,
    /// 11 digits, or None.
    pub fnr: Option<String>,
    pub kjonn: String,
}

/// An 11F record.
#[derive(Debug, Clone)]
pub struct F11 {
    pub line: usize,
    pub head: Header,
    pub duf: Option<String>,
    pub vklo: &'static str,
    pub trygdesit: &'static str,
    /// Months with stønad (index 0 = January).
    pub months: [bool; 12],
    pub bidrag: i64,
    pub laan: i64,
    /// (bidrag, lån) per month.
    pub monthly: [(i64, i64); 12],
    pub saksbehandler: Option<String>,
    /// Conditions under sosialtjenesteloven: from, to, codes.
    pub vilkar: Option<(NaiveDate, Option<NaiveDate>, Vec<&'static str>)>,
}

/// An 11CF record.
#[derive(Debug, Clone)]
pub struct Cf11 {
    pub line: usize,
    pub head: Header,
    pub reg: NaiveDate,
    pub vedtak: Option<NaiveDate>,
    pub begynt: Option<NaiveDate>,
    pub status: &'static str,
    pub avsl_dato: Option<NaiveDate>,
    pub avsl: Vec<&'static str>,
    pub viktigste: Option<String>,
    pub saksbehandler: Option<String>,
}

/// Parses the fields of one record, collecting findings; `None` when an ERROR sets it aside.
pub struct Parser<'a> {
    pub file: &'a str,
    pub line: usize,
    pub findings: Vec<Finding>,
    failed: bool,
}

impl<'a> Parser<'a> {
    pub fn new(file: &'a str, line: usize) -> Self {
        Parser {
            file,
            line,
            findings: Vec::new(),
            failed: false,
        }
    }

    pub fn report(&mut self, field: &'static str, problem: Problem) {
        if problem.severity() == Severity::Feil {
            self.failed = true;
        }
        self.findings.push(Finding {
            file: self.file.to_string(),
            line: self.line,
            field,
            problem,
        });
    }

    pub fn failed(&self) -> bool {
        self.failed
    }

    fn mandatory<'r>(&mut self, r: &Record<'r>, f: Field) -> Option<&'r str> {
        let v = r.get(f);
        if v.is_none() {
            self.report(f.name, Problem::Blank);
        }
        v
    }

    fn date(&mut self, r: &Record, f: Field, mandatory: bool) -> Option<NaiveDate> {
        let v = if mandatory {
            self.mandatory(r, f)?
        } else {
            r.get(f)?
        };
        let d = (v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()))
            .then(|| NaiveDate::parse_from_str(v, "%d%m%Y").ok())
            .flatten()
            .filter(|d| (1900..=2099).contains(&chrono::Datelike::year(d)));
        if d.is_none() {
            self.report(f.name, Problem::BadDate);
        }
        d
    }

    fn code<T: Copy>(
        &mut self,
        r: &Record,
        f: Field,
        codes: &[(&'static str, T)],
    ) -> Option<(&'static str, T)> {
        let v = self.mandatory(r, f)?;
        let found = codes.iter().find(|(c, _)| *c == v).copied();
        if found.is_none() {
            self.report(f.name, Problem::BadCode { value: v.into() });
        }
        found
    }

    fn amount(&mut self, r: &Record, f: Field) -> i64 {
        match r.get(f) {
            None => 0,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= 0 => n,
                _ => {
                    self.report(f.name, Problem::BadNumber);
                    0
                }
            },
        }
    }

    fn header(&mut self, r: &Record, kjonn: Field) -> Option<Header> {
        let kommune = self.mandatory(r, layout::KOMMUNE_NR).map(str::to_string);
        if let Some(k) = &kommune
            && !(k.len() == 4 && k.bytes().all(|b| b.is_ascii_digit()))
        {
            self.report(
                layout::KOMMUNE_NR.name,
                Problem::BadCode { value: k.clone() },
            );
        }
        let version = r.raw(layout::VERSION);
        let year = version
            .parse::<i32>()
            .ok()
            .map(|v| 2000 + v)
            .filter(|y| layout::YEARS.contains(y));
        if year.is_none() {
            self.report(
                layout::VERSION.name,
                Problem::UnknownVersion {
                    value: version.trim().into(),
                },
            );
        }
        let oslo = kommune.as_deref() == Some("0301");
        let bydel = match r.get(layout::BYDELSNR) {
            Some(b) if oslo => {
                let ok = b.len() == 2 && matches!(b.parse::<u8>(), Ok(1..=15));
                if !ok {
                    self.report(layout::BYDELSNR.name, Problem::BadCode { value: b.into() });
                }
                Some(b.to_string())
            }
            None if oslo => {
                self.report(layout::BYDELSNR.name, Problem::Blank);
                None
            }
            Some(b) if b != "00" => {
                self.report(layout::BYDELSNR.name, Problem::BydelOutsideOslo);
                None
            }
            _ => None,
        };
        let fodselsdato = self.date(r, layout::FODSELSDATO, true);
        let journalnr = self
            .mandatory(r, layout::PERSON_JOURNALNR)
            .map(str::to_string);
        let fnr = r
            .get(layout::PERSON_FODSELSNR)
            .filter(|v| v.len() == 11 && v.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string);
        if let Some(n) = &fnr
            && matches!(crate::contract::fnr::check(n), Some(Err(_)))
        {
            self.report(layout::PERSON_FODSELSNR.name, Problem::FnrCheck);
        }
        let kjonn = self.code(r, kjonn, &[("1", ()), ("2", ())]).map(|(c, _)| c);
        Some(Header {
            kommune: kommune?,
            year: year?,
            bydel,
            fodselsdato: fodselsdato?,
            journalnr: journalnr?,
            fnr,
            kjonn: kjonn?.to_string(),
        })
    }

    /// An 11F record, or `None` when set aside (the findings say why).
    pub fn f11(&mut self, text: &str) -> Option<F11> {
        let r = Record::new(text);
        let head = self.header(&r, f11::KJONN);
        let duf = r
            .get(f11::PERSON_DUF)
            .filter(|v| v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string);
        let vklo = self.code(&r, f11::VKLO, &f11::VKLO_CODES).map(|(c, _)| c);
        let trygdesit = self
            .code(&r, f11::TRYGDESIT, &f11::TRYGDESIT_CODES)
            .map(|(c, _)| c);
        let mut months = [false; 12];
        for (m, ticked) in months.iter_mut().enumerate() {
            let f = f11::stmnd(m + 1);
            match r.get(f) {
                None => {}
                Some(v) if v.parse::<usize>() == Ok(m + 1) && v.len() == 2 => *ticked = true,
                Some(v) => self.report(f.name, Problem::BadCode { value: v.into() }),
            }
        }
        let bidrag = self.amount(&r, f11::BIDRAG);
        let laan = self.amount(&r, f11::LAAN);
        let mut monthly = [(0, 0); 12];
        for (m, amounts) in monthly.iter_mut().enumerate() {
            let (b, l) = f11::monthly(m + 1);
            *amounts = (self.amount(&r, b), self.amount(&r, l));
        }
        let saksbehandler = r.get(f11::SAKSBEHANDLER).map(str::to_string);
        let vilkar = match r.get(f11::VILKARSOSLOV) {
            Some("1") => {
                let fom = self.date(&r, f11::UTBETDATO, true);
                let tom = self.date(&r, f11::UTBETTOMDATO, false);
                let mut codes = Vec::new();
                for (f, code) in f11::VILKAR {
                    match r.get(f) {
                        None => {}
                        Some(v) if v == code => codes.push(code),
                        Some(v) => self.report(f.name, Problem::BadCode { value: v.into() }),
                    }
                }
                fom.map(|fom| (fom, tom, codes))
            }
            Some("2") | None => None,
            Some(v) => {
                self.report(f11::VILKARSOSLOV.name, Problem::BadCode { value: v.into() });
                None
            }
        };
        if self.failed {
            return None;
        }
        if !months.contains(&true) {
            self.report(f11::stmnd(1).name, Problem::NoMonth);
        }
        let sums = monthly
            .iter()
            .fold((0, 0), |(b, l), (mb, ml)| (b + mb, l + ml));
        if sums != (0, 0) && sums != (bidrag, laan) {
            self.report(f11::BIDRAG.name, Problem::AmountsDoNotSum);
        }
        Some(F11 {
            line: self.line,
            head: head?,
            duf,
            vklo: vklo?,
            trygdesit: trygdesit?,
            months,
            bidrag,
            laan,
            monthly,
            saksbehandler,
            vilkar,
        })
    }

    /// An 11CF record, or `None` when set aside.
    pub fn cf11(&mut self, text: &str) -> Option<Cf11> {
        let r = Record::new(text);
        let head = self.header(&r, cf11::KJONN);
        if head.as_ref().is_some_and(|h| h.fnr.is_none()) {
            // mandatory in 11CF
            match r.get(layout::PERSON_FODSELSNR) {
                None => self.report(layout::PERSON_FODSELSNR.name, Problem::Blank),
                Some(v) => self.report(
                    layout::PERSON_FODSELSNR.name,
                    Problem::BadCode { value: v.into() },
                ),
            }
        }
        let reg = self.date(&r, cf11::REG_DATO, true);
        let vedtak = self.date(&r, cf11::VEDTAK_DATO, false);
        let begynt = self.date(&r, cf11::BEGYNT_DATO, false);
        let codes: Vec<(&'static str, ())> = cf11::STATUS_CODES.iter().map(|c| (*c, ())).collect();
        let status = self.code(&r, cf11::STATUS, &codes).map(|(c, _)| c);
        let avsl_dato = self.date(&r, cf11::AVSL_DATO, false);
        let ended = status.is_some_and(|s| s >= "3");
        if ended && avsl_dato.is_none() && r.get(cf11::AVSL_DATO).is_none() {
            self.report(cf11::AVSL_DATO.name, Problem::MissingEndDate);
        }
        let mut avsl = Vec::new();
        for (f, code) in cf11::AVSL {
            match r.get(f) {
                None => {}
                Some(v) if v == code => avsl.push(code),
                Some(v) => self.report(f.name, Problem::BadCode { value: v.into() }),
            }
        }
        let viktigste = r.get(cf11::AVSL_VIKTIGSTE_INNTEKT).map(str::to_string);
        if let Some(v) = &viktigste
            && !cf11::AVSL.iter().any(|(_, c)| c == v)
        {
            let p = Problem::BadCode { value: v.clone() };
            self.report(cf11::AVSL_VIKTIGSTE_INNTEKT.name, p);
        }
        let saksbehandler = r.get(cf11::SAKSBEHANDLER).map(str::to_string);
        if self.failed {
            return None;
        }
        Some(Cf11 {
            line: self.line,
            head: head?,
            reg: reg?,
            vedtak,
            begynt,
            status: status?,
            avsl_dato,
            avsl,
            viktigste,
            saksbehandler,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_line_endings_and_fatal_lengths() {
        let rec = format!("{:<152}", "0301");
        let crlf = format!("{rec}\r\n{rec}\r\n");
        let d = decode("a", crlf.as_bytes()).unwrap();
        assert_eq!(
            (d.kind, d.encoding, d.lines.len()),
            (Kind::Cf11, Encoding::Utf8, 2)
        );
        // one byte per character in ISO-8859-1: Ø is 0xD8
        let mut latin: Vec<u8> = rec.as_bytes()[..151].to_vec();
        latin.push(0xD8);
        latin.push(b'\n');
        let d = decode("b", &latin).unwrap();
        assert_eq!(d.encoding, Encoding::Latin1);
        assert!(d.lines[0].1.ends_with('Ø'));
        let short = format!("{rec}\n{}\n", &rec[..150]);
        let e = decode("c", short.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("c: linje 2 har 150 tegn"), "{e}");
        assert!(e.contains("her 152 (11CF)"), "{e}");
        let tab = format!("{}\t\n", &rec[..151]);
        assert!(matches!(
            decode("d", tab.as_bytes()),
            Err(Fatal::Tab { line: 1, .. })
        ));
        assert!(matches!(decode("e", b""), Err(Fatal::Empty { .. })));
    }

    #[test]
    fn fields_by_character_position_also_with_non_ascii() {
        let r = Record::new("ÆØÅ 12");
        assert_eq!(
            r.raw(Field {
                name: "x",
                from: 2,
                size: 2
            }),
            "ØÅ"
        );
        assert_eq!(
            r.get(Field {
                name: "x",
                from: 4,
                size: 3
            }),
            Some("12")
        );
        assert_eq!(
            r.raw(Field {
                name: "x",
                from: 6,
                size: 5
            }),
            ""
        );
    }
}

/// No file content, however broken, makes decoding or parsing a record panic: a bad record is
/// a finding, a bad file a fatal message.
#[cfg(test)]
mod no_panic {
    use super::*;
    use proptest::prelude::*;

    fn parse(kind: Kind, text: &str) {
        let mut p = Parser::new("f", 1);
        match kind {
            Kind::F11 => drop(p.f11(text)),
            Kind::Cf11 => drop(p.cf11(text)),
        }
        for f in &p.findings {
            let _ = f.problem.reason(Lang::Nb);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_decode_or_fail(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
            if let Ok(d) = decode("f", &bytes) {
                for (_, line) in &d.lines {
                    parse(d.kind, line);
                }
            }
        }

        #[test]
        fn records_of_the_right_length_with_any_characters(
            f11 in "(\\PC|[0-9 ]){338}",
            cf11 in "(\\PC|[0-9 ]){152}",
            digits in "[0-9 ]{338}",
        ) {
            parse(Kind::F11, &f11);
            parse(Kind::Cf11, &cf11);
            parse(Kind::F11, &digits);
            parse(Kind::Cf11, &digits[..152]);
        }
    }
}
