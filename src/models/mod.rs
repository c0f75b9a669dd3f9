//! Rows, inserts and the queries about each thing the site stores.
//! Route handlers call these; no SQL lives anywhere else.

pub mod article;
pub mod author;
pub mod comment;
pub mod discussion;
pub mod media;
pub mod moderation;
pub mod rate_limit;
pub mod replies;
pub mod report;
pub mod search;
pub mod section;
pub mod session;
pub mod settings;
pub mod tag;
pub mod user;

pub use article::{Article, ArticleCard, CardFilter};
pub use author::Author;
pub use comment::Comment;
pub use media::MediaFile;
pub use section::Section;
pub use tag::Tag;
pub use user::{Role, User};

/// One page of a longer list.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub number: i64,
    pub total_pages: i64,
}

impl<T> Page<T> {
    pub fn has_newer(&self) -> bool {
        self.number > 1
    }

    pub fn has_older(&self) -> bool {
        self.number < self.total_pages
    }
}

/// Pages needed for `total` items, at least one so an empty list still has
/// a first page to show its empty state on.
pub fn page_count(total: i64, per_page: i64) -> i64 {
    ((total + per_page - 1) / per_page).max(1)
}
