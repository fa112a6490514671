//! Operation tokens: the authority that issues them and the verifier that turns one into a
//! [`Grant`].

mod authority;
mod claims;
mod verify;

pub use authority::{Authority, IssuePolicy, IssuedToken, ReverseLevel, TokenKind, TokenRequest};
pub use claims::TokenType;
pub use verify::{Grant, Validation, Verifier};

/// Non-empty, at most `max` bytes, no control characters.
pub(crate) fn valid_text(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && !s.chars().any(char::is_control)
}
