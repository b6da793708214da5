//! HTML escaping for the pages askama compiles (`askama.toml`): the same characters, escaped
//! the same way, as minijinja's auto-escaping of the templates rendered at run time, so a page
//! reads the same whichever engine wrote it.

use std::fmt;

/// Escapes `<`, `>`, `&`, `"`, `'` and `/` as minijinja does ([`minijinja::HtmlEscape`]).
#[derive(Debug, Clone, Copy)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, s: &str) -> fmt::Result {
        write!(dest, "{}", minijinja::HtmlEscape(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::filters::Escaper;

    /// Every character minijinja escapes is escaped as minijinja does; the rest is left as it is.
    #[test]
    fn escapes_as_minijinja_does() {
        let mut env = minijinja::Environment::new();
        env.add_template("t.html", "{{ v }}").unwrap();
        for v in [
            "<script>alert('x')</script>",
            "a & b / c \"d\" 'e'",
            "§ 29 – æøå",
            "",
            "=1+2",
        ] {
            let mut ours = String::new();
            Html.write_escaped_str(&mut ours, v).unwrap();
            let theirs = env
                .get_template("t.html")
                .unwrap()
                .render(minijinja::context! { v })
                .unwrap();
            assert_eq!(ours, theirs, "{v}");
        }
        let mut s = String::new();
        Html.write_escaped_str(&mut s, "</p>").unwrap();
        assert_eq!(s, "&lt;&#x2f;p&gt;");
    }
}
