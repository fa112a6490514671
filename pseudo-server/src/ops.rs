//! Registry steps the command line and the REST API take the same way.

use std::time::Duration;

use pseudo_core::registry::{Collaborator, IssueKind, NewProject, Principal, Project, Registry};
use pseudo_core::{Authority, IssuedToken, Method, Result, Timestamp};

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
