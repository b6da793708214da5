//! Numbers on pages as people read them: thousands grouped (`63 758` in Norwegian, with a
//! no-break space so a number never breaks over two lines; `63,758` in English). CSV, JSON and
//! Parquet keep plain digits for the tools that read them.

use crate::contract::Lang;

/// `n` with its thousands grouped.
pub fn group(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let sep = match lang {
        Lang::Nb => '\u{a0}',
        Lang::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A figure that is a plain count: digits only, without a leading zero (`0312` is an id),
/// or `0` itself.
pub fn count(s: &str) -> Option<u64> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits && (s == "0" || !s.starts_with('0')))
        .then(|| s.parse().ok())
        .flatten()
}

/// A table cell as shown: a plain count is grouped, anything else (`<5`, `:`, a share) is
/// left as it is.
pub fn cell(s: &str, lang: Lang) -> String {
    match count(s) {
        Some(n) => group(n, lang),
        None => s.to_string(),
    }
}

/// A number already written with a decimal point, with the decimal comma in Norwegian.
pub fn decimal_mark(s: &str, lang: Lang) -> String {
    match lang {
        Lang::Nb => s.replace('.', ","),
        Lang::En => s.to_string(),
    }
}

/// `x` with `digits` decimals (`12,5` in Norwegian, `12.5` in English).
pub fn decimal(x: f64, digits: usize, lang: Lang) -> String {
    decimal_mark(&format!("{x:.digits$}"), lang)
}

/// A share 0–1 as a percentage with one decimal: `12,5 %`.
pub fn percent(x: f64, lang: Lang) -> String {
    format!("{} %", decimal(x * 100.0, 1, lang))
}

/// A duration in seconds with two decimals, for the console.
pub fn seconds(d: std::time::Duration, lang: Lang) -> String {
    decimal(d.as_secs_f64(), 2, lang)
}

/// Registers the page filter `tall` (see [`cell`]) on a template environment.
pub fn register(env: &mut minijinja::Environment<'_>, lang: Lang) {
    env.add_filter("tall", move |v: minijinja::Value| -> String {
        match v.as_str() {
            Some(s) => cell(s, lang),
            None => cell(&v.to_string(), lang),
        }
    });
    // a page text from `i18n::pages` (written HTML-ready) with its `{}` filled by the values,
    // each escaped as `{{ }}` would
    env.add_filter(
        "fill",
        |text: &str, values: minijinja::value::Rest<minijinja::Value>| {
            let values: Vec<String> = values
                .iter()
                .map(|v| minijinja::HtmlEscape(&v.to_string()).to_string())
                .collect();
            let values: Vec<&dyn std::fmt::Display> =
                values.iter().map(|v| v as &dyn std::fmt::Display).collect();
            minijinja::Value::from_safe_string(crate::i18n::fill(text, &values))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_per_language() {
        assert_eq!(group(0, Lang::Nb), "0");
        assert_eq!(group(999, Lang::Nb), "999");
        assert_eq!(group(63_758, Lang::Nb), "63\u{a0}758");
        assert_eq!(group(1_234_567, Lang::En), "1,234,567");
        assert_eq!(cell("<5", Lang::Nb), "<5");
        assert_eq!(cell(":", Lang::Nb), ":");
        assert_eq!(cell("12,5 %", Lang::Nb), "12,5 %");
        // an id-like number with a leading zero is not a count
        assert_eq!(cell("0312", Lang::Nb), "0312");
        assert_eq!(cell("12345", Lang::En), "12,345");
        assert_eq!(cell("+5", Lang::En), "+5");
        assert_eq!(percent(0.125, Lang::Nb), "12,5 %");
        assert_eq!(decimal(120.0, 1, Lang::En), "120.0");
    }
}
