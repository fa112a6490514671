//! # pseudo-core
//!
//! A pseudonymisation engine and token authority.
//!
//! * The [`Authority`] holds an Ed25519 [`SigningKey`] and issues signed JWTs (`psn`, `sec`,
//!   `rev`) that carry a project's configuration ([`ProjectConfig`]).
//! * The [`Engine`] holds the master keys ([`Keyring`]) and the authority's [`VerifyingKey`]s.
//!   Given a token and a batch of values it verifies the token (a [`Grant`]) and pseudonymises,
//!   re-pseudonymises (level 2) or reverses the batch, in input order, on every core.
//! * [`wire::handle`] speaks the INCERT API's bodies (`{"data": [...]}` or CSV).
//! * `registry::Registry` (feature `registry`) keeps projects, requests, the issuing policy,
//!   records of issued tokens (revoke, restore, delete, last used), access tokens and the audit
//!   log, in SQLite or in memory; the engine consults it through [`TokenStatus`] and
//!   [`AuditSink`], which a host can also implement over its own store.
//!
//! The exact construction (key derivation, AES-SIV associated data, HMAC input, envelope bytes,
//! encodings, claims) is specified in `docs/SPEC.md` with test vectors.
//!
//! # Cargo features
//!
//! | feature | default | gives |
//! |---|---|---|
//! | `registry` | on | the `registry` module: projects, requests, token records, access tokens, audit; in memory or the host's own `registry::Store` |
//! | `sqlite` | on (implies `registry`) | `registry::SqliteStore` and `Registry::open_sqlite`, with SQLite compiled in |
//!
//! An engine-only service (verify tokens, pseudonymise, reverse, serve the wire format) needs
//! neither: `pseudo-core = { version = "0.1", default-features = false }` builds without the
//! registry and without compiling SQLite. JWT signatures go through `jsonwebtoken`'s pure-Rust
//! `rust_crypto` backend, which always compiles its RSA and ECDSA code too (jsonwebtoken 11 has
//! no finer feature); pseudo accepts only EdDSA, whatever the token's header says.
//!
//! ```
//! use std::time::Duration;
//! use pseudo_core::*;
//!
//! # fn main() -> Result<()> {
//! let signing = SigningKey::generate()?;
//! let engine = Engine::new(
//!     Keyring::new(MasterKey::generate(1)?),
//!     &[signing.verifying_key().clone()],
//!     EngineOptions::new("https://portal.example", "pseudo-engine"),
//! )?;
//! let authority = Authority::new(signing, "https://portal.example", "pseudo-engine")?;
//! let config = ProjectConfig {
//!     method: Method::Reversible,
//!     retention_end: Timestamp::now().saturating_add(Duration::from_secs(365 * 86_400)),
//!     treatment: Treatment::Same,
//!     format: OutputFormat::Base64url,
//! };
//! let request = |kind| TokenRequest {
//!     kind,
//!     subject: "alice".into(),
//!     organisation: OrgId::nil(),
//!     project: ProjectId::new("cohort-2026").unwrap(),
//!     request: "req-1".into(),
//!     config,
//!     lifetime: Duration::from_secs(3600),
//!     key_version: None,
//! };
//! let psn = authority.issue(&request(TokenKind::Pseudonymise))?;
//! let rev = authority.issue(&request(TokenKind::Reverse(ReverseLevel::Level1)))?;
//! let pseudonyms = engine.pseudonymise(psn.token(), &["Example PID 1", "Example PID 2"])?;
//! assert_eq!(engine.reverse(rev.token(), &pseudonyms)?, ["Example PID 1", "Example PID 2"]);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod engine;
mod error;
mod keys;
#[cfg(feature = "registry")]
pub mod registry;
mod schedule;
mod token;
mod transform;
pub mod wire;

pub use config::{
    parse_canonical_uuid, Method, OrgId, OutputFormat, ProjectConfig, ProjectId, SourceRef, Timestamp, Treatment,
    MAX_CLOCK_DAY, SECONDS_PER_DAY,
};
pub use engine::{
    AuditEvent, AuditSink, BatchMode, Engine, EngineOptions, Limits, Operation, TokenStatus, MAX_ADVANCE_AHEAD_DAYS,
};
pub use error::{Detail, Error, ErrorKind, ItemCode, ItemFailure, Result};
pub use keys::{Keyring, MasterKey, SigningKey, VerifyingKey, MAX_RETENTION_DAYS, MIN_SECRET_LEN};
pub use token::{
    token_digest, Authority, CacheCounts, Grant, IssuePolicy, IssuedToken, ReverseLevel, TokenKind, TokenRequest,
    TokenType, Validation, Verifier, MAX_LEEWAY,
};
pub use transform::BatchOutput;

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
