//! Status codes, the panic boundary, the thread's last error and the argument checks every
//! exported function shares.

use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pseudo_core::ErrorKind;

/// The result of every fallible function. The numbers are stable: a value is never renumbered
/// or reused, new ones are only added.
///
/// * 0: success.
/// * 1–99: problems with the C call itself (a NULL pointer, text that is not UTF-8, a buffer too
///   small, an argument out of range, a caught panic).
/// * 100–199: the library's error kinds (a bad token, a bad key, a failed batch, ...).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
#[must_use]
pub enum pseudo_status {
    /// Success.
    PSEUDO_OK = 0,
    /// A required pointer argument was NULL.
    PSEUDO_NULL_ARGUMENT = 1,
    /// A text argument or a batch value is not valid UTF-8.
    PSEUDO_INVALID_UTF8 = 2,
    /// The caller's buffer is too small; the length output says how many bytes are needed.
    PSEUDO_BUFFER_TOO_SMALL = 3,
    /// An argument is out of range: an unknown enumeration value, a length that does not match
    /// its pointer, a zero limit.
    PSEUDO_INVALID_ARGUMENT = 4,
    /// The index is not below the batch's length.
    PSEUDO_INDEX_OUT_OF_RANGE = 5,
    /// This item of a per-item batch failed: it has no value (see `pseudo_batch_item_status`).
    PSEUDO_ITEM_FAILED = 6,
    /// A panic was caught at the C boundary (a bug in the library: please report it). The
    /// process is unharmed; handles passed to the call remain valid to free.
    PSEUDO_PANIC = 7,
    /// The token is not a well-formed compact JWS.
    PSEUDO_MALFORMED_TOKEN = 100,
    /// The token is larger than the configured maximum.
    PSEUDO_TOKEN_TOO_LARGE = 101,
    /// The token's header names an algorithm other than the pinned EdDSA.
    PSEUDO_UNSUPPORTED_ALGORITHM = 102,
    /// The token's `kid` names no known verifying key.
    PSEUDO_UNKNOWN_KEY = 103,
    /// The token's `typ` is not one of this library's token types.
    PSEUDO_WRONG_TOKEN_TYPE = 104,
    /// The token's signature does not verify.
    PSEUDO_INVALID_SIGNATURE = 105,
    /// The token has expired.
    PSEUDO_TOKEN_EXPIRED = 106,
    /// The token is not valid yet.
    PSEUDO_TOKEN_NOT_YET_VALID = 107,
    /// The token's issuer is not the expected one.
    PSEUDO_WRONG_ISSUER = 108,
    /// The token's audience is not the expected one.
    PSEUDO_WRONG_AUDIENCE = 109,
    /// A claim of the token is missing or breaks a rule.
    PSEUDO_INVALID_CLAIMS = 110,
    /// The token is valid but not for this operation (e.g. a reverse token to pseudonymise).
    PSEUDO_WRONG_OPERATION = 111,
    /// The token was revoked.
    PSEUDO_TOKEN_REVOKED = 112,
    /// The project's retention has ended: reversal is refused for ever.
    PSEUDO_RETENTION_ENDED = 113,
    /// Key material is malformed, too short, of an unknown version or unreadable.
    PSEUDO_INVALID_KEY = 114,
    /// The authority refuses to issue this token.
    PSEUDO_ISSUE_REFUSED = 115,
    /// The input is invalid (an empty batch, a bad project id, subject or configuration value).
    PSEUDO_INVALID_INPUT = 116,
    /// A request body is not what the wire format expects.
    PSEUDO_BAD_REQUEST = 117,
    /// A size limit was exceeded; nothing was processed.
    PSEUDO_LIMIT_EXCEEDED = 118,
    /// The content type is not supported.
    PSEUDO_UNSUPPORTED_MEDIA_TYPE = 119,
    /// One or more items of a strict batch failed; nothing was returned.
    PSEUDO_BATCH_FAILED = 120,
    /// Reading or writing a file failed.
    PSEUDO_IO = 121,
    /// An internal invariant failed (please report it).
    PSEUDO_INTERNAL = 122,
    /// A registry record (project, request, token, access token) does not exist.
    PSEUDO_NOT_FOUND = 123,
    /// The record is not in a state that allows this (deleting an active token, restoring an
    /// expired one, adding a collaborator while a request is pending, deciding a decided request).
    PSEUDO_INVALID_STATE = 124,
    /// The acting principal may not do this (a service token made by a non-administrator, a
    /// request decided by a non-administrator, someone else's token revoked).
    PSEUDO_PERMISSION_DENIED = 125,
    /// An access-token secret is unknown, revoked or expired.
    PSEUDO_AUTHENTICATION_FAILED = 126,
    /// An access-token secret is malformed: wrong prefix, length or checksum (a typo or truncation).
    PSEUDO_INVALID_SECRET = 127,
    /// The registry's storage failed or is corrupt.
    PSEUDO_STORAGE = 128,
    /// An error kind newer than this build of the C API knows.
    PSEUDO_UNKNOWN_ERROR = 199,
}

use pseudo_status::*;

impl pseudo_status {
    /// Every status, for the message table and the tests.
    pub(crate) const ALL: [pseudo_status; 38] = [
        PSEUDO_OK,
        PSEUDO_NULL_ARGUMENT,
        PSEUDO_INVALID_UTF8,
        PSEUDO_BUFFER_TOO_SMALL,
        PSEUDO_INVALID_ARGUMENT,
        PSEUDO_INDEX_OUT_OF_RANGE,
        PSEUDO_ITEM_FAILED,
        PSEUDO_PANIC,
        PSEUDO_MALFORMED_TOKEN,
        PSEUDO_TOKEN_TOO_LARGE,
        PSEUDO_UNSUPPORTED_ALGORITHM,
        PSEUDO_UNKNOWN_KEY,
        PSEUDO_WRONG_TOKEN_TYPE,
        PSEUDO_INVALID_SIGNATURE,
        PSEUDO_TOKEN_EXPIRED,
        PSEUDO_TOKEN_NOT_YET_VALID,
        PSEUDO_WRONG_ISSUER,
        PSEUDO_WRONG_AUDIENCE,
        PSEUDO_INVALID_CLAIMS,
        PSEUDO_WRONG_OPERATION,
        PSEUDO_TOKEN_REVOKED,
        PSEUDO_RETENTION_ENDED,
        PSEUDO_INVALID_KEY,
        PSEUDO_ISSUE_REFUSED,
        PSEUDO_INVALID_INPUT,
        PSEUDO_BAD_REQUEST,
        PSEUDO_LIMIT_EXCEEDED,
        PSEUDO_UNSUPPORTED_MEDIA_TYPE,
        PSEUDO_BATCH_FAILED,
        PSEUDO_IO,
        PSEUDO_INTERNAL,
        PSEUDO_NOT_FOUND,
        PSEUDO_INVALID_STATE,
        PSEUDO_PERMISSION_DENIED,
        PSEUDO_AUTHENTICATION_FAILED,
        PSEUDO_INVALID_SECRET,
        PSEUDO_STORAGE,
        PSEUDO_UNKNOWN_ERROR,
    ];

    /// The status of a core error kind. A kind added to pseudo-core lands in the last arm until
    /// it is given its own number here.
    pub(crate) fn from_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::MalformedToken => PSEUDO_MALFORMED_TOKEN,
            ErrorKind::TokenTooLarge => PSEUDO_TOKEN_TOO_LARGE,
            ErrorKind::UnsupportedAlgorithm => PSEUDO_UNSUPPORTED_ALGORITHM,
            ErrorKind::UnknownKey => PSEUDO_UNKNOWN_KEY,
            ErrorKind::WrongTokenType => PSEUDO_WRONG_TOKEN_TYPE,
            ErrorKind::InvalidSignature => PSEUDO_INVALID_SIGNATURE,
            ErrorKind::Expired => PSEUDO_TOKEN_EXPIRED,
            ErrorKind::NotYetValid => PSEUDO_TOKEN_NOT_YET_VALID,
            ErrorKind::WrongIssuer => PSEUDO_WRONG_ISSUER,
            ErrorKind::WrongAudience => PSEUDO_WRONG_AUDIENCE,
            ErrorKind::InvalidClaims => PSEUDO_INVALID_CLAIMS,
            ErrorKind::WrongOperation => PSEUDO_WRONG_OPERATION,
            ErrorKind::Revoked => PSEUDO_TOKEN_REVOKED,
            ErrorKind::RetentionEnded => PSEUDO_RETENTION_ENDED,
            ErrorKind::InvalidKey => PSEUDO_INVALID_KEY,
            ErrorKind::IssueRefused => PSEUDO_ISSUE_REFUSED,
            ErrorKind::InvalidInput => PSEUDO_INVALID_INPUT,
            ErrorKind::BadRequest => PSEUDO_BAD_REQUEST,
            ErrorKind::LimitExceeded => PSEUDO_LIMIT_EXCEEDED,
            ErrorKind::UnsupportedMediaType => PSEUDO_UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::BatchFailed => PSEUDO_BATCH_FAILED,
            ErrorKind::Io => PSEUDO_IO,
            ErrorKind::Internal => PSEUDO_INTERNAL,
            ErrorKind::NotFound => PSEUDO_NOT_FOUND,
            ErrorKind::InvalidState => PSEUDO_INVALID_STATE,
            ErrorKind::PermissionDenied => PSEUDO_PERMISSION_DENIED,
            ErrorKind::AuthenticationFailed => PSEUDO_AUTHENTICATION_FAILED,
            ErrorKind::InvalidSecret => PSEUDO_INVALID_SECRET,
            ErrorKind::Storage => PSEUDO_STORAGE,
        }
    }

    /// A fixed description of the status (never holds data or secrets).
    pub(crate) fn message(self) -> &'static str {
        match self {
            PSEUDO_OK => "success",
            PSEUDO_NULL_ARGUMENT => "a required pointer argument was NULL",
            PSEUDO_INVALID_UTF8 => "a text argument is not valid UTF-8",
            PSEUDO_BUFFER_TOO_SMALL => "the buffer is too small; the length output holds the size needed",
            PSEUDO_INVALID_ARGUMENT => "an argument is out of range",
            PSEUDO_INDEX_OUT_OF_RANGE => "the index is past the end of the batch",
            PSEUDO_ITEM_FAILED => "this item of the batch failed",
            PSEUDO_PANIC => "an internal panic was caught (please report it)",
            PSEUDO_UNKNOWN_ERROR => "an error this version of the C API does not know",
            // Every status of a core error kind: the core's one-line summary of that kind.
            other => match ErrorKind::ALL.into_iter().find(|k| Self::from_kind(*k) == other) {
                Some(k) => k.summary(),
                None => "an error this version of the C API does not know",
            },
        }
    }

    pub(crate) fn from_u32(v: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| *s as u32 == v)
    }
}

/// Why a call failed: a status and a message for `pseudo_last_error_message`.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) status: pseudo_status,
    pub(crate) message: String,
    /// The core's stable sub-code, for `pseudo_last_error_detail`.
    pub(crate) detail: Option<&'static str>,
}

impl Fail {
    pub(crate) fn new(status: pseudo_status, message: impl Into<String>) -> Self {
        Fail { status, message: message.into(), detail: None }
    }

    pub(crate) fn null(name: &str) -> Self {
        Fail::new(PSEUDO_NULL_ARGUMENT, format!("argument `{name}` is NULL"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Fail::new(PSEUDO_INVALID_ARGUMENT, message)
    }
}

impl From<pseudo_core::Error> for Fail {
    fn from(e: pseudo_core::Error) -> Self {
        // Core messages never hold secrets or data values (pseudo-core's error contract).
        Fail { status: pseudo_status::from_kind(e.kind()), message: e.to_string(), detail: e.detail() }
    }
}

pub(crate) type FfiResult<T = ()> = Result<T, Fail>;

/// The calling thread's last failure: its message and the core's sub-code, if any.
struct LastError {
    message: String,
    detail: Option<&'static str>,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = const { RefCell::new(LastError { message: String::new(), detail: None }) };
}

fn set_last_error(message: &str, detail: Option<&'static str>) {
    // `try_with`: during thread teardown the slot may be gone; losing the message is harmless.
    let _ = LAST_ERROR.try_with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            m.message.clear();
            m.message.push_str(message);
            m.detail = detail;
        }
    });
}

pub(crate) fn with_last_error<R>(f: impl FnOnce(&str) -> R) -> R {
    let msg =
        LAST_ERROR.try_with(|m| m.try_borrow().map(|s| s.message.clone()).unwrap_or_default()).unwrap_or_default();
    f(&msg)
}

/// The sub-code of the calling thread's last failure (`""` when it had none).
pub(crate) fn last_error_detail() -> &'static str {
    LAST_ERROR.try_with(|m| m.try_borrow().ok().and_then(|s| s.detail)).ok().flatten().unwrap_or("")
}

const PANIC_MESSAGE: &str = "an internal panic was caught at the C boundary (please report it)";

/// The panic boundary of every fallible function: runs `f`, turns its failure or a panic into a
/// status and records the message for `pseudo_last_error_message`.
pub(crate) fn guard(f: impl FnOnce() -> FfiResult) -> pseudo_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => PSEUDO_OK,
        Ok(Err(fail)) => {
            set_last_error(&fail.message, fail.detail);
            fail.status
        }
        Err(_) => {
            // The payload is not copied: a panic message could quote data.
            set_last_error(PANIC_MESSAGE, None);
            PSEUDO_PANIC
        }
    }
}

/// The panic boundary of the message functions: they must not overwrite the last error they
/// are asked to report.
pub(crate) fn guard_quiet(f: impl FnOnce() -> FfiResult) -> pseudo_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => PSEUDO_OK,
        Ok(Err(fail)) => fail.status,
        Err(_) => PSEUDO_PANIC,
    }
}

/// The panic boundary of infallible functions (getters, frees): a panic yields `fallback`.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

// ---------------------------------------------------------------------------------------------
// Argument checks

/// A borrowed handle.
///
/// # Safety
/// `p` is NULL or points to a live `T` made by this library.
pub(crate) unsafe fn handle<'a, T>(p: *const T, name: &str) -> FfiResult<&'a T> {
    // SAFETY: the caller guarantees a non-NULL `p` points to a live `T`.
    unsafe { p.as_ref() }.ok_or_else(|| Fail::null(name))
}

/// A borrowed mutable handle.
///
/// # Safety
/// `p` is NULL or points to a live `T` made by this library, used by no other thread.
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T, name: &str) -> FfiResult<&'a mut T> {
    // SAFETY: the caller guarantees a non-NULL `p` points to a live `T` not aliased elsewhere.
    unsafe { p.as_mut() }.ok_or_else(|| Fail::null(name))
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn text<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(Fail::null(name));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str()
        .map_err(|_| Fail::new(pseudo_status::PSEUDO_INVALID_UTF8, format!("argument `{name}` is not valid UTF-8")))
}

/// An optional NUL-terminated UTF-8 string argument: NULL means absent.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn opt_text<'a>(p: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { text(p, name) }.map(Some)
    }
}

/// A (pointer, length) byte argument. A zero length accepts any pointer, NULL included.
///
/// # Safety
/// When `len > 0`, `p` is NULL or valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize, name: &str) -> FfiResult<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Fail::null(name));
    }
    if len > isize::MAX as usize {
        return Err(Fail::invalid(format!("the length of `{name}` cannot match its pointer")));
    }
    // SAFETY: non-NULL, length within isize::MAX, readable for `len` bytes by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// An array argument of `len` elements. A zero length accepts any pointer, NULL included.
///
/// # Safety
/// When `len > 0`, `p` is NULL or valid for reads of `len` elements for `'a`.
pub(crate) unsafe fn array<'a, T>(p: *const T, len: usize, name: &str) -> FfiResult<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Fail::null(name));
    }
    if len.checked_mul(std::mem::size_of::<T>()).is_none_or(|b| b > isize::MAX as usize) {
        return Err(Fail::invalid(format!("the length of `{name}` cannot match its pointer")));
    }
    // SAFETY: non-NULL, size within isize::MAX, readable for `len` elements by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Checks an output pointer is not NULL (before any work, so nothing is lost after it).
pub(crate) fn out_check<T>(p: *mut T, name: &str) -> FfiResult {
    if p.is_null() {
        Err(Fail::null(name))
    } else {
        Ok(())
    }
}

/// Writes `v` through an output pointer checked by [`out_check`].
///
/// # Safety
/// `p` is non-NULL and valid for a write of `T`.
pub(crate) unsafe fn put<T>(p: *mut T, v: T) {
    // SAFETY: the caller checked `p` and guarantees it is writable; `write` drops nothing old
    // (the slot may be uninitialised).
    unsafe { p.write(v) }
}

/// Copies `data` into a caller buffer of `cap` bytes, plus a NUL when `nul`.
///
/// On success `*out_len` = `data.len()`. When `cap` is too small nothing is written to `buf`,
/// `*out_len` = the size needed (including the NUL) and the status is `PSEUDO_BUFFER_TOO_SMALL`.
/// `buf` may be NULL only with `cap == 0` (a size query).
///
/// # Safety
/// `buf` is NULL or writable for `cap` bytes; `out_len` is NULL or writable.
pub(crate) unsafe fn copy_out(data: &[u8], nul: bool, buf: *mut u8, cap: usize, out_len: *mut usize) -> FfiResult {
    out_check(out_len, "out_len")?;
    if buf.is_null() && cap != 0 {
        return Err(Fail::null("buf"));
    }
    let needed = data.len() + usize::from(nul);
    if cap < needed {
        // SAFETY: checked non-NULL above; writable by contract.
        unsafe { put(out_len, needed) };
        return Err(Fail::new(
            pseudo_status::PSEUDO_BUFFER_TOO_SMALL,
            format!("the buffer has {cap} bytes; {needed} are needed"),
        ));
    }
    // SAFETY: `buf` is non-NULL here (cap ≥ needed ≥ 1, or needed == 0 and nothing is copied
    // through a possibly NULL pointer: copy_nonoverlapping of 0 bytes still needs a non-NULL
    // pointer, hence the check), writable for `cap` ≥ `needed` bytes, and cannot overlap `data`
    // which the library owns.
    unsafe {
        if needed > 0 {
            std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
            if nul {
                buf.add(data.len()).write(0);
            }
        }
        put(out_len, data.len());
    }
    Ok(())
}

/// A seconds count from C as a core timestamp.
pub(crate) fn timestamp(secs: i64) -> pseudo_core::Timestamp {
    pseudo_core::Timestamp::from_unix(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_status_and_a_message_without_its_payload() {
        let status = guard(|| panic!("secret value 1234"));
        assert_eq!(status, PSEUDO_PANIC);
        with_last_error(|m| {
            assert!(m.contains("panic"));
            assert!(!m.contains("1234"));
        });
        assert_eq!(guard_value(7usize, || panic!("x")), 7);
        assert_eq!(guard_quiet(|| panic!("x")), PSEUDO_PANIC);
    }

    #[test]
    fn statuses_are_unique_and_round_trip() {
        for s in pseudo_status::ALL {
            assert_eq!(pseudo_status::from_u32(s as u32), Some(s));
            assert!(!s.message().is_empty());
        }
        assert_eq!(pseudo_status::from_u32(8), None);
        let mut numbers: Vec<u32> = pseudo_status::ALL.iter().map(|s| *s as u32).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), pseudo_status::ALL.len());
    }

    #[test]
    fn every_core_error_kind_has_its_own_status() {
        let mut seen = std::collections::HashSet::new();
        for k in ErrorKind::ALL {
            let s = pseudo_status::from_kind(k);
            assert_ne!(s, PSEUDO_UNKNOWN_ERROR, "{k:?} has no status yet");
            assert!(seen.insert(s as u32), "{k:?} shares a status");
        }
    }

    #[test]
    fn the_readme_status_table_is_the_enum() {
        // README.md "Statuses" lists `| number | `NAME` |` pairs; it must be exactly the enum.
        let readme = include_str!("../README.md");
        let table = readme.split("## Statuses").nth(1).expect("README has a Statuses section");
        let table = table.split("\n## ").next().unwrap_or(table);
        let mut listed: Vec<(u32, String)> = Vec::new();
        for line in table.lines().filter(|l| l.starts_with('|')) {
            let cells: Vec<&str> = line.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
            for pair in cells.chunks(2) {
                if let [n, name] = pair {
                    if let Ok(n) = n.parse::<u32>() {
                        // The name is the first `code span` of its cell (a remark may follow).
                        let name = name.split('`').nth(1).unwrap_or(name);
                        listed.push((n, name.to_owned()));
                    }
                }
            }
        }
        listed.sort();
        let mut actual: Vec<(u32, String)> = pseudo_status::ALL.iter().map(|s| (*s as u32, format!("{s:?}"))).collect();
        actual.sort();
        assert_eq!(listed, actual, "pseudo-ffi/README.md's status table differs from pseudo_status");
    }

    #[test]
    fn the_numbers_never_change() {
        // Appended only: these are ABI.
        let fixed = [
            (PSEUDO_INTERNAL, 122),
            (PSEUDO_NOT_FOUND, 123),
            (PSEUDO_INVALID_STATE, 124),
            (PSEUDO_PERMISSION_DENIED, 125),
            (PSEUDO_AUTHENTICATION_FAILED, 126),
            (PSEUDO_INVALID_SECRET, 127),
            (PSEUDO_STORAGE, 128),
            (PSEUDO_UNKNOWN_ERROR, 199),
        ];
        for (s, n) in fixed {
            assert_eq!(s as u32, n);
        }
    }

    #[test]
    fn the_detail_follows_the_last_failure() {
        let e = pseudo_core::Error::with_detail(ErrorKind::InvalidState, pseudo_core::Detail::NotRevoked, "x");
        assert_eq!(guard(|| Err(e.into())), PSEUDO_INVALID_STATE);
        assert_eq!(last_error_detail(), "not_revoked");
        assert_eq!(guard_quiet(|| Err(Fail::invalid("quiet"))), PSEUDO_INVALID_ARGUMENT);
        assert_eq!(last_error_detail(), "not_revoked", "the message functions leave it alone");
        let _ = guard(|| Err(Fail::invalid("y")));
        assert_eq!(last_error_detail(), "", "a failure without a sub-code clears it");
        let e = pseudo_core::Error::new(ErrorKind::NotFound, "x");
        assert_eq!(guard(|| Err(e.into())), PSEUDO_NOT_FOUND);
        assert_eq!(last_error_detail(), "");
    }
}
