//! The storage trait behind the registry: an in-memory store for tests, SQLite by default, or the
//! host's own database. Every method is one atomic step; the registry serialises its
//! read-modify-write sequences itself.

use crate::config::{ProjectId, Timestamp};
use crate::engine::AuditEvent;
use crate::error::Result;

use super::model::{AccessTokenRecord, Collaborator, Project, Request, RequestEvent, TokenRecord, TokenStatusKind};

/// Where the registry keeps its records. Implementations must be safe to share across threads.
///
/// `insert_*` fail with `InvalidState` when the key exists; `set_*`/`touch_*`/`delete_*` return
/// whether a record was found.
pub trait Store: Send + Sync {
    /// Adds a project.
    fn insert_project(&self, p: &Project) -> Result<()>;
    /// Renames a project (nothing else of a project's configuration ever changes; its
    /// collaborators and its key version can).
    fn rename_project(&self, id: &ProjectId, name: &str) -> Result<bool>;
    /// Binds a project to `version`, adding it to the versions the project used; `false` when
    /// no such project. The default refuses (a host store written before key versions).
    fn set_project_key_version(&self, id: &ProjectId, version: u16) -> Result<bool> {
        let _ = (id, version);
        Err(crate::error::Error::new(
            crate::error::ErrorKind::Storage,
            "this registry store cannot move a project to another key version",
        ))
    }
    /// Adds a collaborator, or updates its `can_reverse`, in one atomic step.
    fn put_collaborator(&self, id: &ProjectId, c: &Collaborator) -> Result<bool>;
    /// A project by id.
    fn project(&self, id: &ProjectId) -> Result<Option<Project>>;
    /// Every project.
    fn projects(&self) -> Result<Vec<Project>>;

    /// Adds a request.
    fn insert_request(&self, r: &Request) -> Result<()>;
    /// Decides a request in one atomic step: only if it is still pending, sets its status to
    /// `event.status` and appends `event` to its history. `false` when it is not pending (or absent).
    fn decide_request(&self, id: &str, event: &RequestEvent) -> Result<bool>;
    /// A request by id.
    fn request(&self, id: &str) -> Result<Option<Request>>;
    /// Every request of a project.
    fn requests(&self, project: &ProjectId) -> Result<Vec<Request>>;

    /// Records an issued operation token.
    fn insert_token(&self, t: &TokenRecord) -> Result<()>;
    /// A token record by `jti`.
    fn token(&self, jti: &str) -> Result<Option<TokenRecord>>;
    /// Every token record, oldest first.
    fn tokens(&self) -> Result<Vec<TokenRecord>>;
    /// Sets a token's status.
    fn set_token_status(&self, jti: &str, status: TokenStatusKind) -> Result<bool>;
    /// Notes a use (keeps the latest instant).
    fn touch_token(&self, jti: &str, at: Timestamp) -> Result<bool>;
    /// Removes a token record.
    fn delete_token(&self, jti: &str) -> Result<bool>;

    /// Records an access token with the SHA-256 of its secret.
    fn insert_access(&self, a: &AccessTokenRecord, secret_hash: &[u8; 32]) -> Result<()>;
    /// An access token by id.
    fn access(&self, id: &str) -> Result<Option<AccessTokenRecord>>;
    /// An access token and its stored hash, by the hash of a presented secret.
    fn access_by_hash(&self, secret_hash: &[u8; 32]) -> Result<Option<(AccessTokenRecord, [u8; 32])>>;
    /// Every access token, oldest first.
    fn accesses(&self) -> Result<Vec<AccessTokenRecord>>;
    /// Every access token with its stored hash, oldest first: what copying a registry to another
    /// store needs. The default refuses (a host's store need not export hashes).
    fn accesses_with_hashes(&self) -> Result<Vec<(AccessTokenRecord, [u8; 32])>> {
        Err(crate::error::Error::new(
            crate::error::ErrorKind::InvalidState,
            "this store cannot export its access tokens' hashes",
        ))
    }
    /// Sets an access token's status.
    fn set_access_status(&self, id: &str, status: TokenStatusKind) -> Result<bool>;
    /// Notes a use (keeps the latest instant).
    fn touch_access(&self, id: &str, at: Timestamp) -> Result<bool>;
    /// Removes an access token.
    fn delete_access(&self, id: &str) -> Result<bool>;

    /// Appends an audit event.
    fn append_audit(&self, e: &AuditEvent) -> Result<()>;
    /// Notes many uses and appends many events, as one step where the store can (the registry's
    /// buffered writes). The default writes them one by one.
    fn write_batch(&self, uses: &[(String, Timestamp)], events: &[AuditEvent]) -> Result<()> {
        for (jti, at) in uses {
            self.touch_token(jti, *at)?;
        }
        for e in events {
            self.append_audit(e)?;
        }
        Ok(())
    }
    /// The latest `limit` audit events, oldest first.
    fn audit(&self, limit: usize) -> Result<Vec<AuditEvent>>;
}
