//! Errors: one [`Error`] type with a [`ErrorKind`] that every binding matches exhaustively.
//!
//! Messages never contain secrets, token text or data values. Per-item failures of a batch are
//! reported as an index and an [`ItemCode`]; every failure to read a pseudonym is the single opaque
//! [`ItemCode::InvalidPseudonym`] so that the error cannot serve as an oracle.

use std::fmt;

/// Defines [`ErrorKind`] and everything the faces derive from it, from one table: each kind with
/// its documentation, its stable code (the wire's `error.code`, Python's `.code`), its HTTP status
/// (INCERT endpoints and the REST API), whether it is a problem with the bearer token, and a fixed
/// one-line summary (C's `pseudo_status_message`). Adding a row adds the kind everywhere; the faces'
/// exhaustive matches (C status, Python class) then fail to build until they place it.
macro_rules! error_kinds {
    ($( $(#[doc = $doc:literal])* $kind:ident => $code:literal, $status:literal, $token:literal, $summary:literal; )*) => {
        /// What went wrong, as a stable machine-readable category.
        ///
        /// Not `#[non_exhaustive]` on purpose: the bindings (C status codes, Python exception
        /// classes) match every kind, so a new kind fails their build until they handle it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $( $(#[doc = $doc])* $kind, )*
        }

        impl ErrorKind {
            /// Every kind, in declaration order.
            pub const ALL: [ErrorKind; [$(ErrorKind::$kind),*].len()] = [$(ErrorKind::$kind),*];

            /// A short, stable, snake_case name (used as the wire error code).
            pub const fn code(self) -> &'static str {
                match self { $( ErrorKind::$kind => $code, )* }
            }

            /// The HTTP status that answers this kind (SPEC §6; the REST API uses the same).
            pub const fn http_status(self) -> u16 {
                match self { $( ErrorKind::$kind => $status, )* }
            }

            /// Whether this kind is a problem with the bearer token (HTTP 401 on the wire).
            pub const fn is_token_error(self) -> bool {
                match self { $( ErrorKind::$kind => $token, )* }
            }

            /// A fixed one-line description of the kind (never data or secrets).
            pub const fn summary(self) -> &'static str {
                match self { $( ErrorKind::$kind => $summary, )* }
            }
        }
    };
}

error_kinds! {
    /// The token is not a well-formed compact JWS (three base64url parts, JSON header and claims).
    MalformedToken => "malformed_token", 401, true, "the token is malformed";
    /// The token is larger than the configured maximum.
    TokenTooLarge => "token_too_large", 401, true, "the token is too large";
    /// The header names an algorithm other than the one pinned for its key (e.g. `none`, `HS256`).
    UnsupportedAlgorithm => "unsupported_algorithm", 401, true, "the token's algorithm is not supported";
    /// The `kid` header names no known verifying key.
    UnknownKey => "unknown_key", 401, true, "the token was signed by an unknown key";
    /// The `typ` header is not one of the token types of this library, or disagrees with the claims.
    WrongTokenType => "wrong_token_type", 401, true, "the token type is wrong";
    /// The signature does not verify.
    InvalidSignature => "invalid_signature", 401, true, "the token's signature is invalid";
    /// The token's `exp` is in the past.
    Expired => "token_expired", 401, true, "the token has expired";
    /// The token's `nbf` (or `iat`) is in the future.
    NotYetValid => "token_not_yet_valid", 401, true, "the token is not valid yet";
    /// The issuer is not the one expected.
    WrongIssuer => "wrong_issuer", 401, true, "the token's issuer is wrong";
    /// The audience is not the one expected.
    WrongAudience => "wrong_audience", 401, true, "the token's audience is wrong";
    /// A claim is missing, has the wrong type, or breaks a rule of the specification.
    InvalidClaims => "invalid_claims", 401, true, "the token's claims are invalid";
    /// The token is valid but may not be used for the operation asked (e.g. a `rev` token on `request-psn`).
    WrongOperation => "wrong_operation", 403, false, "the token does not allow this operation";
    /// The token was revoked or deleted by the authority.
    Revoked => "token_revoked", 401, true, "the token was revoked";
    /// The project's retention has ended: reversal is refused for ever.
    RetentionEnded => "retention_ended", 403, false, "the project's retention has ended";
    /// Key material is malformed, too short, of an unknown version, or cannot be read.
    InvalidKey => "invalid_key", 500, false, "the key material is invalid";
    /// The authority refuses to issue this token (policy or configuration rule).
    IssueRefused => "issue_refused", 403, false, "the authority refuses to issue this token";
    /// The caller's input is invalid (bad argument, bad configuration value).
    InvalidInput => "invalid_input", 400, false, "the input is invalid";
    /// The request body is not what the wire format expects.
    BadRequest => "bad_request", 400, false, "the request body is invalid";
    /// A size limit was exceeded (body, items, bytes per item); nothing was processed.
    LimitExceeded => "limit_exceeded", 413, false, "a size limit was exceeded";
    /// The content type is not supported.
    UnsupportedMediaType => "unsupported_media_type", 415, false, "the content type is not supported";
    /// One or more items of a strict batch failed; see [`Error::item_failures`].
    BatchFailed => "invalid_items", 422, false, "one or more items of the batch failed";
    /// Reading or writing a file failed.
    Io => "io_error", 500, false, "an i/o error occurred";
    /// A registry record (project, request, token, access token) does not exist.
    NotFound => "not_found", 404, false, "the registry record does not exist";
    /// The record exists but is not in a state that allows this (e.g. deleting an active token,
    /// restoring an expired one, adding a collaborator while a request is pending).
    InvalidState => "invalid_state", 409, false, "the record's state does not allow this";
    /// The acting principal may not do this (e.g. a service token made by a non-administrator).
    PermissionDenied => "permission_denied", 403, false, "the acting principal may not do this";
    /// An access-token secret is unknown, revoked or expired.
    AuthenticationFailed => "authentication_failed", 401, false, "the access token is unknown, revoked or expired";
    /// An access-token secret is malformed: wrong prefix, length or checksum (a typo or truncation).
    InvalidSecret => "invalid_secret", 401, false, "the access-token secret is malformed (prefix, length or checksum)";
    /// The registry's storage failed or is corrupt.
    Storage => "storage_error", 503, false, "the registry's storage failed or is corrupt";
    /// An internal invariant failed. Please report it.
    Internal => "internal_error", 500, false, "internal error (please report it)";
}

impl ErrorKind {
    /// The kind whose [`ErrorKind::code`] is `code`.
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
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

/// Defines [`Detail`]: every stable sub-code, its text and what it means, in one table. The C
/// face (`pseudo_last_error_detail`), Python (`PseudoError.detail`), the REST API (`detail` in the
/// JSON error) and docs/SPEC.md read the text from here; a test keeps SPEC's list equal to it.
macro_rules! details {
    ($( $variant:ident => $code:literal, $meaning:literal; )*) => {
        /// A stable sub-code that tells refusals of one [`ErrorKind`] apart (see [`Error::detail`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Detail {
            $( #[doc = $meaning] $variant, )*
        }

        impl Detail {
            /// Every sub-code, in table order.
            pub const ALL: &'static [Detail] = &[$(Detail::$variant),*];

            /// The stable snake_case text (what the faces show).
            pub fn as_str(self) -> &'static str {
                match self { $(Detail::$variant => $code,)* }
            }

            /// One line on what it means.
            pub fn meaning(self) -> &'static str {
                match self { $(Detail::$variant => $meaning,)* }
            }
        }
    };
}

details! {
    UnknownProject => "unknown_project", "no project with that id (or not one the caller may see)";
    ConfigMismatch => "config_mismatch", "the token request's configuration differs from the project's";
    UnknownRequest => "unknown_request", "no request with that id (or not one the caller may see)";
    RequestMismatch => "request_mismatch", "the request is for another project or organisation";
    RequestNotApproved => "request_not_approved", "the request is pending or was rejected";
    NotACollaborator => "not_a_collaborator", "the organisation is not a collaborator of the project";
    RetentionEnded => "retention_ended", "the project's retention has ended";
    NotReversible => "not_reversible", "reverse tokens exist only for reversible projects";
    CannotReverse => "cannot_reverse", "the organisation has no reverse right on the project";
    UnknownSource => "unknown_source", "no such source project";
    UnknownSourceOrganisation => "unknown_source_organisation", "the source organisation takes no part in the source project";
    SourceMismatch => "source_mismatch", "the source's configuration is not the source project's";
    ConfigFixed => "config_fixed", "a project's configuration never changes after creation";
    RetentionFixed => "retention_fixed", "a project's retention can never be extended or changed";
    MethodFixed => "method_fixed", "a project's method (reversible or not) never changes";
    RequestPending => "request_pending", "collaborators cannot change while a request of the project is pending";
    RequestDecided => "request_decided", "the request was already approved or rejected";
    UnknownToken => "unknown_token", "no token record with that id";
    UnknownAccessToken => "unknown_access_token", "no access token with that id";
    NotAdmin => "not_admin", "only an administrator may do this";
    NotHolder => "not_holder", "only the token's holder (or an administrator) may do this";
    NotProjectOwner => "not_project_owner", "only the project's owner organisation may do this";
    NotRequester => "not_requester", "the actor is not of the requesting organisation";
    ServiceAccount => "service_account", "a service account may not do this";
    Active => "active", "the token is active: revoke it first";
    NotRevoked => "not_revoked", "only a revoked token can be restored";
    Expired => "expired", "the token has expired";
    WrongPrefix => "wrong_prefix", "not a pseudo access token (prefix pseudo_pat_ or pseudo_sat_)";
    WrongLength => "wrong_length", "the access token has the wrong length";
    WrongAlphabet => "wrong_alphabet", "the access token has characters outside its alphabet";
    BadChecksum => "bad_checksum", "the access token's checksum does not match (a typo?)";
    Corrupt => "corrupt", "the registry database is corrupt or is not a database";
    Foreign => "foreign", "the database is not a pseudo registry";
    NoDataFolder => "no_data_folder", "`pseudo serve` and the CLI: the data folder is missing (run `pseudo init`)";
    FileMode => "file_mode", "a key file in the data folder is readable by others (chmod 600)";
    CorruptSettings => "corrupt_settings", "the data folder's settings file cannot be read";
    TooNew => "too_new", "the registry was written by a newer version of pseudo (its schema is newer)";
    Unavailable => "unavailable", "the registry database is unreachable (PostgreSQL); try again later";
    Conflict => "conflict", "a concurrent registry write conflicted (PostgreSQL); try again";
    BadUrl => "bad_url", "the PostgreSQL connection string is not valid";
    BadRegistry => "bad_registry", "the registry location is not a `postgres://` URL";
    NoPostgres => "no_postgres", "this build has no PostgreSQL registry (feature `postgres`)";
    NoTls => "no_tls", "this build has no TLS to PostgreSQL (feature `postgres-tls`)";
    BadCa => "bad_ca", "the registry's CA certificate is not valid PEM";
    NotEmpty => "not_empty", "`registry copy` or `init --registry`: the registry already holds records";
    NoKeyVersion => "no_key_version", "the token carries no key version (`kv`, `src.kv`): it predates key versions, reissue it";
    UnknownKeyVersion => "unknown_key_version", "the key version is not held by this engine (retired, or not installed yet)";
    KeyVersionInUse => "key_version_in_use", "a project is still bound to this key version: rewrap or wait for its retention end";
    KeyVersionMismatch => "key_version_mismatch", "the token request's key version is not the project's";
    SameKeyVersion => "same_key_version", "the project is already bound to that key version";
    NotRewrappable => "not_rewrappable", "only level-1 or level-2 reverse tokens of a reversible project can rewrap";
    NotDeterministic => "not_deterministic", "lookup needs `same` treatment: `different` pseudonyms cannot be recomputed";
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error type of this crate.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    detail: Option<Detail>,
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
    pub fn with_detail(kind: ErrorKind, detail: Detail, message: impl Into<String>) -> Self {
        Error { kind, detail: Some(detail), message: message.into(), items: Vec::new() }
    }

    /// The [`ErrorKind::BatchFailed`] error of a strict batch whose `items` failed (ascending by
    /// index). A face that runs one caller's input as several batches (chunks, missing values
    /// left out) reports the failures at the caller's positions with it.
    pub fn batch(items: Vec<ItemFailure>) -> Self {
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
        self.detail.map(Detail::as_str)
    }

    /// The sub-code as the typed [`Detail`], when there is one.
    pub fn detail_code(&self) -> Option<Detail> {
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

    #[test]
    fn batch_error_names_the_failures_and_no_value() {
        let items = vec![
            ItemFailure { index: 7, code: ItemCode::EmptyValue },
            ItemFailure { index: 9, code: ItemCode::TooLong },
        ];
        let e = Error::batch(items.clone());
        assert_eq!(e.kind(), ErrorKind::BatchFailed);
        assert_eq!(e.item_failures(), &items[..]);
        assert_eq!(e.message(), "2 item(s) of the batch failed (first: item 7: empty_value); nothing was returned");
    }
}
