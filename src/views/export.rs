//! A reader's copy of their data (`/account/export`), as JSON: portable, and
//! readable in any text editor.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::models::mute::Muted;
use crate::models::{Comment, User};

fn time(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339()
}

/// Their account, every comment they wrote (with its article's slug and
/// headline), in whatever state each is now, and the comments they marked
/// "Respect", and the readers they muted.
pub fn account_data(
    user: &User,
    comments: &[(Comment, String, String)],
    respected: &[(i32, NaiveDateTime)],
    muted: &[Muted],
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
        },
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
