//! The words of each message, and the message itself: plain text in UTF-8,
//! with Message-ID, Date, From, To and Subject, and for notifications the
//! one-click unsubscribe headers of RFC 8058. Every link is absolute, on
//! the configured base URL.

use std::time::SystemTime;

use lettre::Message;
use lettre::message::Body;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};

use super::queue::Queued;

/// Builds the message for a queued row.
pub fn message(from: &str, queued: &Queued) -> Result<Message, String> {
    let from = from.parse().map_err(|e| format!("the From address does not parse: {e}"))?;
    let to = queued.recipient.parse().map_err(|e| format!("the address {:?} does not parse: {e}", queued.recipient))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(queued.subject.clone())
        .message_id(Some(queued.message_id.clone()))
        // When it was queued: a retry is the same message, not a new one.
        .date(SystemTime::from(queued.created_at.and_utc()))
        .header(ContentType::TEXT_PLAIN);
    if let Some(url) = &queued.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(header_name("List-Unsubscribe")?, format!("<{url}>")))
            .raw_header(HeaderValue::new(header_name("List-Unsubscribe-Post")?, "List-Unsubscribe=One-Click".into()));
    }
    // Quoted-printable whatever the text: every server takes it (8bit needs
    // the server's 8BITMIME), and it stays readable in the raw message.
    let body = Body::new_with_encoding(queued.body.clone(), ContentTransferEncoding::QuotedPrintable)
        .map_err(|_| "the text cannot be encoded as quoted-printable".to_string())?;
    builder.body(body).map_err(|e| format!("could not build the message: {e}"))
}

fn header_name(name: &str) -> Result<HeaderName, String> {
    HeaderName::new_from_ascii(name.to_string()).map_err(|e| format!("header {name}: {e}"))
}

/// A message's subject and text.
pub struct Text {
    pub subject: String,
    pub body: String,
}

/// Asks the reader to confirm an address they gave us.
pub fn confirm(site: &str, name: &str, address: &str, link: &str) -> Text {
    Text {
        subject: format!("Confirm your e-mail address for {site}"),
        body: format!(
            "Hello {name},\n\n\
             Someone, probably you, gave {address} as the e-mail address of their account on {site}.\n\
             To confirm it, open this link and press the button on the page:\n\n\
             {link}\n\n\
             The link works once, for 48 hours. If this was not you, ignore this message:\n\
             the address stays unconfirmed and we will not write to it again unless asked.\n\n\
             -- \n{site}\n"
        ),
    }
}

/// A link to choose a new password.
pub fn reset(site: &str, name: &str, link: &str) -> Text {
    Text {
        subject: format!("Choose a new password for {site}"),
        body: format!(
            "Hello {name},\n\n\
             Someone, probably you, asked to reset the password of your account on {site}.\n\
             To choose a new one, open this link:\n\n\
             {link}\n\n\
             The link works once, within an hour. Choosing a new password logs you out everywhere.\n\
             If you did not ask, ignore this message: your password stays as it is.\n\n\
             -- \n{site}\n"
        ),
    }
}

/// The closing lines of every notification: why it came, how to stop it.
fn footer(site: &str, account_url: &str, unsubscribe_url: &str) -> String {
    format!(
        "\n-- \nYou chose to get these notifications on {site}. Change them on your account page:\n\
         {account_url}\n\
         Stop these notifications with one click:\n\
         {unsubscribe_url}\n"
    )
}

/// One notification's lines, without greeting or footer: mailed alone, or
/// gathered into the daily digest.
pub fn reply_item(replier: &str, headline: &str, excerpt: &str, link: &str) -> String {
    format!(
        "{replier} replied to your comment on \u{201c}{headline}\u{201d}:\n\n{excerpt}\n\nRead it and answer: {link}\n"
    )
}

pub fn featured_item(headline: &str, link: &str) -> String {
    format!("Your comment on \u{201c}{headline}\u{201d} was chosen as an editors' pick.\n\nSee it: {link}\n")
}

pub fn removed_item(headline: &str, reason: &str, excerpt: &str, rules_url: &str) -> String {
    let reason = if reason.trim().is_empty() { "breaking the community rules" } else { reason.trim() };
    format!(
        "A moderator removed your comment on \u{201c}{headline}\u{201d}.\n\
         Reason: {reason}\n\nYour comment began:\n{excerpt}\n\n\
         The moderation log lists every removal: {rules_url}\n"
    )
}

/// One notification sent at once.
pub fn notification(site: &str, subject: String, item: &str, account_url: &str, unsubscribe_url: &str) -> Text {
    Text { subject, body: format!("{item}{}", footer(site, account_url, unsubscribe_url)) }
}

/// The daily digest: the day's notifications in one message.
pub fn digest(site: &str, items: &[String], account_url: &str, unsubscribe_url: &str) -> Text {
    let count = items.len();
    let subject = match count {
        1 => format!("1 notification from {site}"),
        n => format!("{n} notifications from {site}"),
    };
    let body = items.join("\n* * *\n\n");
    Text {
        subject,
        body: format!("Your notifications from the last day:\n\n{body}{}", footer(site, account_url, unsubscribe_url)),
    }
}

/// The start of a comment, for quoting in a mail.
pub fn excerpt(text: &str, limit: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= limit {
        return flat;
    }
    let cut: String = flat.chars().take(limit).collect();
    format!("{}\u{2026}", cut.trim_end())
}
