"""Round trips through every mode (method × treatment), format and level."""

from __future__ import annotations

import uuid

import pytest

import pseudo
from conftest import AUDIENCE, ISSUER, ORG, Issue, in_days

VALUES = ["Example PID 1", "Example PID 2", "Ünïcödé ✓ 名前", "Example PID 1"]
FORMATS = ["base64url", "hex", "base32"]
ALPHABETS = {
    "base64url": set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    "hex": set("0123456789abcdef"),
    "base32": set("abcdefghijklmnopqrstuvwxyz234567"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("treatment", ["same", "different"])
def test_reversible_round_trip(engine: pseudo.Engine, psn: Issue, rev: Issue, fmt: str, treatment: str) -> None:
    config = pseudo.ProjectConfig(reversible=True, retention_end=in_days(30), treatment=treatment, format=fmt)
    pseudonyms = engine.pseudonymise(psn(config=config), VALUES)
    assert len(pseudonyms) == len(VALUES)
    assert all(set(p) <= ALPHABETS[fmt] for p in pseudonyms)
    assert not set(pseudonyms) & set(VALUES)
    if treatment == "same":
        assert pseudonyms[0] == pseudonyms[3]
        assert len(set(pseudonyms)) == 3
    else:
        assert len(set(pseudonyms)) == 4
    assert engine.reverse(rev(config=config), pseudonyms) == VALUES


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("treatment", ["same", "different"])
def test_not_reversible(
    engine: pseudo.Engine, authority: pseudo.Authority, psn: Issue, fmt: str, treatment: str
) -> None:
    config = pseudo.ProjectConfig(reversible=False, retention_end=in_days(30), treatment=treatment, format=fmt)
    first = engine.pseudonymise(psn(config=config), VALUES)
    second = engine.pseudonymise(psn(config=config), VALUES)
    assert all(set(p) <= ALPHABETS[fmt] for p in first)
    if treatment == "same":
        assert first == second
        assert first[0] == first[3]
    else:
        assert not set(first) & set(second)
        assert len(set(first)) == 4
    with pytest.raises(pseudo.IssueRefusedError, match="reversible"):
        authority.issue_reverse(project="cohort", organisation=ORG, config=config, subject="a", request="r")


def test_same_treatment_differs_between_projects(engine: pseudo.Engine, psn: Issue) -> None:
    a = engine.pseudonymise(psn(project="project-a"), VALUES)
    b = engine.pseudonymise(psn(project="project-b"), VALUES)
    assert not set(a) & set(b)


@pytest.mark.parametrize("source_reversible", [True, False])
@pytest.mark.parametrize("fmt", FORMATS)
def test_secondary_and_level_2_reverse(
    engine: pseudo.Engine, authority: pseudo.Authority, source_reversible: bool, fmt: str
) -> None:
    src_config = pseudo.ProjectConfig(reversible=source_reversible, retention_end=in_days(60), format=fmt)
    src_org = uuid.uuid4()
    common = dict(organisation=ORG, subject="bob", request="r2")
    level1 = engine.pseudonymise(
        authority.issue_pseudonymise(project="source", config=src_config, **common | {"organisation": src_org}),
        VALUES,
    )
    source = pseudo.SourceRef(project="source", organisation=src_org, config=src_config)
    config = pseudo.ProjectConfig(reversible=True, retention_end=in_days(30), format="hex")
    sec = authority.issue_secondary(project="secondary", config=config, source=source, **common)
    level2 = engine.pseudonymise(sec, level1)
    assert len(set(level2)) == 3 and not set(level2) & set(level1)

    rev2 = authority.issue_reverse(project="secondary", config=config, source=source, **common)
    assert engine.reverse(rev2, level2) == level1

    # Level 2 never leads back to the originals: a level-1 reverse token of the secondary
    # project cannot read level-2 pseudonyms.
    rev1 = authority.issue_reverse(project="secondary", config=config, **common)
    with pytest.raises(pseudo.BatchError) as info:
        engine.reverse(rev1, level2)
    assert {f.code for f in info.value.failures} == {"invalid_pseudonym"}

    # A secondary token accepts only level-1 pseudonyms of its source.
    with pytest.raises(pseudo.BatchError):
        engine.pseudonymise(sec, VALUES)


def test_sec_token_names_its_source(engine: pseudo.Engine, authority: pseudo.Authority, config: pseudo.ProjectConfig) -> None:
    source = pseudo.SourceRef(project="source", organisation=str(ORG), config=config)
    sec = authority.issue_secondary(
        project="secondary", organisation=ORG, config=config, source=source, subject="s", request="r"
    )
    grant = engine.verify(sec)
    assert grant.token_type == "sec" and grant.level == 2
    # The token names the source's key version (src.kv): here the authority's own, 1.
    assert grant.source is not None and grant.source.key_version == 1 and source.key_version is None
    assert grant.source == pseudo.SourceRef(project="source", organisation=ORG, config=config, key_version=1)
    assert grant.source is not None and grant.source.organisation == ORG
    with pytest.raises(pseudo.IssueRefusedError, match="differ"):
        authority.issue_secondary(
            project="source", organisation=ORG, config=config, source=source, subject="s", request="r"
        )


def test_tokens_work_for_their_operation_only(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    pseudonyms = engine.pseudonymise(psn(), VALUES)
    with pytest.raises(pseudo.TokenNotAllowedError, match="cannot be used to reverse") as info:
        engine.reverse(psn(), pseudonyms)
    assert info.value.code == "wrong_operation"
    assert isinstance(info.value, pseudo.TokenError)
    with pytest.raises(pseudo.TokenNotAllowedError, match="cannot be used to pseudonymise"):
        engine.pseudonymise(rev(), VALUES)


def test_key_rotation(signing: pseudo.SigningKey, psn: Issue, rev: Issue) -> None:
    v1 = pseudo.MasterKey.generate(version=1)
    old_engine = pseudo.Engine(v1, [signing.verifying_key], issuer=ISSUER, audience=AUDIENCE)
    old = old_engine.pseudonymise(psn(), VALUES)

    v2 = pseudo.MasterKey.generate(version=2)
    ring = pseudo.Keyring([v1, v2])
    assert ring.primary_version == 2 and ring.versions == [1, 2] and len(ring) == 2 and 1 in ring
    engine = pseudo.Engine(ring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE)
    # A project bound to version 1 keeps its pseudonyms; one bound to version 2 gets new ones.
    assert engine.pseudonymise(psn(), VALUES) == old
    new = engine.pseudonymise(psn(key_version=2), VALUES)
    assert not set(new) & set(old)
    assert engine.reverse(rev(), old) == VALUES
    assert engine.reverse(rev(), new) == VALUES
    # An engine without version 2 cannot read pseudonyms made under it.
    assert old_engine.reverse(rev(), new, per_item=True) == [None] * len(VALUES)
    # ... nor take its tokens.
    with pytest.raises(pseudo.TokenClaimsError) as e:
        old_engine.pseudonymise(psn(key_version=2), VALUES)
    assert e.value.detail == "unknown_key_version"

    pinned = pseudo.Keyring([v1, v2], primary=1)
    assert pinned.primary_version == 1


def test_verify_reports_the_grant(engine: pseudo.Engine, psn: Issue, config: pseudo.ProjectConfig) -> None:
    token = psn(subject="carol", request="req-7", project="p-1")
    grant = engine.verify(token.token)
    assert (grant.token_type, grant.subject, grant.request, grant.project, grant.level) == (
        "psn",
        "carol",
        "req-7",
        "p-1",
        1,
    )
    assert grant.organisation == ORG and grant.jti == token.jti and grant.source is None
    assert grant.config == config
    assert grant.expires_at == token.expires_at and grant.issued_at == token.issued_at
    assert token.token_type == "psn"
    with pytest.raises(pseudo.TokenNotAllowedError):
        engine.verify(token, operation="reverse")
    with pytest.raises(pseudo.InputError, match="operation"):
        engine.verify(token, operation="delete")  # type: ignore[arg-type]


def test_token_lifetime_is_capped_at_retention_end(authority: pseudo.Authority) -> None:
    end = in_days(1).replace(microsecond=0)
    config = pseudo.ProjectConfig(reversible=True, retention_end=end)
    from datetime import timedelta

    token = authority.issue_pseudonymise(
        project="p", organisation=ORG, config=config, subject="s", request="r", lifetime=timedelta(days=30)
    )
    assert token.expires_at == end
    assert config.retention_end == end


def test_instants_naive_and_dates_are_utc() -> None:
    from datetime import date, datetime, timezone

    aware = pseudo.ProjectConfig(reversible=True, retention_end=datetime(2031, 5, 4, 12, 0, tzinfo=timezone.utc))
    naive = pseudo.ProjectConfig(reversible=True, retention_end=datetime(2031, 5, 4, 12, 0))
    assert naive == aware and naive.retention_end.tzinfo is not None
    day = pseudo.ProjectConfig(reversible=False, retention_end=date(2031, 5, 4), treatment="different", format="hex")
    assert day.retention_end == datetime(2031, 5, 4, tzinfo=timezone.utc)
    assert (day.reversible, day.treatment, day.format) == (False, "different", "hex")
    assert repr(day) == (
        "ProjectConfig(reversible=False, retention_end=datetime.datetime(2031, 5, 4, 0, 0, "
        "tzinfo=datetime.timezone.utc), treatment='different', format='hex')"
    )
