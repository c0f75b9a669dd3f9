//! The files under static/, built into the binary and served under a path
//! that contains their content hash, so browsers may cache them forever.

use std::collections::HashMap;

use include_dir::{Dir, include_dir};
use sha2::{Digest, Sha256};

static STATIC_FILES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

pub struct Asset {
    pub hash: String,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

pub struct Assets {
    files: HashMap<String, Asset>,
}

impl Assets {
    pub fn load() -> Assets {
        let mut files = HashMap::new();
        let mut stack = vec![&STATIC_FILES];
        while let Some(dir) = stack.pop() {
            stack.extend(dir.dirs());
            for file in dir.files() {
                let path = file.path().to_string_lossy().replace('\\', "/");
                let hash = hex::encode(&Sha256::digest(file.contents())[..6]);
                files.insert(path.clone(), Asset { hash, bytes: file.contents(), content_type: content_type(&path) });
            }
        }
        Assets { files }
    }

    /// The public URL of a static file, e.g. `/static/3fa2…/css/site.css`.
    pub fn url(&self, path: &str) -> String {
        match self.files.get(path) {
            Some(asset) => format!("/static/{}/{}", asset.hash, path),
            None => format!("/static/missing/{path}"),
        }
    }

    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("webp") => "image/webp",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
