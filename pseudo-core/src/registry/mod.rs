//! The authority's registry: projects, requests, collaborators, the issuing policy, records of
//! issued tokens, access tokens, their lifecycle, and the audit log — behind one [`Store`].
//!
//! The engine sees the registry only through the traits it defines itself
//! ([`TokenStatus`], [`AuditSink`]), so a host can plug in
//! its own store instead.

mod buffer;
mod calendar;
mod copy;
mod memory;
mod model;
#[cfg(feature = "postgres")]
mod postgres;
mod secret;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use data_encoding::BASE64URL_NOPAD;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use buffer::WriteBuffer;
pub use calendar::utc_date;
pub use copy::{copy_store, store_is_empty, CopySummary};
pub use memory::MemoryStore;
pub use model::{
    AccessKind, AccessTokenRecord, Collaborator, Principal, Project, Request, RequestEvent, RequestStatus, Retention,
    Role, TokenRecord, TokenStatusKind,
};
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use secret::{PERSONAL_PREFIX, SERVICE_PREFIX};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use store::Store;

use crate::config::{Method, OrgId, OutputFormat, ProjectConfig, ProjectId, SourceRef, Timestamp, Treatment};
use crate::engine::{AuditEvent, AuditSink, Operation, TokenStatus};
use crate::error::{Detail, Error, ErrorKind, Result};
use crate::keys::random_bytes;
use crate::token::{
    valid_text, Authority, Grant, IssuePolicy, IssuedToken, ReverseLevel, TokenKind, TokenRequest, TokenType,
};

/// Registry options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistryOptions {
    /// How long the engine may rely on an earlier revocation check of a token. Default zero: every
    /// call reads the store, so a revoke is refused by the very next call after it returned.
    pub revocation_staleness: Duration,
    /// How long an engine call's last-use note and audit event may wait in memory before they
    /// are written (in one transaction with the others waiting). Default 100 ms; zero writes each
    /// at once. A crash of the process loses at most this window of last-use and audit writes;
    /// [`Registry::flush`] and dropping the registry write everything. Reads of token records
    /// and of the audit log flush first, so they always show every call made before them.
    pub write_delay: Duration,
    /// The engine's current primary key version, as the authority's configuration knows it: new
    /// projects are bound to it (default 1). `pseudo keys rotate` updates it with the keyring.
    pub primary_key_version: u16,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            revocation_staleness: Duration::ZERO,
            write_delay: DEFAULT_WRITE_DELAY,
            primary_key_version: 1,
        }
    }
}

/// The default [`RegistryOptions::write_delay`].
pub const DEFAULT_WRITE_DELAY: Duration = Duration::from_millis(100);

/// What a new project is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    /// Identifier.
    pub id: ProjectId,
    /// Display name.
    pub name: String,
    /// Reversible or not.
    pub method: Method,
    /// Retention, counted from creation; it fixes the retention end for ever.
    pub retention: Retention,
    /// `same` or `different`.
    pub treatment: Treatment,
    /// Output format.
    pub format: OutputFormat,
}

/// A change to a project. Only the name can change; the rest is refused, as the portal refuses it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectUpdate {
    /// A new display name.
    pub name: Option<String>,
    /// Refused: retention is set once and can never be extended.
    pub retention: Option<Retention>,
    /// Refused: the method is fixed at creation.
    pub method: Option<Method>,
    /// Refused: changing it would change every pseudonym.
    pub treatment: Option<Treatment>,
    /// Refused: changing it would change every pseudonym.
    pub format: Option<OutputFormat>,
}

/// Which operation token to issue for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueKind {
    /// Pseudonymisation (level 1).
    Pseudonymise,
    /// Secondary (level 2) from `source_project`'s level-1 pseudonyms, as held by `source_org`.
    Secondary {
        /// The source project.
        source_project: ProjectId,
        /// The source organisation (owner or collaborator of the source project).
        source_org: OrgId,
    },
    /// Reverse of level 1.
    Reverse,
    /// Reverse of level 2 (this secondary project's pseudonyms of the named source).
    ReverseLevel2 {
        /// The source project.
        source_project: ProjectId,
        /// The source organisation.
        source_org: OrgId,
    },
}

impl IssueKind {
    /// The kind for a token type and an optional source (project and organisation) — the one rule
    /// every face applies: `psn` takes no source, `sec` needs one, `rev` without a source undoes
    /// level 1 and with one undoes level 2 of that source.
    pub fn new(token_type: TokenType, source: Option<(ProjectId, OrgId)>) -> Result<Self> {
        let invalid = |m: &str| Error::new(ErrorKind::InvalidInput, m);
        match (token_type, source) {
            (TokenType::Psn, None) => Ok(IssueKind::Pseudonymise),
            (TokenType::Psn, Some(_)) => Err(invalid("a psn token names no source; use sec for level 2")),
            (TokenType::Sec, Some((source_project, source_org))) => {
                Ok(IssueKind::Secondary { source_project, source_org })
            }
            (TokenType::Sec, None) => Err(invalid("a sec token names its source project and organisation")),
            (TokenType::Rev, None) => Ok(IssueKind::Reverse),
            (TokenType::Rev, Some((source_project, source_org))) => {
                Ok(IssueKind::ReverseLevel2 { source_project, source_org })
            }
        }
    }

    /// The token type this kind issues.
    pub fn token_type(&self) -> TokenType {
        match self {
            IssueKind::Pseudonymise => TokenType::Psn,
            IssueKind::Secondary { .. } => TokenType::Sec,
            IssueKind::Reverse | IssueKind::ReverseLevel2 { .. } => TokenType::Rev,
        }
    }
}

/// A new access token: the record, and the secret shown this once.
pub struct NewAccessToken {
    /// The stored record.
    pub record: AccessTokenRecord,
    /// The secret. Shown once; the store keeps only its SHA-256.
    pub secret: Zeroizing<String>,
}

impl fmt::Debug for NewAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccessToken").field("record", &self.record).finish_non_exhaustive()
    }
}

/// An earlier revocation answer: when, whether active, and for which token text (its digest).
type CheckedToken = (Instant, bool, [u8; 32]);

/// The registry: the authority's records, behind one [`Store`] ([`MemoryStore`], `SqliteStore`
/// with the `sqlite` feature, or the host's own). Give it to the engine as its [`TokenStatus`] and
/// [`AuditSink`] so revoked tokens are refused and every call is audited (beside the registry's
/// own changes).
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// use pseudo_core::registry::*;
/// use pseudo_core::*;
///
/// # fn main() -> Result<()> {
/// let registry = Arc::new(Registry::in_memory()); // or Registry::open_sqlite(path, options)
/// let authority = Authority::new(SigningKey::generate()?, "https://portal.example", "pseudo-engine")?;
/// let engine = Engine::new(
///     Keyring::new(MasterKey::generate(1)?),
///     &[authority.verifying_key().clone()],
///     EngineOptions::new("https://portal.example", "pseudo-engine"),
/// )?
/// .with_token_status(registry.clone())
/// .with_audit(registry.clone());
///
/// let (hospital, university) = (OrgId::from_u128(1), OrgId::from_u128(2));
/// let admin = Principal { id: "admin".into(), organisation: hospital, role: Role::Admin };
/// let owner = Principal { id: "olivia".into(), organisation: hospital, role: Role::User };
/// let researcher = Principal { id: "rahul".into(), organisation: university, role: Role::User };
/// let now = Timestamp::now();
///
/// let project = registry.create_project(&owner, NewProject {
///     id: ProjectId::new("cohort-2026")?,
///     name: "Cohort 2026".into(),
///     method: Method::Reversible,
///     retention: Retention { years: 5, months: 0, days: 0 },
///     treatment: Treatment::Same,
///     format: OutputFormat::Base64url,
/// }, now)?;
/// registry.add_collaborator(&owner, &project.id, Collaborator { organisation: university, can_reverse: false })?;
/// let request = registry.submit_request(&researcher, &project.id, "admissions 2020-2025", now)?;
/// registry.decide_request(&admin, &request.id, true, Some("ethics approval attached"), now)?;
/// let issued = registry.issue_token(
///     &authority, &researcher, &request.id, IssueKind::Pseudonymise, "etl", Duration::from_secs(3600), now,
/// )?;
///
/// engine.pseudonymise(issued.token(), &["Example PID 1"])?;
/// assert!(registry.token(issued.jti())?.last_used.is_some());
/// registry.revoke_token(&researcher, issued.jti())?;
/// let refused = engine.pseudonymise(issued.token(), &["Example PID 1"]).unwrap_err();
/// assert_eq!(refused.kind(), ErrorKind::Revoked);
/// let log: Vec<Operation> = registry.audit_events(10)?.iter().map(|e| e.operation).collect();
/// assert_eq!(
///     log,
///     [Operation::IssueToken, Operation::Pseudonymise, Operation::RevokeToken, Operation::Pseudonymise]
/// );
/// # Ok(()) }
/// ```
pub struct Registry {
    store: Arc<dyn Store>,
    options: RegistryOptions,
    /// Serialises read-modify-write sequences of this process.
    write: Mutex<()>,
    checked: Mutex<HashMap<String, CheckedToken>>,
    /// Buffered last-use and audit writes (`None`: written at once).
    buffer: Option<WriteBuffer>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("options", &self.options).finish_non_exhaustive()
    }
}

fn refused(detail: Detail, msg: impl Into<String>) -> Error {
    Error::with_detail(ErrorKind::IssueRefused, detail, msg)
}

fn not_found(detail: Detail, msg: impl Into<String>) -> Error {
    Error::with_detail(ErrorKind::NotFound, detail, msg)
}

fn state(detail: Detail, msg: impl Into<String>) -> Error {
    Error::with_detail(ErrorKind::InvalidState, detail, msg)
}

fn denied(detail: Detail, msg: impl Into<String>) -> Error {
    Error::with_detail(ErrorKind::PermissionDenied, detail, msg)
}

fn new_id(prefix: &str) -> Result<String> {
    let mut b = [0u8; 12];
    random_bytes(&mut b)?;
    Ok(format!("{prefix}{}", BASE64URL_NOPAD.encode(&b)))
}

fn check_text(what: &str, s: &str, max: usize) -> Result<()> {
    if valid_text(s, max) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{what} must be 1 to {max} characters without control characters"),
        ))
    }
}

fn lifetime_end(now: Timestamp, lifetime: Duration) -> Result<Timestamp> {
    let now = now.checked_clock()?;
    if lifetime.as_secs() == 0 {
        return Err(Error::new(ErrorKind::InvalidInput, "a lifetime is at least one second"));
    }
    Ok(now.saturating_add(lifetime))
}

impl Retention {
    /// The instant a project created at `start` with this period ends (the retention end it will
    /// carry for ever), or the registry's reason the period is refused: at least one day, at most
    /// 200 years. A form can show the end before the project is created.
    pub fn end_from(self, start: Timestamp) -> Result<Timestamp> {
        let now = start.checked_clock()?;
        if self.years == 0 && self.months == 0 && self.days == 0 {
            return Err(Error::new(ErrorKind::InvalidInput, "a retention period is at least one day"));
        }
        let too_long = || Error::new(ErrorKind::InvalidInput, "a retention period is at most 200 years");
        let end = calendar::add(now, self.years.min(10_000), self.months.min(120_000), self.days.min(3_650_000))
            .ok_or_else(too_long)?;
        if end.day() - now.day() > crate::keys::MAX_RETENTION_DAYS {
            return Err(too_long());
        }
        Ok(end)
    }
}

impl Registry {
    /// A registry on `store`.
    ///
    /// With a non-zero [`RegistryOptions::write_delay`] a background thread writes the buffered
    /// last-use and audit entries; it stops, after a last flush, when the registry is dropped.
    /// Should the thread fail to start, writes go straight to the store.
    pub fn new(store: Arc<dyn Store>, options: RegistryOptions) -> Self {
        let buffer = if options.write_delay.is_zero() {
            None
        } else {
            WriteBuffer::start(store.clone(), options.write_delay).ok()
        };
        Registry { store, options, write: Mutex::new(()), checked: Mutex::new(HashMap::new()), buffer }
    }

    /// Writes every buffered last-use note and audit event now (a host calls it at shutdown;
    /// dropping the registry does too).
    pub fn flush(&self) -> Result<()> {
        match &self.buffer {
            Some(b) => b.flush(),
            None => Ok(()),
        }
    }

    /// A registry in memory (tests, demos).
    pub fn in_memory() -> Self {
        Self::new(Arc::new(MemoryStore::new()), RegistryOptions::default())
    }

    /// A registry in a SQLite file (created if absent). Needs the `sqlite` feature (on by default).
    #[cfg(feature = "sqlite")]
    pub fn open_sqlite(path: impl AsRef<std::path::Path>, options: RegistryOptions) -> Result<Self> {
        Ok(Self::new(Arc::new(SqliteStore::open(path)?), options))
    }

    /// A registry in a PostgreSQL database shared by several engine nodes (its schema created or
    /// migrated on open). Needs the `postgres` feature.
    #[cfg(feature = "postgres")]
    pub fn open_postgres(url: &str, options: RegistryOptions) -> Result<Self> {
        Ok(Self::new(Arc::new(PostgresStore::open(url)?), options))
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The options in force.
    pub fn options(&self) -> &RegistryOptions {
        &self.options
    }

    fn lock(&self) -> Result<MutexGuard<'_, ()>> {
        self.write.lock().map_err(|_| Error::new(ErrorKind::Internal, "registry lock poisoned"))
    }

    // ---- projects --------------------------------------------------------------------------

    /// Creates a project owned by `actor`'s organisation; the retention end is fixed now.
    pub fn create_project(&self, actor: &Principal, p: NewProject, now: Timestamp) -> Result<Project> {
        let now = now.checked_clock()?;
        check_text("a project name", &p.name, 256)?;
        if actor.role == Role::ServiceAccount {
            return Err(denied(Detail::ServiceAccount, "service accounts cannot create projects"));
        }
        let end = p.retention.end_from(now)?;
        let kv = self.options.primary_key_version;
        if kv == 0 {
            return Err(Error::new(ErrorKind::InvalidInput, "key versions start at 1"));
        }
        let project = Project {
            id: p.id,
            owner: actor.organisation,
            name: p.name,
            config: ProjectConfig { method: p.method, retention_end: end, treatment: p.treatment, format: p.format },
            collaborators: Vec::new(),
            created: now,
            key_version: kv,
            key_versions: vec![kv],
        };
        let _g = self.lock()?;
        self.store.insert_project(&project)?;
        Ok(project)
    }

    /// A project.
    pub fn project(&self, id: &ProjectId) -> Result<Project> {
        self.store.project(id)?.ok_or_else(|| not_found(Detail::UnknownProject, format!("no project {id}")))
    }

    /// Every project.
    pub fn projects(&self) -> Result<Vec<Project>> {
        self.store.projects()
    }

    fn owner_or_admin(actor: &Principal, p: &Project) -> Result<()> {
        if actor.role == Role::Admin || (actor.organisation == p.owner && actor.role == Role::User) {
            Ok(())
        } else {
            Err(denied(
                Detail::NotProjectOwner,
                "only the owning organisation or an administrator may change a project",
            ))
        }
    }

    /// Changes a project: the name only. Retention (never extendable), method, treatment and format
    /// are fixed at creation and every attempt to change them is refused.
    pub fn update_project(&self, actor: &Principal, id: &ProjectId, update: ProjectUpdate) -> Result<Project> {
        if update.retention.is_some() {
            return Err(state(
                Detail::RetentionFixed,
                "the retention period is set at creation and can never be changed or extended",
            ));
        }
        if update.method.is_some() {
            return Err(state(Detail::MethodFixed, "the method (reversible or not) is fixed at creation"));
        }
        if update.treatment.is_some() || update.format.is_some() {
            return Err(state(
                Detail::ConfigFixed,
                "treatment and output format are fixed at creation: changing them would change every pseudonym",
            ));
        }
        let _g = self.lock()?;
        let p = self.project(id)?;
        Self::owner_or_admin(actor, &p)?;
        if let Some(name) = update.name {
            check_text("a project name", &name, 256)?;
            self.store.rename_project(id, &name)?;
        }
        self.project(id)
    }

    /// Adds (or updates) a collaborator. Refused while a request of the project is pending.
    pub fn add_collaborator(&self, actor: &Principal, id: &ProjectId, c: Collaborator) -> Result<Project> {
        let _g = self.lock()?;
        let p = self.project(id)?;
        Self::owner_or_admin(actor, &p)?;
        if self.store.requests(id)?.iter().any(|r| r.status == RequestStatus::Pending) {
            return Err(state(
                Detail::RequestPending,
                "collaborators cannot change while a request of the project is pending",
            ));
        }
        // One atomic upsert: a concurrent writer's other collaborators are never overwritten.
        self.store.put_collaborator(id, &c)?;
        self.project(id)
    }

    // ---- requests --------------------------------------------------------------------------

    /// A collaborator submits a request for one dataset.
    pub fn submit_request(
        &self,
        actor: &Principal,
        project: &ProjectId,
        dataset: &str,
        now: Timestamp,
    ) -> Result<Request> {
        self.submit_request_for(actor, project, dataset, None, now)
    }

    /// [`Registry::submit_request`], saying which token type is wanted (shown with the request to
    /// the administrator who decides; a token of another type can still be generated for an
    /// approved request, under the same issuing rules).
    pub fn submit_request_for(
        &self,
        actor: &Principal,
        project: &ProjectId,
        dataset: &str,
        token_type: Option<TokenType>,
        now: Timestamp,
    ) -> Result<Request> {
        let now = now.checked_clock()?;
        check_text("a dataset name", dataset, 256)?;
        let p = self.project(project)?;
        if p.collaborator(&actor.organisation).is_none() {
            return Err(refused(Detail::NotACollaborator, "only a collaborator of the project can submit a request"));
        }
        let r = Request {
            id: new_id("req_")?,
            project: project.clone(),
            organisation: actor.organisation,
            requester: actor.id.clone(),
            dataset: dataset.to_owned(),
            token_type,
            status: RequestStatus::Pending,
            history: vec![RequestEvent {
                time: now,
                actor: actor.id.clone(),
                status: RequestStatus::Pending,
                comment: None,
            }],
        };
        let _g = self.lock()?;
        self.store.insert_request(&r)?;
        Ok(r)
    }

    /// A request.
    pub fn request(&self, id: &str) -> Result<Request> {
        self.store.request(id)?.ok_or_else(|| not_found(Detail::UnknownRequest, "no such request"))
    }

    /// Every request of a project, oldest first.
    pub fn requests(&self, project: &ProjectId) -> Result<Vec<Request>> {
        self.store.requests(project)
    }

    /// An administrator approves or rejects a pending request, with a comment kept in its history.
    pub fn decide_request(
        &self,
        admin: &Principal,
        id: &str,
        approve: bool,
        comment: Option<&str>,
        now: Timestamp,
    ) -> Result<Request> {
        let now = now.checked_clock()?;
        if admin.role != Role::Admin {
            return Err(denied(Detail::NotAdmin, "only an administrator can approve or reject a request"));
        }
        if let Some(c) = comment {
            check_text("a comment", c, 2000)?;
        }
        let _g = self.lock()?;
        let status = if approve { RequestStatus::Approved } else { RequestStatus::Rejected };
        let event = RequestEvent { time: now, actor: admin.id.clone(), status, comment: comment.map(str::to_owned) };
        // Atomic in the store: of two concurrent decisions (even from two processes) one wins.
        if !self.store.decide_request(id, &event)? {
            let r = self.request(id)?;
            return Err(state(Detail::RequestDecided, format!("the request is already {}", r.status.as_str())));
        }
        self.request(id)
    }

    // ---- issuing ---------------------------------------------------------------------------

    fn source_ref(&self, project: &ProjectId, org: &OrgId) -> Result<SourceRef> {
        let s = self
            .store
            .project(project)?
            .ok_or_else(|| refused(Detail::UnknownSource, format!("no source project {project}")))?;
        if &s.owner != org && s.collaborator(org).is_none() {
            return Err(refused(
                Detail::UnknownSourceOrganisation,
                "the source organisation takes no part in the source project",
            ));
        }
        Ok(SourceRef {
            project: s.id.clone(),
            organisation: *org,
            method: s.config.method,
            retention_end: s.config.retention_end,
            format: s.config.format,
            key_version: Some(s.key_version),
        })
    }

    /// Checks every rule of the issuing policy for `req` at `now`.
    pub fn check_issue(&self, req: &TokenRequest, now: Timestamp) -> Result<()> {
        let now = now.checked_clock()?;
        let p = self.store.project(&req.project)?.ok_or_else(|| refused(Detail::UnknownProject, "no such project"))?;
        if p.config != req.config {
            return Err(refused(Detail::ConfigMismatch, "the token's configuration is not the project's"));
        }
        if req.key_version != Some(p.key_version) {
            return Err(refused(
                Detail::KeyVersionMismatch,
                format!("the project is bound to key version {}", p.key_version),
            ));
        }
        let r = self.store.request(&req.request)?.ok_or_else(|| refused(Detail::UnknownRequest, "no such request"))?;
        if r.project != req.project {
            return Err(refused(Detail::RequestMismatch, "the request belongs to another project"));
        }
        match r.status {
            RequestStatus::Approved => {}
            RequestStatus::Pending => {
                return Err(refused(Detail::RequestNotApproved, "the request is still pending approval"))
            }
            RequestStatus::Rejected => return Err(refused(Detail::RequestNotApproved, "the request was rejected")),
        }
        if req.organisation != r.organisation {
            return Err(refused(Detail::RequestMismatch, "tokens for a request go to the organisation that made it"));
        }
        let c = p.collaborator(&req.organisation).ok_or_else(|| {
            refused(Detail::NotACollaborator, "the organisation is not a collaborator of the project")
        })?;
        if now >= p.config.retention_end {
            return Err(refused(Detail::RetentionEnded, "the project's retention has ended"));
        }
        let check_source = |s: &SourceRef| -> Result<()> {
            if &self.source_ref(&s.project, &s.organisation)? != s {
                return Err(refused(Detail::SourceMismatch, "the source's configuration is not the source project's"));
            }
            Ok(())
        };
        match &req.kind {
            TokenKind::Pseudonymise => {}
            TokenKind::Secondary(s) => check_source(s)?,
            TokenKind::Reverse(level) => {
                if p.config.method != Method::Reversible {
                    return Err(refused(Detail::NotReversible, "reverse tokens exist only for reversible projects"));
                }
                if !c.can_reverse {
                    return Err(refused(
                        Detail::CannotReverse,
                        "the organisation may not reverse pseudonyms of this project",
                    ));
                }
                if let ReverseLevel::Level2(s) = level {
                    check_source(s)?;
                }
            }
        }
        Ok(())
    }

    /// Issues a token for an approved request: checks the policy, signs with `authority`, records
    /// it by `jti` under `name`, and returns the token text (shown once).
    #[allow(clippy::too_many_arguments)]
    pub fn issue_token(
        &self,
        authority: &Authority,
        actor: &Principal,
        request_id: &str,
        kind: IssueKind,
        name: &str,
        lifetime: Duration,
        now: Timestamp,
    ) -> Result<IssuedToken> {
        check_text("a token name", name, 256)?;
        let r = self.request(request_id)?;
        if actor.organisation != r.organisation {
            return Err(denied(
                Detail::NotRequester,
                "tokens for a request go to members of the organisation that made it",
            ));
        }
        let p = self.project(&r.project)?;
        let kind = match kind {
            IssueKind::Pseudonymise => TokenKind::Pseudonymise,
            IssueKind::Reverse => TokenKind::Reverse(ReverseLevel::Level1),
            IssueKind::Secondary { source_project, source_org } => {
                TokenKind::Secondary(self.source_ref(&source_project, &source_org)?)
            }
            IssueKind::ReverseLevel2 { source_project, source_org } => {
                TokenKind::Reverse(ReverseLevel::Level2(self.source_ref(&source_project, &source_org)?))
            }
        };
        let req = TokenRequest {
            kind,
            subject: actor.id.clone(),
            organisation: r.organisation,
            project: p.id.clone(),
            request: r.id.clone(),
            config: p.config,
            lifetime,
            key_version: Some(p.key_version),
        };
        self.check_issue(&req, now)?;
        let issued = authority.issue_at(&req, now)?;
        self.record(&req, &issued, name)?;
        self.audit_issue(&actor.id, &req, &issued, Some(p.key_version), now)?;
        Ok(issued)
    }

    /// The `issue_token` event of a recorded token. When it cannot be written the record is
    /// removed again, so that no active token exists whose text nobody was given.
    fn audit_issue(
        &self,
        actor: &str,
        req: &TokenRequest,
        issued: &IssuedToken,
        key_version: Option<u16>,
        now: Timestamp,
    ) -> Result<()> {
        let event = AuditEvent {
            time: now,
            jti: Some(issued.jti().to_owned()),
            subject: Some(actor.to_owned()),
            project: Some(req.project.as_str().to_owned()),
            operation: Operation::IssueToken,
            items: 0,
            failed_items: 0,
            error: None,
            key_version,
        };
        self.append_event(&event).inspect_err(|_| {
            let _ = self.store.delete_token(issued.jti());
        })
    }

    /// Appends a registry event after the engine calls buffered before it, so that the log keeps
    /// their order.
    fn append_event(&self, event: &AuditEvent) -> Result<()> {
        self.flush()?;
        self.store.append_audit(event)
    }

    /// Appends the audit event of a registry change made by `actor`: which record (`id`, a token's
    /// `jti` or an access token's id), of which project, never a secret. The change is made before its
    /// event: when the event cannot be written the caller gets the store's error, and the change
    /// stands (the store has no transaction across the two).
    fn audit_change(
        &self,
        actor: &Principal,
        operation: Operation,
        id: &str,
        project: Option<&ProjectId>,
        key_version: Option<u16>,
        now: Timestamp,
    ) -> Result<()> {
        self.append_event(&AuditEvent {
            time: now,
            jti: Some(id.to_owned()),
            subject: Some(actor.id.clone()),
            project: project.map(|p| p.as_str().to_owned()),
            operation,
            items: 0,
            failed_items: 0,
            error: None,
            key_version,
        })
    }

    fn record(&self, req: &TokenRequest, issued: &IssuedToken, name: &str) -> Result<()> {
        self.store.insert_token(&TokenRecord {
            jti: issued.jti().to_owned(),
            token_type: issued.token_type(),
            name: name.to_owned(),
            project: req.project.clone(),
            request: req.request.clone(),
            holder: req.subject.clone(),
            organisation: req.organisation,
            created: issued.issued_at(),
            expires: issued.expires_at(),
            status: TokenStatusKind::Active,
            last_used: None,
            digest: Some(issued.digest()),
        })
    }

    // ---- key versions ----------------------------------------------------------------------

    /// Moves a project to key version `version` (administrators only), the registry's half of an
    /// early retirement: the project's tokens are bound to the new version from now on, every
    /// token issued for it before is revoked (they name the old version), and the move is
    /// audited. Rewrap the project's pseudonyms with a new reverse token
    /// ([`Engine::rewrap`](crate::Engine::rewrap)); for a not-reversible project, re-pseudonymise
    /// from the originals and match old records with [`Engine::lookup`](crate::Engine::lookup)
    /// over [`Project::key_versions`]. The engine must hold `version` (the caller checks; the
    /// registry does not know the keyring). Returns the project and the revoked `jti`s.
    pub fn rekey_project(
        &self,
        actor: &Principal,
        id: &ProjectId,
        version: u16,
        now: Timestamp,
    ) -> Result<(Project, Vec<String>)> {
        let now = now.checked_clock()?;
        if actor.role != Role::Admin {
            return Err(denied(Detail::NotAdmin, "only an administrator may move a project to another key version"));
        }
        if version == 0 {
            return Err(Error::new(ErrorKind::InvalidInput, "key versions start at 1"));
        }
        let _g = self.lock()?;
        let p = self.project(id)?;
        if p.key_version == version {
            return Err(state(
                Detail::SameKeyVersion,
                format!("the project is already bound to key version {version}"),
            ));
        }
        if !self.store.set_project_key_version(id, version)? {
            return Err(not_found(Detail::UnknownProject, format!("no project {id}")));
        }
        let mut revoked = Vec::new();
        for t in self.tokens()?.into_iter().filter(|t| &t.project == id && t.status == TokenStatusKind::Active) {
            self.store.set_token_status(&t.jti, TokenStatusKind::Revoked)?;
            self.forget(&t.jti);
            revoked.push(t.jti);
        }
        self.append_event(&AuditEvent {
            time: now,
            jti: None,
            subject: Some(actor.id.clone()),
            project: Some(id.as_str().to_owned()),
            operation: Operation::Rekey,
            items: revoked.len(),
            failed_items: 0,
            error: None,
            key_version: Some(version),
        })?;
        Ok((self.project(id)?, revoked))
    }

    /// The projects still bound to `version` at `now`: those whose current key version it is and
    /// whose retention has not ended (after retention end a project's tokens are refused for ever,
    /// so it holds no version).
    pub fn projects_bound_to(&self, version: u16, now: Timestamp) -> Result<Vec<Project>> {
        let now = now.checked_clock()?;
        Ok(self
            .store
            .projects()?
            .into_iter()
            .filter(|p| p.key_version == version && now < p.config.retention_end)
            .collect())
    }

    /// Whether `version` may be removed from the engine's keyring: refused
    /// (`invalid_state`, detail `key_version_in_use`) while a project is bound to it.
    pub fn check_retire(&self, version: u16, now: Timestamp) -> Result<()> {
        let bound = self.projects_bound_to(version, now)?;
        if let Some(p) = bound.first() {
            return Err(state(
                Detail::KeyVersionInUse,
                format!(
                    "{} project(s) are still bound to key version {version} (first: {}): rewrap them or wait for their retention end",
                    bound.len(),
                    p.id
                ),
            ));
        }
        Ok(())
    }

    /// Records the retirement of `version` (administrators only) after [`Registry::check_retire`]
    /// allowed it; the caller removes it from the keyring ([`Keyring::remove`](crate::Keyring::remove)).
    pub fn retire_key_version(&self, actor: &Principal, version: u16, now: Timestamp) -> Result<()> {
        if actor.role != Role::Admin {
            return Err(denied(Detail::NotAdmin, "only an administrator may retire a key version"));
        }
        let _g = self.lock()?;
        self.check_retire(version, now)?;
        self.append_event(&AuditEvent {
            time: now,
            jti: None,
            subject: Some(actor.id.clone()),
            project: None,
            operation: Operation::RetireKey,
            items: 0,
            failed_items: 0,
            error: None,
            key_version: Some(version),
        })
    }

    // ---- operation token lifecycle ---------------------------------------------------------

    /// Every token record (never a token's text), oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.flush()?;
        self.store.tokens()
    }

    /// One token record.
    pub fn token(&self, jti: &str) -> Result<TokenRecord> {
        self.flush()?;
        self.store.token(jti)?.ok_or_else(|| not_found(Detail::UnknownToken, "no such token (deleted?)"))
    }

    fn holder_or_admin(actor: &Principal, holder: &str) -> Result<()> {
        if actor.role == Role::Admin || actor.id == holder {
            Ok(())
        } else {
            Err(denied(Detail::NotHolder, "only the holder or an administrator can change a token"))
        }
    }

    fn forget(&self, id: &str) {
        if let Ok(mut c) = self.checked.lock() {
            c.remove(id);
        }
    }

    /// Revokes a token: the engine refuses it from the next call on (see
    /// [`RegistryOptions::revocation_staleness`]). Revoking a revoked token changes nothing. The
    /// audit event carries the system clock's time.
    pub fn revoke_token(&self, actor: &Principal, jti: &str) -> Result<TokenRecord> {
        let _g = self.lock()?;
        let t = self.token(jti)?;
        Self::holder_or_admin(actor, &t.holder)?;
        let change = t.status != TokenStatusKind::Revoked;
        if change {
            self.store.set_token_status(jti, TokenStatusKind::Revoked)?;
        }
        // Even when another node revoked it first: this node's cached answer goes too.
        self.forget(jti);
        if change {
            self.audit_change(actor, Operation::RevokeToken, jti, Some(&t.project), None, Timestamp::now())?;
        }
        self.token(jti)
    }

    /// Restores a revoked, unexpired token.
    pub fn restore_token(&self, actor: &Principal, jti: &str, now: Timestamp) -> Result<TokenRecord> {
        let now = now.checked_clock()?;
        let _g = self.lock()?;
        let t = self.token(jti)?;
        Self::holder_or_admin(actor, &t.holder)?;
        if t.status != TokenStatusKind::Revoked {
            return Err(state(Detail::NotRevoked, "only a revoked token can be restored"));
        }
        if now >= t.expires {
            return Err(state(Detail::Expired, "an expired token cannot be restored"));
        }
        self.store.set_token_status(jti, TokenStatusKind::Active)?;
        self.forget(jti);
        self.audit_change(actor, Operation::RestoreToken, jti, Some(&t.project), None, now)?;
        self.token(jti)
    }

    /// Deletes a revoked token's record. The engine refuses unknown tokens, so it stays refused.
    /// The audit event carries the system clock's time.
    pub fn delete_token(&self, actor: &Principal, jti: &str) -> Result<()> {
        let _g = self.lock()?;
        let t = self.token(jti)?;
        Self::holder_or_admin(actor, &t.holder)?;
        if t.status != TokenStatusKind::Revoked {
            return Err(state(Detail::Active, "revoke a token before deleting it"));
        }
        self.store.delete_token(jti)?;
        self.forget(jti);
        self.audit_change(actor, Operation::DeleteToken, jti, Some(&t.project), None, Timestamp::now())
    }

    // ---- access tokens ---------------------------------------------------------------------

    /// Makes an access token. `Personal`: for `actor` themselves (a person). `Service`: only an
    /// administrator, for `service_account` (whose role must be `ServiceAccount`).
    pub fn create_access_token(
        &self,
        actor: &Principal,
        kind: AccessKind,
        service_account: Option<&Principal>,
        name: &str,
        lifetime: Duration,
        now: Timestamp,
    ) -> Result<NewAccessToken> {
        check_text("a token name", name, 256)?;
        let expires = lifetime_end(now, lifetime)?;
        let (principal, prefix) = match kind {
            AccessKind::Personal => {
                if actor.role == Role::ServiceAccount {
                    return Err(denied(Detail::ServiceAccount, "personal tokens are made by people for themselves"));
                }
                if service_account.is_some() {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "a personal token is for its maker: name no service account",
                    ));
                }
                (actor, PERSONAL_PREFIX)
            }
            AccessKind::Service => {
                if actor.role != Role::Admin {
                    return Err(denied(Detail::NotAdmin, "only an administrator can make service tokens"));
                }
                let acct = service_account
                    .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "a service token names its service account"))?;
                if acct.role != Role::ServiceAccount {
                    return Err(Error::new(ErrorKind::InvalidInput, "service tokens are for service accounts"));
                }
                (acct, SERVICE_PREFIX)
            }
        };
        let secret = secret::generate(prefix)?;
        let record = AccessTokenRecord {
            id: new_id("at_")?,
            kind,
            name: name.to_owned(),
            principal: principal.id.clone(),
            organisation: principal.organisation,
            created_by: actor.id.clone(),
            created: now,
            expires,
            status: TokenStatusKind::Active,
            last_used: None,
        };
        let _g = self.lock()?;
        self.store.insert_access(&record, &secret::hash(&secret))?;
        // No event, no token: a secret nobody was shown must not stay active.
        self.audit_change(actor, Operation::CreateAccessToken, &record.id, None, None, now).inspect_err(|_| {
            let _ = self.store.delete_access(&record.id);
        })?;
        Ok(NewAccessToken { record, secret })
    }

    /// Authenticates a presented secret: the record of an active, unexpired token, its use noted.
    pub fn authenticate(&self, presented: &str, now: Timestamp) -> Result<AccessTokenRecord> {
        let now = now.checked_clock()?;
        secret::check(presented)?;
        let hash = secret::hash(presented);
        let fail = |m: &str| Error::new(ErrorKind::AuthenticationFailed, m);
        let (rec, stored) = self.store.access_by_hash(&hash)?.ok_or_else(|| fail("unknown access token"))?;
        if stored.ct_eq(&hash).unwrap_u8() != 1 {
            return Err(fail("unknown access token"));
        }
        if rec.status != TokenStatusKind::Active {
            return Err(fail("the access token was revoked"));
        }
        if now >= rec.expires {
            return Err(fail("the access token has expired"));
        }
        self.store.touch_access(&rec.id, now)?;
        Ok(AccessTokenRecord { last_used: Some(now), ..rec })
    }

    /// Every access token record (never a secret), oldest first.
    pub fn access_tokens(&self) -> Result<Vec<AccessTokenRecord>> {
        self.store.accesses()
    }

    /// One access token record.
    pub fn access_token(&self, id: &str) -> Result<AccessTokenRecord> {
        self.store.access(id)?.ok_or_else(|| not_found(Detail::UnknownAccessToken, "no such access token (deleted?)"))
    }

    fn access_actor(actor: &Principal, a: &AccessTokenRecord) -> Result<()> {
        if actor.role == Role::Admin || actor.id == a.principal || actor.id == a.created_by {
            Ok(())
        } else {
            Err(denied(Detail::NotHolder, "only its owner or an administrator can change an access token"))
        }
    }

    /// Revokes an access token (revoking a revoked one changes nothing). The audit event carries
    /// the system clock's time.
    pub fn revoke_access_token(&self, actor: &Principal, id: &str) -> Result<AccessTokenRecord> {
        let _g = self.lock()?;
        let a = self.access_token(id)?;
        Self::access_actor(actor, &a)?;
        if a.status != TokenStatusKind::Revoked {
            self.store.set_access_status(id, TokenStatusKind::Revoked)?;
            self.audit_change(actor, Operation::RevokeAccessToken, id, None, None, Timestamp::now())?;
        }
        self.access_token(id)
    }

    /// Restores a revoked, unexpired access token.
    pub fn restore_access_token(&self, actor: &Principal, id: &str, now: Timestamp) -> Result<AccessTokenRecord> {
        let now = now.checked_clock()?;
        let _g = self.lock()?;
        let a = self.access_token(id)?;
        Self::access_actor(actor, &a)?;
        if a.status != TokenStatusKind::Revoked {
            return Err(state(Detail::NotRevoked, "only a revoked access token can be restored"));
        }
        if now >= a.expires {
            return Err(state(Detail::Expired, "an expired access token cannot be restored"));
        }
        self.store.set_access_status(id, TokenStatusKind::Active)?;
        self.audit_change(actor, Operation::RestoreAccessToken, id, None, None, now)?;
        self.access_token(id)
    }

    /// Deletes a revoked access token. The audit event carries the system clock's time.
    pub fn delete_access_token(&self, actor: &Principal, id: &str) -> Result<()> {
        let _g = self.lock()?;
        let a = self.access_token(id)?;
        Self::access_actor(actor, &a)?;
        if a.status != TokenStatusKind::Revoked {
            return Err(state(Detail::Active, "revoke an access token before deleting it"));
        }
        self.store.delete_access(id)?;
        self.audit_change(actor, Operation::DeleteAccessToken, id, None, None, Timestamp::now())
    }

    /// The latest `limit` audit events, oldest first.
    pub fn audit_events(&self, limit: usize) -> Result<Vec<AuditEvent>> {
        self.flush()?;
        self.store.audit(limit)
    }
}

/// Whether `record` is the active record of exactly the token behind `grant`: same `jti` (the
/// look-up key) and same digest of the token text, compared in constant time.
fn matches_record(record: Option<&TokenRecord>, grant: &Grant) -> bool {
    record.is_some_and(|t| {
        t.status == TokenStatusKind::Active && t.digest.is_some_and(|d| bool::from(d.ct_eq(grant.token_digest())))
    })
}

impl TokenStatus for Registry {
    fn check(&self, grant: &Grant, _now: Timestamp) -> Result<()> {
        let stale = self.options.revocation_staleness;
        if !stale.is_zero() {
            let hit = self.checked.lock().ok().and_then(|c| c.get(grant.jti()).copied());
            // A cached answer is for one token text: another token with this jti reads the store.
            if let Some((at, ok, digest)) = hit {
                if at.elapsed() < stale && bool::from(digest.ct_eq(grant.token_digest())) {
                    return if ok { Ok(()) } else { Err(revoked()) };
                }
            }
        }
        let ok = matches_record(self.store.token(grant.jti())?.as_ref(), grant);
        if !stale.is_zero() {
            if let Ok(mut c) = self.checked.lock() {
                if c.len() > 100_000 {
                    c.clear();
                }
                c.insert(grant.jti().to_owned(), (Instant::now(), ok, *grant.token_digest()));
            }
        }
        if ok {
            Ok(())
        } else {
            Err(revoked())
        }
    }

    fn record_use(&self, grant: &Grant, now: Timestamp) {
        match &self.buffer {
            Some(b) => b.record_use(grant.jti(), now),
            // Best effort: a failed last-use write must not fail the caller's batch.
            None => {
                let _ = self.store.touch_token(grant.jti(), now);
            }
        }
    }
}

fn revoked() -> Error {
    Error::new(ErrorKind::Revoked, "the token was revoked or deleted, or this registry never issued it")
}

impl AuditSink for Registry {
    fn record(&self, event: &AuditEvent) {
        match &self.buffer {
            Some(b) => b.record_event(event),
            None => {
                let _ = self.store.append_audit(event);
            }
        }
    }
}

/// The registry as an [`IssuePolicy`] for an [`Authority`]: every `Authority::issue` is checked
/// and recorded (named after its request). Use either this or [`Registry::issue_token`].
#[derive(Debug, Clone)]
pub struct RegistryPolicy(pub Arc<Registry>);

impl IssuePolicy for RegistryPolicy {
    fn check(&self, request: &TokenRequest, now: Timestamp) -> Result<()> {
        self.0.check_issue(request, now)
    }

    fn issued(&self, request: &TokenRequest, token: &IssuedToken) -> Result<()> {
        self.0.record(request, token, &request.request)?;
        // The token's own subject stands for the actor: the authority issued on its behalf.
        self.0.audit_issue(&request.subject, request, token, request.key_version, token.issued_at())
    }
}
