//! Just enough HTTP/1.1 for a load generator: writing requests, and finding
//! where a response ends (Content-Length or chunked) in a byte buffer.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// A response's head and where its body lies in the buffer it was read into.
#[derive(Debug)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Bytes taken by the status line and headers, blank line included.
    pub len: usize,
    framing: Framing,
}

#[derive(Debug, Clone, Copy)]
enum Framing {
    Length(usize),
    Chunked,
}

impl Head {
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Parses a response head at the start of `buf`; None until it is complete.
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, String> {
    let mut slots = [httparse::EMPTY_HEADER; 48];
    let mut response = httparse::Response::new(&mut slots);
    let len = match response.parse(buf).map_err(|e| e.to_string())? {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return Ok(None),
    };
    let status = response.code.unwrap_or(0);
    let headers: Vec<(String, String)> =
        response.headers.iter().map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned())).collect();
    let find = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let framing = if status == 304 || status == 204 || (100..200).contains(&status) {
        Framing::Length(0)
    } else if find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        Framing::Chunked
    } else {
        Framing::Length(find("content-length").and_then(|v| v.trim().parse().ok()).unwrap_or(0))
    };
    Ok(Some(Head { status, headers, len, framing }))
}

/// If the body after `head` is complete in `buf`, how many bytes the whole
/// response takes and the body's decoded length.
pub fn body_end(head: &Head, buf: &[u8]) -> Result<Option<(usize, usize)>, String> {
    match head.framing {
        Framing::Length(n) => Ok((buf.len() >= head.len + n).then_some((head.len + n, n))),
        Framing::Chunked => chunked_end(&buf[head.len..]).map(|end| end.map(|(used, body)| (head.len + used, body))),
    }
}

/// Walks chunk headers (not their data); (bytes used, body length) once the
/// last chunk and the blank line after it are in.
fn chunked_end(buf: &[u8]) -> Result<Option<(usize, usize)>, String> {
    let mut at = 0;
    let mut body = 0;
    loop {
        let Some(line_end) = find_crlf(&buf[at..]) else { return Ok(None) };
        let line = std::str::from_utf8(&buf[at..at + line_end]).map_err(|_| "bad chunk header")?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| format!("bad chunk size {size_text:?}"))?;
        at += line_end + 2;
        if size == 0 {
            // Trailers (none expected), then the final blank line.
            loop {
                let Some(end) = find_crlf(&buf[at..]) else { return Ok(None) };
                at += end + 2;
                if end == 0 {
                    return Ok(Some((at, body)));
                }
            }
        }
        if buf.len() < at + size + 2 {
            return Ok(None);
        }
        body += size;
        at += size + 2;
    }
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

/// The body of a complete response, chunks joined.
pub fn decoded_body(head: &Head, buf: &[u8], end: usize) -> Vec<u8> {
    match head.framing {
        Framing::Length(_) => buf[head.len..end].to_vec(),
        Framing::Chunked => {
            let mut out = Vec::new();
            let mut at = head.len;
            while let Some(line_end) = find_crlf(&buf[at..end]) {
                let line = String::from_utf8_lossy(&buf[at..at + line_end]).into_owned();
                let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
                at += line_end + 2;
                if size == 0 {
                    break;
                }
                out.extend_from_slice(&buf[at..at + size]);
                at += size + 2;
            }
            out
        }
    }
}

/// A request as bytes: GET or POST, with the headers a browser would send
/// that matter here.
pub fn request(method: &str, addr: SocketAddr, path: &str, extra: &[(&str, &str)], body: Option<&str>) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: newsdesk-bench\r\n");
    for (name, value) in extra {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        text.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        text.push_str("\r\n");
    }
    text.into_bytes()
}

/// One complete response from a blocking exchange (set-up, captures).
pub struct Fetched {
    pub head: Head,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request on a new connection and reads the whole answer.
pub fn fetch(addr: SocketAddr, request: &[u8]) -> Result<Fetched, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    stream.write_all(request).map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the response ended".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head) = parse_head(&buf)?
            && let Some((end, _)) = body_end(&head, &buf)?
        {
            let body = decoded_body(&head, &buf, end);
            return Ok(Fetched { head, body });
        }
    }
}

/// `name=value` pairs from a response's Set-Cookie headers.
pub fn cookies(head: &Head) -> Vec<String> {
    head.all("set-cookie").filter_map(|c| c.split(';').next()).map(|c| c.trim().to_string()).collect()
}

/// The value of the first `<input name="csrf_token" value="…">` on a page.
pub fn csrf_token(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\"")?;
    let rest = &html[at..];
    let value = rest.find("value=\"")? + "value=\"".len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_end_of_chunked_and_sized_bodies() {
        let sized = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP";
        let head = parse_head(sized).unwrap().unwrap();
        assert_eq!(body_end(&head, sized).unwrap(), Some((head.len + 3, 3)));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let head = parse_head(chunked).unwrap().unwrap();
        assert_eq!(body_end(&head, chunked).unwrap(), Some((chunked.len(), 5)));
        assert_eq!(decoded_body(&head, chunked, chunked.len()), b"abcde");
        assert_eq!(body_end(&head, &chunked[..chunked.len() - 2]).unwrap(), None);
    }
}
