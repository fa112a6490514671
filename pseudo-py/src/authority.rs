//! The token authority: `ProjectConfig`, `SourceRef`, `Authority` and `IssuedToken`.

use std::time::Duration;

use pseudo_core as core;
use pseudo_core::{Method, ProjectConfig as CoreConfig, SourceRef as CoreSource, Timestamp, TokenKind};
use pyo3::prelude::*;
use pyo3::types::IntoPyDict;

use crate::convert::Q;
use crate::convert::{
    from_org, from_timestamp, to_duration, to_format, to_org, to_project, to_timestamp, to_treatment, treatment_str,
};
use crate::errors::IntoPyResult;
use crate::keys::{SigningKey, VerifyingKey};

fn method(reversible: bool) -> Method {
    if reversible {
        Method::Reversible
    } else {
        Method::NotReversible
    }
}

/// A project's configuration, carried in every token issued for it.
///
/// ``ProjectConfig(*, reversible, retention_end, treatment="same", format="base64url")``:
///
/// * ``reversible``: whether pseudonyms can be reversed (AES-SIV) or never (HMAC or random);
/// * ``retention_end``: a ``datetime`` (a naive one is taken as UTC) or a ``date`` (midnight
///   UTC). After it, reversal is refused for ever, the keys are erased and tokens expire;
/// * ``treatment``: ``"same"`` (one value always gets the same pseudonym, so joins work) or
///   ``"different"`` (every occurrence gets a fresh pseudonym);
/// * ``format``: how pseudonyms are written: ``"base64url"`` (unpadded), ``"hex"`` or
///   ``"base32"`` (lower case, unpadded).
#[pyclass(frozen, eq, module = "pseudo._pseudo")]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ProjectConfig {
    pub(crate) inner: CoreConfig,
}

#[pymethods]
impl ProjectConfig {
    #[new]
    #[pyo3(signature = (*, reversible, retention_end, treatment = "same", format = "base64url"))]
    fn new(
        py: Python<'_>,
        reversible: bool,
        retention_end: &Bound<'_, PyAny>,
        treatment: &str,
        format: &str,
    ) -> PyResult<Self> {
        Ok(ProjectConfig {
            inner: CoreConfig {
                method: method(reversible),
                retention_end: to_timestamp("retention_end", retention_end)?,
                treatment: to_treatment(py, treatment)?,
                format: to_format(py, format)?,
            },
        })
    }

    /// Whether pseudonyms of the project can be reversed.
    #[getter]
    fn reversible(&self) -> bool {
        self.inner.method.is_reversible()
    }

    /// The end of retention, a timezone-aware UTC ``datetime``.
    #[getter]
    fn retention_end(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.retention_end)
    }

    /// ``"same"`` or ``"different"``.
    #[getter]
    fn treatment(&self) -> &'static str {
        treatment_str(self.inner.treatment)
    }

    /// ``"base64url"``, ``"hex"`` or ``"base32"``.
    #[getter]
    fn format(&self) -> &'static str {
        self.inner.format.as_str()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let end = self.retention_end(py)?;
        Ok(format!(
            "ProjectConfig(reversible={}, retention_end={}, treatment={}, format={})",
            if self.reversible() { "True" } else { "False" },
            end.bind(py).repr()?,
            Q(self.treatment()),
            Q(self.format())
        ))
    }
}

/// The source of a secondary (level-2) pseudonymisation: whose level-1 pseudonyms a ``sec``
/// token accepts, and what a level-2 reverse token leads back to.
///
/// ``SourceRef(*, project, organisation, config, key_version=None)`` with the source project's
/// id, the organisation that holds its level-1 pseudonyms (a ``uuid.UUID`` or its text), the
/// source project's ``ProjectConfig`` and the key version it is bound to (``None``: the issuing
/// authority's ``key_version``).
#[pyclass(frozen, eq, module = "pseudo._pseudo")]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SourceRef {
    pub(crate) inner: CoreSource,
}

#[pymethods]
impl SourceRef {
    #[new]
    #[pyo3(signature = (*, project, organisation, config, key_version = None))]
    fn new(
        py: Python<'_>,
        project: &str,
        organisation: &Bound<'_, PyAny>,
        config: &ProjectConfig,
        key_version: Option<u16>,
    ) -> PyResult<Self> {
        Ok(SourceRef {
            inner: CoreSource {
                project: to_project(py, project)?,
                organisation: to_org(organisation)?,
                method: config.inner.method,
                retention_end: config.inner.retention_end,
                format: config.inner.format,
                key_version,
            },
        })
    }

    /// The key version the source project is bound to (``src.kv``), or ``None`` for the
    /// issuing authority's own.
    #[getter]
    fn key_version(&self) -> Option<u16> {
        self.inner.key_version
    }

    /// The source project's id.
    #[getter]
    fn project(&self) -> &str {
        self.inner.project.as_str()
    }

    /// The source organisation, a ``uuid.UUID``.
    #[getter]
    fn organisation(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_org(py, &self.inner.organisation)
    }

    /// Whether the source project is reversible.
    #[getter]
    fn reversible(&self) -> bool {
        self.inner.method.is_reversible()
    }

    /// The source project's retention end, a timezone-aware UTC ``datetime``.
    #[getter]
    fn retention_end(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.retention_end)
    }

    /// The source project's output format.
    #[getter]
    fn format(&self) -> &'static str {
        self.inner.format.as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "SourceRef(project={}, organisation={})",
            Q(self.inner.project.as_str()),
            Q(&self.inner.organisation.to_string())
        )
    }
}

/// A freshly issued token. ``token`` is the compact JWT to hand to its holder once: it is a
/// bearer secret, so the ``repr`` shows only its id, type and expiry.
///
/// ``Engine.pseudonymise`` and ``Engine.reverse`` accept an ``IssuedToken`` or its ``token``.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct IssuedToken {
    pub(crate) token: String,
    jti: String,
    token_type: &'static str,
    issued_at: Timestamp,
    expires_at: Timestamp,
}

#[pymethods]
impl IssuedToken {
    /// The compact JWT (``header.claims.signature``). A bearer secret.
    #[getter]
    fn token(&self) -> &str {
        &self.token
    }

    /// The token id (``jti``), the handle for revocation.
    #[getter]
    fn jti(&self) -> &str {
        &self.jti
    }

    /// ``"psn"``, ``"sec"`` or ``"rev"``.
    #[getter]
    fn token_type(&self) -> &'static str {
        self.token_type
    }

    /// When the token was issued, a timezone-aware UTC ``datetime``.
    #[getter]
    fn issued_at(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.issued_at)
    }

    /// When the token expires, a timezone-aware UTC ``datetime``.
    #[getter]
    fn expires_at(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.expires_at)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let exp = self.expires_at(py)?;
        Ok(format!(
            "IssuedToken(token_type={}, jti={}, expires_at={})",
            Q(self.token_type),
            Q(&self.jti),
            exp.bind(py).repr()?
        ))
    }
}

/// Issues signed operation tokens (``psn``, ``sec``, ``rev``) that carry a project's
/// configuration. The authority never sees data.
///
/// ``Authority(signing_key, *, issuer, audience)``: tokens are signed with ``signing_key`` and
/// name ``issuer`` (``iss``) and ``audience`` (``aud``), which the engine checks. The authority
/// holds its own copy of the key. It keeps no copy of the tokens it issues.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct Authority {
    pub(crate) inner: core::Authority,
}

struct Common {
    project: core::ProjectId,
    organisation: core::OrgId,
    config: CoreConfig,
    subject: String,
    request: String,
    lifetime: Duration,
    now: Timestamp,
    key_version: Option<u16>,
}

#[allow(clippy::too_many_arguments)]
fn common(
    py: Python<'_>,
    project: &str,
    organisation: &Bound<'_, PyAny>,
    config: &ProjectConfig,
    subject: &str,
    request: &str,
    lifetime: &Bound<'_, PyAny>,
    now: Option<&Bound<'_, PyAny>>,
    key_version: Option<u16>,
) -> PyResult<Common> {
    Ok(Common {
        project: to_project(py, project)?,
        organisation: to_org(organisation)?,
        config: config.inner,
        subject: subject.to_owned(),
        request: request.to_owned(),
        lifetime: to_duration("lifetime", lifetime)?,
        now: match now {
            Some(n) => to_timestamp("now", n)?,
            None => Timestamp::now(),
        },
        key_version,
    })
}

impl Authority {
    fn issue(&self, py: Python<'_>, kind: TokenKind, c: Common) -> PyResult<IssuedToken> {
        let request = core::TokenRequest {
            kind,
            subject: c.subject,
            organisation: c.organisation,
            project: c.project,
            request: c.request,
            config: c.config,
            lifetime: c.lifetime,
            key_version: c.key_version,
        };
        let issued = py.detach(|| self.inner.issue_at(&request, c.now)).py_err(py)?;
        Ok(IssuedToken::from_core(issued))
    }
}

impl IssuedToken {
    pub(crate) fn from_core(issued: core::IssuedToken) -> Self {
        IssuedToken {
            jti: issued.jti().to_owned(),
            token_type: issued.token_type().as_str(),
            issued_at: issued.issued_at(),
            expires_at: issued.expires_at(),
            token: issued.into_token(),
        }
    }
}

#[pymethods]
impl Authority {
    #[new]
    #[pyo3(signature = (signing_key, *, issuer, audience, key_version = 1))]
    fn new(py: Python<'_>, signing_key: &SigningKey, issuer: &str, audience: &str, key_version: u16) -> PyResult<Self> {
        let inner = core::Authority::new(signing_key.copy(py)?, issuer, audience)
            .and_then(|a| a.with_key_version(key_version))
            .py_err(py)?;
        Ok(Authority { inner })
    }

    /// The engine's primary key version as this authority was configured: tokens name it
    /// (``kv``) unless ``key_version=`` says otherwise.
    #[getter]
    fn key_version(&self) -> u16 {
        self.inner.key_version()
    }

    /// Issues a pseudonymisation (``psn``) token: original values to level-1 pseudonyms of
    /// ``project``.
    ///
    /// ``organisation`` is the collaborator the token is issued to (a ``uuid.UUID``),
    /// ``subject`` who holds it, ``request`` the approved request it serves. The token is valid
    /// for ``lifetime`` (a ``timedelta``, default one hour), never past the retention end.
    /// ``now`` (a ``datetime``) issues it as of another instant. ``key_version`` is the key version
    /// the project is bound to (its ``kv``; default the authority's ``key_version``): the engine
    /// derives the project's keys from it, so a rotation never changes its pseudonyms.
    #[pyo3(signature = (*, project, organisation, config, subject, request, lifetime = None, now = None, key_version = None))]
    #[allow(clippy::too_many_arguments)]
    fn issue_pseudonymise(
        &self,
        py: Python<'_>,
        project: &str,
        organisation: &Bound<'_, PyAny>,
        config: &ProjectConfig,
        subject: &str,
        request: &str,
        lifetime: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
        key_version: Option<u16>,
    ) -> PyResult<IssuedToken> {
        let lifetime = default_lifetime(py, lifetime)?;
        let c = common(py, project, organisation, config, subject, request, &lifetime, now, key_version)?;
        self.issue(py, TokenKind::Pseudonymise, c)
    }

    /// Issues a secondary (``sec``) token: level-1 pseudonyms of ``source`` to level-2
    /// pseudonyms of ``project`` (under a separate key). Inputs that are not level-1 pseudonyms of
    /// that source are rejected. Other arguments as for ``issue_pseudonymise``.
    #[pyo3(signature = (*, project, organisation, config, source, subject, request, lifetime = None, now = None, key_version = None))]
    #[allow(clippy::too_many_arguments)]
    fn issue_secondary(
        &self,
        py: Python<'_>,
        project: &str,
        organisation: &Bound<'_, PyAny>,
        config: &ProjectConfig,
        source: &SourceRef,
        subject: &str,
        request: &str,
        lifetime: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
        key_version: Option<u16>,
    ) -> PyResult<IssuedToken> {
        let lifetime = default_lifetime(py, lifetime)?;
        let c = common(py, project, organisation, config, subject, request, &lifetime, now, key_version)?;
        self.issue(py, TokenKind::Secondary(source.inner.clone()), c)
    }

    /// Issues a reverse (``rev``) token for a reversible project. Without ``source`` it undoes
    /// level 1 (pseudonyms back to the original values); with ``source`` it undoes level 2 of
    /// this secondary project (level-2 pseudonyms back to the source's level-1 pseudonyms, never
    /// to the originals). Other arguments as for ``issue_pseudonymise``.
    #[pyo3(signature = (*, project, organisation, config, subject, request, source = None, lifetime = None, now = None, key_version = None))]
    #[allow(clippy::too_many_arguments)]
    fn issue_reverse(
        &self,
        py: Python<'_>,
        project: &str,
        organisation: &Bound<'_, PyAny>,
        config: &ProjectConfig,
        subject: &str,
        request: &str,
        source: Option<&SourceRef>,
        lifetime: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
        key_version: Option<u16>,
    ) -> PyResult<IssuedToken> {
        let lifetime = default_lifetime(py, lifetime)?;
        let c = common(py, project, organisation, config, subject, request, &lifetime, now, key_version)?;
        let level = match source {
            None => core::ReverseLevel::Level1,
            Some(s) => core::ReverseLevel::Level2(s.inner.clone()),
        };
        self.issue(py, TokenKind::Reverse(level), c)
    }

    /// The public key engines need to verify this authority's tokens.
    #[getter]
    fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey { inner: self.inner.verifying_key().clone() }
    }

    /// The issuer (``iss``) of every token.
    #[getter]
    fn issuer(&self) -> &str {
        self.inner.issuer()
    }

    /// The audience (``aud``) of every token.
    #[getter]
    fn audience(&self) -> &str {
        self.inner.audience()
    }

    fn __repr__(&self) -> String {
        format!(
            "Authority(kid={}, issuer={}, audience={})",
            Q(self.inner.verifying_key().kid()),
            Q(self.inner.issuer()),
            Q(self.inner.audience())
        )
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "Authority objects cannot be pickled or copied: they hold a secret signing key",
        ))
    }
}

pub(crate) fn default_lifetime<'py>(
    py: Python<'py>,
    lifetime: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match lifetime {
        Some(l) => Ok(l.clone()),
        None => py.import("datetime")?.getattr("timedelta")?.call((), Some(&[("hours", 1)].into_py_dict(py)?)),
    }
}

/// What a verified token allows, as ``Engine.verify`` reports it. Holds no secret.
#[pyclass(frozen, module = "pseudo._pseudo")]
pub(crate) struct Grant {
    pub(crate) inner: core::Grant,
}

#[pymethods]
impl Grant {
    /// ``"psn"``, ``"sec"`` or ``"rev"``.
    #[getter]
    fn token_type(&self) -> &'static str {
        self.inner.token_type().as_str()
    }
    /// The token id (``jti``).
    #[getter]
    fn jti(&self) -> &str {
        self.inner.jti()
    }
    /// The key version the project is bound to (``kv``): the engine derives the token's keys
    /// from it.
    #[getter]
    fn key_version(&self) -> u16 {
        self.inner.key_version()
    }
    /// Who holds the token (``sub``).
    #[getter]
    fn subject(&self) -> &str {
        self.inner.subject()
    }
    /// The organisation the token was issued to, a ``uuid.UUID``.
    #[getter]
    fn organisation(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_org(py, self.inner.organisation())
    }
    /// The project id.
    #[getter]
    fn project(&self) -> &str {
        self.inner.project().as_str()
    }
    /// The approved request the token serves.
    #[getter]
    fn request(&self) -> &str {
        self.inner.request()
    }
    /// The project configuration the token carries.
    #[getter]
    fn config(&self) -> ProjectConfig {
        ProjectConfig { inner: *self.inner.config() }
    }
    /// The pseudonym level the token makes (``psn`` 1, ``sec`` 2) or undoes (``rev`` 1 or 2).
    #[getter]
    fn level(&self) -> u8 {
        self.inner.level()
    }
    /// The source of a ``sec`` token or of a level-2 ``rev`` token, else ``None``.
    #[getter]
    fn source(&self) -> Option<SourceRef> {
        self.inner.source().map(|s| SourceRef { inner: s.clone() })
    }
    /// When the token was issued, a timezone-aware UTC ``datetime``.
    #[getter]
    fn issued_at(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.issued_at())
    }
    /// When the token expires, a timezone-aware UTC ``datetime``.
    #[getter]
    fn expires_at(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_timestamp(py, self.inner.expires_at())
    }

    fn __repr__(&self) -> String {
        format!(
            "Grant(token_type={}, project={}, level={}, jti={})",
            Q(self.token_type()),
            Q(self.project()),
            self.level(),
            Q(self.jti())
        )
    }
}
