//! gzip for text answers (pages, feeds, sitemaps, the stylesheet).
//!
//! Done here rather than by actix-web's `Compress`, which hands every body
//! over 1 KB to the blocking thread pool (a thread switch there and back)
//! and builds a new deflate state, a few hundred kilobytes, for each
//! response. Here each worker thread keeps one compressor and resets it, and
//! compresses in place: on a 90 KB article page that halves the cost of
//! compressing. Level 1 (zlib-rs): the quickest, and within a few per cent
//! of level 6 on HTML.

use std::cell::RefCell;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use flate2::{Compress, Compression, Crc, FlushCompress};

/// Below this a body is sent as it is: the gzip framing would eat the gain.
pub const MIN_BYTES: usize = 256;

pub async fn gzip(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let accepts = accepts_gzip(request.headers());
    let response = next.call(request).await?.map_into_boxed_body();
    let headers = response.headers();
    let text = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_compressible);
    let sized = matches!(response.response().body().size(), BodySize::Sized(n) if n as usize >= MIN_BYTES);
    let status = response.status();
    if !text || !sized || headers.contains_key(header::CONTENT_ENCODING) || status == StatusCode::NOT_MODIFIED {
        return Ok(response);
    }
    let (request, mut response) = response.into_parts();
    // The same address answers differently by Accept-Encoding: caches must know.
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if !accepts {
        return Ok(ServiceResponse::new(request, response));
    }
    let (mut head, body) = response.into_parts();
    let plain = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => actix_web::body::to_bytes(body)
            .await
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?,
    };
    let packed = compress(&plain).map_err(actix_web::error::ErrorInternalServerError)?;
    head.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    head.headers_mut().remove(header::CONTENT_LENGTH);
    Ok(ServiceResponse::new(request, head.set_body(BoxBody::new(Bytes::from(packed)))))
}

/// Whether the client takes gzip: `gzip`, `x-gzip` or `*` without `q=0`.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    accepts(headers, |coding| {
        coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") || coding == "*"
    })
}

/// Whether the client names brotli (`br`) without `q=0`; `*` is not
/// taken to mean it (gzip is what every client decodes).
pub fn accepts_brotli(headers: &HeaderMap) -> bool {
    accepts(headers, |coding| coding.eq_ignore_ascii_case("br"))
}

fn accepts(headers: &HeaderMap, wanted: impl Fn(&str) -> bool) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts
            .any(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0));
        !refused && wanted(coding)
    })
}

/// Brotli's quality: 5 packs our pages a fifth smaller than gzip's level 1
/// at a few milliseconds for a long article, paid once per kept page.
const BROTLI_QUALITY: u32 = 5;
/// Its window: 4 MB, more than any page.
const BROTLI_WINDOW: u32 = 22;

/// A whole brotli stream holding `input`.
pub fn brotli(input: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut writer =
        brotli::CompressorWriter::new(Vec::with_capacity(input.len() / 5 + 64), 4096, BROTLI_QUALITY, BROTLI_WINDOW);
    writer.write_all(input).map_err(|e| e.to_string())?;
    writer.flush().map_err(|e| e.to_string())?;
    Ok(writer.into_inner())
}

pub fn is_compressible(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+xml")
        || essence.ends_with("+json")
        || matches!(essence.as_str(), "application/xml" | "application/json" | "application/javascript")
}

thread_local! {
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// A whole gzip member (RFC 1952) holding `input`: one piece, joined.
pub fn compress(input: &[u8]) -> Result<Vec<u8>, String> {
    Ok(join(&[&Packed::new(input)?]))
}

/// A piece of a page compressed on its own (raw deflate, ending on a
/// byte boundary with no reference to what came before), so pieces packed
/// apart can be joined into one gzip member without compressing them again:
/// pages for logged-in readers are the same large shared pieces around a
/// few small ones of their own (`reader_pages`).
pub struct Packed {
    deflated: Vec<u8>,
    crc: Crc,
}

impl Packed {
    pub fn new(plain: &[u8]) -> Result<Packed, String> {
        let mut deflated = Vec::with_capacity(plain.len() / 4 + 64);
        DEFLATE.with(|cell| -> Result<(), String> {
            let mut deflate = cell.borrow_mut();
            deflate.reset();
            let mut consumed = 0;
            loop {
                let before = deflate.total_in();
                // A full flush: byte-aligned, and the next piece may not
                // refer back into this one.
                deflate
                    .compress_vec(&plain[consumed..], &mut deflated, FlushCompress::Full)
                    .map_err(|e| e.to_string())?;
                consumed += (deflate.total_in() - before) as usize;
                // Room left over means the flush is complete.
                if consumed == plain.len() && deflated.len() < deflated.capacity() {
                    return Ok(());
                }
                deflated.reserve(deflated.capacity().max(4096));
            }
        })?;
        let mut crc = Crc::new();
        crc.update(plain);
        Ok(Packed { deflated, crc })
    }

    /// Bytes held.
    pub fn size(&self) -> usize {
        self.deflated.len()
    }
}

/// One gzip member (RFC 1952) holding the pieces' text one after another.
pub fn join(pieces: &[&Packed]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pieces.iter().map(|p| p.deflated.len()).sum::<usize>() + 32);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let mut crc = Crc::new();
    for piece in pieces {
        out.extend_from_slice(&piece.deflated);
        crc.combine(&piece.crc);
    }
    // An empty last block (fixed codes): the stream ends here.
    out.extend_from_slice(&[0x03, 0x00]);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn gzip_members_decode_to_the_input_every_time() {
        let page = "<p>The harbour wall held, mostly.</p>\n".repeat(3000);
        for _ in 0..3 {
            let packed = compress(page.as_bytes()).unwrap();
            assert!(packed.len() < page.len() / 10);
            let mut unpacked = String::new();
            flate2::read::GzDecoder::new(&packed[..]).read_to_string(&mut unpacked).unwrap();
            assert_eq!(unpacked, page);
        }
        let mut empty = Vec::new();
        flate2::read::GzDecoder::new(&compress(b"").unwrap()[..]).read_to_end(&mut empty).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn brotli_streams_decode_to_the_input() {
        let page = "<p>The ferry keeps winter hours.</p>\n".repeat(2000);
        let packed = brotli(page.as_bytes()).unwrap();
        assert!(packed.len() < page.len() / 20);
        let mut unpacked = String::new();
        ::brotli::Decompressor::new(&packed[..], 4096).read_to_string(&mut unpacked).unwrap();
        assert_eq!(unpacked, page);
    }

    #[test]
    fn pieces_packed_apart_join_into_one_member() {
        let parts = [
            "<header>".repeat(500),
            String::new(),
            "<p>Reader's own part</p>".into(),
            "<footer>the rest of the page</footer>\n".repeat(4000),
        ];
        let packed: Vec<Packed> = parts.iter().map(|p| Packed::new(p.as_bytes()).unwrap()).collect();
        let joined = join(&packed.iter().collect::<Vec<_>>());
        let mut unpacked = String::new();
        flate2::read::GzDecoder::new(&joined[..]).read_to_string(&mut unpacked).unwrap();
        assert_eq!(unpacked, parts.concat());
        assert!(joined.len() < parts.concat().len() / 10);
        let mut nothing = Vec::new();
        flate2::read::GzDecoder::new(&join(&[])[..]).read_to_end(&mut nothing).unwrap();
        assert!(nothing.is_empty());
    }

    #[test]
    fn reads_accept_encoding_like_browsers_send_it() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
            accepts_gzip(&headers)
        };
        assert!(with("gzip, deflate, br, zstd"));
        assert!(with("br;q=1.0, gzip;q=0.8"));
        assert!(with("*"));
        assert!(!with("gzip;q=0"));
        assert!(!with("br"));
        let brotli = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
            accepts_brotli(&headers)
        };
        assert!(brotli("gzip, deflate, br, zstd") && brotli("BR;q=0.5"));
        assert!(!brotli("br;q=0") && !brotli("*") && !brotli("gzip"));
        assert!(!with("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
        assert!(is_compressible("text/html; charset=utf-8"));
        assert!(is_compressible("application/atom+xml"));
        assert!(is_compressible("image/svg+xml"));
        assert!(!is_compressible("image/png"));
    }
}
