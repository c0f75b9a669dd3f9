//! Site settings that admins change from the admin area: word lists, link
//! and first-comment holds, and when discussions close by themselves.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::schema::settings;
use crate::db::{DbConn, write_transaction};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteSettings {
    /// Close comments this many days after publication; 0 keeps them open.
    pub auto_close_days: i64,
    /// A comment with more links than this is held for review.
    pub max_links: usize,
    /// Hold new accounts' comments for review...
    pub hold_first_comment: bool,
    /// ...until this many of them were approved.
    pub trusted_after: i64,
    /// Removals within `removal_window_days` that put a reader back on
    /// pre-moderation; 0 never does.
    pub premoderate_after: i64,
    pub removal_window_days: i64,
    /// Words that make a comment be refused.
    pub banned_words: Vec<String>,
    /// Words that make a comment be held for review.
    pub suspect_words: Vec<String>,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            auto_close_days: 0,
            max_links: 2,
            hold_first_comment: false,
            trusted_after: 1,
            premoderate_after: 0,
            removal_window_days: 30,
            banned_words: Vec::new(),
            suspect_words: Vec::new(),
        }
    }
}

/// One word or phrase per line, lowercased, blank lines dropped.
pub fn word_list(text: &str) -> Vec<String> {
    let mut words: Vec<String> =
        text.lines().map(|l| l.trim().to_lowercase()).filter(|l| !l.is_empty() && l.chars().count() <= 100).collect();
    words.sort();
    words.dedup();
    words
}

/// The listed word or phrase found in `text`, matched whole and in any case
/// ("ass" does not match "class").
pub fn find_listed<'a>(text: &str, words: &'a [String]) -> Option<&'a str> {
    let lowered = text.to_lowercase();
    let tokens: Vec<&str> = lowered.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    words.iter().map(String::as_str).find(|entry| {
        let phrase: Vec<&str> = entry.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
        !phrase.is_empty() && tokens.windows(phrase.len()).any(|window| window == phrase.as_slice())
    })
}

/// Web addresses in a comment (what the renderer would turn into links).
pub fn link_count(text: &str) -> usize {
    let lowered = text.to_ascii_lowercase();
    lowered.matches("http://").count() + lowered.matches("https://").count()
}

impl SiteSettings {
    pub fn load(conn: &mut DbConn) -> QueryResult<SiteSettings> {
        let rows: Vec<(String, String)> = settings::table.select((settings::key, settings::value)).load(conn)?;
        let mut loaded = SiteSettings::default();
        for (key, value) in rows {
            match key.as_str() {
                "auto_close_days" => loaded.auto_close_days = value.parse().unwrap_or(0),
                "max_links" => loaded.max_links = value.parse().unwrap_or(2),
                "hold_first_comment" => loaded.hold_first_comment = value == "true",
                "trusted_after" => loaded.trusted_after = value.parse().unwrap_or(1),
                "premoderate_after" => loaded.premoderate_after = value.parse().unwrap_or(0),
                "removal_window_days" => loaded.removal_window_days = value.parse().unwrap_or(30),
                "banned_words" => loaded.banned_words = word_list(&value),
                "suspect_words" => loaded.suspect_words = word_list(&value),
                _ => {}
            }
        }
        Ok(loaded)
    }

    pub fn save(&self, conn: &mut DbConn) -> QueryResult<()> {
        let values = [
            ("auto_close_days", self.auto_close_days.to_string()),
            ("max_links", self.max_links.to_string()),
            ("hold_first_comment", self.hold_first_comment.to_string()),
            ("trusted_after", self.trusted_after.to_string()),
            ("premoderate_after", self.premoderate_after.to_string()),
            ("removal_window_days", self.removal_window_days.to_string()),
            ("banned_words", self.banned_words.join("\n")),
            ("suspect_words", self.suspect_words.join("\n")),
        ];
        write_transaction(conn, |conn| {
            for (key, value) in &values {
                diesel::delete(settings::table.find(key)).execute(conn)?;
                diesel::insert_into(settings::table)
                    .values((settings::key.eq(key), settings::value.eq(value)))
                    .execute(conn)?;
            }
            Ok(())
        })
    }

    /// Whether an article still takes comments: open, and not past the
    /// automatic closing age.
    pub fn accepts_comments(&self, open: bool, published: NaiveDateTime, now: NaiveDateTime) -> bool {
        open && (self.auto_close_days <= 0 || now - published < TimeDelta::days(self.auto_close_days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_whole_and_in_any_case() {
        let words = word_list("Scam\n\n  free money \nASS\n");
        assert_eq!(words, ["ass", "free money", "scam"]);
        assert_eq!(find_listed("This is a SCAM, friends", &words), Some("scam"));
        assert_eq!(find_listed("Get FREE   money now", &words), Some("free money"));
        assert_eq!(find_listed("A classic assessment", &words), None);
        assert_eq!(link_count("see http://a.example and HTTPS://b.example"), 2);
    }
}
