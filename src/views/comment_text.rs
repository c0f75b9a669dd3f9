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
    // Copies runs of plain text whole; the five escaped characters are ASCII,
    // so every cut falls on a character boundary.
    let mut plain_from = 0;
    for (at, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&text[plain_from..at]);
        out.push_str(entity);
        plain_from = at + 1;
    }
    out.push_str(&text[plain_from..]);
}

/// Whether an address that starts with http:// or https:// names a host:
/// letters, digits, dots and hyphens (any script), or an IPv6 literal, after
/// any user part and before any port. The scheme is already known to be
/// safe and the address is escaped wherever it goes, so this only decides
/// whether it looks like a link to a reader.
fn names_a_host(address: &str) -> bool {
    let Some((_, rest)) = address.split_once("://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if let Some(literal) = host.strip_prefix('[') {
        return literal.split(']').next().is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok());
    }
    let name = host.split(':').next().unwrap_or("");
    !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

/// Byte offset of the next "http://" or "https://" in `text`, any case,
/// found without copying the text.
fn next_url_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes[from..].iter().position(|b| *b == b'h' || *b == b'H').map(|p| p + from) {
        let rest = &bytes[at..];
        let starts = |prefix: &[u8]| rest.len() >= prefix.len() && rest[..prefix.len()].eq_ignore_ascii_case(prefix);
        if starts(b"http://") || starts(b"https://") {
            return Some(at);
        }
        from = at + 1;
    }
    None
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
        let is_link = candidate.len() > 8 && names_a_host(candidate);
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
        for not_a_host in ["http://-x.example", "https://exa_mple.org", "https://user@/path", "http://[zz]/"] {
            assert!(!render(not_a_host).contains("<a"), "{not_a_host}");
        }
        for host in ["https://user@example.org:8443/x", "http://[::1]:8080/", "https://bücher.example/"] {
            assert!(render(host).contains("<a"), "{host}");
        }
    }
}
