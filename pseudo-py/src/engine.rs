//! The engine: the GIL released around verification and every batch.
//!
//! A column of values (`column.rs`: list, iterable, pandas or polars Series, Arrow array) crosses
//! into Rust in chunks, borrowed rather than copied; each chunk runs detached from the interpreter
//! on every core, and the results come back as the same kind of column.

use pseudo_core as core;
use pseudo_core::{EngineOptions, Limits, Operation, Timestamp};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use zeroize::Zeroizing;

use crate::authority::{Grant, IssuedToken};
use crate::column::{self, Options};
use crate::convert::{to_duration, type_name, Q};
use crate::errors::{input_error, IntoPyResult};
use crate::keys::{Keyring, MasterKey, VerifyingKey};
use crate::registry::Registry;

/// The token as text: a `str` or an `IssuedToken`.
fn token_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if let Ok(t) = obj.cast::<IssuedToken>() {
        return Ok(t.get().token.clone());
    }
    let hint = if obj.is_instance_of::<PyBytes>() { " (decode it first: token.decode(\"ascii\"))" } else { "" };
    Err(PyTypeError::new_err(format!("token must be a str or an IssuedToken, not {}{hint}", type_name(obj))))
}

fn operation(py: Python<'_>, name: &str) -> PyResult<Operation> {
    match name {
        "pseudonymise" => Ok(Operation::Pseudonymise),
        "reverse" => Ok(Operation::Reverse),
        _ => Err(input_error(py, "operation must be \"pseudonymise\" or \"reverse\"")),
    }
}

/// The pseudonymisation engine: verifies a token, then pseudonymises, re-pseudonymises or
/// reverses a batch of values, in input order, on every core.
///
/// ``Engine(keyring, verifying_keys, *, issuer, audience, ...)``:
///
/// * ``keyring``: a ``Keyring`` or a single ``MasterKey`` (the engine holds its own copy);
/// * ``verifying_keys``: the authority's ``VerifyingKey`` or a list of them;
/// * ``issuer`` and ``audience``: the only accepted ``iss`` and ``aud`` of tokens;
/// * ``leeway``: clock skew allowed on token times (a ``timedelta``, default 30 s);
/// * ``max_token_bytes``, ``max_body_bytes`` (for ``handle_request``), ``max_items`` (per batch),
///   ``max_item_bytes`` (UTF-8 bytes per value): ``None`` takes the library's defaults, the same
///   in every face (8 KiB, 64 MiB, 1,000,000 and 1024);
///   past any limit the whole call is refused and nothing is processed, except that
///   ``pseudonymise`` and ``reverse`` send a larger column in chunks of ``max_items``;
/// * ``parallel``: run large batches on every core (default ``True``);
/// * ``registry``: a ``Registry`` to consult on every call: revoked or deleted tokens are
///   refused (``RevokedTokenError``), each successful call notes the token's last use, and every
///   call writes an audit event (never a value or a secret).
///
/// One engine is safe to share between threads; the GIL is released while it verifies tokens and
/// works through a batch. Engines cannot be pickled.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct Engine {
    inner: core::Engine,
}

impl Engine {
    #[allow(clippy::too_many_arguments)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        op: Operation,
        token: &Bound<'py, PyAny>,
        values: &Bound<'py, PyAny>,
        per_item: bool,
        report: bool,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let token = Zeroizing::new(token_text(token)?);
        let options = Options { per_item, progress };
        let (out, summary) = column::transform(py, &self.inner, op, &token, values, &options)?;
        if report {
            Ok(PyTuple::new(py, [out, Bound::new(py, summary)?.into_any()])?.into_any())
        } else {
            Ok(out)
        }
    }

    /// A new frame with `columns` of `frame` (pandas or polars) transformed.
    fn run_columns<'py>(
        &self,
        py: Python<'py>,
        op: Operation,
        token: &Bound<'py, PyAny>,
        frame: &Bound<'py, PyAny>,
        columns: &Bound<'py, PyAny>,
        options: &Options<'_, 'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ty = frame.get_type();
        let module = ty.module()?.to_string();
        let polars = module.starts_with("polars") && ty.name()?.to_str()? == "DataFrame";
        let pandas = module.starts_with("pandas") && ty.name()?.to_str()? == "DataFrame";
        if !polars && !pandas {
            return Err(PyTypeError::new_err(format!(
                "frame must be a pandas or polars DataFrame, not {}; for one column use \
                 engine.pseudonymise(token, values)",
                type_name(frame)
            )));
        }
        let names: Vec<String> = if let Ok(s) = columns.cast::<PyString>() {
            vec![s.to_str()?.to_owned()]
        } else {
            let mut names = Vec::new();
            for c in columns.try_iter().map_err(|_| {
                PyTypeError::new_err(format!("columns must be a list of column names, not {}", type_name(columns)))
            })? {
                let c = c?;
                let name = c.cast::<PyString>().map_err(|_| {
                    PyTypeError::new_err(format!("columns must hold column names (str), not {}", type_name(&c)))
                })?;
                names.push(name.to_str()?.to_owned());
            }
            names
        };
        if names.is_empty() {
            return Err(input_error(py, "columns is empty: name at least one column to transform"));
        }
        let present = frame.getattr("columns")?;
        let token = Zeroizing::new(token_text(token)?);
        let outs = PyDict::new(py);
        for name in &names {
            if !present.contains(name)? {
                let mut all = Vec::new();
                for c in present.try_iter()? {
                    all.push(c?.str()?.to_str()?.to_owned());
                }
                return Err(input_error(py, format!("the frame has no column {}; it has {}", Q(name), all.join(", "))));
            }
            let column = frame.get_item(name)?;
            let (out, _) = column::transform(py, &self.inner, op, &token, &column, options).map_err(|e| {
                let msg = format!("column {}: ", Q(name));
                prefix_error(py, e, &msg)
            })?;
            outs.set_item(name, out)?;
        }
        if pandas {
            frame.call_method("assign", (), Some(&outs))
        } else {
            frame.call_method1("with_columns", (outs.values(),))
        }
    }
}

/// `err` with `prefix` before its message (the same exception class and attributes).
fn prefix_error(py: Python<'_>, err: PyErr, prefix: &str) -> PyErr {
    let value = err.value(py);
    let with = || -> PyResult<()> {
        let args = value.getattr("args")?;
        let args = args.cast::<PyTuple>()?;
        if let Ok(first) = args.get_item(0) {
            let text = format!("{prefix}{}", first.str()?.to_str()?);
            let mut rest: Vec<Bound<'_, PyAny>> = vec![PyString::new(py, &text).into_any()];
            rest.extend(args.iter().skip(1));
            value.setattr("args", PyTuple::new(py, rest)?)?;
        }
        Ok(())
    };
    let _ = with();
    err
}

#[pymethods]
impl Engine {
    #[new]
    #[pyo3(signature = (
        keyring,
        verifying_keys,
        *,
        issuer,
        audience,
        leeway = None,
        max_token_bytes = None,
        max_body_bytes = None,
        max_items = None,
        max_item_bytes = None,
        parallel = true,
        registry = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        keyring: &Bound<'_, PyAny>,
        verifying_keys: &Bound<'_, PyAny>,
        issuer: &str,
        audience: &str,
        leeway: Option<&Bound<'_, PyAny>>,
        max_token_bytes: Option<usize>,
        max_body_bytes: Option<usize>,
        max_items: Option<usize>,
        max_item_bytes: Option<usize>,
        parallel: bool,
        registry: Option<&Registry>,
    ) -> PyResult<Self> {
        let ring = if let Ok(r) = keyring.cast::<Keyring>() {
            r.get().copy(py)?
        } else if let Ok(k) = keyring.cast::<MasterKey>() {
            core::Keyring::new(k.get().copy(py)?)
        } else {
            return Err(PyTypeError::new_err(format!(
                "keyring must be a Keyring or a MasterKey, not {}",
                type_name(keyring)
            )));
        };
        let mut keys = Vec::new();
        if let Ok(k) = verifying_keys.cast::<VerifyingKey>() {
            keys.push(k.get().inner.clone());
        } else {
            let iter = verifying_keys.try_iter().map_err(|_| {
                PyTypeError::new_err(format!(
                    "verifying_keys must be a VerifyingKey or a list of them, not {}",
                    type_name(verifying_keys)
                ))
            })?;
            for item in iter {
                let item = item?;
                let k = item.cast::<VerifyingKey>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "verifying_keys must hold VerifyingKey objects, not {}",
                        type_name(&item)
                    ))
                })?;
                keys.push(k.get().inner.clone());
            }
        }
        let mut options = EngineOptions::new(issuer, audience);
        if let Some(l) = leeway {
            options.validation.leeway = to_duration("leeway", l)?;
        }
        // Defaults come from the core (`Validation::default`, `Limits::default`), never from here.
        if let Some(n) = max_token_bytes {
            options.validation.max_token_bytes = n;
        }
        let defaults = Limits::default();
        options.limits = Limits {
            max_body_bytes: max_body_bytes.unwrap_or(defaults.max_body_bytes),
            max_items: max_items.unwrap_or(defaults.max_items),
            max_item_bytes: max_item_bytes.unwrap_or(defaults.max_item_bytes),
        };
        options.parallel = parallel;
        let mut inner = core::Engine::new(ring, &keys, options).py_err(py)?;
        if let Some(r) = registry {
            inner = inner.with_token_status(r.inner.clone()).with_audit(r.inner.clone());
        }
        Ok(Engine { inner })
    }

    /// Pseudonymises ``values`` with a ``psn`` token (originals to level-1 pseudonyms) or a
    /// ``sec`` token (a source's level-1 pseudonyms to level-2 pseudonyms).
    ///
    /// ``token`` is the JWT text or an ``IssuedToken``. ``values`` is one column: a list (or any
    /// iterable) of ``str``, a pandas Series (``object``, ``string`` or Arrow strings), a polars
    /// Series, or an Arrow string array (``pyarrow.Array``, ``ChunkedArray``, anything with
    /// ``__arrow_c_array__`` or ``__arrow_c_stream__``, read without a copy). The result is the
    /// same kind of column, in input order, with the same length, index and name. A DataFrame,
    /// a mapping or a set is refused: pass one column, or use ``pseudonymise_columns``.
    ///
    /// A missing value (``None``, NaN, ``pd.NA``, an Arrow or polars null) stays missing: it is
    /// never pseudonymised. Numbers are refused: turn ids into text first, without a decimal
    /// point (``series.astype("Int64").astype("string")``).
    ///
    /// Any number of values: they are sent in chunks of at most ``max_items``. ``progress=True``
    /// shows a tqdm bar; a function ``progress(done, total)`` is called after each chunk
    /// (``total`` is ``None`` for an iterator).
    ///
    /// By default any failed item fails the whole call with ``BatchError`` (its ``failures``
    /// name each item's position and code) and nothing is returned; with ``per_item=True`` a
    /// failed item's result is missing instead. ``report=True`` returns ``(result, Report)``:
    /// how many values were missing, transformed or failed, and why each failed.
    #[pyo3(signature = (token, values, *, per_item = false, report = false, progress = None))]
    fn pseudonymise<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        values: &Bound<'py, PyAny>,
        per_item: bool,
        report: bool,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Operation::Pseudonymise, token, values, per_item, report, progress)
    }

    /// Reverses ``values`` with a ``rev`` token: level-1 pseudonyms back to the original values,
    /// or level-2 pseudonyms back to level-1 pseudonyms (never to the originals).
    ///
    /// Arguments and results as for ``pseudonymise`` (missing values stay missing). A pseudonym
    /// that cannot be read (bad encoding, tampered, from another project or level) fails with the
    /// one opaque code ``"invalid_pseudonym"``.
    #[pyo3(signature = (token, values, *, per_item = false, report = false, progress = None))]
    fn reverse<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        values: &Bound<'py, PyAny>,
        per_item: bool,
        report: bool,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Operation::Reverse, token, values, per_item, report, progress)
    }

    /// Rewraps ``values``, pseudonyms of the token's reversible project made under any key
    /// version this engine holds, into the pseudonyms of the same values under the token's key
    /// version (its ``kv``: the project's version after ``Registry.rekey_project``). Each one is
    /// decrypted and encrypted again inside the engine: no original value is ever returned.
    /// Takes a ``rev`` token (``WrongOperationError`` otherwise); another project's pseudonyms
    /// fail as ``"invalid_pseudonym"``. Arguments and results as for ``pseudonymise``.
    #[pyo3(signature = (token, values, *, per_item = false, report = false, progress = None))]
    fn rewrap<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        values: &Bound<'py, PyAny>,
        per_item: bool,
        report: bool,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Operation::Rewrap, token, values, per_item, report, progress)
    }

    /// Pseudonymises ``values`` (a list of ``str``) with a ``psn`` or ``sec`` token under each
    /// key version in ``versions`` (default: every version this engine holds), for a project
    /// with ``same`` treatment: match records made before the project moved to a new version
    /// while they are re-pseudonymised from their originals. Returns ``{version: [pseudonym,
    /// ...]}`` in input order (strict: any failed item raises ``BatchError``).
    #[pyo3(signature = (token, values, *, versions = None))]
    fn lookup(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        values: Vec<String>,
        versions: Option<Vec<u16>>,
    ) -> PyResult<std::collections::BTreeMap<u16, Vec<String>>> {
        let token = Zeroizing::new(token_text(token)?);
        let versions = versions.unwrap_or_default();
        let out = py
            .detach(|| self.inner.lookup(&token, &values, &versions, core::BatchMode::Strict, Timestamp::now()))
            .py_err(py)?;
        let mut map = std::collections::BTreeMap::new();
        for (v, batch) in out {
            map.insert(v, batch.into_strings().map_err(core::Error::batch).py_err(py)?);
        }
        Ok(map)
    }

    /// Every key version this engine holds, ascending: tokens naming another one are refused
    /// (``InvalidClaimsError``, detail ``"unknown_key_version"``).
    #[getter]
    fn key_versions(&self) -> Vec<u16> {
        self.inner.key_versions()
    }

    /// The keyring's primary version: the one new projects should be bound to.
    #[getter]
    fn primary_key_version(&self) -> u16 {
        self.inner.primary_key_version()
    }

    /// Rotation: adds a copy of ``key`` (a ``MasterKey`` of a new version) and, with
    /// ``primary=True``, makes it the primary version. Projects bound to other versions keep
    /// every pseudonym. Persist ``export_keyring()`` afterwards.
    #[pyo3(signature = (key, *, primary = false))]
    fn add_key_version(&self, py: Python<'_>, key: &MasterKey, primary: bool) -> PyResult<()> {
        let copy = core::MasterKey::from_bytes(&key.inner.to_bytes()).py_err(py)?;
        self.inner.add_key_version(copy, primary).py_err(py)
    }

    /// Retirement: removes key ``version`` (not the primary); its tokens and pseudonyms are
    /// refused from then on. Ask ``Registry.retire_key_version`` first: it refuses while a
    /// project is bound to the version. Persist ``export_keyring()`` afterwards.
    fn retire_key_version(&self, py: Python<'_>, version: u16) -> PyResult<()> {
        self.inner.retire_key_version(version).py_err(py)
    }

    /// A new pandas or polars DataFrame with ``columns`` (a name or a list of names)
    /// pseudonymised with ``token``; the other columns and the index are kept, ``frame`` is not
    /// changed. Options as for ``pseudonymise``.
    #[pyo3(signature = (token, frame, columns, *, per_item = false, progress = None))]
    fn pseudonymise_columns<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        frame: &Bound<'py, PyAny>,
        columns: &Bound<'py, PyAny>,
        per_item: bool,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run_columns(py, Operation::Pseudonymise, token, frame, columns, &Options { per_item, progress })
    }

    /// A new pandas or polars DataFrame with ``columns`` reversed with a ``rev`` token; as
    /// ``pseudonymise_columns``.
    #[pyo3(signature = (token, frame, columns, *, per_item = false, progress = None))]
    fn reverse_columns<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        frame: &Bound<'py, PyAny>,
        columns: &Bound<'py, PyAny>,
        per_item: bool,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run_columns(py, Operation::Reverse, token, frame, columns, &Options { per_item, progress })
    }

    /// Verifies ``token`` for ``operation`` (``"pseudonymise"`` or ``"reverse"``) without running
    /// a batch, and returns what it allows as a ``Grant``. Raises the same errors as a call.
    #[pyo3(signature = (token, *, operation = "pseudonymise"))]
    fn verify(&self, py: Python<'_>, token: &Bound<'_, PyAny>, operation: &str) -> PyResult<Grant> {
        let op = self::operation(py, operation)?;
        let token = Zeroizing::new(token_text(token)?);
        let grant = py.detach(|| self.inner.verify(&token, op)).py_err(py)?;
        Ok(Grant { inner: grant })
    }

    /// Handles one HTTP request of the INCERT-compatible API and returns
    /// ``(status, content_type, body)``; it never raises for a bad request.
    ///
    /// ``path`` is ``"/api/request-psn"`` or ``"/api/request-psn-rev"``, ``authorization`` the
    /// ``Authorization`` header (``"Bearer <token>"``), ``content_type`` ``"application/json"``
    /// (``{"data": [...]}``) or ``"text/csv"``, ``body`` the raw body (``bytes`` or ``str``),
    /// ``accept`` the ``Accept`` header (``"text/csv"`` for a CSV answer). Errors come back as
    /// ``{"error": {"code", "message"}}`` with the fitting HTTP status.
    #[pyo3(signature = (path, authorization, content_type, body, accept = None))]
    fn handle_request<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &Bound<'py, PyAny>,
        accept: Option<&str>,
    ) -> PyResult<(u16, &'static str, Bound<'py, PyBytes>)> {
        let text;
        let body: &[u8] = if let Ok(b) = body.cast::<PyBytes>() {
            b.as_bytes()
        } else if let Ok(s) = body.cast::<PyString>() {
            text = Zeroizing::new(s.to_cow()?.into_owned());
            text.as_bytes()
        } else {
            return Err(PyTypeError::new_err(format!("body must be bytes or str, not {}", type_name(body))));
        };
        let request = core::wire::WireRequest { path, authorization, content_type, accept, body };
        let response = py.detach(|| core::wire::handle(&self.inner, &request));
        // The body may hold original values after a reverse: wipe the Rust copy.
        let out = Zeroizing::new(response.body);
        Ok((response.status, response.content_type, PyBytes::new(py, &out)))
    }

    /// Steps every key's retention chain forward to today (UTC), erasing earlier chain secrets.
    /// The engine does this by itself on every call; returns ``True`` when the keys changed, in
    /// which case persist ``export_keyring()`` and destroy the old copy.
    fn advance_keys(&self, py: Python<'_>) -> bool {
        py.detach(|| self.inner.advance_keys(Timestamp::now()))
    }

    /// The engine's current key material, serialised (as ``Keyring.to_bytes``). Secret; the
    /// returned ``bytes`` cannot be zeroized.
    fn export_keyring<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.inner.export_keyring().py_err(py)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The only accepted token issuer (``iss``).
    #[getter]
    fn issuer(&self) -> &str {
        &self.inner.options().validation.issuer
    }

    /// The only accepted token audience (``aud``).
    #[getter]
    fn audience(&self) -> &str {
        &self.inner.options().validation.audience
    }

    /// Most items in one batch (a wire request); a Python call of any size is sent in chunks
    /// of at most this many.
    #[getter]
    fn max_items(&self) -> usize {
        self.inner.options().limits.max_items
    }

    /// Longest original value, in UTF-8 bytes.
    #[getter]
    fn max_item_bytes(&self) -> usize {
        self.inner.options().limits.max_item_bytes
    }

    fn __repr__(&self) -> String {
        let o = self.inner.options();
        format!("Engine(issuer={}, audience={})", Q(&o.validation.issuer), Q(&o.validation.audience))
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err("Engine objects cannot be pickled or copied: they hold secret key material"))
    }
}
