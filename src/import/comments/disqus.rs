//! Disqus exports: `<disqus>` holding `<thread dsq:id>` elements (link,
//! title) and `<post dsq:id>` elements that name their thread and parent by
//! id, in any order: a reply may come before the post it answers.

use chrono::DateTime;

use super::xml::{Node, Problem, Step, Tag, XmlFile};
use super::{Fate, Item, OldComment, OldThread, SkipReason};
use crate::models::comment::CommentStatus;

pub fn is_disqus(root: &Tag) -> bool {
    root.name == "disqus"
}

const ID: &str = "dsq:id";

pub fn read(file: &mut XmlFile, each: &mut dyn FnMut(Item)) -> Result<(), Problem> {
    let mut site_told = false;
    loop {
        match file.step()? {
            Step::Open(tag) if tag.name == "thread" => {
                let node = file.node(tag)?;
                let forum = node.text_of("forum");
                if !site_told && !forum.is_empty() {
                    each(Item::Site(forum.to_string()));
                    site_told = true;
                }
                match node.tag.attribute(ID) {
                    Some(id) => each(Item::Thread(OldThread {
                        key: id.to_string(),
                        slug: None,
                        link: Some(node.text_of("link").to_string()).filter(|l| !l.is_empty()),
                        title: node.text_of("title").to_string(),
                        at: node.tag.at,
                    })),
                    None => each(Item::Problem(Problem::new(node.tag.at, "a <thread> without dsq:id"))),
                }
            }
            Step::Open(tag) if tag.name == "post" => {
                let node = file.node(tag)?;
                each(Item::Comment(post(&node)));
            }
            Step::Open(tag) if tag.name == "disqus" => {}
            Step::Open(tag) => file.skip(&tag)?,
            Step::Close | Step::Text(_) => {}
            Step::End => return Ok(()),
        }
    }
}

fn is_true(node: &Node, name: &str) -> bool {
    node.text_of(name).eq_ignore_ascii_case("true")
}

fn post(node: &Node) -> OldComment {
    let mut problems = Vec::new();
    let id = node.tag.attribute(ID).map(str::trim).filter(|id| !id.is_empty()).map(String::from);
    if id.is_none() {
        problems.push(Problem::new(node.tag.at, "a <post> without dsq:id"));
    }
    let thread = node.child("thread").and_then(|t| t.tag.attribute(ID)).map(String::from);
    if thread.is_none() {
        problems.push(Problem::new(node.place_of("thread"), "a <post> without <thread dsq:id=\"…\"/>"));
    }
    let parent = node.child("parent").and_then(|p| p.tag.attribute(ID)).map(String::from);
    let raw_date = node.text_of("createdAt");
    let date = DateTime::parse_from_rfc3339(raw_date).map(|d| d.naive_utc()).ok();
    if date.is_none() {
        let message = format!("createdAt \"{raw_date}\" is not a date and time (like 2024-05-01T12:30:00Z)");
        problems.push(Problem::new(node.place_of("createdAt"), message));
    }
    let fate = if is_true(node, "isSpam") {
        Fate::Skip(SkipReason::Spam)
    } else if is_true(node, "isDeleted") {
        Fate::Deleted
    } else {
        Fate::Keep(CommentStatus::Published)
    };
    let author = node.child("author");
    let field = |name: &str| author.map_or("", |a| a.text_of(name)).to_string();
    let mut author_name = field("name");
    if author_name.is_empty() {
        author_name = field("username");
    }
    OldComment {
        at: node.tag.at,
        id,
        thread,
        parent,
        author_name,
        author_email: field("email"),
        date,
        body_html: node.child("message").map(|m| m.text.clone()).unwrap_or_default(),
        fate,
        problems,
    }
}
