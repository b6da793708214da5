//! Excel workbooks (`.xlsx`) beside the CSVs: typed cells (ids and office numbers as text,
//! numbers as numbers, dates as dates), a frozen header row, filters and column widths, so a
//! list opens right in Excel with Norwegian settings without the CSV import dialogue.

use chrono::NaiveDate;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

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

fn excel_date(d: &NaiveDate) -> anyhow::Result<ExcelDateTime> {
    use chrono::Datelike;
    Ok(ExcelDateTime::from_ymd(
        d.year() as u16,
        d.month() as u8,
        d.day() as u8,
    )?)
}

/// The workbook's bytes: one sheet, typed cells, frozen header, filter, widths. `created` is
/// the date recorded in its properties (the scan date), so the same rows give the same bytes.
pub fn bytes(
    sheet: &str,
    header: &[&str],
    rows: &[Vec<Cell>],
    created: NaiveDate,
) -> anyhow::Result<Vec<u8>> {
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
                    // a formula is never written: every string is a string cell
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
