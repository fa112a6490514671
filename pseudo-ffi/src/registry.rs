//! The authority's registry: projects, collaborators, requests, the issuing policy, records of
//! issued tokens, access tokens, their lifecycle and the audit log.
//!
//! Records come out as owned objects (`pseudo_request`, `pseudo_token_list`,
//! `pseudo_access_token_list`, `pseudo_audit_list`) read through `#[repr(C)]` views whose text
//! pointers borrow from the object until it is freed. No record ever holds a secret; the one
//! secret, an access token's, lives in `pseudo_new_access_token` and is wiped when it is freed.

use std::ffi::{c_char, CString};
use std::fmt;
use std::ptr;
use std::sync::Arc;
use std::time::Duration;

use pseudo_core::registry::{
    AccessKind, AccessTokenRecord, Collaborator, IssueKind, MemoryStore, NewAccessToken, NewProject, Principal,
    Project, Registry, RegistryOptions, Request, RequestStatus, Retention, Role, TokenRecord, TokenStatusKind,
};
use pseudo_core::{AuditEvent, OrgId, ProjectConfig, ProjectId, TokenType};
use zeroize::Zeroizing;

use crate::authority::{format, method, org, pseudo_authority, pseudo_project_config, pseudo_token, treatment};
use crate::enums::*;

use crate::keys::{boxed, free_box};
use crate::status::{guard, guard_value, handle, out_check, pseudo_status, put, text, timestamp, Fail, FfiResult};

/// Who acts on the registry. The host authenticates people (or uses
/// `pseudo_registry_authenticate`); the registry trusts what it is told. Strings are borrowed,
/// NUL-terminated UTF-8.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_principal {
    /// The user or service-account id (not empty); it becomes the `sub` of tokens issued to it.
    pub id: *const c_char,
    /// The organisation's UUID as text, e.g. `"6f1c2f9e-3d1a-4f7e-9a51-0c2b8d7e4a10"` (hyphenated,
    /// simple, braced and `urn:uuid:` forms are accepted; records give it back hyphenated, lower case).
    pub organisation: *const c_char,
    /// A `PSEUDO_ROLE_*` value.
    pub role: pseudo_role,
}

/// A new project. Strings are borrowed, NUL-terminated UTF-8.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_new_project {
    /// The project id: 1 to 128 printable ASCII characters.
    pub id: *const c_char,
    /// Display name: 1 to 256 characters, no control characters.
    pub name: *const c_char,
    /// A `PSEUDO_METHOD_*` value; fixed for ever.
    pub method: pseudo_method,
    /// A `PSEUDO_TREATMENT_*` value; fixed for ever.
    pub treatment: pseudo_treatment,
    /// A `PSEUDO_FORMAT_*` value; fixed for ever.
    pub format: pseudo_output_format,
    /// Retention, counted from creation (at least one day in all, at most 200 years): it fixes the
    /// retention end, which can never be extended.
    pub retention_years: u32,
    /// Months of retention (31 Jan + 1 month = end of February).
    pub retention_months: u32,
    /// Days of retention.
    pub retention_days: u32,
}

/// Which token to issue for an approved request. Strings are borrowed, NUL-terminated UTF-8.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_issue_request {
    /// The approved request's id.
    pub request: *const c_char,
    /// A `PSEUDO_TOKEN_*` value (`PSEUDONYMISE`, `SECONDARY`, `REVERSE_LEVEL1`, `REVERSE_LEVEL2`).
    pub kind: pseudo_token_kind,
    /// A name for the token record: 1 to 256 characters, no control characters.
    pub name: *const c_char,
    /// How long the token is valid, in seconds (≥ 1); capped at the project's retention end.
    pub lifetime_seconds: u64,
    /// For `SECONDARY` and `REVERSE_LEVEL2`: the source project id; NULL otherwise.
    pub source_project: *const c_char,
    /// For `SECONDARY` and `REVERSE_LEVEL2`: the source organisation's UUID (the source project's
    /// owner or one of its collaborators); NULL otherwise.
    pub source_organisation: *const c_char,
}

/// A request, read with `pseudo_request_get`; its history with `pseudo_request_history_get`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_request_record {
    /// The request id (pass it to `pseudo_registry_decide_request` and the issue request).
    pub id: *const c_char,
    /// The project id.
    pub project: *const c_char,
    /// The requesting organisation's UUID.
    pub organisation: *const c_char,
    /// Who submitted it.
    pub requester: *const c_char,
    /// The dataset it is for.
    pub dataset: *const c_char,
    /// A `PSEUDO_REQUEST_*` value.
    pub status: pseudo_request_status,
    /// The number of history events (at least 1: the submission).
    pub history_len: usize,
}

/// One step of a request's history.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_request_event {
    /// When, Unix seconds.
    pub time: i64,
    /// Who (principal id).
    pub actor: *const c_char,
    /// The status after this step (a `PSEUDO_REQUEST_*` value).
    pub status: pseudo_request_status,
    /// The administrator's comment; NULL when none was given.
    pub comment: *const c_char,
}

/// The record of an issued operation token (never the token's text).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_token_record {
    /// The token id (`jti`): the handle for revoke, restore and delete.
    pub jti: *const c_char,
    /// A `PSEUDO_TOKEN_TYPE_*` value.
    pub token_type: pseudo_token_type,
    /// The name chosen at issue.
    pub name: *const c_char,
    /// The project id.
    pub project: *const c_char,
    /// The request it serves.
    pub request: *const c_char,
    /// The holder (`sub`).
    pub holder: *const c_char,
    /// The holder's organisation UUID.
    pub organisation: *const c_char,
    /// Issue instant, Unix seconds.
    pub created: i64,
    /// Expiry (`exp`), Unix seconds.
    pub expires: i64,
    /// A `PSEUDO_RECORD_*` value.
    pub status: pseudo_record_status,
    /// Whether the token was ever used successfully; when false, `last_used` is 0 ("not used").
    pub used: bool,
    /// The last successful use, Unix seconds (valid when `used`).
    pub last_used: i64,
}

/// The record of an access token (never its secret: the store keeps only a hash).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_access_token_record {
    /// The access token's id (not secret): the handle for revoke, restore and delete.
    pub id: *const c_char,
    /// A `PSEUDO_ACCESS_*` value.
    pub kind: pseudo_access_kind,
    /// The name chosen at creation.
    pub name: *const c_char,
    /// The principal it authenticates (the user, or the service account).
    pub principal: *const c_char,
    /// That principal's organisation UUID.
    pub organisation: *const c_char,
    /// Who made it.
    pub created_by: *const c_char,
    /// Creation instant, Unix seconds.
    pub created: i64,
    /// Expiry, Unix seconds.
    pub expires: i64,
    /// A `PSEUDO_RECORD_*` value.
    pub status: pseudo_record_status,
    /// Whether it ever authenticated; when false, `last_used` is 0 ("not used").
    pub used: bool,
    /// The last authentication, Unix seconds (valid when `used`).
    pub last_used: i64,
}

/// One engine call or registry event, as the audit log keeps it. Never holds a data value or a
/// secret. Registry events (`operation` from `PSEUDO_OPERATION_REKEY` on; name it with
/// `pseudo_operation_name`) record changes made, so their `status` is `PSEUDO_OK`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_audit_event {
    /// When the call or change was made, Unix seconds.
    pub time: i64,
    /// The token id; NULL when the token did not verify. For a registry event on a token: its
    /// `jti`, or the access token's id.
    pub jti: *const c_char,
    /// The token holder; NULL when the token did not verify. For a registry event: who made
    /// the change.
    pub subject: *const c_char,
    /// The project; NULL when the token did not verify, and for registry events on access
    /// tokens and key retirement.
    pub project: *const c_char,
    /// A `PSEUDO_OPERATION_*` value.
    pub operation: pseudo_operation,
    /// The number of items in the batch; 0 for a registry event, but the number of revoked
    /// tokens of a `PSEUDO_OPERATION_REKEY`.
    pub items: usize,
    /// The number of items that failed (per-item batches).
    pub failed_items: usize,
    /// The call's outcome: `PSEUDO_OK`, or the status it failed with.
    pub status: pseudo_status,
    /// The failure's stable snake_case code (the wire error code); NULL on success.
    pub error_code: *const c_char,
}

/// The registry. Thread-safe: every function takes it `const` and any number of threads may use
/// one handle at once (writes are serialised inside). Engines made with
/// `pseudo_engine_new_with_registry` share it, so it may be freed before them.
pub struct pseudo_registry {
    pub(crate) inner: Arc<Registry>,
}

impl fmt::Debug for pseudo_registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// A request and its history (a snapshot: it does not follow later changes). Immutable.
#[derive(Debug)]
pub struct pseudo_request {
    id: CString,
    project: CString,
    organisation: CString,
    requester: CString,
    dataset: CString,
    token_type: Option<TokenType>,
    status: pseudo_request_status,
    history: Vec<OwnedEvent>,
}

#[derive(Debug)]
struct OwnedEvent {
    time: i64,
    actor: CString,
    status: pseudo_request_status,
    comment: Option<CString>,
}

/// Token records (never a token's text), oldest first. Immutable: may be read from several threads.
#[derive(Debug)]
pub struct pseudo_token_list {
    items: Vec<OwnedTokenRecord>,
}

#[derive(Debug)]
struct OwnedTokenRecord {
    jti: CString,
    token_type: pseudo_token_type,
    name: CString,
    project: CString,
    request: CString,
    holder: CString,
    organisation: CString,
    created: i64,
    expires: i64,
    status: pseudo_record_status,
    last_used: Option<i64>,
}

/// Access-token records (never a secret), oldest first. Immutable.
#[derive(Debug)]
pub struct pseudo_access_token_list {
    items: Vec<OwnedAccessRecord>,
}

#[derive(Debug)]
struct OwnedAccessRecord {
    id: CString,
    kind: pseudo_access_kind,
    name: CString,
    principal: CString,
    organisation: CString,
    created_by: CString,
    created: i64,
    expires: i64,
    status: pseudo_record_status,
    last_used: Option<i64>,
}

/// Audit events, oldest first. Immutable.
#[derive(Debug)]
pub struct pseudo_audit_list {
    items: Vec<OwnedAuditEvent>,
}

#[derive(Debug)]
struct OwnedAuditEvent {
    time: i64,
    jti: Option<CString>,
    subject: Option<CString>,
    project: Option<CString>,
    operation: pseudo_operation,
    items: usize,
    failed_items: usize,
    status: pseudo_status,
    error_code: Option<CString>,
}

/// A new access token: its record and its SECRET, shown this once (the registry keeps only a
/// hash). The secret is wiped when the object is freed.
pub struct pseudo_new_access_token {
    /// The secret followed by a NUL.
    secret: Zeroizing<Vec<u8>>,
    record: OwnedAccessRecord,
}

impl fmt::Debug for pseudo_new_access_token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("pseudo_new_access_token").field("record", &self.record).finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions

/// Text from the store as C text. Stored text is checked on the way in and never holds a NUL;
/// one that does comes from a damaged store.
fn c(s: &str) -> FfiResult<CString> {
    CString::new(s).map_err(|_| Fail::new(pseudo_status::PSEUDO_STORAGE, "a stored record holds a NUL byte"))
}

fn c_opt(s: Option<&str>) -> FfiResult<Option<CString>> {
    s.map(c).transpose()
}

fn ptr_of(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

fn org_text(o: &OrgId) -> FfiResult<CString> {
    c(&o.hyphenated().to_string())
}

fn role(v: pseudo_role) -> FfiResult<Role> {
    match v {
        PSEUDO_ROLE_USER => Ok(Role::User),
        PSEUDO_ROLE_ADMIN => Ok(Role::Admin),
        PSEUDO_ROLE_SERVICE_ACCOUNT => Ok(Role::ServiceAccount),
        _ => Err(Fail::invalid("`role` is not a PSEUDO_ROLE_* value")),
    }
}

fn access_kind(v: pseudo_access_kind) -> FfiResult<AccessKind> {
    match v {
        PSEUDO_ACCESS_PERSONAL => Ok(AccessKind::Personal),
        PSEUDO_ACCESS_SERVICE => Ok(AccessKind::Service),
        _ => Err(Fail::invalid("`kind` is not a PSEUDO_ACCESS_* value")),
    }
}

fn request_status(s: RequestStatus) -> pseudo_request_status {
    match s {
        RequestStatus::Pending => PSEUDO_REQUEST_PENDING,
        RequestStatus::Approved => PSEUDO_REQUEST_APPROVED,
        RequestStatus::Rejected => PSEUDO_REQUEST_REJECTED,
    }
}

fn record_status(s: TokenStatusKind) -> pseudo_record_status {
    match s {
        TokenStatusKind::Active => PSEUDO_RECORD_ACTIVE,
        TokenStatusKind::Revoked => PSEUDO_RECORD_REVOKED,
    }
}

#[allow(unreachable_patterns)] // a token type newer than this C API
fn token_type(t: TokenType) -> pseudo_token_type {
    match t {
        TokenType::Psn => PSEUDO_TOKEN_TYPE_PSN,
        TokenType::Sec => PSEUDO_TOKEN_TYPE_SEC,
        TokenType::Rev => PSEUDO_TOKEN_TYPE_REV,
        _ => PSEUDO_TOKEN_TYPE_UNKNOWN,
    }
}

/// A `PSEUDO_TOKEN_TYPE_*` value as the core's type (`PSEUDO_TOKEN_TYPE_UNKNOWN` is no type).
fn core_token_type(t: pseudo_token_type) -> FfiResult<TokenType> {
    match t {
        PSEUDO_TOKEN_TYPE_PSN => Ok(TokenType::Psn),
        PSEUDO_TOKEN_TYPE_SEC => Ok(TokenType::Sec),
        PSEUDO_TOKEN_TYPE_REV => Ok(TokenType::Rev),
        _ => Err(Fail::invalid("the token type is PSEUDO_TOKEN_TYPE_PSN, _SEC or _REV")),
    }
}

fn config_out(c: &ProjectConfig) -> pseudo_project_config {
    use pseudo_core::{Method, OutputFormat, Treatment};
    pseudo_project_config {
        method: match c.method {
            Method::Reversible => PSEUDO_METHOD_REVERSIBLE,
            Method::NotReversible => PSEUDO_METHOD_NOT_REVERSIBLE,
        },
        retention_end: c.retention_end.unix(),
        treatment: match c.treatment {
            Treatment::Same => PSEUDO_TREATMENT_SAME,
            Treatment::Different => PSEUDO_TREATMENT_DIFFERENT,
        },
        format: match c.format {
            OutputFormat::Base64url => PSEUDO_FORMAT_BASE64URL,
            OutputFormat::Hex => PSEUDO_FORMAT_HEX,
            OutputFormat::Base32 => PSEUDO_FORMAT_BASE32,
        },
    }
}

/// # Safety
/// `p` is NULL or a valid struct whose strings are NULL or NUL-terminated.
unsafe fn principal(p: *const pseudo_principal, name: &str) -> FfiResult<Principal> {
    // SAFETY: forwarded contract.
    let p = unsafe { handle(p, name) }?;
    // SAFETY: forwarded contract.
    let id = unsafe { text(p.id, &format!("{name}->id")) }?;
    // SAFETY: forwarded contract.
    let organisation = org(unsafe { text(p.organisation, &format!("{name}->organisation")) }?)?;
    if id.is_empty() {
        return Err(Fail::new(pseudo_status::PSEUDO_INVALID_INPUT, format!("`{name}->id` is empty")));
    }
    Ok(Principal { id: id.to_owned(), organisation, role: role(p.role)? })
}

fn project_id(s: &str) -> FfiResult<ProjectId> {
    Ok(ProjectId::new(s)?)
}

fn owned_request(r: &Request) -> FfiResult<pseudo_request> {
    Ok(pseudo_request {
        id: c(&r.id)?,
        project: c(r.project.as_str())?,
        organisation: org_text(&r.organisation)?,
        requester: c(&r.requester)?,
        dataset: c(&r.dataset)?,
        token_type: r.token_type,
        status: request_status(r.status),
        history: r
            .history
            .iter()
            .map(|e| {
                Ok(OwnedEvent {
                    time: e.time.unix(),
                    actor: c(&e.actor)?,
                    status: request_status(e.status),
                    comment: c_opt(e.comment.as_deref())?,
                })
            })
            .collect::<FfiResult<_>>()?,
    })
}

fn owned_token(t: &TokenRecord) -> FfiResult<OwnedTokenRecord> {
    Ok(OwnedTokenRecord {
        jti: c(&t.jti)?,
        token_type: token_type(t.token_type),
        name: c(&t.name)?,
        project: c(t.project.as_str())?,
        request: c(&t.request)?,
        holder: c(&t.holder)?,
        organisation: org_text(&t.organisation)?,
        created: t.created.unix(),
        expires: t.expires.unix(),
        status: record_status(t.status),
        last_used: t.last_used.map(|u| u.unix()),
    })
}

fn owned_access(a: &AccessTokenRecord) -> FfiResult<OwnedAccessRecord> {
    Ok(OwnedAccessRecord {
        id: c(&a.id)?,
        kind: match a.kind {
            AccessKind::Personal => PSEUDO_ACCESS_PERSONAL,
            AccessKind::Service => PSEUDO_ACCESS_SERVICE,
        },
        name: c(&a.name)?,
        principal: c(&a.principal)?,
        organisation: org_text(&a.organisation)?,
        created_by: c(&a.created_by)?,
        created: a.created.unix(),
        expires: a.expires.unix(),
        status: record_status(a.status),
        last_used: a.last_used.map(|u| u.unix()),
    })
}

/// The `PSEUDO_OPERATION_*` number of an operation (exhaustive: a new core operation fails this
/// build until it has a number).
fn c_operation(op: pseudo_core::Operation) -> pseudo_operation {
    match op {
        pseudo_core::Operation::Pseudonymise => PSEUDO_OPERATION_PSEUDONYMISE,
        pseudo_core::Operation::Reverse => PSEUDO_OPERATION_REVERSE,
        pseudo_core::Operation::Rewrap => PSEUDO_OPERATION_REWRAP,
        pseudo_core::Operation::Lookup => PSEUDO_OPERATION_LOOKUP,
        pseudo_core::Operation::Rekey => PSEUDO_OPERATION_REKEY,
        pseudo_core::Operation::RetireKey => PSEUDO_OPERATION_RETIRE_KEY,
        pseudo_core::Operation::IssueToken => PSEUDO_OPERATION_ISSUE_TOKEN,
        pseudo_core::Operation::RevokeToken => PSEUDO_OPERATION_REVOKE_TOKEN,
        pseudo_core::Operation::RestoreToken => PSEUDO_OPERATION_RESTORE_TOKEN,
        pseudo_core::Operation::DeleteToken => PSEUDO_OPERATION_DELETE_TOKEN,
        pseudo_core::Operation::CreateAccessToken => PSEUDO_OPERATION_CREATE_ACCESS_TOKEN,
        pseudo_core::Operation::RevokeAccessToken => PSEUDO_OPERATION_REVOKE_ACCESS_TOKEN,
        pseudo_core::Operation::RestoreAccessToken => PSEUDO_OPERATION_RESTORE_ACCESS_TOKEN,
        pseudo_core::Operation::DeleteAccessToken => PSEUDO_OPERATION_DELETE_ACCESS_TOKEN,
    }
}

/// The name of a `PSEUDO_OPERATION_*` value as the audit log, the REST API and Python spell it
/// (`"pseudonymise"`, `"reverse"`, `"issue_token"`, `"revoke_access_token"`, ...), as static
/// NUL-terminated text; NULL for a number this library does not know. Never freed. Thread-safe.
#[no_mangle]
pub extern "C" fn pseudo_operation_name(op: pseudo_operation) -> *const c_char {
    static NAMES: std::sync::OnceLock<Vec<CString>> = std::sync::OnceLock::new();
    // The C numbers are the core's order (pinned by a test below), so the core's table serves.
    let names = NAMES.get_or_init(|| {
        pseudo_core::Operation::ALL.iter().map(|o| CString::new(o.as_str()).unwrap_or_default()).collect()
    });
    usize::try_from(op).ok().and_then(|i| names.get(i)).map_or(ptr::null(), |c| c.as_ptr())
}

fn owned_audit(e: &AuditEvent) -> FfiResult<OwnedAuditEvent> {
    Ok(OwnedAuditEvent {
        time: e.time.unix(),
        jti: c_opt(e.jti.as_deref())?,
        subject: c_opt(e.subject.as_deref())?,
        project: c_opt(e.project.as_deref())?,
        operation: c_operation(e.operation),
        items: e.items,
        failed_items: e.failed_items,
        status: e.error.map_or(pseudo_status::PSEUDO_OK, pseudo_status::from_kind),
        error_code: c_opt(e.error.map(|k| k.code()))?,
    })
}

impl OwnedTokenRecord {
    fn view(&self) -> pseudo_token_record {
        pseudo_token_record {
            jti: self.jti.as_ptr(),
            token_type: self.token_type,
            name: self.name.as_ptr(),
            project: self.project.as_ptr(),
            request: self.request.as_ptr(),
            holder: self.holder.as_ptr(),
            organisation: self.organisation.as_ptr(),
            created: self.created,
            expires: self.expires,
            status: self.status,
            used: self.last_used.is_some(),
            last_used: self.last_used.unwrap_or(0),
        }
    }
}

impl OwnedAccessRecord {
    fn view(&self) -> pseudo_access_token_record {
        pseudo_access_token_record {
            id: self.id.as_ptr(),
            kind: self.kind,
            name: self.name.as_ptr(),
            principal: self.principal.as_ptr(),
            organisation: self.organisation.as_ptr(),
            created_by: self.created_by.as_ptr(),
            created: self.created,
            expires: self.expires,
            status: self.status,
            used: self.last_used.is_some(),
            last_used: self.last_used.unwrap_or(0),
        }
    }
}

impl OwnedAuditEvent {
    fn view(&self) -> pseudo_audit_event {
        pseudo_audit_event {
            time: self.time,
            jti: ptr_of(&self.jti),
            subject: ptr_of(&self.subject),
            project: ptr_of(&self.project),
            operation: self.operation,
            items: self.items,
            failed_items: self.failed_items,
            status: self.status,
            error_code: ptr_of(&self.error_code),
        }
    }
}

fn index_error(index: usize, len: usize) -> Fail {
    Fail::new(pseudo_status::PSEUDO_INDEX_OUT_OF_RANGE, format!("index {index} is past the end of a list of {len}"))
}

/// The checked registry and acting principal: the common head of the write calls.
///
/// # Safety
/// `registry` is NULL or a live handle; `actor` as [`principal`].
unsafe fn reg_actor<'a>(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    name: &str,
) -> FfiResult<(&'a Registry, Principal)> {
    let registry = arg!(handle registry);
    // SAFETY: forwarded contract.
    let actor = unsafe { principal(actor, name) }?;
    Ok((&registry.inner, actor))
}

// ---------------------------------------------------------------------------------------------
// Opening

fn registry_options(revocation_staleness_ms: u64) -> RegistryOptions {
    RegistryOptions {
        revocation_staleness: Duration::from_millis(revocation_staleness_ms),
        ..RegistryOptions::default()
    }
}

/// Opens (or creates) the registry in the SQLite file at `path` (NUL-terminated UTF-8): WAL
/// journal, foreign keys, schema migrations. `revocation_staleness_ms`: how long an engine may
/// rely on an earlier check that a token is active; 0 (recommended) reads the store on every
/// call, so a revoke is refused by the very next call after it returned.
///
/// On success `*out` receives a new handle the caller frees with `pseudo_registry_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_STORAGE` (cannot be
/// opened, not a registry, corrupt: detail `corrupt`, or of a newer schema).
///
/// # Safety
/// `path` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_open(
    path: *const c_char,
    revocation_staleness_ms: u64,
    out: *mut *mut pseudo_registry,
) -> pseudo_status {
    guard(|| {
        let path = arg!(text path);
        out_check(out, "out")?;
        let inner = Registry::open_sqlite(path, registry_options(revocation_staleness_ms))?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_registry { inner: Arc::new(inner) })) };
        Ok(())
    })
}

/// A new, empty registry held in memory (tests, demos): gone when the last handle or engine
/// using it is freed. `revocation_staleness_ms` as `pseudo_registry_open`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_new_in_memory(
    revocation_staleness_ms: u64,
    out: *mut *mut pseudo_registry,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        let inner = Registry::new(Arc::new(MemoryStore::new()), registry_options(revocation_staleness_ms));
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_registry { inner: Arc::new(inner) })) };
        Ok(())
    })
}

/// `pseudo_registry_open` (a non-NULL `path`) or `pseudo_registry_new_in_memory` (a NULL
/// `path`) for an authority whose engine's primary key version is `primary_key_version`: new
/// projects are bound to it. The other two open functions use version 1.
///
/// Returns as `pseudo_registry_open`, and `PSEUDO_INVALID_INPUT` for version 0.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_open_with_key_version(
    path: *const c_char,
    revocation_staleness_ms: u64,
    primary_key_version: u16,
    out: *mut *mut pseudo_registry,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        if primary_key_version == 0 {
            return Err(Fail::new(pseudo_status::PSEUDO_INVALID_INPUT, "key versions start at 1"));
        }
        let options = RegistryOptions { primary_key_version, ..registry_options(revocation_staleness_ms) };
        let inner = if path.is_null() {
            Registry::new(Arc::new(MemoryStore::new()), options)
        } else {
            Registry::open_sqlite(arg!(text path), options)?
        };
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_registry { inner: Arc::new(inner) })) };
        Ok(())
    })
}

/// Writes the key version project `project` is bound to (its tokens' `kv`) to `*out`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_INPUT`,
/// `PSEUDO_NOT_FOUND`, `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `project` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_project_key_version(
    registry: *const pseudo_registry,
    project: *const c_char,
    out: *mut u16,
) -> pseudo_status {
    // SAFETY: forwarded contract.
    unsafe { project_out(registry, project, out, |p| p.key_version) }
}

/// The body of the project getters: looks project `project` up and writes `field` of it to `*out`.
///
/// # Safety
/// `registry` is NULL or a live handle; `project` is NULL or NUL-terminated; `out` is NULL or
/// writable.
unsafe fn project_out<T>(
    registry: *const pseudo_registry,
    project: *const c_char,
    out: *mut T,
    field: impl FnOnce(&Project) -> T,
) -> pseudo_status {
    guard(|| {
        let reg = arg!(handle registry);
        let id = project_id(arg!(text project))?;
        out_check(out, "out")?;
        let p = reg.inner.project(&id)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, field(&p)) };
        Ok(())
    })
}

/// Moves project `project` to key version `version` as of `now` (administrators only): its
/// tokens are revoked, the move is audited; rewrap its pseudonyms afterwards with a new reverse
/// token (`pseudo_engine_call` with `PSEUDO_OPERATION_REWRAP`). The engine must hold `version`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_INPUT`,
/// `PSEUDO_NOT_FOUND`, `PSEUDO_PERMISSION_DENIED` (detail `not_admin`), `PSEUDO_INVALID_STATE`
/// (detail `same_key_version`), `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `actor` is NULL or a valid struct; `project` is NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_rekey_project(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    project: *const c_char,
    version: u16,
    now: i64,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        let id = project_id(arg!(text project))?;
        reg.rekey_project(&actor, &id, version, timestamp(now))?;
        Ok(())
    })
}

/// Records the retirement of key `version` as of `now` (administrators only), refused while a
/// project is bound to it (`PSEUDO_INVALID_STATE`, detail `key_version_in_use`); then remove it
/// from the engine with `pseudo_engine_retire_key_version`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_PERMISSION_DENIED`,
/// `PSEUDO_INVALID_STATE`, `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `actor` is NULL or a valid struct.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_retire_key_version(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    version: u16,
    now: i64,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        reg.retire_key_version(&actor, version, timestamp(now))?;
        Ok(())
    })
}

/// Frees a registry handle (engines wired to it keep the registry open until they are freed).
/// NULL is a no-op; freeing twice, or while another thread uses the handle, is undefined.
///
/// # Safety
/// `registry` is NULL or a handle from this library not freed yet and not in use.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_free(registry: *mut pseudo_registry) {
    // SAFETY: forwarded contract.
    unsafe { free_box(registry) }
}

/// Writes the registry's buffered last-use notes and audit events now (engine calls buffer them
/// for up to 100 ms and write them in one transaction; reading token records or the audit log,
/// and freeing the last handle, flush too). Call it before a planned shutdown that does not free
/// the registry.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_flush(registry: *const pseudo_registry) -> pseudo_status {
    guard(|| {
        let reg = arg!(handle registry);
        reg.inner.flush()?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Projects and requests

/// Creates a project owned by `actor`'s organisation as of `now` (Unix seconds); its retention
/// end is fixed now, for ever. `*out_config` (may be NULL) receives the project's configuration,
/// retention end included, as tokens carry it.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT`
/// (an enumeration value), `PSEUDO_INVALID_INPUT` (bad id, name, organisation, zero or over-long
/// retention), `PSEUDO_PERMISSION_DENIED` (a service account), `PSEUDO_INVALID_STATE` (the id is
/// taken), `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `actor` and `project` are NULL or valid structs;
/// `out_config` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_create_project(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    project: *const pseudo_new_project,
    now: i64,
    out_config: *mut pseudo_project_config,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        let p = arg!(handle project);
        let new = NewProject {
            // SAFETY: forwarded contract.
            id: project_id(unsafe { text(p.id, "project->id") }?)?,
            // SAFETY: forwarded contract.
            name: unsafe { text(p.name, "project->name") }?.to_owned(),
            method: method(p.method)?,
            retention: Retention { years: p.retention_years, months: p.retention_months, days: p.retention_days },
            treatment: treatment(p.treatment)?,
            format: format(p.format)?,
        };
        let made = reg.create_project(&actor, new, timestamp(now))?;
        if !out_config.is_null() {
            // SAFETY: non-NULL; writable by contract.
            unsafe { put(out_config, config_out(&made.config)) };
        }
        Ok(())
    })
}

/// Writes project `project`'s configuration (as its tokens carry it) to `*out`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_INPUT`
/// (not a project id), `PSEUDO_NOT_FOUND`, `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `project` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_project_config(
    registry: *const pseudo_registry,
    project: *const c_char,
    out: *mut pseudo_project_config,
) -> pseudo_status {
    // SAFETY: forwarded contract.
    unsafe { project_out(registry, project, out, |p| config_out(&p.config)) }
}

/// Adds (or updates) collaborator `organisation` (UUID text) of project `project`, with or
/// without the right to receive reverse tokens. `actor` is the owning organisation's user or an
/// administrator.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT`,
/// `PSEUDO_INVALID_INPUT`, `PSEUDO_NOT_FOUND`, `PSEUDO_PERMISSION_DENIED` (detail
/// `not_project_owner`), `PSEUDO_INVALID_STATE` (detail `request_pending`: a request of the
/// project awaits a decision), `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `actor` is NULL or a valid struct; `project` and
/// `organisation` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_add_collaborator(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    project: *const c_char,
    organisation: *const c_char,
    can_reverse: bool,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        let id = project_id(arg!(text project))?;
        let organisation = org(arg!(text organisation))?;
        reg.add_collaborator(&actor, &id, Collaborator { organisation, can_reverse })?;
        Ok(())
    })
}

/// `actor`, of a collaborating organisation, submits a request for `dataset` (1 to 256
/// characters) in `project` at `now`.
///
/// On success `*out` receives the new request; read its id with `pseudo_request_get`, free it
/// with `pseudo_request_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT`,
/// `PSEUDO_INVALID_INPUT`, `PSEUDO_NOT_FOUND` (no such project), `PSEUDO_ISSUE_REFUSED` (detail
/// `not_a_collaborator`), `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `actor` is NULL or a valid struct; `project` and
/// `dataset` are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_submit_request(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    project: *const c_char,
    dataset: *const c_char,
    now: i64,
    out: *mut *mut pseudo_request,
) -> pseudo_status {
    // SAFETY: forwarded contract; a NULL token type is "not said".
    unsafe { pseudo_registry_submit_request_for(registry, actor, project, dataset, ptr::null(), now, out) }
}

/// `pseudo_registry_submit_request`, saying which token type is wanted: `*token_type` is a
/// `PSEUDO_TOKEN_TYPE_PSN`, `_SEC` or `_REV` value, or `token_type` is NULL (not said). The
/// administrator who decides sees it; a token of another type can still be issued for the
/// approved request, under the same rules. Read it back with `pseudo_request_token_type`.
///
/// Returns as `pseudo_registry_submit_request`, and `PSEUDO_INVALID_ARGUMENT` for a value that
/// is not a token type.
///
/// # Safety
/// As `pseudo_registry_submit_request`; `token_type` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_submit_request_for(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    project: *const c_char,
    dataset: *const c_char,
    token_type: *const pseudo_token_type,
    now: i64,
    out: *mut *mut pseudo_request,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        let id = project_id(arg!(text project))?;
        let dataset = arg!(text dataset);
        // SAFETY: NULL or readable by contract.
        let wanted = match unsafe { token_type.as_ref() } {
            None => None,
            Some(t) => Some(core_token_type(*t)?),
        };
        let r = owned_request(&reg.submit_request_for(&actor, &id, dataset, wanted, timestamp(now))?)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(r)) };
        Ok(())
    })
}

/// The token type `request` wants: `*said` false when the request did not say (then `*out` is
/// left as it was), else true with `*out` a `PSEUDO_TOKEN_TYPE_*` value.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `request` is NULL or a live handle; `said` and `out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_request_token_type(
    request: *const pseudo_request,
    said: *mut bool,
    out: *mut pseudo_token_type,
) -> pseudo_status {
    guard(|| {
        let r = arg!(handle request);
        out_check(said, "said")?;
        out_check(out, "out")?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(said, r.token_type.is_some()) };
        if let Some(t) = r.token_type {
            // SAFETY: checked non-NULL; writable by contract.
            unsafe { put(out, token_type(t)) };
        }
        Ok(())
    })
}

/// An administrator approves (`approve` true) or rejects a pending request at `now`, with an
/// optional `comment` (NULL, or 1 to 2000 characters) kept in its history.
///
/// On success `*out` (may be NULL: then nothing is returned) receives the updated request, which
/// the caller frees with `pseudo_request_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT`,
/// `PSEUDO_INVALID_INPUT`, `PSEUDO_NOT_FOUND`, `PSEUDO_PERMISSION_DENIED` (detail `not_admin`),
/// `PSEUDO_INVALID_STATE` (detail `request_decided`), `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `admin` is NULL or a valid struct; `request` is NULL or
/// NUL-terminated; `comment` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_decide_request(
    registry: *const pseudo_registry,
    admin: *const pseudo_principal,
    request: *const c_char,
    approve: bool,
    comment: *const c_char,
    now: i64,
    out: *mut *mut pseudo_request,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, admin) = unsafe { reg_actor(registry, admin, "admin") }?;
        let id = arg!(text request);
        let comment = arg!(opt_text comment);
        let r = reg.decide_request(&admin, id, approve, comment, timestamp(now))?;
        if !out.is_null() {
            let r = owned_request(&r)?;
            // SAFETY: non-NULL; writable by contract.
            unsafe { put(out, boxed(r)) };
        }
        Ok(())
    })
}

/// Looks up request `request` (its id).
///
/// On success `*out` receives a snapshot the caller frees with `pseudo_request_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_NOT_FOUND`,
/// `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `request` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_request(
    registry: *const pseudo_registry,
    request: *const c_char,
    out: *mut *mut pseudo_request,
) -> pseudo_status {
    guard(|| {
        let reg = arg!(handle registry);
        let id = arg!(text request);
        out_check(out, "out")?;
        let r = owned_request(&reg.inner.request(id)?)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(r)) };
        Ok(())
    })
}

/// Writes the request's fields to `*out`; its strings borrow from `request` until
/// `pseudo_request_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `request` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_request_get(
    request: *const pseudo_request,
    out: *mut pseudo_request_record,
) -> pseudo_status {
    guard(|| {
        let r = arg!(handle request);
        out_check(out, "out")?;
        let info = pseudo_request_record {
            id: r.id.as_ptr(),
            project: r.project.as_ptr(),
            organisation: r.organisation.as_ptr(),
            requester: r.requester.as_ptr(),
            dataset: r.dataset.as_ptr(),
            status: r.status,
            history_len: r.history.len(),
        };
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, info) };
        Ok(())
    })
}

/// Writes step `index` (0 = the submission) of the request's history to `*out`; its strings
/// borrow from `request` until `pseudo_request_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INDEX_OUT_OF_RANGE`.
///
/// # Safety
/// `request` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_request_history_get(
    request: *const pseudo_request,
    index: usize,
    out: *mut pseudo_request_event,
) -> pseudo_status {
    guard(|| {
        let r = arg!(handle request);
        out_check(out, "out")?;
        let e = r.history.get(index).ok_or_else(|| index_error(index, r.history.len()))?;
        let view = pseudo_request_event {
            time: e.time,
            actor: e.actor.as_ptr(),
            status: e.status,
            comment: ptr_of(&e.comment),
        };
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, view) };
        Ok(())
    })
}

/// Frees a request snapshot. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `request` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_request_free(request: *mut pseudo_request) {
    // SAFETY: forwarded contract.
    unsafe { free_box(request) }
}

// ---------------------------------------------------------------------------------------------
// Operation tokens

/// # Safety
/// `r`'s strings are NULL or NUL-terminated.
unsafe fn issue_kind(r: &pseudo_issue_request) -> FfiResult<IssueKind> {
    // C names the two reverse levels apart; the source rules are the core's (IssueKind::new).
    let (token_type, with_source) = match r.kind {
        PSEUDO_TOKEN_PSEUDONYMISE => (TokenType::Psn, false),
        PSEUDO_TOKEN_SECONDARY => (TokenType::Sec, true),
        PSEUDO_TOKEN_REVERSE_LEVEL1 => (TokenType::Rev, false),
        PSEUDO_TOKEN_REVERSE_LEVEL2 => (TokenType::Rev, true),
        _ => return Err(Fail::invalid("`kind` is not a PSEUDO_TOKEN_* value")),
    };
    let source = if with_source {
        // SAFETY: forwarded contract.
        let p = project_id(unsafe { text(r.source_project, "issue->source_project") }?)?;
        // SAFETY: forwarded contract.
        let o = org(unsafe { text(r.source_organisation, "issue->source_organisation") }?)?;
        Some((p, o))
    } else if r.source_project.is_null() && r.source_organisation.is_null() {
        None
    } else {
        return Err(Fail::invalid("this token kind takes no source: set both source fields to NULL"));
    };
    Ok(IssueKind::new(token_type, source)?)
}

/// Issues a token for an approved request to `actor` (a member of the requesting organisation;
/// the token's `sub` is `actor->id`) as of `now`: checks every rule of the issuing policy, signs
/// with `authority`, records the token by `jti` under `issue->name`. Thread-safe.
///
/// On success `*out` receives the token (its text is shown this once: the registry keeps only the
/// record), freed with `pseudo_token_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT` (a required pointer or string, a missing source of
/// a `SECONDARY`/`REVERSE_LEVEL2` token), `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT`
/// (unknown kind or role, a source given to a token that takes none), `PSEUDO_INVALID_INPUT`
/// (name, ids, zero lifetime), `PSEUDO_NOT_FOUND` (no such request), `PSEUDO_PERMISSION_DENIED`
/// (detail `not_requester`: `actor` is not of the requesting organisation),
/// `PSEUDO_ISSUE_REFUSED` with its detail: `request_not_approved` (pending or rejected),
/// `not_a_collaborator`, `cannot_reverse` (a reverse token without `can_reverse`),
/// `not_reversible` (a reverse token for a not-reversible project), `retention_ended`,
/// `unknown_source`, `unknown_source_organisation`; `PSEUDO_STORAGE`, `PSEUDO_INTERNAL`.
///
/// # Safety
/// `registry` and `authority` are NULL or live handles; `actor` and `issue` are NULL or valid
/// structs; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_issue_token(
    registry: *const pseudo_registry,
    authority: *const pseudo_authority,
    actor: *const pseudo_principal,
    issue: *const pseudo_issue_request,
    now: i64,
    out: *mut *mut pseudo_token,
) -> pseudo_status {
    guard(|| {
        let authority = arg!(handle authority);
        out_check(out, "out")?;
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        let issue = arg!(handle issue);
        // SAFETY: forwarded contract.
        let request = unsafe { text(issue.request, "issue->request") }?;
        // SAFETY: forwarded contract.
        let name = unsafe { text(issue.name, "issue->name") }?;
        // SAFETY: forwarded contract.
        let kind = unsafe { issue_kind(issue) }?;
        let lifetime = Duration::from_secs(issue.lifetime_seconds);
        let issued = reg.issue_token(&authority.inner, &actor, request, kind, name, lifetime, timestamp(now))?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_token::from_issued(issued))) };
        Ok(())
    })
}

/// Every operation-token record (never a token's text), oldest first.
///
/// On success `*out` receives a list the caller frees with `pseudo_token_list_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_tokens(
    registry: *const pseudo_registry,
    out: *mut *mut pseudo_token_list,
) -> pseudo_status {
    guard(|| {
        let reg = arg!(handle registry);
        out_check(out, "out")?;
        let items = reg.inner.tokens()?.iter().map(owned_token).collect::<FfiResult<_>>()?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_token_list { items })) };
        Ok(())
    })
}

/// The record of token `jti`, as a list of exactly one.
///
/// On success `*out` receives a list the caller frees with `pseudo_token_list_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_NOT_FOUND` (never
/// issued, or deleted), `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `jti` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_token(
    registry: *const pseudo_registry,
    jti: *const c_char,
    out: *mut *mut pseudo_token_list,
) -> pseudo_status {
    guard(|| {
        let reg = arg!(handle registry);
        let jti = arg!(text jti);
        out_check(out, "out")?;
        let items = vec![owned_token(&reg.inner.token(jti)?)?];
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_token_list { items })) };
        Ok(())
    })
}

/// Revokes token `jti`: engines wired to the registry refuse it (`PSEUDO_TOKEN_REVOKED`) from the
/// next call on. `actor` is its holder or an administrator. Revoking a revoked token changes
/// nothing.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT`,
/// `PSEUDO_INVALID_INPUT`, `PSEUDO_NOT_FOUND`, `PSEUDO_PERMISSION_DENIED` (detail `not_holder`),
/// `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `actor` is NULL or a valid struct; `jti` is NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_revoke_token(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    jti: *const c_char,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        reg.revoke_token(&actor, arg!(text jti))?;
        Ok(())
    })
}

/// Restores revoked token `jti` as of `now`. Only a revoked, unexpired token can be restored.
///
/// Returns the statuses of `pseudo_registry_revoke_token`, and `PSEUDO_INVALID_STATE` with
/// detail `not_revoked` (it is active) or `expired`; a deleted token is `PSEUDO_NOT_FOUND`.
///
/// # Safety
/// As `pseudo_registry_revoke_token`.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_restore_token(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    jti: *const c_char,
    now: i64,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        reg.restore_token(&actor, arg!(text jti), timestamp(now))?;
        Ok(())
    })
}

/// Deletes the record of revoked token `jti`; engines keep refusing it (unknown tokens are
/// refused).
///
/// Returns the statuses of `pseudo_registry_revoke_token`, and `PSEUDO_INVALID_STATE` with
/// detail `active` (revoke it first).
///
/// # Safety
/// As `pseudo_registry_revoke_token`.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_delete_token(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    jti: *const c_char,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        reg.delete_token(&actor, arg!(text jti))?;
        Ok(())
    })
}

/// The number of records in the list. 0 for NULL.
///
/// # Safety
/// `list` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_token_list_len(list: *const pseudo_token_list) -> usize {
    guard_value(0, || {
        // SAFETY: forwarded contract.
        unsafe { list.as_ref() }.map_or(0, |l| l.items.len())
    })
}

/// Writes record `index` to `*out`; its strings borrow from `list` until `pseudo_token_list_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INDEX_OUT_OF_RANGE`.
///
/// # Safety
/// `list` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_token_list_get(
    list: *const pseudo_token_list,
    index: usize,
    out: *mut pseudo_token_record,
) -> pseudo_status {
    guard(|| {
        let l = arg!(handle list);
        out_check(out, "out")?;
        let r = l.items.get(index).ok_or_else(|| index_error(index, l.items.len()))?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, r.view()) };
        Ok(())
    })
}

/// Frees a token list. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `list` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_token_list_free(list: *mut pseudo_token_list) {
    // SAFETY: forwarded contract.
    unsafe { free_box(list) }
}

// ---------------------------------------------------------------------------------------------
// Access tokens

/// Makes an access token named `name` (1 to 256 characters) valid for `lifetime_seconds` (≥ 1)
/// from `now`. `PSEUDO_ACCESS_PERSONAL`: `actor` (a user or administrator, not a service
/// account) makes one for themselves; `service_account` must be NULL. `PSEUDO_ACCESS_SERVICE`:
/// only an administrator, for `service_account` (whose role is `PSEUDO_ROLE_SERVICE_ACCOUNT`).
///
/// On success `*out` receives the record and the SECRET, shown this once (`pseudo_pat_...` or
/// `pseudo_sat_...`, with a checksum so secret scanners recognise it); the registry keeps only a
/// hash. Free it with `pseudo_new_access_token_free`, which wipes the secret.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT` (including `service_account` for a service token),
/// `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT`, `PSEUDO_INVALID_INPUT` (name, zero
/// lifetime, a service account named for a personal token, a service token for a principal who
/// is not a service account), `PSEUDO_PERMISSION_DENIED` (detail `not_admin`: a service token
/// by a non-administrator; `service_account`: a personal token by a service account),
/// `PSEUDO_STORAGE`, `PSEUDO_INTERNAL` (no randomness).
///
/// # Safety
/// `registry` is NULL or a live handle; `actor` and `service_account` are NULL or valid
/// structs; `name` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn pseudo_registry_create_access_token(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    kind: pseudo_access_kind,
    service_account: *const pseudo_principal,
    name: *const c_char,
    lifetime_seconds: u64,
    now: i64,
    out: *mut *mut pseudo_new_access_token,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        let kind = access_kind(kind)?;
        let name = arg!(text name);
        let account = match (kind, service_account.is_null()) {
            (AccessKind::Personal, true) => None,
            (AccessKind::Personal, false) => {
                return Err(Fail::new(
                    pseudo_status::PSEUDO_INVALID_INPUT,
                    "a personal token is for its maker: pass NULL as `service_account`",
                ))
            }
            // SAFETY: forwarded contract.
            (AccessKind::Service, _) => Some(unsafe { principal(service_account, "service_account") }?),
        };
        let made: NewAccessToken = reg.create_access_token(
            &actor,
            kind,
            account.as_ref(),
            name,
            Duration::from_secs(lifetime_seconds),
            timestamp(now),
        )?;
        let record = owned_access(&made.record)?;
        let mut secret = Zeroizing::new(Vec::with_capacity(made.secret.len() + 1));
        secret.extend_from_slice(made.secret.as_bytes());
        secret.push(0);
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_new_access_token { secret, record })) };
        Ok(())
    })
}

/// Borrows the new access token's SECRET: `*out_secret` points to NUL-terminated text owned by
/// `token` (valid until `pseudo_new_access_token_free`), `*out_len` is its length without the NUL.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `token` is NULL or a live handle; `out_secret` and `out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_new_access_token_secret(
    token: *const pseudo_new_access_token,
    out_secret: *mut *const c_char,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let t = arg!(handle token);
        out_check(out_secret, "out_secret")?;
        out_check(out_len, "out_len")?;
        // SAFETY: both checked non-NULL; writable by contract.
        unsafe {
            put(out_secret, t.secret.as_ptr().cast());
            put(out_len, t.secret.len() - 1);
        }
        Ok(())
    })
}

/// Writes the new access token's record to `*out`; its strings borrow from `token` until
/// `pseudo_new_access_token_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `token` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_new_access_token_record(
    token: *const pseudo_new_access_token,
    out: *mut pseudo_access_token_record,
) -> pseudo_status {
    guard(|| {
        let t = arg!(handle token);
        out_check(out, "out")?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, t.record.view()) };
        Ok(())
    })
}

/// Frees a new access token, wiping its secret. NULL is a no-op; freeing twice is undefined.
///
/// # Safety
/// `token` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_new_access_token_free(token: *mut pseudo_new_access_token) {
    // SAFETY: forwarded contract.
    unsafe { free_box(token) }
}

/// Authenticates a presented access-token `secret` at `now`: the prefix, length and checksum are
/// checked first, then the hash is looked up and compared in constant time; an active, unexpired
/// token's use is noted (last used = `now`).
///
/// On success `*out` receives a list of exactly one record (whose `principal` and `organisation`
/// say who is calling), freed with `pseudo_access_token_list_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_SECRET`
/// (wrong prefix or length, truncated, bad checksum), `PSEUDO_AUTHENTICATION_FAILED` (unknown,
/// revoked or expired), `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `secret` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_authenticate(
    registry: *const pseudo_registry,
    secret: *const c_char,
    now: i64,
    out: *mut *mut pseudo_access_token_list,
) -> pseudo_status {
    guard(|| {
        let reg = arg!(handle registry);
        let secret = arg!(text secret);
        out_check(out, "out")?;
        let items = vec![owned_access(&reg.inner.authenticate(secret, timestamp(now))?)?];
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_access_token_list { items })) };
        Ok(())
    })
}

/// Every access-token record (never a secret), oldest first.
///
/// On success `*out` receives a list the caller frees with `pseudo_access_token_list_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_access_tokens(
    registry: *const pseudo_registry,
    out: *mut *mut pseudo_access_token_list,
) -> pseudo_status {
    guard(|| {
        let reg = arg!(handle registry);
        out_check(out, "out")?;
        let items = reg.inner.access_tokens()?.iter().map(owned_access).collect::<FfiResult<_>>()?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_access_token_list { items })) };
        Ok(())
    })
}

/// Revokes access token `id`: it no longer authenticates. `actor` is its principal, its maker or
/// an administrator.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT`,
/// `PSEUDO_INVALID_INPUT`, `PSEUDO_NOT_FOUND`, `PSEUDO_PERMISSION_DENIED` (detail `not_holder`),
/// `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `actor` is NULL or a valid struct; `id` is NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_revoke_access_token(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    id: *const c_char,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        reg.revoke_access_token(&actor, arg!(text id))?;
        Ok(())
    })
}

/// Restores revoked access token `id` as of `now` (only a revoked, unexpired one).
///
/// Returns the statuses of `pseudo_registry_revoke_access_token`, and `PSEUDO_INVALID_STATE`
/// with detail `not_revoked` or `expired`; a deleted one is `PSEUDO_NOT_FOUND`.
///
/// # Safety
/// As `pseudo_registry_revoke_access_token`.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_restore_access_token(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    id: *const c_char,
    now: i64,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        reg.restore_access_token(&actor, arg!(text id), timestamp(now))?;
        Ok(())
    })
}

/// Deletes revoked access token `id`.
///
/// Returns the statuses of `pseudo_registry_revoke_access_token`, and `PSEUDO_INVALID_STATE`
/// with detail `active` (revoke it first).
///
/// # Safety
/// As `pseudo_registry_revoke_access_token`.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_delete_access_token(
    registry: *const pseudo_registry,
    actor: *const pseudo_principal,
    id: *const c_char,
) -> pseudo_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (reg, actor) = unsafe { reg_actor(registry, actor, "actor") }?;
        reg.delete_access_token(&actor, arg!(text id))?;
        Ok(())
    })
}

/// The number of records in the list. 0 for NULL.
///
/// # Safety
/// `list` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_access_token_list_len(list: *const pseudo_access_token_list) -> usize {
    guard_value(0, || {
        // SAFETY: forwarded contract.
        unsafe { list.as_ref() }.map_or(0, |l| l.items.len())
    })
}

/// Writes record `index` to `*out`; its strings borrow from `list` until
/// `pseudo_access_token_list_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INDEX_OUT_OF_RANGE`.
///
/// # Safety
/// `list` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_access_token_list_get(
    list: *const pseudo_access_token_list,
    index: usize,
    out: *mut pseudo_access_token_record,
) -> pseudo_status {
    guard(|| {
        let l = arg!(handle list);
        out_check(out, "out")?;
        let r = l.items.get(index).ok_or_else(|| index_error(index, l.items.len()))?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, r.view()) };
        Ok(())
    })
}

/// Frees an access-token list. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `list` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_access_token_list_free(list: *mut pseudo_access_token_list) {
    // SAFETY: forwarded contract.
    unsafe { free_box(list) }
}

// ---------------------------------------------------------------------------------------------
// Audit

/// The latest `limit` audit events (calls of engines wired to this registry, and the registry's
/// own changes: tokens and access tokens issued, revoked, restored, deleted; key versions), oldest
/// first.
///
/// On success `*out` receives a list the caller frees with `pseudo_audit_list_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_STORAGE`.
///
/// # Safety
/// `registry` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_registry_audit_events(
    registry: *const pseudo_registry,
    limit: usize,
    out: *mut *mut pseudo_audit_list,
) -> pseudo_status {
    guard(|| {
        let reg = arg!(handle registry);
        out_check(out, "out")?;
        let items = reg.inner.audit_events(limit)?.iter().map(owned_audit).collect::<FfiResult<_>>()?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_audit_list { items })) };
        Ok(())
    })
}

/// The number of events in the list. 0 for NULL.
///
/// # Safety
/// `list` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_audit_list_len(list: *const pseudo_audit_list) -> usize {
    guard_value(0, || {
        // SAFETY: forwarded contract.
        unsafe { list.as_ref() }.map_or(0, |l| l.items.len())
    })
}

/// Writes event `index` to `*out`; its strings borrow from `list` until `pseudo_audit_list_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INDEX_OUT_OF_RANGE`.
///
/// # Safety
/// `list` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_audit_list_get(
    list: *const pseudo_audit_list,
    index: usize,
    out: *mut pseudo_audit_event,
) -> pseudo_status {
    guard(|| {
        let l = arg!(handle list);
        out_check(out, "out")?;
        let e = l.items.get(index).ok_or_else(|| index_error(index, l.items.len()))?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, e.view()) };
        Ok(())
    })
}

/// Frees an audit list. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `list` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_audit_list_free(list: *mut pseudo_audit_list) {
    // SAFETY: forwarded contract.
    unsafe { free_box(list) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_numbers_are_the_core_order_and_append_only() {
        // The C numbers are the core's declaration order: a new operation goes last, in both.
        for (i, op) in pseudo_core::Operation::ALL.into_iter().enumerate() {
            assert_eq!(c_operation(op), i as pseudo_operation, "{}", op.as_str());
        }
        assert_eq!(PSEUDO_OPERATION_RETIRE_KEY, 5);
        assert_eq!(PSEUDO_OPERATION_DELETE_ACCESS_TOKEN, 13);
    }

    #[test]
    fn operation_names_are_the_core_names() {
        for op in pseudo_core::Operation::ALL {
            let name = pseudo_operation_name(c_operation(op));
            // SAFETY: a non-NULL answer is a static NUL-terminated string.
            assert_eq!(unsafe { std::ffi::CStr::from_ptr(name) }.to_str().unwrap(), op.as_str());
        }
        let past = pseudo_core::Operation::ALL.len() as pseudo_operation;
        assert!(pseudo_operation_name(past).is_null() && pseudo_operation_name(u32::MAX).is_null());
    }
}
