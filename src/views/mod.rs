//! Template structs and the display data they receive. Templates get
//! ready-to-show values; nothing here queries the database.

pub mod admin;
pub mod comment_text;
pub mod discovery;
pub mod discussion;
pub mod export;
pub mod pages;
pub mod profile;
pub mod time;

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::models::{ArticleCard, Author, Page};
pub use time::Moment;

/// A section as the navigation shows it.
#[derive(Clone, Debug)]
pub struct NavItem {
    pub name: String,
    pub url: String,
    pub slug: String,
}

/// What the shared layout needs: the page's title and canonical address, the
/// navigation, the asset URLs.
#[derive(Clone, Debug)]
pub struct Chrome {
    pub site_name: String,
    pub title: String,
    pub description: String,
    pub canonical: String,
    pub css_url: String,
    pub icon_url: String,
    pub nav: Arc<Vec<NavItem>>,
    /// The slug of the section this page belongs to, to mark it in the nav.
    pub current: String,
    pub year: i32,
    /// The logged-in reader, for the account links in the header.
    pub viewer: Option<ViewerView>,
    /// Token for the header's log-out button.
    pub csrf: String,
    /// Log-in link that comes back to this page.
    pub login_url: String,
    /// Feeds this page advertises.
    pub feeds: Vec<discovery::FeedLink>,
    /// Social card and structured data.
    pub social: discovery::SocialMeta,
    /// Empty, except on the shared copy logged-in readers' pages are
    /// assembled from (`reader_pages`): written before and after each part
    /// that is the reader's own (the account links, the comment form).
    pub splice: String,
}

/// The logged-in reader as the header shows them.
#[derive(Clone, Debug)]
pub struct ViewerView {
    pub display_name: String,
    pub username: String,
    pub is_staff: bool,
    /// New replies to their comments, for the header's "Replies" link.
    pub unseen_replies: i64,
}

impl ViewerView {
    pub fn of(user: &crate::models::User, unseen_replies: i64) -> ViewerView {
        ViewerView {
            display_name: user.display_name.clone(),
            username: user.username.clone(),
            is_staff: crate::permissions::may_moderate(user),
            unseen_replies,
        }
    }
}

/// What the header's account links need (the `chrome` of the partial).
pub struct AccountBarView {
    pub viewer: Option<ViewerView>,
    pub csrf: String,
    pub login_url: String,
}

/// The header's account links alone, for a page assembled per reader.
#[derive(askama::Template)]
#[template(path = "partials/account_bar.html", whitespace = "minimize")]
pub struct AccountBarPart {
    pub chrome: AccountBarView,
}

/// The comment form alone, for a page assembled per reader.
#[derive(askama::Template)]
#[template(path = "partials/comment_form.html", whitespace = "minimize")]
pub struct CommentFormPart {
    pub form: discussion::CommentForm,
}

/// `base?next=…` that comes back to `next` (plain `base` for the home page).
pub fn with_next(base: &str, next: &str) -> String {
    if next == "/" {
        base.to_string()
    } else {
        format!("{base}?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
    }
}

/// A log-in link that comes back to `path`.
pub fn login_url(path: &str) -> String {
    if path.starts_with("/login") || path.starts_with("/signup") { "/login".into() } else { with_next("/login", path) }
}

impl Chrome {
    /// The document title: "Page – Site", or just the site on the home page.
    pub fn document_title(&self) -> String {
        if self.title.is_empty() { self.site_name.clone() } else { format!("{} – {}", self.title, self.site_name) }
    }

    pub fn is_current(&self, slug: &str) -> bool {
        self.current == slug
    }

    /// The title social cards show: the page's own, or the site's.
    pub fn social_title(&self) -> &str {
        if !self.social.title.is_empty() {
            &self.social.title
        } else if self.title.is_empty() {
            &self.site_name
        } else {
            &self.title
        }
    }

    pub fn social_description(&self) -> &str {
        if self.social.description.is_empty() { &self.description } else { &self.social.description }
    }
}

#[derive(Clone, Debug)]
pub struct ImageView {
    pub url: String,
    pub alt: String,
}

#[derive(Clone, Debug)]
pub struct AuthorView {
    pub name: String,
    pub url: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub initials: String,
}

impl AuthorView {
    pub fn from_author(author: &Author) -> AuthorView {
        AuthorView {
            name: author.name.clone(),
            url: format!("/authors/{}", author.slug),
            bio: author.bio.clone(),
            avatar_url: author.avatar_url.clone(),
            initials: initials(&author.name),
        }
    }
}

/// Up to two initials for an avatar placeholder ("Mara Quell" → "MQ").
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|word| word.chars().next()).flat_map(char::to_uppercase).take(2).collect()
}

/// A story in a list.
#[derive(Clone, Debug)]
pub struct CardView {
    pub comment_count: i64,
    pub url: String,
    pub headline: String,
    pub dek: String,
    pub image: Option<ImageView>,
    pub section_name: String,
    pub section_url: String,
    pub when: Moment,
    pub authors: Vec<AuthorView>,
}

impl CardView {
    pub fn new(card: &ArticleCard, now: NaiveDateTime) -> CardView {
        CardView {
            url: format!("/articles/{}", card.slug),
            headline: card.headline.clone(),
            dek: card.dek.clone(),
            image: card.image_url.as_ref().map(|url| ImageView { url: url.clone(), alt: card.image_alt.clone() }),
            section_name: card.section_name.clone(),
            section_url: format!("/sections/{}", card.section_slug),
            when: Moment::new(card.published_at, now),
            authors: card.authors.iter().map(AuthorView::from_author).collect(),
            comment_count: card.comment_count,
        }
    }

    pub fn comments_label(&self) -> String {
        match self.comment_count {
            1 => "1 comment".into(),
            n => format!("{n} comments"),
        }
    }

    pub fn list(cards: &[ArticleCard], now: NaiveDateTime) -> Vec<CardView> {
        cards.iter().map(|card| CardView::new(card, now)).collect()
    }

    /// "By A and B", for cards.
    pub fn byline(&self) -> String {
        join_names(self.authors.iter().map(|a| a.name.as_str()))
    }
}

/// "A", "A and B", "A, B and C".
pub fn join_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// "1 second", "40 seconds", "3 minutes": how long to wait, in words.
pub fn wait_words(seconds: u64) -> String {
    match seconds {
        0 | 1 => "1 second".into(),
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

/// Links to the neighbouring pages of a paginated list.
#[derive(Clone, Debug)]
pub struct Pager {
    pub number: i64,
    pub total_pages: i64,
    pub newer_url: Option<String>,
    pub older_url: Option<String>,
    pub newer_label: &'static str,
    pub older_label: &'static str,
}

impl Pager {
    pub fn new<T>(page: &Page<T>, base: &str) -> Pager {
        Pager::linked(page.number, page.total_pages, base, "")
    }

    /// Links to `base` (which may carry a query) with `page=N` and an
    /// optional `#fragment`.
    pub fn linked(number: i64, total_pages: i64, base: &str, fragment: &str) -> Pager {
        let separator = if base.contains('?') { '&' } else { '?' };
        let link = |n: i64| {
            if n == 1 { format!("{base}{fragment}") } else { format!("{base}{separator}page={n}{fragment}") }
        };
        Pager {
            number,
            total_pages,
            newer_url: (number > 1).then(|| link(number - 1)),
            older_url: (number < total_pages).then(|| link(number + 1)),
            newer_label: "Newer stories",
            older_label: "Older stories",
        }
    }

    /// The same links with other words ("Previous page", "Next page").
    pub fn labelled(self, newer_label: &'static str, older_label: &'static str) -> Pager {
        Pager { newer_label, older_label, ..self }
    }

    pub fn is_needed(&self) -> bool {
        self.total_pages > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_initials() {
        assert_eq!(join_names(["A", "B", "C"].into_iter()), "A, B and C");
        assert_eq!(join_names(["A"].into_iter()), "A");
        assert_eq!(initials("mara de quell"), "MD");
        assert_eq!(initials("News Desk"), "ND");
    }
}
