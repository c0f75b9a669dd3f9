//! `newsdesk import DIR`: sections, authors and Markdown articles from files,
//! written in one transaction so a bad file leaves the database untouched.

pub mod comments;
pub mod parse;
pub mod source;
mod svg;

use chrono::{NaiveDateTime, TimeDelta};
use sha2::{Digest, Sha256};

use crate::db::{DbConn, write_transaction};
use crate::models::article::ArticleFields;
use crate::models::author::AuthorFields;
use crate::models::section::SectionFields;
use crate::models::{Article, Author, MediaFile, Section, Tag};
use parse::{AuthorFile, ParsedArticle, SectionFile};
pub use source::{DirSource, EmbeddedSource, Source};

/// Images larger than this are refused: they belong in a CDN, not a row.
const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// One problem, tied to the file that has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}", list_problems(.0))]
    Files(Vec<FileProblem>),
    #[error("cannot read the content folder: {0}")]
    Io(#[from] std::io::Error),
    #[error("nothing to import: no sections/*.toml, authors/*.toml or articles/*.md found in {0}")]
    Empty(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

fn list_problems(problems: &[FileProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.path, p.reason)).collect();
    format!("{} file(s) could not be imported, nothing was written:\n{}", problems.len(), lines.join("\n"))
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub sections: Vec<String>,
    pub authors: Vec<String>,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub images: usize,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "sections: {} ({})", self.sections.len(), self.sections.join(", "))?;
        writeln!(f, "authors: {} ({})", self.authors.len(), self.authors.join(", "))?;
        writeln!(f, "articles created: {}", self.created.len())?;
        for slug in &self.created {
            writeln!(f, "  + {slug}")?;
        }
        writeln!(f, "articles updated: {}", self.updated.len())?;
        for slug in &self.updated {
            writeln!(f, "  ~ {slug}")?;
        }
        write!(f, "images stored: {}", self.images)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Move every imported article forward by whole days, as far as keeps
    /// the newest one at or before this moment (used for the demo, so its
    /// stories are recent whenever it is loaded and keep their time of day).
    pub rebase_to: Option<NaiveDateTime>,
}

struct Bundle {
    sections: Vec<(String, SectionFile)>,
    authors: Vec<(String, String, AuthorFile)>,
    articles: Vec<(String, ParsedArticle)>,
}

/// Reads and checks every file; any problem in any file fails the whole run.
fn read_bundle(source: &dyn Source) -> Result<Bundle, ImportError> {
    let mut problems = Vec::new();
    let mut bundle = Bundle { sections: Vec::new(), authors: Vec::new(), articles: Vec::new() };
    for file in source.files("sections", ".toml")? {
        match parse::parse_toml::<SectionFile>(&file.bytes)
            .and_then(|s| with_slug(s.slug.clone(), &file.relative).map(|slug| (slug, s)))
        {
            Ok((_, section)) if section.name.trim().is_empty() => {
                problems.push(problem(source, &file.relative, "name is empty"));
            }
            Ok((slug, section)) => bundle.sections.push((slug, section)),
            Err(reason) => problems.push(problem(source, &file.relative, &reason)),
        }
    }
    for file in source.files("authors", ".toml")? {
        match parse::parse_toml::<AuthorFile>(&file.bytes)
            .and_then(|a| with_slug(a.slug.clone(), &file.relative).map(|slug| (slug, a)))
        {
            Ok((_, author)) if author.name.trim().is_empty() => {
                problems.push(problem(source, &file.relative, "name is empty"));
            }
            Ok((slug, author)) => bundle.authors.push((slug, file.relative.clone(), author)),
            Err(reason) => problems.push(problem(source, &file.relative, &reason)),
        }
    }
    for file in source.files("articles", ".md")? {
        match parse::parse_article(&file.relative, &file.bytes) {
            Ok(article) => bundle.articles.push((file.relative.clone(), article)),
            Err(reason) => problems.push(problem(source, &file.relative, &reason)),
        }
    }
    check_duplicates(source, &bundle, &mut problems);
    if !problems.is_empty() {
        return Err(ImportError::Files(problems));
    }
    if bundle.sections.is_empty() && bundle.authors.is_empty() && bundle.articles.is_empty() {
        return Err(ImportError::Empty(source.display("")));
    }
    Ok(bundle)
}

fn with_slug(explicit: Option<String>, relative: &str) -> Result<String, String> {
    let slug = explicit.unwrap_or_else(|| parse::slug_from_path(relative));
    parse::check_slug(&slug)?;
    Ok(slug)
}

fn problem(source: &dyn Source, relative: &str, reason: &str) -> FileProblem {
    FileProblem { path: source.display(relative), reason: reason.to_string() }
}

fn check_duplicates(source: &dyn Source, bundle: &Bundle, problems: &mut Vec<FileProblem>) {
    let mut seen = std::collections::HashSet::new();
    for (relative, article) in &bundle.articles {
        if !seen.insert(article.slug.as_str()) {
            problems.push(problem(
                source,
                relative,
                &format!("another article in this import has the slug \"{}\"", article.slug),
            ));
        }
    }
}

/// Checks and stores an image referenced by a content file; returns its URL.
fn store_image(
    conn: &mut DbConn,
    source: &dyn Source,
    relative: &str,
    now: NaiveDateTime,
) -> Result<Result<String, String>, diesel::result::Error> {
    let Some(bytes) = source.read(relative) else {
        return Ok(Err(format!("image \"{relative}\" was not found in the content folder")));
    };
    let Some(content_type) = image_type(relative) else {
        return Ok(Err(format!("image \"{relative}\" is not SVG, PNG, JPEG, WebP, GIF or AVIF")));
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return Ok(Err(format!("image \"{relative}\" is larger than 5 MB")));
    }
    if content_type == "image/svg+xml"
        && let Some(why) = svg::refusal(&bytes)
    {
        return Ok(Err(format!("image \"{relative}\" {why}; only plain drawings are taken as SVG")));
    }
    let digest = hex::encode(&Sha256::digest(&bytes)[..8]);
    let file_name = relative.rsplit('/').next().unwrap_or(relative);
    MediaFile::store(conn, relative, file_name, content_type, &bytes, &digest, now).map(Ok)
}

fn image_type(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "avif" => "image/avif",
        _ => return None,
    })
}

/// Imports everything under `source` in one write transaction.
pub fn import(
    conn: &mut DbConn,
    source: &dyn Source,
    options: ImportOptions,
    now: NaiveDateTime,
) -> Result<ImportReport, ImportError> {
    let bundle = read_bundle(source)?;
    let shift = match (options.rebase_to, bundle.articles.iter().map(|(_, a)| a.published).max()) {
        (Some(target), Some(newest)) => TimeDelta::days((target - newest).num_seconds().div_euclid(86_400)),
        _ => TimeDelta::zero(),
    };
    write_transaction(conn, |conn| {
        let mut report = ImportReport::default();
        let mut problems = Vec::new();
        for (slug, section) in &bundle.sections {
            Section::upsert(
                conn,
                &SectionFields {
                    slug,
                    name: section.name.trim(),
                    description: section.description.trim(),
                    position: section.position,
                },
            )?;
            report.sections.push(slug.clone());
        }
        for (slug, relative, author) in &bundle.authors {
            let avatar = match &author.avatar {
                Some(path) => match store_image(conn, source, path, now)? {
                    Ok(url) => {
                        report.images += 1;
                        Some(url)
                    }
                    Err(reason) => {
                        problems.push(problem(source, relative, &format!("avatar: {reason}")));
                        None
                    }
                },
                None => None,
            };
            Author::upsert(
                conn,
                &AuthorFields {
                    slug,
                    name: author.name.trim(),
                    bio: author.bio.trim(),
                    avatar_url: avatar.as_deref(),
                    is_organization: author.organization,
                },
            )?;
            report.authors.push(slug.clone());
        }
        for (relative, article) in &bundle.articles {
            match store_article(conn, source, article, shift, now)? {
                Ok((true, images)) => {
                    report.created.push(article.slug.clone());
                    report.images += images;
                }
                Ok((false, images)) => {
                    report.updated.push(article.slug.clone());
                    report.images += images;
                }
                Err(reason) => problems.push(problem(source, relative, &reason)),
            }
        }
        if problems.is_empty() { Ok(report) } else { Err(ImportError::Files(problems)) }
    })
}

/// Links one article to its section, authors, tags and image and stores it.
/// The outer Result is the database; the inner one a problem with the file.
fn store_article(
    conn: &mut DbConn,
    source: &dyn Source,
    article: &ParsedArticle,
    shift: TimeDelta,
    now: NaiveDateTime,
) -> Result<Result<(bool, usize), String>, diesel::result::Error> {
    let front = &article.front;
    let Some(section_id) = Section::id_by_slug(conn, &front.section)? else {
        return Ok(Err(format!("unknown section \"{}\" (add sections/{}.toml)", front.section, front.section)));
    };
    let mut author_ids = Vec::new();
    for slug in &front.authors {
        match Author::id_by_slug(conn, slug)? {
            Some(id) if !author_ids.contains(&id) => author_ids.push(id),
            Some(_) => {}
            None => return Ok(Err(format!("unknown author \"{slug}\" (add authors/{slug}.toml)"))),
        }
    }
    let mut tag_ids = Vec::new();
    for name in &front.tags {
        let id = Tag::ensure(conn, &parse::tag_slug(name), name.trim())?;
        if !tag_ids.contains(&id) {
            tag_ids.push(id);
        }
    }
    let mut images = 0;
    let image_url = match &front.image {
        Some(image) => match store_image(conn, source, &image.src, now)? {
            Ok(url) => {
                images += 1;
                Some(url)
            }
            Err(reason) => return Ok(Err(format!("image.src: {reason}"))),
        },
        None => None,
    };
    let image = front.image.as_ref();
    // A correction keeps the date it was first imported with while its text
    // stays the same; a new text is a new correction, dated now.
    let correction = front.correction.as_deref().map(str::trim);
    let corrected_at = match (correction, Article::correction_of(conn, &article.slug)?) {
        (None, _) => None,
        (Some(text), Some((stored, at))) if stored == text => Some(at),
        (Some(_), _) => Some(now),
    };
    let fields = ArticleFields {
        slug: &article.slug,
        headline: front.title.trim(),
        dek: front.dek.trim(),
        body_markdown: &article.body_markdown,
        body_html: &article.body_html,
        body_text: &article.body_text,
        section_id,
        image_url: image_url.as_deref(),
        image_alt: image.map(|i| i.alt.trim()).unwrap_or_default(),
        image_caption: image.map(|i| i.caption.trim()).unwrap_or_default(),
        image_credit: image.map(|i| i.credit.trim()).unwrap_or_default(),
        published_at: article.published + shift,
        updated_at: article.updated.map(|u| u + shift),
        comments_open: front.comments_open.unwrap_or(true),
        imported_at: now,
        correction,
        corrected_at,
    };
    let (_, created) = Article::upsert(conn, &fields, &author_ids, &tag_ids)?;
    Ok(Ok((created, images)))
}

/// Loads the built-in demo newsroom into an empty database, its newest story
/// moved to within the last day. Returns None if there were articles.
pub fn load_demo_if_empty(conn: &mut DbConn, now: NaiveDateTime) -> Result<Option<ImportReport>, ImportError> {
    if Article::count(conn)? > 0 {
        return Ok(None);
    }
    let options = ImportOptions { rebase_to: Some(now) };
    import(conn, &EmbeddedSource::demo(), options, now).map(Some)
}
