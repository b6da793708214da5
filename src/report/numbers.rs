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

/// A table cell as shown: a plain count is grouped, anything else (`<5`, `:`, a share) is
/// left as it is.
pub fn cell(s: &str, lang: Lang) -> String {
    match s.parse::<u64>() {
        Ok(n) if !s.starts_with('+') && !s.starts_with('0') || s == "0" => group(n, lang),
        _ => s.to_string(),
    }
}

/// Registers the page filter `tall` (see [`cell`]) on a template environment.
pub fn register(env: &mut minijinja::Environment<'_>, lang: Lang) {
    env.add_filter("tall", move |v: minijinja::Value| -> String {
        match v.as_str() {
            Some(s) => cell(s, lang),
            None => cell(&v.to_string(), lang),
        }
    });
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
    }
}
