//! Errors: one [`Error`] type with a [`ErrorKind`] that every binding matches exhaustively.
//!
//! Messages never contain secrets, token text or data values. Per-item failures of a batch are
//! reported as an index and an [`ItemCode`]; every failure to read a pseudonym is the single opaque
//! [`ItemCode::InvalidPseudonym`] so that the error cannot serve as an oracle.

use std::fmt;

/// What went wrong, as a stable machine-readable category.
///
/// The bindings (C status codes, Python exception classes, wire error codes) map every kind
/// exhaustively; adding one fails their build until they handle it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The token is not a well-formed compact JWS (three base64url parts, JSON header and claims).
    MalformedToken,
    /// The token is larger than the configured maximum.
    TokenTooLarge,
    /// The header names an algorithm other than the one pinned for its key (e.g. `none`, `HS256`).
    UnsupportedAlgorithm,
    /// The `kid` header names no known verifying key.
    UnknownKey,
    /// The `typ` header is not one of the token types of this library, or disagrees with the claims.
    WrongTokenType,
    /// The signature does not verify.
    InvalidSignature,
    /// The token's `exp` is in the past.
    Expired,
    /// The token's `nbf` (or `iat`) is in the future.
    NotYetValid,
    /// The issuer is not the one expected.
    WrongIssuer,
    /// The audience is not the one expected.
    WrongAudience,
    /// A claim is missing, has the wrong type, or breaks a rule of the specification.
    InvalidClaims,
    /// The token is valid but may not be used for the operation asked (e.g. a `rev` token on `request-psn`).
    WrongOperation,
    /// The token was revoked or deleted by the authority.
    Revoked,
    /// The project's retention has ended: reversal is refused for ever.
    RetentionEnded,
    /// Key material is malformed, too short, of an unknown version, or cannot be read.
    InvalidKey,
    /// The authority refuses to issue this token (policy or configuration rule).
    IssueRefused,
    /// The caller's input is invalid (bad argument, bad configuration value).
    InvalidInput,
    /// The request body is not what the wire format expects.
    BadRequest,
    /// A size limit was exceeded (body, items, bytes per item); nothing was processed.
    LimitExceeded,
    /// The content type is not supported.
    UnsupportedMediaType,
    /// One or more items of a strict batch failed; see [`Error::item_failures`].
    BatchFailed,
    /// Reading or writing a file failed.
    Io,
    /// A registry record (project, request, token, access token) does not exist.
    NotFound,
    /// The record exists but is not in a state that allows this (e.g. deleting an active token,
    /// restoring an expired one, adding a collaborator while a request is pending).
    InvalidState,
    /// The acting principal may not do this (e.g. a service token made by a non-administrator).
    PermissionDenied,
    /// An access-token secret is unknown, revoked or expired.
    AuthenticationFailed,
    /// An access-token secret is malformed: wrong prefix, length or checksum (a typo or truncation).
    InvalidSecret,
    /// The registry's storage failed or is corrupt.
    Storage,
    /// An internal invariant failed. Please report it.
    Internal,
}

impl ErrorKind {
    /// A short, stable, snake_case name (used as the wire error code).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::MalformedToken => "malformed_token",
            ErrorKind::TokenTooLarge => "token_too_large",
            ErrorKind::UnsupportedAlgorithm => "unsupported_algorithm",
            ErrorKind::UnknownKey => "unknown_key",
            ErrorKind::WrongTokenType => "wrong_token_type",
            ErrorKind::InvalidSignature => "invalid_signature",
            ErrorKind::Expired => "token_expired",
            ErrorKind::NotYetValid => "token_not_yet_valid",
            ErrorKind::WrongIssuer => "wrong_issuer",
            ErrorKind::WrongAudience => "wrong_audience",
            ErrorKind::InvalidClaims => "invalid_claims",
            ErrorKind::WrongOperation => "wrong_operation",
            ErrorKind::Revoked => "token_revoked",
            ErrorKind::RetentionEnded => "retention_ended",
            ErrorKind::InvalidKey => "invalid_key",
            ErrorKind::IssueRefused => "issue_refused",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::LimitExceeded => "limit_exceeded",
            ErrorKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorKind::BatchFailed => "invalid_items",
            ErrorKind::Io => "io_error",
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidState => "invalid_state",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::AuthenticationFailed => "authentication_failed",
            ErrorKind::InvalidSecret => "invalid_secret",
            ErrorKind::Storage => "storage_error",
            ErrorKind::Internal => "internal_error",
        }
    }

    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 29] = [
        ErrorKind::MalformedToken,
        ErrorKind::TokenTooLarge,
        ErrorKind::UnsupportedAlgorithm,
        ErrorKind::UnknownKey,
        ErrorKind::WrongTokenType,
        ErrorKind::InvalidSignature,
        ErrorKind::Expired,
        ErrorKind::NotYetValid,
        ErrorKind::WrongIssuer,
        ErrorKind::WrongAudience,
        ErrorKind::InvalidClaims,
        ErrorKind::WrongOperation,
        ErrorKind::Revoked,
        ErrorKind::RetentionEnded,
        ErrorKind::InvalidKey,
        ErrorKind::IssueRefused,
        ErrorKind::InvalidInput,
        ErrorKind::BadRequest,
        ErrorKind::LimitExceeded,
        ErrorKind::UnsupportedMediaType,
        ErrorKind::BatchFailed,
        ErrorKind::Io,
        ErrorKind::NotFound,
        ErrorKind::InvalidState,
        ErrorKind::PermissionDenied,
        ErrorKind::AuthenticationFailed,
        ErrorKind::InvalidSecret,
        ErrorKind::Storage,
        ErrorKind::Internal,
    ];

    /// The kind whose [`ErrorKind::code`] is `code`.
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether this kind is a problem with the bearer token (HTTP 401 on the wire).
    pub fn is_token_error(self) -> bool {
        matches!(
            self,
            ErrorKind::MalformedToken
                | ErrorKind::TokenTooLarge
                | ErrorKind::UnsupportedAlgorithm
                | ErrorKind::UnknownKey
                | ErrorKind::WrongTokenType
                | ErrorKind::InvalidSignature
                | ErrorKind::Expired
                | ErrorKind::NotYetValid
                | ErrorKind::WrongIssuer
                | ErrorKind::WrongAudience
                | ErrorKind::InvalidClaims
                | ErrorKind::Revoked
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why one item of a batch failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum ItemCode {
    /// The value is empty.
    EmptyValue = 1,
    /// The value is longer than the configured maximum bytes per item.
    TooLong = 2,
    /// The pseudonym cannot be read: bad encoding, tampered, from another project, level or key
    /// version, or (for a secondary token) not a level-1 pseudonym of the named source.
    /// Deliberately one opaque code.
    InvalidPseudonym = 3,
}

impl ItemCode {
    /// A short, stable, snake_case name.
    pub fn code(self) -> &'static str {
        match self {
            ItemCode::EmptyValue => "empty_value",
            ItemCode::TooLong => "too_long",
            ItemCode::InvalidPseudonym => "invalid_pseudonym",
        }
    }
}

impl fmt::Display for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One failed item: its index in the input and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemFailure {
    /// Index of the item in the input batch.
    pub index: usize,
    /// Why it failed.
    pub code: ItemCode,
}

/// The error type of this crate.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    detail: Option<&'static str>,
    message: String,
    items: Vec<ItemFailure>,
}

impl Error {
    /// A new error, for implementations of this crate's traits (stores, token status, policies).
    /// `message` must not contain secrets or data values.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, detail: None, message: message.into(), items: Vec::new() }
    }

    /// A new error with a stable snake_case sub-code (see [`Error::detail`]).
    pub fn with_detail(kind: ErrorKind, detail: &'static str, message: impl Into<String>) -> Self {
        Error { kind, detail: Some(detail), message: message.into(), items: Vec::new() }
    }

    pub(crate) fn batch(items: Vec<ItemFailure>) -> Self {
        let first = items.first().map(|f| format!(" (first: item {}: {})", f.index, f.code)).unwrap_or_default();
        Error {
            kind: ErrorKind::BatchFailed,
            detail: None,
            message: format!("{} item(s) of the batch failed{first}; nothing was returned", items.len()),
            items,
        }
    }

    /// The category of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A stable snake_case sub-code that tells refusals of one kind apart (e.g. the issuing
    /// policy's `request_not_approved`, `not_a_collaborator`, `cannot_reverse`), when there is one.
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }

    /// A human-readable message (no secrets, no data values).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For [`ErrorKind::BatchFailed`]: every failed item, by index. Empty otherwise.
    pub fn item_failures(&self) -> &[ItemFailure] {
        &self.items
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("message", &self.message)
            .field("items", &self.items.len())
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, format!("i/o error: {}", e.kind()))
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for k in ErrorKind::ALL {
            assert!(seen.insert(k.code()), "duplicate code {}", k.code());
            assert_eq!(ErrorKind::from_code(k.code()), Some(k));
        }
        assert_eq!(ErrorKind::from_code("nope"), None);
    }
}
