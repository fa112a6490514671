//! The embedded default [`Store`]: one SQLite file (bundled SQLite), WAL journal, foreign keys,
//! a schema version in `PRAGMA user_version` with forward migrations, and an `application_id`
//! so that a foreign database is refused instead of being written into.

use std::path::Path;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::model::{
    AccessKind, AccessTokenRecord, Collaborator, Project, Request, RequestEvent, RequestStatus, TokenRecord,
    TokenStatusKind,
};
use super::store::Store;
use crate::config::{Method, OrgId, OutputFormat, ProjectConfig, ProjectId, Timestamp, Treatment};
use crate::engine::{AuditEvent, Operation};
use crate::error::{Detail, Error, ErrorKind, Result};
use crate::token::TokenType;

/// `PRAGMA application_id` of pseudo registries ("PSRG").
const APPLICATION_ID: i32 = 0x5053_5247;

/// Forward migrations: entry `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE projects(
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL,
  reversible INTEGER NOT NULL, retention_end INTEGER NOT NULL, treatment TEXT NOT NULL, format TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE collaborators(
  project TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, org TEXT NOT NULL, can_reverse INTEGER NOT NULL,
  PRIMARY KEY(project, org));
CREATE TABLE requests(
  id TEXT PRIMARY KEY, project TEXT NOT NULL REFERENCES projects(id), org TEXT NOT NULL,
  requester TEXT NOT NULL, dataset TEXT NOT NULL, status TEXT NOT NULL);
CREATE INDEX requests_by_project ON requests(project);
CREATE TABLE request_events(
  request TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE, seq INTEGER NOT NULL, time INTEGER NOT NULL,
  actor TEXT NOT NULL, status TEXT NOT NULL, comment TEXT, PRIMARY KEY(request, seq));
CREATE TABLE tokens(
  jti TEXT PRIMARY KEY, token_type TEXT NOT NULL, name TEXT NOT NULL,
  project TEXT NOT NULL REFERENCES projects(id), request TEXT NOT NULL REFERENCES requests(id),
  holder TEXT NOT NULL, org TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,
  status TEXT NOT NULL, last_used INTEGER);
CREATE TABLE access_tokens(
  id TEXT PRIMARY KEY, secret_hash BLOB NOT NULL UNIQUE, kind TEXT NOT NULL, name TEXT NOT NULL,
  principal TEXT NOT NULL, org TEXT NOT NULL, created_by TEXT NOT NULL, created INTEGER NOT NULL,
  expires INTEGER NOT NULL, status TEXT NOT NULL, last_used INTEGER);
CREATE TABLE audit(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, jti TEXT, subject TEXT, project TEXT,
  operation TEXT NOT NULL, items INTEGER NOT NULL, failed_items INTEGER NOT NULL, error TEXT);
",
    "
ALTER TABLE tokens ADD COLUMN digest BLOB;
",
    // Key versions: projects made before were bound to version 1, the only version `pseudo init`
    // makes and the primary of every keyring the command line wrote (SPEC §8).
    "
ALTER TABLE projects ADD COLUMN key_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE projects ADD COLUMN key_versions TEXT NOT NULL DEFAULT '1';
ALTER TABLE audit ADD COLUMN key_version INTEGER;
",
    // The token type a request wants (older requests: not said).
    "
ALTER TABLE requests ADD COLUMN token_type TEXT;
",
];

/// The versions a project used, as stored: ascending, comma-separated (`"1,3"`).
fn versions_text(v: &[u16]) -> String {
    v.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
}

fn parse_versions(s: &str) -> Option<Vec<u16>> {
    s.split(',').map(|p| p.trim().parse::<u16>().ok().filter(|v| *v > 0)).collect()
}

fn touch_token(c: &Connection, jti: &str, at: Timestamp) -> Result<bool> {
    let mut stmt = c
        .prepare_cached("UPDATE tokens SET last_used = max(coalesce(last_used, ?2), ?2) WHERE jti = ?1")
        .map_err(db_err)?;
    Ok(stmt.execute(params![jti, at.unix()]).map_err(db_err)? == 1)
}

fn append_audit(c: &Connection, e: &AuditEvent) -> Result<()> {
    let mut stmt = c
        .prepare_cached(
            "INSERT INTO audit(time, jti, subject, project, operation, items, failed_items, error, key_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(db_err)?;
    stmt.execute(params![
        e.time.unix(),
        e.jti,
        e.subject,
        e.project,
        e.operation.as_str(),
        e.items as i64,
        e.failed_items as i64,
        e.error.map(|k| k.code()),
        e.key_version
    ])
    .map_err(db_err)?;
    Ok(())
}

/// A SQLite-backed store. One connection behind a mutex; other processes may open the same file
/// (WAL, 5 s busy timeout).
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn db_err(e: rusqlite::Error) -> Error {
    let corrupt = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt)
    );
    if corrupt {
        Error::with_detail(ErrorKind::Storage, Detail::Corrupt, "the registry database is corrupt or is not a database")
    } else if matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::ConstraintViolation)) {
        Error::new(ErrorKind::InvalidState, "the record already exists or refers to a missing record")
    } else {
        Error::new(ErrorKind::Storage, format!("registry database error: {e}"))
    }
}

fn bad_row(what: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, what.to_owned(), rusqlite::types::Type::Text)
}

fn org(s: String) -> rusqlite::Result<OrgId> {
    OrgId::parse_str(&s).map_err(|_| bad_row("organisation"))
}

fn project_id(s: String) -> rusqlite::Result<ProjectId> {
    ProjectId::new(s).map_err(|_| bad_row("project id"))
}

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp::from_unix)
}

fn status(s: String) -> rusqlite::Result<TokenStatusKind> {
    TokenStatusKind::parse(&s).ok_or_else(|| bad_row("status"))
}

fn token_type(s: &str) -> rusqlite::Result<TokenType> {
    [TokenType::Psn, TokenType::Sec, TokenType::Rev]
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or_else(|| bad_row("token type"))
}

fn operation(s: &str) -> Operation {
    Operation::from_name(s).unwrap_or(Operation::Pseudonymise)
}

impl SqliteStore {
    /// Opens (creating if needed) the registry at `path` and migrates it to the current schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_connection(Connection::open(path).map_err(db_err)?)
    }

    /// A private in-memory SQLite database (tests).
    pub fn open_in_memory() -> Result<Self> {
        Self::from_connection(Connection::open_in_memory().map_err(db_err)?)
    }

    fn from_connection(mut conn: Connection) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(db_err)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(db_err)?;
        let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(db_err)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(db_err)?;
        if version != 0 && app != APPLICATION_ID {
            return Err(Error::with_detail(
                ErrorKind::Storage,
                Detail::Foreign,
                "the database is not a pseudo registry",
            ));
        }
        if version as usize > MIGRATIONS.len() {
            return Err(Error::with_detail(
                ErrorKind::Storage,
                Detail::TooNew,
                "the registry was written by a newer version of pseudo",
            ));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction().map_err(db_err)?;
            tx.execute_batch(sql).map_err(db_err)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(db_err)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64).map_err(db_err)?;
            tx.commit().map_err(db_err)?;
        }
        // Reads the whole schema: a damaged file fails here, at open, with a clear error.
        let ok: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(db_err)?;
        if ok != "ok" {
            return Err(Error::with_detail(ErrorKind::Storage, Detail::Corrupt, "the registry database is corrupt"));
        }
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn.lock().map_err(|_| Error::new(ErrorKind::Storage, "the registry connection lock is poisoned"))
    }

    fn load_project(c: &Connection, row: &Row<'_>) -> rusqlite::Result<Project> {
        let id: String = row.get(0)?;
        let mut stmt =
            c.prepare_cached("SELECT org, can_reverse FROM collaborators WHERE project = ?1 ORDER BY rowid")?;
        let collaborators = stmt
            .query_map([&id], |r| Ok(Collaborator { organisation: org(r.get(0)?)?, can_reverse: r.get(1)? }))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let treatment: String = row.get(5)?;
        let format: String = row.get(6)?;
        Ok(Project {
            id: project_id(id)?,
            owner: org(row.get(1)?)?,
            name: row.get(2)?,
            config: ProjectConfig {
                method: if row.get::<_, bool>(3)? { Method::Reversible } else { Method::NotReversible },
                retention_end: Timestamp::from_unix(row.get(4)?),
                treatment: Treatment::from_str(&treatment).map_err(|_| bad_row("treatment"))?,
                format: OutputFormat::from_str(&format).map_err(|_| bad_row("format"))?,
            },
            collaborators,
            created: Timestamp::from_unix(row.get(7)?),
            key_version: row.get(8)?,
            key_versions: parse_versions(&row.get::<_, String>(9)?).ok_or_else(|| bad_row("key versions"))?,
        })
    }

    fn load_request(c: &Connection, row: &Row<'_>) -> rusqlite::Result<Request> {
        let id: String = row.get(0)?;
        let mut stmt = c.prepare_cached(
            "SELECT time, actor, status, comment FROM request_events WHERE request = ?1 ORDER BY seq",
        )?;
        let history = stmt
            .query_map([&id], |r| {
                let s: String = r.get(2)?;
                Ok(RequestEvent {
                    time: Timestamp::from_unix(r.get(0)?),
                    actor: r.get(1)?,
                    status: RequestStatus::parse(&s).ok_or_else(|| bad_row("request status"))?,
                    comment: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let s: String = row.get(5)?;
        let wanted: Option<String> = row.get(6)?;
        Ok(Request {
            id,
            project: project_id(row.get(1)?)?,
            organisation: org(row.get(2)?)?,
            requester: row.get(3)?,
            dataset: row.get(4)?,
            token_type: wanted.as_deref().map(token_type).transpose()?,
            status: RequestStatus::parse(&s).ok_or_else(|| bad_row("request status"))?,
            history,
        })
    }

    fn token_row(row: &Row<'_>) -> rusqlite::Result<TokenRecord> {
        let tt: String = row.get(1)?;
        Ok(TokenRecord {
            jti: row.get(0)?,
            token_type: token_type(&tt)?,
            name: row.get(2)?,
            project: project_id(row.get(3)?)?,
            request: row.get(4)?,
            holder: row.get(5)?,
            organisation: org(row.get(6)?)?,
            created: Timestamp::from_unix(row.get(7)?),
            expires: Timestamp::from_unix(row.get(8)?),
            status: status(row.get(9)?)?,
            last_used: ts(row.get(10)?),
            digest: match row.get::<_, Option<Vec<u8>>>(11)? {
                None => None,
                Some(d) => Some(d.as_slice().try_into().map_err(|_| bad_row("token digest"))?),
            },
        })
    }

    fn access_row(row: &Row<'_>) -> rusqlite::Result<AccessTokenRecord> {
        let kind: String = row.get(1)?;
        Ok(AccessTokenRecord {
            id: row.get(0)?,
            kind: AccessKind::parse(&kind).ok_or_else(|| bad_row("access kind"))?,
            name: row.get(2)?,
            principal: row.get(3)?,
            organisation: org(row.get(4)?)?,
            created_by: row.get(5)?,
            created: Timestamp::from_unix(row.get(6)?),
            expires: Timestamp::from_unix(row.get(7)?),
            status: status(row.get(8)?)?,
            last_used: ts(row.get(9)?),
        })
    }

    fn write_collaborators(tx: &rusqlite::Transaction<'_>, p: &Project) -> rusqlite::Result<()> {
        tx.execute("DELETE FROM collaborators WHERE project = ?1", [p.id.as_str()])?;
        for c in &p.collaborators {
            tx.execute(
                "INSERT INTO collaborators(project, org, can_reverse) VALUES (?1, ?2, ?3)",
                params![p.id.as_str(), c.organisation.to_string(), c.can_reverse],
            )?;
        }
        Ok(())
    }

    fn write_history(tx: &rusqlite::Transaction<'_>, r: &Request) -> rusqlite::Result<()> {
        tx.execute("DELETE FROM request_events WHERE request = ?1", [&r.id])?;
        for (i, e) in r.history.iter().enumerate() {
            tx.execute(
                "INSERT INTO request_events(request, seq, time, actor, status, comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![r.id, i as i64, e.time.unix(), e.actor, e.status.as_str(), e.comment],
            )?;
        }
        Ok(())
    }
}

const PROJECT_COLS: &str =
    "id, owner, name, reversible, retention_end, treatment, format, created, key_version, key_versions";
const REQUEST_COLS: &str = "id, project, org, requester, dataset, status, token_type";
const TOKEN_COLS: &str =
    "jti, token_type, name, project, request, holder, org, created, expires, status, last_used, digest";
const ACCESS_COLS: &str = "id, kind, name, principal, org, created_by, created, expires, status, last_used";

impl Store for SqliteStore {
    fn insert_project(&self, p: &Project) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(db_err)?;
        tx.execute(
            &format!("INSERT INTO projects({PROJECT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
            params![
                p.id.as_str(),
                p.owner.to_string(),
                p.name,
                p.config.method == Method::Reversible,
                p.config.retention_end.unix(),
                match p.config.treatment {
                    Treatment::Same => "same",
                    Treatment::Different => "different",
                },
                p.config.format.as_str(),
                p.created.unix(),
                p.key_version,
                versions_text(&p.key_versions)
            ],
        )
        .map_err(db_err)?;
        Self::write_collaborators(&tx, p).map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    fn set_project_key_version(&self, id: &ProjectId, version: u16) -> Result<bool> {
        let mut c = self.conn()?;
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db_err)?;
        let used: Option<String> = tx
            .query_row("SELECT key_versions FROM projects WHERE id = ?1", [id.as_str()], |r| r.get(0))
            .optional()
            .map_err(db_err)?;
        let Some(used) = used else { return Ok(false) };
        let mut used = parse_versions(&used).ok_or_else(|| Error::new(ErrorKind::Storage, "bad key versions row"))?;
        if !used.contains(&version) {
            used.push(version);
            used.sort_unstable();
        }
        tx.execute(
            "UPDATE projects SET key_version = ?2, key_versions = ?3 WHERE id = ?1",
            params![id.as_str(), version, versions_text(&used)],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(true)
    }

    fn rename_project(&self, id: &ProjectId, name: &str) -> Result<bool> {
        let n = self
            .conn()?
            .execute("UPDATE projects SET name = ?2 WHERE id = ?1", params![id.as_str(), name])
            .map_err(db_err)?;
        Ok(n == 1)
    }

    fn put_collaborator(&self, id: &ProjectId, c: &Collaborator) -> Result<bool> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db_err)?;
        let exists = tx
            .query_row("SELECT 1 FROM projects WHERE id = ?1", [id.as_str()], |_| Ok(()))
            .optional()
            .map_err(db_err)?
            .is_some();
        if exists {
            tx.execute(
                "INSERT INTO collaborators(project, org, can_reverse) VALUES (?1, ?2, ?3)
                 ON CONFLICT(project, org) DO UPDATE SET can_reverse = excluded.can_reverse",
                params![id.as_str(), c.organisation.to_string(), c.can_reverse],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(exists)
    }

    fn project(&self, id: &ProjectId) -> Result<Option<Project>> {
        let c = self.conn()?;
        c.query_row(&format!("SELECT {PROJECT_COLS} FROM projects WHERE id = ?1"), [id.as_str()], |r| {
            Self::load_project(&c, r)
        })
        .optional()
        .map_err(db_err)
    }

    fn projects(&self) -> Result<Vec<Project>> {
        let c = self.conn()?;
        let mut stmt = c.prepare(&format!("SELECT {PROJECT_COLS} FROM projects ORDER BY rowid")).map_err(db_err)?;
        let rows = stmt.query_map([], |r| Self::load_project(&c, r)).map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
    }

    fn insert_request(&self, r: &Request) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(db_err)?;
        tx.execute(
            &format!("INSERT INTO requests({REQUEST_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
            params![
                r.id,
                r.project.as_str(),
                r.organisation.to_string(),
                r.requester,
                r.dataset,
                r.status.as_str(),
                r.token_type.map(TokenType::as_str)
            ],
        )
        .map_err(db_err)?;
        Self::write_history(&tx, r).map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    fn decide_request(&self, id: &str, e: &RequestEvent) -> Result<bool> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db_err)?;
        let n = tx
            .execute(
                "UPDATE requests SET status = ?2 WHERE id = ?1 AND status = 'pending'",
                params![id, e.status.as_str()],
            )
            .map_err(db_err)?;
        if n == 1 {
            tx.execute(
                "INSERT INTO request_events(request, seq, time, actor, status, comment)
                 VALUES (?1, (SELECT count(*) FROM request_events WHERE request = ?1), ?2, ?3, ?4, ?5)",
                params![id, e.time.unix(), e.actor, e.status.as_str(), e.comment],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(n == 1)
    }

    fn request(&self, id: &str) -> Result<Option<Request>> {
        let c = self.conn()?;
        c.query_row(&format!("SELECT {REQUEST_COLS} FROM requests WHERE id = ?1"), [id], |r| Self::load_request(&c, r))
            .optional()
            .map_err(db_err)
    }

    fn requests(&self, project: &ProjectId) -> Result<Vec<Request>> {
        let c = self.conn()?;
        let mut stmt = c
            .prepare(&format!("SELECT {REQUEST_COLS} FROM requests WHERE project = ?1 ORDER BY rowid"))
            .map_err(db_err)?;
        let rows = stmt.query_map([project.as_str()], |r| Self::load_request(&c, r)).map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
    }

    fn insert_token(&self, t: &TokenRecord) -> Result<()> {
        self.conn()?
            .execute(
                &format!("INSERT INTO tokens({TOKEN_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
                params![
                    t.jti,
                    t.token_type.as_str(),
                    t.name,
                    t.project.as_str(),
                    t.request,
                    t.holder,
                    t.organisation.to_string(),
                    t.created.unix(),
                    t.expires.unix(),
                    t.status.as_str(),
                    t.last_used.map(Timestamp::unix),
                    t.digest.map(|d| d.to_vec())
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn token(&self, jti: &str) -> Result<Option<TokenRecord>> {
        let c = self.conn()?;
        let mut stmt = c.prepare_cached(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE jti = ?1")).map_err(db_err)?;
        stmt.query_row([jti], Self::token_row).optional().map_err(db_err)
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        let c = self.conn()?;
        let mut stmt = c.prepare(&format!("SELECT {TOKEN_COLS} FROM tokens ORDER BY rowid")).map_err(db_err)?;
        let rows = stmt.query_map([], Self::token_row).map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
    }

    fn set_token_status(&self, jti: &str, s: TokenStatusKind) -> Result<bool> {
        let n = self
            .conn()?
            .execute("UPDATE tokens SET status = ?2 WHERE jti = ?1", params![jti, s.as_str()])
            .map_err(db_err)?;
        Ok(n == 1)
    }

    fn touch_token(&self, jti: &str, at: Timestamp) -> Result<bool> {
        touch_token(&*self.conn()?, jti, at)
    }

    fn delete_token(&self, jti: &str) -> Result<bool> {
        Ok(self.conn()?.execute("DELETE FROM tokens WHERE jti = ?1", [jti]).map_err(db_err)? == 1)
    }

    fn insert_access(&self, a: &AccessTokenRecord, secret_hash: &[u8; 32]) -> Result<()> {
        self.conn()?
            .execute(
                &format!("INSERT INTO access_tokens(secret_hash, {ACCESS_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
                params![
                    &secret_hash[..],
                    a.id,
                    a.kind.as_str(),
                    a.name,
                    a.principal,
                    a.organisation.to_string(),
                    a.created_by,
                    a.created.unix(),
                    a.expires.unix(),
                    a.status.as_str(),
                    a.last_used.map(Timestamp::unix)
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn access(&self, id: &str) -> Result<Option<AccessTokenRecord>> {
        let c = self.conn()?;
        c.query_row(&format!("SELECT {ACCESS_COLS} FROM access_tokens WHERE id = ?1"), [id], Self::access_row)
            .optional()
            .map_err(db_err)
    }

    fn access_by_hash(&self, secret_hash: &[u8; 32]) -> Result<Option<(AccessTokenRecord, [u8; 32])>> {
        let c = self.conn()?;
        c.query_row(
            &format!("SELECT {ACCESS_COLS}, secret_hash FROM access_tokens WHERE secret_hash = ?1"),
            [&secret_hash[..]],
            |r| {
                let stored: Vec<u8> = r.get(10)?;
                let stored: [u8; 32] = stored.try_into().map_err(|_| bad_row("secret hash"))?;
                Ok((Self::access_row(r)?, stored))
            },
        )
        .optional()
        .map_err(db_err)
    }

    fn accesses(&self) -> Result<Vec<AccessTokenRecord>> {
        let c = self.conn()?;
        let mut stmt = c.prepare(&format!("SELECT {ACCESS_COLS} FROM access_tokens ORDER BY rowid")).map_err(db_err)?;
        let rows = stmt.query_map([], Self::access_row).map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
    }

    fn accesses_with_hashes(&self) -> Result<Vec<(AccessTokenRecord, [u8; 32])>> {
        let c = self.conn()?;
        let mut stmt = c
            .prepare(&format!("SELECT {ACCESS_COLS}, secret_hash FROM access_tokens ORDER BY rowid"))
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| {
                let stored: Vec<u8> = r.get(10)?;
                let stored: [u8; 32] = stored.try_into().map_err(|_| bad_row("secret hash"))?;
                Ok((Self::access_row(r)?, stored))
            })
            .map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
    }

    fn set_access_status(&self, id: &str, s: TokenStatusKind) -> Result<bool> {
        let n = self
            .conn()?
            .execute("UPDATE access_tokens SET status = ?2 WHERE id = ?1", params![id, s.as_str()])
            .map_err(db_err)?;
        Ok(n == 1)
    }

    fn touch_access(&self, id: &str, at: Timestamp) -> Result<bool> {
        let n = self
            .conn()?
            .execute(
                "UPDATE access_tokens SET last_used = max(coalesce(last_used, ?2), ?2) WHERE id = ?1",
                params![id, at.unix()],
            )
            .map_err(db_err)?;
        Ok(n == 1)
    }

    fn delete_access(&self, id: &str) -> Result<bool> {
        Ok(self.conn()?.execute("DELETE FROM access_tokens WHERE id = ?1", [id]).map_err(db_err)? == 1)
    }

    fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        append_audit(&*self.conn()?, e)
    }

    fn write_batch(&self, uses: &[(String, Timestamp)], events: &[AuditEvent]) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db_err)?;
        for (jti, at) in uses {
            touch_token(&tx, jti, *at)?;
        }
        for e in events {
            append_audit(&tx, e)?;
        }
        tx.commit().map_err(db_err)
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEvent>> {
        let c = self.conn()?;
        let mut stmt = c
            .prepare(
                "SELECT time, jti, subject, project, operation, items, failed_items, error, key_version FROM
                 (SELECT * FROM audit ORDER BY seq DESC LIMIT ?1) ORDER BY seq",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                let op: String = r.get(4)?;
                let err: Option<String> = r.get(7)?;
                Ok(AuditEvent {
                    time: Timestamp::from_unix(r.get(0)?),
                    jti: r.get(1)?,
                    subject: r.get(2)?,
                    project: r.get(3)?,
                    operation: operation(&op),
                    items: r.get::<_, i64>(5)? as usize,
                    failed_items: r.get::<_, i64>(6)? as usize,
                    error: err.map(|code| ErrorKind::from_code(&code).unwrap_or(ErrorKind::Internal)),
                    key_version: r.get(8)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
    }
}
