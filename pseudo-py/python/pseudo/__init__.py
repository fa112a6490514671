"""pseudo: a pseudonymisation engine and token authority.

Two roles live in one library:

* an :class:`Authority` holds an Ed25519 :class:`SigningKey` and issues signed tokens
  (``psn`` to pseudonymise, ``sec`` for secondary pseudonymisation, ``rev`` to reverse) that
  carry a project's configuration (:class:`ProjectConfig`). It never sees data;
* an :class:`Engine` holds the master keys (:class:`Keyring`) and the authority's
  :class:`VerifyingKey`. Given a token and a batch of values (a list, any iterable of ``str``
  or a pandas Series) it verifies the token and pseudonymises or reverses the batch::

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

Every error is a :class:`PseudoError`; errors in the caller's input are also ``ValueError``.

Secrets in Python objects: ``bytes`` and ``str`` handed in or exported (key material, PEM
text, tokens) cannot be zeroized; they stay in the interpreter's memory until it is reused. The
copies held by this library's objects are wiped when those objects are freed.
"""

from pseudo._pseudo import (
    Authority,
    BatchError,
    Engine,
    ExpiredTokenError,
    Grant,
    InputError,
    InternalError,
    InvalidKeyError,
    InvalidSignatureError,
    IssuedToken,
    IssueRefusedError,
    ItemFailure,
    KeyFileError,
    Keyring,
    LimitExceededError,
    MalformedTokenError,
    MasterKey,
    ProjectConfig,
    PseudoError,
    RetentionEndedError,
    RevokedTokenError,
    SigningKey,
    SourceRef,
    TokenClaimsError,
    TokenError,
    TokenNotAllowedError,
    TokenNotYetValidError,
    TransformError,
    VerifyingKey,
    __version__,
)

__all__ = [
    "Authority",
    "BatchError",
    "Engine",
    "ExpiredTokenError",
    "Grant",
    "InputError",
    "InternalError",
    "InvalidKeyError",
    "InvalidSignatureError",
    "IssueRefusedError",
    "IssuedToken",
    "ItemFailure",
    "KeyFileError",
    "Keyring",
    "LimitExceededError",
    "MalformedTokenError",
    "MasterKey",
    "ProjectConfig",
    "PseudoError",
    "RetentionEndedError",
    "RevokedTokenError",
    "SigningKey",
    "SourceRef",
    "TokenClaimsError",
    "TokenError",
    "TokenNotAllowedError",
    "TokenNotYetValidError",
    "TransformError",
    "VerifyingKey",
    "__version__",
]
