//! Key material: master keys, keyrings, Ed25519 signing and verifying keys.

use std::ffi::c_char;
use std::fmt;

use data_encoding::{BASE64, HEXLOWER};
use pseudo_core::{Keyring, MasterKey, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::enums::*;
use crate::status::{bytes, copy_out, guard, guard_value, out_check, pseudo_status, put, timestamp, Fail, FfiResult};

fn encode(raw: &[u8], encoding: pseudo_key_encoding) -> FfiResult<Zeroizing<Vec<u8>>> {
    Ok(Zeroizing::new(match encoding {
        PSEUDO_KEY_ENCODING_RAW => raw.to_vec(),
        PSEUDO_KEY_ENCODING_HEX => HEXLOWER.encode(raw).into_bytes(),
        PSEUDO_KEY_ENCODING_BASE64 => BASE64.encode(raw).into_bytes(),
        _ => return Err(Fail::invalid("`encoding` is not a PSEUDO_KEY_ENCODING_* value")),
    }))
}

/// One version of the engine's key material (a static secret and a retention chain). Secret:
/// wiped when freed.
pub struct pseudo_master_key {
    pub(crate) inner: MasterKey,
}

/// The engine's master keys by version, one of them primary. Secret: wiped when freed.
pub struct pseudo_keyring {
    pub(crate) inner: Keyring,
}

/// The authority's Ed25519 signing key. Secret: wiped when freed.
pub struct pseudo_signing_key {
    pub(crate) inner: SigningKey,
}

/// An Ed25519 verifying (public) key with its key id.
pub struct pseudo_verifying_key {
    pub(crate) inner: VerifyingKey,
}

macro_rules! opaque_debug {
    ($($t:ident),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // The inner Debug prints only public facts.
                fmt::Debug::fmt(&self.inner, f)
            }
        }
    )*};
}
opaque_debug!(pseudo_master_key, pseudo_keyring, pseudo_signing_key, pseudo_verifying_key);

pub(crate) fn copy_master(k: &MasterKey) -> FfiResult<MasterKey> {
    Ok(MasterKey::from_bytes(&k.to_bytes())?)
}

pub(crate) fn copy_keyring(k: &Keyring) -> FfiResult<Keyring> {
    Ok(Keyring::from_bytes(&k.to_bytes())?)
}

/// Frees a boxed handle; NULL is a no-op.
///
/// # Safety
/// `p` is NULL or was returned by this library as a `Box<T>` and not freed yet.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        guard_value((), || {
            // SAFETY: made by `Box::into_raw` in this library and not freed yet (caller's contract).
            drop(unsafe { Box::from_raw(p) });
        });
    }
}

pub(crate) fn boxed<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

// ---------------------------------------------------------------------------------------------
// Master key

/// Generates a master key of `version` from the operating system's random number generator,
/// its retention chain starting on the UTC day of `now` (Unix seconds).
///
/// On success `*out` receives a new handle the caller frees with `pseudo_master_key_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT` (`out` NULL), `PSEUDO_INTERNAL` (no randomness).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_master_key_generate(
    version: u16,
    now: i64,
    out: *mut *mut pseudo_master_key,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        let inner = MasterKey::generate_at(version, timestamp(now))?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_master_key { inner })) };
        Ok(())
    })
}

/// Reads a master key from its serialised form: the raw bytes, or their hex or base64 text (as
/// written by `pseudo_master_key_export`).
///
/// On success `*out` receives a new handle the caller frees with `pseudo_master_key_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT` (`data` NULL with `len > 0`, or `out` NULL),
/// `PSEUDO_INVALID_KEY`.
///
/// # Safety
/// `data` is readable for `len` bytes; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_master_key_from_bytes(
    data: *const u8,
    len: usize,
    out: *mut *mut pseudo_master_key,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        // SAFETY: forwarded contract.
        let data = unsafe { bytes(data, len, "data") }?;
        let inner = MasterKey::from_any(data)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_master_key { inner })) };
        Ok(())
    })
}

/// Copies the serialised key, in `encoding` (a `PSEUDO_KEY_ENCODING_*` value), into `buf`
/// (`cap` bytes). No NUL is written. The output is SECRET: wipe it after use.
///
/// On success `*out_len` = bytes written. With `PSEUDO_BUFFER_TOO_SMALL`, `buf` is untouched and
/// `*out_len` = the size needed (pass `buf` NULL and `cap` 0 to ask for it).
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_ARGUMENT` (unknown encoding),
/// `PSEUDO_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `key` is NULL or a live handle; `buf` is NULL or writable for `cap` bytes; `out_len` is NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_master_key_export(
    key: *const pseudo_master_key,
    encoding: pseudo_key_encoding,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let key = arg!(handle key);
        let data = encode(&key.inner.to_bytes(), encoding)?;
        // SAFETY: forwarded contract.
        unsafe { copy_out(&data, false, buf, cap, out_len) }
    })
}

/// Writes the key's version to `*out`.
///
/// Returns `PSEUDO_OK` or `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `key` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_master_key_version(key: *const pseudo_master_key, out: *mut u16) -> pseudo_status {
    guard(|| {
        let key = arg!(handle key);
        out_check(out, "out")?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, key.inner.version()) };
        Ok(())
    })
}

/// Frees a master key, wiping its secrets. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `key` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_master_key_free(key: *mut pseudo_master_key) {
    // SAFETY: forwarded contract.
    unsafe { free_box(key) }
}

// ---------------------------------------------------------------------------------------------
// Keyring

/// A new keyring holding a copy of `key`, which becomes its primary version. `key` stays owned
/// by the caller.
///
/// On success `*out` receives a new handle the caller frees with `pseudo_keyring_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `key` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_keyring_new(
    key: *const pseudo_master_key,
    out: *mut *mut pseudo_keyring,
) -> pseudo_status {
    guard(|| {
        let key = arg!(handle key);
        out_check(out, "out")?;
        let inner = Keyring::new(copy_master(&key.inner)?);
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_keyring { inner })) };
        Ok(())
    })
}

/// A new keyring with one freshly generated master key of `version`, its chain starting on the
/// UTC day of `now` (Unix seconds).
///
/// On success `*out` receives a new handle the caller frees with `pseudo_keyring_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INTERNAL` (no randomness).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_keyring_generate(
    version: u16,
    now: i64,
    out: *mut *mut pseudo_keyring,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        let inner = Keyring::new(MasterKey::generate_at(version, timestamp(now))?);
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_keyring { inner })) };
        Ok(())
    })
}

/// Reads a keyring (or a single master key) from its serialised form: raw bytes, or their hex
/// or base64 text.
///
/// On success `*out` receives a new handle the caller frees with `pseudo_keyring_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_KEY`.
///
/// # Safety
/// `data` is readable for `len` bytes; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_keyring_from_bytes(
    data: *const u8,
    len: usize,
    out: *mut *mut pseudo_keyring,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        // SAFETY: forwarded contract.
        let data = unsafe { bytes(data, len, "data") }?;
        let inner = Keyring::from_any(data)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_keyring { inner })) };
        Ok(())
    })
}

/// Adds a copy of `key` to the keyring (its version must be new). The primary is unchanged.
///
/// Not thread-safe: no other thread may use `keyring` during the call.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_INPUT` (version already present).
///
/// # Safety
/// `keyring` and `key` are NULL or live handles.
#[no_mangle]
pub unsafe extern "C" fn pseudo_keyring_add(
    keyring: *mut pseudo_keyring,
    key: *const pseudo_master_key,
) -> pseudo_status {
    guard(|| {
        let ring = arg!(handle_mut keyring);
        let key = arg!(handle key);
        ring.inner.add(copy_master(&key.inner)?)?;
        Ok(())
    })
}

/// Makes `version` the primary key (used for new pseudonyms).
///
/// Not thread-safe: no other thread may use `keyring` during the call.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_KEY` (no such version).
///
/// # Safety
/// `keyring` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn pseudo_keyring_set_primary(keyring: *mut pseudo_keyring, version: u16) -> pseudo_status {
    guard(|| {
        let ring = arg!(handle_mut keyring);
        ring.inner.set_primary(version)?;
        Ok(())
    })
}

/// Writes the primary key version to `*out`.
///
/// Returns `PSEUDO_OK` or `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `keyring` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_keyring_primary_version(
    keyring: *const pseudo_keyring,
    out: *mut u16,
) -> pseudo_status {
    guard(|| {
        let ring = arg!(handle keyring);
        out_check(out, "out")?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, ring.inner.primary_version()) };
        Ok(())
    })
}

/// Copies the serialised keyring, in `encoding`, into `buf` (`cap` bytes); no NUL is written.
/// The output is SECRET. Buffer rules as `pseudo_master_key_export`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_ARGUMENT`,
/// `PSEUDO_BUFFER_TOO_SMALL` (`*out_len` = size needed).
///
/// # Safety
/// `keyring` is NULL or a live handle; `buf` is NULL or writable for `cap` bytes; `out_len` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_keyring_export(
    keyring: *const pseudo_keyring,
    encoding: pseudo_key_encoding,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let ring = arg!(handle keyring);
        let data = encode(&ring.inner.to_bytes(), encoding)?;
        // SAFETY: forwarded contract.
        unsafe { copy_out(&data, false, buf, cap, out_len) }
    })
}

/// Frees a keyring, wiping its secrets. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `keyring` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_keyring_free(keyring: *mut pseudo_keyring) {
    // SAFETY: forwarded contract.
    unsafe { free_box(keyring) }
}

/// # Safety
/// `buf` is NULL or writable for `cap` bytes; `out_len` is NULL or writable.
pub(crate) unsafe fn export_keyring_into(
    ring_bytes: &[u8],
    encoding: pseudo_key_encoding,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> FfiResult {
    let data = encode(ring_bytes, encoding)?;
    // SAFETY: forwarded contract.
    unsafe { copy_out(&data, false, buf, cap, out_len) }
}

// ---------------------------------------------------------------------------------------------
// Signing key

/// Generates an Ed25519 signing key.
///
/// On success `*out` receives a new handle the caller frees with `pseudo_signing_key_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INTERNAL` (no randomness).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_signing_key_generate(out: *mut *mut pseudo_signing_key) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        let inner = SigningKey::generate()?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_signing_key { inner })) };
        Ok(())
    })
}

/// Reads a signing key from a NUL-terminated PEM `PRIVATE KEY` (PKCS#8) block.
///
/// On success `*out` receives a new handle the caller frees with `pseudo_signing_key_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_KEY`.
///
/// # Safety
/// `pem` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_signing_key_from_pem(
    pem: *const c_char,
    out: *mut *mut pseudo_signing_key,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        let pem = arg!(text pem);
        let inner = SigningKey::from_pem(pem)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_signing_key { inner })) };
        Ok(())
    })
}

/// Copies the key as a NUL-terminated PEM `PRIVATE KEY` block into `buf` (`cap` bytes). SECRET.
///
/// On success `*out_len` = the text's length (without the NUL). With `PSEUDO_BUFFER_TOO_SMALL`,
/// `buf` is untouched and `*out_len` = the size needed, NUL included.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `key` is NULL or a live handle; `buf` is NULL or writable for `cap` bytes; `out_len` is NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_signing_key_to_pem(
    key: *const pseudo_signing_key,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let key = arg!(handle key);
        let pem = key.inner.to_pem();
        // SAFETY: forwarded contract.
        unsafe { copy_out(pem.as_bytes(), true, buf.cast(), cap, out_len) }
    })
}

/// The matching verifying (public) key, as a new handle the caller frees with
/// `pseudo_verifying_key_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`.
///
/// # Safety
/// `key` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_signing_key_verifying_key(
    key: *const pseudo_signing_key,
    out: *mut *mut pseudo_verifying_key,
) -> pseudo_status {
    guard(|| {
        let key = arg!(handle key);
        out_check(out, "out")?;
        let inner = key.inner.verifying_key().clone();
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_verifying_key { inner })) };
        Ok(())
    })
}

/// Frees a signing key, wiping its secret. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `key` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_signing_key_free(key: *mut pseudo_signing_key) {
    // SAFETY: forwarded contract.
    unsafe { free_box(key) }
}

// ---------------------------------------------------------------------------------------------
// Verifying key

/// Reads a verifying key from a NUL-terminated PEM `PUBLIC KEY` (SubjectPublicKeyInfo) block.
///
/// On success `*out` receives a new handle the caller frees with `pseudo_verifying_key_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_KEY`.
///
/// # Safety
/// `pem` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_verifying_key_from_pem(
    pem: *const c_char,
    out: *mut *mut pseudo_verifying_key,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        let pem = arg!(text pem);
        let inner = VerifyingKey::from_pem(pem)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_verifying_key { inner })) };
        Ok(())
    })
}

/// Reads a verifying key from a NUL-terminated Ed25519 JWK (`{"kty":"OKP","crv":"Ed25519",...}`);
/// its `kid` is kept when present.
///
/// On success `*out` receives a new handle the caller frees with `pseudo_verifying_key_free`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_INVALID_UTF8`, `PSEUDO_INVALID_KEY`,
/// `PSEUDO_INVALID_INPUT` (bad `kid`).
///
/// # Safety
/// `jwk` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_verifying_key_from_jwk(
    jwk: *const c_char,
    out: *mut *mut pseudo_verifying_key,
) -> pseudo_status {
    guard(|| {
        out_check(out, "out")?;
        let jwk = arg!(text jwk);
        let inner = VerifyingKey::from_jwk(jwk)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { put(out, boxed(pseudo_verifying_key { inner })) };
        Ok(())
    })
}

/// Copies the key as a NUL-terminated PEM `PUBLIC KEY` block into `buf` (`cap` bytes).
/// Buffer rules as `pseudo_signing_key_to_pem`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `key` is NULL or a live handle; `buf` is NULL or writable for `cap` bytes; `out_len` is NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn pseudo_verifying_key_to_pem(
    key: *const pseudo_verifying_key,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let key = arg!(handle key);
        // SAFETY: forwarded contract.
        unsafe { copy_out(key.inner.to_pem().as_bytes(), true, buf.cast(), cap, out_len) }
    })
}

/// Copies the key as a NUL-terminated JWK (with `kid`, `alg: EdDSA`, `use: sig`) into `buf`.
/// Buffer rules as `pseudo_signing_key_to_pem`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_BUFFER_TOO_SMALL`.
///
/// # Safety
/// As `pseudo_verifying_key_to_pem`.
#[no_mangle]
pub unsafe extern "C" fn pseudo_verifying_key_to_jwk(
    key: *const pseudo_verifying_key,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let key = arg!(handle key);
        // SAFETY: forwarded contract.
        unsafe { copy_out(key.inner.to_jwk().as_bytes(), true, buf.cast(), cap, out_len) }
    })
}

/// Copies the key id (`kid`, the RFC 7638 thumbprint unless the JWK named another) as
/// NUL-terminated text into `buf`. Buffer rules as `pseudo_signing_key_to_pem`.
///
/// Returns `PSEUDO_OK`, `PSEUDO_NULL_ARGUMENT`, `PSEUDO_BUFFER_TOO_SMALL`.
///
/// # Safety
/// As `pseudo_verifying_key_to_pem`.
#[no_mangle]
pub unsafe extern "C" fn pseudo_verifying_key_kid(
    key: *const pseudo_verifying_key,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> pseudo_status {
    guard(|| {
        let key = arg!(handle key);
        // SAFETY: forwarded contract.
        unsafe { copy_out(key.inner.kid().as_bytes(), true, buf.cast(), cap, out_len) }
    })
}

/// Frees a verifying key. NULL is a no-op; freeing twice is undefined behaviour.
///
/// # Safety
/// `key` is NULL or a handle from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn pseudo_verifying_key_free(key: *mut pseudo_verifying_key) {
    // SAFETY: forwarded contract.
    unsafe { free_box(key) }
}
