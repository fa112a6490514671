//! An in-memory [`Store`], for tests and for hosts that keep nothing across restarts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::model::{
    AccessTokenRecord, Collaborator, Project, Request, RequestEvent, RequestStatus, TokenRecord, TokenStatusKind,
};
use super::store::Store;
use crate::config::{ProjectId, Timestamp};
use crate::engine::AuditEvent;
use crate::error::{Error, ErrorKind, Result};

#[derive(Default)]
struct Inner {
    projects: BTreeMap<String, Project>,
    requests: BTreeMap<String, Request>,
    tokens: Vec<TokenRecord>,
    accesses: Vec<(AccessTokenRecord, [u8; 32])>,
    by_hash: HashMap<[u8; 32], String>,
    audit: Vec<AuditEvent>,
}

/// An in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        self.inner.lock().map_err(|_| Error::new(ErrorKind::Storage, "the in-memory store's lock is poisoned"))
    }
}

fn exists(what: &str) -> Error {
    Error::new(ErrorKind::InvalidState, format!("{what} already exists"))
}

impl Store for MemoryStore {
    fn insert_project(&self, p: &Project) -> Result<()> {
        let mut g = self.lock()?;
        if g.projects.contains_key(p.id.as_str()) {
            return Err(exists("the project"));
        }
        g.projects.insert(p.id.as_str().to_owned(), p.clone());
        Ok(())
    }
    fn rename_project(&self, id: &ProjectId, name: &str) -> Result<bool> {
        Ok(self.lock()?.projects.get_mut(id.as_str()).map(|p| p.name = name.to_owned()).is_some())
    }
    fn set_project_key_version(&self, id: &ProjectId, version: u16) -> Result<bool> {
        Ok(self
            .lock()?
            .projects
            .get_mut(id.as_str())
            .map(|p| {
                p.key_version = version;
                if !p.key_versions.contains(&version) {
                    p.key_versions.push(version);
                    p.key_versions.sort_unstable();
                }
            })
            .is_some())
    }
    fn put_collaborator(&self, id: &ProjectId, c: &Collaborator) -> Result<bool> {
        Ok(self
            .lock()?
            .projects
            .get_mut(id.as_str())
            .map(|p| match p.collaborators.iter_mut().find(|x| x.organisation == c.organisation) {
                Some(x) => x.can_reverse = c.can_reverse,
                None => p.collaborators.push(*c),
            })
            .is_some())
    }
    fn project(&self, id: &ProjectId) -> Result<Option<Project>> {
        Ok(self.lock()?.projects.get(id.as_str()).cloned())
    }
    fn projects(&self) -> Result<Vec<Project>> {
        Ok(self.lock()?.projects.values().cloned().collect())
    }

    fn insert_request(&self, r: &Request) -> Result<()> {
        let mut g = self.lock()?;
        if g.requests.contains_key(&r.id) {
            return Err(exists("the request"));
        }
        g.requests.insert(r.id.clone(), r.clone());
        Ok(())
    }
    fn decide_request(&self, id: &str, event: &RequestEvent) -> Result<bool> {
        let mut g = self.lock()?;
        match g.requests.get_mut(id) {
            Some(r) if r.status == RequestStatus::Pending => {
                r.status = event.status;
                r.history.push(event.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    fn request(&self, id: &str) -> Result<Option<Request>> {
        Ok(self.lock()?.requests.get(id).cloned())
    }
    fn requests(&self, project: &ProjectId) -> Result<Vec<Request>> {
        Ok(self.lock()?.requests.values().filter(|r| &r.project == project).cloned().collect())
    }

    fn insert_token(&self, t: &TokenRecord) -> Result<()> {
        let mut g = self.lock()?;
        if g.tokens.iter().any(|x| x.jti == t.jti) {
            return Err(exists("the token record"));
        }
        g.tokens.push(t.clone());
        Ok(())
    }
    fn token(&self, jti: &str) -> Result<Option<TokenRecord>> {
        Ok(self.lock()?.tokens.iter().find(|t| t.jti == jti).cloned())
    }
    fn tokens(&self) -> Result<Vec<TokenRecord>> {
        Ok(self.lock()?.tokens.clone())
    }
    fn set_token_status(&self, jti: &str, status: TokenStatusKind) -> Result<bool> {
        Ok(self.lock()?.tokens.iter_mut().find(|t| t.jti == jti).map(|t| t.status = status).is_some())
    }
    fn touch_token(&self, jti: &str, at: Timestamp) -> Result<bool> {
        Ok(self
            .lock()?
            .tokens
            .iter_mut()
            .find(|t| t.jti == jti)
            .map(|t| t.last_used = t.last_used.max(Some(at)))
            .is_some())
    }
    fn delete_token(&self, jti: &str) -> Result<bool> {
        let mut g = self.lock()?;
        let before = g.tokens.len();
        g.tokens.retain(|t| t.jti != jti);
        Ok(g.tokens.len() != before)
    }

    fn insert_access(&self, a: &AccessTokenRecord, secret_hash: &[u8; 32]) -> Result<()> {
        let mut g = self.lock()?;
        if g.accesses.iter().any(|(x, _)| x.id == a.id) || g.by_hash.contains_key(secret_hash) {
            return Err(exists("the access token"));
        }
        g.by_hash.insert(*secret_hash, a.id.clone());
        g.accesses.push((a.clone(), *secret_hash));
        Ok(())
    }
    fn access(&self, id: &str) -> Result<Option<AccessTokenRecord>> {
        Ok(self.lock()?.accesses.iter().find(|(a, _)| a.id == id).map(|(a, _)| a.clone()))
    }
    fn access_by_hash(&self, secret_hash: &[u8; 32]) -> Result<Option<(AccessTokenRecord, [u8; 32])>> {
        let g = self.lock()?;
        let Some(id) = g.by_hash.get(secret_hash) else { return Ok(None) };
        Ok(g.accesses.iter().find(|(a, _)| &a.id == id).cloned())
    }
    fn accesses(&self) -> Result<Vec<AccessTokenRecord>> {
        Ok(self.lock()?.accesses.iter().map(|(a, _)| a.clone()).collect())
    }
    fn accesses_with_hashes(&self) -> Result<Vec<(AccessTokenRecord, [u8; 32])>> {
        Ok(self.lock()?.accesses.clone())
    }
    fn set_access_status(&self, id: &str, status: TokenStatusKind) -> Result<bool> {
        Ok(self.lock()?.accesses.iter_mut().find(|(a, _)| a.id == id).map(|(a, _)| a.status = status).is_some())
    }
    fn touch_access(&self, id: &str, at: Timestamp) -> Result<bool> {
        Ok(self
            .lock()?
            .accesses
            .iter_mut()
            .find(|(a, _)| a.id == id)
            .map(|(a, _)| a.last_used = a.last_used.max(Some(at)))
            .is_some())
    }
    fn delete_access(&self, id: &str) -> Result<bool> {
        let mut g = self.lock()?;
        let Some(pos) = g.accesses.iter().position(|(a, _)| a.id == id) else { return Ok(false) };
        let (_, hash) = g.accesses.remove(pos);
        g.by_hash.remove(&hash);
        Ok(true)
    }

    fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        self.lock()?.audit.push(e.clone());
        Ok(())
    }
    fn audit(&self, limit: usize) -> Result<Vec<AuditEvent>> {
        let g = self.lock()?;
        Ok(g.audit[g.audit.len().saturating_sub(limit)..].to_vec())
    }
}
