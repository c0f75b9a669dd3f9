//! Imported comment HTML reduced to our comment text: plain lines, where
//! the renderer (views/comment_text.rs) makes each line a paragraph and
//! each bare web address a link. Tags go, a link keeps its address in
//! brackets after its words, paragraphs and line breaks become new lines,
//! and character references are decoded. No HTML is ever stored.

/// Elements whose ends are ends of lines.
const BLOCKS: &[&str] =
    &["p", "div", "br", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "hr"];

/// Elements whose content is not text for a reader.
const HIDDEN: &[&str] = &["script", "style", "head", "title"];

pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    // The link being read: its address, and where its words start in `out`.
    let mut link: Option<(String, usize)> = None;
    let mut hidden: Option<String> = None;
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let (text, from_tag) = rest.split_at(at);
        if hidden.is_none() {
            decode_into(&mut out, text);
        }
        if let Some(after) = from_tag.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let starts_tag = from_tag[1..].chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        let Some(end) = from_tag.find('>').filter(|_| starts_tag) else {
            // A "<" that opens no tag ("a < b", "<3") is text.
            if hidden.is_none() {
                out.push('<');
            }
            rest = &from_tag[1..];
            continue;
        };
        let inside = &from_tag[1..end];
        rest = &from_tag[end + 1..];
        let closing = inside.starts_with('/');
        let name: String = inside
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(open) = &hidden {
            if closing && *open == name {
                hidden = None;
            }
            continue;
        }
        if HIDDEN.contains(&name.as_str()) && !closing && !inside.ends_with('/') {
            hidden = Some(name);
        } else if BLOCKS.contains(&name.as_str()) {
            out.push('\n');
        } else if name == "a" && !closing {
            link = href(inside).map(|address| (address, out.len()));
        } else if name == "a"
            && let Some((address, words_from)) = link.take()
        {
            let words = out[words_from..].trim();
            if words.is_empty() || same_address(words, &address) {
                out.truncate(words_from);
                out.push_str(&address);
            } else {
                out.push_str(" (");
                out.push_str(&address);
                out.push(')');
            }
        }
    }
    if hidden.is_none() {
        decode_into(&mut out, rest);
    }
    tidy(&out)
}

/// Whether a link's words are its address (perhaps without the scheme or
/// the final slash, as WordPress and Disqus print them).
fn same_address(words: &str, address: &str) -> bool {
    let bare = |text: &str| {
        let text = text.trim_end_matches('/');
        text.strip_prefix("https://").or_else(|| text.strip_prefix("http://")).unwrap_or(text).to_lowercase()
    };
    bare(words) == bare(address)
}

/// The address of `<a href=…>` when it is a web address: anything else
/// (a relative path, `javascript:`, `mailto:`) would not be a link in our
/// text, so only the words are kept.
fn href(inside: &str) -> Option<String> {
    let lower = inside.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find("href") {
        let at = from + found;
        from = at + 4;
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let after = inside[at + 4..].trim_start();
        let Some(value) = after.strip_prefix('=').map(str::trim_start).filter(|_| before_ok) else { continue };
        let raw = match value.chars().next() {
            Some(quote @ ('"' | '\'')) => value[1..].split(quote).next().unwrap_or(""),
            _ => value.split(|c: char| c.is_whitespace() || c == '>').next().unwrap_or(""),
        };
        let mut address = String::new();
        decode_into(&mut address, raw.trim());
        let lower = address.to_ascii_lowercase();
        let web = lower.starts_with("http://") || lower.starts_with("https://");
        let plain = !address.chars().any(|c| c.is_whitespace() || c.is_control());
        return (web && plain).then_some(address);
    }
    None
}

/// Appends text with its character references decoded; an `&` that starts
/// none is kept as it is.
fn decode_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let reference = after.find(';').filter(|&end| end <= 12).map(|end| (&after[..end], &after[end + 1..]));
        match reference.and_then(|(name, tail)| resolve(name).map(|c| (c, tail))) {
            Some((decoded, tail)) => {
                out.push_str(&decoded);
                rest = tail;
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

fn resolve(name: &str) -> Option<String> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).map(String::from);
    }
    let text = match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "hellip" => "\u{2026}",
        "mdash" => "\u{2014}",
        "ndash" => "\u{2013}",
        "lsquo" => "\u{2018}",
        "rsquo" => "\u{2019}",
        "ldquo" => "\u{201c}",
        "rdquo" => "\u{201d}",
        "laquo" => "\u{ab}",
        "raquo" => "\u{bb}",
        "euro" => "\u{20ac}",
        "pound" => "\u{a3}",
        "copy" => "\u{a9}",
        "eacute" => "\u{e9}",
        "egrave" => "\u{e8}",
        "aacute" => "\u{e1}",
        "agrave" => "\u{e0}",
        "ouml" => "\u{f6}",
        "uuml" => "\u{fc}",
        "auml" => "\u{e4}",
        "ccedil" => "\u{e7}",
        _ => return None,
    };
    Some(text.to_string())
}

/// Lines without trailing blanks or control characters, at most one blank
/// line in a row, none at either end.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_lines = 0;
    for line in text.split('\n') {
        let line: String = line.chars().filter(|c| !c.is_control() || *c == '\t').collect();
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank_lines += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_lines > 0 { "\n\n" } else { "\n" });
        }
        blank_lines = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn tags_go_and_paragraphs_become_lines() {
        assert_eq!(plain_text("<p>One <b>bold</b> claim.</p><p>Two<br/>three</p>"), "One bold claim.\n\nTwo\nthree");
        assert_eq!(
            plain_text("Plain\nlines &amp; &lt;tags&gt; &#8217; &#x2014;"),
            "Plain\nlines & <tags> \u{2019} \u{2014}"
        );
        assert_eq!(plain_text("a < b and <3 &unknown; & so"), "a < b and <3 &unknown; & so");
        assert_eq!(plain_text("<script>alert(1)</script>Hi<!-- note -->!"), "Hi!");
    }

    #[test]
    fn links_keep_their_address() {
        assert_eq!(
            plain_text("See <a href=\"https://example.org/tide?a=1&amp;b=2\" rel=\"nofollow\">the tables</a>."),
            "See the tables (https://example.org/tide?a=1&b=2)."
        );
        assert_eq!(plain_text("<a href='https://example.org/'>example.org</a>"), "https://example.org/");
        assert_eq!(plain_text("<a href=\"javascript:alert(1)\">click</a>"), "click");
        assert_eq!(plain_text("<a href=\"/relative\">here</a>"), "here");
    }
}
