//! A real PostgreSQL for tests, from Debian's `postgresql` package: `initdb` in a temporary
//! folder, `pg_ctl start` on 127.0.0.1 with a free port (socket in the same folder), one fresh
//! database per store. Root cannot run PostgreSQL, so under root the server runs as `nobody`.
//! A watchdog shell stops the server and removes the folder once the test process is gone
//! (normal exit, panic or SIGKILL alike). Shared by pseudo-core's and pseudo-cli's tests.
#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// One PostgreSQL server for the whole test process.
pub struct Pg {
    dir: PathBuf,
    bin: PathBuf,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
    next_db: AtomicUsize,
}

/// The binaries of the newest PostgreSQL installed (`PSEUDO_PG_BIN` overrides).
fn bin_dir() -> PathBuf {
    if let Some(b) = std::env::var_os("PSEUDO_PG_BIN") {
        return PathBuf::from(b);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (apt-get install postgresql; .ci/setup does it)")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().expect("no /usr/lib/postgresql/<version>/bin/initdb").1
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Pg {
    /// The server, started on first use.
    pub fn get() -> &'static Pg {
        static PG: OnceLock<Pg> = OnceLock::new();
        PG.get_or_init(Pg::start_new)
    }

    fn start_new() -> Pg {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!("pseudo-pg-{}-{}", std::process::id(), free_port()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        }
        let pg = Pg { dir, bin, port: free_port(), next_db: AtomicUsize::new(0) };
        let out = pg
            .as_db_user("initdb")
            .args(["-D", &pg.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"])
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        pg.make_certificates();
        pg.watchdog();
        pg.start();
        pg
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// A PostgreSQL program run as the database's own user (`nobody` when the tests run as root).
    fn as_db_user(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut c = if is_root() {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        // PostgreSQL's programs go back to their working folder; as `nobody` the caller's (a
        // clone under /root, mode 0700) may be out of reach, the database's own folder never is.
        c.current_dir(&self.dir);
        c
    }

    /// A test CA and a server certificate for 127.0.0.1 signed by it (openssl), so that TLS to the
    /// database can be tested; clients without TLS are unaffected.
    fn make_certificates(&self) {
        let script = r#"set -e
cd "$1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
  -subj /CN=pseudo-test-ca -days 2 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
  -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
  -extfile server.ext 2>/dev/null
chmod 600 server.key
"#;
        let out = Command::new("sh").args(["-c", script, "certs"]).arg(&self.dir).output().unwrap();
        assert!(out.status.success(), "openssl failed: {}", String::from_utf8_lossy(&out.stderr));
        if is_root() {
            for f in ["server.key", "server.crt"] {
                std::os::unix::fs::chown(self.dir.join(f), Some(65534), Some(65534)).unwrap();
            }
        }
    }

    /// The test CA's certificate (PEM): trusted, it lets a client verify the server.
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ca.crt")).unwrap()
    }

    /// Stops the server and removes its folder when this process ends, however it ends.
    // The watchdog must outlive this process: it is never waited for, by design.
    #[allow(clippy::zombie_processes)]
    fn watchdog(&self) {
        let stop = if is_root() {
            format!("setpriv --reuid=65534 --regid=65534 --clear-groups {}", self.bin.join("pg_ctl").display())
        } else {
            self.bin.join("pg_ctl").display().to_string()
        };
        Command::new("sh")
            .arg("-c")
            .arg(r#"while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; $2 -D "$3" -m immediate -w stop; rm -rf "$4""#)
            .args([
                "pg-watchdog",
                &std::process::id().to_string(),
                &stop,
                &self.data(),
                &self.dir.display().to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    pub fn start(&self) {
        let opts = format!(
            "-p {} -k {d} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=32MB \
             -c ssl=on -c ssl_cert_file={d}/server.crt -c ssl_key_file={d}/server.key",
            self.port,
            d = self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        let out = self
            .as_db_user("pg_ctl")
            .args(["-D", &self.data(), "-l", &log, "-o", &opts, "-w", "-t", "60", "start"])
            .output()
            .unwrap();
        let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
        assert!(out.status.success(), "pg_ctl start failed: {}\n{log}", String::from_utf8_lossy(&out.stderr));
    }

    /// Stops the server (fast shutdown: clients are disconnected, committed data stays).
    pub fn stop(&self) {
        let out = self.as_db_user("pg_ctl").args(["-D", &self.data(), "-m", "fast", "-w", "stop"]).output().unwrap();
        assert!(out.status.success(), "pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Runs one SQL statement as the superuser on database `db`; its output, unaligned.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-c", sql])
            .arg(format!("--port={}", self.port))
            .output()
            .unwrap();
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// A new, empty database; its URL.
    pub fn fresh_url(&self) -> String {
        let name = format!("t{}", self.next_db.fetch_add(1, Ordering::SeqCst));
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The folder holding the server's data and socket.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
