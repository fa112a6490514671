//! Key classes: `MasterKey`, `Keyring`, `SigningKey`, `VerifyingKey`.
//!
//! The secret ones hold the core types, whose buffers are wiped on drop; they cannot be pickled
//! or copied and their `repr` shows only public facts (version, chain day, key id).

use std::path::PathBuf;

use pseudo_core as core;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyType};
use zeroize::Zeroizing;

use crate::convert::{text_arg, type_name, Q};
use crate::errors::{input_error, key_error, IntoPyResult};

fn not_picklable(what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{what} objects cannot be pickled or copied: they hold secret key material. \
         Store to_bytes() in a secret store and load it with from_bytes() or from_env()."
    ))
}

/// Reads the environment variable `name` through `os.environ` (so changes made from Python count).
fn env_text(py: Python<'_>, name: &str) -> PyResult<Zeroizing<String>> {
    let value = py.import("os")?.getattr("environ")?.call_method1("get", (name,))?;
    if value.is_none() {
        return Err(key_error(py, format!("the environment variable {name} is not set")));
    }
    text_arg(name, &value)
}

/// Raw serialised key bytes, or their hex or base64 text, given as `bytes` or `str`.
fn key_data(obj: &Bound<'_, PyAny>) -> PyResult<Zeroizing<Vec<u8>>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Zeroizing::new(b.as_bytes().to_vec()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Zeroizing::new(s.to_cow()?.as_bytes().to_vec()));
    }
    Err(PyTypeError::new_err(format!("key data must be bytes or str, not {}", type_name(obj))))
}

/// One version of the engine's secret key material.
///
/// A master key holds a static secret (for the not-reversible modes) and a *retention chain*:
/// a secret for one UTC day that the engine steps forward one way, erasing the old one, so that
/// the keys of a reversible project whose retention has ended can no longer be computed
/// (crypto-shredding). An old copy of the serialised key (a backup) defeats that shredding:
/// persist ``Engine.export_keyring()`` whenever ``Engine.advance_keys()`` returns ``True`` and
/// keep no old copies.
///
/// Create one with ``MasterKey.generate()`` or load one with ``from_bytes``, ``from_file`` or
/// ``from_env``. Master keys cannot be pickled and their ``repr`` shows no secret.
///
/// Python ``bytes`` and ``str`` objects handed in or out (``from_bytes``, ``to_bytes``) cannot be
/// zeroized: they stay in the interpreter's memory until it reuses it. The copies held by this
/// object are wiped when it is freed.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct MasterKey {
    pub(crate) inner: core::MasterKey,
}

impl MasterKey {
    /// A copy of the core key (through its serialisation, whose buffer is wiped).
    pub(crate) fn copy(&self, py: Python<'_>) -> PyResult<core::MasterKey> {
        core::MasterKey::from_bytes(&self.inner.to_bytes()).py_err(py)
    }
}

#[pymethods]
impl MasterKey {
    /// A new random master key from the operating system's random number generator, its
    /// retention chain starting today (UTC). ``version`` (1 to 65535) is written into every
    /// pseudonym made with it.
    #[classmethod]
    #[pyo3(signature = (*, version = 1))]
    fn generate(_cls: &Bound<'_, PyType>, py: Python<'_>, version: u16) -> PyResult<Self> {
        Ok(MasterKey { inner: core::MasterKey::generate(version).py_err(py)? })
    }

    /// Loads a master key from its serialised bytes (as ``to_bytes()`` returns them) or from
    /// their hex or base64 text, given as ``bytes`` or ``str``.
    ///
    /// The Python object handed in cannot be zeroized.
    #[classmethod]
    fn from_bytes(_cls: &Bound<'_, PyType>, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let data = key_data(data)?;
        Ok(MasterKey { inner: core::MasterKey::from_any(&data).py_err(py)? })
    }

    /// Loads a master key from a file holding its serialised bytes, or their hex or base64 text.
    #[classmethod]
    fn from_file(_cls: &Bound<'_, PyType>, py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Ok(MasterKey { inner: py.detach(|| core::MasterKey::from_file(&path)).py_err(py)? })
    }

    /// Loads a master key from the environment variable ``name`` (hex or base64 text).
    #[classmethod]
    fn from_env(_cls: &Bound<'_, PyType>, py: Python<'_>, name: &str) -> PyResult<Self> {
        let text = env_text(py, name)?;
        Ok(MasterKey { inner: core::MasterKey::from_any(text.as_bytes()).py_err(py)? })
    }

    /// The serialised key material. Secret: store it in a secret store, never in a notebook or a
    /// repository. The returned ``bytes`` cannot be zeroized.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// The key version written into every pseudonym made with this key.
    #[getter]
    fn version(&self) -> u16 {
        self.inner.version()
    }

    /// The UTC day (days since 1970-01-01) of the retention chain's current secret.
    #[getter]
    fn chain_day(&self) -> i64 {
        self.inner.chain_day()
    }

    fn __repr__(&self) -> String {
        format!("MasterKey(version={}, chain_day={})", self.inner.version(), self.inner.chain_day())
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("MasterKey"))
    }
}

/// The engine's master keys by version, one of them primary.
///
/// New pseudonyms are made under the primary key; the other versions stay to reverse (and to
/// authenticate) pseudonyms made under them. ``Keyring(keys, primary=None)`` takes one
/// ``MasterKey`` or several (distinct versions); the primary defaults to the highest version.
/// The keyring holds its own copies of the keys. Keyrings cannot be pickled.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct Keyring {
    pub(crate) inner: core::Keyring,
}

impl Keyring {
    pub(crate) fn copy(&self, py: Python<'_>) -> PyResult<core::Keyring> {
        core::Keyring::from_bytes(&self.inner.to_bytes()).py_err(py)
    }
}

#[pymethods]
impl Keyring {
    #[new]
    #[pyo3(signature = (keys, *, primary = None))]
    fn new(py: Python<'_>, keys: &Bound<'_, PyAny>, primary: Option<u16>) -> PyResult<Self> {
        let mut list: Vec<core::MasterKey> = Vec::new();
        if let Ok(k) = keys.cast::<MasterKey>() {
            list.push(k.get().copy(py)?);
        } else {
            let iter = keys.try_iter().map_err(|_| {
                PyTypeError::new_err(format!("keys must be a MasterKey or a list of them, not {}", type_name(keys)))
            })?;
            for item in iter {
                let item = item?;
                let k = item.cast::<MasterKey>().map_err(|_| {
                    PyTypeError::new_err(format!("keys must hold MasterKey objects, not {}", type_name(&item)))
                })?;
                list.push(k.get().copy(py)?);
            }
        }
        let mut keys = list.into_iter();
        let Some(first) = keys.next() else {
            return Err(input_error(py, "a keyring needs at least one master key"));
        };
        let mut ring = core::Keyring::new(first);
        for k in keys {
            ring.add(k).py_err(py)?;
        }
        let primary = primary.unwrap_or_else(|| ring.versions().into_iter().max().unwrap_or(ring.primary_version()));
        ring.set_primary(primary).py_err(py)?;
        Ok(Keyring { inner: ring })
    }

    /// Loads a keyring (or a single master key) from its serialised bytes, or their hex or base64
    /// text, given as ``bytes`` or ``str``. The Python object handed in cannot be zeroized.
    #[classmethod]
    fn from_bytes(_cls: &Bound<'_, PyType>, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let data = key_data(data)?;
        Ok(Keyring { inner: core::Keyring::from_any(&data).py_err(py)? })
    }

    /// Loads a keyring (or a single master key) from a file: raw bytes, hex or base64 text.
    #[classmethod]
    fn from_file(_cls: &Bound<'_, PyType>, py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Ok(Keyring { inner: py.detach(|| core::Keyring::from_file(&path)).py_err(py)? })
    }

    /// Loads a keyring (or a single master key) from the environment variable ``name``.
    #[classmethod]
    fn from_env(_cls: &Bound<'_, PyType>, py: Python<'_>, name: &str) -> PyResult<Self> {
        let text = env_text(py, name)?;
        Ok(Keyring { inner: core::Keyring::from_any(text.as_bytes()).py_err(py)? })
    }

    /// Every key and the primary version, serialised. Secret; the returned ``bytes`` cannot be
    /// zeroized.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Every key version held, ascending.
    #[getter]
    fn versions(&self) -> Vec<u16> {
        self.inner.versions()
    }

    /// The version new pseudonyms are made under.
    #[getter]
    fn primary_version(&self) -> u16 {
        self.inner.primary_version()
    }

    /// The earliest retention-chain day among the keys (days since 1970-01-01, UTC).
    #[getter]
    fn chain_day(&self) -> i64 {
        self.inner.chain_day()
    }

    fn __len__(&self) -> usize {
        self.inner.versions().len()
    }

    fn __contains__(&self, version: &Bound<'_, PyAny>) -> bool {
        version.extract::<u16>().is_ok_and(|v| self.inner.get(v).is_some())
    }

    fn __repr__(&self) -> String {
        format!("Keyring(versions={:?}, primary_version={})", self.inner.versions(), self.inner.primary_version())
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("Keyring"))
    }
}

/// The authority's Ed25519 signing key.
///
/// Create one with ``SigningKey.generate()`` or load a PKCS#8 ``PRIVATE KEY`` with ``from_pem``
/// or ``from_pkcs8_der``. Its public half, ``verifying_key``, is what engines trust. Signing keys
/// cannot be pickled and their ``repr`` shows only the key id. The PEM text and DER bytes handed
/// in or out are Python objects and cannot be zeroized.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct SigningKey {
    pub(crate) inner: core::SigningKey,
}

impl SigningKey {
    pub(crate) fn copy(&self, py: Python<'_>) -> PyResult<core::SigningKey> {
        core::SigningKey::from_pkcs8_der(&self.inner.to_pkcs8_der()).py_err(py)
    }
}

#[pymethods]
impl SigningKey {
    /// A new random Ed25519 key from the operating system's random number generator.
    #[classmethod]
    fn generate(_cls: &Bound<'_, PyType>, py: Python<'_>) -> PyResult<Self> {
        Ok(SigningKey { inner: core::SigningKey::generate().py_err(py)? })
    }

    /// Loads a PEM ``PRIVATE KEY`` (PKCS#8) block, given as ``str`` or ``bytes``.
    #[classmethod]
    fn from_pem(_cls: &Bound<'_, PyType>, py: Python<'_>, pem: &Bound<'_, PyAny>) -> PyResult<Self> {
        let pem = text_arg("pem", pem)?;
        Ok(SigningKey { inner: core::SigningKey::from_pem(&pem).py_err(py)? })
    }

    /// Loads a PKCS#8 (v1 or v2) DER document.
    #[classmethod]
    fn from_pkcs8_der(_cls: &Bound<'_, PyType>, py: Python<'_>, der: &[u8]) -> PyResult<Self> {
        Ok(SigningKey { inner: core::SigningKey::from_pkcs8_der(der).py_err(py)? })
    }

    /// The key as a PEM ``PRIVATE KEY`` block (PKCS#8 v1, as OpenSSL writes it). Secret.
    fn to_pem(&self) -> String {
        self.inner.to_pem().to_string()
    }

    /// The key as a PKCS#8 v1 DER document. Secret.
    fn to_pkcs8_der<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_pkcs8_der())
    }

    /// The matching public key, for the engines.
    #[getter]
    fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey { inner: self.inner.verifying_key().clone() }
    }

    /// The key id written in every token's ``kid`` header (RFC 7638 thumbprint).
    #[getter]
    fn kid(&self) -> &str {
        self.inner.kid()
    }

    fn __repr__(&self) -> String {
        format!("SigningKey(kid={})", Q(self.inner.kid()))
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(not_picklable("SigningKey"))
    }
}

/// An Ed25519 public key and its key id (``kid``): what an engine trusts to verify tokens.
///
/// Load it with ``from_pem`` (``PUBLIC KEY``), ``from_jwk`` or ``from_bytes`` (the raw 32 bytes);
/// write it with ``to_pem``, ``to_jwk`` or ``to_bytes``. Not secret.
#[pyclass(frozen, eq, hash, module = "pseudo._pseudo")]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct VerifyingKey {
    pub(crate) inner: core::VerifyingKey,
}

impl std::hash::Hash for VerifyingKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.as_bytes().hash(state);
        self.inner.kid().hash(state);
    }
}

#[pymethods]
impl VerifyingKey {
    /// Loads a PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo) block, given as ``str`` or ``bytes``.
    #[classmethod]
    fn from_pem(_cls: &Bound<'_, PyType>, py: Python<'_>, pem: &Bound<'_, PyAny>) -> PyResult<Self> {
        let pem = text_arg("pem", pem)?;
        Ok(VerifyingKey { inner: core::VerifyingKey::from_pem(&pem).py_err(py)? })
    }

    /// Loads a JSON Web Key (``{"kty": "OKP", "crv": "Ed25519", "x": ...}``); its ``kid`` is kept
    /// when present.
    #[classmethod]
    fn from_jwk(_cls: &Bound<'_, PyType>, py: Python<'_>, jwk: &Bound<'_, PyAny>) -> PyResult<Self> {
        let jwk = text_arg("jwk", jwk)?;
        Ok(VerifyingKey { inner: core::VerifyingKey::from_jwk(&jwk).py_err(py)? })
    }

    /// From the raw 32-byte public key; the key id is its RFC 7638 thumbprint.
    #[classmethod]
    fn from_bytes(_cls: &Bound<'_, PyType>, py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let raw: &[u8; 32] = data.try_into().map_err(|_| key_error(py, "an Ed25519 public key is exactly 32 bytes"))?;
        Ok(VerifyingKey { inner: core::VerifyingKey::from_bytes(raw).py_err(py)? })
    }

    /// The same key under another key id (1 to 128 printable ASCII characters).
    fn with_kid(&self, py: Python<'_>, kid: &str) -> PyResult<Self> {
        Ok(VerifyingKey { inner: self.inner.clone().with_kid(kid).py_err(py)? })
    }

    /// The key as a PEM ``PUBLIC KEY`` block.
    fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// The key as a JSON Web Key with ``kid``, ``alg: EdDSA`` and ``use: sig``.
    fn to_jwk(&self) -> String {
        self.inner.to_jwk()
    }

    /// The raw 32-byte public key.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.as_bytes())
    }

    /// The key id.
    #[getter]
    fn kid(&self) -> &str {
        self.inner.kid()
    }

    fn __repr__(&self) -> String {
        format!("VerifyingKey(kid={})", Q(self.inner.kid()))
    }
}
