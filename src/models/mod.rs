//! Rows, inserts and the queries about each thing the site stores.
//! Route handlers call these; no SQL lives anywhere else.

/// A closed set of values kept in a TEXT column (no database enum types,
/// so both backends read them alike): the Rust enum names them, the column
/// holds their text, and a text that names none of them fails to load
/// instead of passing for a default. Fields of these types are read with
/// `#[diesel(deserialize_as = String)]` and written with `as_str()`.
macro_rules! text_values {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored for it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<$name, String> {
                $name::parse(&text).ok_or_else(|| format!("{:?} is not a {}", text, stringify!($name)))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The columns of a moderation queue row (`moderation::QueueRow`), selected
/// from a query over comments joined with their authors and articles.
macro_rules! queue_rows {
    ($query:expr) => {
        $query.select((
            $crate::models::Comment::as_select(),
            $crate::models::comment::CommentAuthor::as_select(),
            $crate::db::schema::articles::slug,
            $crate::db::schema::articles::headline,
            $crate::db::schema::comments::moderation_reason,
        ))
    };
}

pub mod article;
pub mod author;
pub mod comment;
pub mod discussion;
pub mod email;
pub mod imported;
pub mod media;
pub mod moderation;
pub mod mute;
pub mod profile;
pub mod questions;
pub mod rate_limit;
pub mod record;
pub mod replies;
pub mod report;
pub mod respect;
pub mod search;
pub mod section;
pub mod session;
pub mod settings;
pub mod tag;
pub mod takedown;
pub mod trust;
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
