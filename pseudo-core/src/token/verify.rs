//! Verification: a compact JWT in, a [`Grant`] out, or a precise [`ErrorKind`].

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;

use super::claims::{Claims, JwtHeader, TokenType};
use super::valid_text;
use crate::config::{Method, OrgId, ProjectConfig, ProjectId, SourceRef, Timestamp};
use crate::error::{Detail, Error, ErrorKind, Result};
use crate::keys::VerifyingKey;

/// Verification options. [`Validation::new`] gives the secure defaults; each field says its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// The only accepted `iss`. Required.
    pub issuer: String,
    /// The only accepted `aud` (a single string, not an array). Required.
    pub audience: String,
    /// Clock skew allowed on `exp`, `nbf` and `iat`. Default 30 s, at most [`MAX_LEEWAY`]. Never
    /// applied to retention end.
    pub leeway: Duration,
    /// Longest accepted token, in bytes, checked before anything is parsed. Default 8 KiB.
    pub max_token_bytes: usize,
}

impl Validation {
    /// Secure defaults for tokens from `issuer` to `audience`.
    pub fn new(issuer: &str, audience: &str) -> Self {
        Validation {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            leeway: Duration::from_secs(30),
            max_token_bytes: 8 * 1024,
        }
    }
}

/// What a verified token allows: the only way to run a transform.
///
/// The largest accepted [`Validation::leeway`]: five minutes. A larger skew is a broken clock,
/// and would keep expired tokens alive.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// A `Grant` can only be made by [`Verifier::verify`]; it holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub(crate) token_type: TokenType,
    pub(crate) jti: String,
    pub(crate) subject: String,
    pub(crate) organisation: OrgId,
    pub(crate) project: ProjectId,
    pub(crate) request: String,
    pub(crate) config: ProjectConfig,
    pub(crate) level: u8,
    pub(crate) source: Option<SourceRef>,
    pub(crate) key_version: u16,
    pub(crate) issued_at: Timestamp,
    pub(crate) not_before: Timestamp,
    pub(crate) expires_at: Timestamp,
    pub(crate) digest: [u8; 32],
}

impl Grant {
    /// `psn`, `sec` or `rev`.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }
    /// The token id.
    pub fn jti(&self) -> &str {
        &self.jti
    }
    /// The holder (`sub`).
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// The organisation the token was issued to.
    pub fn organisation(&self) -> &OrgId {
        &self.organisation
    }
    /// The project.
    pub fn project(&self) -> &ProjectId {
        &self.project
    }
    /// The request id.
    pub fn request(&self) -> &str {
        &self.request
    }
    /// The project configuration.
    pub fn config(&self) -> &ProjectConfig {
        &self.config
    }
    /// The pseudonym level this token makes (`psn` 1, `sec` 2) or undoes (`rev` 1 or 2).
    pub fn level(&self) -> u8 {
        self.level
    }
    /// The source of a `sec` token or of a level-2 `rev` token (its `key_version` is always
    /// set: the `src.kv` claim).
    pub fn source(&self) -> Option<&SourceRef> {
        self.source.as_ref()
    }
    /// The key version the project is bound to (`kv`): the engine derives the token's keys
    /// from it, whatever the keyring's primary version is.
    pub fn key_version(&self) -> u16 {
        self.key_version
    }
    /// `iat`.
    pub fn issued_at(&self) -> Timestamp {
        self.issued_at
    }
    /// `nbf`.
    pub fn not_before(&self) -> Timestamp {
        self.not_before
    }
    /// `exp`.
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }
    /// SHA-256 of the exact token text ([`crate::token::token_digest`]): a registry compares it
    /// with the digest it recorded at issue, so only the token it issued passes, not another
    /// token that reuses its `jti`.
    pub fn token_digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

/// Verified tokens kept by their exact text, so that a token used again skips the signature
/// check; every time rule is checked again on each use.
const MAX_CACHED_TOKENS: usize = 4096;

/// Verifies tokens against a set of Ed25519 keys chosen by `kid`.
pub struct Verifier {
    keys: HashMap<String, ed25519_dalek::VerifyingKey>,
    validation: Validation,
    cache: RwLock<HashMap<String, Grant>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// How often [`Verifier::verify`] found a token in its cache (no signature check) and how often
/// it verified one in full. Counted since the verifier was made; for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Tokens found in the cache.
    pub hits: u64,
    /// Tokens verified in full (signature and claims), whether they passed or not.
    pub misses: u64,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&String> = self.keys.keys().collect();
        kids.sort();
        f.debug_struct("Verifier").field("kids", &kids).field("validation", &self.validation).finish()
    }
}

/// The token without surrounding ASCII white space; a `Bearer ` prefix (an HTTP header value
/// pasted whole) is refused with a hint rather than reported as a bad signature.
fn normalise(token: &str) -> Result<&str> {
    let t = token.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("bearer ")) {
        return Err(err(ErrorKind::MalformedToken, "drop the 'Bearer ' prefix: pass the token alone"));
    }
    Ok(t)
}

fn err(kind: ErrorKind, msg: &str) -> Error {
    Error::new(kind, msg)
}

fn claims_err(msg: &str) -> Error {
    Error::new(ErrorKind::InvalidClaims, msg)
}

/// A token's `kv` (or `src.kv`): required, and 1 or more.
fn key_version(kv: Option<u16>, what: &str) -> Result<u16> {
    match kv {
        None => Err(Error::with_detail(
            ErrorKind::InvalidClaims,
            Detail::NoKeyVersion,
            format!("the token carries no {what} claim (made before key versions were bound to projects): reissue it"),
        )),
        Some(0) => Err(claims_err("key versions start at 1")),
        Some(v) => Ok(v),
    }
}

impl Verifier {
    /// A verifier for tokens signed by any of `keys` (at least one).
    pub fn new(keys: &[VerifyingKey], validation: Validation) -> Result<Self> {
        if keys.is_empty() {
            return Err(err(ErrorKind::InvalidKey, "a verifier needs at least one verifying key"));
        }
        if !valid_text(&validation.issuer, 256) || !valid_text(&validation.audience, 256) {
            return Err(err(ErrorKind::InvalidInput, "the validation needs an issuer and an audience"));
        }
        if validation.leeway > MAX_LEEWAY {
            return Err(err(ErrorKind::InvalidInput, "the leeway is at most 300 seconds"));
        }
        if validation.max_token_bytes == 0 {
            return Err(err(ErrorKind::InvalidInput, "the maximum token size must be at least one byte"));
        }
        let mut map = HashMap::new();
        for k in keys {
            if map.insert(k.kid().to_owned(), k.dalek()?).is_some() {
                return Err(err(ErrorKind::InvalidKey, "two verifying keys share one kid"));
            }
        }
        Ok(Verifier {
            keys: map,
            validation,
            cache: RwLock::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        })
    }

    /// The options in force.
    pub fn validation(&self) -> &Validation {
        &self.validation
    }

    /// Cache hits and full verifications so far.
    pub fn cache_counts(&self) -> CacheCounts {
        CacheCounts { hits: self.hits.load(Ordering::Relaxed), misses: self.misses.load(Ordering::Relaxed) }
    }

    /// Verifies `token` at `now`. A token verified before is found in a cache by its exact text
    /// (no signature check, about a microsecond); its time rules are checked again every time.
    ///
    /// Surrounding ASCII white space (a token read from a file ends with a newline) is not part
    /// of the token; an HTTP `Bearer ` prefix is refused with a hint.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<Grant> {
        let token = normalise(token)?;
        let now = now.checked_clock()?;
        if let Some(g) = self.cache.read().ok().and_then(|c| c.get(token).cloned()) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            self.check_times(&g, now)?;
            return Ok(g);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let grant = self.verify_uncached(token, now)?;
        if let Ok(mut c) = self.cache.write() {
            if c.len() >= MAX_CACHED_TOKENS {
                c.clear();
            }
            c.insert(token.to_owned(), grant.clone());
        }
        Ok(grant)
    }

    /// Verifies `token` at `now` without the cache: signature and every rule.
    pub fn verify_uncached(&self, token: &str, now: Timestamp) -> Result<Grant> {
        let token = normalise(token)?;
        let now = now.checked_clock()?;
        let v = &self.validation;
        if token.len() > v.max_token_bytes {
            return Err(err(ErrorKind::TokenTooLarge, "the token is larger than the maximum accepted size"));
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(err(ErrorKind::MalformedToken, "a token has three dot-separated parts"));
        };
        if h.is_empty() || p.is_empty() || s.is_empty() {
            return Err(err(ErrorKind::MalformedToken, "a token has three non-empty parts"));
        }
        let header_json = BASE64URL_NOPAD
            .decode(h.as_bytes())
            .map_err(|_| err(ErrorKind::MalformedToken, "the token header is not base64url"))?;
        let header: JwtHeader = serde_json::from_slice(&header_json).map_err(|_| {
            err(ErrorKind::MalformedToken, "the token header must hold exactly alg, typ and kid, once each")
        })?;
        if header.alg != "EdDSA" {
            return Err(err(ErrorKind::UnsupportedAlgorithm, "only EdDSA (Ed25519) tokens are accepted"));
        }
        let typ = TokenType::from_jwt_typ(&header.typ)
            .ok_or_else(|| err(ErrorKind::WrongTokenType, "the token's typ is not a pseudo token type"))?;
        let key = self
            .keys
            .get(&header.kid)
            .ok_or_else(|| err(ErrorKind::UnknownKey, "the token's kid names no known verifying key"))?;
        // The signature is checked before the claims are parsed, with ed25519-dalek's
        // `verify_strict`: S canonical, R and the key not of small order, R compared as bytes
        // (SPEC §5). The signing input is the first two parts exactly as sent.
        let bad_sig = || err(ErrorKind::InvalidSignature, "the token's signature does not verify");
        let sig = BASE64URL_NOPAD
            .decode(s.as_bytes())
            .map_err(|_| err(ErrorKind::MalformedToken, "the token signature is not base64url"))?;
        let sig: [u8; 64] = sig.as_slice().try_into().map_err(|_| bad_sig())?;
        let signing_input = &token[..h.len() + 1 + p.len()];
        key.verify_strict(signing_input.as_bytes(), &ed25519_dalek::Signature::from_bytes(&sig))
            .map_err(|_| bad_sig())?;
        let payload = BASE64URL_NOPAD
            .decode(p.as_bytes())
            .map_err(|_| err(ErrorKind::MalformedToken, "the token payload is not base64url"))?;
        let claims: Claims = serde_json::from_slice(&payload)
            .map_err(|_| claims_err("the token's claims are missing, mistyped, duplicated or unknown"))?;
        self.check_claims(claims, typ, now, super::token_digest(token))
    }

    fn check_claims(&self, c: Claims, typ: TokenType, now: Timestamp, digest: [u8; 32]) -> Result<Grant> {
        let v = &self.validation;
        if c.tt != typ {
            return Err(err(ErrorKind::WrongTokenType, "the token's typ header and tt claim disagree"));
        }
        if c.iss != v.issuer {
            return Err(err(ErrorKind::WrongIssuer, "the token was issued by another issuer"));
        }
        if c.aud != v.audience {
            return Err(err(ErrorKind::WrongAudience, "the token is meant for another audience"));
        }
        if !valid_text(&c.jti, 128) || !valid_text(&c.sub, 256) || !valid_text(&c.req, 128) {
            return Err(claims_err("jti, sub and req must be non-empty text"));
        }
        if c.iat < 0 || c.exp <= c.iat || c.nbf < c.iat || c.exp <= c.nbf {
            return Err(claims_err("the token's iat, nbf and exp are out of order"));
        }
        let horizon =
            now.day().saturating_add(crate::keys::MAX_RETENTION_DAYS).saturating_mul(crate::config::SECONDS_PER_DAY);
        if c.cfg.ret > horizon || c.src.as_ref().is_some_and(|s| s.ret > horizon) {
            return Err(claims_err("a retention end more than 200 years ahead"));
        }
        if c.exp > c.cfg.ret {
            return Err(claims_err("the token expires after the project's retention end"));
        }
        let (level, source) = match (c.tt, c.lvl, &c.src) {
            (TokenType::Psn, None, None) => (1, None),
            (TokenType::Sec, None, Some(s)) => (2, Some(s)),
            (TokenType::Rev, Some(1), None) => (1, None),
            (TokenType::Rev, Some(2), Some(s)) => (2, Some(s)),
            (TokenType::Sec, _, None) => return Err(claims_err("a secondary token must name its source")),
            _ => return Err(claims_err("the token's lvl and src claims do not fit its type")),
        };
        if c.tt == TokenType::Rev && !c.cfg.rev {
            return Err(claims_err("a reverse token for a project that is not reversible"));
        }
        if let Some(s) = source {
            if s.prj == c.prj {
                return Err(claims_err("a source project must differ from the token's project"));
            }
        }
        let kv = key_version(c.kv, "kv")?;
        let src_kv = match source {
            Some(s) => Some(key_version(s.kv, "src.kv")?),
            None => None,
        };
        let method = |rev: bool| if rev { Method::Reversible } else { Method::NotReversible };
        let grant = Grant {
            token_type: c.tt,
            jti: c.jti,
            subject: c.sub,
            organisation: c.org,
            project: c.prj,
            request: c.req,
            config: ProjectConfig {
                method: method(c.cfg.rev),
                retention_end: Timestamp::from_unix(c.cfg.ret),
                treatment: c.cfg.trt,
                format: c.cfg.fmt,
            },
            level,
            source: source.map(|s| SourceRef {
                project: s.prj.clone(),
                organisation: s.org,
                method: method(s.rev),
                retention_end: Timestamp::from_unix(s.ret),
                format: s.fmt,
                key_version: src_kv,
            }),
            key_version: kv,
            issued_at: Timestamp::from_unix(c.iat),
            not_before: Timestamp::from_unix(c.nbf),
            expires_at: Timestamp::from_unix(c.exp),
            digest,
        };
        self.check_times(&grant, now)?;
        Ok(grant)
    }

    /// The rules that depend on the clock: retention end (no leeway: for every token type, and a
    /// secondary token's source), `nbf`/`iat`, `exp`.
    pub(crate) fn check_times(&self, g: &Grant, now: Timestamp) -> Result<()> {
        let leeway = i64::try_from(self.validation.leeway.as_secs()).unwrap_or(i64::MAX);
        let now_s = now.unix();
        if now_s >= g.config.retention_end.unix() {
            let msg = if g.token_type == TokenType::Rev {
                "the project's retention has ended: reversal is refused"
            } else {
                "the project's retention has ended: no more pseudonyms are made"
            };
            return Err(err(ErrorKind::RetentionEnded, msg));
        }
        if let (TokenType::Sec, Some(src)) = (g.token_type, &g.source) {
            if now_s >= src.retention_end.unix() {
                return Err(err(ErrorKind::RetentionEnded, "the source project's retention has ended"));
            }
        }
        if g.not_before.unix() > now_s.saturating_add(leeway) || g.issued_at.unix() > now_s.saturating_add(leeway) {
            return Err(err(ErrorKind::NotYetValid, "the token is not valid yet"));
        }
        if g.expires_at.unix() <= now_s.saturating_sub(leeway) {
            return Err(err(ErrorKind::Expired, "the token has expired"));
        }
        Ok(())
    }
}
