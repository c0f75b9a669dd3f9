//! A real SMTP server for the mail tests: `aiosmtpd` (PyPI) run as a child
//! process on a free loopback port, storing every message it accepts in a
//! maildir the test reads. Where aiosmtpd is missing the tests say NOT RUN
//! loudly, and fail instead when `NEWSDESK_TEST_REQUIRE_SMTP=1` (CI).
#![allow(dead_code)]

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for a message or for the server to listen.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// The server is stopped after this long even if the test process dies
/// without dropping it (it runs under `timeout`).
const LIFETIME_SECS: &str = "600";

fn required() -> bool {
    std::env::var("NEWSDESK_TEST_REQUIRE_SMTP").is_ok_and(|v| v == "1")
}

/// Says in one loud line, past the output capture, that a test could not
/// run; fails instead when CI requires the SMTP tests.
pub fn not_run(what: &str) {
    if required() {
        panic!("the SMTP tests are required (NEWSDESK_TEST_REQUIRE_SMTP=1) but {what}");
    }
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("a mail test");
    let _ = writeln!(std::io::stderr(), "\n!!! NOT RUN: {name}: {what}. CI always runs these.\n");
}

/// Whether `python3 -m aiosmtpd` can run here; says NOT RUN when not.
pub fn available() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        not_run("python3 with aiosmtpd is not installed (pip3 install aiosmtpd)");
    }
    found
}

/// A loopback port nothing listens on (at the moment of asking).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its address").port()
}

/// A running aiosmtpd, killed when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts a server on a free port; None (with NOT RUN) without aiosmtpd.
    pub fn start() -> Option<SmtpServer> {
        SmtpServer::start_on(free_port())
    }

    /// Starts a server on `port` and waits until it takes connections.
    pub fn start_on(port: u16) -> Option<SmtpServer> {
        if !available() {
            return None;
        }
        let maildir = tempfile::tempdir().expect("a maildir");
        let child = Command::new("timeout")
            .args([LIFETIME_SECS, "python3", "-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // aiosmtpd makes the maildir itself, only where nothing is yet.
            .arg(maildir.path().join("box"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let server = SmtpServer { child, port, maildir };
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on {port} within {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    /// The URL for `NEWSDESK_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message delivered so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        read_maildir(&self.maildir.path().join("box").join("new"))
    }

    /// Waits until at least `count` messages have arrived (failing after
    /// `PATIENCE`), and returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Mail> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(Instant::now() < deadline, "{count} message(s) expected, {} arrived", messages.len());
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // SIGTERM to `timeout`, which passes it on to aiosmtpd.
        // SAFETY: kill only sends a signal to our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

/// Messages in a folder (a maildir's new/, or the .eml fallback's folder).
pub fn read_maildir(dir: &std::path::Path) -> Vec<Mail> {
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')))
                .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.into_iter().filter_map(|(_, path)| std::fs::read(&path).ok()).map(|raw| Mail::parse(&raw)).collect()
}

/// A delivered message: its headers and its decoded text.
#[derive(Clone, Debug)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Mail {
    pub fn parse(raw: &[u8]) -> Mail {
        let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(line.trim_start());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        let mail = Mail { headers, body: String::new() };
        let encoding = mail.header("Content-Transfer-Encoding").unwrap_or("7bit").to_ascii_lowercase();
        let body = match encoding.as_str() {
            "quoted-printable" => quoted_printable(body),
            _ => body.to_string(),
        };
        Mail { body, ..mail }
    }

    /// A header's value (the first of that name, any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whom the SMTP server delivered it to (aiosmtpd's X-RcptTo), or the To.
    pub fn recipient(&self) -> String {
        self.header("X-RcptTo").or(self.header("To")).unwrap_or_default().to_string()
    }

    /// The first link in the text that starts with `prefix` (an absolute URL).
    pub fn link(&self, prefix: &str) -> Option<String> {
        self.body.split_whitespace().find(|word| word.starts_with(prefix)).map(str::to_string)
    }
}

/// Decodes quoted-printable text (soft line breaks and =XX bytes).
fn quoted_printable(text: &str) -> String {
    let mut bytes = Vec::new();
    let raw = text.as_bytes();
    let mut at = 0;
    while at < raw.len() {
        match raw[at] {
            b'=' if raw.get(at + 1) == Some(&b'\n') => at += 2,
            b'=' if raw.len() >= at + 3 => {
                let hex = std::str::from_utf8(&raw[at + 1..at + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        bytes.push(byte);
                        at += 3;
                    }
                    Err(_) => {
                        bytes.push(b'=');
                        at += 1;
                    }
                }
            }
            byte => {
                bytes.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
