//! The authority's registry: `Principal`, `Registry` and `NewAccessToken`.
//!
//! Every store call runs with the GIL released. The Python `Registry` holds an
//! `Arc<pseudo_core::registry::Registry>` so that an `Engine` can share it as its token status
//! and audit sink.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pseudo_core::registry::{
    self as reg, AccessKind, IssueKind, NewProject, ProjectUpdate, RegistryOptions, Retention, Role,
};
use pseudo_core::{Method, Timestamp};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyType};
use zeroize::Zeroizing;

use crate::authority::{default_lifetime, Authority, IssuedToken};
use crate::convert::{
    from_org, text_arg, to_duration, to_format, to_org, to_project, to_timestamp, to_treatment, type_name, Q,
};
use crate::errors::{input_error, IntoPyResult};
use crate::records::{AccessTokenRecord, AuditEvent, Project, RecordList, Request, TokenRecord};

fn role_str(r: Role) -> &'static str {
    match r {
        Role::User => "user",
        Role::Admin => "admin",
        Role::ServiceAccount => "service_account",
    }
}

fn now_or(now: Option<&Bound<'_, PyAny>>) -> PyResult<Timestamp> {
    match now {
        Some(n) => to_timestamp("now", n),
        None => Ok(Timestamp::now()),
    }
}

/// Who acts on the registry: a user, an administrator or a service account of an organisation.
///
/// ``Principal(*, id, organisation, role="user")`` with ``organisation`` a ``uuid.UUID`` or its
/// text and ``role`` one of ``"user"``, ``"admin"``, ``"service_account"``. The host
/// authenticates people (or calls ``Registry.authenticate`` with an access token); the registry
/// trusts the principal it is given.
#[pyclass(frozen, eq, hash, module = "pseudo._pseudo")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct Principal {
    inner: reg::Principal,
}

#[pymethods]
impl Principal {
    #[new]
    #[pyo3(signature = (*, id, organisation, role = "user"))]
    fn new(py: Python<'_>, id: &str, organisation: &Bound<'_, PyAny>, role: &str) -> PyResult<Self> {
        let role = match role {
            "user" => Role::User,
            "admin" => Role::Admin,
            "service_account" => Role::ServiceAccount,
            _ => return Err(input_error(py, "role must be \"user\", \"admin\" or \"service_account\"")),
        };
        if id.is_empty() {
            return Err(input_error(py, "a principal id must not be empty"));
        }
        Ok(Principal { inner: reg::Principal { id: id.to_owned(), organisation: to_org(organisation)?, role } })
    }

    /// The user or service account id.
    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }

    /// The organisation, a ``uuid.UUID``.
    #[getter]
    fn organisation(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_org(py, &self.inner.organisation)
    }

    /// ``"user"``, ``"admin"`` or ``"service_account"``.
    #[getter]
    fn role(&self) -> &'static str {
        role_str(self.inner.role)
    }

    fn __repr__(&self) -> String {
        format!(
            "Principal(id={}, organisation={}, role={})",
            Q(&self.inner.id),
            Q(&self.inner.organisation.to_string()),
            Q(self.role())
        )
    }
}

/// A new access token: its ``record`` and its ``secret``, shown this once.
///
/// The registry keeps only a hash of the secret: hand it to its holder now. The ``repr`` hides
/// it, and the object cannot be pickled or copied. Secrets start with ``pseudo_pat_`` (personal)
/// or ``pseudo_sat_`` (service) and end with a checksum, so secret scanners find leaked ones.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct NewAccessToken {
    record: reg::AccessTokenRecord,
    secret: Zeroizing<String>,
}

#[pymethods]
impl NewAccessToken {
    /// The stored record (no secret).
    #[getter]
    fn record(&self) -> AccessTokenRecord {
        AccessTokenRecord::new(self.record.clone())
    }

    /// The secret, shown once. The returned ``str`` cannot be zeroized.
    #[getter]
    fn secret(&self) -> &str {
        &self.secret
    }

    fn __repr__(&self) -> String {
        format!(
            "NewAccessToken(id={}, kind={}, name={}, secret=<hidden>)",
            Q(&self.record.id),
            Q(self.record.kind.as_str()),
            Q(&self.record.name)
        )
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "NewAccessToken objects cannot be pickled or copied: they hold a secret. Hand the secret to its \
             holder and keep only the record",
        ))
    }
}

/// The retention of a new project: a `(years, months, days)` tuple or the keywords, not both.
fn retention(
    py: Python<'_>,
    tuple: Option<&Bound<'_, PyAny>>,
    years: Option<u32>,
    months: Option<u32>,
    days: Option<u32>,
) -> PyResult<Option<Retention>> {
    let keywords = years.is_some() || months.is_some() || days.is_some();
    match tuple {
        Some(_) if keywords => Err(input_error(
            py,
            "give the retention either as retention=(years, months, days) or as years=/months=/days=, not both",
        )),
        Some(t) => {
            let (years, months, days): (u32, u32, u32) = t.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "retention must be a (years, months, days) tuple of non-negative ints, not {}",
                    type_name(t)
                ))
            })?;
            Ok(Some(Retention { years, months, days }))
        }
        None if keywords => {
            Ok(Some(Retention { years: years.unwrap_or(0), months: months.unwrap_or(0), days: days.unwrap_or(0) }))
        }
        None => Ok(None),
    }
}

/// `kind` is `"psn"`, `"sec"`, `"rev"` or `"rev2"` (a level-2 reverse; the core's `rev` with a
/// source); the source rules are the core's ([`IssueKind::new`]).
fn issue_kind(
    py: Python<'_>,
    kind: &str,
    source_project: Option<&str>,
    source_org: Option<&Bound<'_, PyAny>>,
) -> PyResult<IssueKind> {
    let source = match (source_project, source_org) {
        (Some(p), Some(o)) => Some((to_project(py, p)?, to_org(o)?)),
        (None, None) => None,
        _ => return Err(input_error(py, "source_project and source_org go together")),
    };
    let (token_type, level2) = match kind {
        "rev2" => (pseudo_core::TokenType::Rev, true),
        other => (
            other
                .parse::<pseudo_core::TokenType>()
                .map_err(|_| input_error(py, "kind must be \"psn\", \"sec\", \"rev\" or \"rev2\""))?,
            false,
        ),
    };
    // Python names the level-2 reverse "rev2": "rev" with a source would silently become one.
    if token_type == pseudo_core::TokenType::Rev && level2 != source.is_some() {
        return Err(input_error(
            py,
            if level2 {
                "a \"rev2\" token names its source_project and source_org"
            } else {
                "a \"rev\" token has no source: source_project and source_org are for \"sec\" and \"rev2\""
            },
        ));
    }
    IssueKind::new(token_type, source).py_err(py)
}

/// The authority's registry: projects, requests, collaborators, the issuing policy, records of
/// issued tokens, access tokens, their lifecycle and the audit log.
///
/// Open one with ``Registry.open(path)`` (a SQLite file, created if absent: WAL, foreign keys,
/// safe under concurrent use and crashes) or ``Registry.in_memory()`` (tests, demos). Pass it to
/// ``Engine(..., registry=registry)`` and the engine refuses revoked or deleted tokens, notes
/// each token's last use and writes an audit event per call.
///
/// Methods that act take the acting ``Principal`` first. Where the rules depend on the time
/// (retention, expiry) a keyword ``now`` (a ``datetime``) stands in for the current instant.
/// Refusals raise ``PseudoError`` subclasses whose ``detail`` names the rule. The registry
/// never stores a token's text or an access token's secret. Thread-safe; the GIL is released
/// around every store call. Registries cannot be pickled.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct Registry {
    pub(crate) inner: Arc<reg::Registry>,
    path: Option<PathBuf>,
    // The core registry does not expose its options; kept here for the getter.
    staleness: Duration,
}

fn options(staleness: Option<&Bound<'_, PyAny>>, primary_key_version: u16) -> PyResult<RegistryOptions> {
    let mut o = RegistryOptions { primary_key_version, ..RegistryOptions::default() };
    if let Some(s) = staleness {
        let py = s.py();
        if !s.is_instance(&py.import("datetime")?.getattr("timedelta")?)? {
            return Err(PyTypeError::new_err(format!(
                "revocation_staleness must be a datetime.timedelta, not {}",
                type_name(s)
            )));
        }
        let secs: f64 = s.call_method0("total_seconds")?.extract()?;
        if !secs.is_finite() || secs < 0.0 {
            return Err(input_error(py, "revocation_staleness must not be negative"));
        }
        o.revocation_staleness = Duration::from_secs_f64(secs);
    }
    Ok(o)
}

#[pymethods]
impl Registry {
    /// Opens (or creates) the registry in the SQLite file at ``path``.
    ///
    /// ``revocation_staleness`` (a ``timedelta``, default zero) is how long an engine may rely
    /// on an earlier revocation check of a token; zero means a revoke is refused by the very next
    /// engine call after it returned. A file that is not a registry, or is corrupt, raises
    /// ``StorageError``. ``primary_key_version`` (default 1) is the engine's primary key version
    /// as the authority knows it: new projects are bound to it.
    #[classmethod]
    #[pyo3(signature = (path, *, revocation_staleness = None, primary_key_version = 1))]
    fn open(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        path: PathBuf,
        revocation_staleness: Option<&Bound<'_, PyAny>>,
        primary_key_version: u16,
    ) -> PyResult<Self> {
        let o = options(revocation_staleness, primary_key_version)?;
        let inner = py.detach(|| reg::Registry::open_sqlite(&path, o)).py_err(py)?;
        Ok(Registry { inner: Arc::new(inner), path: Some(path), staleness: o.revocation_staleness })
    }

    /// A registry in memory (tests, demos): everything is lost when it is freed.
    #[classmethod]
    #[pyo3(signature = (*, revocation_staleness = None, primary_key_version = 1))]
    fn in_memory(
        _cls: &Bound<'_, PyType>,
        revocation_staleness: Option<&Bound<'_, PyAny>>,
        primary_key_version: u16,
    ) -> PyResult<Self> {
        let o = options(revocation_staleness, primary_key_version)?;
        let inner = reg::Registry::new(Arc::new(reg::MemoryStore::new()), o);
        Ok(Registry { inner: Arc::new(inner), path: None, staleness: o.revocation_staleness })
    }

    /// The SQLite file, or ``None`` for an in-memory registry.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.path.clone()
    }

    /// How long an engine may rely on an earlier revocation check, a ``timedelta``.
    #[getter]
    fn revocation_staleness<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let secs = self.staleness.as_secs_f64();
        py.import("datetime")?.getattr("timedelta")?.call((), Some(&[("seconds", secs)].into_py_dict(py)?))
    }

    // ---- projects --------------------------------------------------------------------------

    /// Creates a project owned by ``actor``'s organisation and returns it.
    ///
    /// ``reversible`` fixes the method; the retention, given as ``retention=(years, months,
    /// days)`` or as ``years=``, ``months=``, ``days=``, is counted from ``now`` and fixes the
    /// retention end for ever (it can never be extended). ``treatment`` is ``"same"`` or
    /// ``"different"``, ``format`` ``"base64url"``, ``"hex"`` or ``"base32"``.
    #[pyo3(signature = (
        actor, *, id, name, reversible, retention = None, years = None, months = None, days = None,
        treatment = "same", format = "base64url", now = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn create_project(
        &self,
        py: Python<'_>,
        actor: &Principal,
        id: &str,
        name: &str,
        reversible: bool,
        retention: Option<&Bound<'_, PyAny>>,
        years: Option<u32>,
        months: Option<u32>,
        days: Option<u32>,
        treatment: &str,
        format: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Project> {
        let retention = self::retention(py, retention, years, months, days)?.ok_or_else(|| {
            input_error(py, "a project needs a retention: retention=(years, months, days) or years=/months=/days=")
        })?;
        let p = NewProject {
            id: to_project(py, id)?,
            name: name.to_owned(),
            method: if reversible { Method::Reversible } else { Method::NotReversible },
            retention,
            treatment: to_treatment(py, treatment)?,
            format: to_format(py, format)?,
        };
        let now = now_or(now)?;
        let actor = &actor.inner;
        py.detach(|| self.inner.create_project(actor, p, now)).py_err(py).map(Project::new)
    }

    /// The project ``id`` (``NotFoundError`` when there is none).
    fn project(&self, py: Python<'_>, id: &str) -> PyResult<Project> {
        let id = to_project(py, id)?;
        py.detach(|| self.inner.project(&id)).py_err(py).map(Project::new)
    }

    /// Every project, as a ``RecordList``.
    fn projects(&self, py: Python<'_>) -> PyResult<RecordList> {
        let all = py.detach(|| self.inner.projects()).py_err(py)?;
        RecordList::new(py, all.into_iter().map(Project::new))
    }

    /// Renames a project (its owner or an administrator). Its configuration is fixed at
    /// creation: passing ``retention`` (never extendable), ``reversible``, ``treatment`` or
    /// ``format`` raises ``InvalidStateError`` (``detail`` ``"retention_fixed"``,
    /// ``"method_fixed"`` or ``"config_fixed"``) and changes nothing.
    #[pyo3(signature = (actor, id, *, name = None, retention = None, reversible = None, treatment = None, format = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_project(
        &self,
        py: Python<'_>,
        actor: &Principal,
        id: &str,
        name: Option<String>,
        retention: Option<&Bound<'_, PyAny>>,
        reversible: Option<bool>,
        treatment: Option<&str>,
        format: Option<&str>,
    ) -> PyResult<Project> {
        let update = ProjectUpdate {
            name,
            retention: self::retention(py, retention, None, None, None)?,
            method: reversible.map(|r| if r { Method::Reversible } else { Method::NotReversible }),
            treatment: treatment.map(|t| to_treatment(py, t)).transpose()?,
            format: format.map(|f| to_format(py, f)).transpose()?,
        };
        let id = to_project(py, id)?;
        let actor = &actor.inner;
        py.detach(|| self.inner.update_project(actor, &id, update)).py_err(py).map(Project::new)
    }

    /// Adds ``organisation`` (a ``uuid.UUID`` or its text) as a collaborator of ``project``, or
    /// changes its ``can_reverse``. Refused (``InvalidStateError``, ``detail``
    /// ``"request_pending"``) while a request of the project is pending.
    #[pyo3(signature = (actor, project, *, organisation, can_reverse = false))]
    fn add_collaborator(
        &self,
        py: Python<'_>,
        actor: &Principal,
        project: &str,
        organisation: &Bound<'_, PyAny>,
        can_reverse: bool,
    ) -> PyResult<Project> {
        let c = reg::Collaborator { organisation: to_org(organisation)?, can_reverse };
        let id = to_project(py, project)?;
        let actor = &actor.inner;
        py.detach(|| self.inner.add_collaborator(actor, &id, c)).py_err(py).map(Project::new)
    }

    // ---- requests --------------------------------------------------------------------------

    /// A collaborator (``actor``) submits a request for one ``dataset`` of ``project``; it is
    /// pending until an administrator decides it. ``token_type`` (``"psn"``, ``"sec"``, ``"rev"``)
    /// says which token is wanted, for the administrator who decides; a token of another type
    /// can still be issued for the approved request, under the same rules. A non-collaborator is
    /// refused (``IssueRefusedError``, ``detail`` ``"not_a_collaborator"``).
    #[pyo3(signature = (actor, project, *, dataset, token_type = None, now = None))]
    fn submit_request(
        &self,
        py: Python<'_>,
        actor: &Principal,
        project: &str,
        dataset: &str,
        token_type: Option<&str>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Request> {
        let id = to_project(py, project)?;
        let wanted = token_type
            .map(|t| {
                t.parse::<pseudo_core::TokenType>()
                    .map_err(|_| input_error(py, "token_type must be \"psn\", \"sec\" or \"rev\" (or None)"))
            })
            .transpose()?;
        let now = now_or(now)?;
        let actor = &actor.inner;
        py.detach(|| self.inner.submit_request_for(actor, &id, dataset, wanted, now)).py_err(py).map(Request::new)
    }

    /// The request ``request_id``, with its history.
    fn request(&self, py: Python<'_>, request_id: &str) -> PyResult<Request> {
        py.detach(|| self.inner.request(request_id)).py_err(py).map(Request::new)
    }

    /// Every request of ``project``, as a ``RecordList``.
    fn requests(&self, py: Python<'_>, project: &str) -> PyResult<RecordList> {
        let id = to_project(py, project)?;
        let all = py.detach(|| self.inner.store().requests(&id)).py_err(py)?;
        RecordList::new(py, all.into_iter().map(Request::new))
    }

    /// An administrator approves (``approve=True``) or rejects a pending request, with an
    /// optional ``comment`` kept in its history.
    #[pyo3(signature = (admin, request_id, *, approve, comment = None, now = None))]
    fn decide_request(
        &self,
        py: Python<'_>,
        admin: &Principal,
        request_id: &str,
        approve: bool,
        comment: Option<&str>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Request> {
        let now = now_or(now)?;
        let admin = &admin.inner;
        py.detach(|| self.inner.decide_request(admin, request_id, approve, comment, now)).py_err(py).map(Request::new)
    }

    // ---- issuing ---------------------------------------------------------------------------

    /// Issues an operation token for the approved request ``request_id`` to ``actor`` (a member
    /// of the requesting organisation), signed by ``authority``, and records it under ``name``.
    /// Returns the ``IssuedToken``, whose text is shown this once.
    ///
    /// ``kind``: ``"psn"`` (pseudonymise), ``"sec"`` (secondary: level-1 pseudonyms of
    /// ``source_project`` as held by ``source_org`` to level 2), ``"rev"`` (reverse level 1) or
    /// ``"rev2"`` (reverse level 2 of the named source). ``lifetime``: a ``timedelta``, default
    /// one hour, never past the retention end.
    ///
    /// Every rule of the issuing policy is checked first; a refusal raises
    /// ``IssueRefusedError`` whose ``detail`` names the rule (``"request_not_approved"``,
    /// ``"not_a_collaborator"``, ``"not_reversible"``, ``"cannot_reverse"``,
    /// ``"retention_ended"``, ``"unknown_source"``, ...).
    #[pyo3(signature = (
        authority, actor, request_id, *, name, kind = "psn", source_project = None, source_org = None,
        lifetime = None, now = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn issue_token(
        &self,
        py: Python<'_>,
        authority: &Authority,
        actor: &Principal,
        request_id: &str,
        name: &str,
        kind: &str,
        source_project: Option<&str>,
        source_org: Option<&Bound<'_, PyAny>>,
        lifetime: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<IssuedToken> {
        let kind = issue_kind(py, kind, source_project, source_org)?;
        let lifetime = to_duration("lifetime", &default_lifetime(py, lifetime)?)?;
        let now = now_or(now)?;
        let (authority, actor) = (&authority.inner, &actor.inner);
        let issued =
            py.detach(|| self.inner.issue_token(authority, actor, request_id, kind, name, lifetime, now)).py_err(py)?;
        Ok(IssuedToken::from_core(issued))
    }

    // ---- operation token lifecycle ---------------------------------------------------------

    /// Every issued token's record (never its text), oldest first, as a ``RecordList`` that a
    /// notebook shows as a table (``.to_pandas()`` for a DataFrame).
    fn tokens(&self, py: Python<'_>) -> PyResult<RecordList> {
        let all = py.detach(|| self.inner.tokens()).py_err(py)?;
        RecordList::new(py, all.into_iter().map(TokenRecord::new))
    }

    /// The record of token ``jti`` (``NotFoundError`` when there is none, e.g. deleted).
    fn token(&self, py: Python<'_>, jti: &str) -> PyResult<TokenRecord> {
        py.detach(|| self.inner.token(jti)).py_err(py).map(TokenRecord::new)
    }

    /// Moves project ``project`` to key version ``key_version`` (administrators only), the
    /// registry's half of an early retirement: the project's tokens are revoked (they name the
    /// old version) and the move is audited. Then rewrap its pseudonyms with a new reverse token
    /// (``Engine.rewrap``), or, for a not-reversible project, re-pseudonymise from the originals
    /// and match old records with ``Engine.lookup``. Returns the project and the revoked ``jti``s.
    #[pyo3(signature = (admin, project, *, key_version, now = None))]
    fn rekey_project(
        &self,
        py: Python<'_>,
        admin: &Principal,
        project: &str,
        key_version: u16,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Project, Vec<String>)> {
        let now = now_or(now)?;
        let id = to_project(py, project)?;
        let admin = &admin.inner;
        let (p, revoked) = py.detach(|| self.inner.rekey_project(admin, &id, key_version, now)).py_err(py)?;
        Ok((Project::new(p), revoked))
    }

    /// Records the retirement of key ``version`` (administrators only); refused
    /// (``InvalidStateError``, detail ``"key_version_in_use"``) while a project is bound to it.
    /// Then remove it from the engine with ``Engine.retire_key_version``.
    #[pyo3(signature = (admin, version, *, now = None))]
    fn retire_key_version(
        &self,
        py: Python<'_>,
        admin: &Principal,
        version: u16,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let now = now_or(now)?;
        let admin = &admin.inner;
        py.detach(|| self.inner.retire_key_version(admin, version, now)).py_err(py)
    }

    /// Revokes token ``jti`` (its holder or an administrator): engines sharing this registry
    /// refuse it from their next call on. Revoking a revoked token changes nothing.
    fn revoke_token(&self, py: Python<'_>, actor: &Principal, jti: &str) -> PyResult<TokenRecord> {
        let actor = &actor.inner;
        py.detach(|| self.inner.revoke_token(actor, jti)).py_err(py).map(TokenRecord::new)
    }

    /// Restores a revoked token. An active, expired or deleted one cannot be restored
    /// (``InvalidStateError`` or ``NotFoundError``).
    #[pyo3(signature = (actor, jti, *, now = None))]
    fn restore_token(
        &self,
        py: Python<'_>,
        actor: &Principal,
        jti: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TokenRecord> {
        let now = now_or(now)?;
        let actor = &actor.inner;
        py.detach(|| self.inner.restore_token(actor, jti, now)).py_err(py).map(TokenRecord::new)
    }

    /// Deletes a revoked token's record; the engine keeps refusing the token. An active token
    /// must be revoked first (``InvalidStateError``, ``detail`` ``"active"``).
    fn delete_token(&self, py: Python<'_>, actor: &Principal, jti: &str) -> PyResult<()> {
        let actor = &actor.inner;
        py.detach(|| self.inner.delete_token(actor, jti)).py_err(py)
    }

    // ---- access tokens ---------------------------------------------------------------------

    /// Makes an access token valid for ``lifetime`` (a ``timedelta``) and returns a
    /// ``NewAccessToken`` whose ``secret`` is shown this once (the registry keeps a hash).
    ///
    /// ``kind="personal"``: ``actor`` makes one for themselves. ``kind="service"``: only an
    /// administrator, for ``service_account`` (a ``Principal`` with role
    /// ``"service_account"``); anyone else gets ``PermissionDeniedError``.
    #[pyo3(signature = (actor, *, name, lifetime, kind = "personal", service_account = None, now = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_access_token(
        &self,
        py: Python<'_>,
        actor: &Principal,
        name: &str,
        lifetime: &Bound<'_, PyAny>,
        kind: &str,
        service_account: Option<&Principal>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<NewAccessToken> {
        let kind = match kind {
            "personal" => AccessKind::Personal,
            "service" => AccessKind::Service,
            _ => return Err(input_error(py, "kind must be \"personal\" or \"service\"")),
        };
        let lifetime = to_duration("lifetime", lifetime)?;
        let now = now_or(now)?;
        let (actor, account) = (&actor.inner, service_account.map(|s| &s.inner));
        let new = py.detach(|| self.inner.create_access_token(actor, kind, account, name, lifetime, now)).py_err(py)?;
        Ok(NewAccessToken { record: new.record, secret: new.secret })
    }

    /// Authenticates a presented access-token ``secret`` and returns its record (whose
    /// ``principal`` is who it authenticates), noting the use.
    ///
    /// A malformed secret (wrong prefix, truncated, bad checksum) raises
    /// ``InvalidSecretError`` before any lookup; an unknown, revoked or expired one
    /// ``AuthenticationError``. Neither message contains the secret.
    #[pyo3(signature = (secret, *, now = None))]
    fn authenticate(
        &self,
        py: Python<'_>,
        secret: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<AccessTokenRecord> {
        let secret = text_arg("secret", secret)?;
        let now = now_or(now)?;
        py.detach(|| self.inner.authenticate(&secret, now)).py_err(py).map(AccessTokenRecord::new)
    }

    /// Every access token's record (never a secret), oldest first, as a ``RecordList``.
    fn access_tokens(&self, py: Python<'_>) -> PyResult<RecordList> {
        let all = py.detach(|| self.inner.access_tokens()).py_err(py)?;
        RecordList::new(py, all.into_iter().map(AccessTokenRecord::new))
    }

    /// The record of access token ``id``.
    fn access_token(&self, py: Python<'_>, id: &str) -> PyResult<AccessTokenRecord> {
        py.detach(|| self.inner.access_token(id)).py_err(py).map(AccessTokenRecord::new)
    }

    /// Revokes access token ``id`` (its owner, its maker or an administrator).
    fn revoke_access_token(&self, py: Python<'_>, actor: &Principal, id: &str) -> PyResult<AccessTokenRecord> {
        let actor = &actor.inner;
        py.detach(|| self.inner.revoke_access_token(actor, id)).py_err(py).map(AccessTokenRecord::new)
    }

    /// Restores a revoked, unexpired access token.
    #[pyo3(signature = (actor, id, *, now = None))]
    fn restore_access_token(
        &self,
        py: Python<'_>,
        actor: &Principal,
        id: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<AccessTokenRecord> {
        let now = now_or(now)?;
        let actor = &actor.inner;
        py.detach(|| self.inner.restore_access_token(actor, id, now)).py_err(py).map(AccessTokenRecord::new)
    }

    /// Deletes a revoked access token.
    fn delete_access_token(&self, py: Python<'_>, actor: &Principal, id: &str) -> PyResult<()> {
        let actor = &actor.inner;
        py.detach(|| self.inner.delete_access_token(actor, id)).py_err(py)
    }

    /// The latest ``limit`` audit events, oldest first, as a ``RecordList``: the calls of engines
    /// sharing this registry and the registry's own changes (tokens and access tokens issued,
    /// revoked, restored, deleted; key versions). Events never hold a data value or a secret.
    #[pyo3(signature = (*, limit = 100))]
    fn audit_events(&self, py: Python<'_>, limit: usize) -> PyResult<RecordList> {
        let all = py.detach(|| self.inner.audit_events(limit)).py_err(py)?;
        RecordList::new(py, all.into_iter().map(AuditEvent::new))
    }

    /// Writes the buffered last-use notes and audit events now. Engine calls buffer them for up
    /// to 100 ms and write them together; reading records or the audit log flushes first, and so
    /// does closing the registry. Call it before a planned shutdown.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.flush()).py_err(py)
    }

    fn __repr__(&self) -> String {
        match &self.path {
            Some(p) => format!("Registry.open({})", Q(&p.display().to_string())),
            None => "Registry.in_memory()".to_owned(),
        }
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "Registry objects cannot be pickled or copied: open the same file again with Registry.open(path)",
        ))
    }
}
