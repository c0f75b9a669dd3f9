//! Which SVG files an import accepts: drawings only. Rather than look for
//! what is dangerous (a deny-list misses `<svg/onload=…>` and entity-encoded
//! `javascript:`), every element and attribute must be on a list of plain
//! drawing ones, links may only point inside the file, and nothing that
//! could expand or fetch (DOCTYPEs, entities in attributes, `url(` to
//! elsewhere) is allowed. The media route's sandboxing CSP stays as a second wall.

/// Shapes, text, grouping, gradients, clipping, and the file's own metadata.
const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "title",
    "desc",
    "metadata",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "lineargradient",
    "radialgradient",
    "stop",
    "clippath",
    "mask",
    "pattern",
];

/// Geometry, paint and text attributes; none of them runs or loads anything.
const ATTRIBUTES: &[&str] = &[
    "xmlns",
    "xmlns:xlink",
    "version",
    "id",
    "class",
    "viewbox",
    "preserveaspectratio",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "dx",
    "dy",
    "d",
    "points",
    "pathlength",
    "transform",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "opacity",
    "color",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientunits",
    "gradienttransform",
    "spreadmethod",
    "patternunits",
    "patterncontentunits",
    "patterntransform",
    "clippathunits",
    "maskunits",
    "maskcontentunits",
    "clip-path",
    "clip-rule",
    "mask",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "letter-spacing",
    "text-anchor",
    "dominant-baseline",
    "visibility",
    "display",
    "role",
    "aria-label",
    "aria-hidden",
    "focusable",
    "href",
    "xlink:href",
    "style",
];

/// Why an SVG file is refused, or None when it is a plain drawing.
pub fn refusal(bytes: &[u8]) -> Option<String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some("is not UTF-8 text".into());
    };
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    if let Some(after) = rest.strip_prefix("<?xml") {
        rest = after.split_once("?>").map(|(_, r)| r).unwrap_or("");
    }
    let mut seen_element = false;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = match after.split_once("-->") {
                Some((_, r)) => r,
                None => return Some("has a comment that never ends".into()),
            };
            continue;
        }
        if rest.starts_with('!') || rest.starts_with('?') {
            return Some("has a DOCTYPE, entity or processing instruction".into());
        }
        let closing = rest.starts_with('/');
        let tag = if closing { &rest[1..] } else { rest };
        let name_end = tag.find(|c: char| c.is_whitespace() || c == '/' || c == '>').unwrap_or(tag.len());
        let name = tag[..name_end].to_ascii_lowercase();
        let name = name.strip_prefix("svg:").unwrap_or(&name);
        if !ELEMENTS.contains(&name) {
            return Some(format!("has a <{name}> element, which is not part of a plain drawing"));
        }
        seen_element = true;
        let (attributes, after) = match read_attributes(&tag[name_end..]) {
            Ok(found) => found,
            Err(why) => return Some(why),
        };
        for (attribute, value) in attributes {
            if let Some(why) = attribute_refusal(&attribute, &value) {
                return Some(why);
            }
        }
        rest = after;
    }
    if !seen_element { Some("has no SVG element".into()) } else { None }
}

type Attributes = Vec<(String, String)>;

/// The attributes of a tag up to its `>`, and the text after it.
fn read_attributes(mut rest: &str) -> Result<(Attributes, &str), String> {
    let mut found = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if let Some(after) = rest.strip_prefix('>') {
            return Ok((found, after));
        }
        if rest.is_empty() {
            return Err("has a tag that never ends".into());
        }
        let name_end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '/' || c == '>').unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            match after.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let Some((value, tail)) = after[1..].split_once(quote) else {
                        return Err("has an attribute value that never ends".into());
                    };
                    rest = tail;
                    value.to_string()
                }
                _ => {
                    let end = after.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(after.len());
                    rest = &after[end..];
                    after[..end].to_string()
                }
            }
        } else {
            String::new()
        };
        found.push((name, value));
    }
}

fn attribute_refusal(name: &str, value: &str) -> Option<String> {
    if !ATTRIBUTES.contains(&name) {
        return Some(format!("has a \u{201c}{name}\u{201d} attribute, which is not part of a plain drawing"));
    }
    let lowered = value.to_ascii_lowercase();
    // Character references could spell anything (`jav&#x61;script:`); the
    // five named ones cannot.
    let plain = lowered
        .replace("&amp;", "")
        .replace("&lt;", "")
        .replace("&gt;", "")
        .replace("&quot;", "")
        .replace("&apos;", "");
    if plain.contains('&') {
        return Some(format!("has a character reference in its \u{201c}{name}\u{201d} attribute"));
    }
    if name == "xmlns" || name == "xmlns:xlink" {
        return None;
    }
    if (name == "href" || name == "xlink:href") && !value.trim_start().starts_with('#') {
        return Some("links outside the file".into());
    }
    // Paint may refer to a gradient in the file, `url(#id)`, and nothing else.
    let mut rest = lowered.as_str();
    while let Some(at) = rest.find("url(") {
        rest = rest[at + 4..].trim_start_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'');
        if !rest.starts_with('#') {
            return Some(format!("refers outside the file in its \u{201c}{name}\u{201d} attribute"));
        }
    }
    if name == "style" && (lowered.contains('\\') || lowered.contains("@import") || lowered.contains("expression")) {
        return Some("has a style that could load or run something".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn drawings_pass() {
        let drawing = r##"<?xml version="1.0"?>
<!-- drawn by hand -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">
  <title>A dot &amp; a line</title>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>
  <circle cx="5" cy="5" r="5" fill="url(#g)" style="stroke: rgb(1,2,3)"/>
  <use xlink:href="#g"/><text x="1" y="9">Caf&#233; &lt;3</text>
</svg>"##;
        assert_eq!(refusal(drawing.as_bytes()), None);
    }

    #[test]
    fn the_demo_images_pass() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/content/images");
        let mut checked = 0;
        let mut folders = vec![std::path::PathBuf::from(root)];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("content/images is readable") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "svg") {
                    let bytes = std::fs::read(&path).expect("readable");
                    assert_eq!(refusal(&bytes), None, "{}", path.display());
                    checked += 1;
                }
            }
        }
        assert!(checked >= 10, "found {checked} demo SVGs");
    }

    #[test]
    fn anything_active_is_refused() {
        for hostile in [
            "<svg/onload=alert(1)>",
            "<svg><svg/onload=alert(1)></svg>",
            "<svg onload=\"alert(1)\"></svg>",
            "<svg><script>alert(1)</script></svg>",
            "<svg><a href=\"jav&#x61;script:alert(1)\"><rect/></a></svg>",
            "<svg><use href=\"jav&#x61;script:alert(1)\"/></svg>",
            "<svg><use href=\"https://evil.example/x.svg#a\"/></svg>",
            "<svg><use xlink:href=\"data:image/svg+xml,&lt;svg onload=alert(1)&gt;\"/></svg>",
            "<svg><image href=\"https://evil.example/track.png\"/></svg>",
            "<svg><foreignObject><iframe src=\"x\"/></foreignObject></svg>",
            "<svg><animate attributeName=\"href\" to=\"javascript:alert(1)\"/></svg>",
            "<svg><set attributeName=\"onmouseover\" to=\"alert(1)\"/></svg>",
            "<svg><style>@import url(https://evil.example/a.css)</style></svg>",
            "<svg><rect fill=\"url(https://evil.example/p.svg#x)\"/></svg>",
            "<svg><rect style=\"fill: url( 'https://evil.example/p' )\"/></svg>",
            "<!DOCTYPE svg [<!ENTITY x \"javascript:alert(1)\">]><svg><a href=\"&x;\"/></svg>",
            "<svg><rect ONCLICK=alert(1) /></svg>",
            "<svg><rect\tonclick=alert(1)/></svg>",
            "<SVG:svg><SVG:script>alert(1)</SVG:script></SVG:svg>",
            "<svg><rect width=\"10",
            "no markup at all",
        ] {
            assert!(refusal(hostile.as_bytes()).is_some(), "{hostile}");
        }
    }
}
