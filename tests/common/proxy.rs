//! A TCP proxy between the app and PostgreSQL, for outage tests: the shared
//! PostgreSQL server is never stopped; its connection is cut here, or made
//! to swallow every byte as a network that drops packets would.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Bytes go through both ways.
    Pass,
    /// Every connection is closed, and new ones are closed as they come.
    Cut,
    /// Connections stay open and every byte is dropped, both ways.
    Swallow,
}

struct Shared {
    mode: Mutex<Mode>,
    /// Every socket opened so far, on both sides, to close on demand.
    sockets: Mutex<Vec<TcpStream>>,
    stopped: AtomicBool,
}

impl Shared {
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }

    fn track(&self, socket: &TcpStream) {
        if let Ok(copy) = socket.try_clone() {
            self.sockets.lock().unwrap().push(copy);
        }
    }

    fn close_all(&self) {
        for socket in self.sockets.lock().unwrap().drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

pub struct Proxy {
    address: SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let address = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Pass),
            sockets: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if accepting.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                accept(&accepting, client, upstream);
            }
        });
        Proxy { address, shared }
    }

    /// `url` (a PostgreSQL URL on 127.0.0.1:5432 or localhost:5432) going
    /// through this proxy instead.
    pub fn url_for(&self, url: &str) -> String {
        let port = self.address.port();
        let rewritten = url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{port}"), 1);
        let rewritten = rewritten.replacen("localhost:5432", &format!("127.0.0.1:{port}"), 1);
        assert_ne!(rewritten, url, "the test database URL names no 127.0.0.1:5432 or localhost:5432 to go around");
        rewritten
    }

    /// The database goes away: connections close, new ones are refused.
    pub fn cut(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Cut;
        self.shared.close_all();
    }

    /// The network goes silent: nothing is answered, nothing is closed.
    pub fn swallow(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Swallow;
    }

    /// The database is back. Connections from before are closed (a
    /// swallowed one has lost bytes and could never be used again).
    pub fn restore(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Pass;
        self.shared.close_all();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.shared.close_all();
        // Wakes the accepting thread so it sees it should stop.
        let _ = TcpStream::connect(self.address);
    }
}

fn accept(shared: &Arc<Shared>, client: TcpStream, upstream: SocketAddr) {
    match shared.mode() {
        Mode::Cut => drop(client),
        Mode::Swallow => {
            shared.track(&client);
            let shared = shared.clone();
            std::thread::spawn(move || pump(&shared, client, None));
        }
        Mode::Pass => {
            let Ok(server) = TcpStream::connect(upstream) else { return };
            shared.track(&client);
            shared.track(&server);
            let (Ok(client_copy), Ok(server_copy)) = (client.try_clone(), server.try_clone()) else { return };
            let one = shared.clone();
            std::thread::spawn(move || pump(&one, client, Some(server_copy)));
            let other = shared.clone();
            std::thread::spawn(move || pump(&other, server, Some(client_copy)));
        }
    }
}

/// Copies `from` to `to` until either side closes; drops bytes while
/// swallowing (and always when there is nowhere to send them).
fn pump(shared: &Shared, mut from: TcpStream, mut to: Option<TcpStream>) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if shared.mode() == Mode::Swallow {
            continue;
        }
        let Some(to) = to.as_mut() else { continue };
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    if let Some(to) = to {
        let _ = to.shutdown(Shutdown::Both);
    }
    let _ = from.shutdown(Shutdown::Both);
}
