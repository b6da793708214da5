//! Every interface text in Norwegian (bokmål) and English, keyed in one place:
//! [`console`] (summaries on stderr, `history`, `audit verify`, the frame of an error),
//! [`pages`] (the labels and sentences of the HTML pages, workbooks and CSV headers) and
//! [`labels`] (the words for the codes of the data contract and the outputs). A text is chosen
//! one way: by its key and a [`Lang`] ([`Keyed`] texts with values, [`Table`] rows by a string
//! key), never by matching on the language where it is used. Two kinds of text stay beside
//! what they describe, each also in one form: a CSV or workbook header is part of its output's
//! schema (a bokmål and an English column list, chosen by `output::csv_out::header`), and an
//! error message is written at its error variant (as thiserror does) with [`tr!`](crate::tr),
//! in the language the command was asked to speak ([`set_lang`], once, at the command line's
//! edge). Rule texts are data: the rule files carry both languages.

pub mod console;
pub mod labels;
pub mod pages;

pub use console::Msg;

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};

/// The language of everything a person reads: explanations, pages, CSV headers, console texts.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Nb,
    En,
}

/// Declares an enum of keyed texts, each variant with its `(bokmål, English)` pair, and
/// implements [`Keyed`] for it (with `ALL`, for the test that both languages take the same
/// values).
macro_rules! keyed {
    ($(#[$doc:meta])* pub enum $name:ident { $($key:ident => ($nb:expr, $en:expr $(,)?)),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($key),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$key),*];

            /// The text in `lang`, its `{}` left as they are.
            pub fn text(self, lang: $crate::i18n::Lang) -> &'static str {
                $crate::i18n::Keyed::text(self, lang)
            }

            /// The text in `lang` with each `{}` replaced by the next value.
            pub fn fill(self, lang: $crate::i18n::Lang, values: &[&dyn std::fmt::Display]) -> String {
                $crate::i18n::Keyed::fill(self, lang, values)
            }
        }

        impl $crate::i18n::Keyed for $name {
            fn pair(self) -> (&'static str, &'static str) {
                match self {
                    $($name::$key => ($nb, $en)),*
                }
            }
        }
    };
}
pub(crate) use keyed;

/// A text with a key of its own: its bokmål and English forms, `{}` marking values.
pub trait Keyed: Copy {
    /// (bokmål, English)
    fn pair(self) -> (&'static str, &'static str);

    /// The text in `lang`, its `{}` left as they are.
    fn text(self, lang: Lang) -> &'static str {
        lang.pick(self.pair())
    }

    /// The text in `lang` with each `{}` replaced by the next value.
    fn fill(self, lang: Lang, values: &[&dyn Display]) -> String {
        fill(self.text(lang), values)
    }
}

/// `text` with each `{}` replaced by the next value (a `{}` without a value stays).
pub fn fill(text: &str, values: &[&dyn Display]) -> String {
    let mut out = String::new();
    let mut values = values.iter();
    let mut parts = text.split("{}").peekable();
    while let Some(part) = parts.next() {
        out.push_str(part);
        if parts.peek().is_some() {
            match values.next() {
                Some(v) => out.push_str(&v.to_string()),
                None => out.push_str("{}"),
            }
        }
    }
    out
}

impl Lang {
    /// The form of a `(bokmål, English)` pair in this language.
    pub fn pick<T>(self, (nb, en): (T, T)) -> T {
        match self {
            Lang::Nb => nb,
            Lang::En => en,
        }
    }
}

/// A table of texts keyed by a string: the labels a page template reads by name, or the
/// words for the codes of a column. Rows are `(key, bokmål, English)`.
pub struct Table(pub &'static [(&'static str, &'static str, &'static str)]);

impl Table {
    /// The text of `key` in `lang`, if the table has it.
    pub fn get(&self, key: &str, lang: Lang) -> Option<&'static str> {
        self.0
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, nb, en)| lang.pick((*nb, *en)))
    }

    /// The text of a key the table is known to hold (a code of one of the crate's enums; a unit
    /// test checks each enum's codes against its table). An unknown key is returned as it is.
    pub fn text(&self, key: &'static str, lang: Lang) -> &'static str {
        self.get(key, lang).unwrap_or(key)
    }

    /// The text of `key` in `lang`, or the key itself when the table has none (an unknown
    /// code is shown as it is).
    pub fn word(&self, key: &str, lang: Lang) -> String {
        self.get(key, lang).unwrap_or(key).to_string()
    }

    /// The whole table in one language, for a template (`t.tittel`).
    pub fn map(&self, lang: Lang) -> std::collections::BTreeMap<&'static str, &'static str> {
        self.0
            .iter()
            .map(|(k, nb, en)| (*k, lang.pick((*nb, *en))))
            .collect()
    }
}

/// Whether error messages are in English: set once by the command line from `--lang` before
/// any work starts (Norwegian, the default, until then).
static ENGLISH: AtomicBool = AtomicBool::new(false);

/// The language error messages are written in from now on.
pub fn set_lang(lang: Lang) {
    ENGLISH.store(lang == Lang::En, Ordering::Relaxed);
}

/// The language error messages are written in.
pub fn lang() -> Lang {
    if ENGLISH.load(Ordering::Relaxed) {
        Lang::En
    } else {
        Lang::Nb
    }
}

/// An error message in the language of the command ([`lang`]): `tr!("bokmål", "English",
/// args…)`, each a `format!` string (inline `{name}` captures work in both).
#[macro_export]
macro_rules! tr {
    ($nb:literal, $en:literal $(,)?) => {
        match $crate::i18n::lang() {
            $crate::i18n::Lang::Nb => format!($nb),
            $crate::i18n::Lang::En => format!($en),
        }
    };
    ($nb:literal, $en:literal, $($arg:tt)+) => {
        match $crate::i18n::lang() {
            $crate::i18n::Lang::Nb => format!($nb, $($arg)+),
            $crate::i18n::Lang::En => format!($en, $($arg)+),
        }
    };
}

/// Appends the text in `lang`, filled, as one line.
pub fn push(t: &mut String, lang: Lang, m: Msg, values: &[&dyn Display]) {
    t.push_str(&m.fill(lang, values));
    t.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fill_the_marks_in_order() {
        assert_eq!(
            Msg::Scanned.fill(Lang::Nb, &[&300, &"2026-11-16", &13]),
            "kvp-scan: skannet 300 personer per 2026-11-16 med 13 regler"
        );
        assert_eq!(Msg::Error.fill(Lang::En, &[&"x"]), "error: x");
    }

    fn same_marks(what: &str, nb: &str, en: &str) {
        assert_eq!(nb.matches("{}").count(), en.matches("{}").count(), "{what}");
        assert_eq!(nb.matches('|').count(), en.matches('|').count(), "{what}");
    }

    /// Both languages of a keyed text take the same values.
    #[test]
    fn every_keyed_text_has_the_same_marks_in_both_languages() {
        fn check<K: Keyed + std::fmt::Debug>(all: &[K]) {
            for k in all {
                let (nb, en) = k.pair();
                same_marks(&format!("{k:?}"), nb, en);
            }
        }
        check(Msg::ALL);
        check(pages::Page::ALL);
        check(pages::Revisjon::ALL);
        check(pages::Forklaring::ALL);
        check(pages::Rapport::ALL);
    }

    /// Every table has each key once, and the same values in both languages.
    #[test]
    fn every_table_has_unique_keys_and_the_same_marks() {
        use std::collections::BTreeSet;
        let tables: &[(&str, &Table)] = &[
            ("YTELSE", &labels::YTELSE),
            ("INNSATSGRUPPE", &labels::INNSATSGRUPPE),
            ("HENDELSE", &labels::HENDELSE),
            ("VILKAR", &labels::VILKAR),
            ("KATEGORI", &labels::KATEGORI),
            ("STATUS", &labels::STATUS),
            ("ENDRING", &labels::ENDRING),
            ("PA_LISTEN", &labels::PA_LISTEN),
            ("PA_LISTEN_SEKSJON", &labels::PA_LISTEN_SEKSJON),
            ("ALVORLIGHET", &labels::ALVORLIGHET),
            ("VURDERING", &labels::VURDERING),
            ("REVISJON_NIVA", &labels::REVISJON_NIVA),
            ("ENDRING_NIVA", &labels::ENDRING_NIVA),
            ("KJONN_GRUPPE", &labels::KJONN_GRUPPE),
            ("UTFALL", &labels::UTFALL),
            ("LOV", &labels::LOV),
            ("LEDD", &labels::LEDD),
            ("MANED", &labels::MANED),
            ("OG", &labels::OG),
            ("UKELISTE", &pages::UKELISTE),
            ("UKELISTE_ORD", &pages::UKELISTE_ORD),
            ("RAPPORT", &pages::RAPPORT),
            ("RAPPORT_KONTOR", &pages::RAPPORT_KONTOR),
            ("RAPPORT_NIVA", &pages::RAPPORT_NIVA),
            ("RAPPORT_TABELL", &pages::RAPPORT_TABELL),
            ("RAPPORT_ORD", &pages::RAPPORT_ORD),
            ("ENDRINGER", &pages::ENDRINGER),
            ("REVISJON", &pages::REVISJON),
            ("FORKLARING", &pages::FORKLARING),
        ];
        for (name, t) in tables {
            let mut keys = BTreeSet::new();
            for (k, nb, en) in t.0 {
                assert!(keys.insert(k), "{name}: key {k} twice");
                same_marks(&format!("{name}.{k}"), nb, en);
            }
        }
        assert_eq!(labels::STATUS.word("kandidat", Lang::En), "candidate");
        assert_eq!(labels::STATUS.word("ukjent_kode", Lang::Nb), "ukjent_kode");
    }
}
