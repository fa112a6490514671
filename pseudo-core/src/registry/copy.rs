//! Copying every record of one store into another, empty one: how a one-machine SQLite registry
//! moves to PostgreSQL when the service grows to several engine nodes. Statuses, last uses,
//! request histories, access-token hashes and the audit log come along unchanged, in order.

use super::store::Store;
use crate::error::{Detail, Error, ErrorKind, Result};

/// What [`copy_store`] copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopySummary {
    /// Projects (with their collaborators).
    pub projects: usize,
    /// Requests (with their histories).
    pub requests: usize,
    /// Operation token records.
    pub tokens: usize,
    /// Access tokens.
    pub access_tokens: usize,
    /// Audit events.
    pub audit_events: usize,
}

/// Whether `store` holds no record at all (no project, token, access token or audit event).
pub fn store_is_empty(store: &dyn Store) -> Result<bool> {
    Ok(store.projects()?.is_empty()
        && store.tokens()?.is_empty()
        && store.accesses()?.is_empty()
        && store.audit(1)?.is_empty())
}

/// Audit events written per store step.
const AUDIT_CHUNK: usize = 4096;

/// Copies every record of `from` into `to`, which must be empty (refused with `InvalidState`
/// otherwise, so a copy never merges two registries). Nothing may write to `from` meanwhile:
/// stop the server that uses it first.
pub fn copy_store(from: &dyn Store, to: &dyn Store) -> Result<CopySummary> {
    if !store_is_empty(to)? {
        return Err(Error::with_detail(
            ErrorKind::InvalidState,
            Detail::NotEmpty,
            "the destination registry already holds records; copy only into an empty one",
        ));
    }
    let mut n = CopySummary::default();
    let projects = from.projects()?;
    for p in &projects {
        to.insert_project(p)?;
        n.projects += 1;
    }
    for p in &projects {
        for r in from.requests(&p.id)? {
            to.insert_request(&r)?;
            n.requests += 1;
        }
    }
    for t in from.tokens()? {
        to.insert_token(&t)?;
        n.tokens += 1;
    }
    for (a, hash) in from.accesses_with_hashes()? {
        to.insert_access(&a, &hash)?;
        n.access_tokens += 1;
    }
    let events = from.audit(i64::MAX as usize)?;
    for chunk in events.chunks(AUDIT_CHUNK) {
        to.write_batch(&[], chunk)?;
        n.audit_events += chunk.len();
    }
    Ok(n)
}
