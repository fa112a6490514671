"""pseudo token lifecycle: the authority's registry, from project to deleted token.

Run it with `make demo-py` (or `python examples/python/lifecycle.py` once `pseudo` is installed).

1. A registry in a SQLite file; an engine that consults it on every call.
2. A project, a collaborator, a request, the policy refusing a token before approval, approval.
3. A token issued, used, its last use seen; a reverse token refused (no can_reverse).
4. Revoke: the engine refuses it; restore: it works again; delete (only once revoked).
5. A personal access token: shown once, authenticates, revoked; a mistyped one is caught.
6. The tokens table and the audit log.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import pseudo

ISSUER = "https://portal.example"
AUDIENCE = "pseudo-engine"


def show(label: str, t: pseudo.TokenRecord) -> None:
    used = "not used" if t.last_used is None else f"last used {t.last_used:%H:%M:%S} UTC"
    print(f"  {label:<10} {t.jti} {t.name!r} {t.token_type} {t.status} ({used})")


with tempfile.TemporaryDirectory() as tmp:
    # 1. The registry (SQLite, WAL) and an engine wired to it.
    registry = pseudo.Registry.open(Path(tmp) / "registry.db")
    signing_key = pseudo.SigningKey.generate()
    authority = pseudo.Authority(signing_key, issuer=ISSUER, audience=AUDIENCE)
    engine = pseudo.Engine(
        pseudo.MasterKey.generate(),
        signing_key.verifying_key,
        issuer=ISSUER,
        audience=AUDIENCE,
        registry=registry,
    )
    print("registry:", registry)

    hospital = uuid.UUID("2f8d6c1e-7b0a-4c4e-9a53-1d2e3f405162")
    university = uuid.UUID("8a1b0c9d-3e4f-4a5b-8c6d-7e8f90a1b2c3")
    admin = pseudo.Principal(id="admin", organisation=hospital, role="admin")
    owner = pseudo.Principal(id="olivia", organisation=hospital)
    researcher = pseudo.Principal(id="rahul", organisation=university)

    # 2. Project (retention fixed for ever), collaborator, request, approval.
    project = registry.create_project(owner, id="cohort-2026", name="Cohort 2026", reversible=True, years=5)
    print(f"project {project.id}: retention ends {project.retention_end:%Y-%m-%d} (fixed for ever)")
    try:
        registry.update_project(owner, project.id, retention=(10, 0, 0))
    except pseudo.InvalidStateError as e:
        print(f"  extend retention: refused ({e.detail})")
    registry.add_collaborator(owner, project.id, organisation=university, can_reverse=False)
    request = registry.submit_request(researcher, project.id, dataset="admissions 2020-2025")
    print(f"request {request.id}: {request.status}")
    try:
        registry.issue_token(authority, researcher, request.id, name="etl")
    except pseudo.IssueRefusedError as e:
        print(f"  issue before approval: refused ({e.detail}: {e})")
    request = registry.decide_request(admin, request.id, approve=True, comment="ethics approval attached")
    print(f"request {request.id}: {request.status} by {request.history[-1].actor}")

    # 3. Issue (the token text is shown once), use, last used.
    token = registry.issue_token(authority, researcher, request.id, name="etl", lifetime=timedelta(hours=1))
    print(f"\ntoken issued (shown once): {token.token[:24]}…")
    show("issued", registry.token(token.jti))
    try:
        registry.issue_token(authority, researcher, request.id, name="rev", kind="rev")
    except pseudo.IssueRefusedError as e:
        print(f"  a reverse token without can_reverse: refused ({e.detail})")
    print("  used:", engine.pseudonymise(token, ["Example PID 1", "Example PID 2"]))
    show("after use", registry.token(token.jti))

    # 4. Revoke → the engine refuses; restore → works; delete (only a revoked token).
    show("revoked", registry.revoke_token(researcher, token.jti))
    try:
        engine.pseudonymise(token, ["Example PID 1"])
    except pseudo.RevokedTokenError as e:
        print(f"  the engine refuses it: {e} [{e.code}]")
    show("restored", registry.restore_token(researcher, token.jti))
    engine.pseudonymise(token, ["Example PID 3"])
    try:
        registry.delete_token(researcher, token.jti)
    except pseudo.InvalidStateError as e:
        print(f"  delete while active: refused ({e})")
    spare = registry.issue_token(authority, researcher, request.id, name="spare")

    # 6a. The tokens table (in a notebook, `registry.tokens()` alone shows an HTML table).
    print("\ntokens:")
    try:
        print(registry.tokens().to_pandas()[["name", "token_type", "status", "last_used"]].to_string())
    except ImportError:
        for t in registry.tokens():
            show("", t)

    registry.revoke_token(researcher, token.jti)
    registry.delete_token(researcher, token.jti)
    print(f"\ndeleted {token.jti}; records left: {[t.name for t in registry.tokens()]}")
    try:
        engine.pseudonymise(token, ["Example PID 1"])
    except pseudo.RevokedTokenError:
        print("  the engine still refuses the deleted token")

    # 5. A personal access token: the secret is shown once and stored as a hash.
    pat = registry.create_access_token(researcher, name="laptop", lifetime=timedelta(days=30))
    print(f"\n{pat!r}")
    print(f"  secret (shown once): {pat.secret[:14]}…{pat.secret[-6:]}")
    print("  authenticates as:", registry.authenticate(pat.secret).principal)
    try:
        registry.authenticate(pat.secret[:-1])
    except pseudo.InvalidSecretError as e:
        print(f"  a truncated copy: {e}")
    registry.revoke_access_token(researcher, pat.record.id)
    try:
        registry.authenticate(pat.secret)
    except pseudo.AuthenticationError as e:
        print(f"  after revoke: {e}")

    # 6b. The audit log: every engine call and every change of a token (by whom), never a value
    # or a secret.
    print("\naudit log:")
    for ev in registry.audit_events(limit=20):
        print(
            f"  {ev.time:%H:%M:%S} {ev.operation} by {ev.subject} jti={ev.jti} items={ev.items}"
            f" outcome={ev.error or 'ok'}"
        )
    del engine, registry
print("\nlifecycle: OK")
