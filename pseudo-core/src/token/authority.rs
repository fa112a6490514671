//! The authority: signs `psn`, `sec` and `rev` tokens carrying a project's configuration.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::claims::{CfgClaim, Claims, SrcClaim, TokenType};
use super::valid_text;
use crate::config::{Method, OrgId, ProjectConfig, ProjectId, SourceRef, Timestamp};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::{random_bytes, SigningKey};

/// The level a reverse token undoes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReverseLevel {
    /// Level-1 pseudonyms → original values.
    Level1,
    /// Level-2 pseudonyms of this secondary project, made from `source` → level-1 pseudonyms.
    Level2(SourceRef),
}

/// Which token to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// Pseudonymisation (level 1).
    Pseudonymise,
    /// Secondary pseudonymisation of the named source's level-1 pseudonyms (level 2).
    Secondary(SourceRef),
    /// Reverse.
    Reverse(ReverseLevel),
}

impl TokenKind {
    /// The token type this kind issues.
    pub fn token_type(&self) -> TokenType {
        match self {
            TokenKind::Pseudonymise => TokenType::Psn,
            TokenKind::Secondary(_) => TokenType::Sec,
            TokenKind::Reverse(_) => TokenType::Rev,
        }
    }
}

/// Everything a token carries, as the authority's caller states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Which token.
    pub kind: TokenKind,
    /// Who the token is for (`sub`): a user or service account id.
    pub subject: String,
    /// The collaborator organisation the token is issued to (`org`).
    pub organisation: OrgId,
    /// The project (`prj`).
    pub project: ProjectId,
    /// The approved request this token serves (`req`).
    pub request: String,
    /// The project's configuration (`cfg`).
    pub config: ProjectConfig,
    /// How long the token is valid; capped at the project's retention end.
    pub lifetime: Duration,
    /// The key version the project is bound to (`kv`): the one that was primary when the
    /// project was created. `None`: the authority's configured primary version
    /// ([`Authority::key_version`]). A registry fills it from the project's record.
    pub key_version: Option<u16>,
}

/// A rule the authority consults before it signs (approved request, collaborator, can-reverse…).
/// A host's registry implements it; refusals are `IssueRefused` errors with a clear message.
pub trait IssuePolicy: Send + Sync {
    /// Refuses (with an error) or allows issuing `request` at `now`.
    fn check(&self, request: &TokenRequest, now: Timestamp) -> Result<()>;
    /// Called after a token was signed, so the host can record it (by `jti`, never the text).
    fn issued(&self, _request: &TokenRequest, _token: &IssuedToken) -> Result<()> {
        Ok(())
    }
}

/// A freshly issued token. The text is shown once: the authority keeps no copy.
pub struct IssuedToken {
    token: String,
    jti: String,
    token_type: TokenType,
    issued_at: Timestamp,
    expires_at: Timestamp,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("jti", &self.jti)
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl IssuedToken {
    /// The compact JWT, to hand to the holder once.
    pub fn token(&self) -> &str {
        &self.token
    }
    /// Consumes the record, returning the compact JWT.
    pub fn into_token(self) -> String {
        self.token
    }
    /// The token id (`jti`), the handle for revocation.
    pub fn jti(&self) -> &str {
        &self.jti
    }
    /// `psn`, `sec` or `rev`.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }
    /// `iat`.
    pub fn issued_at(&self) -> Timestamp {
        self.issued_at
    }
    /// `exp`.
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }
    /// SHA-256 of the token text ([`super::token_digest`]), for a registry's record.
    pub fn digest(&self) -> [u8; 32] {
        super::token_digest(&self.token)
    }
}

/// Issues signed operation tokens.
///
/// It signs with an Ed25519 [`SigningKey`]; engines trust its [`Authority::verifying_key`]. The
/// token is shown once: keep only its `jti` (and let a registry or an [`IssuePolicy`] decide who
/// may have one).
///
/// ```
/// use std::time::Duration;
/// use pseudo_core::*;
///
/// # fn main() -> Result<()> {
/// let authority = Authority::new(SigningKey::generate()?, "https://portal.example", "pseudo-engine")?;
/// let issued = authority.issue(&TokenRequest {
///     kind: TokenKind::Pseudonymise,
///     subject: "alice".into(),
///     organisation: OrgId::from_u128(2),
///     project: ProjectId::new("cohort-2026")?,
///     request: "req-1".into(),
///     config: ProjectConfig {
///         method: Method::NotReversible,
///         retention_end: Timestamp::now().saturating_add(Duration::from_secs(365 * 86_400)),
///         treatment: Treatment::Same,
///         format: OutputFormat::Hex,
///     },
///     lifetime: Duration::from_secs(3600),
///     key_version: None, // the authority's primary version (default 1)
/// })?;
/// assert_eq!(issued.token().split('.').count(), 3); // a compact JWS, EdDSA-signed
/// println!("issued {} (expires at {})", issued.jti(), issued.expires_at().unix());
/// // Engines get the public half, e.g. as a JWK.
/// let jwk = authority.verifying_key().to_jwk();
/// assert_eq!(VerifyingKey::from_jwk(&jwk)?.kid(), authority.verifying_key().kid());
/// # Ok(()) }
/// ```
pub struct Authority {
    key: SigningKey,
    issuer: String,
    audience: String,
    key_version: u16,
    policy: Option<Arc<dyn IssuePolicy>>,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority")
            .field("kid", &self.key.kid())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("key_version", &self.key_version)
            .field("policy", &self.policy.is_some())
            .finish()
    }
}

fn refused(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::IssueRefused, msg)
}

fn src_claim(s: &SourceRef, default_kv: u16) -> SrcClaim {
    SrcClaim {
        prj: s.project.clone(),
        org: s.organisation,
        rev: s.method.is_reversible(),
        ret: s.retention_end.unix(),
        fmt: s.format,
        kv: Some(s.key_version.unwrap_or(default_kv)),
    }
}

/// Refuses key version 0 (versions start at 1, as in the keyring).
fn check_version(v: u16) -> Result<u16> {
    if v == 0 {
        return Err(Error::new(ErrorKind::InvalidInput, "key versions start at 1"));
    }
    Ok(v)
}

impl Authority {
    /// An authority signing with `key` as `issuer`, for engines that expect `audience`.
    pub fn new(key: SigningKey, issuer: &str, audience: &str) -> Result<Self> {
        if !valid_text(issuer, 256) || !valid_text(audience, 256) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "issuer and audience are 1 to 256 characters without control characters",
            ));
        }
        Ok(Authority { key, issuer: issuer.to_owned(), audience: audience.to_owned(), key_version: 1, policy: None })
    }

    /// Sets the engine's current primary key version (default 1), which tokens name when their
    /// request names none. Refused: 0.
    pub fn with_key_version(mut self, version: u16) -> Result<Self> {
        self.key_version = check_version(version)?;
        Ok(self)
    }

    /// The primary key version this authority was configured with (default 1).
    pub fn key_version(&self) -> u16 {
        self.key_version
    }

    /// `request` with every key version stated: the authority's own where the request names none.
    fn resolve(&self, request: &TokenRequest) -> Result<TokenRequest> {
        let mut r = request.clone();
        r.key_version = Some(check_version(r.key_version.unwrap_or(self.key_version))?);
        match &mut r.kind {
            TokenKind::Secondary(s) | TokenKind::Reverse(ReverseLevel::Level2(s)) => {
                s.key_version = Some(check_version(s.key_version.unwrap_or(self.key_version))?);
            }
            _ => {}
        }
        Ok(r)
    }

    /// Consults `policy` before every issue.
    pub fn with_policy(mut self, policy: Arc<dyn IssuePolicy>) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The signing key's public half, for the engines.
    pub fn verifying_key(&self) -> &crate::keys::VerifyingKey {
        self.key.verifying_key()
    }

    /// The issuer (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience (`aud`).
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Issues a token now.
    pub fn issue(&self, request: &TokenRequest) -> Result<IssuedToken> {
        self.issue_at(request, Timestamp::now())
    }

    /// Issues a token as of `now`.
    pub fn issue_at(&self, request: &TokenRequest, now: Timestamp) -> Result<IssuedToken> {
        let now = now.checked_clock()?;
        let request = &self.resolve(request)?;
        let claims = self.claims_for(request, now)?;
        if let Some(p) = &self.policy {
            p.check(request, now)?;
        }
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(claims.tt.jwt_typ().to_owned());
        header.kid = Some(self.key.kid().to_owned());
        let enc = EncodingKey::from_ed_der(self.key.pkcs8_der());
        let token = jsonwebtoken::encode(&header, &claims, &enc)
            .map_err(|_| Error::new(ErrorKind::Internal, "signing the token failed"))?;
        let issued = IssuedToken {
            token,
            jti: claims.jti,
            token_type: claims.tt,
            issued_at: now,
            expires_at: Timestamp::from_unix(claims.exp),
        };
        if let Some(p) = &self.policy {
            p.issued(request, &issued)?;
        }
        Ok(issued)
    }

    fn claims_for(&self, r: &TokenRequest, now: Timestamp) -> Result<Claims> {
        if !valid_text(&r.subject, 256) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the subject is 1 to 256 characters without control characters",
            ));
        }
        if !valid_text(&r.request, 128) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the request id is 1 to 128 characters without control characters",
            ));
        }
        if r.lifetime.as_secs() == 0 {
            return Err(Error::new(ErrorKind::InvalidInput, "a token lifetime is at least one second"));
        }
        let cfg = &r.config;
        let horizon = Timestamp::from_unix(
            now.day().saturating_add(crate::keys::MAX_RETENTION_DAYS).saturating_mul(crate::config::SECONDS_PER_DAY),
        );
        let src_end = match &r.kind {
            TokenKind::Secondary(s) | TokenKind::Reverse(ReverseLevel::Level2(s)) => Some(s.retention_end),
            _ => None,
        };
        if cfg.retention_end > horizon || src_end.is_some_and(|e| e > horizon) {
            return Err(Error::new(ErrorKind::InvalidInput, "a retention end is at most 200 years ahead"));
        }
        if now >= cfg.retention_end {
            return Err(refused("the project's retention has ended: no token can be issued"));
        }
        let reversible = cfg.method == Method::Reversible;
        let (lvl, src) = match &r.kind {
            TokenKind::Pseudonymise => (None, None),
            TokenKind::Secondary(s) => {
                if s.project == r.project {
                    return Err(refused("a secondary token's source project must differ from its project"));
                }
                (None, Some(src_claim(s, self.key_version)))
            }
            TokenKind::Reverse(level) => {
                if !reversible {
                    return Err(refused("reverse tokens exist only for reversible projects"));
                }
                match level {
                    ReverseLevel::Level1 => (Some(1), None),
                    ReverseLevel::Level2(s) => (Some(2), Some(src_claim(s, self.key_version))),
                }
            }
        };
        let mut jti = [0u8; 16];
        random_bytes(&mut jti)?;
        // Every token expires at retention end at the latest (for reversible projects this is the
        // design's rule; for the others it keeps "tokens expire after retention" true as well).
        let exp = now.saturating_add(r.lifetime).min(cfg.retention_end);
        Ok(Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: r.subject.clone(),
            jti: BASE64URL_NOPAD.encode(&jti),
            iat: now.unix(),
            nbf: now.unix(),
            exp: exp.unix(),
            tt: r.kind.token_type(),
            prj: r.project.clone(),
            org: r.organisation,
            req: r.request.clone(),
            cfg: CfgClaim { rev: reversible, ret: cfg.retention_end.unix(), trt: cfg.treatment, fmt: cfg.format },
            kv: Some(r.key_version.unwrap_or(self.key_version)),
            lvl,
            src,
        })
    }
}
