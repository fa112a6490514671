//! Load bench of `pseudo serve`'s router: a bounded HTTP/1.1 keep-alive client against
//! 127.0.0.1, with the SQLite registry of a fresh data folder (revocation check, last use and
//! audit on every call).
//!
//! `make bench-server` (`cargo bench -p pseudo-server --bench load`). Environment:
//! `LOAD_SECONDS` (default 5) per scenario, `LOAD_CONNECTIONS` (default 16), `LOAD_WORKERS`
//! (server runtime threads, default: every core). Client and server share the machine's cores.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pseudo_core::registry::{IssueKind, NewProject};
use pseudo_core::{Method, OutputFormat, ProjectId, Timestamp, Treatment};
use pseudo_server::{data, ops, parse, router, ServerConfig, Services};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One keep-alive connection: sends `request`, reads one response, returns its status.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    line: String,
    body: Vec<u8>,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::with_capacity(1 << 16, s.try_clone().unwrap()),
            writer: s,
            line: String::new(),
            body: Vec::new(),
        }
    }

    fn call(&mut self, request: &[u8]) -> u16 {
        self.writer.write_all(request).unwrap();
        self.line.clear();
        self.reader.read_line(&mut self.line).unwrap();
        let status: u16 = self.line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut len = 0usize;
        loop {
            self.line.clear();
            self.reader.read_line(&mut self.line).unwrap();
            let l = self.line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        self.body.resize(len, 0);
        self.reader.read_exact(&mut self.body).unwrap();
        status
    }
}

fn request(token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /api/request-psn HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn body_of(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| format!("\"Example PID {i}\"")).collect();
    format!("{{\"data\": [{}]}}", items.join(","))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `connections` clients for `seconds`; prints requests/s, values/s, p50 and p99.
fn scenario(name: &str, addr: SocketAddr, req: Arc<Vec<u8>>, values: usize, connections: u64, seconds: u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let clients: Vec<_> = (0..connections)
        .map(|_| {
            let (req, stop) = (req.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let mut lat = Vec::with_capacity(1 << 16);
                let mut errors = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    if conn.call(&req) != 200 {
                        errors += 1;
                    }
                    lat.push(t.elapsed());
                }
                (lat, errors)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for c in clients {
        let (lat, e) = c.join().unwrap();
        all.extend(lat);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let rps = all.len() as f64 / elapsed;
    println!(
        "| {name} | {connections} | {:.0} | {:.0} | {:.2} | {:.2} | {errors} |",
        rps,
        rps * values as f64,
        percentile(&all, 0.50).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let seconds = env("LOAD_SECONDS", 5);
    let connections = env("LOAD_CONNECTIONS", 16);
    let workers = env("LOAD_WORKERS", std::thread::available_parallelism().map_or(2, |n| n.get() as u64));
    let dir = std::env::temp_dir().join(format!("pseudo-load-{}", std::process::id()));
    data::init(&dir).unwrap();
    let opened = data::open(&dir).unwrap();
    let admin = opened.settings.local_admin();
    let now = Timestamp::now();
    let project = ProjectId::new("load").unwrap();
    let new = NewProject {
        id: project.clone(),
        name: "load".into(),
        method: Method::Reversible,
        retention: parse::retention("5y").unwrap(),
        treatment: Treatment::Same,
        format: OutputFormat::Base64url,
    };
    ops::create_project(&opened.registry, &admin, new, now).unwrap();
    let issue = ops::LocalIssue {
        project,
        kind: IssueKind::Pseudonymise,
        name: "load".into(),
        lifetime: Duration::from_secs(3600),
    };
    let token =
        ops::issue_as_local_admin(&opened.registry, &opened.authority, &admin, &issue, now).unwrap().into_token();

    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(workers as usize).enable_all().build().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let config = ServerConfig { max_in_flight: 1024, ..ServerConfig::default() };
    let app = router(Services::from_data(&opened), config);
    runtime.spawn(async move {
        axum_server::from_tcp(listener).unwrap().serve(app.into_make_service()).await.unwrap();
    });
    std::thread::sleep(Duration::from_millis(200));

    println!("pseudo serve load bench: {workers} server threads, {seconds} s per scenario, SQLite registry\n");
    println!("| request | connections | requests/s | values/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let one = Arc::new(request(&token, &body_of(1)));
    scenario("1 value (JSON)", addr, one.clone(), 1, connections, seconds);
    scenario("1 value (JSON)", addr, one, 1, 1, seconds);
    let thousand = Arc::new(request(&token, &body_of(1000)));
    scenario("1 000 values (JSON)", addr, thousand, 1000, connections.min(8), seconds);

    let million = request(&token, &body_of(1_000_000));
    let mut conn = Conn::new(addr);
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        assert_eq!(conn.call(&million), 200);
        times.push(t.elapsed());
    }
    times.sort_unstable();
    println!(
        "\none 1 000 000-value JSON request ({:.1} MB): median {:.0} ms (of 3; best {:.0} ms)",
        million.len() as f64 / 1e6,
        times[1].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
    drop(runtime);
    let _ = std::fs::remove_dir_all(&dir);
}
