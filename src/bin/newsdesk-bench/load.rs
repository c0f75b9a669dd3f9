//! The load generator: keep-alive connections on a few client threads, each
//! sending its next request as soon as the last answer is in (or on a fixed
//! schedule), recording every latency and status.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http::{body_end, parse_head};

/// Makes connection `c`'s `n`th request.
pub type MakeRequest = Arc<dyn Fn(usize, u64) -> Vec<u8> + Send + Sync>;

pub struct Load {
    pub addr: SocketAddr,
    pub request: MakeRequest,
    pub connections: usize,
    pub duration: Duration,
    /// Answers in this first stretch are not counted (connections open,
    /// caches warm).
    pub warmup: Duration,
    /// Requests per second across all connections, on a schedule; None
    /// sends the next one as soon as the answer is in.
    pub rate: Option<f64>,
    pub threads: usize,
}

/// What a run measured.
#[derive(Default)]
pub struct Outcome {
    pub seconds: f64,
    /// Microseconds, sorted.
    pub latencies: Vec<u32>,
    pub statuses: BTreeMap<u16, u64>,
    /// Every answer's status, warm-up and stragglers after the end included
    /// (what the server acknowledged, for checking what it stored).
    pub all_statuses: BTreeMap<u16, u64>,
    /// Connections that failed or closed under us.
    pub errors: u64,
    /// Decoded size of the last body seen.
    pub body_bytes: usize,
}

impl Outcome {
    pub fn count(&self) -> u64 {
        self.latencies.len() as u64
    }

    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.count() as f64 / self.seconds } else { 0.0 }
    }

    pub fn with_status(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    pub fn all_with_status(&self, status: u16) -> u64 {
        self.all_statuses.get(&status).copied().unwrap_or(0)
    }

    /// Latency at quantile `q` in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies[index]) / 1000.0
    }

    /// Statuses other than `expected`, for a warning line.
    pub fn unexpected(&self, expected: u16) -> Option<String> {
        let odd: Vec<String> =
            self.statuses.iter().filter(|(s, _)| **s != expected).map(|(s, n)| format!("{n}× {s}")).collect();
        match (odd.is_empty(), self.errors) {
            (true, 0) => None,
            (_, errors) => Some(format!("{} {} connection errors", odd.join(", "), errors)),
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for (status, n) in other.all_statuses {
            *self.all_statuses.entry(status).or_default() += n;
        }
        self.errors += other.errors;
        self.body_bytes = self.body_bytes.max(other.body_bytes);
    }
}

pub fn run(load: Load) -> Outcome {
    let start = Instant::now();
    let counted_from = start + load.warmup;
    let end = counted_from + load.duration;
    let threads = load.threads.clamp(1, load.connections.max(1));
    let load = Arc::new(load);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let load = load.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
                let Ok(runtime) = runtime else { return Outcome { errors: 1, ..Outcome::default() } };
                runtime.block_on(async move {
                    let tasks: Vec<_> = (t..load.connections)
                        .step_by(threads)
                        .map(|c| tokio::spawn(connection(load.clone(), c, counted_from, end)))
                        .collect();
                    let mut outcome = Outcome::default();
                    for task in tasks {
                        match task.await {
                            Ok(part) => outcome.merge(part),
                            Err(_) => outcome.errors += 1,
                        }
                    }
                    outcome
                })
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for handle in handles {
        match handle.join() {
            Ok(part) => outcome.merge(part),
            Err(_) => outcome.errors += 1,
        }
    }
    outcome.seconds = load.duration.as_secs_f64();
    outcome.latencies.sort_unstable();
    outcome
}

/// One keep-alive connection's loop.
async fn connection(load: Arc<Load>, index: usize, counted_from: Instant, end: Instant) -> Outcome {
    let mut outcome = Outcome::default();
    let mut buf: Vec<u8> = Vec::with_capacity(128 * 1024);
    let mut stream: Option<TcpStream> = None;
    let interval = load.rate.map(|rate| Duration::from_secs_f64(load.connections as f64 / rate));
    // Spread scheduled senders over the first interval.
    let mut next_send =
        Instant::now() + interval.map_or(Duration::ZERO, |i| i.mul_f64(index as f64 / load.connections as f64));
    let mut sequence = 0u64;
    loop {
        if let Some(interval) = interval {
            let now = Instant::now();
            if next_send > now {
                tokio::time::sleep(next_send - now).await;
            }
            next_send += interval;
        }
        if Instant::now() >= end {
            break;
        }
        if stream.is_none() {
            match TcpStream::connect(load.addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    stream = Some(s);
                }
                Err(_) => {
                    outcome.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(socket) = stream.as_mut() else { continue };
        let request = (load.request)(index, sequence);
        sequence += 1;
        let sent = Instant::now();
        match exchange(socket, &request, &mut buf).await {
            Ok((status, body)) => {
                *outcome.all_statuses.entry(status).or_default() += 1;
                // Answers that arrive inside the window count, as a load
                // generator like wrk counts them, however long they took.
                let arrived = Instant::now();
                if arrived >= counted_from && arrived <= end {
                    let micros = (arrived - sent).as_micros().min(u128::from(u32::MAX)) as u32;
                    outcome.latencies.push(micros);
                    *outcome.statuses.entry(status).or_default() += 1;
                    outcome.body_bytes = body;
                }
            }
            Err(_) => {
                outcome.errors += 1;
                stream = None;
                buf.clear();
            }
        }
    }
    outcome
}

/// Writes a request and reads its whole response: (status, body length).
async fn exchange(socket: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) -> Result<(u16, usize), String> {
    socket.write_all(request).await.map_err(|e| e.to_string())?;
    let mut chunk = [0u8; 64 * 1024];
    loop {
        if !buf.is_empty()
            && let Some(head) = parse_head(buf)?
            && let Some((end, body)) = body_end(&head, buf)?
        {
            buf.drain(..end);
            return Ok((head.status, body));
        }
        let n = socket.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}
