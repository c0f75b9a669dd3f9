//! WordPress exports (WXR 1.2): `<rss>` → `<channel>` → `<item>` per post,
//! each with its slug (`wp:post_name`), `link`, and `wp:comment` entries.

use chrono::NaiveDateTime;

use super::xml::{Node, Problem, Step, Tag, XmlFile};
use super::{Fate, Item, OldComment, OldThread, SkipReason};
use crate::models::comment::CommentStatus;

/// Whether the root element is a WordPress export's.
pub fn is_wxr(root: &Tag) -> bool {
    root.name == "rss"
        && root.attributes.iter().any(|(key, value)| key == "xmlns:wp" && value.contains("wordpress.org/export"))
}

/// Reads the items after the root, telling each thread and comment to `each`.
pub fn read(file: &mut XmlFile, each: &mut dyn FnMut(Item)) -> Result<(), Problem> {
    let mut posts = 0u32;
    loop {
        match file.step()? {
            // The channel holds the items; its other children are skipped.
            Step::Open(tag) if tag.name == "channel" => {}
            Step::Open(tag) if tag.name == "wp:base_site_url" => {
                let site = file.text(&tag)?;
                each(Item::Site(site.trim().to_string()));
            }
            Step::Open(tag) if tag.name == "item" => {
                posts += 1;
                read_item(file, &tag, format!("post {posts}"), each)?;
            }
            Step::Open(tag) => file.skip(&tag)?,
            Step::Close | Step::Text(_) => {}
            Step::End => return Ok(()),
        }
    }
}

fn read_item(file: &mut XmlFile, item: &Tag, key: String, each: &mut dyn FnMut(Item)) -> Result<(), Problem> {
    let mut thread = OldThread { key: key.clone(), slug: None, link: None, title: String::new(), at: item.at };
    if item.empty {
        each(Item::Thread(thread));
        return Ok(());
    }
    loop {
        match file.step()? {
            Step::Open(tag) => match tag.name.as_str() {
                "wp:post_name" => thread.slug = Some(file.text(&tag)?.trim().to_string()).filter(|s| !s.is_empty()),
                "link" => thread.link = Some(file.text(&tag)?.trim().to_string()).filter(|s| !s.is_empty()),
                "title" => thread.title = file.text(&tag)?.trim().to_string(),
                "wp:comment" => each(Item::Comment(comment(file.node(tag)?, &key))),
                _ => file.skip(&tag)?,
            },
            Step::Close => break,
            Step::Text(_) => {}
            Step::End => return Err(Problem::new(item.at, "<item> is not closed before the end of the file")),
        }
    }
    each(Item::Thread(thread));
    Ok(())
}

fn comment(node: Node, thread: &str) -> OldComment {
    let mut problems = Vec::new();
    let id = Some(node.text_of("wp:comment_id").to_string()).filter(|id| !id.is_empty());
    if id.is_none() {
        problems.push(Problem::new(node.tag.at, "a comment without wp:comment_id"));
    }
    let parent = Some(node.text_of("wp:comment_parent")).filter(|p| !p.is_empty() && *p != "0").map(String::from);
    let parse = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok();
    let raw_date = node.text_of("wp:comment_date_gmt");
    // WordPress writes a zero GMT date for some entries it never converted;
    // their site-local time is then the best there is.
    let date = match raw_date {
        "0000-00-00 00:00:00" => parse(node.text_of("wp:comment_date")),
        _ => parse(raw_date),
    };
    if date.is_none() {
        let message = format!("wp:comment_date_gmt \"{raw_date}\" is not a date and time (YYYY-MM-DD HH:MM:SS, UTC)");
        problems.push(Problem::new(node.place_of("wp:comment_date_gmt"), message));
    }
    let kind = node.text_of("wp:comment_type");
    let approved = node.text_of("wp:comment_approved");
    let fate = match (kind, approved) {
        ("pingback", _) => Fate::Skip(SkipReason::Pingback),
        ("trackback", _) => Fate::Skip(SkipReason::Trackback),
        ("" | "comment", "1") => Fate::Keep(CommentStatus::Published),
        ("" | "comment", "0") => Fate::Keep(CommentStatus::Held),
        ("" | "comment", "spam") => Fate::Skip(SkipReason::Spam),
        ("" | "comment", "trash" | "post-trashed") => Fate::Skip(SkipReason::Trash),
        ("" | "comment", other) => {
            let message = format!("wp:comment_approved \"{other}\" is none of 1, 0, spam and trash");
            problems.push(Problem::new(node.place_of("wp:comment_approved"), message));
            Fate::Skip(SkipReason::Spam)
        }
        (_, _) => Fate::Skip(SkipReason::OtherType),
    };
    OldComment {
        at: node.tag.at,
        id,
        thread: Some(thread.to_string()),
        parent,
        author_name: node.text_of("wp:comment_author").to_string(),
        author_email: node.text_of("wp:comment_author_email").to_string(),
        date,
        body_html: node.child("wp:comment_content").map(|c| c.text.clone()).unwrap_or_default(),
        fate,
        problems,
    }
}
