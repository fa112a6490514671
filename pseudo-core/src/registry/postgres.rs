//! A [`Store`] on PostgreSQL, shared by several engine nodes: the sync `postgres` client behind an
//! r2d2 pool. The schema version is recorded in `pseudo_registry_schema` and migrations run
//! under a transaction-scoped advisory lock, so nodes starting together never race. Every
//! read-modify-write is one statement or one transaction whose row locks make it atomic across
//! nodes (a decision updates only a row still `pending`; a collaborator is one upsert). An
//! unreachable database is a `Storage` error with detail `unavailable` (HTTP 503), and the pool
//! reconnects by itself when the database returns.

use std::str::FromStr;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
#[cfg(not(feature = "postgres-tls"))]
use postgres::NoTls;
use postgres::{GenericClient, Row};
use r2d2::{Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;

use super::model::{
    AccessKind, AccessTokenRecord, Collaborator, Project, Request, RequestEvent, RequestStatus, TokenRecord,
    TokenStatusKind,
};
use super::store::Store;
use crate::config::{Method, OrgId, OutputFormat, ProjectConfig, ProjectId, Timestamp, Treatment};
use crate::engine::{AuditEvent, Operation};
use crate::error::{Detail, Error, ErrorKind, Result};
use crate::token::TokenType;

/// Key of the advisory lock held while the schema is migrated ("PSRG" as in the SQLite store).
const MIGRATION_LOCK: i64 = 0x5053_5247;

/// Forward migrations: entry `i` takes the schema from version `i` to `i + 1`. Version numbers
/// follow the SQLite store's, so a copied registry keeps its meaning.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE projects(
  seq BIGSERIAL UNIQUE, id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL,
  reversible BOOLEAN NOT NULL, retention_end BIGINT NOT NULL, treatment TEXT NOT NULL, format TEXT NOT NULL,
  created BIGINT NOT NULL);
CREATE TABLE collaborators(
  seq BIGSERIAL, project TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, org TEXT NOT NULL,
  can_reverse BOOLEAN NOT NULL, PRIMARY KEY(project, org));
CREATE TABLE requests(
  seq BIGSERIAL UNIQUE, id TEXT PRIMARY KEY, project TEXT NOT NULL REFERENCES projects(id), org TEXT NOT NULL,
  requester TEXT NOT NULL, dataset TEXT NOT NULL, status TEXT NOT NULL);
CREATE INDEX requests_by_project ON requests(project);
CREATE TABLE request_events(
  request TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE, seq BIGINT NOT NULL, time BIGINT NOT NULL,
  actor TEXT NOT NULL, status TEXT NOT NULL, comment TEXT, PRIMARY KEY(request, seq));
CREATE TABLE tokens(
  seq BIGSERIAL UNIQUE, jti TEXT PRIMARY KEY, token_type TEXT NOT NULL, name TEXT NOT NULL,
  project TEXT NOT NULL REFERENCES projects(id), request TEXT NOT NULL REFERENCES requests(id),
  holder TEXT NOT NULL, org TEXT NOT NULL, created BIGINT NOT NULL, expires BIGINT NOT NULL,
  status TEXT NOT NULL, last_used BIGINT);
CREATE TABLE access_tokens(
  seq BIGSERIAL UNIQUE, id TEXT PRIMARY KEY, secret_hash BYTEA NOT NULL UNIQUE, kind TEXT NOT NULL,
  name TEXT NOT NULL, principal TEXT NOT NULL, org TEXT NOT NULL, created_by TEXT NOT NULL,
  created BIGINT NOT NULL, expires BIGINT NOT NULL, status TEXT NOT NULL, last_used BIGINT);
CREATE TABLE audit(
  seq BIGSERIAL PRIMARY KEY, time BIGINT NOT NULL, jti TEXT, subject TEXT, project TEXT,
  operation TEXT NOT NULL, items BIGINT NOT NULL, failed_items BIGINT NOT NULL, error TEXT);
",
    "
ALTER TABLE tokens ADD COLUMN digest BYTEA;
",
    // Key versions: projects made before were bound to version 1 (as in the SQLite store).
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

const PROJECT_COLS: &str =
    "id, owner, name, reversible, retention_end, treatment, format, created, key_version, key_versions";
const REQUEST_COLS: &str = "id, project, org, requester, dataset, status, token_type";
const TOKEN_COLS: &str =
    "jti, token_type, name, project, request, holder, org, created, expires, status, last_used, digest";
const ACCESS_COLS: &str = "id, kind, name, principal, org, created_by, created, expires, status, last_used";

#[cfg(feature = "postgres-tls")]
type Connector = tokio_postgres_rustls::MakeRustlsConnect;
#[cfg(not(feature = "postgres-tls"))]
type Connector = NoTls;
type Manager = PostgresConnectionManager<Connector>;

#[cfg(feature = "postgres-tls")]
fn bad_ca() -> Error {
    Error::with_detail(ErrorKind::InvalidInput, Detail::BadCa, "the registry's CA certificate is not valid PEM")
}

/// rustls (ring provider) trusting the system's roots and `extra_ca_pem`; used when the URL says
/// `sslmode=require`.
#[cfg(feature = "postgres-tls")]
fn connector(_mode: postgres::config::SslMode, extra_ca_pem: Option<&[u8]>) -> Result<Connector> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(pem) = extra_ca_pem {
        let mut any = false;
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.add(cert.map_err(|_| bad_ca())?).map_err(|_| bad_ca())?;
            any = true;
        }
        if !any {
            return Err(bad_ca());
        }
    }
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|_| Error::new(ErrorKind::Internal, "TLS protocol versions"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

#[cfg(not(feature = "postgres-tls"))]
fn connector(mode: postgres::config::SslMode, extra_ca_pem: Option<&[u8]>) -> Result<Connector> {
    if extra_ca_pem.is_some() || mode == postgres::config::SslMode::Require {
        return Err(Error::with_detail(
            ErrorKind::InvalidInput,
            Detail::NoTls,
            "this build has no TLS to PostgreSQL (feature postgres-tls)",
        ));
    }
    Ok(NoTls)
}

/// A PostgreSQL-backed store: a pool of connections to one database that any number of nodes
/// share. Its `Debug` shows no connection string (it may carry a password).
pub struct PostgresStore {
    pool: Pool<Manager>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

fn unavailable() -> Error {
    Error::with_detail(ErrorKind::Storage, Detail::Unavailable, "the registry database is unreachable; try again later")
}

/// Maps a driver error to the registry's kinds. Only the SQLSTATE is kept: a server message
/// can quote row values (a secret's hash in a uniqueness error), and connection errors can
/// name the host.
fn db_err(e: postgres::Error) -> Error {
    match e.code() {
        Some(c) if *c == SqlState::UNIQUE_VIOLATION || *c == SqlState::FOREIGN_KEY_VIOLATION => {
            Error::new(ErrorKind::InvalidState, "the record already exists or refers to a missing record")
        }
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED => {
            Error::with_detail(
                ErrorKind::Storage,
                Detail::Conflict,
                "a concurrent registry write conflicted; try again",
            )
        }
        // Class 08 (connection exception), 57P01..57P03 (shutdown, cannot connect now).
        Some(c) if c.code().starts_with("08") || c.code().starts_with("57P") => unavailable(),
        Some(c) => Error::new(ErrorKind::Storage, format!("registry database error (SQLSTATE {})", c.code())),
        None => unavailable(),
    }
}

fn bad_row(what: &str) -> Error {
    Error::with_detail(ErrorKind::Storage, Detail::Corrupt, format!("the registry holds an invalid {what}"))
}

/// The versions a project used, as stored: ascending, comma-separated (`"1,3"`).
fn versions_text(v: &[u16]) -> String {
    v.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
}

fn parse_versions(s: &str) -> Option<Vec<u16>> {
    s.split(',').map(|p| p.trim().parse::<u16>().ok().filter(|v| *v > 0)).collect()
}

fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T> {
    row.try_get(i).map_err(|_| bad_row("column"))
}

fn org(s: String) -> Result<OrgId> {
    OrgId::parse_str(&s).map_err(|_| bad_row("organisation"))
}

fn project_id(s: String) -> Result<ProjectId> {
    ProjectId::new(s).map_err(|_| bad_row("project id"))
}

fn status(s: &str) -> Result<TokenStatusKind> {
    TokenStatusKind::parse(s).ok_or_else(|| bad_row("status"))
}

fn request_status(s: &str) -> Result<RequestStatus> {
    RequestStatus::parse(s).ok_or_else(|| bad_row("request status"))
}

fn treatment_str(t: Treatment) -> &'static str {
    match t {
        Treatment::Same => "same",
        Treatment::Different => "different",
    }
}

impl PostgresStore {
    /// Connects to the database named by `url` (`postgres://user:password@host:port/db?...` or
    /// `host=... dbname=...`) and migrates it to the current schema.
    pub fn open(url: &str) -> Result<Self> {
        Self::open_with_ca(url, None)
    }

    /// [`PostgresStore::open`], also trusting the CA certificate(s) in `ca_pem` for TLS to the
    /// database (feature `postgres-tls`; `sslmode=require` in the URL insists on TLS).
    pub fn open_with_ca(url: &str, ca_pem: Option<&[u8]>) -> Result<Self> {
        let mut config = postgres::Config::from_str(url).map_err(|_| {
            Error::with_detail(ErrorKind::InvalidInput, Detail::BadUrl, "the PostgreSQL connection string is not valid")
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        if config.get_application_name().is_none() {
            config.application_name("pseudo");
        }
        // TLS only when asked for with `sslmode=require`, and then always verified (libpq's
        // `verify-full`): `prefer` (the default) would be unauthenticated TLS at best, so it
        // connects in plain text, as `disable` does.
        if config.get_ssl_mode() != postgres::config::SslMode::Require {
            config.ssl_mode(postgres::config::SslMode::Disable);
        }
        let tls = connector(config.get_ssl_mode(), ca_pem)?;
        let pool = Pool::builder()
            .max_size(16)
            .min_idle(Some(1))
            // A connection broken by a database restart is found here and replaced.
            .test_on_check_out(true)
            .connection_timeout(Duration::from_secs(3))
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(PostgresConnectionManager::new(config, tls))
            .map_err(|_| unavailable())?;
        let store = PostgresStore { pool };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version of the database (after `open`, the current one).
    pub fn schema_version(&self) -> Result<usize> {
        let mut c = self.conn()?;
        let row = c.query_one("SELECT version FROM pseudo_registry_schema", &[]).map_err(db_err)?;
        Ok(get::<i32>(&row, 0)? as usize)
    }

    fn migrate(&self) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(db_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(db_err)?;
        let has_schema: bool = tx
            .query_one("SELECT to_regclass('pseudo_registry_schema') IS NOT NULL", &[])
            .map_err(db_err)
            .and_then(|r| get(&r, 0))?;
        let version = if has_schema {
            let row = tx.query_one("SELECT version FROM pseudo_registry_schema", &[]).map_err(db_err)?;
            get::<i32>(&row, 0)? as usize
        } else {
            let foreign: bool = tx
                .query_one("SELECT to_regclass('projects') IS NOT NULL OR to_regclass('tokens') IS NOT NULL", &[])
                .map_err(db_err)
                .and_then(|r| get(&r, 0))?;
            if foreign {
                return Err(Error::with_detail(
                    ErrorKind::Storage,
                    Detail::Foreign,
                    "the database holds tables that are not a pseudo registry",
                ));
            }
            tx.batch_execute(
                "CREATE TABLE pseudo_registry_schema(version INTEGER NOT NULL);
                 INSERT INTO pseudo_registry_schema VALUES (0);",
            )
            .map_err(db_err)?;
            0
        };
        if version > MIGRATIONS.len() {
            return Err(Error::with_detail(
                ErrorKind::Storage,
                Detail::TooNew,
                "the registry was written by a newer version of pseudo",
            ));
        }
        for sql in &MIGRATIONS[version..] {
            tx.batch_execute(sql).map_err(db_err)?;
        }
        tx.execute("UPDATE pseudo_registry_schema SET version = $1", &[&(MIGRATIONS.len() as i32)]).map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    fn conn(&self) -> Result<PooledConnection<Manager>> {
        self.pool.get().map_err(|_| unavailable())
    }

    fn load_project(c: &mut impl GenericClient, row: &Row) -> Result<Project> {
        let id: String = get(row, 0)?;
        let collaborators = c
            .query("SELECT org, can_reverse FROM collaborators WHERE project = $1 ORDER BY seq", &[&id])
            .map_err(db_err)?
            .iter()
            .map(|r| Ok(Collaborator { organisation: org(get(r, 0)?)?, can_reverse: get(r, 1)? }))
            .collect::<Result<Vec<_>>>()?;
        let treatment: String = get(row, 5)?;
        let format: String = get(row, 6)?;
        Ok(Project {
            id: project_id(id)?,
            owner: org(get(row, 1)?)?,
            name: get(row, 2)?,
            config: ProjectConfig {
                method: if get::<bool>(row, 3)? { Method::Reversible } else { Method::NotReversible },
                retention_end: Timestamp::from_unix(get(row, 4)?),
                treatment: Treatment::from_str(&treatment).map_err(|_| bad_row("treatment"))?,
                format: OutputFormat::from_str(&format).map_err(|_| bad_row("format"))?,
            },
            collaborators,
            created: Timestamp::from_unix(get(row, 7)?),
            key_version: u16::try_from(get::<i32>(row, 8)?).map_err(|_| bad_row("key version"))?,
            key_versions: parse_versions(&get::<String>(row, 9)?).ok_or_else(|| bad_row("key versions"))?,
        })
    }

    fn load_request(c: &mut impl GenericClient, row: &Row) -> Result<Request> {
        let id: String = get(row, 0)?;
        let history = c
            .query("SELECT time, actor, status, comment FROM request_events WHERE request = $1 ORDER BY seq", &[&id])
            .map_err(db_err)?
            .iter()
            .map(|r| {
                Ok(RequestEvent {
                    time: Timestamp::from_unix(get(r, 0)?),
                    actor: get(r, 1)?,
                    status: request_status(&get::<String>(r, 2)?)?,
                    comment: get(r, 3)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Request {
            project: project_id(get(row, 1)?)?,
            organisation: org(get(row, 2)?)?,
            requester: get(row, 3)?,
            dataset: get(row, 4)?,
            token_type: get::<Option<String>>(row, 6)?
                .map(|t| TokenType::from_str(&t).map_err(|_| bad_row("token type")))
                .transpose()?,
            status: request_status(&get::<String>(row, 5)?)?,
            history,
            id,
        })
    }

    fn token_row(row: &Row) -> Result<TokenRecord> {
        let tt: String = get(row, 1)?;
        Ok(TokenRecord {
            jti: get(row, 0)?,
            token_type: TokenType::from_str(&tt).map_err(|_| bad_row("token type"))?,
            name: get(row, 2)?,
            project: project_id(get(row, 3)?)?,
            request: get(row, 4)?,
            holder: get(row, 5)?,
            organisation: org(get(row, 6)?)?,
            created: Timestamp::from_unix(get(row, 7)?),
            expires: Timestamp::from_unix(get(row, 8)?),
            status: status(&get::<String>(row, 9)?)?,
            last_used: get::<Option<i64>>(row, 10)?.map(Timestamp::from_unix),
            digest: match get::<Option<Vec<u8>>>(row, 11)? {
                None => None,
                Some(d) => Some(d.as_slice().try_into().map_err(|_| bad_row("token digest"))?),
            },
        })
    }

    fn access_row(row: &Row) -> Result<AccessTokenRecord> {
        let kind: String = get(row, 1)?;
        Ok(AccessTokenRecord {
            id: get(row, 0)?,
            kind: AccessKind::parse(&kind).ok_or_else(|| bad_row("access kind"))?,
            name: get(row, 2)?,
            principal: get(row, 3)?,
            organisation: org(get(row, 4)?)?,
            created_by: get(row, 5)?,
            created: Timestamp::from_unix(get(row, 6)?),
            expires: Timestamp::from_unix(get(row, 7)?),
            status: status(&get::<String>(row, 8)?)?,
            last_used: get::<Option<i64>>(row, 9)?.map(Timestamp::from_unix),
        })
    }

    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.conn()?.execute(sql, params).map_err(db_err)
    }

    fn write_uses(c: &mut impl GenericClient, uses: &[(String, Timestamp)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        // Sorted so that two nodes flushing the same tokens lock their rows in one order.
        let mut uses: Vec<&(String, Timestamp)> = uses.iter().collect();
        uses.sort_by(|a, b| a.0.cmp(&b.0));
        let jtis: Vec<&str> = uses.iter().map(|u| u.0.as_str()).collect();
        let ats: Vec<i64> = uses.iter().map(|u| u.1.unix()).collect();
        c.execute(
            "UPDATE tokens t SET last_used = GREATEST(COALESCE(t.last_used, u.at), u.at)
             FROM unnest($1::text[], $2::bigint[]) AS u(jti, at) WHERE t.jti = u.jti",
            &[&jtis, &ats],
        )
        .map_err(db_err)?;
        Ok(())
    }

    fn write_events(c: &mut impl GenericClient, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let time: Vec<i64> = events.iter().map(|e| e.time.unix()).collect();
        let jti: Vec<Option<&str>> = events.iter().map(|e| e.jti.as_deref()).collect();
        let subject: Vec<Option<&str>> = events.iter().map(|e| e.subject.as_deref()).collect();
        let project: Vec<Option<&str>> = events.iter().map(|e| e.project.as_deref()).collect();
        let operation: Vec<&str> = events.iter().map(|e| e.operation.as_str()).collect();
        let items: Vec<i64> = events.iter().map(|e| e.items as i64).collect();
        let failed: Vec<i64> = events.iter().map(|e| e.failed_items as i64).collect();
        let error: Vec<Option<&str>> = events.iter().map(|e| e.error.map(|k| k.code())).collect();
        let kv: Vec<Option<i32>> = events.iter().map(|e| e.key_version.map(i32::from)).collect();
        // unnest keeps the arrays' order, and seq follows it: events stay in the order given.
        c.execute(
            "INSERT INTO audit(time, jti, subject, project, operation, items, failed_items, error, key_version)
             SELECT a, b, c, d, f, g, h, i, k FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                                  $7::bigint[], $8::text[], $9::integer[]) WITH ORDINALITY AS e(a, b, c, d, f, g, h, i, k, n)
             ORDER BY n",
            &[&time, &jti, &subject, &project, &operation, &items, &failed, &error, &kv],
        )
        .map_err(db_err)?;
        Ok(())
    }
}

fn operation(s: &str) -> Operation {
    Operation::from_name(s).unwrap_or(Operation::Pseudonymise)
}

impl Store for PostgresStore {
    fn insert_project(&self, p: &Project) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(db_err)?;
        tx.execute(
            &format!("INSERT INTO projects({PROJECT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
            &[
                &p.id.as_str(),
                &p.owner.to_string(),
                &p.name,
                &(p.config.method == Method::Reversible),
                &p.config.retention_end.unix(),
                &treatment_str(p.config.treatment),
                &p.config.format.as_str(),
                &p.created.unix(),
                &i32::from(p.key_version),
                &versions_text(&p.key_versions),
            ],
        )
        .map_err(db_err)?;
        for col in &p.collaborators {
            tx.execute(
                "INSERT INTO collaborators(project, org, can_reverse) VALUES ($1, $2, $3)",
                &[&p.id.as_str(), &col.organisation.to_string(), &col.can_reverse],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    fn set_project_key_version(&self, id: &ProjectId, version: u16) -> Result<bool> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(db_err)?;
        let row = tx
            .query_opt("SELECT key_versions FROM projects WHERE id = $1 FOR UPDATE", &[&id.as_str()])
            .map_err(db_err)?;
        let Some(row) = row else { return Ok(false) };
        let mut used = parse_versions(&get::<String>(&row, 0)?).ok_or_else(|| bad_row("key versions"))?;
        if !used.contains(&version) {
            used.push(version);
            used.sort_unstable();
        }
        tx.execute(
            "UPDATE projects SET key_version = $2, key_versions = $3 WHERE id = $1",
            &[&id.as_str(), &i32::from(version), &versions_text(&used)],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(true)
    }

    fn rename_project(&self, id: &ProjectId, name: &str) -> Result<bool> {
        Ok(self.execute("UPDATE projects SET name = $2 WHERE id = $1", &[&id.as_str(), &name])? == 1)
    }

    fn put_collaborator(&self, id: &ProjectId, c: &Collaborator) -> Result<bool> {
        // One statement: the upsert is atomic, and inserts nothing when the project is absent.
        let n = self.execute(
            "INSERT INTO collaborators(project, org, can_reverse)
             SELECT id, $2, $3 FROM projects WHERE id = $1
             ON CONFLICT(project, org) DO UPDATE SET can_reverse = excluded.can_reverse",
            &[&id.as_str(), &c.organisation.to_string(), &c.can_reverse],
        )?;
        Ok(n == 1)
    }

    fn project(&self, id: &ProjectId) -> Result<Option<Project>> {
        let mut c = self.conn()?;
        let row = c
            .query_opt(&format!("SELECT {PROJECT_COLS} FROM projects WHERE id = $1"), &[&id.as_str()])
            .map_err(db_err)?;
        row.map(|r| Self::load_project(&mut *c, &r)).transpose()
    }

    fn projects(&self) -> Result<Vec<Project>> {
        let mut c = self.conn()?;
        let rows = c.query(&format!("SELECT {PROJECT_COLS} FROM projects ORDER BY seq"), &[]).map_err(db_err)?;
        rows.iter().map(|r| Self::load_project(&mut *c, r)).collect()
    }

    fn insert_request(&self, r: &Request) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(db_err)?;
        tx.execute(
            &format!("INSERT INTO requests({REQUEST_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[
                &r.id,
                &r.project.as_str(),
                &r.organisation.to_string(),
                &r.requester,
                &r.dataset,
                &r.status.as_str(),
                &r.token_type.map(TokenType::as_str),
            ],
        )
        .map_err(db_err)?;
        for (i, e) in r.history.iter().enumerate() {
            tx.execute(
                "INSERT INTO request_events(request, seq, time, actor, status, comment) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&r.id, &(i as i64), &e.time.unix(), &e.actor, &e.status.as_str(), &e.comment],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    fn decide_request(&self, id: &str, e: &RequestEvent) -> Result<bool> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(db_err)?;
        // The row lock taken by the update makes a concurrent decision wait, then re-read the
        // status and find it no longer pending: one decision wins, on every node.
        let n = tx
            .execute("UPDATE requests SET status = $2 WHERE id = $1 AND status = 'pending'", &[&id, &e.status.as_str()])
            .map_err(db_err)?;
        if n == 1 {
            tx.execute(
                "INSERT INTO request_events(request, seq, time, actor, status, comment)
                 VALUES ($1, (SELECT count(*) FROM request_events WHERE request = $1), $2, $3, $4, $5)",
                &[&id, &e.time.unix(), &e.actor, &e.status.as_str(), &e.comment],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(n == 1)
    }

    fn request(&self, id: &str) -> Result<Option<Request>> {
        let mut c = self.conn()?;
        let row = c.query_opt(&format!("SELECT {REQUEST_COLS} FROM requests WHERE id = $1"), &[&id]).map_err(db_err)?;
        row.map(|r| Self::load_request(&mut *c, &r)).transpose()
    }

    fn requests(&self, project: &ProjectId) -> Result<Vec<Request>> {
        let mut c = self.conn()?;
        let rows = c
            .query(
                &format!("SELECT {REQUEST_COLS} FROM requests WHERE project = $1 ORDER BY seq"),
                &[&project.as_str()],
            )
            .map_err(db_err)?;
        rows.iter().map(|r| Self::load_request(&mut *c, r)).collect()
    }

    fn insert_token(&self, t: &TokenRecord) -> Result<()> {
        self.execute(
            &format!("INSERT INTO tokens({TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
            &[
                &t.jti,
                &t.token_type.as_str(),
                &t.name,
                &t.project.as_str(),
                &t.request,
                &t.holder,
                &t.organisation.to_string(),
                &t.created.unix(),
                &t.expires.unix(),
                &t.status.as_str(),
                &t.last_used.map(Timestamp::unix),
                &t.digest.map(|d| d.to_vec()),
            ],
        )?;
        Ok(())
    }

    fn token(&self, jti: &str) -> Result<Option<TokenRecord>> {
        // The engine's per-call revocation read: typed, so it costs one round trip (no prepare).
        let mut c = self.conn()?;
        let rows = c
            .query_typed(
                &format!("SELECT {TOKEN_COLS} FROM tokens WHERE jti = $1"),
                &[(&jti as &(dyn ToSql + Sync), Type::TEXT)],
            )
            .map_err(db_err)?;
        rows.first().map(Self::token_row).transpose()
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        let rows = self.conn()?.query(&format!("SELECT {TOKEN_COLS} FROM tokens ORDER BY seq"), &[]).map_err(db_err)?;
        rows.iter().map(Self::token_row).collect()
    }

    fn set_token_status(&self, jti: &str, s: TokenStatusKind) -> Result<bool> {
        Ok(self.execute("UPDATE tokens SET status = $2 WHERE jti = $1", &[&jti, &s.as_str()])? == 1)
    }

    fn touch_token(&self, jti: &str, at: Timestamp) -> Result<bool> {
        let n = self.execute(
            "UPDATE tokens SET last_used = GREATEST(COALESCE(last_used, $2), $2) WHERE jti = $1",
            &[&jti, &at.unix()],
        )?;
        Ok(n == 1)
    }

    fn delete_token(&self, jti: &str) -> Result<bool> {
        Ok(self.execute("DELETE FROM tokens WHERE jti = $1", &[&jti])? == 1)
    }

    fn insert_access(&self, a: &AccessTokenRecord, secret_hash: &[u8; 32]) -> Result<()> {
        self.execute(
            &format!(
                "INSERT INTO access_tokens(secret_hash, {ACCESS_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ),
            &[
                &&secret_hash[..],
                &a.id,
                &a.kind.as_str(),
                &a.name,
                &a.principal,
                &a.organisation.to_string(),
                &a.created_by,
                &a.created.unix(),
                &a.expires.unix(),
                &a.status.as_str(),
                &a.last_used.map(Timestamp::unix),
            ],
        )?;
        Ok(())
    }

    fn access(&self, id: &str) -> Result<Option<AccessTokenRecord>> {
        let row = self
            .conn()?
            .query_opt(&format!("SELECT {ACCESS_COLS} FROM access_tokens WHERE id = $1"), &[&id])
            .map_err(db_err)?;
        row.as_ref().map(Self::access_row).transpose()
    }

    fn access_by_hash(&self, secret_hash: &[u8; 32]) -> Result<Option<(AccessTokenRecord, [u8; 32])>> {
        let row = self
            .conn()?
            .query_opt(
                &format!("SELECT {ACCESS_COLS}, secret_hash FROM access_tokens WHERE secret_hash = $1"),
                &[&&secret_hash[..]],
            )
            .map_err(db_err)?;
        match row {
            None => Ok(None),
            Some(r) => {
                let stored: Vec<u8> = get(&r, 10)?;
                let stored: [u8; 32] = stored.try_into().map_err(|_| bad_row("secret hash"))?;
                Ok(Some((Self::access_row(&r)?, stored)))
            }
        }
    }

    fn accesses(&self) -> Result<Vec<AccessTokenRecord>> {
        let rows = self
            .conn()?
            .query(&format!("SELECT {ACCESS_COLS} FROM access_tokens ORDER BY seq"), &[])
            .map_err(db_err)?;
        rows.iter().map(Self::access_row).collect()
    }

    fn accesses_with_hashes(&self) -> Result<Vec<(AccessTokenRecord, [u8; 32])>> {
        let rows = self
            .conn()?
            .query(&format!("SELECT {ACCESS_COLS}, secret_hash FROM access_tokens ORDER BY seq"), &[])
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let stored: Vec<u8> = get(r, 10)?;
                let stored: [u8; 32] = stored.try_into().map_err(|_| bad_row("secret hash"))?;
                Ok((Self::access_row(r)?, stored))
            })
            .collect()
    }

    fn set_access_status(&self, id: &str, s: TokenStatusKind) -> Result<bool> {
        Ok(self.execute("UPDATE access_tokens SET status = $2 WHERE id = $1", &[&id, &s.as_str()])? == 1)
    }

    fn touch_access(&self, id: &str, at: Timestamp) -> Result<bool> {
        let n = self.execute(
            "UPDATE access_tokens SET last_used = GREATEST(COALESCE(last_used, $2), $2) WHERE id = $1",
            &[&id, &at.unix()],
        )?;
        Ok(n == 1)
    }

    fn delete_access(&self, id: &str) -> Result<bool> {
        Ok(self.execute("DELETE FROM access_tokens WHERE id = $1", &[&id])? == 1)
    }

    fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        Self::write_events(&mut *self.conn()?, std::slice::from_ref(e))
    }

    fn write_batch(&self, uses: &[(String, Timestamp)], events: &[AuditEvent]) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(db_err)?;
        Self::write_uses(&mut tx, uses)?;
        Self::write_events(&mut tx, events)?;
        tx.commit().map_err(db_err)
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEvent>> {
        let rows = self
            .conn()?
            .query(
                "SELECT time, jti, subject, project, operation, items, failed_items, error, key_version FROM
                 (SELECT * FROM audit ORDER BY seq DESC LIMIT $1) a ORDER BY seq",
                &[&(limit.min(i64::MAX as usize) as i64)],
            )
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let op: String = get(r, 4)?;
                let err: Option<String> = get(r, 7)?;
                Ok(AuditEvent {
                    time: Timestamp::from_unix(get(r, 0)?),
                    jti: get(r, 1)?,
                    subject: get(r, 2)?,
                    project: get(r, 3)?,
                    operation: operation(&op),
                    items: get::<i64>(r, 5)? as usize,
                    failed_items: get::<i64>(r, 6)? as usize,
                    error: err.map(|code| ErrorKind::from_code(&code).unwrap_or(ErrorKind::Internal)),
                    key_version: get::<Option<i32>>(r, 8)?.and_then(|v| u16::try_from(v).ok()),
                })
            })
            .collect()
    }
}
