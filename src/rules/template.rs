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

/// The variables a template only ever prints as they are (`{{ name }}`): never filtered,
/// tested, looped over, assigned or named anywhere else in a tag. Such a variable's value
/// shows in the text exactly where it is printed and nowhere else, so a text rendered with a
/// stand-in for it becomes the row's text by putting the value where the stand-in is. A
/// template with a block other than `if` and `for` has none (a `raw` block's `{{ name }}` is
/// literal text; a `filter` or `set` block could change or measure what it prints).
pub fn printed_only(source: &str) -> std::collections::HashSet<String> {
    let mut printed = std::collections::HashSet::new();
    let mut other: Vec<&str> = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find('{') {
        let after = &rest[start..];
        let close = match after.get(..2) {
            Some("{{") => "}}",
            Some("{%") => "%}",
            Some("{#") => "#}",
            _ => {
                rest = &after[1..];
                continue;
            }
        };
        let Some(end) = after[2..].find(close) else {
            // an unclosed tag: the template does not parse; nothing is printed only
            return std::collections::HashSet::new();
        };
        let body = &after[2..2 + end];
        let inner = body.trim_matches(|c: char| c == '-' || c == '+').trim();
        let keyword = [
            "none", "true", "false", "None", "True", "False", "loop", "self",
        ];
        if close == "}}" && is_identifier(inner) && !keyword.contains(&inner) {
            printed.insert(inner.to_string());
        } else {
            let block = ["if", "elif", "else", "endif", "for", "endfor"];
            if close == "%}"
                && !identifiers(inner)
                    .next()
                    .is_some_and(|w| block.contains(&w))
            {
                return std::collections::HashSet::new();
            }
            other.push(body);
        }
        rest = &after[2 + end + 2..];
    }
    printed.retain(|name| !other.iter().any(|b| identifiers(b).any(|w| w == name)));
    printed
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every word of a tag's text made of identifier characters (also inside its string literals
/// and after a dot: a name found there counts as used otherwise).
fn identifiers(body: &str) -> impl Iterator<Item = &str> {
    body.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_printed_only_as_they_are() {
        let names = |s: &str| {
            let mut v: Vec<String> = printed_only(s).into_iter().collect();
            v.sort();
            v
        };
        assert_eq!(
            names("Fra {{ fom }} til {{- tom -}}, {{ fom }} igjen ({{ hjemmel }})."),
            ["fom", "hjemmel", "tom"]
        );
        // filtered, tested, looped over, assigned, an attribute or a string elsewhere
        assert_eq!(names("{{ a }} {{ a | maned }}"), Vec::<String>::new());
        assert_eq!(names("{{ a }}{% if a %}x{% endif %}"), Vec::<String>::new());
        assert_eq!(
            names("{% for a in l %}{{ a }}{% endfor %}"),
            Vec::<String>::new()
        );
        assert_eq!(names("{{ none }}{{ loop }}"), Vec::<String>::new());
        assert_eq!(names("{% set a = 1 %}{{ a }}"), Vec::<String>::new());
        assert_eq!(names("{{ a }}{{ y.a }}{{ b ~ 'a' }}"), Vec::<String>::new());
        assert_eq!(names("{{ a }} {{ b - 1 }}"), ["a"]);
        assert_eq!(names("{% raw %}{{ a }}{% endraw %}"), Vec::<String>::new());
        // a block that could change or measure what it prints: nothing is printed only
        assert_eq!(
            names("{% filter upper %}{{ a }}{% endfilter %}"),
            Vec::<String>::new()
        );
        assert_eq!(
            names("{% set b %}{{ a }}{% endset %}{{ b | length }}"),
            Vec::<String>::new()
        );
        assert_eq!(names("{% if c %}{{ a }}{% else %}-{% endif %}"), ["a"]);
        assert_eq!(names("{{ a }} {# a #}"), Vec::<String>::new());
        assert_eq!(names("{{ a }} {{ b"), Vec::<String>::new());
        assert_eq!(names("{ {{a}} }"), ["a"]);
    }

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

    /// Pieces of templates (each one parses) that use `a` in every way a template can.
    const PIECES: &[&str] = &[
        "x",
        " ",
        "{{ a }}",
        "{{- a -}}",
        "{{ b }}",
        "{% if a %}y{% endif %}",
        "{% if b %}{{ a }}{% else %}-{% endif %}",
        "{% for a in l %}{{ a }}{% endfor %}",
        "{% for i in l %}{{ a }}{% endfor %}",
        "{{ a | upper }}",
        "{{ a | length }}",
        "{% set a = 'z' %}",
        "{% set c %}{{ a }}{% endset %}{{ c | length }}",
        "{# a #}",
        "{{ 'a' }}",
        "{{ a ~ b }}",
        "{% filter upper %}{{ a }}{% endfilter %}",
        "{% raw %}{{ a }}{% endraw %}",
        "{% for i in l %}{{ loop.index }}{% endfor %}",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_templates(src in "(\\PC|[{}%#|]){0,120}", lang in prop_oneof![Just(Lang::Nb), Just(Lang::En)]) {
            let _ = compile_check(&src);
            // a variable printed only is one the template reads
            let printed = printed_only(&src);
            if compile_check(&src).is_ok() {
                let read = variables(&src);
                prop_assert!(printed.iter().all(|p| read.contains(p)), "{printed:?} {read:?}");
            }
            let env = environment(lang);
            let ctx = minijinja::context! { maneder => 7, dato => "2026-1Å-05", liste => vec!["a", "b"] };
            let _ = env.render_str(&src, ctx);
        }

        /// A variable printed only shows in the text exactly where a stand-in for it shows:
        /// rendered with a stand-in, then the value put in its places, the text is the one
        /// rendered with the value (templates made of pieces that use `a` in every way).
        #[test]
        fn a_printed_variable_can_be_put_in_afterwards(
            pieces in proptest::collection::vec(0usize..PIECES.len(), 1..6),
            value in "[a-z0-9 -]{0,6}",
        ) {
            let src: String = pieces.iter().map(|i| PIECES[*i]).collect();
            let env = environment(Lang::Nb);
            if env.template_from_str(&src).is_ok() && printed_only(&src).contains("a") {
                let render = |a: &str| env.render_str(&src, minijinja::context! { a => a, b => "B", l => vec![1, 2] });
                if let (Ok(with_value), Ok(with_stand_in)) = (render(&value), render("@stand@")) {
                    prop_assert_eq!(with_stand_in.replace("@stand@", &value), with_value, "{}", src);
                }
            }
        }

        #[test]
        fn filters_on_any_value(v in "\\PC{0,30}", lang in prop_oneof![Just(Lang::Nb), Just(Lang::En)]) {
            let _ = month_name(&v, lang);
            let _ = join_list(&[v.clone(), v], lang);
        }
    }
}
