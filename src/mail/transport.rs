//! How a message leaves: over SMTP with lettre (`NEWSDESK_SMTP_URL`), or,
//! with no server set, as an `.eml` file in `NEWSDESK_MAIL_DIR` that any
//! mail program opens — so a site on one machine can be tried, password
//! resets included, without a mail server.

use std::path::PathBuf;
use std::time::Duration;

use lettre::{Message, SmtpTransport, Transport as _};

use crate::config::MailSettings;

/// How long one SMTP conversation may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

pub enum Transport {
    Smtp(Box<SmtpTransport>),
    Files(PathBuf),
}

impl Transport {
    /// The transport the settings name (the URL was checked at start-up).
    pub fn from_settings(settings: &MailSettings) -> Result<Transport, String> {
        match &settings.smtp_url {
            Some(url) => {
                let builder = SmtpTransport::from_url(url).map_err(|e| format!("NEWSDESK_SMTP_URL: {e}"))?;
                Ok(Transport::Smtp(Box::new(builder.timeout(Some(SMTP_TIMEOUT)).build())))
            }
            None => Ok(Transport::Files(settings.dir.clone())),
        }
    }

    /// Sends one message; `name` makes the file name unique (the queue's id).
    pub fn send(&self, message: &Message, name: &str) -> Result<(), String> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| e.to_string()),
            Transport::Files(dir) => write_file(dir, name, &message.formatted())
                .map_err(|e| format!("could not write the message to {}: {e}", dir.display())),
        }
    }
}

/// Writes the message under a temporary name and renames it, so whoever
/// watches the folder never reads half a message.
fn write_file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{name}.partial"));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, dir.join(format!("{name}.eml")))
}
