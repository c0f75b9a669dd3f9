//! A comment's text as HTML: every character escaped, each line its own
//! paragraph, and web addresses made into links marked as user content.
//! No other markup is interpreted.

/// Characters that end a web address in running text.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`')
}

/// Punctuation that belongs to the sentence rather than the address.
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '}'];

pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
}

/// Byte offset of the next "http://" or "https://" in `text`, any case.
fn next_url_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let http = lower.find("http://");
    let https = lower.find("https://");
    match (http, https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    while let Some(start) = next_url_start(rest) {
        let (before, from_url) = rest.split_at(start);
        escape_into(out, before);
        let raw_end = from_url.find(ends_url).unwrap_or(from_url.len());
        let mut candidate = &from_url[..raw_end];
        // Keep a closing bracket that closes one inside the address.
        while let Some(last) = candidate.chars().last() {
            let balanced = last == ')' && candidate.matches('(').count() >= candidate.matches(')').count();
            if TRAILING.contains(&last) && !balanced {
                candidate = &candidate[..candidate.len() - last.len_utf8()];
            } else {
                break;
            }
        }
        let is_link = url::Url::parse(candidate).is_ok_and(|u| u.host_str().is_some()) && candidate.len() > 8;
        if is_link {
            out.push_str("<a href=\"");
            escape_into(out, candidate);
            out.push_str("\" rel=\"nofollow ugc noopener\">");
            escape_into(out, candidate);
            out.push_str("</a>");
        } else {
            escape_into(out, candidate);
        }
        rest = &from_url[candidate.len()..];
        if candidate.is_empty() {
            // Not an address after all: step past one character and go on.
            let step = rest.chars().next().map_or(0, char::len_utf8);
            escape_into(out, &rest[..step]);
            rest = &rest[step..];
        }
    }
    escape_into(out, rest);
}

/// The comment's HTML: one paragraph per non-blank line.
pub fn render(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 16);
    for line in body.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()) {
        out.push_str("<p>");
        push_line(&mut out, line);
        out.push_str("</p>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn lines_become_paragraphs_and_markup_is_escaped() {
        assert_eq!(render("one\n\ntwo <b>bold</b>"), "<p>one</p><p>two &lt;b&gt;bold&lt;/b&gt;</p>");
        assert_eq!(render("a & \"b\" 'c'"), "<p>a &amp; &quot;b&quot; &#x27;c&#x27;</p>");
    }

    #[test]
    fn addresses_become_user_content_links() {
        assert_eq!(
            render("See https://example.org/a?b=1&c=2."),
            "<p>See <a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener\">https://example.org/a?b=1&amp;c=2</a>.</p>"
        );
        assert!(
            render("(https://en.example.org/wiki/Tide_(sea))")
                .contains("href=\"https://en.example.org/wiki/Tide_(sea)\"")
        );
    }

    #[test]
    fn hostile_addresses_stay_inert() {
        let html = render("https://example.com/\"onmouseover=\"alert(1)");
        assert!(html.starts_with("<p><a href=\"https://example.com/\" rel"), "{html}");
        assert!(!html.contains("\"onmouseover"));
        let html = render("javascript:alert(1) http://x <script>alert(1)</script>");
        assert!(!html.contains("<script") && !html.contains("href=\"javascript"), "{html}");
        assert!(render("http://").contains("http://") && !render("http://").contains("<a"));
    }
}
