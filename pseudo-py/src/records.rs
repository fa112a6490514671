//! The registry's records as frozen, dataclass-like Python objects, and `RecordList`, the list a
//! notebook shows as a table.
//!
//! Every record has a fixed tuple of field names (`FIELDS`): its `repr`, `to_dict()`, the
//! columns of `RecordList.to_pandas()` and of its HTML table all come from it. No record holds a
//! secret: operation tokens are kept by `jti`, access tokens by the hash of their secret.

use pseudo_core::registry as reg;
use pseudo_core::AuditEvent as CoreAuditEvent;
use pyo3::exceptions::{PyImportError, PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySlice, PyTuple};

use crate::authority::ProjectConfig;
use crate::convert::{from_org, from_timestamp, treatment_str, type_name};

/// `Name(field=repr(value), ...)` from the record's own getters.
fn repr_of(obj: &Bound<'_, PyAny>, name: &str, fields: &[&str]) -> PyResult<String> {
    let mut parts = Vec::with_capacity(fields.len());
    for f in fields {
        parts.push(format!("{f}={}", obj.getattr(*f)?.repr()?));
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

/// `{field: value}` from the record's own getters (nested records become dicts too).
fn dict_of<'py>(obj: &Bound<'py, PyAny>, fields: &[&str]) -> PyResult<Bound<'py, PyDict>> {
    let py = obj.py();
    let d = PyDict::new(py);
    for f in fields {
        let v = obj.getattr(*f)?;
        let v = if let Ok(list) = v.cast::<PyList>() {
            let items = list
                .iter()
                .map(|i| if i.hasattr("to_dict")? { i.call_method0("to_dict") } else { Ok(i) })
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        } else {
            v
        };
        d.set_item(*f, v)?;
    }
    Ok(d)
}

/// The repr, `to_dict`, equality and hash of a record type whose core value is `inner` and whose
/// identity is `$id` (equal records have equal ids, so hashing the id is consistent with `==`).
macro_rules! record_methods {
    ($ty:ident, $name:literal, $id:ident, { $($body:tt)* }) => {
        #[pymethods]
        impl $ty {
            $($body)*

            /// The record as a ``dict`` of its fields (nested records become dicts too).
            fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
                dict_of(slf.as_any(), Self::FIELDS)
            }

            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                repr_of(slf.as_any(), $name, Self::FIELDS)
            }

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other.cast::<$ty>().is_ok_and(|o| o.get().inner == self.inner)
            }

            fn __hash__(&self) -> u64 {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                let id: &str = $id(&self.inner);
                id.hash(&mut h);
                h.finish()
            }
        }
    };
}

/// An organisation taking part in a project, and whether it may receive reverse tokens.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct Collaborator {
    inner: reg::Collaborator,
}

impl Collaborator {
    const FIELDS: &'static [&'static str] = &["organisation", "can_reverse"];
}

record_methods!(Collaborator, "Collaborator", collaborator_id, {
    /// The organisation, a ``uuid.UUID``.
    #[getter]
    fn organisation(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_org(py, &self.inner.organisation)
    }
    /// Whether it may receive reverse (``rev``) tokens.
    #[getter]
    fn can_reverse(&self) -> bool {
        self.inner.can_reverse
    }
});
fn collaborator_id(_c: &reg::Collaborator) -> &str {
    // Collaborators are few and small: one hash bucket is fine.
    "collaborator"
}

/// A project: its owner, name, fixed configuration and collaborators.
///
/// The configuration (method, retention end, treatment, format) is fixed at creation; only the
/// name and the collaborators change.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct Project {
    inner: reg::Project,
}

impl Project {
    const FIELDS: &'static [&'static str] =
        &["id", "owner", "name", "reversible", "retention_end", "treatment", "format", "collaborators", "created"];

    pub(crate) fn new(inner: reg::Project) -> Self {
        Project { inner }
    }
}

record_methods!(Project, "Project", project_id, {
    /// The project id.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id.as_str()
    }
    /// The owning organisation, a ``uuid.UUID``.
    #[getter]
    fn owner(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_org(py, &self.inner.owner)
    }
    /// The display name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    /// The configuration every token of the project carries.
    #[getter]
    fn config(&self) -> ProjectConfig {
        ProjectConfig { inner: self.inner.config }
    }
    /// Whether pseudonyms of the project can be reversed.
    #[getter]
    fn reversible(&self) -> bool {
        self.inner.config.method.is_reversible()
    }
    /// The key version the project is bound to (its tokens' ``kv``).
    #[getter]
    fn key_version(&self) -> u16 {
        self.inner.key_version
    }
    /// Every key version the project was ever bound to, ascending.
    #[getter]
    fn key_versions(&self) -> Vec<u16> {
        self.inner.key_versions.clone()
    }
    /// The end of retention (fixed at creation, never extendable), a timezone-aware UTC ``datetime``.
    #[getter]
    fn retention_end(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.config.retention_end)
    }
    /// ``"same"`` or ``"different"``.
    #[getter]
    fn treatment(&self) -> &'static str {
        treatment_str(self.inner.config.treatment)
    }
    /// ``"base64url"``, ``"hex"`` or ``"base32"``.
    #[getter]
    fn format(&self) -> &'static str {
        self.inner.config.format.as_str()
    }
    /// The collaborating organisations, a list of ``Collaborator``.
    #[getter]
    fn collaborators(&self) -> Vec<Collaborator> {
        self.inner.collaborators.iter().map(|c| Collaborator { inner: *c }).collect()
    }
    /// When the project was created, a timezone-aware UTC ``datetime``.
    #[getter]
    fn created(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.created)
    }
});
fn project_id(p: &reg::Project) -> &str {
    p.id.as_str()
}

/// One step of a request's history: who moved it to which status, when, and why.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct RequestEvent {
    inner: reg::RequestEvent,
}

impl RequestEvent {
    const FIELDS: &'static [&'static str] = &["time", "actor", "status", "comment"];
}

record_methods!(RequestEvent, "RequestEvent", event_id, {
    /// When, a timezone-aware UTC ``datetime``.
    #[getter]
    fn time(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.time)
    }
    /// Who (a principal id).
    #[getter]
    fn actor(&self) -> &str {
        &self.inner.actor
    }
    /// The status after this step: ``"pending"``, ``"approved"`` or ``"rejected"``.
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    /// The administrator's comment, or ``None``.
    #[getter]
    fn comment(&self) -> Option<&str> {
        self.inner.comment.as_deref()
    }
});
fn event_id(e: &reg::RequestEvent) -> &str {
    &e.actor
}

/// A collaborator's request for one dataset, and its history.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct Request {
    inner: reg::Request,
}

impl Request {
    const FIELDS: &'static [&'static str] =
        &["id", "project", "organisation", "requester", "dataset", "token_type", "status", "history"];

    pub(crate) fn new(inner: reg::Request) -> Self {
        Request { inner }
    }
}

record_methods!(Request, "Request", request_id, {
    /// The request id (pass it to ``Registry.decide_request`` and ``Registry.issue_token``).
    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }
    /// The project id.
    #[getter]
    fn project(&self) -> &str {
        self.inner.project.as_str()
    }
    /// The requesting (collaborator) organisation, a ``uuid.UUID``.
    #[getter]
    fn organisation(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_org(py, &self.inner.organisation)
    }
    /// Who submitted it.
    #[getter]
    fn requester(&self) -> &str {
        &self.inner.requester
    }
    /// The dataset it is for.
    #[getter]
    fn dataset(&self) -> &str {
        &self.inner.dataset
    }
    /// The token type wanted, ``"psn"``, ``"sec"`` or ``"rev"``; ``None`` when not said.
    #[getter]
    fn token_type(&self) -> Option<&'static str> {
        self.inner.token_type.map(|t| t.as_str())
    }
    /// ``"pending"``, ``"approved"`` or ``"rejected"``.
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    /// Every step, oldest first, a list of ``RequestEvent``.
    #[getter]
    fn history(&self) -> Vec<RequestEvent> {
        self.inner.history.iter().map(|e| RequestEvent { inner: e.clone() }).collect()
    }
});
fn request_id(r: &reg::Request) -> &str {
    &r.id
}

/// The record of an issued operation token: everything but the token text, which is shown once
/// at issue and never stored.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct TokenRecord {
    inner: reg::TokenRecord,
}

impl TokenRecord {
    const FIELDS: &'static [&'static str] = &[
        "jti",
        "token_type",
        "name",
        "project",
        "request",
        "holder",
        "organisation",
        "created",
        "expires",
        "status",
        "last_used",
    ];

    pub(crate) fn new(inner: reg::TokenRecord) -> Self {
        TokenRecord { inner }
    }
}

record_methods!(TokenRecord, "TokenRecord", token_id, {
    /// The token id (``jti``).
    #[getter]
    fn jti(&self) -> &str {
        &self.inner.jti
    }
    /// ``"psn"``, ``"sec"`` or ``"rev"``.
    #[getter]
    fn token_type(&self) -> &'static str {
        self.inner.token_type.as_str()
    }
    /// The name chosen at issue.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    /// The project id.
    #[getter]
    fn project(&self) -> &str {
        self.inner.project.as_str()
    }
    /// The request it serves.
    #[getter]
    fn request(&self) -> &str {
        &self.inner.request
    }
    /// Who holds it (the token's ``sub``).
    #[getter]
    fn holder(&self) -> &str {
        &self.inner.holder
    }
    /// The holder's organisation, a ``uuid.UUID``.
    #[getter]
    fn organisation(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_org(py, &self.inner.organisation)
    }
    /// When it was issued, a timezone-aware UTC ``datetime``.
    #[getter]
    fn created(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.created)
    }
    /// When it expires, a timezone-aware UTC ``datetime``.
    #[getter]
    fn expires(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.expires)
    }
    /// ``"active"`` or ``"revoked"`` (a deleted token has no record).
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    /// When the engine last accepted it, or ``None`` when it was never used.
    #[getter]
    fn last_used(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner.last_used.map(|t| from_timestamp(py, t)).transpose()
    }
});
fn token_id(t: &reg::TokenRecord) -> &str {
    &t.jti
}

/// The record of an access token: everything but its secret (the registry keeps only a hash).
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct AccessTokenRecord {
    inner: reg::AccessTokenRecord,
}

impl AccessTokenRecord {
    const FIELDS: &'static [&'static str] =
        &["id", "kind", "name", "principal", "organisation", "created_by", "created", "expires", "status", "last_used"];

    pub(crate) fn new(inner: reg::AccessTokenRecord) -> Self {
        AccessTokenRecord { inner }
    }
}

record_methods!(AccessTokenRecord, "AccessTokenRecord", access_id, {
    /// The access token's id (not secret): the handle for revoke, restore and delete.
    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }
    /// ``"personal"`` or ``"service"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }
    /// The name chosen at creation.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    /// The principal it authenticates (the user, or the service account).
    #[getter]
    fn principal(&self) -> &str {
        &self.inner.principal
    }
    /// That principal's organisation, a ``uuid.UUID``.
    #[getter]
    fn organisation(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_org(py, &self.inner.organisation)
    }
    /// Who made it.
    #[getter]
    fn created_by(&self) -> &str {
        &self.inner.created_by
    }
    /// When it was made, a timezone-aware UTC ``datetime``.
    #[getter]
    fn created(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.created)
    }
    /// When it expires, a timezone-aware UTC ``datetime``.
    #[getter]
    fn expires(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.expires)
    }
    /// ``"active"`` or ``"revoked"``.
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    /// When it last authenticated, or ``None`` when it was never used.
    #[getter]
    fn last_used(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner.last_used.map(|t| from_timestamp(py, t)).transpose()
    }
});
fn access_id(a: &reg::AccessTokenRecord) -> &str {
    &a.id
}

/// One engine call or registry event, as the audit log keeps it: never a data value or a secret.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct AuditEvent {
    inner: CoreAuditEvent,
}

impl AuditEvent {
    const FIELDS: &'static [&'static str] =
        &["time", "operation", "jti", "subject", "project", "items", "failed_items", "error"];

    pub(crate) fn new(inner: CoreAuditEvent) -> Self {
        AuditEvent { inner }
    }
}

record_methods!(AuditEvent, "AuditEvent", no_id, {
    /// When the call was made, a timezone-aware UTC ``datetime``.
    #[getter]
    fn time(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.time)
    }
    /// ``"pseudonymise"``, ``"reverse"``, ``"rewrap"`` or ``"lookup"`` (engine calls); registry
    /// events: ``"rekey"`` (a project moved to another key version), ``"retire_key"`` (a key
    /// version retired), ``"issue_token"``, ``"revoke_token"``, ``"restore_token"``,
    /// ``"delete_token"`` (operation tokens), ``"create_access_token"``, ``"revoke_access_token"``,
    /// ``"restore_access_token"``, ``"delete_access_token"`` (access tokens).
    #[getter]
    fn operation(&self) -> &'static str {
        self.inner.operation.as_str()
    }
    /// The key version concerned: the token's ``kv`` for engine calls, the new version of a
    /// ``"rekey"``, the retired one of a ``"retire_key"``, the project's of an ``"issue_token"``
    /// (``None`` when the token did not verify, and for the other registry events).
    #[getter]
    fn key_version(&self) -> Option<u16> {
        self.inner.key_version
    }
    /// The token id, when the token verified (else ``None``); for a registry event on a token,
    /// its ``jti`` or the access token's id.
    #[getter]
    fn jti(&self) -> Option<&str> {
        self.inner.jti.as_deref()
    }
    /// The token holder, when the token verified; for a registry event, who made the change.
    #[getter]
    fn subject(&self) -> Option<&str> {
        self.inner.subject.as_deref()
    }
    /// The project, when the token verified.
    #[getter]
    fn project(&self) -> Option<&str> {
        self.inner.project.as_deref()
    }
    /// Number of items in the batch.
    #[getter]
    fn items(&self) -> usize {
        self.inner.items
    }
    /// Number of items that failed (with ``per_item=True``).
    #[getter]
    fn failed_items(&self) -> usize {
        self.inner.failed_items
    }
    /// ``None`` on success, else the error code (as ``PseudoError.code``).
    #[getter]
    fn error(&self) -> Option<&'static str> {
        self.inner.error.map(|k| k.code())
    }
});
fn no_id(_e: &CoreAuditEvent) -> &str {
    "audit"
}

/// A read-only list of registry records (``TokenRecord``, ``AccessTokenRecord``, ``Project``,
/// ``Request`` or ``AuditEvent``) that a notebook shows as a table.
///
/// It is a ``collections.abc.Sequence``: index it, slice it, iterate over it, take its ``len``,
/// compare it with a list. ``to_pandas()`` makes a ``pandas.DataFrame`` (pandas stays
/// optional); Jupyter shows the HTML table of ``_repr_html_``.
#[pyclass(frozen, sequence, module = "pseudo._pseudo")]
pub(crate) struct RecordList {
    items: Vec<Py<PyAny>>,
    columns: &'static [&'static str],
    kind: &'static str,
}

/// A record type that a `RecordList` can hold.
pub(crate) trait Record: pyo3::PyClass + Into<PyClassInitializer<Self>> {
    const COLUMNS: &'static [&'static str];
}

macro_rules! record {
    ($($ty:ident),*) => {$(
        impl Record for $ty {
            const COLUMNS: &'static [&'static str] = $ty::FIELDS;
        }
    )*};
}
record!(Project, Request, TokenRecord, AccessTokenRecord, AuditEvent);

impl RecordList {
    pub(crate) fn new<T: Record>(py: Python<'_>, items: impl IntoIterator<Item = T>) -> PyResult<Self> {
        let items = items.into_iter().map(|r| Ok(Py::new(py, r)?.into_any())).collect::<PyResult<Vec<_>>>()?;
        Ok(RecordList { items, columns: T::COLUMNS, kind: <T as pyo3::PyClass>::NAME })
    }

    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Vec<Vec<Bound<'py, PyAny>>>> {
        self.items.iter().map(|r| self.columns.iter().map(|c| r.bind(py).getattr(*c)).collect()).collect()
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A cell of the HTML table: instants to the second, `None` as "not used" for `last_used`.
fn cell(column: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    if v.is_none() {
        return Ok(if column == "last_used" { "not used".to_owned() } else { String::new() });
    }
    let py = v.py();
    if v.is_instance(&py.import("datetime")?.getattr("datetime")?)? {
        let text: String = v.call_method1("strftime", ("%Y-%m-%d %H:%M:%S UTC",))?.extract()?;
        return Ok(text);
    }
    if let Ok(list) = v.cast::<PyList>() {
        return Ok(list.len().to_string());
    }
    Ok(v.str()?.to_cow()?.into_owned())
}

#[pymethods]
impl RecordList {
    fn __len__(&self) -> usize {
        self.items.len()
    }

    fn __getitem__(&self, py: Python<'_>, index: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(slice) = index.cast::<PySlice>() {
            let ix = slice.indices(self.items.len() as isize)?;
            let mut out = Vec::with_capacity(ix.slicelength);
            let mut i = ix.start;
            for _ in 0..ix.slicelength {
                out.push(self.items[i as usize].clone_ref(py));
                i += ix.step;
            }
            let list = RecordList { items: out, columns: self.columns, kind: self.kind };
            return Ok(Py::new(py, list)?.into_any());
        }
        let i: isize = index.extract().map_err(|_| {
            PyTypeError::new_err(format!("RecordList indices must be integers or slices, not {}", type_name(index)))
        })?;
        let n = self.items.len() as isize;
        let j = if i < 0 { i + n } else { i };
        if !(0..n).contains(&j) {
            return Err(PyIndexError::new_err("RecordList index out of range"));
        }
        Ok(self.items[j as usize].clone_ref(py))
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyList::new(py, &self.items)?.try_iter()?.into_any())
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let mine = PyList::new(py, &self.items)?;
        if let Ok(o) = other.cast::<RecordList>() {
            return mine.eq(PyList::new(py, &o.get().items)?);
        }
        if other.is_instance_of::<PyList>() || other.is_instance_of::<PyTuple>() {
            return mine.eq(PyList::new(py, other.try_iter()?.collect::<PyResult<Vec<_>>>()?)?);
        }
        Ok(false)
    }

    /// The records as a list of ``dict`` (one per record, see ``to_dict``).
    fn to_dicts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.items.iter().map(|r| r.bind(py).call_method0("to_dict")).collect::<PyResult<Vec<_>>>()?)
    }

    /// The records as a ``pandas.DataFrame``, one row per record and one column per field (in
    /// field order). Instants become timezone-aware UTC timestamps; ``last_used`` is missing
    /// (``NaT``) where a token was never used. Needs pandas (``pip install pandas``).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pd = py.import("pandas").map_err(|_| {
            PyImportError::new_err("RecordList.to_pandas() needs pandas: pip install pandas (or pseudo[pandas])")
        })?;
        let rows = self.rows(py)?;
        let columns = PyList::new(py, self.columns)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("columns", columns)?;
        pd.getattr("DataFrame")?.getattr("from_records")?.call((rows,), Some(&kwargs))
    }

    /// The table Jupyter shows (HTML-escaped; no secret is ever in a record).
    fn _repr_html_(&self, py: Python<'_>) -> PyResult<String> {
        let mut html = String::from("<table class=\"pseudo-records\">\n<thead><tr>");
        for c in self.columns {
            html.push_str(&format!("<th>{}</th>", html_escape(c)));
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        for row in self.rows(py)? {
            html.push_str("<tr>");
            for (c, v) in self.columns.iter().zip(row) {
                html.push_str(&format!("<td>{}</td>", html_escape(&cell(c, &v)?)));
            }
            html.push_str("</tr>\n");
        }
        html.push_str(&format!(
            "</tbody>\n</table>\n<p>{} {}{}</p>",
            self.items.len(),
            html_escape(self.kind),
            if self.items.len() == 1 { "" } else { "s" }
        ));
        Ok(html)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let parts =
            self.items.iter().map(|r| Ok(r.bind(py).repr()?.to_cow()?.into_owned())).collect::<PyResult<Vec<_>>>()?;
        Ok(format!("RecordList([{}])", parts.join(", ")))
    }

    /// The type of record held: ``"TokenRecord"``, ``"AccessTokenRecord"``, ``"Project"``,
    /// ``"Request"`` or ``"AuditEvent"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind
    }

    /// The field names, the columns of ``to_pandas()`` and of the HTML table.
    #[getter]
    fn columns(&self) -> Vec<&'static str> {
        self.columns.to_vec()
    }
}
