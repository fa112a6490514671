"""pseudo: a pseudonymisation engine and token authority.

Two roles live in one library:

* an :class:`Authority` holds an Ed25519 :class:`SigningKey` and issues signed tokens
  (``psn`` to pseudonymise, ``sec`` for secondary pseudonymisation, ``rev`` to reverse) that
  carry a project's configuration (:class:`ProjectConfig`). It never sees data;
* an :class:`Engine` holds the master keys (:class:`Keyring`) and the authority's
  :class:`VerifyingKey`. Given a token and one column of values (a list, any iterable of
  ``str``, a pandas or polars Series, an Arrow array) it verifies the token and pseudonymises
  or reverses them, returning the same kind of column; missing values stay missing::

    import uuid
    import pseudo
    from datetime import datetime, timedelta, timezone

    signing = pseudo.SigningKey.generate()
    engine = pseudo.Engine(pseudo.MasterKey.generate(), signing.verifying_key,
                           issuer="https://portal.example", audience="pseudo-engine")
    authority = pseudo.Authority(signing, issuer="https://portal.example", audience="pseudo-engine")
    config = pseudo.ProjectConfig(reversible=True,
                                  retention_end=datetime.now(timezone.utc) + timedelta(days=365))
    token = authority.issue_pseudonymise(project="cohort-2026", organisation=uuid.uuid4(),
                                         config=config, subject="alice", request="req-1")
    engine.pseudonymise(token, ["Example PID 1", "Example PID 2"])
    df = engine.pseudonymise_columns(token, df, ["patient_id"])   # pandas or polars

:mod:`pseudo.spark` does the same on the executors of a PySpark DataFrame.

The authority's :class:`Registry` (a SQLite file or in memory) keeps projects, requests,
collaborators, the issuing policy, records of issued tokens, access tokens and the audit log.
Give it to the engine (``Engine(..., registry=registry)``) and a revoked token is refused from
the next call on, each token's last use is noted and every call is audited::

    registry = pseudo.Registry.open("registry.db")
    admin = pseudo.Principal(id="admin", organisation=hospital, role="admin")
    project = registry.create_project(owner, id="cohort-2026", name="Cohort 2026",
                                      reversible=True, years=5)
    registry.add_collaborator(owner, "cohort-2026", organisation=university)
    request = registry.submit_request(researcher, "cohort-2026", dataset="admissions")
    registry.decide_request(admin, request.id, approve=True, comment="ethics approved")
    token = registry.issue_token(authority, researcher, request.id, name="etl")
    registry.tokens()          # a table in a notebook; .to_pandas() for a DataFrame

Every error is a :class:`PseudoError` (with a ``code``, and a ``detail`` naming the rule where
one refusal kind has several); errors in the caller's input are also ``ValueError``.

Secrets in Python objects: ``bytes`` and ``str`` handed in or exported (key material, PEM
text, tokens) cannot be zeroized; they stay in the interpreter's memory until it is reused. The
copies held by this library's objects are wiped when those objects are freed.
"""

from pseudo._pseudo import (
    AccessTokenRecord,
    ArrowArray,
    AuditEvent,
    AuthenticationError,
    Authority,
    BatchError,
    Collaborator,
    Engine,
    ExpiredTokenError,
    Grant,
    InputError,
    InternalError,
    InvalidKeyError,
    InvalidSecretError,
    InvalidSignatureError,
    InvalidStateError,
    IssueRefusedError,
    IssuedToken,
    ItemFailure,
    KeyFileError,
    Keyring,
    LimitExceededError,
    MalformedTokenError,
    MasterKey,
    NewAccessToken,
    NotFoundError,
    PermissionDeniedError,
    Principal,
    Project,
    ProjectConfig,
    PseudoError,
    RecordList,
    Registry,
    Report,
    Request,
    RequestEvent,
    RetentionEndedError,
    RevokedTokenError,
    SigningKey,
    SourceRef,
    StorageError,
    TokenClaimsError,
    TokenError,
    TokenNotAllowedError,
    TokenNotYetValidError,
    TokenRecord,
    TransformError,
    VerifyingKey,
    __version__,
)

__all__ = [
    "AccessTokenRecord",
    "ArrowArray",
    "AuditEvent",
    "AuthenticationError",
    "Authority",
    "BatchError",
    "Collaborator",
    "Engine",
    "ExpiredTokenError",
    "Grant",
    "InputError",
    "InternalError",
    "InvalidKeyError",
    "InvalidSecretError",
    "InvalidSignatureError",
    "InvalidStateError",
    "IssueRefusedError",
    "IssuedToken",
    "ItemFailure",
    "KeyFileError",
    "Keyring",
    "LimitExceededError",
    "MalformedTokenError",
    "MasterKey",
    "NewAccessToken",
    "NotFoundError",
    "PermissionDeniedError",
    "Principal",
    "Project",
    "ProjectConfig",
    "PseudoError",
    "RecordList",
    "Registry",
    "Report",
    "Request",
    "RequestEvent",
    "RetentionEndedError",
    "RevokedTokenError",
    "SigningKey",
    "SourceRef",
    "StorageError",
    "TokenClaimsError",
    "TokenError",
    "TokenNotAllowedError",
    "TokenNotYetValidError",
    "TokenRecord",
    "TransformError",
    "VerifyingKey",
    "__version__",
]
