//! Static assets (built into the binary) and imported media (stored in the
//! database). Both are addressed by content hash and cached for a year.

use actix_web::http::header::{self, CacheControl, CacheDirective, ETag, EntityTag};
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::error::AppError;
use crate::models::MediaFile;
use crate::state::AppState;

const ONE_YEAR: u32 = 365 * 24 * 60 * 60;

fn forever() -> CacheControl {
    CacheControl(vec![
        CacheDirective::Public,
        CacheDirective::MaxAge(ONE_YEAR),
        CacheDirective::Extension("immutable".into(), None),
    ])
}

fn not_modified(request: &HttpRequest, tag: &str) -> bool {
    request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == format!("\"{tag}\"")))
}

#[get("/static/{hash}/{path:.*}")]
pub async fn asset(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (hash, path) = params.into_inner();
    let asset = state.assets.get(&path).ok_or(AppError::NotFound)?;
    if not_modified(&request, &asset.hash) {
        return Ok(HttpResponse::NotModified().finish());
    }
    // A page cached before a deploy may ask for an old hash: serve the
    // current file, but only cache it briefly.
    let cache = if hash == asset.hash {
        forever()
    } else {
        CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(300)])
    };
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header(cache)
        .insert_header(ETag(EntityTag::new_strong(asset.hash.clone())))
        .body(asset.bytes))
}

#[get("/media/{digest}/{name}")]
pub async fn media(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (digest, name) = params.into_inner();
    if digest.len() != 16 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    if not_modified(&request, &digest) {
        return Ok(HttpResponse::NotModified().finish());
    }
    let file = state.db.run(move |conn| MediaFile::by_digest(conn, &digest, &name)?.ok_or(AppError::NotFound)).await?;
    let tag = request.match_info().get("digest").unwrap_or_default().to_string();
    Ok(HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header(forever())
        .insert_header(ETag(EntityTag::new_strong(tag)))
        // Uploaded SVG opened on its own must not run anything in our origin.
        .insert_header(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox"))
        .body(file.bytes))
}
