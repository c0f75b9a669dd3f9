//! The two servers the benchmark measures, each run as its own process so
//! its memory is its own: newsdesk itself (the production `serve`, with the
//! rate limits lifted), and the ceiling (a bare actix-web server that sends
//! one captured response from memory).

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{App, HttpResponse, HttpServer, web};
use newsdesk::config::{Config, RateRule, RawSettings};
use newsdesk::db::Database;
use newsdesk::state::AppState;

/// Serves newsdesk on a free loopback port; prints `listening ADDR` first.
pub fn serve_newsdesk(database_url: String, session_key: String, workers: usize) -> ExitCode {
    let _logs = match newsdesk::init_logging() {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let run = || -> Result<(), String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let mut config = Config::from_raw(RawSettings {
            database_url: Some(database_url),
            base_url: Some(format!("http://{address}")),
            session_key: Some(session_key),
            serving: true,
            local_http: true,
            ..RawSettings::default()
        })
        .map_err(|e| e.to_string())?;
        // Many readers from one address, each posting as fast as it can: the
        // limits' bookkeeping still runs, it just never says no.
        let lifted = RateRule::new(1, 1_000_000);
        config.limits.comment_per_user = lifted;
        config.limits.login_per_ip = lifted;
        config.limits.login_per_account = lifted;
        let db = Database::open(&config.database, config.pool_size).map_err(|e| e.to_string())?;
        let state = web::Data::new(AppState::new(config, db));
        announce(address)?;
        actix_web::rt::System::new()
            .block_on(async move { newsdesk::serve(state, listener, Some(workers))?.await })
            .map_err(|e| e.to_string())
    };
    finish(run())
}

/// A captured response: status, headers and body, as the ceiling sends it.
pub struct Captured {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Headers that belong to one connection or one message, not to the page.
const PER_MESSAGE: [&str; 5] = ["content-length", "transfer-encoding", "connection", "date", "keep-alive"];

impl Captured {
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut text = format!("{}\n", self.status);
        for (name, value) in &self.headers {
            if !PER_MESSAGE.contains(&name.to_ascii_lowercase().as_str()) {
                text.push_str(&format!("{name}: {value}\n"));
            }
        }
        text.push('\n');
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(&self.body);
        std::fs::write(path, bytes)
    }

    fn load(path: &Path) -> Result<Captured, String> {
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        let split = bytes.windows(2).position(|w| w == b"\n\n").ok_or("no blank line in the capture")?;
        let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines.next().and_then(|l| l.trim().parse().ok()).ok_or("no status in the capture")?;
        let headers = lines.filter_map(|l| l.split_once(": ")).map(|(n, v)| (n.to_string(), v.to_string())).collect();
        Ok(Captured { status, headers, body: bytes[split + 2..].to_vec() })
    }
}

/// Serves the captured response to every request, with no middleware.
pub fn serve_ceiling(capture: &Path, workers: usize) -> ExitCode {
    let run = || -> Result<(), String> {
        let captured = Captured::load(capture)?;
        let status = StatusCode::from_u16(captured.status).map_err(|e| e.to_string())?;
        let headers = captured.headers;
        let body = Bytes::from(captured.body);
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        announce(address)?;
        actix_web::rt::System::new()
            .block_on(async move {
                HttpServer::new(move || {
                    let (headers, body) = (headers.clone(), body.clone());
                    App::new().default_service(web::to(move || {
                        let mut response = HttpResponse::build(status);
                        for (name, value) in &headers {
                            response.append_header((name.as_str(), value.as_str()));
                        }
                        // Cloning Bytes shares the buffer: nothing is copied.
                        std::future::ready(response.body(body.clone()))
                    }))
                })
                .workers(workers)
                .listen(listener)?
                .run()
                .await
            })
            .map_err(|e| e.to_string())
    };
    finish(run())
}

fn announce(address: std::net::SocketAddr) -> Result<(), String> {
    let mut out = std::io::stdout();
    writeln!(out, "listening {address}").and_then(|_| out.flush()).map_err(|e| e.to_string())
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("newsdesk-bench child: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A server child process and where it listens.
pub struct Server {
    child: Child,
    pub addr: std::net::SocketAddr,
    _stdout: ChildStdout,
}

impl Server {
    /// Starts this same program with `args` and waits for its address.
    pub fn start(args: &[String], log: Option<&Path>) -> Result<Server, String> {
        use std::io::BufRead;
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).map_err(|e| e.to_string())?),
            None => Stdio::inherit(),
        };
        let mut child = Command::new(exe)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {args:?}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let Some(addr) = line.trim().strip_prefix("listening ").and_then(|a| a.parse().ok()) else {
            let _ = child.kill();
            return Err(format!("the child {args:?} did not start (said {line:?})"));
        };
        Ok(Server { child, addr, _stdout: reader.into_inner() })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (VmHWM), in kilobytes.
    pub fn peak_rss_kb(&self) -> Option<u64> {
        status_field(self.pid(), "VmHWM:")
    }

    pub fn rss_kb(&self) -> Option<u64> {
        status_field(self.pid(), "VmRSS:")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.trim_start_matches(field).trim().trim_end_matches("kB").trim().parse().ok()
}
