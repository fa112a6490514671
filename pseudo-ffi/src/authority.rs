//! The token authority: issues `psn`, `sec` and `rev` tokens from a project configuration.

use std::ffi::c_char;
use std::fmt;
use std::time::Duration;

use pseudo_core::{
    Authority, IssuedToken, Method, OrgId, OutputFormat, ProjectConfig, ProjectId, ReverseLevel, SigningKey, SourceRef,
    TokenKind, TokenRequest, Treatment,
};
use zeroize::Zeroizing;

use crate::enums::*;
use crate::keys::{boxed, free_box, pseudo_signing_key};
use crate::status::{guard, handle, out_check, pseudo_status, put, text, timestamp, Fail, FfiResult};

/// A project's configuration, carried in every token.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_project_config {
    /// A `PSEUDO_METHOD_*` value.
    pub method: pseudo_method,
    /// End of retention, Unix seconds: after it reversal is refused for ever and tokens expire.
    pub retention_end: i64,
    /// A `PSEUDO_TREATMENT_*` value.
    pub treatment: pseudo_treatment,
    /// A `PSEUDO_FORMAT_*` value.
    pub format: pseudo_output_format,
}

/// The source of a secondary (level-2) pseudonymisation: whose level-1 pseudonyms are accepted.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_source_ref {
    /// The source project id (NUL-terminated).
    pub project: *const c_char,
    /// The source organisation's UUID as text (NUL-terminated).
    pub organisation: *const c_char,
    /// The source project's `PSEUDO_METHOD_*`.
    pub method: pseudo_method,
    /// The source project's retention end, Unix seconds.
    pub retention_end: i64,
    /// The source project's `PSEUDO_FORMAT_*`.
    pub format: pseudo_output_format,
}

/// Everything a token carries. Every string is NUL-terminated UTF-8 and only borrowed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_token_request {
    /// A `PSEUDO_TOKEN_*` value.
    pub kind: pseudo_token_kind,
    /// Who the token is for (`sub`): 1 to 256 characters, no control characters.
    pub subject: *const c_char,
    /// The collaborator organisation's UUID as text (`org`).
    pub organisation: *const c_char,
    /// The project id (`prj`): 1 to 128 printable ASCII characters.
    pub project: *const c_char,
    /// The approved request id (`req`): 1 to 128 characters.
    pub request: *const c_char,
    /// The project's configuration.
    pub config: pseudo_project_config,
    /// How long the token is valid, in seconds (≥ 1); capped at the retention end.
    pub lifetime_seconds: u64,
    /// For `PSEUDO_TOKEN_SECONDARY` and `PSEUDO_TOKEN_REVERSE_LEVEL2`: the source; NULL otherwise.
    pub source: *const pseudo_source_ref,
}

/// Issues signed tokens. Safe to share across threads (every function takes it `const`).
pub struct pseudo_authority {
    pub(crate) inner: Authority,
}

impl fmt::Debug for pseudo_authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("pseudo_authority").field("issuer", &self.inner.issuer()).finish_non_exhaustive()
    }
}

/// A freshly issued token: the compact JWT (a bearer SECRET, wiped when freed), its id and expiry.
pub struct pseudo_token {
    /// The JWT followed by a NUL.
    text: Zeroizing<Vec<u8>>,
    /// The `jti` followed by a NUL.
    jti: Vec<u8>,
    expires_at: i64,
}

impl fmt::Debug for pseudo_token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("pseudo_token").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

impl pseudo_token {
    /// Takes the issued token's text (wiped when the handle is freed).
    pub(crate) fn from_issued(issued: IssuedToken) -> Self {
        let expires_at = issued.expires_at().unix();
        let mut jti = issued.jti().as_bytes().to_vec();
        jti.push(0);
        // Copied into a buffer sized for the NUL, so no reallocation leaves an unwiped copy behind.
        let token = Zeroizing::new(issued.into_token());
        let mut text = Zeroizing::new(Vec::with_capacity(token.len() + 1));
        text.extend_from_slice(token.as_bytes());
        text.push(0);
        pseudo_token { text, jti, expires_at }
    }
}

pub(crate) fn method(v: pseudo_method) -> FfiResult<Method> {
    match v {
        PSEUDO_METHOD_REVERSIBLE => Ok(Method::Reversible),
        PSEUDO_METHOD_NOT_REVERSIBLE => Ok(Method::NotReversible),
        _ => Err(Fail::invalid("`method` is not a PSEUDO_METHOD_* value")),
    }
}

pub(crate) fn treatment(v: pseudo_treatment) -> FfiResult<Treatment> {
    match v {
        PSEUDO_TREATMENT_SAME => Ok(Treatment::Same),
        PSEUDO_TREATMENT_DIFFERENT => Ok(Treatment::Different),
        _ => Err(Fail::invalid("`treatment` is not a PSEUDO_TREATMENT_* value")),
    }
}

pub(crate) fn format(v: pseudo_output_format) -> FfiResult<OutputFormat> {
    match v {
        PSEUDO_FORMAT_BASE64URL => Ok(OutputFormat::Base64url),
        PSEUDO_FORMAT_HEX => Ok(OutputFormat::Hex),
        PSEUDO_FORMAT_BASE32 => Ok(OutputFormat::Base32),
        _ => Err(Fail::invalid("`format` is not a PSEUDO_FORMAT_* value")),
    }
}

pub(crate) fn org(s: &str) -> FfiResult<OrgId> {
    OrgId::parse_str(s).map_err(|_| Fail::new(pseudo_status::PSEUDO_INVALID_INPUT, "an organisation is a UUID"))
}

/// # Safety
/// `src` is NULL or points to a valid struct whose strings are NULL or NUL-terminated.
unsafe fn source(src: *const pseudo_source_ref) -> FfiResult<SourceRef> {
    // SAFETY: forwarded contract.
    let s = unsafe { handle(src, "request->source") }?;
    Ok(SourceRef {
        // SAFETY: forwarded contract.
        project: ProjectId::new(unsafe { text(s.project, "source->project") }?)?,
        // SAFETY: forwarded contract.
        organisation: org(unsafe { text(s.organisation, "source->organisation") }?)?,
        method: method(s.method)?,
        retention_end: timestamp(s.retention_end),
        format: format(s.format)?,
        key_version: None,
    })
}

/// # Safety
/// `r`'s pointers are NULL or valid as documented on `pseudo_token_request`.
unsafe fn token_request(r: &pseudo_token_request) -> FfiResult<TokenRequest> {
    let no_source = |name: &str| {
        if r.source.is_null() {
            Ok(())
        } else {
            Err(Fail::invalid(format!("a {name} token takes no `source`: set it to NULL")))
        }
    };
    let kind = match r.kind {
        PSEUDO_TOKEN_PSEUDONYMISE => {
            no_source("pseudonymisation")?;
            TokenKind::Pseudonymise
        }
        // SAFETY: forwarded contract.
        PSEUDO_TOKEN_SECONDARY => TokenKind::Secondary(unsafe { source(r.source) }?),
        PSEUDO_TOKEN_REVERSE_LEVEL1 => {
            no_source("level-1 reverse")?;
            TokenKind::Reverse(ReverseLevel::Level1)
        }
        // SAFETY: forwarded contract.
        PSEUDO_TOKEN_REVERSE_LEVEL2 => TokenKind::Reverse(ReverseLevel::Level2(unsafe { source(r.source) }?)),
        _ => return Err(Fail::invalid("`kind` is not a PSEUDO_TOKEN_* value")),
    };
    Ok(TokenRequest {
        kind,
        // SAFETY: forwarded contract.
        subject: unsafe { text(r.subject, "request->subject") }?.to_owned(),
        // SAFETY: forwarded contract.
        organisation: org(unsafe { text(r.organisation, "request->organisation") }?)?,
        // SAFETY: forwarded contract.
        project: ProjectId::new(unsafe { text(r.project, "request->project") }?)?,
        // SAFETY: forwarded contract.
        request: unsafe { text(r.request, "request->request") }?.to_owned(),
        config: ProjectConfig {
            method: method(r.config.method)?,
            retention_end: timestamp(r.config.retention_end),
            treatment: treatment(r.config.treatment)?,
            format: format(r.config.format)?,
        },
        lifetime: Duration::from_secs(r.lifetime_seconds),
        key_version: None,
    })
}

/// A new authority signing with a copy of `key` for tokens from `issuer` (`iss`) to `audience`
/// (`aud`). `key` stays owned by the caller.
///
/// On success `*out` receives a new handle the caller frees with `pseudo_authority_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_INPUT`
/// (empty issuer or audience).
///
/// # Safety
/// `key` is NULL or a live handle; `issuer` and `audience` are NULL or NUL-terminated; `out` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_authority_new(
    key: *const pseudo_signing_key,
    issuer: *const c_char,
    audience: *const c_char,
    out: *mut *mut pseudo_authority,
) -> pseudo_status {
    // SAFETY: forwarded contract; version 1 is `Authority::new`'s own.
    unsafe { pseudo_authority_new_with_key_version(key, issuer, audience, 1, out) }
}

/// `pseudo_authority_new` for an engine whose primary key version is `key_version` (1–65535):
/// tokens name it (`kv`) when their request names none. `pseudo_authority_new` uses version 1.
/// Key versions came after `pseudo_token_request` was published: this function and
/// `pseudo_authority_issue_for_version` carry them without changing that struct's layout.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_INPUT`
/// (empty issuer or audience, version 0).
///
/// # Safety
/// As `pseudo_authority_new`.
#[no_mangle]
pub unsafe extern "C" fn pseudo_authority_new_with_key_version(
    key: *const pseudo_signing_key,
    issuer: *const c_char,
    audience: *const c_char,
    key_version: u16,
    out: *mut *mut pseudo_authority,
) -> pseudo_status {
    guard(|| {
        let key = arg!(handle key);
        let issuer = arg!(text issuer);
        let audience = arg!(text audience);
        out_check(out, "out")?;
        let copy = SigningKey::from_pkcs8_der(&key.inner.to_pkcs8_der())?;
        let inner = Authority::new(copy, issuer, audience)?.with_key_version(key_version)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_authority { inner })) };
        Ok(())
    })
}

/// `pseudo_authority_issue` for a project bound to key version `key_version` (its `kv` claim)
/// and, for a secondary or level-2 reverse token, a source bound to `source_key_version`
/// (`src.kv`). 0 for either means the authority's own version.
///
/// Returns as `pseudo_authority_issue`.
///
/// # Safety
/// As `pseudo_authority_issue`.
#[no_mangle]
pub unsafe extern "C" fn pseudo_authority_issue_for_version(
    authority: *const pseudo_authority,
    request: *const pseudo_token_request,
    key_version: u16,
    source_key_version: u16,
    now: i64,
    out: *mut *mut pseudo_token,
) -> pseudo_status {
    guard(|| {
        let authority = arg!(handle authority);
        let request = arg!(handle request);
        out_check(out, "out")?;
        // SAFETY: forwarded contract.
        let mut request = unsafe { token_request(request) }?;
        let named = |v: u16| (v != 0).then_some(v);
        request.key_version = named(key_version);
        match &mut request.kind {
            TokenKind::Secondary(s) | TokenKind::Reverse(ReverseLevel::Level2(s)) => {
                s.key_version = named(source_key_version)
            }
            _ => {}
        }
        let issued = authority.inner.issue_at(&request, timestamp(now))?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_token::from_issued(issued))) };
        Ok(())
    })
}

/// Issues a token for `request` as of `now` (Unix seconds). Thread-safe.
///
/// On success `*out` receives a new token the caller frees with `pseudo_token_free`. The token
/// text is shown once: the authority keeps no copy.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT` (any required pointer, including the request's
/// strings and a missing `source`), `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT` (unknown
/// enumeration value, `source` given where none is taken), `PSEUDO_INVALID_INPUT` (bad subject,
/// project, request, organisation or zero lifetime), `PSEUDO_ISSUE_REFUSED` (retention ended,
/// reverse token for a not-reversible project, secondary source equal to the project),
/// `PSEUDO_INTERNAL`.
///
/// # Safety
/// `authority` is NULL or a live handle; `request` is NULL or a valid struct; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_authority_issue(
    authority: *const pseudo_authority,
    request: *const pseudo_token_request,
    now: i64,
    out: *mut *mut pseudo_token,
) -> pseudo_status {
    // SAFETY: forwarded contract; version 0 is the authority's own, for the project and a source.
    unsafe { pseudo_authority_issue_for_version(authority, request, 0, 0, now, out) }
}

/// Frees an authority, wiping its signing key. NULL is a no-op; freeing twice is undefined.
///
/// # Safety
/// `authority` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_authority_free(authority: *mut pseudo_authority) {
    // SAFETY: forwarded contract.
    unsafe { free_box(authority) }
}

/// Borrows the token's compact JWT: `*out_text` points to NUL-terminated text owned by `token`
/// (valid until `pseudo_token_free`), `*out_len` is its length without the NUL. SECRET.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `token` is NULL or a live handle; `out_text` and `out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_token_text(
    token: *const pseudo_token,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let token = arg!(handle token);
        out_check(out_text, "out_text")?;
        out_check(out_len, "out_len")?;
        // SAFETY: both checked non-NULL; writable by contract.
        unsafe {
            put(out_text, token.text.as_ptr().cast());
            put(out_len, token.text.len() - 1);
        }
        Ok(())
    })
}

/// Borrows the token's id (`jti`, the handle for revocation): NUL-terminated text owned by
/// `token`, valid until `pseudo_token_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `token` is NULL or a live handle; `out_jti` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_token_jti(token: *const pseudo_token, out_jti: *mut *const c_char) -> pseudo_status {
    guard(|| {
        let token = arg!(handle token);
        out_check(out_jti, "out_jti")?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out_jti, token.jti.as_ptr().cast()) };
        Ok(())
    })
}

/// Writes the token's expiry (`exp`, Unix seconds) to `*out`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `token` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_token_expires_at(token: *const pseudo_token, out: *mut i64) -> pseudo_status {
    guard(|| {
        let token = arg!(handle token);
        out_check(out, "out")?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, token.expires_at) };
        Ok(())
    })
}

/// Frees a token, wiping its text. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `token` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_token_free(token: *mut pseudo_token) {
    // SAFETY: forwarded contract.
    unsafe { free_box(token) }
}
