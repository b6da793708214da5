//! Rule-file diagnostics: a message pointing at `file:line:col`, the source line with a caret,
//! and a `help:` line, in the style of ruff and uv.

use std::fmt::Write;
use std::ops::Range;
use std::sync::Arc;

/// The kinds of rule-file problem `rules check` reports, each with its name (shown as
/// `error[name]`) and one line of documentation (README, "Rule-file diagnostics").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A rule folder or file cannot be read.
    Io,
    /// The rule folder holds no `.toml` rule file.
    NoRules,
    /// The file is not valid TOML, or has a field the rule-file format does not know.
    Toml,
    /// Two rule files carry the same `id`.
    DuplicateId,
    /// The `id` is not lowercase letters, digits and `_`.
    BadId,
    /// A text (`tittel`, `forklaring`, `krav`, `neste_steg`, `kort_*`) lacks its `nb` or `en` version.
    MissingText,
    /// `krever` names a table that is not an optional contract table.
    Krever,
    /// The SQL, or `krever`, names a table the contract and the facts do not have.
    UnknownTable,
    /// The SQL reads a column its table does not have.
    UnknownColumn,
    /// A parameter has no value, dated values out of order, or values of mixed types.
    BadParameter,
    /// `gir_status` on a rule that is not an exclusion, or a status an exclusion cannot set.
    GirStatus,
    /// An example case is malformed: an unknown table, a bad date, or a `mangler` that is not optional.
    Example,
    /// A template (`forklaring`, `krav`, `kort_forklaring`) is not valid Jinja.
    Template,
    /// A template uses a variable the rule's SQL, parameters and built-ins do not provide.
    TemplateVariable,
    /// A template renders `person_id`, which would leak into pseudonymised outputs.
    TemplatePersonId,
    /// The SQL does not parse in DataFusion's dialect.
    SqlSyntax,
    /// The SQL parses but cannot be planned against the contract (types, functions, grouping).
    Sql,
    /// The SQL does not return a string `person_id` column.
    NoPersonId,
    /// The SQL does not return the `skanningsdato` date column of the facts it reads.
    NoScanDate,
    /// A `[krav.<name>]` has no boolean column `krav_<name>` in the SQL, or the reverse.
    Krav,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::Io,
        Code::NoRules,
        Code::Toml,
        Code::DuplicateId,
        Code::BadId,
        Code::MissingText,
        Code::Krever,
        Code::UnknownTable,
        Code::UnknownColumn,
        Code::BadParameter,
        Code::GirStatus,
        Code::Example,
        Code::Template,
        Code::TemplateVariable,
        Code::TemplatePersonId,
        Code::SqlSyntax,
        Code::Sql,
        Code::NoPersonId,
        Code::NoScanDate,
        Code::Krav,
    ];

    /// The name shown in `error[...]`.
    pub fn name(self) -> &'static str {
        match self {
            Code::Io => "io",
            Code::NoRules => "no-rules",
            Code::Toml => "toml",
            Code::DuplicateId => "duplicate-id",
            Code::BadId => "bad-id",
            Code::MissingText => "missing-text",
            Code::Krever => "krever",
            Code::UnknownTable => "unknown-table",
            Code::UnknownColumn => "unknown-column",
            Code::BadParameter => "bad-parameter",
            Code::GirStatus => "gir-status",
            Code::Example => "example",
            Code::Template => "template",
            Code::TemplateVariable => "template-variable",
            Code::TemplatePersonId => "template-person-id",
            Code::SqlSyntax => "sql-syntax",
            Code::Sql => "sql",
            Code::NoPersonId => "no-person-id",
            Code::NoScanDate => "no-scan-date",
            Code::Krav => "krav",
        }
    }

    /// What the code means, in one line.
    pub fn doc(self) -> &'static str {
        match self {
            Code::Io => "A rule folder or file cannot be read.",
            Code::NoRules => "The rule folder holds no `.toml` rule file.",
            Code::Toml => {
                "The file is not valid TOML, or has a field the rule-file format does not know."
            }
            Code::DuplicateId => "Two rule files carry the same `id`.",
            Code::BadId => "The `id` is not lowercase letters, digits and `_`.",
            Code::MissingText => {
                "A text (`tittel`, `forklaring`, `krav`, `neste_steg`, `kort_*`) lacks its `nb` or `en` version."
            }
            Code::Krever => "`krever` names a table that is not an optional contract table.",
            Code::UnknownTable => {
                "The SQL, or `krever`, names a table the contract and the facts do not have."
            }
            Code::UnknownColumn => "The SQL reads a column its table does not have.",
            Code::BadParameter => {
                "A parameter has no value, dated values out of order, or values of mixed types."
            }
            Code::GirStatus => {
                "`gir_status` on a rule that is not an exclusion, or a status an exclusion cannot set."
            }
            Code::Example => {
                "An example case is malformed: an unknown table, a bad date, or a `mangler` that is not optional."
            }
            Code::Template => {
                "A template (`forklaring`, `krav`, `kort_forklaring`) is not valid Jinja."
            }
            Code::TemplateVariable => {
                "A template uses a variable the rule's SQL, parameters and built-ins do not provide."
            }
            Code::TemplatePersonId => {
                "A template renders `person_id`, which would leak into pseudonymised outputs."
            }
            Code::SqlSyntax => "The SQL does not parse in DataFusion's dialect.",
            Code::Sql => {
                "The SQL parses but cannot be planned against the contract (types, functions, grouping)."
            }
            Code::NoPersonId => "The SQL does not return a string `person_id` column.",
            Code::NoScanDate => {
                "The SQL does not return the `skanningsdato` date column of the facts it reads."
            }
            Code::Krav => {
                "A `[krav.<name>]` has no boolean column `krav_<name>` in the SQL, or the reverse."
            }
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub file: String,
    pub source: Arc<str>,
    /// Byte range in `source`.
    pub span: Option<Range<usize>>,
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        file: &str,
        source: Arc<str>,
        span: Option<Range<usize>>,
        code: Code,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.to_string(),
            source,
            span,
            code,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column (in characters) of the span's start.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let start = floor_boundary(&self.source, self.span.as_ref()?.start);
        let before = &self.source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Some((line, before[line_start..].chars().count() + 1))
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        match self.line_col() {
            Some((line, col)) => {
                let _ = writeln!(
                    out,
                    "{}:{line}:{col}: error[{}]: {}",
                    self.file, self.code, self.message
                );
                let text = self.source.lines().nth(line - 1).unwrap_or("");
                let span = self.span.clone().unwrap_or(0..0);
                let from = floor_boundary(&self.source, span.start);
                let to = floor_boundary(&self.source, span.end).max(from);
                let width = self.source[from..to]
                    .lines()
                    .next()
                    .map_or(1, |s| s.chars().count().max(1));
                let gutter = " ".repeat(line.to_string().len());
                let _ = writeln!(out, "{gutter} |");
                let _ = writeln!(out, "{line} | {text}");
                let _ = writeln!(
                    out,
                    "{gutter} | {}{}",
                    " ".repeat(col - 1),
                    "^".repeat(width)
                );
            }
            None => {
                let _ = writeln!(out, "{}: error[{}]: {}", self.file, self.code, self.message);
            }
        }
        if let Some(h) = &self.help {
            let _ = writeln!(out, "help: {h}");
        }
        out
    }
}

/// `i` clamped to `s` and moved back to the start of the character it falls in, so a span
/// computed from edited or broken text can never slice inside a character.
pub fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The byte offset in the file of the character at byte `offset` of a string value's content,
/// given the span of the value's token (quotes included). Exact for literal strings and for
/// basic strings without escapes.
pub fn offset_in_value(source: &str, value_span: &Range<usize>, offset: usize) -> usize {
    content_start(source, value_span) + offset
}

/// Where a string value's content starts: after the quotes, and after the newline that
/// directly follows a multi-line opening delimiter.
pub fn content_start(source: &str, value_span: &Range<usize>) -> usize {
    let mut start = floor_boundary(source, value_span.start);
    let tok = &source[start..];
    if tok.starts_with("'''") || tok.starts_with("\"\"\"") {
        start += 3;
        let rest = &source[start..];
        if rest.starts_with("\r\n") {
            start += 2;
        } else if rest.starts_with('\n') {
            start += 1;
        }
    } else if tok.starts_with('\'') || tok.starts_with('"') {
        start += 1;
    }
    start
}

/// The byte offset in the file of a 1-based line and column of a string value's content.
pub fn line_col_in_value(
    source: &str,
    value_span: &Range<usize>,
    line: usize,
    col: usize,
) -> usize {
    let start = content_start(source, value_span);
    let end = floor_boundary(source, value_span.end).max(start);
    let content = source.get(start..end).unwrap_or("");
    let mut offset = 0;
    for (i, l) in content.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let byte_col: usize = l
                .chars()
                .take(col.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return start + offset + byte_col;
        }
        offset += l.len();
    }
    start
}

/// Rule-file problems, printed as diagnostics (the whole list, then a count).
#[derive(Debug, thiserror::Error)]
#[error("{}", render_all(.0))]
pub struct RuleErrors(pub Vec<Diagnostic>);

/// Every diagnostic, then how many there were.
pub fn render_all(d: &[Diagnostic]) -> String {
    let mut s = String::new();
    for x in d {
        s.push_str(&x.render());
        s.push('\n');
    }
    s.push_str(&format!("{} problem(s) in the rule files", d.len()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_col_caret_and_help() {
        let src: Arc<str> = "a = 1\nsql = '''\nSELECT x\nFROM y'''\n".into();
        let span = 12..src.len() - 1;
        let at = line_col_in_value(&src, &span, 2, 6);
        let d = Diagnostic::new(
            "rules/r.toml",
            src.clone(),
            Some(at..at + 1),
            Code::Sql,
            "unknown table y",
        )
        .with_help("use a known table");
        assert_eq!(d.line_col(), Some((4, 6)));
        assert_eq!(
            d.render(),
            "rules/r.toml:4:6: error[sql]: unknown table y\n  |\n4 | FROM y'''\n  |      ^\nhelp: use a known table\n"
        );
    }

    /// Every code has a unique name and a line of documentation, and the README lists it.
    #[test]
    fn every_code_is_named_documented_and_listed() {
        let readme = include_str!("../../README.md");
        let mut names = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(names.insert(c.name()), "{c:?}");
            assert!(c.doc().ends_with('.'), "{c:?}");
            assert!(
                readme.contains(&format!("| `{}` | {} |", c.name(), c.doc())),
                "{c:?}"
            );
        }
    }
}
