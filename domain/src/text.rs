//! Text that people type, on its way into HTML. Everything Strata shows is text, never markup:
//! where a renderer does not escape (the contents of `<textarea>` and `<title>`, which HTML
//! parses as raw text but in which `</textarea>` and `</title>` still end the element), this
//! escapes it first.

/// `text` with `&`, `<`, `>`, `"` and `'` written as character references: safe inside an
/// element and inside a quoted attribute, and read back by the browser as exactly `text`.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_text_and_everything_else_stays_as_typed() {
        assert_eq!(
            escape_html("</textarea><img src=x onerror=\"alert('1')\">&amp;"),
            "&lt;/textarea&gt;&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;"
        );
        let ordinary = "Grüß Gott · 東京 · 🚀 · שלום\nline two # $HOME";
        assert_eq!(escape_html(ordinary), ordinary);
    }
}
