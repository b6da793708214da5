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
    let Some(tags) = if_for_tags(source) else {
        return printed;
    };
    let mut other: Vec<&str> = Vec::new();
    for tag in &tags {
        let keyword = [
            "none", "true", "false", "None", "True", "False", "loop", "self",
        ];
        if tag.printed && is_identifier(tag.inner) && !keyword.contains(&tag.inner) {
            printed.insert(tag.inner.to_string());
        } else {
            other.push(tag.body);
        }
    }
    printed.retain(|name| !other.iter().any(|b| identifiers(b).any(|w| w == name)));
    printed
}

/// A tag of a template: `{{ … }}` (printed), `{% … %}` or `{# … #}`.
struct Tag<'s> {
    /// Everything between the delimiters.
    body: &'s str,
    /// The body without white-space control (`-`, `+`) and surrounding spaces.
    inner: &'s str,
    printed: bool,
}

/// Every tag of a template, or none at all when a tag is not closed or a block is other than
/// `if` and `for` (see [`printed_only`]).
fn if_for_tags(source: &str) -> Option<Vec<Tag<'_>>> {
    let mut tags = Vec::new();
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
        // an unclosed tag: the template does not parse
        let end = after[2..].find(close)?;
        let body = &after[2..2 + end];
        let inner = body.trim_matches(|c: char| c == '-' || c == '+').trim();
        let block = ["if", "elif", "else", "endif", "for", "endfor"];
        if close == "%}"
            && !identifiers(inner)
                .next()
                .is_some_and(|w| block.contains(&w))
        {
            return None;
        }
        tags.push(Tag {
            body,
            inner,
            printed: close == "}}",
        });
        rest = &after[2 + end + 2..];
    }
    Some(tags)
}

/// The lists a template only loops over (`{% for y in ytelser | sort(attribute='fom') %}`,
/// named nowhere else), each with the fields of its items that are used only as they are:
/// printed (`{{ y.fom }}`), as the loop's sort keys (`sort(attribute='fom')`) or tested
/// (`{% if y.tom %}`, `{% if not y.tom %}`), and named nowhere else. Such a field's values
/// matter to the text only by where they are printed, their order among themselves and
/// whether they are there: a text rendered with stand-ins that keep that order and presence
/// (one per distinct value, in the values' order) becomes the row's text by putting each value
/// where its stand-in is. Same rules for blocks as [`printed_only`].
pub fn ordered_only(
    source: &str,
) -> std::collections::HashMap<String, std::collections::HashSet<String>> {
    let mut out = std::collections::HashMap::new();
    let Some(tags) = if_for_tags(source) else {
        return out;
    };
    let words = |tag: &Tag, w: &str| identifiers(tag.body).filter(|x| *x == w).count();
    for (at, tag) in tags.iter().enumerate() {
        let Some((item, list, sorted)) = sorted_loop(tag) else {
            continue;
        };
        // the list named only here, its items only by their fields, bound by no other loop
        let once = |w: &str| tags.iter().map(|t| words(t, w)).sum::<usize>() == 1;
        let item_only_dotted = tags.iter().all(|t| {
            words(t, item) == fields_of(t.body, item).count() + usize::from(std::ptr::eq(t, tag))
        });
        if item == list || item == "loop" || !once(list) || !item_only_dotted {
            continue;
        }
        if tags
            .iter()
            .enumerate()
            .any(|(i, t)| i != at && sorted_loop(t).is_some_and(|(x, ..)| x == item))
        {
            continue;
        }
        let fields: std::collections::HashSet<String> = tags
            .iter()
            .flat_map(|t| fields_of(t.body, item).map(str::to_string))
            .chain(sorted.iter().map(|f| f.to_string()))
            .filter(|field| {
                let as_is = format!("{item}.{field}");
                tags.iter().all(|t| {
                    let allowed = if std::ptr::eq(t, tag) {
                        sorted.iter().filter(|f| **f == field.as_str()).count()
                    } else if t.printed {
                        usize::from(t.inner == as_is)
                    } else {
                        let mut w = t.inner.splitn(2, char::is_whitespace);
                        let (kw, cond) = (w.next().unwrap_or(""), w.next().unwrap_or("").trim());
                        let tested = ["if", "elif"].contains(&kw)
                            && (cond == as_is
                                || cond.strip_prefix("not ").map(str::trim) == Some(&as_is));
                        usize::from(tested)
                    };
                    words(t, field) <= allowed
                })
            })
            .collect();
        if !fields.is_empty() {
            out.insert(list.to_string(), fields);
        }
    }
    out
}

/// The fields named after `item.` in a tag's text (`item` a whole word, its field right after
/// the dot).
fn fields_of<'s>(body: &'s str, item: &'s str) -> impl Iterator<Item = &'s str> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    body.match_indices(item).filter_map(move |(i, _)| {
        let before = body[..i].chars().next_back();
        let after = &body[i + item.len()..];
        let field = after.strip_prefix('.')?;
        let end = field.find(|c: char| !ident(c)).unwrap_or(field.len());
        (!before.is_some_and(ident) && end > 0).then(|| &field[..end])
    })
}

/// A `{% for item in list | sort(attribute='f') … %}` tag, nothing else in it: (item, list,
/// the sort keys in order).
fn sorted_loop<'s>(tag: &Tag<'s>) -> Option<(&'s str, &'s str, Vec<&'s str>)> {
    if tag.printed {
        return None;
    }
    let rest = tag.inner.strip_prefix("for")?;
    let mut words = rest.split_whitespace();
    let (item, kw) = (words.next()?, words.next()?);
    if !is_identifier(item) || kw != "in" {
        return None;
    }
    let rest = rest.trim_start().strip_prefix(item)?.trim_start();
    let rest = rest.strip_prefix("in")?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (list, mut rest) = (&rest[..end], rest[end..].trim_start());
    if !is_identifier(list) {
        return None;
    }
    let mut sorted = Vec::new();
    while !rest.is_empty() {
        let r = rest.strip_prefix('|')?.trim_start();
        let r = r.strip_prefix("sort")?.trim_start();
        let r = r.strip_prefix('(')?.trim_start();
        let r = r.strip_prefix("attribute")?.trim_start();
        let r = r.strip_prefix('=')?.trim_start();
        let quote = r.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let r = &r[1..];
        let close = r.find(quote)?;
        let field = &r[..close];
        if !is_identifier(field) {
            return None;
        }
        let r = r[close + 1..].trim_start();
        rest = r.strip_prefix(')')?.trim_start();
        sorted.push(field);
    }
    Some((item, list, sorted))
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
    fn list_fields_used_only_for_order_presence_and_printing() {
        let fields = |s: &str, list: &str| {
            let mut v: Vec<String> = ordered_only(s)
                .remove(list)
                .unwrap_or_default()
                .into_iter()
                .collect();
            v.sort();
            v
        };
        let rule = "Har {% for y in ytelser | sort(attribute='ytelse') | sort(attribute='fom') %}\
                    {% if not loop.first %}, {% endif %}{{ y.ytelse | ytelse }} fra {{ y.fom }}\
                    {% if y.tom %} til {{ y.tom }}{% else %} (løpende){% endif %}{% endfor %}.";
        assert_eq!(fields(rule, "ytelser"), ["fom", "tom"]);
        assert_eq!(
            fields(
                "{% for y in l %}{{ y.a }}{% if not y.b %}-{% elif y.a %}+{% endif %}{% endfor %}",
                "l"
            ),
            ["a", "b"]
        );
        let none = Vec::<String>::new();
        // a field filtered, compared, measured, in a string, printed with more, or of
        // another loop's items
        for t in [
            "{% for y in l %}{{ y.a | maned }}{% endfor %}",
            "{% for y in l %}{% if y.a > y.b %}x{% endif %}{% endfor %}",
            "{% for y in l %}{{ y.a | length }}{% endfor %}",
            "{% for y in l %}{{ y.a }}{{ 'a' }}{% endfor %}",
            "{% for y in l %}{{ y.a ~ '' }}{% endfor %}",
            "{% for y in l %}{{ y.a.b }}{% endfor %}",
            "{% for y in l %}{{ y['a'] }}{% endfor %}",
            "{% for y in l | sort(attribute='a,b') %}{{ y.a }}{% endfor %}",
            "{% for y in l | sort(attribute='a', reverse=true) %}{{ y.a }}{% endfor %}",
            "{% for y in l | reverse %}{{ y.a }}{% endfor %}",
            "{% for y in l %}{% if loop.changed(y.a) %}{{ y.a }}{% endif %}{% endfor %}",
            "{% for y in l %}{{ loop.previtem.a }}{{ y.a }}{% endfor %}",
        ] {
            assert_eq!(fields(t, "l"), none, "{t}");
        }
        // the list or its items named otherwise, another loop over it, a block that could
        // measure the text
        for t in [
            "{% for y in l %}{{ y.a }}{% endfor %}{{ l | length }}",
            "{% for y in l %}{{ y }}{{ y.a }}{% endfor %}",
            "{% for y in l %}{{ y.a }}{% endfor %}{% for z in l %}{{ z.a }}{% endfor %}",
            "{% for y in l %}{% for y in m %}{{ y.a }}{% endfor %}{% endfor %}",
            "{% for y in l %}{{ y.a }}{% endfor %}{% set x = 1 %}",
            "{% for y in l %}{{ y.a }}{% endfor %}{{ x",
            "{% for loop in l %}{{ loop.a }}{% endfor %}",
        ] {
            assert_eq!(fields(t, "l"), none, "{t}");
        }
        // `day.a` is not an item's field
        assert_eq!(
            fields("{% for y in l %}{{ y.a }}{% endfor %}{{ day.b }}", "l"),
            ["a"]
        );
        assert_eq!(
            fields("{% for y in l %}{{ y.a }}{{ day.a }}{% endfor %}", "l"),
            none
        );
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

    /// Loops over `l` (items with fields `a` and `b`), and pieces of their bodies that use
    /// `y.a` in every way a template can.
    const LOOP_HEADS: &[&str] = &[
        "{% for y in l %}",
        "{% for y in l | sort(attribute='a') %}",
        "{% for y in l | sort(attribute='b') | sort(attribute='a') %}",
        "{% for y in l | sort(attribute='a', reverse=true) %}",
        "{% for y in l | sort(attribute='a,b') %}",
    ];
    const LOOP_PIECES: &[&str] = &[
        "x",
        "{{ y.a }}",
        "{{ y.b }}",
        "{% if y.a %}T{% endif %}",
        "{% if not y.b %}N{% else %}-{% endif %}",
        "{{ y.a | length }}",
        "{{ y.a ~ '!' }}",
        "{% if y.a > y.b %}G{% endif %}",
        "{% if y.a == '2026-01-01' %}E{% endif %}",
        "{{ loop.index }}",
        "{% if loop.first %}F{% endif %}",
        "{{ y.a | maned }}",
        "{{ y }}",
        "{% if loop.changed(y.a) %}C{% endif %}",
        "{{ loop.previtem.a if loop.previtem }}",
        "{{ y.a[:4] }}",
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

        /// A list's field used only for order, presence and printing shows in the text only
        /// through those: rendered with stand-ins that keep the order of the row's values
        /// (one per distinct value), then each value put in its stand-in's places, the text
        /// is the one rendered with the values (loops made of pieces that use `y.a` in every
        /// way; a field it wrongly let through would fail here).
        #[test]
        fn ordered_fields_can_be_put_in_afterwards(
            head in 0usize..LOOP_HEADS.len(),
            body in proptest::collection::vec(0usize..LOOP_PIECES.len(), 1..5),
            outside in 0usize..3,
            items in proptest::collection::vec((proptest::option::of(0u8..4), proptest::option::of(0u8..4)), 0..5),
        ) {
            let after = ["", "{{ l | length }}", "{{ l }}"][outside];
            let src: String = std::iter::once(LOOP_HEADS[head])
                .chain(body.iter().map(|i| LOOP_PIECES[*i]))
                .chain(["{% endfor %}", after])
                .collect();
            let env = environment(Lang::Nb);
            let fields = ordered_only(&src).remove("l").unwrap_or_default();
            if env.template_from_str(&src).is_ok() && !fields.is_empty() {
                let date = |d: u8| format!("2026-0{}-01", d + 1);
                let mut days: Vec<u8> = items
                    .iter()
                    .flat_map(|(a, b)| [("a", a), ("b", b)])
                    .filter(|(f, d)| fields.contains(*f) && d.is_some())
                    .filter_map(|(_, d)| *d)
                    .collect();
                days.sort_unstable();
                days.dedup();
                let stand_in = |d: u8| format!("@{:03}@", days.binary_search(&d).unwrap());
                let list = |stand_ins: bool| -> Vec<minijinja::Value> {
                    items
                        .iter()
                        .map(|(a, b)| {
                            let v = |f: &str, d: &Option<u8>| match d {
                                Some(d) if stand_ins && fields.contains(f) => minijinja::Value::from(stand_in(*d)),
                                Some(d) => minijinja::Value::from(date(*d)),
                                None => minijinja::Value::from(()),
                            };
                            minijinja::Value::from_iter([("a", v("a", a)), ("b", v("b", b))])
                        })
                        .collect()
                };
                let render = |stand_ins: bool| env.render_str(&src, minijinja::context! { l => list(stand_ins) });
                if let (Ok(with_values), Ok(mut with_stand_ins)) = (render(false), render(true)) {
                    for d in &days {
                        with_stand_ins = with_stand_ins.replace(&stand_in(*d), &date(*d));
                    }
                    prop_assert_eq!(with_stand_ins, with_values, "{}", src);
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
