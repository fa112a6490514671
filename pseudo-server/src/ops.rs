//! Registry steps and visibility rules the command line, the REST API and the portal share.

use std::collections::HashSet;
use std::time::Duration;

use pseudo_core::registry::{
    AccessKind, AccessTokenRecord, Collaborator, IssueKind, NewProject, Principal, Project, Registry, Request, Role,
    TokenRecord,
};
use pseudo_core::{
    Authority, Detail, Error, ErrorKind, IssuedToken, Method, OrgId, ProjectId, Result, Timestamp, TokenKind,
    TokenRequest,
};

/// Creates a project owned by `actor`'s organisation and makes that organisation its first
/// collaborator, with the reverse right when the project is reversible.
pub fn create_project(registry: &Registry, actor: &Principal, p: NewProject, now: Timestamp) -> Result<Project> {
    let reversible = p.method == Method::Reversible;
    let project = registry.create_project(actor, p, now)?;
    registry.add_collaborator(
        actor,
        &project.id,
        Collaborator { organisation: actor.organisation, can_reverse: reversible },
    )
}

/// What the local administrator asks for with `pseudo token issue`.
#[derive(Debug, Clone)]
pub struct LocalIssue {
    /// The project.
    pub project: pseudo_core::ProjectId,
    /// Which token.
    pub kind: IssueKind,
    /// The token's name in the registry.
    pub name: String,
    /// How long it is valid (capped at retention end by the authority).
    pub lifetime: Duration,
}

/// Issues a token as the local administrator on its own data folder: submits a request for the
/// administrator's organisation, approves it (both steps stay in the request's history, with a
/// comment saying so), and issues the token for it. The registry's issuing policy applies in full.
pub fn issue_as_local_admin(
    registry: &Registry,
    authority: &Authority,
    admin: &Principal,
    issue: &LocalIssue,
    now: Timestamp,
) -> Result<IssuedToken> {
    let request = registry.submit_request(admin, &issue.project, &format!("command line: {}", issue.name), now)?;
    registry.decide_request(
        admin,
        &request.id,
        true,
        Some("approved by the local administrator with `pseudo token issue`"),
        now,
    )?;
    registry.issue_token(authority, admin, &request.id, issue.kind.clone(), &issue.name, issue.lifetime, now)
}

// ---- who sees what (the REST API and the portal apply the same rules) -----------------------

/// The registry principal behind an authenticated access token: personal tokens of the
/// configured administrators carry the administrator role, other personal tokens the user role,
/// service tokens the service-account role.
pub fn principal_of(admins: &HashSet<String>, rec: &AccessTokenRecord) -> Principal {
    let role = match rec.kind {
        AccessKind::Service => Role::ServiceAccount,
        AccessKind::Personal if admins.contains(&rec.principal) => Role::Admin,
        AccessKind::Personal => Role::User,
    };
    Principal { id: rec.principal.clone(), organisation: rec.organisation, role }
}

/// `admin`, `user` or `service`.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::User => "user",
        Role::ServiceAccount => "service",
    }
}

/// Refused unless `actor` is an administrator.
pub fn admin_only(actor: &Principal) -> Result<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(Error::with_detail(ErrorKind::PermissionDenied, Detail::NotAdmin, "only an administrator may do this"))
    }
}

/// A record the caller may not see answers as if it did not exist.
pub fn hidden(what: Detail) -> Error {
    Error::with_detail(ErrorKind::NotFound, what, "no such record")
}

/// Projects a non-administrator may see: their organisation owns or collaborates on them.
pub fn sees_project(actor: &Principal, p: &Project) -> bool {
    actor.role == Role::Admin || p.owner == actor.organisation || p.collaborator(&actor.organisation).is_some()
}

/// A project the caller may see.
pub fn visible_project(registry: &Registry, actor: &Principal, id: &ProjectId) -> Result<Project> {
    let p = registry.project(id)?;
    if !sees_project(actor, &p) {
        return Err(hidden(Detail::UnknownProject));
    }
    Ok(p)
}

/// Requests a non-administrator may see: their organisation's.
pub fn sees_request(actor: &Principal, r: &Request) -> bool {
    actor.role == Role::Admin || r.organisation == actor.organisation
}

/// A request the caller may see.
pub fn visible_request(registry: &Registry, actor: &Principal, id: &str) -> Result<Request> {
    let r = registry.request(id)?;
    if !sees_request(actor, &r) {
        return Err(hidden(Detail::UnknownRequest));
    }
    Ok(r)
}

/// Token records a non-administrator may see: their own.
pub fn sees_token(actor: &Principal, t: &TokenRecord) -> bool {
    actor.role == Role::Admin || t.holder == actor.id
}

/// A token record the caller may see.
pub fn visible_token(registry: &Registry, actor: &Principal, jti: &str) -> Result<TokenRecord> {
    let t = registry.token(jti)?;
    if !sees_token(actor, &t) {
        return Err(hidden(Detail::UnknownToken));
    }
    Ok(t)
}

/// Access token records a non-administrator may see: their own and those they made.
pub fn sees_access(actor: &Principal, t: &AccessTokenRecord) -> bool {
    actor.role == Role::Admin || t.principal == actor.id || t.created_by == actor.id
}

/// An access token record the caller may see.
pub fn visible_access(registry: &Registry, actor: &Principal, id: &str) -> Result<AccessTokenRecord> {
    let t = registry.access_token(id)?;
    if !sees_access(actor, &t) {
        return Err(hidden(Detail::UnknownAccessToken));
    }
    Ok(t)
}

/// Whether the registry would issue a token of `kind` for the approved request `r` now, asked
/// before the form is shown: `Err` carries the registry's own reason (not reversible, retention
/// ended, no reverse right…).
pub fn check_issue(
    registry: &Registry,
    actor: &Principal,
    r: &Request,
    p: &Project,
    kind: TokenKind,
    now: Timestamp,
) -> Result<()> {
    let req = TokenRequest {
        kind,
        subject: actor.id.clone(),
        organisation: r.organisation,
        project: p.id.clone(),
        request: r.id.clone(),
        config: p.config,
        lifetime: Duration::from_secs(1),
        key_version: Some(p.key_version),
    };
    registry.check_issue(&req, now)
}

/// The source of a secondary (or level-2 reverse) token as a form or body names it: a source
/// project alone means the caller's own organisation; an organisation alone is refused.
pub fn issue_source(
    source_project: Option<&str>,
    source_org: Option<OrgId>,
    own: OrgId,
) -> Result<Option<(ProjectId, OrgId)>> {
    match (source_project, source_org) {
        (None, None) => Ok(None),
        (Some(p), o) => Ok(Some((ProjectId::new(p)?, o.unwrap_or(own)))),
        (None, Some(_)) => Err(Error::new(ErrorKind::InvalidInput, "source_org goes with source_project")),
    }
}
