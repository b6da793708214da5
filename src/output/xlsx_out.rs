//! Excel workbooks (`.xlsx`) beside the CSVs: typed cells (ids and office numbers as text,
//! numbers as numbers, dates as dates), a frozen header row, filters and column widths, so a
//! list opens right in Excel with Norwegian settings without the CSV import dialogue.

use chrono::NaiveDate;
use std::sync::Arc;

use rust_xlsxwriter::ExcelDateTime;

use super::{OutputDir, Staged};

/// One typed cell of a table written both as CSV and as a workbook.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// An id or code kept as text (CSV: `="…"` when all digits).
    Id(String),
    /// Free text (CSV: guarded against formulas).
    Text(String),
    Int(i64),
    Date(NaiveDate),
    /// A month, shown as `YYYY-MM`.
    Month(NaiveDate),
    /// A number with one decimal (a median).
    Decimal(f64),
    /// A share, 0–1, shown as a percentage with one decimal.
    Percent(f64),
    Empty,
}

impl Cell {
    /// The CSV form (the CSV writer guards every cell again).
    pub fn csv(&self) -> String {
        match self {
            Cell::Id(s) => super::csv_out::id_cell(s),
            Cell::Text(s) => super::csv_out::safe(s),
            Cell::Int(n) => n.to_string(),
            Cell::Date(d) => crate::engine::values::iso_day(*d),
            Cell::Month(d) => crate::engine::values::iso_month(*d),
            Cell::Decimal(x) => format!("{x:.1}"),
            Cell::Percent(x) => format!("{:.1} %", x * 100.0),
            Cell::Empty => String::new(),
        }
    }

    /// A figure as a page shows it, typed: a count (`1234`), a share (`12,5 %` or `12.5 %`), a
    /// decimal (`120,0`), or text for anything else (`<5`, `:`, `–`).
    pub fn figure(s: &str) -> Cell {
        let number = |t: &str| t.trim().replace(',', ".").parse::<f64>().ok();
        if let Some(n) = super::numbers::count(s).and_then(|n| i64::try_from(n).ok()) {
            return Cell::Int(n);
        }
        if let Some(x) = s.strip_suffix('%').and_then(number) {
            return Cell::Percent(x / 100.0);
        }
        if let Some(x) = number(s).filter(|_| s.contains([',', '.'])) {
            return Cell::Decimal(x);
        }
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_string())
        }
    }
}

/// `d` as Excel's date (years 1900–9999; a year beyond `u16` is an error too, not wrapped).
fn excel_date(d: &NaiveDate) -> anyhow::Result<ExcelDateTime> {
    use chrono::Datelike;
    let year = u16::try_from(d.year())
        .map_err(|_| anyhow::anyhow!("{d}: Excel holds dates of the years 1900 to 9999"))?;
    Ok(ExcelDateTime::from_ymd(
        year,
        d.month() as u8,
        d.day() as u8,
    )?)
}

/// The workbook's bytes: one sheet, typed cells, frozen header, filter, widths. `created` is
/// the date recorded in its properties (the scan date), so the same rows give the same bytes.
///
/// Written here, part by part, as `rust_xlsxwriter`'s `Workbook` writes this one-sheet shape,
/// byte for byte (the tests build each workbook both ways and compare): the weekly writes
/// ~1 700 small workbooks, and the general writer's per-cell bookkeeping (a cell map, format
/// hashing, a string table behind a lock) and the thread it starts per sheet cost more than
/// the sheet itself (`benches/RESULTS.md`, thirty-third session). The crate still gives the
/// dates' serial numbers, the sheet name's checks and quoting, and the cell references. One
/// difference on purpose: a text that starts with `<r>` and ends with `</r>` is written escaped
/// like every other text (the crate writes it unescaped, as rich text markup, which lets a
/// data value break the file).
pub fn bytes(
    sheet: &str,
    header: &[&str],
    rows: &[Vec<Cell>],
    created: NaiveDate,
) -> anyhow::Result<Vec<u8>> {
    rust_xlsxwriter::utility::check_sheet_name(sheet)?;
    excel_date(&created)?; // a date Excel can hold, as the properties need
    let mut book = Sheet::default();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count().min(30)).collect();
    for (c, h) in header.iter().enumerate() {
        book.string(0, col(c)?, h, Some(Style::Header))?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| XlsxLimit::Size)?;
        for (c, cell) in row.iter().enumerate() {
            let col = col(c)?;
            let shown = match cell {
                Cell::Id(s) | Cell::Text(s) => {
                    // a formula is never written: every string is a string cell
                    let n = s.chars().count();
                    book.string(r, col, s, (n > 60).then_some(Style::Wrap))?;
                    n
                }
                Cell::Int(n) => {
                    book.number(r, col, *n as f64, None)?;
                    // its printed length, sign included, without printing it
                    let digits = n
                        .unsigned_abs()
                        .checked_ilog10()
                        .map_or(1, |d| d as usize + 1);
                    digits + usize::from(*n < 0)
                }
                Cell::Date(d) | Cell::Month(d) => {
                    let style = if matches!(cell, Cell::Date(_)) {
                        Style::Date
                    } else {
                        Style::Month
                    };
                    book.number(r, col, excel_date(d)?.to_excel(), Some(style))?;
                    10
                }
                Cell::Decimal(x) => {
                    book.number(r, col, *x, Some(Style::Decimal))?;
                    8
                }
                Cell::Percent(x) => {
                    book.number(r, col, *x, Some(Style::Percent))?;
                    8
                }
                Cell::Empty => 0,
            };
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(shown.min(60));
            }
        }
    }
    let last_row = u32::try_from(rows.len()).map_err(|_| XlsxLimit::Size)?;
    if last_row >= ROW_MAX {
        return Err(XlsxLimit::Size.into());
    }
    let filter = (!header.is_empty()).then(|| (last_row, (header.len() - 1) as u16));
    let pixels: Vec<u32> = widths
        .iter()
        .map(|w| column_width_to_pixels((*w as f64 + 2.0).min(62.0)))
        .collect();
    book.package(sheet, &pixels, filter, created)
}

/// Excel's limits, as `rust_xlsxwriter` checks them.
#[derive(Debug, thiserror::Error)]
enum XlsxLimit {
    #[error("a workbook holds at most {ROW_MAX} rows and {COL_MAX} columns")]
    Size,
    #[error("a workbook cell holds at most 32 767 characters (UTF-16 code units)")]
    StringLength,
}

/// Excel's rows and columns (as `rust_xlsxwriter`'s `ROW_MAX`, `COL_MAX`).
const ROW_MAX: u32 = 1_048_576;
const COL_MAX: u16 = 16_384;

fn col(c: usize) -> anyhow::Result<u16> {
    u16::try_from(c)
        .ok()
        .filter(|c| *c < COL_MAX)
        .ok_or_else(|| XlsxLimit::Size.into())
}

/// A column width in characters as Excel's pixels (`rust_xlsxwriter`'s
/// `column_width_to_pixels`, for a maximum digit width of 7 and padding of 5 pixels).
fn column_width_to_pixels(width: f64) -> u32 {
    if width == 0.0 {
        0
    } else if width < 1.0 {
        (width * 12.0).round() as u32
    } else {
        (width * 7.0).round() as u32 + 5
    }
    .min(1790)
}

/// The cell formats the workbooks use; a sheet numbers them in the order first used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// The header: bold, wrapped.
    Header,
    /// Long texts, wrapped.
    Wrap,
    Date,
    Month,
    Decimal,
    Percent,
}

impl Style {
    /// The custom number format, if any.
    fn num_format(self) -> Option<&'static str> {
        match self {
            Style::Header | Style::Wrap => None,
            Style::Date => Some("yyyy-mm-dd"),
            Style::Month => Some("yyyy-mm"),
            Style::Decimal => Some("0.0"),
            Style::Percent => Some("0.0 %"),
        }
    }
}

/// What a stored cell holds: a shared string's index, a number, or nothing (a formatted blank).
#[derive(Debug, Clone, Copy)]
enum Value {
    Str(u32),
    Num(f64),
    Blank,
}

/// A stored cell: its column, value and format (0: none).
type Stored = (u16, Value, u32);

/// The one sheet being filled, and what its workbook parts are made of.
#[derive(Debug)]
struct Sheet<'a> {
    /// Rows in order: (row, cells in column order as (column, value, format)).
    rows: Vec<(u32, Vec<Stored>)>,
    /// Formats in the order first used (format `i + 1`).
    styles: Vec<Style>,
    /// Shared strings, in the order first written.
    strings: indexmap::IndexSet<&'a str>,
    /// String cells written (the table's `count`).
    string_cells: u32,
    /// first row, first column, last row, last column written.
    dims: (u32, u16, u32, u16),
}

impl Default for Sheet<'_> {
    fn default() -> Self {
        Sheet {
            rows: Vec::new(),
            styles: Vec::new(),
            strings: Default::default(),
            string_cells: 0,
            dims: (ROW_MAX, COL_MAX, 0, 0),
        }
    }
}

impl<'a> Sheet<'a> {
    fn style(&mut self, style: Option<Style>) -> u32 {
        let Some(style) = style else { return 0 };
        let at = match self.styles.iter().position(|s| *s == style) {
            Some(at) => at,
            None => {
                self.styles.push(style);
                self.styles.len() - 1
            }
        };
        at as u32 + 1
    }

    /// Stores a cell. Cells come row by row, each row's in column order (as [`bytes`] writes
    /// them), so a row's cells are appended to the last row or start the next.
    fn put(&mut self, row: u32, col: u16, value: Value, xf: u32) {
        debug_assert!(
            self.rows.last().is_none_or(|(r, cells)| *r < row
                || (*r == row && cells.last().is_none_or(|(c, _, _)| *c < col)))
        );
        let (fr, fc, lr, lc) = &mut self.dims;
        *fr = (*fr).min(row);
        *fc = (*fc).min(col);
        *lr = (*lr).max(row);
        *lc = (*lc).max(col);
        match self.rows.last_mut() {
            Some((r, cells)) if *r == row => cells.push((col, value, xf)),
            _ => self.rows.push((row, vec![(col, value, xf)])),
        }
    }

    /// A string cell (an empty string: nothing, or a blank cell when formatted).
    fn string(
        &mut self,
        row: u32,
        col: u16,
        s: &'a str,
        style: Option<Style>,
    ) -> anyhow::Result<()> {
        if row >= ROW_MAX {
            return Err(XlsxLimit::Size.into());
        }
        if s.is_empty() {
            if style.is_some() {
                let xf = self.style(style);
                self.put(row, col, Value::Blank, xf);
            }
            return Ok(());
        }
        if s.len() > 32_767 && s.encode_utf16().count() > 32_767 {
            return Err(XlsxLimit::StringLength.into());
        }
        let xf = self.style(style);
        let (at, _) = self.strings.insert_full(s);
        self.string_cells += 1;
        self.put(row, col, Value::Str(at as u32), xf);
        Ok(())
    }

    /// A number cell (not a number, or infinite: the text Excel shows for it).
    fn number(&mut self, row: u32, col: u16, x: f64, style: Option<Style>) -> anyhow::Result<()> {
        if row >= ROW_MAX {
            return Err(XlsxLimit::Size.into());
        }
        if x.is_nan() {
            return self.string(row, col, "NAN", style);
        }
        if x.is_infinite() {
            return self.string(row, col, if x > 0.0 { "INF" } else { "-INF" }, style);
        }
        let xf = self.style(style);
        self.put(row, col, Value::Num(x), xf);
        Ok(())
    }

    /// The workbook: its parts, deflated into a zip archive as `rust_xlsxwriter` writes it
    /// (through the `zip` crate, streamed). Parts that are the same from workbook to workbook
    /// (the theme, relations, content types, styles, properties) are deflated once per process.
    fn package(
        &self,
        sheet: &str,
        widths: &[u32],
        filter: Option<(u32, u16)>,
        created: NaiveDate,
    ) -> anyhow::Result<Vec<u8>> {
        let has_strings = !self.strings.is_empty();
        let mut parts: Vec<(&str, Arc<Deflated>)> = Vec::with_capacity(10);
        parts.push((
            "[Content_Types].xml",
            Deflated::shared(content_types(has_strings).into_bytes())?,
        ));
        parts.push(("_rels/.rels", Deflated::shared(ROOT_RELS.into())?));
        parts.push((
            "xl/_rels/workbook.xml.rels",
            Deflated::shared(workbook_rels(has_strings).into_bytes())?,
        ));
        parts.push(("xl/theme/theme1.xml", Deflated::shared(THEME.into())?));
        parts.push((
            "xl/styles.xml",
            Deflated::shared(self.styles_xml().into_bytes())?,
        ));
        parts.push((
            "xl/workbook.xml",
            Deflated::new(workbook_xml(sheet, filter).as_bytes())?.into(),
        ));
        parts.push((
            "xl/worksheets/sheet1.xml",
            Deflated::new(self.sheet_xml(widths, filter).as_bytes())?.into(),
        ));
        if has_strings {
            parts.push((
                "xl/sharedStrings.xml",
                Deflated::new(self.strings_xml().as_bytes())?.into(),
            ));
        }
        parts.push((
            "docProps/core.xml",
            Deflated::shared(core_xml(created).into_bytes())?,
        ));
        parts.push((
            "docProps/app.xml",
            Deflated::shared(app_xml(sheet).into_bytes())?,
        ));
        Ok(archive(&parts)?)
    }

    fn styles_xml(&self) -> String {
        use std::fmt::Write;
        let mut x = String::with_capacity(2048);
        x.push_str(XML_DECLARATION);
        x.push_str(
            r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
        );
        let formats: Vec<&str> = self.styles.iter().filter_map(|s| s.num_format()).collect();
        if !formats.is_empty() {
            let _ = write!(x, r#"<numFmts count="{}">"#, formats.len());
            for (i, f) in formats.iter().enumerate() {
                let _ = write!(x, r#"<numFmt numFmtId="{}" formatCode="{f}"/>"#, 164 + i);
            }
            x.push_str("</numFmts>");
        }
        const FONT: &str = r#"<sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>"#;
        let bold = self.styles.contains(&Style::Header);
        let _ = write!(x, r#"<fonts count="{}"><font>{FONT}"#, 1 + bold as usize);
        if bold {
            let _ = write!(x, "<font><b/>{FONT}");
        }
        x.push_str(concat!(
            "</fonts>",
            r#"<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>"#,
            r#"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#,
            r#"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#,
        ));
        let _ = write!(
            x,
            r#"<cellXfs count="{}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#,
            self.styles.len() + 1
        );
        let mut custom = 164;
        for s in &self.styles {
            match s {
                Style::Header => x.push_str(r#"<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment wrapText="1"/></xf>"#),
                Style::Wrap => x.push_str(r#"<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment wrapText="1"/></xf>"#),
                _ => {
                    let _ = write!(x, r#"<xf numFmtId="{custom}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#);
                    custom += 1;
                }
            }
        }
        x.push_str(concat!(
            "</cellXfs>",
            r#"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#,
            r#"<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/></styleSheet>"#,
        ));
        x
    }

    fn sheet_xml(&self, widths: &[u32], filter: Option<(u32, u16)>) -> String {
        use rust_xlsxwriter::utility::{cell_range, column_number_to_name};
        use std::fmt::Write;
        let mut x = String::with_capacity(1024 + self.string_cells as usize * 40);
        x.push_str(XML_DECLARATION);
        x.push_str(r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#);
        let (fr, fc, lr, lc) = self.dims;
        let dimension = if self.rows.is_empty() {
            "A1".to_string()
        } else {
            cell_range(fr, fc, lr, lc)
        };
        let _ = write!(x, r#"<dimension ref="{dimension}"/>"#);
        x.push_str(concat!(
            r#"<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>"#,
            r#"<sheetFormatPr defaultRowHeight="15"/>"#,
        ));
        if !widths.is_empty() {
            x.push_str("<cols>");
            let mut first = 0;
            for c in 0..widths.len() {
                if c + 1 < widths.len() && widths[c + 1] == widths[c] {
                    continue;
                }
                let w = widths[c];
                let chars = f64::from(w * 256 / 7) / 256.0;
                let custom = if w != 64 { r#" customWidth="1""# } else { "" };
                let _ = write!(
                    x,
                    r#"<col min="{}" max="{}" width="{chars}"{custom}/>"#,
                    first + 1,
                    c + 1
                );
                first = c + 1;
            }
            x.push_str("</cols>");
        }
        if self.rows.is_empty() {
            x.push_str("<sheetData/>");
        } else {
            x.push_str("<sheetData>");
            let names: Vec<String> = (0..=lc).map(column_number_to_name).collect();
            let spans = self.spans();
            for (r, cells) in &self.rows {
                let _ = write!(
                    x,
                    r#"<row r="{}" spans="{}">"#,
                    r + 1,
                    spans[(r / 16) as usize]
                );
                // the row's number once; each cell without the formatting machinery (but
                // for numbers, printed as `Display` prints an f64, as the crate does)
                let mut row = [0u8; 10];
                let row = digits(r + 1, &mut row);
                for (c, value, xf) in cells {
                    x.push_str(r#"<c r=""#);
                    x.push_str(&names[*c as usize]);
                    x.push_str(row);
                    if *xf > 0 {
                        x.push_str(r#"" s=""#);
                        x.push_str(digits(*xf, &mut [0u8; 10]));
                    }
                    match value {
                        Value::Str(i) => {
                            x.push_str(r#"" t="s"><v>"#);
                            x.push_str(digits(*i, &mut [0u8; 10]));
                            x.push_str("</v></c>");
                        }
                        Value::Num(n) => {
                            let _ = write!(x, r#""><v>{n}</v></c>"#);
                        }
                        Value::Blank => x.push_str(r#""/>"#),
                    }
                }
                x.push_str("</row>");
            }
            x.push_str("</sheetData>");
        }
        if let Some((last_row, last_col)) = filter {
            let _ = write!(
                x,
                r#"<autoFilter ref="{}"/>"#,
                cell_range(0, 0, last_row, last_col)
            );
        }
        x.push_str(r#"<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#);
        x
    }

    /// Each block of 16 rows' first and last column written (1-based), as `"first:last"`.
    fn spans(&self) -> Vec<String> {
        let blocks = (self.dims.2 / 16 + 1) as usize;
        let mut span: Vec<Option<(u16, u16)>> = vec![None; blocks];
        for (r, cells) in &self.rows {
            let s = &mut span[(r / 16) as usize];
            for (c, _, _) in cells {
                *s = Some(s.map_or((*c, *c), |(a, b)| (a.min(*c), b.max(*c))));
            }
        }
        span.into_iter()
            .map(|s| s.map_or_else(String::new, |(a, b)| format!("{}:{}", a + 1, b + 1)))
            .collect()
    }

    fn strings_xml(&self) -> String {
        use std::fmt::Write;
        let mut x =
            String::with_capacity(256 + self.strings.iter().map(|s| s.len() + 16).sum::<usize>());
        x.push_str(XML_DECLARATION);
        let _ = write!(
            x,
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{}" uniqueCount="{}">"#,
            self.string_cells,
            self.strings.len()
        );
        const WHITESPACE: [char; 3] = ['\t', '\n', ' '];
        for s in &self.strings {
            if s.starts_with(WHITESPACE) || s.ends_with(WHITESPACE) {
                x.push_str(r#"<si><t xml:space="preserve">"#);
            } else {
                x.push_str("<si><t>");
            }
            push_escaped(&mut x, s);
            x.push_str("</t></si>");
        }
        x.push_str("</sst>");
        x
    }
}

/// A part of the archive, deflated as the `zip` crate deflates it (`flate2`, level 6).
#[derive(Debug)]
struct Deflated {
    crc: u32,
    size: u32,
    data: Vec<u8>,
}

impl Deflated {
    fn new(bytes: &[u8]) -> std::io::Result<Deflated> {
        use std::io::Write;
        let size = u32::try_from(bytes.len())
            .map_err(|_| std::io::Error::other("a workbook part over 4 GiB"))?;
        // one compressor per thread, reset between parts (as the `zip` crate keeps one)
        thread_local! {
            static ENCODER: std::cell::RefCell<flate2::write::DeflateEncoder<Vec<u8>>> =
                std::cell::RefCell::new(flate2::write::DeflateEncoder::new(
                    Vec::new(),
                    flate2::Compression::new(6),
                ));
        }
        let data = ENCODER.with_borrow_mut(|e| {
            e.get_mut().reserve(bytes.len() / 3 + 64);
            e.write_all(bytes)?;
            e.reset(Vec::new())
        })?;
        u32::try_from(data.len())
            .map_err(|_| std::io::Error::other("a workbook part over 4 GiB"))?;
        Ok(Deflated {
            crc: crc32fast::hash(bytes),
            size,
            data,
        })
    }

    /// `bytes` deflated, from the process's store of parts met before (few distinct ones).
    fn shared(bytes: Vec<u8>) -> std::io::Result<Arc<Deflated>> {
        type Store = std::sync::Mutex<rustc_hash::FxHashMap<Vec<u8>, Arc<Deflated>>>;
        static STORE: std::sync::LazyLock<Store> = std::sync::LazyLock::new(Default::default);
        if let Some(d) = STORE.lock().ok().and_then(|s| s.get(&bytes).cloned()) {
            return Ok(d);
        }
        let d = Arc::new(Deflated::new(&bytes)?);
        if let Ok(mut s) = STORE.lock()
            && s.len() < 1024
        {
            s.insert(bytes, d.clone());
        }
        Ok(d)
    }
}

/// The zip archive of `parts` as the `zip` crate streams it for `rust_xlsxwriter`: each part
/// with a local header (deflated, the 1980-01-01 time, sizes in a data descriptor after the
/// data), then the central directory (Unix, mode 0600) and its end record.
fn archive(parts: &[(&str, Arc<Deflated>)]) -> std::io::Result<Vec<u8>> {
    let total: usize = parts
        .iter()
        .map(|(n, p)| 100 + 2 * n.len() + p.data.len())
        .sum();
    let mut out = Vec::with_capacity(total + 22);
    let mut central = Vec::with_capacity(parts.len() * 80);
    const TIME: u16 = 0;
    const DATE: u16 = 33; // 1980-01-01 in MS-DOS form
    let u16le = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let u32le = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    let at = |out: &Vec<u8>| {
        u32::try_from(out.len()).map_err(|_| std::io::Error::other("a workbook over 4 GiB"))
    };
    for (name, p) in parts {
        let offset = at(&out)?;
        let name_len = name.len() as u16;
        u32le(&mut out, 0x0403_4b50);
        for x in [20, 0x0008, 8, TIME, DATE] {
            u16le(&mut out, x);
        }
        for x in [0, 0, 0] {
            u32le(&mut out, x);
        }
        u16le(&mut out, name_len);
        u16le(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&p.data);
        for x in [0x0807_4b50, p.crc, p.data.len() as u32, p.size] {
            u32le(&mut out, x);
        }
        u32le(&mut central, 0x0201_4b50);
        for x in [0x0314, 20, 0x0008, 8, TIME, DATE] {
            u16le(&mut central, x);
        }
        for x in [p.crc, p.data.len() as u32, p.size] {
            u32le(&mut central, x);
        }
        for x in [name_len, 0, 0, 0, 0] {
            u16le(&mut central, x);
        }
        u32le(&mut central, 0o100600 << 16);
        u32le(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let central_at = at(&out)?;
    let central_len = at(&central)?;
    out.extend_from_slice(&central);
    at(&out)?;
    u32le(&mut out, 0x0605_4b50);
    let n = parts.len() as u16;
    for x in [0, 0, n, n] {
        u16le(&mut out, x);
    }
    u32le(&mut out, central_len);
    u32le(&mut out, central_at);
    u16le(&mut out, 0);
    Ok(out)
}

/// `n` in decimal digits, written into `buf`.
fn digits(mut n: u32, buf: &mut [u8; 10]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // only ASCII digits were written
    std::str::from_utf8(&buf[at..]).unwrap_or_default()
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// The Office theme every workbook carries (`rust_xlsxwriter`'s default, as it writes it).
const THEME: &[u8] = include_bytes!("xlsx_theme1.xml");

const ROOT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#
);

fn content_types(has_strings: bool) -> String {
    let mut x = String::with_capacity(1200);
    x.push_str(XML_DECLARATION);
    x.push_str(r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#);
    if has_strings {
        x.push_str(r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#);
    }
    x.push_str("</Types>");
    x
}

fn workbook_rels(has_strings: bool) -> String {
    let mut x = String::with_capacity(800);
    x.push_str(XML_DECLARATION);
    x.push_str(r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" Target="theme/theme1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#);
    if has_strings {
        x.push_str(r#"<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#);
    }
    x.push_str("</Relationships>");
    x
}

fn workbook_xml(sheet: &str, filter: Option<(u32, u16)>) -> String {
    use rust_xlsxwriter::utility::{cell_range_absolute, quote_sheet_name};
    let mut x = String::with_capacity(800);
    x.push_str(XML_DECLARATION);
    x.push_str(r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/><workbookPr defaultThemeVersion="124226"/><bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews><sheets><sheet name=""#);
    push_escaped_attribute(&mut x, sheet);
    x.push_str(r#"" sheetId="1" r:id="rId1"/></sheets>"#);
    if let Some((last_row, last_col)) = filter {
        x.push_str(r#"<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">"#);
        let range = format!(
            "{}!{}",
            quote_sheet_name(sheet),
            cell_range_absolute(0, 0, last_row, last_col)
        );
        push_escaped(&mut x, &range);
        x.push_str("</definedName></definedNames>");
    }
    x.push_str(r#"<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>"#);
    x
}

fn core_xml(created: NaiveDate) -> String {
    let date = format!("{}T00:00:00Z", crate::engine::values::iso_day(created));
    format!(
        "{XML_DECLARATION}{}{date}{}{date}{}",
        r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator></dc:creator><cp:lastModifiedBy></cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">"#,
        r#"</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">"#,
        r#"</dcterms:modified></cp:coreProperties>"#
    )
}

fn app_xml(sheet: &str) -> String {
    let mut x = String::with_capacity(900);
    x.push_str(XML_DECLARATION);
    x.push_str(r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="1" baseType="lpstr"><vt:lpstr>"#);
    push_escaped(&mut x, sheet);
    x.push_str(r#"</vt:lpstr></vt:vector></TitlesOfParts><Company></Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion></Properties>"#);
    x
}

/// `s` as XML character data the way Excel writes it: `&`, `<`, `>` as entities, control
/// characters (but tab and newline) and U+FFFE/U+FFFF as `_xHHHH_`, and the underscore of a
/// literal `_xHHHH_` in the text as `_x005F_` so it is not read as such an escape.
fn push_escaped(x: &mut String, s: &str) {
    let b = s.as_bytes();
    // most texts have nothing to escape (0xEF starts U+FFFE and U+FFFF in UTF-8)
    if !b
        .iter()
        .any(|c| matches!(c, b'&' | b'<' | b'>' | b'_' | 0..=0x1f | 0xef))
    {
        x.push_str(s);
        return;
    }
    let mut from = 0;
    for (i, ch) in s.char_indices() {
        let escaped: Option<std::borrow::Cow<'static, str>> = match ch {
            '&' => Some("&amp;".into()),
            '<' => Some("&lt;".into()),
            '>' => Some("&gt;".into()),
            '\t' | '\n' => None,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {
                Some(format!("_x{:04X}_", ch as u32).into())
            }
            '_' if literal_escape(&b[i..]) => Some("_x005F_".into()),
            _ => None,
        };
        if let Some(e) = escaped {
            x.push_str(&s[from..i]);
            x.push_str(&e);
            from = i + ch.len_utf8();
        }
    }
    x.push_str(&s[from..]);
}

/// Whether `b` starts with `_xHHHH_` (four hex digits).
fn literal_escape(b: &[u8]) -> bool {
    b.len() >= 7 && b[1] == b'x' && b[2..6].iter().all(u8::is_ascii_hexdigit) && b[6] == b'_'
}

/// `s` as an XML attribute value (as `rust_xlsxwriter` escapes attributes).
fn push_escaped_attribute(x: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '&' => x.push_str("&amp;"),
            '"' => x.push_str("&quot;"),
            '<' => x.push_str("&lt;"),
            '>' => x.push_str("&gt;"),
            '\n' => x.push_str("&#xA;"),
            _ => x.push(ch),
        }
    }
}

/// Writes a one-sheet workbook named `name` into the output folder (staged like every file).
pub fn write(
    out: &OutputDir,
    name: &str,
    sheet: &str,
    header: &[&str],
    rows: &[Vec<Cell>],
    created: NaiveDate,
) -> anyhow::Result<Staged> {
    let bytes = bytes(sheet, header, rows, created)?;
    out.stage_bytes(name, &bytes, rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The workbook as `rust_xlsxwriter`'s `Workbook` writes it (what [`bytes`] wrote before it
    /// wrote the parts itself): the reference the tests compare with byte for byte.
    fn reference(
        sheet: &str,
        header: &[&str],
        rows: &[Vec<Cell>],
        created: NaiveDate,
    ) -> anyhow::Result<Vec<u8>> {
        use rust_xlsxwriter::{DocProperties, Format, Workbook};
        let mut wb = Workbook::new();
        wb.set_properties(&DocProperties::new().set_creation_datetime(&excel_date(&created)?));
        let ws = wb.add_worksheet();
        ws.set_name(sheet)?;
        let bold = Format::new().set_bold().set_text_wrap();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let month = Format::new().set_num_format("yyyy-mm");
        let wrap = Format::new().set_text_wrap();
        let decimal = Format::new().set_num_format("0.0");
        let percent = Format::new().set_num_format("0.0 %");
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count().min(30)).collect();
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                let shown = match cell {
                    Cell::Id(s) | Cell::Text(s) => {
                        if s.chars().count() > 60 {
                            ws.write_string_with_format(r, col, s, &wrap)?;
                        } else {
                            ws.write_string(r, col, s)?;
                        }
                        s.chars().count()
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, col, *n as f64)?;
                        n.to_string().len()
                    }
                    Cell::Date(d) | Cell::Month(d) => {
                        let dt = excel_date(d)?;
                        let f = if matches!(cell, Cell::Date(_)) {
                            &date
                        } else {
                            &month
                        };
                        ws.write_datetime_with_format(r, col, &dt, f)?;
                        10
                    }
                    Cell::Decimal(x) => {
                        ws.write_number_with_format(r, col, *x, &decimal)?;
                        8
                    }
                    Cell::Percent(x) => {
                        ws.write_number_with_format(r, col, *x, &percent)?;
                        8
                    }
                    Cell::Empty => 0,
                };
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(shown.min(60));
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w as f64 + 2.0).min(62.0))?;
        }
        ws.set_freeze_panes(1, 0)?;
        if !header.is_empty() {
            ws.autofilter(0, 0, rows.len() as u32, header.len() as u16 - 1)?;
        }
        Ok(wb.save_to_buffer()?)
    }

    /// A part of a workbook, as text.
    fn part(workbook: &[u8], name: &str) -> String {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(workbook)).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_workbooks_bytes_are_rust_xlsxwriters() {
        let d = day(2026, 11, 16);
        let long = "lang begrunnelse ".repeat(6);
        let rows = vec![
            vec![
                Cell::Id("0314".into()),
                Cell::Text("Ærlig & <ren> \"tekst\"".into()),
                Cell::Int(-3),
                Cell::Date(d),
                Cell::Month(day(1900, 1, 1)),
                Cell::Decimal(120.0),
                Cell::Percent(0.125),
                Cell::Empty,
                Cell::Text(long.clone()),
            ],
            vec![Cell::Empty; 9],
            vec![
                Cell::Text(" foran og bak ".into()),
                Cell::Text("_x0041_ og _x12G4_ og _x00411_ \u{1}\u{b}\u{1f}\t\n\u{fffe}".into()),
                Cell::Int(i64::MAX),
                Cell::Decimal(f64::NAN),
                Cell::Percent(f64::INFINITY),
                Cell::Decimal(f64::NEG_INFINITY),
                Cell::Decimal(1e-7),
                Cell::Decimal(-0.0),
                Cell::Text(String::new()),
            ],
        ];
        let header = ["a", "", "Måneder", "d", "e", "f", "g", "h", "i"];
        type Case<'a> = (&'a str, Vec<&'a str>, Vec<Vec<Cell>>);
        let mut cases: Vec<Case> = vec![
            ("KVP-kandidater", header.to_vec(), rows.clone()),
            ("Kontor oversikt", header.to_vec(), rows[..1].to_vec()),
            ("Ark", vec!["bare"], vec![]),
            ("Ark", vec!["a", "b"], vec![vec![Cell::Empty, Cell::Int(1)]]),
            ("Ark", vec![], vec![vec![Cell::Int(1)]]),
            ("Ark", vec![], vec![]),
            ("1 år's", vec!["x"], vec![vec![Cell::Text("y".into())]]),
        ];
        // 40 rows of which some blocks of 16 hold other columns (spans), 30 columns (AA…)
        let wide: Vec<&str> = (0..30).map(|_| "kolonne").collect();
        let many: Vec<Vec<Cell>> = (0..40)
            .map(|r| {
                (0..30)
                    .map(|c| match (r % 7, c % 5) {
                        _ if r > 20 && c > 3 => Cell::Empty,
                        (0, _) => Cell::Int(r * 30 + c),
                        (_, 0) => Cell::Text(format!("rad {r}")),
                        (_, 1) => Cell::Text(long.clone()),
                        (_, 2) => Cell::Date(day(2020 + (r as i32 % 5), 1 + c as u32 % 12, 1)),
                        _ => Cell::Empty,
                    })
                    .collect()
            })
            .collect();
        cases.push(("Mange", wide, many));
        for (sheet, header, rows) in cases {
            let want = reference(sheet, &header, &rows, d).unwrap();
            let got = bytes(sheet, &header, &rows, d).unwrap();
            for name in [
                "xl/worksheets/sheet1.xml",
                "xl/styles.xml",
                "xl/workbook.xml",
            ] {
                assert_eq!(part(&got, name), part(&want, name), "{sheet}: {name}");
            }
            assert!(got == want, "{sheet}: the archives differ");
        }
    }

    #[test]
    fn digits_are_decimal() {
        for n in [0, 7, 10, 99, 100, 1_048_576, u32::MAX] {
            assert_eq!(digits(n, &mut [0u8; 10]), n.to_string());
        }
    }

    #[test]
    fn rich_text_markup_in_a_value_is_escaped_like_any_text() {
        let d = day(2026, 11, 16);
        let rows = vec![vec![Cell::Text("<r>&</r>".into())]];
        let strings = part(
            &bytes("Ark", &["v"], &rows, d).unwrap(),
            "xl/sharedStrings.xml",
        );
        assert!(
            strings.contains("<si><t>&lt;r&gt;&amp;&lt;/r&gt;</t></si>"),
            "{strings}"
        );
        // rust_xlsxwriter writes it as markup, unescaped: a file Excel cannot read
        let theirs = part(
            &reference("Ark", &["v"], &rows, d).unwrap(),
            "xl/sharedStrings.xml",
        );
        assert!(theirs.contains("<si><r>&</r></si>"), "{theirs}");
    }

    #[test]
    fn what_excel_cannot_hold_is_an_error() {
        let d = day(2026, 11, 16);
        let long = vec![vec![Cell::Text("x".repeat(32_768))]];
        assert!(bytes("Ark", &["v"], &long, d).is_err());
        let just = vec![vec![Cell::Text("x".repeat(32_767))]];
        assert!(bytes("Ark", &["v"], &just, d).is_ok());
        assert!(bytes("Ark[1]", &["v"], &[], d).is_err());
        assert!(bytes("Ark", &["v"], &[vec![Cell::Date(day(10_000, 1, 1))]], d).is_err());
        // dates at and beyond Excel's range: an error where rust_xlsxwriter gives one, else
        // its bytes
        for edge in [
            day(1899, 12, 31),
            day(1900, 1, 1),
            day(1900, 2, 28),
            day(1900, 3, 1),
            day(9999, 12, 31),
            day(10_000, 1, 1),
            day(-1, 1, 1),
            day(67_436, 1, 1),
        ] {
            for (rows, created) in [(vec![vec![Cell::Date(edge)]], d), (vec![], edge)] {
                let want = reference("Ark", &["v"], &rows, created);
                let got = bytes("Ark", &["v"], &rows, created);
                match (got, want) {
                    (Ok(got), Ok(want)) => assert!(got == want, "{edge}"),
                    (got, want) => assert_eq!(got.is_err(), want.is_err(), "{edge}"),
                }
            }
        }
    }

    fn cell() -> impl Strategy<Value = Cell> {
        let text = "[a-zA-Z0-9 _xæøå&<>\"'\t\n\u{1}\u{1f}\u{fffe}]{0,70}";
        prop_oneof![
            text.prop_filter("rich text markup", |s| !(s.starts_with("<r>")
                && s.ends_with("</r>")))
                .prop_map(Cell::Text),
            "[0-9]{0,11}".prop_map(Cell::Id),
            any::<i64>().prop_map(Cell::Int),
            (1900i32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| Cell::Date(day(y, m, d))),
            (1900i32..2100, 1u32..13).prop_map(|(y, m)| Cell::Month(day(y, m, 1))),
            any::<f64>().prop_map(Cell::Decimal),
            (0.0f64..1.0).prop_map(Cell::Percent),
            Just(Cell::Empty),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Any rows give rust_xlsxwriter's bytes (texts that are whole `<r>…</r>` markup aside).
        #[test]
        fn any_rows_give_rust_xlsxwriters_bytes(
            cols in 1usize..6,
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..6), 0..40),
        ) {
            let header: Vec<&str> = ["a", "bb", "Begrunnelse", "d", "e", "f"][..cols].to_vec();
            let d = day(2026, 11, 16);
            let want = reference("KVP-kandidater", &header, &rows, d).unwrap();
            let got = bytes("KVP-kandidater", &header, &rows, d).unwrap();
            prop_assert_eq!(
                part(&got, "xl/worksheets/sheet1.xml"),
                part(&want, "xl/worksheets/sheet1.xml")
            );
            prop_assert!(got == want);
        }
    }

    #[test]
    fn figures_are_typed_as_a_spreadsheet_needs_them() {
        assert_eq!(Cell::figure("1234"), Cell::Int(1234));
        assert_eq!(Cell::figure("0"), Cell::Int(0));
        assert_eq!(Cell::figure("0312"), Cell::Text("0312".into()));
        assert_eq!(Cell::figure("<5"), Cell::Text("<5".into()));
        assert_eq!(Cell::figure(":"), Cell::Text(":".into()));
        assert_eq!(Cell::figure("25,0 %"), Cell::Percent(0.25));
        assert_eq!(Cell::figure("12.5 %"), Cell::Percent(0.125));
        assert_eq!(Cell::figure("120,0"), Cell::Decimal(120.0));
        assert_eq!(Cell::figure(""), Cell::Empty);
    }

    #[test]
    fn cells_keep_ids_as_text_in_csv_and_dates_as_iso() {
        assert_eq!(Cell::Id("0314".into()).csv(), "=\"0314\"");
        assert_eq!(Cell::Text("=SUM(1)".into()).csv(), "'=SUM(1)");
        let d = NaiveDate::from_ymd_opt(2026, 11, 5).unwrap();
        assert_eq!(Cell::Date(d).csv(), "2026-11-05");
        assert_eq!(Cell::Month(d).csv(), "2026-11");
        assert_eq!(Cell::Int(7).csv(), "7");
    }

    #[test]
    fn the_same_rows_give_the_same_bytes() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let rows = vec![vec![Cell::Id("0314".into()), Cell::Int(3), Cell::Date(d)]];
        let a = bytes("s", &["a", "b", "c"], &rows, d).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let b = bytes("s", &["a", "b", "c"], &rows, d).unwrap();
        assert_eq!(a, b);
    }
}
