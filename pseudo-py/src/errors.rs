//! The exception hierarchy under `pseudo.PseudoError` and the one mapping from `ErrorKind`.
//!
//! The classes are made at import time with `type(name, bases, ns)` because several of them have
//! two bases (`InputError` is also a `ValueError`), which `create_exception!` cannot express.
//! Every instance carries `code` (the core's stable snake_case error code) and `detail` (a stable
//! sub-code telling refusals of one kind apart, or `None`); a `BatchError` also carries
//! `failures`, a list of `ItemFailure` (index and code, never the value).

use pseudo_core::{Error, ErrorKind, ItemFailure as CoreItemFailure};
use pyo3::exceptions::{PyException, PyLookupError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

/// One failed item of a batch: where it is in the input and why it failed.
///
/// The value itself is never reported (it may be personal data, and for pseudonyms any detail
/// could serve as an oracle). ``code`` is one of ``"empty_value"``, ``"too_long"`` or
/// ``"invalid_pseudonym"``.
#[pyclass(frozen, eq, hash, module = "pseudo._pseudo")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ItemFailure {
    /// Position of the item in the input (0-based; for a pandas Series, the position, not the label).
    #[pyo3(get)]
    index: usize,
    /// Why it failed: ``"empty_value"``, ``"too_long"`` or ``"invalid_pseudonym"``.
    #[pyo3(get)]
    code: &'static str,
}

#[pymethods]
impl ItemFailure {
    fn __repr__(&self) -> String {
        format!("ItemFailure(index={}, code={})", self.index, crate::convert::Q(self.code))
    }
}

impl From<&CoreItemFailure> for ItemFailure {
    fn from(f: &CoreItemFailure) -> Self {
        ItemFailure { index: f.index, code: f.code.code() }
    }
}

macro_rules! exceptions {
    ($( $field:ident = $name:literal ($($base:ident),+) $doc:literal; )*) => {
        /// Every exception class of the module.
        pub(crate) struct Exceptions {
            $( pub(crate) $field: Py<PyType>, )*
        }

        impl Exceptions {
            fn build(py: Python<'_>) -> PyResult<Self> {
                let make_type = py.import("builtins")?.getattr("type")?;
                $(
                    let $field: Py<PyType> = {
                        let bases = PyTuple::new(py, [$( exceptions!(@base py, $base) ),+])?;
                        let ns = PyDict::new(py);
                        ns.set_item("__module__", "pseudo._pseudo")?;
                        ns.set_item("__doc__", $doc)?;
                        // A class-level default, so instances made without a detail have it too.
                        ns.set_item("detail", py.None())?;
                        make_type.call1(($name, bases, ns))?.cast_into::<PyType>()?.unbind()
                    };
                )*
                Ok(Exceptions { $( $field, )* })
            }

            /// `(name, class)` of every exception, to add them to the module.
            pub(crate) fn all(&self) -> Vec<(&'static str, &Py<PyType>)> {
                vec![$( ($name, &self.$field), )*]
            }
        }
    };
    (@base $py:ident, Exception) => { $py.get_type::<PyException>() };
    (@base $py:ident, ValueError) => { $py.get_type::<PyValueError>() };
    (@base $py:ident, OSError) => { $py.get_type::<PyOSError>() };
    (@base $py:ident, LookupError) => { $py.get_type::<PyLookupError>() };
    (@base $py:ident, $field:ident) => { $field.bind($py).clone() };
}

exceptions! {
    pseudo = "PseudoError" (Exception)
        "Base class of every error raised by pseudo.\n\n``code`` holds a short, stable, machine-readable error code \
         (for example ``\"token_expired\"``). ``detail`` is ``None`` or a stable sub-code that tells refusals \
         of one kind apart (for example ``\"request_not_approved\"`` or ``\"cannot_reverse\"`` on an \
         ``IssueRefusedError``). Messages never contain a secret, a token or a data value.";
    token = "TokenError" (pseudo)
        "The bearer token was refused: ask the authority for a new one.";
    malformed_token = "MalformedTokenError" (token)
        "The token is not a well-formed JWT of this library (or it is larger than the engine accepts).";
    invalid_signature = "InvalidSignatureError" (token)
        "The token's signature does not verify, its key id names no trusted key, or its algorithm is \
         not Ed25519 (EdDSA).";
    expired = "ExpiredTokenError" (token)
        "The token has expired.";
    not_yet_valid = "TokenNotYetValidError" (token)
        "The token is not valid yet (its issue time lies in the future: check the clocks).";
    claims = "TokenClaimsError" (token)
        "The token's claims are wrong: another issuer or audience, an unknown token type, or a claim \
         that is missing or breaks a rule.";
    revoked = "RevokedTokenError" (token)
        "The token was revoked by the authority.";
    not_allowed = "TokenNotAllowedError" (token)
        "The token is valid but not for this operation (for example a reverse token given to \
         ``Engine.pseudonymise``).";
    key = "InvalidKeyError" (pseudo, ValueError)
        "Key material is malformed, too short, of an unknown version, or cannot be read.";
    issue_refused = "IssueRefusedError" (pseudo)
        "The authority refuses to issue this token (for example a reverse token for a project that is \
         not reversible, or after the project's retention has ended).\n\n``detail`` names the rule: \
         ``\"request_not_approved\"``, ``\"not_a_collaborator\"``, ``\"cannot_reverse\"``, \
         ``\"not_reversible\"``, ``\"retention_ended\"``, ``\"unknown_source\"``, ...";
    not_found = "NotFoundError" (pseudo, LookupError)
        "A registry record (project, request, token record, access token) does not exist, or was deleted.";
    invalid_state = "InvalidStateError" (pseudo)
        "The record exists but its state does not allow this: deleting an active token, restoring an \
         expired or active one, deciding a decided request, adding a collaborator while a request is \
         pending, or changing a project's fixed configuration (``detail`` ``\"retention_fixed\"``, \
         ``\"method_fixed\"``, ``\"config_fixed\"``).";
    permission_denied = "PermissionDeniedError" (pseudo)
        "The acting principal may not do this (for example a service token made by someone who is not \
         an administrator). Not an ``OSError``: it is the registry's policy, not the file system's.";
    authentication = "AuthenticationError" (pseudo)
        "An access-token secret is unknown, revoked or expired (or, as ``InvalidSecretError``, malformed).";
    invalid_secret = "InvalidSecretError" (authentication, ValueError)
        "An access-token secret is malformed: wrong prefix, length or checksum (a typo or a truncated \
         copy). Checked before any lookup.";
    storage = "StorageError" (pseudo, OSError)
        "The registry's storage failed or is corrupt (for example a damaged SQLite file).";
    input = "InputError" (pseudo, ValueError)
        "An argument or a batch is invalid (for example an empty batch or a bad configuration value).";
    limit = "LimitExceededError" (input)
        "A size limit was exceeded (items per batch, bytes per item or body size); nothing was processed.";
    transform = "TransformError" (pseudo)
        "Pseudonymising or reversing a batch failed.";
    batch = "BatchError" (transform)
        "One or more items of the batch failed; nothing was returned.\n\n``failures`` lists every failed \
         item as an ``ItemFailure`` (index and code). Pass ``per_item=True`` to get ``None`` in place \
         of each failed item instead.";
    retention_ended = "RetentionEndedError" (transform)
        "The project's retention has ended: its keys are erased and reversal is refused for ever.";
    file = "KeyFileError" (pseudo, OSError)
        "Reading a key file failed.";
    internal = "InternalError" (pseudo)
        "An internal invariant failed. Please report it.";
}

static EXCEPTIONS: PyOnceLock<Exceptions> = PyOnceLock::new();

/// The exception classes, made on first use.
pub(crate) fn exceptions(py: Python<'_>) -> PyResult<&Exceptions> {
    EXCEPTIONS.get_or_try_init(py, || Exceptions::build(py))
}

/// The class an error kind is raised as: the one place that maps `ErrorKind`.
fn class_of(e: &Exceptions, kind: ErrorKind) -> &Py<PyType> {
    match kind {
        ErrorKind::MalformedToken | ErrorKind::TokenTooLarge => &e.malformed_token,
        ErrorKind::InvalidSignature | ErrorKind::UnsupportedAlgorithm | ErrorKind::UnknownKey => &e.invalid_signature,
        ErrorKind::Expired => &e.expired,
        ErrorKind::NotYetValid => &e.not_yet_valid,
        ErrorKind::WrongTokenType | ErrorKind::WrongIssuer | ErrorKind::WrongAudience | ErrorKind::InvalidClaims => {
            &e.claims
        }
        ErrorKind::Revoked => &e.revoked,
        ErrorKind::WrongOperation => &e.not_allowed,
        ErrorKind::InvalidKey => &e.key,
        ErrorKind::IssueRefused => &e.issue_refused,
        ErrorKind::InvalidInput | ErrorKind::BadRequest | ErrorKind::UnsupportedMediaType => &e.input,
        ErrorKind::LimitExceeded => &e.limit,
        ErrorKind::BatchFailed => &e.batch,
        ErrorKind::RetentionEnded => &e.retention_ended,
        ErrorKind::Io => &e.file,
        ErrorKind::NotFound => &e.not_found,
        ErrorKind::InvalidState => &e.invalid_state,
        ErrorKind::PermissionDenied => &e.permission_denied,
        ErrorKind::AuthenticationFailed => &e.authentication,
        ErrorKind::InvalidSecret => &e.invalid_secret,
        ErrorKind::Storage => &e.storage,
        ErrorKind::Internal => &e.internal,
    }
}

/// An exception of `class` with `message` and `code` set.
fn raise<'py>(py: Python<'py>, class: &Py<PyType>, message: &str, code: &str) -> PyResult<Bound<'py, PyAny>> {
    let inst = class.bind(py).call1((message,))?;
    inst.setattr("code", code)?;
    Ok(inst)
}

/// Converts a core error into its Python exception.
pub(crate) fn to_py(py: Python<'_>, err: &Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let e = exceptions(py)?;
        let inst = raise(py, class_of(e, err.kind()), err.message(), err.kind().code())?;
        if let Some(detail) = err.detail() {
            inst.setattr("detail", detail)?;
        }
        if err.kind() == ErrorKind::BatchFailed {
            let failures = err.item_failures().iter().map(ItemFailure::from);
            inst.setattr("failures", PyList::new(py, failures)?)?;
        }
        Ok(PyErr::from_value(inst))
    };
    build().unwrap_or_else(|e| e)
}

/// An `InputError` (also a `ValueError`) raised by the binding itself.
pub(crate) fn input_error(py: Python<'_>, message: impl AsRef<str>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let e = exceptions(py)?;
        Ok(PyErr::from_value(raise(py, &e.input, message.as_ref(), ErrorKind::InvalidInput.code())?))
    };
    build().unwrap_or_else(|e| e)
}

/// An `InvalidKeyError` raised by the binding itself.
pub(crate) fn key_error(py: Python<'_>, message: impl AsRef<str>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let e = exceptions(py)?;
        Ok(PyErr::from_value(raise(py, &e.key, message.as_ref(), ErrorKind::InvalidKey.code())?))
    };
    build().unwrap_or_else(|e| e)
}

/// `result` with a core error converted to its Python exception.
pub(crate) trait IntoPyResult<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, &e))
    }
}
