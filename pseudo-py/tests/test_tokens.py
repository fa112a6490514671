"""Every kind of token the core refuses surfaces as the right exception, with a clear message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import pseudo
from conftest import AUDIENCE, ISSUER, ORG, Issue, b64, forge, in_days, parts

VALUES = ["Example PID 1"]


def refused(engine: pseudo.Engine, token: Any, cls: type[pseudo.PseudoError], code: str) -> pseudo.PseudoError:
    with pytest.raises(cls) as info:
        engine.pseudonymise(token, VALUES)
    assert info.value.code == code
    assert isinstance(info.value, pseudo.PseudoError)
    message = str(info.value)
    assert message and "Traceback" not in message
    if isinstance(token, str) and len(token.split(".")[-1]) > 20:
        assert token.split(".")[-1] not in message
    return info.value


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "..", "!!!.e30.c2ln", b64(b'{"alg":"EdDSA"}') + ".e30.c2ln"],
)
def test_malformed(engine: pseudo.Engine, token: str) -> None:
    refused(engine, token, pseudo.MalformedTokenError, "malformed_token")


def test_too_large(engine: pseudo.Engine) -> None:
    err = refused(engine, "a" * 9000 + ".b.c", pseudo.MalformedTokenError, "token_too_large")
    assert "size" in str(err)


def test_extra_header_member(engine: pseudo.Engine, signing: pseudo.SigningKey, psn: Issue) -> None:
    header, claims = parts(psn().token)
    header["jku"] = "https://attacker.example/keys"
    refused(engine, forge(signing, header, claims), pseudo.MalformedTokenError, "malformed_token")


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES256"])
def test_algorithm_is_pinned(engine: pseudo.Engine, signing: pseudo.SigningKey, psn: Issue, alg: str) -> None:
    header, claims = parts(psn().token)
    header["alg"] = alg
    err = refused(engine, forge(signing, header, claims), pseudo.InvalidSignatureError, "unsupported_algorithm")
    assert "EdDSA" in str(err)


def test_unknown_key(engine: pseudo.Engine, config: pseudo.ProjectConfig) -> None:
    stranger = pseudo.Authority(pseudo.SigningKey.generate(), issuer=ISSUER, audience=AUDIENCE)
    token = stranger.issue_pseudonymise(project="p", organisation=ORG, config=config, subject="s", request="r")
    refused(engine, token, pseudo.InvalidSignatureError, "unknown_key")


def test_known_kid_other_key(engine: pseudo.Engine, signing: pseudo.SigningKey, psn: Issue) -> None:
    header, claims = parts(psn().token)
    refused(engine, forge(pseudo.SigningKey.generate(), header, claims), pseudo.InvalidSignatureError, "invalid_signature")


def test_tampered_claims(engine: pseudo.Engine, psn: Issue) -> None:
    h, c, s = psn().token.split(".")
    _, claims = parts(psn().token)
    claims["prj"] = "another-project"
    import json

    tampered = f"{h}.{b64(json.dumps(claims).encode())}.{s}"
    refused(engine, tampered, pseudo.InvalidSignatureError, "invalid_signature")
    flipped = s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1]
    refused(engine, f"{h}.{c}.{flipped}", pseudo.InvalidSignatureError, "invalid_signature")


@pytest.mark.parametrize("typ", ["JWT", "pseudo-rev+jwt", "at+jwt"])
def test_wrong_type(engine: pseudo.Engine, signing: pseudo.SigningKey, psn: Issue, typ: str) -> None:
    header, claims = parts(psn().token)
    header["typ"] = typ
    refused(engine, forge(signing, header, claims), pseudo.TokenClaimsError, "wrong_token_type")


def test_expired(engine: pseudo.Engine, psn: Issue) -> None:
    token = psn(now=in_days(-2), lifetime=timedelta(hours=1))
    err = refused(engine, token, pseudo.ExpiredTokenError, "token_expired")
    assert "expired" in str(err)


def test_not_yet_valid(engine: pseudo.Engine, psn: Issue) -> None:
    refused(engine, psn(now=in_days(1)), pseudo.TokenNotYetValidError, "token_not_yet_valid")


def test_wrong_issuer_and_audience(engine: pseudo.Engine, signing: pseudo.SigningKey, config: pseudo.ProjectConfig) -> None:
    args: dict[str, Any] = dict(project="p", organisation=ORG, config=config, subject="s", request="r")
    other_iss = pseudo.Authority(signing, issuer="https://other.example", audience=AUDIENCE)
    refused(engine, other_iss.issue_pseudonymise(**args), pseudo.TokenClaimsError, "wrong_issuer")
    other_aud = pseudo.Authority(signing, issuer=ISSUER, audience="another-engine")
    refused(engine, other_aud.issue_pseudonymise(**args), pseudo.TokenClaimsError, "wrong_audience")


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.pop("prj"),
        lambda c: c.update(extra="x"),
        lambda c: c.update(exp=c["cfg"]["ret"] + 10),
        lambda c: c.update(lvl=1),
        lambda c: c["cfg"].update(trt="sometimes"),
        lambda c: c.update(iat=c["exp"] + 1),
    ],
    ids=["missing", "unknown", "past-retention", "lvl-on-psn", "bad-treatment", "out-of-order"],
)
def test_invalid_claims(engine: pseudo.Engine, signing: pseudo.SigningKey, psn: Issue, change: Any) -> None:
    header, claims = parts(psn().token)
    change(claims)
    refused(engine, forge(signing, header, claims), pseudo.TokenClaimsError, "invalid_claims")


def test_reverse_after_retention_end(engine: pseudo.Engine, authority: pseudo.Authority) -> None:
    config = pseudo.ProjectConfig(reversible=True, retention_end=in_days(-5))
    token = authority.issue_reverse(
        project="p", organisation=ORG, config=config, subject="s", request="r", now=in_days(-6)
    )
    with pytest.raises(pseudo.RetentionEndedError, match="retention") as info:
        engine.reverse(token, ["AQEBAAItlgtPbdUBR3-IF57JwdozMXnp-f98u8Do0srr9g"])
    assert info.value.code == "retention_ended"
    with pytest.raises(pseudo.IssueRefusedError, match="retention"):
        authority.issue_pseudonymise(project="p", organisation=ORG, config=config, subject="s", request="r")


@pytest.mark.parametrize("token", [None, 42, b"eyJ.a.b", ["a.b.c"]])
def test_token_of_wrong_type(engine: pseudo.Engine, token: Any) -> None:
    with pytest.raises(TypeError, match="token must be a str or an IssuedToken"):
        engine.pseudonymise(token, VALUES)


def test_issue_arguments_are_checked(authority: pseudo.Authority, config: pseudo.ProjectConfig) -> None:
    args: dict[str, Any] = dict(project="p", organisation=ORG, config=config, subject="s", request="r")
    with pytest.raises(pseudo.InputError, match="project id"):
        authority.issue_pseudonymise(**args | {"project": "has space"})
    with pytest.raises(pseudo.InputError, match="UUID"):
        authority.issue_pseudonymise(**args | {"organisation": "not-a-uuid"})
    with pytest.raises(TypeError, match="organisation"):
        authority.issue_pseudonymise(**args | {"organisation": 7})
    with pytest.raises(pseudo.InputError, match="subject"):
        authority.issue_pseudonymise(**args | {"subject": ""})
    with pytest.raises(pseudo.InputError, match="at least one second"):
        authority.issue_pseudonymise(**args | {"lifetime": timedelta(0)})
    with pytest.raises(TypeError, match="timedelta"):
        authority.issue_pseudonymise(**args | {"lifetime": 3600})
    with pytest.raises(TypeError):
        authority.issue_pseudonymise("p", ORG, config, "s", "r")  # type: ignore[misc]
    with pytest.raises(pseudo.InputError, match="treatment"):
        pseudo.ProjectConfig(reversible=True, retention_end=in_days(1), treatment="often")  # type: ignore[arg-type]
    with pytest.raises(pseudo.InputError, match="format"):
        pseudo.ProjectConfig(reversible=True, retention_end=in_days(1), format="base64")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="datetime"):
        pseudo.ProjectConfig(reversible=True, retention_end="2030-01-01")  # type: ignore[arg-type]
