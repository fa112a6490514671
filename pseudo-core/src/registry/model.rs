//! The registry's records. None holds a secret: tokens are kept by `jti`, access tokens by hash.

use crate::config::{OrgId, ProjectConfig, ProjectId, Timestamp};
use crate::token::TokenType;

/// A retention period, set once at project creation, counted from the creation instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Retention {
    /// Whole years.
    pub years: u32,
    /// Whole months (the day of month is clamped: 31 Jan + 1 month = end of February).
    pub months: u32,
    /// Whole days.
    pub days: u32,
}

/// An organisation taking part in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Collaborator {
    /// The organisation.
    pub organisation: OrgId,
    /// Whether it may receive reverse tokens.
    pub can_reverse: bool,
}

/// A project and its fixed configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Identifier.
    pub id: ProjectId,
    /// The owning organisation.
    pub owner: OrgId,
    /// Display name.
    pub name: String,
    /// The configuration every token of this project carries.
    pub config: ProjectConfig,
    /// Collaborating organisations.
    pub collaborators: Vec<Collaborator>,
    /// When it was created.
    pub created: Timestamp,
    /// The key version the project is bound to (the `kv` of its tokens): the primary version
    /// when it was created, or the one a rewrap moved it to.
    pub key_version: u16,
    /// Every key version the project was ever bound to, ascending (the current one included):
    /// what a lookup of old records and crypto-shredding concern.
    pub key_versions: Vec<u16>,
}

impl Project {
    /// The collaborator entry of `org`, if any.
    pub fn collaborator(&self, org: &OrgId) -> Option<&Collaborator> {
        self.collaborators.iter().find(|c| &c.organisation == org)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Submitted, not decided.
    Pending,
    /// Approved by an administrator: tokens may be issued for it.
    Approved,
    /// Rejected by an administrator.
    Rejected,
}

impl RequestStatus {
    /// `pending`, `approved` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [RequestStatus::Pending, RequestStatus::Approved, RequestStatus::Rejected].into_iter().find(|r| r.as_str() == s)
    }
}

/// One step of a request's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEvent {
    /// When.
    pub time: Timestamp,
    /// Who (principal id).
    pub actor: String,
    /// The status after this step.
    pub status: RequestStatus,
    /// The administrator's comment, if any.
    pub comment: Option<String>,
}

/// A collaborator's request for one dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Identifier.
    pub id: String,
    /// The project.
    pub project: ProjectId,
    /// The requesting (collaborator) organisation.
    pub organisation: OrgId,
    /// Who submitted it.
    pub requester: String,
    /// The dataset it is for.
    pub dataset: String,
    /// The token type the requester wants (`None`: not said), for the administrator who decides.
    /// The type is chosen again when a token is generated, under the registry's issuing rules.
    pub token_type: Option<TokenType>,
    /// Current status.
    pub status: RequestStatus,
    /// Every step, oldest first.
    pub history: Vec<RequestEvent>,
}

/// Active or revoked. (Deleted records are gone.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenStatusKind {
    /// Usable until it expires.
    Active,
    /// Refused until restored.
    Revoked,
}

impl TokenStatusKind {
    /// `active` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatusKind::Active => "active",
            TokenStatusKind::Revoked => "revoked",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(TokenStatusKind::Active),
            "revoked" => Some(TokenStatusKind::Revoked),
            _ => None,
        }
    }
}

/// The record of an issued operation token (never the token text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token id.
    pub jti: String,
    /// `psn`, `sec` or `rev`.
    pub token_type: TokenType,
    /// A name chosen at issue.
    pub name: String,
    /// The project.
    pub project: ProjectId,
    /// The request it serves.
    pub request: String,
    /// The holder (`sub`).
    pub holder: String,
    /// The holder's organisation.
    pub organisation: OrgId,
    /// Issue instant.
    pub created: Timestamp,
    /// `exp`.
    pub expires: Timestamp,
    /// Active or revoked.
    pub status: TokenStatusKind,
    /// `None`: not used yet.
    pub last_used: Option<Timestamp>,
    /// SHA-256 of the issued token's text ([`crate::token::token_digest`]). An engine accepts only
    /// the token whose digest matches, never another token that reuses this `jti`. `None` for
    /// records written before schema 2: such tokens are refused (reissue them).
    pub digest: Option<[u8; 32]>,
}

/// Personal or service access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// Made by a user for themselves.
    Personal,
    /// Made by an administrator for a service account.
    Service,
}

impl AccessKind {
    /// `personal` or `service`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKind::Personal => "personal",
            AccessKind::Service => "service",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "personal" => Some(AccessKind::Personal),
            "service" => Some(AccessKind::Service),
            _ => None,
        }
    }
}

/// The record of an access token: everything but the secret (the store keeps only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRecord {
    /// Identifier (not secret).
    pub id: String,
    /// Personal or service.
    pub kind: AccessKind,
    /// A name chosen at creation.
    pub name: String,
    /// The principal it authenticates (the user, or the service account).
    pub principal: String,
    /// That principal's organisation.
    pub organisation: OrgId,
    /// Who made it.
    pub created_by: String,
    /// Creation instant.
    pub created: Timestamp,
    /// Expiry.
    pub expires: Timestamp,
    /// Active or revoked.
    pub status: TokenStatusKind,
    /// `None`: not used yet.
    pub last_used: Option<Timestamp>,
}

/// Who acts on the registry. The host authenticates people; the registry trusts what it is told.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// Identifier (user or service account id).
    pub id: String,
    /// Organisation.
    pub organisation: OrgId,
    /// Role.
    pub role: Role,
}

/// A principal's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A person.
    User,
    /// A person who administers the portal (approves requests, makes service tokens).
    Admin,
    /// A machine account.
    ServiceAccount,
}
