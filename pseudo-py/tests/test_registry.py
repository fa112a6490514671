"""The registry from Python: projects, requests, the issuing policy's refusals, the token and
access-token lifecycles, the engine consulting the registry, threads, and a corrupt database."""

from __future__ import annotations

import collections.abc
import pickle
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

import pseudo
from conftest import AUDIENCE, ISSUER

HOSPITAL = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
UNIVERSITY = uuid.UUID("00000000-0000-0000-0000-0000000000b2")
OUTSIDE = uuid.UUID("00000000-0000-0000-0000-0000000000c3")

ADMIN = pseudo.Principal(id="admin", organisation=HOSPITAL, role="admin")
OWNER = pseudo.Principal(id="olivia", organisation=HOSPITAL)
RESEARCHER = pseudo.Principal(id="rahul", organisation=UNIVERSITY)
OUTSIDER = pseudo.Principal(id="eve", organisation=OUTSIDE)
ROBOT = pseudo.Principal(id="etl-bot", organisation=UNIVERSITY, role="service_account")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(params=["memory", "sqlite"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pseudo.Registry]:
    if request.param == "memory":
        yield pseudo.Registry.in_memory()
    else:
        yield pseudo.Registry.open(tmp_path / "registry.db")


@pytest.fixture()
def engine(registry: pseudo.Registry, keyring: pseudo.Keyring, signing: pseudo.SigningKey) -> pseudo.Engine:
    return pseudo.Engine(keyring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE, registry=registry)


def project(
    reg: pseudo.Registry, pid: str, *, reversible: bool = True, can_reverse: bool = False, **retention: Any
) -> pseudo.Project:
    retention = retention or {"years": 1}
    reg.create_project(OWNER, id=pid, name=f"Project {pid}", reversible=reversible, **retention)
    return reg.add_collaborator(OWNER, pid, organisation=UNIVERSITY, can_reverse=can_reverse)


def approved(reg: pseudo.Registry, pid: str, **kw: Any) -> pseudo.Request:
    project(reg, pid, **kw)
    r = reg.submit_request(RESEARCHER, pid, dataset="admissions")
    return reg.decide_request(ADMIN, r.id, approve=True, comment="ethics approval attached")


def refusal(exc: pytest.ExceptionInfo[pseudo.PseudoError]) -> tuple[str, str | None]:
    return exc.value.code, exc.value.detail


# ---- projects and requests -------------------------------------------------------------------


def test_project_configuration_is_fixed(registry: pseudo.Registry) -> None:
    p = registry.create_project(
        OWNER, id="P1", name="Cohort", reversible=True, retention=(1, 2, 3), treatment="different", format="hex"
    )
    assert (p.id, p.owner, p.reversible, p.treatment, p.format) == ("P1", HOSPITAL, True, "different", "hex")
    assert p.created.tzinfo is not None and p.retention_end.utcoffset() == timedelta(0)
    assert p.retention_end > p.created + timedelta(days=365 + 59)
    assert p.config == pseudo.ProjectConfig(
        reversible=True, retention_end=p.retention_end, treatment="different", format="hex"
    )
    changes: list[tuple[dict[str, Any], str]] = [
        ({"retention": (5, 0, 0)}, "retention_fixed"),
        ({"reversible": False}, "method_fixed"),
        ({"treatment": "same"}, "config_fixed"),
        ({"format": "base32"}, "config_fixed"),
    ]
    for change, detail in changes:
        with pytest.raises(pseudo.InvalidStateError) as e:
            registry.update_project(OWNER, "P1", **change)
        assert refusal(e) == ("invalid_state", detail)
        assert "retention" in str(e.value) or "fixed" in str(e.value)
    assert registry.project("P1") == p, "a refused change changes nothing"
    assert registry.update_project(OWNER, "P1", name="Cohort 2026").name == "Cohort 2026"
    with pytest.raises(pseudo.PermissionDeniedError):
        registry.update_project(RESEARCHER, "P1", name="mine now")
    with pytest.raises(pseudo.NotFoundError) as nf:
        registry.project("nope")
    assert isinstance(nf.value, LookupError) and nf.value.detail == "unknown_project"


def test_retention_arguments(registry: pseudo.Registry) -> None:
    now = datetime(2026, 1, 31, 12, tzinfo=timezone.utc)
    p = registry.create_project(OWNER, id="P1", name="x", reversible=True, months=1, now=now)
    assert p.retention_end == datetime(2026, 2, 28, 12, tzinfo=timezone.utc)
    with pytest.raises(pseudo.InputError):
        registry.create_project(OWNER, id="P2", name="x", reversible=True, retention=(1, 0, 0), years=1)
    with pytest.raises(pseudo.InputError):
        registry.create_project(OWNER, id="P2", name="x", reversible=True)
    with pytest.raises(pseudo.InputError):
        registry.create_project(OWNER, id="P2", name="x", reversible=True, retention=(0, 0, 0))
    with pytest.raises(TypeError):
        registry.create_project(OWNER, id="P2", name="x", reversible=True, retention=timedelta(days=3))  # type: ignore[arg-type]
    with pytest.raises(pseudo.PermissionDeniedError):
        registry.create_project(ROBOT, id="P2", name="x", reversible=True, years=1)


def test_requests_keep_their_history(registry: pseudo.Registry) -> None:
    registry.create_project(OWNER, id="P1", name="x", reversible=True, years=1)
    with pytest.raises(pseudo.IssueRefusedError) as e:
        registry.submit_request(RESEARCHER, "P1", dataset="d")
    assert e.value.detail == "not_a_collaborator"
    registry.add_collaborator(OWNER, "P1", organisation=str(UNIVERSITY))
    r = registry.submit_request(RESEARCHER, "P1", dataset="d")
    assert (r.status, r.organisation, r.requester) == ("pending", UNIVERSITY, "rahul")
    with pytest.raises(pseudo.InvalidStateError) as busy:
        registry.add_collaborator(OWNER, "P1", organisation=OUTSIDE)
    assert busy.value.detail == "request_pending"
    with pytest.raises(pseudo.PermissionDeniedError) as denied:
        registry.decide_request(RESEARCHER, r.id, approve=True)
    assert denied.value.detail == "not_admin"
    r = registry.decide_request(ADMIN, r.id, approve=False, comment="missing ethics approval")
    assert r.status == "rejected"
    assert [(h.actor, h.status, h.comment) for h in r.history] == [
        ("rahul", "pending", None),
        ("admin", "rejected", "missing ethics approval"),
    ]
    assert registry.request(r.id) == r
    assert list(registry.requests("P1")) == [r]
    with pytest.raises(pseudo.InvalidStateError):
        registry.decide_request(ADMIN, r.id, approve=True)
    assert len(registry.add_collaborator(OWNER, "P1", organisation=OUTSIDE).collaborators) == 2
    # A request can say which token type it wants (None: not said, as above).
    assert r.token_type is None
    wants = registry.submit_request(RESEARCHER, "P1", dataset="d2", token_type="rev")
    assert wants.token_type == "rev" and registry.request(wants.id).token_type == "rev"
    with pytest.raises(ValueError, match="token_type"):
        registry.submit_request(RESEARCHER, "P1", dataset="d3", token_type="reverse")  # type: ignore[arg-type]


# ---- the issuing policy ----------------------------------------------------------------------


def test_issue_for_pending_or_rejected_request(registry: pseudo.Registry, authority: pseudo.Authority) -> None:
    project(registry, "P1")
    pending = registry.submit_request(RESEARCHER, "P1", dataset="d")
    with pytest.raises(pseudo.IssueRefusedError) as e:
        registry.issue_token(authority, RESEARCHER, pending.id, name="etl")
    assert refusal(e) == ("issue_refused", "request_not_approved")
    registry.decide_request(ADMIN, pending.id, approve=False)
    with pytest.raises(pseudo.IssueRefusedError) as e:
        registry.issue_token(authority, RESEARCHER, pending.id, name="etl")
    assert refusal(e) == ("issue_refused", "request_not_approved")
    assert len(registry.tokens()) == 0


def test_issue_for_non_collaborator(registry: pseudo.Registry, authority: pseudo.Authority) -> None:
    r = approved(registry, "P1")
    with pytest.raises(pseudo.PermissionDeniedError) as e:
        registry.issue_token(authority, OUTSIDER, r.id, name="stolen")
    assert refusal(e) == ("permission_denied", "not_requester")
    with pytest.raises(pseudo.NotFoundError):
        registry.issue_token(authority, RESEARCHER, "req_unknown", name="etl")


def test_reverse_tokens(registry: pseudo.Registry, authority: pseudo.Authority) -> None:
    no_reverse = approved(registry, "P1", can_reverse=False)
    with pytest.raises(pseudo.IssueRefusedError) as e:
        registry.issue_token(authority, RESEARCHER, no_reverse.id, name="rev", kind="rev")
    assert e.value.detail == "cannot_reverse"

    not_reversible = approved(registry, "P2", reversible=False, can_reverse=True)
    with pytest.raises(pseudo.IssueRefusedError) as e:
        registry.issue_token(authority, RESEARCHER, not_reversible.id, name="rev", kind="rev")
    assert e.value.detail == "not_reversible"

    ok = approved(registry, "P3", can_reverse=True, days=10)
    token = registry.issue_token(authority, RESEARCHER, ok.id, name="rev", kind="rev")
    assert token.token_type == "rev"
    with pytest.raises(pseudo.IssueRefusedError) as e:
        registry.issue_token(authority, RESEARCHER, ok.id, name="rev", kind="rev", now=utcnow() + timedelta(days=11))
    assert e.value.detail == "retention_ended"


def test_secondary_tokens_name_an_existing_source(registry: pseudo.Registry, authority: pseudo.Authority) -> None:
    project(registry, "SRC")
    r = approved(registry, "P1", can_reverse=True)
    with pytest.raises(pseudo.IssueRefusedError) as e:
        registry.issue_token(authority, RESEARCHER, r.id, name="s", kind="sec", source_project="NOPE", source_org=HOSPITAL)
    assert e.value.detail == "unknown_source"
    with pytest.raises(pseudo.IssueRefusedError) as e:
        registry.issue_token(authority, RESEARCHER, r.id, name="s", kind="sec", source_project="SRC", source_org=OUTSIDE)
    assert e.value.detail == "unknown_source_organisation"
    sec = registry.issue_token(authority, RESEARCHER, r.id, name="s", kind="sec", source_project="SRC", source_org=HOSPITAL)
    rev2 = registry.issue_token(
        authority, RESEARCHER, r.id, name="r2", kind="rev2", source_project="SRC", source_org=HOSPITAL
    )
    assert (sec.token_type, rev2.token_type) == ("sec", "rev")
    with pytest.raises(pseudo.InputError):
        registry.issue_token(authority, RESEARCHER, r.id, name="s", kind="sec")
    with pytest.raises(pseudo.InputError):
        registry.issue_token(authority, RESEARCHER, r.id, name="s", kind="psn", source_project="SRC")
    with pytest.raises(pseudo.InputError):
        registry.issue_token(authority, RESEARCHER, r.id, name="s", kind="token")  # type: ignore[arg-type]


# ---- the operation token lifecycle -----------------------------------------------------------


def test_lifecycle_through_the_engine(
    registry: pseudo.Registry, authority: pseudo.Authority, engine: pseudo.Engine
) -> None:
    r = approved(registry, "P1")
    token = registry.issue_token(authority, RESEARCHER, r.id, name="etl", lifetime=timedelta(hours=2))
    record = registry.token(token.jti)
    assert (record.jti, record.token_type, record.name, record.project, record.request) == (
        token.jti,
        "psn",
        "etl",
        "P1",
        r.id,
    )
    assert (record.holder, record.organisation, record.status, record.last_used) == (
        "rahul",
        UNIVERSITY,
        "active",
        None,
    )
    assert record.created == token.issued_at and record.expires == token.expires_at
    assert token.token not in repr(registry.tokens()), "the registry never holds the token text"

    before = utcnow().replace(microsecond=0)
    out = engine.pseudonymise(token, ["Example PID 1", "Example PID 2"])
    used = registry.token(token.jti).last_used
    assert used is not None and used >= before and used.utcoffset() == timedelta(0)

    revoked = registry.revoke_token(RESEARCHER, token.jti)
    assert revoked.status == "revoked"
    with pytest.raises(pseudo.RevokedTokenError) as e:
        engine.pseudonymise(token, ["Example PID 1"])
    assert e.value.code == "token_revoked" and isinstance(e.value, pseudo.TokenError)
    assert registry.revoke_token(RESEARCHER, token.jti).status == "revoked", "revoking twice changes nothing"

    assert registry.restore_token(RESEARCHER, token.jti).status == "active"
    assert engine.pseudonymise(token, ["Example PID 1", "Example PID 2"]) == out

    with pytest.raises(pseudo.InvalidStateError) as active:
        registry.delete_token(RESEARCHER, token.jti)
    assert active.value.detail == "active"
    with pytest.raises(pseudo.PermissionDeniedError):
        registry.revoke_token(OUTSIDER, token.jti)
    registry.revoke_token(ADMIN, token.jti)
    registry.delete_token(RESEARCHER, token.jti)
    assert len(registry.tokens()) == 0
    with pytest.raises(pseudo.NotFoundError):
        registry.token(token.jti)
    with pytest.raises(pseudo.NotFoundError):
        registry.restore_token(RESEARCHER, token.jti)
    with pytest.raises(pseudo.RevokedTokenError):
        engine.pseudonymise(token, ["Example PID 1"])

    # The log: every call with its outcome, and every change of the token by whom (a revoke of a
    # revoked token and the refused ones are not changes).
    events = registry.audit_events()
    assert [(ev.operation, ev.subject, ev.items, ev.error) for ev in events] == [
        ("issue_token", "rahul", 0, None),
        ("pseudonymise", "rahul", 2, None),
        ("revoke_token", "rahul", 0, None),
        ("pseudonymise", "rahul", 1, "token_revoked"),
        ("restore_token", "rahul", 0, None),
        ("pseudonymise", "rahul", 2, None),
        ("revoke_token", "admin", 0, None),
        ("delete_token", "rahul", 0, None),
        ("pseudonymise", "rahul", 1, "token_revoked"),
    ]
    assert all(ev.jti == token.jti and ev.project == "P1" for ev in events)
    assert "Example PID" not in repr(events)
    assert len(registry.audit_events(limit=1)) == 1
    registry.flush()  # nothing pending: a no-op that must not fail


def test_restore_expired_or_active(registry: pseudo.Registry, authority: pseudo.Authority) -> None:
    r = approved(registry, "P1")
    token = registry.issue_token(authority, RESEARCHER, r.id, name="short", lifetime=timedelta(minutes=1))
    with pytest.raises(pseudo.InvalidStateError) as e:
        registry.restore_token(RESEARCHER, token.jti)
    assert e.value.detail == "not_revoked"
    registry.revoke_token(RESEARCHER, token.jti)
    with pytest.raises(pseudo.InvalidStateError) as e:
        registry.restore_token(RESEARCHER, token.jti, now=utcnow() + timedelta(minutes=2))
    assert e.value.detail == "expired"
    assert registry.token(token.jti).status == "revoked"


def test_a_registry_file_keeps_its_records(tmp_path: Path, authority: pseudo.Authority) -> None:
    path = tmp_path / "registry.db"
    reg = pseudo.Registry.open(path)
    token = reg.issue_token(authority, RESEARCHER, approved(reg, "P1").id, name="etl")
    reg.revoke_token(RESEARCHER, token.jti)
    del reg
    again = pseudo.Registry.open(str(path))
    assert again.path == path
    assert [(t.jti, t.status) for t in again.tokens()] == [(token.jti, "revoked")]
    assert [p.id for p in again.projects()] == ["P1"]


def test_corrupt_database_file(tmp_path: Path, authority: pseudo.Authority) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x5a" * 8192)
    with pytest.raises(pseudo.StorageError) as e:
        pseudo.Registry.open(garbage)
    assert isinstance(e.value, OSError) and e.value.detail == "corrupt"
    assert "corrupt" in str(e.value)

    path = tmp_path / "registry.db"
    reg = pseudo.Registry.open(path)
    for i in range(20):
        approved(reg, f"P{i}")
    del reg
    data = bytearray(path.read_bytes())
    assert len(data) > 4096 + 512
    data[4096 : 4096 + 512] = b"\xff" * 512
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data))
    with pytest.raises(pseudo.StorageError):
        pseudo.Registry.open(damaged).projects()


# ---- access tokens ---------------------------------------------------------------------------


def test_personal_access_token(registry: pseudo.Registry) -> None:
    new = registry.create_access_token(RESEARCHER, name="laptop", lifetime=timedelta(days=30))
    secret, record = new.secret, new.record
    assert secret.startswith("pseudo_pat_")
    assert secret not in repr(new) and "<hidden>" in repr(new)
    assert secret not in repr(registry.access_tokens())
    with pytest.raises(TypeError):
        pickle.dumps(new)
    assert (record.kind, record.principal, record.created_by, record.status, record.last_used) == (
        "personal",
        "rahul",
        "rahul",
        "active",
        None,
    )
    assert record.expires - record.created == timedelta(days=30)

    who = registry.authenticate(secret)
    assert who.principal == "rahul" and who.last_used is not None
    assert registry.access_token(record.id).last_used is not None
    assert registry.authenticate(secret.encode()).id == record.id

    registry.revoke_access_token(RESEARCHER, record.id)
    with pytest.raises(pseudo.AuthenticationError) as e:
        registry.authenticate(secret)
    assert not isinstance(e.value, pseudo.InvalidSecretError) and secret not in str(e.value)
    with pytest.raises(pseudo.InvalidStateError):
        registry.restore_access_token(RESEARCHER, record.id, now=utcnow() + timedelta(days=31))
    registry.restore_access_token(RESEARCHER, record.id)
    assert registry.authenticate(secret).id == record.id
    with pytest.raises(pseudo.AuthenticationError):
        registry.authenticate(secret, now=utcnow() + timedelta(days=31))
    with pytest.raises(pseudo.InvalidStateError):
        registry.delete_access_token(RESEARCHER, record.id)
    with pytest.raises(pseudo.PermissionDeniedError):
        registry.revoke_access_token(OUTSIDER, record.id)
    registry.revoke_access_token(RESEARCHER, record.id)
    registry.delete_access_token(RESEARCHER, record.id)
    assert len(registry.access_tokens()) == 0
    with pytest.raises(pseudo.NotFoundError):
        registry.restore_access_token(RESEARCHER, record.id)


def test_service_tokens_only_by_an_administrator(registry: pseudo.Registry) -> None:
    with pytest.raises(pseudo.PermissionDeniedError) as e:
        registry.create_access_token(
            RESEARCHER, kind="service", service_account=ROBOT, name="etl", lifetime=timedelta(days=7)
        )
    assert refusal(e) == ("permission_denied", "not_admin")
    assert not isinstance(e.value, OSError)
    with pytest.raises(pseudo.InputError):
        registry.create_access_token(ADMIN, kind="service", name="etl", lifetime=timedelta(days=7))
    with pytest.raises(pseudo.InputError):
        registry.create_access_token(
            ADMIN, kind="service", service_account=RESEARCHER, name="etl", lifetime=timedelta(days=7)
        )
    new = registry.create_access_token(
        ADMIN, kind="service", service_account=ROBOT, name="etl", lifetime=timedelta(days=7)
    )
    assert new.secret.startswith("pseudo_sat_")
    assert (new.record.kind, new.record.principal, new.record.created_by) == ("service", "etl-bot", "admin")
    assert registry.authenticate(new.secret).principal == "etl-bot"
    with pytest.raises(pseudo.InputError):
        registry.create_access_token(RESEARCHER, name="x", lifetime=timedelta(0))


def test_malformed_and_unknown_secrets(registry: pseudo.Registry) -> None:
    secret = registry.create_access_token(RESEARCHER, name="laptop", lifetime=timedelta(days=1)).secret
    body = len("pseudo_pat_")
    flipped = secret[:body] + ("A" if secret[body] != "A" else "B") + secret[body + 1 :]
    for bad in [secret[:-1], secret[:-8], secret + "x", flipped, "pseudo_xyz_" + secret[body:], "", "hello"]:
        with pytest.raises(pseudo.InvalidSecretError) as e:
            registry.authenticate(bad)
        assert isinstance(e.value, ValueError) and isinstance(e.value, pseudo.AuthenticationError)
        assert e.value.code == "invalid_secret"
        assert not bad or bad not in str(e.value), "no secret in the message"
    # Well formed, with a valid checksum, but made by another registry: unknown.
    other = pseudo.Registry.in_memory().create_access_token(RESEARCHER, name="x", lifetime=timedelta(days=1))
    with pytest.raises(pseudo.AuthenticationError) as unknown:
        registry.authenticate(other.secret)
    assert unknown.value.code == "authentication_failed" and unknown.value.detail is None
    assert not isinstance(unknown.value, pseudo.InvalidSecretError)


# ---- records in Python -----------------------------------------------------------------------


def test_records_display_well(registry: pseudo.Registry, authority: pseudo.Authority, engine: pseudo.Engine) -> None:
    r = approved(registry, "P1")
    used = registry.issue_token(authority, RESEARCHER, r.id, name="used <b>")
    registry.issue_token(authority, RESEARCHER, r.id, name="spare")
    engine.pseudonymise(used, ["x"])
    tokens = registry.tokens()
    assert isinstance(tokens, collections.abc.Sequence) and tokens.kind == "TokenRecord"
    assert len(tokens) == 2 and [t.name for t in tokens] == ["used <b>", "spare"]
    assert tokens[-1] == tokens[1] and tokens[1:] == [tokens[1]] and tokens == list(tokens)
    assert isinstance(tokens[:1], pseudo.RecordList)
    with pytest.raises(IndexError):
        tokens[2]
    assert tokens.columns == [
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
    ]
    html = tokens._repr_html_()
    assert "<table" in html and "not used" in html and "used &lt;b&gt;" in html and "<b>" not in html
    row = tokens[1].to_dict()
    assert list(row) == tokens.columns and row["last_used"] is None
    assert tokens.to_dicts()[1] == row
    assert {tokens[0], tokens[0], tokens[1]} == {tokens[0], tokens[1]}
    assert repr(tokens[0]).startswith("TokenRecord(jti=")

    pd = pytest.importorskip("pandas")
    df = tokens.to_pandas()
    assert list(df.columns) == tokens.columns and len(df) == 2
    assert str(df["created"].dt.tz) == "UTC"
    assert df["last_used"].isna().tolist() == [False, True]
    assert isinstance(registry.projects().to_pandas(), pd.DataFrame)


def test_principals_and_options() -> None:
    p = pseudo.Principal(id="rahul", organisation=str(UNIVERSITY))
    assert p == RESEARCHER and hash(p) == hash(RESEARCHER) and p.role == "user"
    assert p.organisation == UNIVERSITY
    with pytest.raises(pseudo.InputError):
        pseudo.Principal(id="x", organisation=HOSPITAL, role="root")  # type: ignore[arg-type]
    with pytest.raises(pseudo.InputError):
        pseudo.Principal(id="x", organisation="not-a-uuid")
    with pytest.raises(TypeError):
        pseudo.Principal("x", HOSPITAL)  # type: ignore[call-arg]
    reg = pseudo.Registry.in_memory(revocation_staleness=timedelta(seconds=2))
    assert reg.revocation_staleness == timedelta(seconds=2) and reg.path is None
    assert repr(reg) == "Registry.in_memory()"
    with pytest.raises(TypeError):
        pickle.dumps(reg)
    with pytest.raises(TypeError):
        pseudo.Registry.in_memory(revocation_staleness=2)  # type: ignore[arg-type]


# ---- threads ---------------------------------------------------------------------------------


def test_threads_issue_use_and_revoke_at_once(
    registry: pseudo.Registry, authority: pseudo.Authority, engine: pseudo.Engine
) -> None:
    r = approved(registry, "P1")
    threads, rounds = 8, 6
    start = threading.Barrier(threads)

    def work(t: int) -> list[str]:
        start.wait()
        jtis = []
        for i in range(rounds):
            token = registry.issue_token(authority, RESEARCHER, r.id, name=f"t{t}-{i}")
            assert engine.pseudonymise(token, [f"value {t} {i}"] * 50)
            if i % 2 == 0:
                registry.revoke_token(RESEARCHER, token.jti)
                # Once revoke returned, no call may get through.
                with pytest.raises(pseudo.RevokedTokenError):
                    engine.pseudonymise(token, ["after revoke"])
            jtis.append(token.jti)
        return jtis

    with ThreadPoolExecutor(max_workers=threads) as pool:
        issued = [j for js in pool.map(work, range(threads)) for j in js]
    records = {t.jti: t for t in registry.tokens()}
    assert set(records) == set(issued), "no issue lost"
    assert all(t.last_used is not None for t in records.values()), "no use lost"
    revoked = [t for t in records.values() if t.status == "revoked"]
    assert len(revoked) == threads * ((rounds + 1) // 2)
    events = registry.audit_events(limit=10_000)
    calls = [e for e in events if e.operation == "pseudonymise"]
    assert sum(1 for e in calls if e.error is None) == threads * rounds
    assert sum(1 for e in calls if e.error == "token_revoked") == len(revoked)
    assert sum(1 for e in events if e.operation == "issue_token") == threads * rounds
    assert sum(1 for e in events if e.operation == "revoke_token") == len(revoked)
