//! One escaper for text placed in markup: the HTML report, GraphML exports and JUnit verdicts.
//! The three differ only in what they do with characters their markup cannot carry, so that
//! is a parameter rather than three copies of the loop.

/// Where the text goes, and therefore what happens to characters that markup cannot carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markup {
    /// HTML element content and quoted attribute values: the five markup characters become
    /// entities (`'` as `&#39;`, which HTML 4 readers know too); everything else passes.
    Html,
    /// XML for GraphML: tab and newline stay, other control characters become a space (XML 1.0
    /// cannot carry them, and a space keeps word boundaries in labels).
    XmlSpaced,
    /// XML for JUnit reports: newline stays, tab and carriage return become character
    /// references, and the characters XML 1.0 cannot carry are dropped.
    XmlStrict,
}

/// `text` escaped for `markup`.
pub fn escape_markup(text: &str, markup: Markup) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' if markup == Markup::Html => out.push_str("&#39;"),
            '\'' => out.push_str("&apos;"),
            c => match markup {
                Markup::Html => out.push(c),
                Markup::XmlSpaced => match c {
                    '\t' | '\n' => out.push(c),
                    c if c.is_control() => out.push(' '),
                    c => out.push(c),
                },
                Markup::XmlStrict => match c {
                    '\n' => out.push('\n'),
                    '\t' | '\r' => {
                        out.push_str("&#");
                        out.push_str(&(c as u32).to_string());
                        out.push(';');
                    }
                    c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
                    c => out.push(c),
                },
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Markup, escape_markup};

    #[test]
    fn each_markup_keeps_what_it_can_carry() {
        let text = "a<\"b\">&'c'\u{1}\t\r\n\u{85}";
        assert_eq!(escape_markup(text, Markup::Html), "a&lt;&quot;b&quot;&gt;&amp;&#39;c&#39;\u{1}\t\r\n\u{85}");
        assert_eq!(escape_markup(text, Markup::XmlSpaced), "a&lt;&quot;b&quot;&gt;&amp;&apos;c&apos; \t \n ");
        assert_eq!(escape_markup(text, Markup::XmlStrict), "a&lt;&quot;b&quot;&gt;&amp;&apos;c&apos;&#9;&#13;\n\u{85}");
    }
}
