//! Operation tokens: the authority that issues them and the verifier that turns one into a
//! [`Grant`].

mod authority;
mod claims;
mod verify;

pub use authority::{Authority, IssuePolicy, IssuedToken, ReverseLevel, TokenKind, TokenRequest};
pub use claims::TokenType;
pub use verify::{CacheCounts, Grant, Validation, Verifier, MAX_LEEWAY};

/// SHA-256 of a token's exact text: what the registry keeps to bind a record to one token.
pub fn token_digest(token: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Deserialises an optional member that, when present, must hold a value: `null` is a type
/// error, not an absent member (`#[serde(default, deserialize_with = "present")]`).
pub(crate) fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A UUID in its canonical text form only: lower-case, hyphenated, 36 characters.
pub(crate) fn canonical_uuid<'de, D>(d: D) -> std::result::Result<crate::config::OrgId, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    crate::config::parse_canonical_uuid(&s)
        .ok_or_else(|| serde::de::Error::custom("a UUID in lower-case hyphenated form"))
}

/// Non-empty, at most `max` bytes, no control characters.
pub(crate) fn valid_text(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && !s.chars().any(char::is_control)
}
