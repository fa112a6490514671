//! The engine: one `Engine.call` per batch, with the GIL released around verification and work.
//!
//! Values cross into Rust once per batch: every `str` is copied into one buffer (wiped on drop,
//! since it may hold original values), the batch runs detached from the interpreter on every
//! core, and the results come back as one list (or a pandas Series with the input's index).

use pseudo_core as core;
use pseudo_core::{BatchMode, BatchOutput, EngineOptions, Limits, Operation, Timestamp};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyBytes, PyList, PyString, PyTuple};
use zeroize::Zeroizing;

use crate::authority::{Grant, IssuedToken};
use crate::convert::{to_duration, type_name, Q};
use crate::errors::{input_error, limit_error, IntoPyResult};
use crate::keys::{Keyring, MasterKey, VerifyingKey};
use crate::registry::Registry;

/// A batch of values copied out of Python: one buffer and the end offset of every value.
struct Batch {
    data: Zeroizing<String>,
    ends: Vec<usize>,
}

impl Batch {
    fn views(&self) -> Vec<&str> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let s = &self.data[start..end];
                start = end;
                s
            })
            .collect()
    }
}

/// What to do with a non-`str` item: the error names its position and type, with a hint.
fn wrong_item(i: usize, item: &Bound<'_, PyAny>) -> PyErr {
    let ty = type_name(item);
    let hint = if item.is_none() || ty == "float" || ty == "NAType" || ty == "NaTType" {
        " (a missing value? drop or fill missing values first, e.g. series.dropna())"
    } else if ty == "bytes" || ty == "bytearray" {
        " (decode bytes first, e.g. value.decode(\"utf-8\"))"
    } else if ty == "int" {
        " (convert numbers to text first, e.g. str(value) or series.astype(str))"
    } else {
        ""
    };
    PyTypeError::new_err(format!("values[{i}] is {ty}, not str: every value must be a str{hint}"))
}

fn collect_items(py: Python<'_>, items: &Bound<'_, PyAny>, len: usize) -> PyResult<Batch> {
    let mut data = Zeroizing::new(String::with_capacity(len * 16));
    let mut ends = Vec::with_capacity(len);
    let mut push = |i: usize, item: Bound<'_, PyAny>| -> PyResult<()> {
        let s = item.cast::<PyString>().map_err(|_| wrong_item(i, &item))?;
        let text = s.to_cow().map_err(|_| {
            input_error(py, format!("values[{i}] is not valid Unicode text (it holds a lone surrogate)"))
        })?;
        data.push_str(&text);
        ends.push(data.len());
        Ok(())
    };
    if let Ok(list) = items.cast::<PyList>() {
        for (i, item) in list.iter().enumerate() {
            push(i, item)?;
        }
    } else if let Ok(tuple) = items.cast::<PyTuple>() {
        for (i, item) in tuple.iter().enumerate() {
            push(i, item)?;
        }
    } else {
        for (i, item) in items.try_iter()?.enumerate() {
            push(i, item?)?;
        }
    }
    Ok(Batch { data, ends })
}

/// The pandas Series class, when pandas is already imported (pandas stays optional: a Series
/// cannot exist before it is).
fn series_class<'py>(py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let modules = py.import("sys")?.getattr("modules")?;
    match modules.call_method1("get", ("pandas",))? {
        m if m.is_none() => Ok(None),
        m => Ok(Some(m.getattr("Series")?)),
    }
}

/// The values as a batch, and the Series to mirror when the input was one.
fn read_values<'py>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    limits: &Limits,
) -> PyResult<(Batch, Option<Bound<'py, PyAny>>)> {
    if values.is_instance_of::<PyString>() || values.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "values must be a list (or another iterable) of str, not a single {}; wrap it: [value]",
            type_name(values)
        )));
    }
    let series = match series_class(py)? {
        Some(cls) if values.is_instance(&cls)? => Some(values.clone()),
        _ => None,
    };
    let items = match &series {
        Some(s) => s.call_method0("tolist")?,
        None if values.is_instance_of::<PyList>() || values.is_instance_of::<PyTuple>() => values.clone(),
        None => {
            let iter = values.try_iter().map_err(|_| {
                PyTypeError::new_err(format!(
                    "values must be a list, another iterable of str or a pandas Series, not {}",
                    type_name(values)
                ))
            })?;
            PyList::new(py, iter.collect::<PyResult<Vec<_>>>()?)?.into_any()
        }
    };
    let len = items.len()?;
    // Refuse an oversized batch before copying it; the engine checks the same limit again.
    if len > limits.max_items {
        return Err(limit_error(py, format!("the batch has {len} items; the limit is {}", limits.max_items)));
    }
    Ok((collect_items(py, &items, len)?, series))
}

/// The batch's results as a list (`None` for failed items), or a Series like the input.
fn results<'py>(
    py: Python<'py>,
    out: &BatchOutput,
    series: Option<Bound<'py, PyAny>>,
    per_item: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let list = if out.failures().is_empty() {
        let (data, ends) = out.as_parts();
        let mut start = 0;
        PyList::new(
            py,
            ends.iter().map(|&end| {
                let s = PyString::new(py, &data[start..end]);
                start = end;
                s
            }),
        )?
    } else {
        PyList::new(py, (0..out.len()).map(|i| out.get(i).and_then(|r| r.ok()).map(|s| PyString::new(py, s))))?
    };
    match series {
        None => Ok(list.into_any()),
        Some(s) => {
            let kwargs = [("index", s.getattr("index")?), ("name", s.getattr("name")?)].into_py_dict(py)?;
            if per_item {
                // Keep `None` for failed items (a string dtype would turn it into NaN).
                kwargs.set_item("dtype", "object")?;
            }
            s.get_type().call((list,), Some(&kwargs))
        }
    }
}

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
/// * ``max_token_bytes`` (8 KiB), ``max_body_bytes`` (64 MiB, for ``handle_request``),
///   ``max_items`` (1,000,000 per batch), ``max_item_bytes`` (1024 UTF-8 bytes per value):
///   past any limit the whole call is refused and nothing is processed;
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
    fn run<'py>(
        &self,
        py: Python<'py>,
        op: Operation,
        token: &Bound<'py, PyAny>,
        values: &Bound<'py, PyAny>,
        per_item: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let token = Zeroizing::new(token_text(token)?);
        let (batch, series) = read_values(py, values, &self.inner.options().limits)?;
        let mode = if per_item { BatchMode::PerItem } else { BatchMode::Strict };
        let out = py
            .detach(|| {
                let views = batch.views();
                self.inner.call(op, &token, &views, mode, Timestamp::now())
            })
            .py_err(py)?;
        results(py, &out, series, per_item)
    }
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
        max_token_bytes = 8192,
        max_body_bytes = 67_108_864,
        max_items = 1_000_000,
        max_item_bytes = 1024,
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
        max_token_bytes: usize,
        max_body_bytes: usize,
        max_items: usize,
        max_item_bytes: usize,
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
        options.validation.max_token_bytes = max_token_bytes;
        options.limits = Limits { max_body_bytes, max_items, max_item_bytes };
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
    /// ``token`` is the JWT text or an ``IssuedToken``. ``values`` is a list (or any iterable)
    /// of ``str``, or a pandas Series of ``str`` (then a Series with the same index comes back).
    /// The results are in input order.
    ///
    /// By default any failed item fails the whole call with ``BatchError`` (its ``failures``
    /// name each item's index and code) and nothing is returned; with ``per_item=True`` a failed
    /// item's result is ``None`` instead.
    #[pyo3(signature = (token, values, *, per_item = false))]
    fn pseudonymise<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        values: &Bound<'py, PyAny>,
        per_item: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Operation::Pseudonymise, token, values, per_item)
    }

    /// Reverses ``values`` with a ``rev`` token: level-1 pseudonyms back to the original values,
    /// or level-2 pseudonyms back to level-1 pseudonyms (never to the originals).
    ///
    /// Arguments and results as for ``pseudonymise``. A pseudonym that cannot be read (bad
    /// encoding, tampered, from another project or level) fails with the one opaque code
    /// ``"invalid_pseudonym"``.
    #[pyo3(signature = (token, values, *, per_item = false))]
    fn reverse<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        values: &Bound<'py, PyAny>,
        per_item: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, Operation::Reverse, token, values, per_item)
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

    /// Most items in one batch.
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
