//! `newsdesk import`: good folders, re-imports, and every kind of bad file,
//! each reported with its path and leaving the database as it was.

mod common;

use std::path::Path;

use common::{Backend, TestApp, html, texts};
use newsdesk::import::{DirSource, ImportError, ImportOptions, ImportReport, import};
use newsdesk::state::now;

const SECTION: &str = "name = \"Weather\"\ndescription = \"Skies and seas.\"\nposition = 7\n";
const AUTHOR: &str = "name = \"Wren Ashdown\"\nbio = \"Weather correspondent.\"\navatar = \"img/wren.svg\"\n";
const AVATAR: &str =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"5\"/></svg>";

fn article(title: &str, extra: &str, body: &str) -> String {
    format!(
        "+++\ntitle = \"{title}\"\ndek = \"A dek.\"\nsection = \"weather\"\nauthors = [\"wren-ashdown\"]\n\
         tags = [\"Fog Banks\", \"coast\"]\npublished = \"2026-11-20T09:00:00Z\"\n{extra}\n+++\n{body}\n"
    )
}

/// A content folder with one section, one author and the given articles.
fn folder(articles: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["sections", "authors", "articles", "img"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("sections/weather.toml"), SECTION).unwrap();
    std::fs::write(root.join("authors/wren-ashdown.toml"), AUTHOR).unwrap();
    std::fs::write(root.join("img/wren.svg"), AVATAR).unwrap();
    std::fs::write(root.join("img/fog.svg"), AVATAR).unwrap();
    for (name, text) in articles {
        std::fs::write(root.join("articles").join(name), text).unwrap();
    }
    dir
}

fn run(app: &TestApp, dir: &Path) -> Result<ImportReport, ImportError> {
    import(&mut app.conn(), &DirSource::new(dir), ImportOptions::default(), now())
}

fn article_count(app: &TestApp) -> i64 {
    newsdesk::models::Article::count(&mut app.conn()).unwrap()
}

async fn a_folder_imports_and_reimporting_updates_in_place(backend: Backend) {
    let Some(app) = TestApp::empty(backend).await else { return };
    let image =
        "\n[image]\nsrc = \"img/fog.svg\"\nalt = \"Fog over the bay\"\ncaption = \"Fog.\"\ncredit = \"A. Lens\"";
    let body = "First paragraph with a [link](https://example.org).\n\n> \"A quote.\" — Someone\n\n<script>alert('x')</script>\n\n- one\n- two";
    let dir = folder(&[("fog-returns.md", article("Fog returns", image, body))]);
    let report = run(&app, dir.path()).unwrap();
    assert_eq!(report.created, ["fog-returns"]);
    assert_eq!(report.images, 2, "avatar and hero image");
    let (status, page) = app.page("/articles/fog-returns").await;
    assert_eq!(status, 200);
    let doc = html(&page);
    assert_eq!(texts(&doc, "h1"), ["Fog returns"]);
    assert_eq!(texts(&doc, ".story-body blockquote").len(), 1);
    assert_eq!(texts(&doc, ".story-body li"), ["one", "two"]);
    assert!(!page.contains("<script>alert"), "HTML in Markdown is sanitised");
    assert_eq!(texts(&doc, ".story-tags a"), ["coast", "Fog Banks"]);
    assert_eq!(app.page("/tags/fog-banks").await.0, 200);
    assert_eq!(app.page("/sections/weather").await.0, 200);

    // Same slug again with a new headline: updated, not duplicated.
    std::fs::write(dir.path().join("articles/fog-returns.md"), article("Fog lifts at last", image, "New body."))
        .unwrap();
    let report = run(&app, dir.path()).unwrap();
    assert!(report.created.is_empty());
    assert_eq!(report.updated, ["fog-returns"]);
    assert_eq!(article_count(&app), 1);
    let (_, page) = app.page("/articles/fog-returns").await;
    assert!(page.contains("Fog lifts at last") && page.contains("New body."));
    assert_eq!(app.page("/tags/fog-banks").await.0, 200);
}

/// Each kind of bad file, with what the message must mention.
fn bad_files() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("broken.md", "+++\ntitle = \"Unclosed\n+++\nBody\n".to_string(), "front matter"),
        ("no-fence.md", "title = \"x\"\nBody\n".to_string(), "+++"),
        (
            "no-title.md",
            "+++\nsection = \"weather\"\nauthors = [\"wren-ashdown\"]\npublished = \"2026-11-20T09:00:00Z\"\n+++\nBody\n".to_string(),
            "title",
        ),
        (
            "unknown-author.md",
            article("Who", "", "Body").replace("[\"wren-ashdown\"]", "[\"nobody-at-all\"]"),
            "unknown author \"nobody-at-all\"",
        ),
        ("unknown-section.md", article("Where", "", "Body").replace("\"weather\"", "\"gardening\""), "unknown section \"gardening\""),
        ("bad-date.md", article("When", "", "Body").replace("2026-11-20T09:00:00Z", "last Tuesday"), "published"),
        (
            "missing-image.md",
            article("Pic", "\n[image]\nsrc = \"img/none.png\"\nalt = \"x\"", "Body"),
            "img/none.png",
        ),
        ("typo-field.md", article("Typo", "sectoin = \"weather\"", "Body"), "sectoin"),
        ("empty-body.md", article("Empty", "", ""), "no body"),
        ("bad-slug.md", article("Slug", "slug = \"Bad Slug!\"", "Body"), "slug"),
    ]
}

async fn each_bad_file_is_reported_and_nothing_is_written(backend: Backend) {
    let Some(app) = TestApp::empty(backend).await else { return };
    for (name, text, expected) in bad_files() {
        // A good article travels with the bad one: it must not be written either.
        let dir = folder(&[("good.md", article("Good", "", "Fine.")), (name, text)]);
        let error = run(&app, dir.path()).expect_err(name).to_string();
        let path = dir.path().join("articles").join(name).display().to_string();
        assert!(error.contains(&path), "{name}: message names the file: {error}");
        assert!(error.contains(expected), "{name}: message says why ({expected}): {error}");
        assert!(error.contains("nothing was written"), "{error}");
        assert_eq!(article_count(&app), 0, "{name}: nothing half-written");
        assert_eq!(app.page("/sections/weather").await.0, 404, "{name}: not even the section");
    }
}

async fn articles_may_use_sections_and_authors_already_in_the_database(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("articles")).unwrap();
    std::fs::write(
        dir.path().join("articles/late-edition.md"),
        "+++\ntitle = \"Late edition\"\nsection = \"local\"\nauthors = [\"news-desk\"]\npublished = 2026-11-20T09:00:00Z\n+++\nText.\n",
    )
    .unwrap();
    let report = run(&app, dir.path()).unwrap();
    assert_eq!(report.created, ["late-edition"]);
    assert_eq!(app.page("/articles/late-edition").await.0, 200);
}

async fn the_cli_prints_what_it_imported_and_fails_clearly(backend: Backend) {
    let Some(app) = TestApp::empty(backend).await else { return };
    let dir = folder(&[("cli-story.md", article("From the CLI", "", "Text."))]);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .arg("import")
        .arg(dir.path())
        .env("NEWSDESK_DATABASE_URL", &app.database.url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("articles created: 1") && stdout.contains("+ cli-story"), "{stdout}");

    std::fs::write(dir.path().join("articles/cli-story.md"), "+++\ntitle = \n+++\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .arg("import")
        .arg(dir.path())
        .env("NEWSDESK_DATABASE_URL", &app.database.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("cli-story.md") && !stderr.contains("panicked"), "{stderr}");
}

/// Only plain drawings are taken as SVG: event handlers hidden after a
/// slash, entity-encoded `javascript:`, links out of the file and
/// animations that rewrite links are all refused, and nothing is written.
async fn svg_images_must_be_plain_drawings(backend: Backend) {
    let Some(app) = TestApp::empty(backend).await else { return };
    let image = "\n[image]\nsrc = \"img/fog.svg\"\nalt = \"Fog\"\ncaption = \"Fog.\"\ncredit = \"A. Lens\"";
    for hostile in [
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><svg/onload=alert(1)></svg>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><a href=\"jav&#x61;script:alert(1)\"><rect width=\"5\"/></a></svg>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><use href=\"https://evil.example/sprite.svg#a\"/></svg>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><set attributeName=\"href\" to=\"javascript:alert(1)\"/></svg>",
    ] {
        let dir = folder(&[("fog-returns.md", article("Fog returns", image, "Body."))]);
        std::fs::write(dir.path().join("img/fog.svg"), hostile).unwrap();
        let error = run(&app, dir.path()).expect_err(hostile).to_string();
        assert!(error.contains("img/fog.svg") && error.contains("nothing was written"), "{hostile}: {error}");
        assert_eq!(article_count(&app), 0, "{hostile}");
    }
}

on_both_backends!(
    svg_images_must_be_plain_drawings,
    a_folder_imports_and_reimporting_updates_in_place,
    each_bad_file_is_reported_and_nothing_is_written,
    articles_may_use_sections_and_authors_already_in_the_database,
    the_cli_prints_what_it_imported_and_fails_clearly,
);
