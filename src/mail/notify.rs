//! Notifications by mail, each opt-in on the account page: a reply to your
//! comment, your comment featured, your comment removed (with the reason).
//! The actions call these inside the write transaction of the reply, the
//! pick or the removal, so a notification exists exactly when its cause
//! committed. Only confirmed addresses get mail. A reader who chose the
//! daily digest gets a line in `mail_digest_items` instead, which the
//! worker gathers into one message a day (`queue_due_digests`).

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::compose::{self, excerpt};
use super::queue::{self, Outgoing};
use super::unsubscribe::Topic;
use super::{Letterhead, MailKind};
use crate::db::DbConn;
use crate::db::schema::{mail_digest_items, users};
use crate::models::mute::Mute;
use crate::models::{Comment, User};

/// How often a digest goes out at most.
pub const DIGEST_EVERY: TimeDelta = TimeDelta::days(1);

/// Whether the author of a comment is to be told of a reply to it. The one
/// place this is decided: the reader asked for it, has a confirmed address
/// and an account, did not write the reply themselves, and has not muted
/// whoever did.
pub fn reply_notification_due(conn: &mut DbConn, parent_author: &User, replier_id: i32) -> QueryResult<bool> {
    if parent_author.id == replier_id || !parent_author.notify_replies || !mail_reaches(parent_author) {
        return Ok(false);
    }
    Ok(parent_author.muted_count == 0 || !Mute::ids_of(conn, parent_author.id)?.contains(&replier_id))
}

/// A confirmed address on an account still there.
fn mail_reaches(user: &User) -> bool {
    user.deleted_at.is_none() && user.email.is_some() && user.email_confirmed_at.is_some()
}

/// A reply just stored, as the notification tells of it.
pub struct NewReply<'a> {
    pub id: i32,
    pub author_id: i32,
    pub author_name: &'a str,
    pub text: &'a str,
    pub headline: &'a str,
}

/// Queues the notification of a reply, when it is due. Returns whether a
/// message was queued (the caller rings the worker after the commit).
pub fn reply_posted(
    conn: &mut DbConn,
    letterhead: &Letterhead,
    parent: &Comment,
    reply: &NewReply,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(author) = User::by_id(conn, parent.user_id)? else { return Ok(false) };
    if !reply_notification_due(conn, &author, reply.author_id)? {
        return Ok(false);
    }
    let link = letterhead.link(&format!("/comments/{}", reply.id));
    let item = compose::reply_item(reply.author_name, reply.headline, &excerpt(reply.text, 400), &link);
    let subject = format!("{} replied to your comment", reply.author_name);
    deliver(conn, letterhead, &author, Topic::Replies, MailKind::Reply, subject, &item, now)
}

/// Queues the notification of a held reply a moderator approved.
pub fn reply_approved(
    conn: &mut DbConn,
    letterhead: &Letterhead,
    reply: &Comment,
    headline: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(parent_id) = reply.parent_id else { return Ok(false) };
    let (Some(parent), Some(author)) = (Comment::by_id(conn, parent_id)?, User::by_id(conn, reply.user_id)?) else {
        return Ok(false);
    };
    let new = NewReply {
        id: reply.id,
        author_id: reply.user_id,
        author_name: &author.display_name,
        text: &reply.body,
        headline,
    };
    reply_posted(conn, letterhead, &parent, &new, now)
}

/// Queues the notification that a comment became an editors' pick.
pub fn featured(
    conn: &mut DbConn,
    letterhead: &Letterhead,
    comment: &Comment,
    headline: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(author) = User::by_id(conn, comment.user_id)? else { return Ok(false) };
    if !author.notify_featured || !mail_reaches(&author) {
        return Ok(false);
    }
    let item = compose::featured_item(headline, &letterhead.link(&format!("/comments/{}", comment.id)));
    let subject = "Your comment is an editors' pick".to_string();
    deliver(conn, letterhead, &author, Topic::Featured, MailKind::Featured, subject, &item, now)
}

/// Queues the notification that a moderator removed a comment.
pub fn removed(
    conn: &mut DbConn,
    letterhead: &Letterhead,
    comment: &Comment,
    headline: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(author) = User::by_id(conn, comment.user_id)? else { return Ok(false) };
    if !author.notify_removed || !mail_reaches(&author) {
        return Ok(false);
    }
    let item = compose::removed_item(headline, reason, &excerpt(&comment.body, 400), &letterhead.link("/moderation"));
    let subject = "A moderator removed your comment".to_string();
    deliver(conn, letterhead, &author, Topic::Removed, MailKind::Removed, subject, &item, now)
}

/// Mails the notification now, or keeps it for the reader's digest.
#[allow(clippy::too_many_arguments)]
fn deliver(
    conn: &mut DbConn,
    letterhead: &Letterhead,
    user: &User,
    topic: Topic,
    kind: MailKind,
    subject: String,
    item: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(address) = user.email.as_deref() else { return Ok(false) };
    if user.notify_digest {
        diesel::insert_into(mail_digest_items::table)
            .values((
                mail_digest_items::user_id.eq(user.id),
                mail_digest_items::kind.eq(kind.as_str()),
                mail_digest_items::body.eq(item),
                mail_digest_items::created_at.eq(now),
            ))
            .execute(conn)?;
        return Ok(false);
    }
    let unsubscribe = letterhead.unsubscribe_url(user.id, topic);
    let text = compose::notification(&letterhead.site_name, subject, item, &letterhead.link("/account"), &unsubscribe);
    let mail = Outgoing {
        user_id: Some(user.id),
        recipient: address,
        subject: &text.subject,
        body: &text.body,
        kind,
        unsubscribe_url: Some(&unsubscribe),
    };
    queue::enqueue(conn, &mail, &letterhead.host, now)?;
    Ok(true)
}

/// Gathers each reader's waiting notifications into one message, for
/// readers whose last digest is a day old (or who never had one, or who
/// have since chosen mail at once). Each
/// reader's digest is its own transaction, claimed by moving
/// `digest_sent_at` only if it is still old, so two instances never send
/// the same digest. Returns how many digests were queued.
pub fn queue_due_digests(conn: &mut DbConn, letterhead: &Letterhead, now: NaiveDateTime) -> QueryResult<usize> {
    let cutoff = now - DIGEST_EVERY;
    // Due a day after the last one; at once for a reader who went back to
    // mail at once while items waited.
    let due =
        || users::notify_digest.eq(false).or(users::digest_sent_at.is_null()).or(users::digest_sent_at.le(cutoff));
    let waiting: Vec<i32> =
        mail_digest_items::table.inner_join(users::table).filter(due()).select(users::id).distinct().load(conn)?;
    let mut queued = 0;
    for user_id in waiting {
        let sent = crate::db::write_transaction(conn, |conn| {
            let claimed = diesel::update(users::table.find(user_id).filter(due()))
                .set(users::digest_sent_at.eq(Some(now)))
                .execute(conn)?;
            let Some(user) = User::by_id(conn, user_id)? else { return Ok::<bool, diesel::result::Error>(false) };
            if claimed == 0 {
                return Ok(false);
            }
            let items: Vec<(i32, String)> = mail_digest_items::table
                .filter(mail_digest_items::user_id.eq(user_id))
                .order(mail_digest_items::id)
                .select((mail_digest_items::id, mail_digest_items::body))
                .load(conn)?;
            let ids: Vec<i32> = items.iter().map(|(id, _)| *id).collect();
            diesel::delete(mail_digest_items::table.filter(mail_digest_items::id.eq_any(&ids))).execute(conn)?;
            let (Some(address), true) = (user.email.as_deref(), mail_reaches(&user)) else { return Ok(false) };
            if items.is_empty() {
                return Ok(false);
            }
            let texts: Vec<String> = items.into_iter().map(|(_, body)| body).collect();
            let unsubscribe = letterhead.unsubscribe_url(user.id, Topic::All);
            let text = compose::digest(&letterhead.site_name, &texts, &letterhead.link("/account"), &unsubscribe);
            let mail = Outgoing {
                user_id: Some(user.id),
                recipient: address,
                subject: &text.subject,
                body: &text.body,
                kind: MailKind::Digest,
                unsubscribe_url: Some(&unsubscribe),
            };
            queue::enqueue(conn, &mail, &letterhead.host, now)?;
            Ok(true)
        })?;
        queued += usize::from(sent);
    }
    Ok(queued)
}

/// A reader's notifications waiting for their digest, for the export.
pub fn waiting_for(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    mail_digest_items::table
        .filter(mail_digest_items::user_id.eq(user_id))
        .order(mail_digest_items::id)
        .select((mail_digest_items::kind, mail_digest_items::body, mail_digest_items::created_at))
        .load(conn)
}

/// Account deletion: waiting notifications go.
pub fn erase_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<usize> {
    diesel::delete(mail_digest_items::table.filter(mail_digest_items::user_id.eq(user_id))).execute(conn)
}
