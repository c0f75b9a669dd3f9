//! A reader's copy of their data (`/account/export`), as JSON: portable, and
//! readable in any text editor.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::models::mute::Muted;
use crate::models::{Comment, User};

fn time(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339()
}

/// What the site keeps about a reader's mail.
pub struct MailData {
    pub tokens: Vec<crate::models::email::EmailToken>,
    pub messages: Vec<crate::mail::queue::Sent>,
    /// Notifications waiting for the daily digest: kind, text, when.
    pub waiting: Vec<(String, String, NaiveDateTime)>,
}

/// Their account, every comment they wrote (with its article's slug and
/// headline), in whatever state each is now, the comments they marked
/// "Respect", the readers they muted, and their address, notifications,
/// links and messages.
pub fn account_data(
    user: &User,
    comments: &[(Comment, String, String)],
    respected: &[(i32, NaiveDateTime)],
    muted: &[Muted],
    mail: &MailData,
    base_url: &str,
    now: NaiveDateTime,
) -> Value {
    let comments: Vec<Value> = comments
        .iter()
        .map(|(comment, slug, headline)| {
            json!({
                "id": comment.id,
                "url": format!("{base_url}/comments/{}", comment.id),
                "article": { "url": format!("{base_url}/articles/{slug}"), "headline": headline },
                "in_reply_to": comment.parent_id,
                "written_at": time(comment.created_at),
                "edited_at": comment.edited_at.map(time),
                "deleted_at": comment.deleted_at.map(time),
                "status": comment.status.as_str(),
                "text": comment.body,
            })
        })
        .collect();
    json!({
        "site": base_url,
        "exported_at": time(now),
        "account": {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.as_str(),
            "joined_at": time(user.created_at),
            "email": user.email,
            "email_confirmed_at": user.email_confirmed_at.map(time),
            "notifications": {
                "replies": user.notify_replies,
                "featured": user.notify_featured,
                "removed": user.notify_removed,
                "daily_digest": user.notify_digest,
            },
        },
        // Links mailed to them; the links themselves are never kept.
        "email_links": mail.tokens.iter().map(|t| json!({
            "purpose": t.purpose.as_str(),
            "sent_to": t.email,
            "created_at": time(t.created_at),
            "expires_at": time(t.expires_at),
            "used_at": t.used_at.map(time),
        })).collect::<Vec<Value>>(),
        "messages": mail.messages.iter().map(|m| json!({
            "to": m.recipient,
            "subject": m.subject,
            "kind": m.kind,
            "queued_at": time(m.created_at),
            "sent_at": m.sent_at.map(time),
        })).collect::<Vec<Value>>(),
        "notifications_waiting": mail.waiting.iter().map(|(kind, text, at)| json!({
            "kind": kind,
            "text": text,
            "at": time(*at),
        })).collect::<Vec<Value>>(),
        "comments": comments,
        "respected": respected
            .iter()
            .map(|(id, at)| json!({ "comment": format!("{base_url}/comments/{id}"), "at": time(*at) }))
            .collect::<Vec<Value>>(),
        "muted": muted
            .iter()
            .map(|m| json!({ "username": m.username, "display_name": m.display_name, "since": time(m.since) }))
            .collect::<Vec<Value>>(),
    })
}
