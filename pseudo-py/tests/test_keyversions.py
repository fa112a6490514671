"""Key versions: a rotation changes no pseudonym of an existing project; rewrap moves a
reversible project to a new version inside the engine; lookup matches old records of a
not-reversible project; a retired version is refused."""

from __future__ import annotations

import uuid

import pytest

import pseudo

from conftest import AUDIENCE, ISSUER, ORG, in_days

VALUES = ["Example PID 1", "Example PID 2"]


def fresh_engine(signing: pseudo.SigningKey) -> pseudo.Engine:
    return pseudo.Engine(pseudo.MasterKey.generate(version=1), signing.verifying_key, issuer=ISSUER, audience=AUDIENCE)


def test_rotation_keeps_same_pseudonyms_and_rewrap_moves_them(signing: pseudo.SigningKey) -> None:
    engine = fresh_engine(signing)
    config = pseudo.ProjectConfig(reversible=True, retention_end=in_days(365))
    v1 = pseudo.Authority(signing, issuer=ISSUER, audience=AUDIENCE)
    args = dict(project="kv", organisation=ORG, config=config, subject="alice", request="r1")
    psn1 = v1.issue_pseudonymise(**args)
    assert v1.key_version == 1 and engine.verify(psn1).key_version == 1
    old = engine.pseudonymise(psn1, VALUES)

    engine.add_key_version(pseudo.MasterKey.generate(version=2), primary=True)
    assert engine.key_versions == [1, 2] and engine.primary_key_version == 2
    assert engine.pseudonymise(psn1, VALUES) == old, "a rotation changes no pseudonym of a version-1 project"
    assert engine.pseudonymise(v1.issue_pseudonymise(**args), VALUES) == old

    v2 = pseudo.Authority(signing, issuer=ISSUER, audience=AUDIENCE, key_version=2)
    fresh = engine.pseudonymise(v2.issue_pseudonymise(**args), VALUES)
    assert fresh != old
    assert engine.pseudonymise(v1.issue_pseudonymise(**args, key_version=2), VALUES) == fresh

    rev2 = v2.issue_reverse(**args)
    rewrapped = engine.rewrap(rev2, old)
    assert rewrapped == fresh, "a rewrapped pseudonym equals a fresh one of the new version"
    assert engine.reverse(rev2, rewrapped) == VALUES
    assert not set(rewrapped) & set(VALUES)
    with pytest.raises(pseudo.PseudoError) as e:
        engine.rewrap(psn1, old)
    assert e.value.code == "wrong_operation"
    other = v2.issue_reverse(**{**args, "project": "other"})
    with pytest.raises(pseudo.BatchError) as b:
        engine.rewrap(other, old)
    assert {f.code for f in b.value.failures} == {"invalid_pseudonym"}

    # Retire version 1: its tokens are refused with a clear detail, its pseudonyms do not read.
    engine.retire_key_version(1)
    assert engine.key_versions == [2]
    with pytest.raises(pseudo.TokenClaimsError) as c:
        engine.pseudonymise(psn1, VALUES)
    assert c.value.detail == "unknown_key_version"
    with pytest.raises(pseudo.BatchError):
        engine.reverse(rev2, old)
    assert pseudo.Keyring.from_bytes(engine.export_keyring()).versions == [2]


def test_registry_rekey_retire_and_lookup(signing: pseudo.SigningKey) -> None:
    engine = fresh_engine(signing)
    engine.add_key_version(pseudo.MasterKey.generate(version=2), primary=False)
    registry = pseudo.Registry.in_memory()
    org = uuid.uuid4()
    admin = pseudo.Principal(id="admin", organisation=org, role="admin")
    user = pseudo.Principal(id="olivia", organisation=org, role="user")
    p = registry.create_project(user, id="mac", name="mac", reversible=False, years=1)
    assert (p.key_version, p.key_versions) == (1, [1])
    registry.add_collaborator(user, "mac", organisation=org)
    req = registry.submit_request(user, "mac", dataset="d")
    registry.decide_request(admin, req.id, approve=True)
    authority = pseudo.Authority(signing, issuer=ISSUER, audience=AUDIENCE)
    engine = pseudo.Engine(
        pseudo.Keyring.from_bytes(engine.export_keyring()),
        signing.verifying_key,
        issuer=ISSUER,
        audience=AUDIENCE,
        registry=registry,
    )
    old_token = registry.issue_token(authority, user, req.id, name="t")
    old = engine.pseudonymise(old_token, VALUES)

    with pytest.raises(pseudo.InvalidStateError) as e:
        registry.retire_key_version(admin, 1)
    assert e.value.detail == "key_version_in_use"
    with pytest.raises(pseudo.PermissionDeniedError):
        registry.rekey_project(user, "mac", key_version=2)
    moved, revoked = registry.rekey_project(admin, "mac", key_version=2)
    assert (moved.key_version, moved.key_versions, revoked) == (2, [1, 2], [old_token.jti])
    with pytest.raises(pseudo.RevokedTokenError):
        engine.pseudonymise(old_token, VALUES)

    token = registry.issue_token(authority, user, req.id, name="t2")
    assert engine.verify(token).key_version == 2
    new = engine.pseudonymise(token, VALUES)
    assert new != old
    found = engine.lookup(token, VALUES, versions=moved.key_versions)
    assert found == {1: old, 2: new}, "lookup matches the old records"
    registry.retire_key_version(admin, 1)
    events = registry.audit_events()
    assert any(ev.operation == "retire_key" and ev.key_version == 1 for ev in events)
    assert any(ev.operation == "rekey" and ev.key_version == 2 and ev.project == "mac" for ev in events)
    assert any(ev.operation == "lookup" and ev.key_version == 2 for ev in events)
