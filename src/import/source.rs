//! Where imported files come from: a directory on disk (`newsdesk import`)
//! or the demo content compiled into the binary.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

/// The demo newsroom, built into the binary so `cargo run` needs no files.
pub static DEMO_CONTENT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/content");

/// One file read from a source, named by its path relative to the source root.
pub struct SourceFile {
    pub relative: String,
    pub bytes: Vec<u8>,
}

pub trait Source {
    /// The files directly inside `folder` whose names end with `extension`,
    /// sorted by name so imports are repeatable.
    fn files(&self, folder: &str, extension: &str) -> std::io::Result<Vec<SourceFile>>;
    /// A file by its path relative to the root, or None if there is none.
    fn read(&self, relative: &str) -> Option<Vec<u8>>;
    /// How to name a file in messages to the person importing.
    fn display(&self, relative: &str) -> String;
}

pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    pub fn new(root: &Path) -> DirSource {
        DirSource { root: root.to_path_buf() }
    }
}

impl Source for DirSource {
    fn files(&self, folder: &str, extension: &str) -> std::io::Result<Vec<SourceFile>> {
        let dir = self.root.join(folder);
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if path.is_file() && name.ends_with(extension) && !name.starts_with('.') {
                files.push(SourceFile { relative: format!("{folder}/{name}"), bytes: std::fs::read(&path)? });
            }
        }
        files.sort_by(|a, b| a.relative.cmp(&b.relative));
        Ok(files)
    }

    fn read(&self, relative: &str) -> Option<Vec<u8>> {
        // Only plain relative paths: an article must not pull in /etc/passwd
        // or ../secrets as its "image".
        let path = Path::new(relative);
        if path.is_absolute() || path.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return None;
        }
        std::fs::read(self.root.join(path)).ok()
    }

    fn display(&self, relative: &str) -> String {
        self.root.join(relative).display().to_string()
    }
}

pub struct EmbeddedSource {
    root: &'static Dir<'static>,
}

impl EmbeddedSource {
    pub fn demo() -> EmbeddedSource {
        EmbeddedSource { root: &DEMO_CONTENT }
    }
}

impl Source for EmbeddedSource {
    fn files(&self, folder: &str, extension: &str) -> std::io::Result<Vec<SourceFile>> {
        let Some(dir) = self.root.get_dir(folder) else {
            return Ok(Vec::new());
        };
        let mut files: Vec<SourceFile> = dir
            .files()
            .filter(|f| f.path().to_str().is_some_and(|p| p.ends_with(extension)))
            .map(|f| SourceFile { relative: f.path().to_string_lossy().into_owned(), bytes: f.contents().to_vec() })
            .collect();
        files.sort_by(|a, b| a.relative.cmp(&b.relative));
        Ok(files)
    }

    fn read(&self, relative: &str) -> Option<Vec<u8>> {
        self.root.get_file(relative).map(|f| f.contents().to_vec())
    }

    fn display(&self, relative: &str) -> String {
        format!("content/{relative} (built in)")
    }
}
