//! The engine and its batch results.

use std::ffi::c_char;
use std::fmt;
use std::time::Duration;

use pseudo_core::{BatchMode, BatchOutput, Engine, EngineOptions, ItemCode, Limits, Operation, Validation};

use crate::enums::*;
use crate::keys::{
    boxed, copy_keyring, export_keyring_into, free_box, pseudo_keyring, pseudo_master_key, pseudo_verifying_key,
};
use crate::registry::pseudo_registry;
use crate::status::{
    array, bytes, guard, guard_value, handle, out_check, pseudo_status, put, text, timestamp, Fail, FfiResult,
};

/// One input value: `len` bytes of UTF-8 at `ptr` (not NUL-terminated; `ptr` may be NULL only
/// when `len` is 0).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_str {
    /// The first byte.
    pub ptr: *const c_char,
    /// The number of bytes.
    pub len: usize,
}

/// Engine options. Fill with `pseudo_engine_options_init`, then set `issuer` and `audience`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pseudo_engine_options {
    /// The only accepted token issuer (`iss`), NUL-terminated. Required.
    pub issuer: *const c_char,
    /// The only accepted token audience (`aud`), NUL-terminated. Required.
    pub audience: *const c_char,
    /// Clock skew allowed on `exp`, `nbf`, `iat`, in seconds. Default 30.
    pub leeway_seconds: u64,
    /// Longest accepted token in bytes. Default 8192.
    pub max_token_bytes: usize,
    /// Largest wire request body. Default 64 MiB.
    pub max_body_bytes: usize,
    /// Most items in one batch. Default 1 000 000.
    pub max_items: usize,
    /// Longest original value in bytes. Default 1024.
    pub max_item_bytes: usize,
    /// Run large batches on every core. Default true.
    pub parallel: bool,
}

/// The pseudonymisation engine. Thread-safe: one handle may be shared by any number of threads
/// calling `pseudo_engine_call`, `pseudo_wire_handle`, `pseudo_engine_advance_keys` and
/// `pseudo_engine_export_keyring` at once. Only `pseudo_engine_free` needs exclusive use.
pub struct pseudo_engine {
    pub(crate) inner: Engine,
}

impl fmt::Debug for pseudo_engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// The results of one batch call: every item's text in one buffer, in input order, plus the
/// per-item statuses. May hold original values (after a reverse): wiped when freed. Immutable,
/// so it may be read from several threads at once.
pub struct pseudo_batch {
    inner: BatchOutput,
}

impl fmt::Debug for pseudo_batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

fn item_status(code: ItemCode) -> pseudo_item_status {
    match code {
        ItemCode::EmptyValue => PSEUDO_ITEM_EMPTY_VALUE,
        ItemCode::TooLong => PSEUDO_ITEM_TOO_LONG,
        ItemCode::InvalidPseudonym => PSEUDO_ITEM_INVALID_PSEUDONYM,
        _ => PSEUDO_ITEM_UNKNOWN,
    }
}

pub(crate) fn operation(v: pseudo_operation) -> FfiResult<Operation> {
    match v {
        PSEUDO_OPERATION_PSEUDONYMISE => Ok(Operation::Pseudonymise),
        PSEUDO_OPERATION_REVERSE => Ok(Operation::Reverse),
        PSEUDO_OPERATION_REWRAP => Ok(Operation::Rewrap),
        _ => Err(Fail::invalid("`op` is PSEUDO_OPERATION_PSEUDONYMISE, _REVERSE or _REWRAP")),
    }
}

fn batch_mode(v: pseudo_batch_mode) -> FfiResult<BatchMode> {
    match v {
        PSEUDO_BATCH_STRICT => Ok(BatchMode::Strict),
        PSEUDO_BATCH_PER_ITEM => Ok(BatchMode::PerItem),
        _ => Err(Fail::invalid("`mode` is not a PSEUDO_BATCH_* value")),
    }
}

/// Fills `*options` with the secure defaults; `issuer` and `audience` are set to NULL and must be
/// set by the caller.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `options` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_options_init(options: *mut pseudo_engine_options) -> pseudo_status {
    guard(|| {
        out_check(options, "options")?;
        let v = Validation::new("", "");
        let l = Limits::default();
        let o = pseudo_engine_options {
            issuer: std::ptr::null(),
            audience: std::ptr::null(),
            leeway_seconds: v.leeway.as_secs(),
            max_token_bytes: v.max_token_bytes,
            max_body_bytes: l.max_body_bytes,
            max_items: l.max_items,
            max_item_bytes: l.max_item_bytes,
            parallel: true,
        };
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(options, o) };
        Ok(())
    })
}

/// # Safety
/// `o`'s strings are NULL or NUL-terminated.
unsafe fn engine_options(o: &pseudo_engine_options) -> FfiResult<EngineOptions> {
    // SAFETY: forwarded contract.
    let issuer = unsafe { text(o.issuer, "options->issuer") }?;
    // SAFETY: forwarded contract.
    let audience = unsafe { text(o.audience, "options->audience") }?;
    if issuer.is_empty() || audience.is_empty() {
        return Err(Fail::new(pseudo_status::PSEUDO_INVALID_INPUT, "the issuer and the audience must not be empty"));
    }
    if o.max_token_bytes == 0 || o.max_body_bytes == 0 || o.max_items == 0 || o.max_item_bytes == 0 {
        return Err(Fail::invalid("a limit of 0 was given: fill the options with pseudo_engine_options_init first"));
    }
    let mut opts = EngineOptions::new(issuer, audience);
    opts.validation.leeway = Duration::from_secs(o.leeway_seconds);
    opts.validation.max_token_bytes = o.max_token_bytes;
    opts.limits = Limits { max_body_bytes: o.max_body_bytes, max_items: o.max_items, max_item_bytes: o.max_item_bytes };
    opts.parallel = o.parallel;
    Ok(opts)
}

/// A new engine holding a copy of `keyring` (the caller keeps and frees its own) and trusting
/// tokens signed by any of the `keys_len` verifying keys in `keys` (copied too).
///
/// The engine advances its key chains to today at once; persist `pseudo_engine_export_keyring`.
///
/// On success `*out` receives a new handle the caller frees with `pseudo_engine_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT` (any pointer, any element of `keys`, the options'
/// issuer or audience), `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_ARGUMENT` (a zero limit: options
/// not initialised), `PSEUDO_INVALID_INPUT` (empty issuer or audience), `PSEUDO_INVALID_KEY`
/// (no verifying key, or two keys with one `kid`).
///
/// # Safety
/// `keyring` is NULL or a live handle; `keys` is NULL or readable for `keys_len` pointers, each
/// NULL or a live handle; `options` is NULL or a valid struct; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_new(
    keyring: *const pseudo_keyring,
    keys: *const *const pseudo_verifying_key,
    keys_len: usize,
    options: *const pseudo_engine_options,
    out: *mut *mut pseudo_engine,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        // SAFETY: forwarded contract.
        let inner = unsafe { build_engine(keyring, keys, keys_len, options) }?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_engine { inner })) };
        Ok(())
    })
}

/// As `pseudo_engine_new`, with the engine wired to `registry`: every call first asks the registry
/// whether the token is still active (a revoked, deleted or never-recorded token is
/// `PSEUDO_TOKEN_REVOKED`, within the registry's revocation staleness, default immediate), notes
/// each successful use as the token's last use (one write per call, never per value), and
/// appends an audit event (time, jti, subject, project, operation, item count, outcome; never a
/// value or a secret) to the registry. The engine shares the registry: the caller may free its
/// `registry` handle at any time, before or after the engine. Still thread-safe.
///
/// Returns the statuses of `pseudo_engine_new`; `PSEUDO_NULL_ARGUMENT` also for `registry`.
///
/// # Safety
/// As `pseudo_engine_new`; `registry` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_new_with_registry(
    keyring: *const pseudo_keyring,
    keys: *const *const pseudo_verifying_key,
    keys_len: usize,
    options: *const pseudo_engine_options,
    registry: *const pseudo_registry,
    out: *mut *mut pseudo_engine,
) -> pseudo_status {
    guard(|| {
        let registry = arg!(handle registry);
        out_check(out, "out")?;
        // SAFETY: forwarded contract.
        let engine = unsafe { build_engine(keyring, keys, keys_len, options) }?;
        let inner = engine.with_token_status(registry.inner.clone()).with_audit(registry.inner.clone());
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_engine { inner })) };
        Ok(())
    })
}

/// The engine of `pseudo_engine_new`, arguments checked.
///
/// # Safety
/// As `pseudo_engine_new`.
unsafe fn build_engine(
    keyring: *const pseudo_keyring,
    keys: *const *const pseudo_verifying_key,
    keys_len: usize,
    options: *const pseudo_engine_options,
) -> FfiResult<Engine> {
    let ring = arg!(handle keyring);
    // SAFETY: forwarded contract.
    let key_ptrs = unsafe { array(keys, keys_len, "keys") }?;
    let options = arg!(handle options);
    let verifying = key_ptrs
        .iter()
        // SAFETY: each element is NULL or a live handle (contract).
        .map(|&k| unsafe { handle(k, "keys[i]") }.map(|k| k.inner.clone()))
        .collect::<FfiResult<Vec<_>>>()?;
    // SAFETY: forwarded contract.
    let opts = unsafe { engine_options(options) }?;
    Ok(Engine::new(copy_keyring(&ring.inner)?, &verifying, opts)?)
}

/// Verifies `token` (NUL-terminated) for `op` at `now` (Unix seconds), then pseudonymises,
/// re-pseudonymises (`sec` token) or reverses the `values_len` values, in input order, in one
/// call. Thread-safe.
///
/// On success `*out` receives one batch object holding every result; read it with
/// `pseudo_batch_get` / `pseudo_batch_item_status` and free it with `pseudo_batch_free`. With
/// `PSEUDO_BATCH_STRICT` any failed item fails the call (`PSEUDO_BATCH_FAILED`, nothing
/// returned; the message names the first failed item); with `PSEUDO_BATCH_PER_ITEM` the batch
/// holds a status per item.
///
/// Returns `PSEUDO_OK`; `PSEUDO_NULL_ARGUMENT` (`engine`, `token`, `out`, `values` with
/// `values_len > 0`, or an element with a NULL `ptr` and `len > 0`); `PSEUDO_INVALID_UTF8` (the
/// token or a value); `PSEUDO_INVALID_ARGUMENT` (unknown `op` or `mode`, a length that cannot
/// match its pointer); every token status (`PSEUDO_MALFORMED_TOKEN` … `PSEUDO_TOKEN_REVOKED`,
/// `PSEUDO_WRONG_OPERATION`); `PSEUDO_RETENTION_ENDED`; `PSEUDO_INVALID_INPUT` (empty batch);
/// `PSEUDO_LIMIT_EXCEEDED` (more than `max_items`); `PSEUDO_BATCH_FAILED`; `PSEUDO_INVALID_KEY`.
///
/// # Safety
/// `engine` is NULL or a live handle; `token` is NULL or NUL-terminated; `values` is NULL or
/// readable for `values_len` elements whose `ptr` is readable for `len` bytes; `out` is NULL or
/// writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn pseudo_engine_call(
    engine: *const pseudo_engine,
    op: pseudo_operation,
    token: *const c_char,
    values: *const pseudo_str,
    values_len: usize,
    mode: pseudo_batch_mode,
    now: i64,
    out: *mut *mut pseudo_batch,
) -> pseudo_status {
    guard(|| {
        let engine = arg!(handle engine);
        let token = arg!(text token);
        out_check(out, "out")?;
        let op = operation(op)?;
        let mode = batch_mode(mode)?;
        // SAFETY: forwarded contract.
        let strs = unsafe { batch_values(engine, values, values_len) }?;
        let inner = engine.inner.call(op, token, &strs, mode, timestamp(now))?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_batch { inner })) };
        Ok(())
    })
}

/// The batch's values borrowed as `&str`: refused whole before any value is read when there are
/// more than the engine's `max_items` (the core would refuse it too), else at the first value
/// that is not readable UTF-8, naming its index.
///
/// # Safety
/// `values` is NULL or readable for `values_len` elements whose `ptr` is readable for `len` bytes.
unsafe fn batch_values<'a>(
    engine: &pseudo_engine,
    values: *const pseudo_str,
    values_len: usize,
) -> Result<Vec<&'a str>, Fail> {
    // SAFETY: forwarded contract.
    let raw = unsafe { array(values, values_len, "values") }?;
    let max_items = engine.inner.options().limits.max_items;
    if raw.len() > max_items {
        return Err(Fail::new(
            pseudo_status::PSEUDO_LIMIT_EXCEEDED,
            format!("the batch has {} items; the limit is {max_items}", raw.len()),
        ));
    }
    let mut strs: Vec<&str> = Vec::with_capacity(raw.len());
    for (i, v) in raw.iter().enumerate() {
        // SAFETY: each element's `ptr` is readable for `len` bytes (contract).
        let b = unsafe { bytes(v.ptr.cast(), v.len, "values[i].ptr") }
            .map_err(|f| Fail::new(f.status, format!("value {i}: {}", f.message)))?;
        let s = std::str::from_utf8(b)
            .map_err(|_| Fail::new(pseudo_status::PSEUDO_INVALID_UTF8, format!("value {i} is not valid UTF-8")))?;
        strs.push(s);
    }
    Ok(strs)
}

/// Lookup: pseudonymises the `values_len` values with a `psn` or `sec` token as key version
/// `version` would have made them (0: the token's own `kv`), for a project with `same`
/// treatment, so that records made before the project moved to a new version can be matched
/// while they are re-pseudonymised from their originals. Call it once per version the project
/// used (`pseudo_registry_project_key_version` gives the current one). Values, `mode`, `now`,
/// `*out` and the returns as `pseudo_engine_call`, plus `PSEUDO_INVALID_CLAIMS` (detail
/// `unknown_key_version`: a version the engine does not hold) and `PSEUDO_INVALID_INPUT`
/// (detail `not_deterministic`: `different` treatment). Thread-safe.
///
/// # Safety
/// As `pseudo_engine_call`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn pseudo_engine_lookup(
    engine: *const pseudo_engine,
    token: *const c_char,
    values: *const pseudo_str,
    values_len: usize,
    version: u16,
    mode: pseudo_batch_mode,
    now: i64,
    out: *mut *mut pseudo_batch,
) -> pseudo_status {
    guard(|| {
        let engine = arg!(handle engine);
        let token = arg!(text token);
        out_check(out, "out")?;
        let mode = batch_mode(mode)?;
        // SAFETY: forwarded contract.
        let strs = unsafe { batch_values(engine, values, values_len) }?;
        let now = timestamp(now);
        let versions = if version == 0 {
            vec![engine.inner.verify_at(token, Operation::Lookup, now)?.key_version()]
        } else {
            vec![version]
        };
        let mut outs = engine.inner.lookup(token, &strs, &versions, mode, now)?;
        let (_, inner) = outs.pop().ok_or_else(|| Fail::new(pseudo_status::PSEUDO_INTERNAL, "no lookup result"))?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_batch { inner })) };
        Ok(())
    })
}

/// Steps every key chain forward to the UTC day of `now` (Unix seconds), erasing earlier chain
/// secrets. `*out_changed` (may be NULL) is set to whether the keys changed; when they did, the
/// host should persist `pseudo_engine_export_keyring`. Calls run it by themselves (never past
/// the system clock's day); a host calls it at a day change to persist promptly. The advance is
/// permanent and goes at most 7 days past the system clock, so a unit mistake (milliseconds for
/// seconds) cannot shred every project. Thread-safe.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT` (`engine`).
///
/// # Safety
/// `engine` is NULL or a live handle; `out_changed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_advance_keys(
    engine: *const pseudo_engine,
    now: i64,
    out_changed: *mut bool,
) -> pseudo_status {
    guard(|| {
        let engine = arg!(handle engine);
        let changed = engine.inner.advance_keys(timestamp(now));
        if !out_changed.is_null() {
            // SAFETY: non-NULL; writable by contract.
            unsafe { put(out_changed, changed) };
        }
        Ok(())
    })
}

/// Copies the key versions the engine holds, ascending, into `buf` (room for `cap` versions):
/// tokens naming another version are refused (`PSEUDO_INVALID_CLAIMS`, detail
/// `unknown_key_version`). `*out_len` receives the number held; when `cap` is too small nothing
/// is copied and `PSEUDO_BUFFER_TOO_SMALL` is returned. Thread-safe.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `engine` is NULL or a live handle; `buf` is NULL (with `cap` 0) or writable for `cap` values;
/// `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_key_versions(
    engine: *const pseudo_engine,
    buf: *mut u16,
    cap: usize,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let engine = arg!(handle engine);
        out_check(out_len, "out_len")?;
        let versions = engine.inner.key_versions();
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out_len, versions.len()) };
        if versions.len() > cap {
            return Err(Fail::new(
                pseudo_status::PSEUDO_BUFFER_TOO_SMALL,
                "the buffer holds fewer versions than the engine",
            ));
        }
        if !versions.is_empty() {
            out_check(buf, "buf")?;
            // SAFETY: `buf` is writable for `cap` ≥ len values by contract, and does not overlap
            // the vector we own.
            unsafe { std::ptr::copy_nonoverlapping(versions.as_ptr(), buf, versions.len()) };
        }
        Ok(())
    })
}

/// Writes the engine keyring's primary version to `*out`. Thread-safe.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `engine` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_primary_key_version(
    engine: *const pseudo_engine,
    out: *mut u16,
) -> pseudo_status {
    guard(|| {
        let engine = arg!(handle engine);
        out_check(out, "out")?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, engine.inner.primary_key_version()) };
        Ok(())
    })
}

/// Rotation: adds a copy of `key` (the caller keeps and frees its own) to the engine and, when
/// `primary`, makes it the primary version. Projects bound to other versions keep every
/// pseudonym. Persist `pseudo_engine_export_keyring` afterwards. Thread-safe.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_INPUT` (the version is held).
///
/// # Safety
/// `engine` and `key` are NULL or live handles.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_add_key_version(
    engine: *const pseudo_engine,
    key: *const pseudo_master_key,
    primary: bool,
) -> pseudo_status {
    guard(|| {
        let engine = arg!(handle engine);
        let key = arg!(handle key);
        let copy = pseudo_core::MasterKey::from_bytes(&key.inner.to_bytes())?;
        engine.inner.add_key_version(copy, primary)?;
        Ok(())
    })
}

/// Retirement: removes key `version` from the engine (its secrets wiped); its tokens and
/// pseudonyms are refused from then on. Ask the registry first
/// (`pseudo_registry_retire_key_version`): it refuses while a project is bound to the version.
/// Persist `pseudo_engine_export_keyring` afterwards. Thread-safe.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_INPUT` (the primary version),
/// `PSEUDO_INVALID_KEY` (not held).
///
/// # Safety
/// `engine` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_retire_key_version(engine: *const pseudo_engine, version: u16) -> pseudo_status {
    guard(|| {
        let engine = arg!(handle engine);
        engine.inner.retire_key_version(version)?;
        Ok(())
    })
}

/// Copies the engine's current (advanced) keyring, serialised in `encoding`, into `buf`. SECRET.
/// Buffer rules as `pseudo_master_key_export`. Thread-safe.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_ARGUMENT`,
/// `PSEUDO_BUFFER_TOO_SMALL` (`*out_len` = size needed), `PSEUDO_INTERNAL`.
///
/// # Safety
/// `engine` is NULL or a live handle; `buf` is NULL or writable for `cap` bytes; `out_len` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_export_keyring(
    engine: *const pseudo_engine,
    encoding: pseudo_key_encoding,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let engine = arg!(handle engine);
        let ring = engine.inner.export_keyring()?;
        // SAFETY: forwarded contract.
        unsafe { export_keyring_into(&ring, encoding, buf, cap, out_len) }
    })
}

/// Frees an engine, wiping its keys. NULL is a no-op; freeing twice, or while another thread
/// still uses the engine, is undefined behaviour.
///
/// # Safety
/// `engine` is NULL or a handle from this library not freed yet and not in use.
#[no_mangle]
pub unsafe extern "C" fn pseudo_engine_free(engine: *mut pseudo_engine) {
    // SAFETY: forwarded contract.
    unsafe { free_box(engine) }
}

/// The number of items in the batch (the `values_len` of the call). 0 for NULL.
///
/// # Safety
/// `batch` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_batch_len(batch: *const pseudo_batch) -> usize {
    guard_value(0, || {
        // SAFETY: forwarded contract.
        unsafe { batch.as_ref() }.map_or(0, |b| b.inner.len())
    })
}

/// The number of failed items (always 0 after a strict call). 0 for NULL.
///
/// # Safety
/// `batch` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_batch_failed_count(batch: *const pseudo_batch) -> usize {
    guard_value(0, || {
        // SAFETY: forwarded contract.
        unsafe { batch.as_ref() }.map_or(0, |b| b.inner.failures().len())
    })
}

/// Borrows item `index`: `*out_ptr` points to its UTF-8 text (NOT NUL-terminated) inside the
/// batch, `*out_len` is its length. Valid until `pseudo_batch_free`. Outputs are left untouched
/// on failure.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INDEX_OUT_OF_RANGE`,
/// `PSEUDO_ITEM_FAILED` (per-item batch: see `pseudo_batch_item_status`).
///
/// # Safety
/// `batch` is NULL or a live handle; `out_ptr` and `out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_batch_get(
    batch: *const pseudo_batch,
    index: usize,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let batch = arg!(handle batch);
        out_check(out_ptr, "out_ptr")?;
        out_check(out_len, "out_len")?;
        let item = batch.inner.get(index).ok_or_else(|| {
            Fail::new(
                pseudo_status::PSEUDO_INDEX_OUT_OF_RANGE,
                format!("index {index} is past the end of a batch of {}", batch.inner.len()),
            )
        })?;
        let s = item.map_err(|code| {
            Fail::new(pseudo_status::PSEUDO_ITEM_FAILED, format!("item {index} failed: {}", code.code()))
        })?;
        // SAFETY: both checked non-NULL; writable by contract.
        unsafe {
            put(out_ptr, s.as_ptr().cast());
            put(out_len, s.len());
        }
        Ok(())
    })
}

/// Writes item `index`'s status (`PSEUDO_ITEM_OK` or why it failed) to `*out`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INDEX_OUT_OF_RANGE`.
///
/// # Safety
/// `batch` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_batch_item_status(
    batch: *const pseudo_batch,
    index: usize,
    out: *mut pseudo_item_status,
) -> pseudo_status {
    guard(|| {
        let batch = arg!(handle batch);
        out_check(out, "out")?;
        let item = batch.inner.get(index).ok_or_else(|| {
            Fail::new(
                pseudo_status::PSEUDO_INDEX_OUT_OF_RANGE,
                format!("index {index} is past the end of a batch of {}", batch.inner.len()),
            )
        })?;
        let status = match item {
            Ok(_) => PSEUDO_ITEM_OK,
            Err(code) => item_status(code),
        };
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, status) };
        Ok(())
    })
}

/// Frees a batch, wiping its text. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `batch` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_batch_free(batch: *mut pseudo_batch) {
    // SAFETY: forwarded contract.
    unsafe { free_box(batch) }
}
