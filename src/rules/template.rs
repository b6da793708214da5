//! Explanation templates: a Jinja environment per language with filters for the contract's
//! codes and months, so a rule's sentence can name the concrete facts it used.

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::contract::{Lang, label};

/// "2026-11-01" → "november 2026" (nb) or "November 2026" (en).
pub fn month_name(date: &str, lang: Lang) -> String {
    let mut parts = date.split('-');
    let (Some(y), Some(m)) = (
        parts.next(),
        parts.next().and_then(|m| m.parse::<usize>().ok()),
    ) else {
        return date.to_string();
    };
    match crate::i18n::labels::MANED.get(&m.to_string(), lang) {
        Some(name) => format!("{name} {y}"),
        None => date.to_string(),
    }
}

/// Joins items as "a, b og c" (nb) or "a, b and c" (en).
pub fn join_list(items: &[String], lang: Lang) -> String {
    let and = crate::i18n::labels::OG.text("og", lang);
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}{and}{last}", rest.join(", ")),
    }
}

/// The environment with this tool's filters, for one language.
pub fn environment<'a>(lang: Lang) -> Environment<'a> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(false);
    env.add_filter("maned", move |v: String| month_name(&v, lang));
    for kind in ["ytelse", "innsatsgruppe", "hendelse", "vilkar"] {
        env.add_filter(kind, move |v: String| label(kind, &v, lang));
    }
    env.add_filter("liste", move |v: Vec<Value>| {
        let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        join_list(&items, lang)
    });
    env
}

/// Checks that a template parses.
pub fn compile_check(source: &str) -> Result<(), minijinja::Error> {
    let env = environment(Lang::Nb);
    env.template_from_str(source).map(|_| ())
}

/// The top-level variables a template reads.
pub fn variables(source: &str) -> std::collections::HashSet<String> {
    let env = environment(Lang::Nb);
    env.template_from_str(source)
        .map(|t| t.undeclared_variables(false))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_lists_in_both_languages() {
        assert_eq!(month_name("2026-11-01", Lang::Nb), "november 2026");
        assert_eq!(month_name("2026-03-01", Lang::En), "March 2026");
        let items = vec!["a".to_string(), "b".into(), "c".into()];
        assert_eq!(join_list(&items, Lang::Nb), "a, b og c");
        assert_eq!(join_list(&items[..1], Lang::En), "a");
    }

    #[test]
    fn filters_render_codes() {
        let env = environment(Lang::Nb);
        let out = env
            .render_str(
                "{{ y | ytelse }} / {{ l | map('ytelse') | liste }} / {{ m | maned }}",
                minijinja::context! {
                    y => "AAP", l => vec!["AAP", "DAGPENGER"], m => "2026-11-01"
                },
            )
            .unwrap();
        assert_eq!(
            out,
            "arbeidsavklaringspenger / arbeidsavklaringspenger og dagpenger / november 2026"
        );
    }

    #[test]
    fn undefined_variables_are_errors() {
        let env = environment(Lang::En);
        assert!(
            env.render_str("{{ nope }}", minijinja::context! {})
                .is_err()
        );
        assert_eq!(
            variables("{{ a }} {% if b %}{{ c | maned }}{% endif %}").len(),
            3
        );
    }
}

/// No template text, however broken, makes compiling, reading its variables or rendering
/// panic: a bad template is an error.
#[cfg(test)]
mod no_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_templates(src in "(\\PC|[{}%#|]){0,120}", lang in prop_oneof![Just(Lang::Nb), Just(Lang::En)]) {
            let _ = compile_check(&src);
            let _ = variables(&src);
            let env = environment(lang);
            let ctx = minijinja::context! { maneder => 7, dato => "2026-1Å-05", liste => vec!["a", "b"] };
            let _ = env.render_str(&src, ctx);
        }

        #[test]
        fn filters_on_any_value(v in "\\PC{0,30}", lang in prop_oneof![Just(Lang::Nb), Just(Lang::En)]) {
            let _ = month_name(&v, lang);
            let _ = join_list(&[v.clone(), v], lang);
        }
    }
}
