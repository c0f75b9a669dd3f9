//! One askama template struct per kind of page.

use askama::Template;

use super::{AuthorView, CardView, Chrome, Moment, Pager};

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub chrome: Chrome,
    pub lead: Option<CardView>,
    pub secondary: Vec<CardView>,
    pub latest: Vec<CardView>,
    pub sections: Vec<SectionBlock>,
}

/// A section's newest stories on the home page.
pub struct SectionBlock {
    pub name: String,
    pub url: String,
    pub cards: Vec<CardView>,
}

#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticlePage {
    pub chrome: Chrome,
    pub article: ArticleView,
}

pub struct ArticleView {
    pub headline: String,
    pub dek: String,
    pub section_name: String,
    pub section_url: String,
    pub authors: Vec<AuthorView>,
    pub published: Moment,
    pub updated: Option<Moment>,
    pub figure: Option<FigureView>,
    /// Rendered from Markdown and sanitised at import time.
    pub body_html: String,
    pub tags: Vec<TagView>,
    pub comments_open: bool,
}

pub struct FigureView {
    pub url: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

pub struct TagView {
    pub name: String,
    pub url: String,
}

/// Section, author and tag pages: a heading, an introduction and a
/// paginated list of stories.
#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    /// "Section", "Author" or "Topic", shown above the heading.
    pub kind: &'static str,
    pub heading: String,
    pub intro: String,
    pub author: Option<AuthorView>,
    pub cards: Vec<CardView>,
    pub pager: Pager,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub title: String,
    pub message: String,
}
