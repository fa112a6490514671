"""Regression tests for the outside security review (issue 9), as a Python user meets them."""

from __future__ import annotations

import json
from typing import Any

import pytest

import pseudo

from conftest import AUDIENCE, ISSUER, Issue, b64, forge, parts

# The identity point and a point of order 8: "public keys" that accept trivial signatures.
WEAK_KEYS = [
    bytes.fromhex("0100000000000000000000000000000000000000000000000000000000000000"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
]


@pytest.mark.parametrize("raw", WEAK_KEYS, ids=["identity", "order-8", "order-2"])
def test_weak_verifying_keys_are_refused(raw: bytes) -> None:
    with pytest.raises(pseudo.InvalidKeyError, match="weak|not a curve point"):
        pseudo.VerifyingKey.from_bytes(raw)
    jwk = json.dumps({"kty": "OKP", "crv": "Ed25519", "x": b64(raw)})
    with pytest.raises(pseudo.InvalidKeyError):
        pseudo.VerifyingKey.from_jwk(jwk)


def test_jwk_must_be_meant_for_verification(signing: pseudo.SigningKey) -> None:
    jwk: dict[str, Any] = json.loads(signing.verifying_key.to_jwk())
    assert pseudo.VerifyingKey.from_jwk(json.dumps(jwk)) == signing.verifying_key
    for extra, words in [({"use": "enc"}, '"use"'), ({"key_ops": ["sign"]}, '"key_ops"'), ({"d": "AAAA"}, "private")]:
        with pytest.raises(pseudo.InvalidKeyError, match=words):
            pseudo.VerifyingKey.from_jwk(json.dumps({**jwk, **extra}))


def test_null_optional_claims_are_refused(
    engine: pseudo.Engine, signing: pseudo.SigningKey, psn: Issue, rev: Issue
) -> None:
    header, claims = parts(psn().token)
    assert engine.pseudonymise(forge(signing, header, claims), ["v"])
    for member in ["lvl", "src"]:
        with pytest.raises(pseudo.TokenClaimsError):
            engine.pseudonymise(forge(signing, header, {**claims, member: None}), ["v"])
    header, claims = parts(rev().token)
    with pytest.raises(pseudo.TokenClaimsError):
        engine.reverse(forge(signing, header, {**claims, "src": None}), ["AQEB"])


def test_uuid_claims_take_only_the_canonical_form(engine: pseudo.Engine, signing: pseudo.SigningKey, psn: Issue) -> None:
    header, claims = parts(psn().token)
    for form in [claims["org"].upper(), claims["org"].replace("-", ""), "{" + claims["org"] + "}"]:
        with pytest.raises(pseudo.TokenClaimsError):
            engine.pseudonymise(forge(signing, header, {**claims, "org": form}), ["v"])


def test_a_token_read_from_a_file_keeps_working(engine: pseudo.Engine, psn: Issue, tmp_path: Any) -> None:
    token = psn().token
    path = tmp_path / "psn.token"
    path.write_text(token + "\n")
    assert engine.pseudonymise(path.read_text(), ["v"]) == engine.pseudonymise(token, ["v"])
    with pytest.raises(pseudo.MalformedTokenError, match="drop the 'Bearer ' prefix"):
        engine.pseudonymise("Bearer " + token, ["v"])


@pytest.mark.parametrize("limit", ["max_items", "max_body_bytes", "max_item_bytes", "max_token_bytes"])
def test_zero_limits_are_refused_like_in_c(
    keyring: pseudo.Keyring, signing: pseudo.SigningKey, limit: str
) -> None:
    with pytest.raises(pseudo.InputError, match="at least"):
        pseudo.Engine(keyring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE, **{limit: 0})


def test_leeway_is_bounded(keyring: pseudo.Keyring, signing: pseudo.SigningKey) -> None:
    from datetime import timedelta

    with pytest.raises(pseudo.InputError, match="300 seconds"):
        pseudo.Engine(keyring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE, leeway=timedelta(hours=1))
    pseudo.Engine(keyring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE, leeway=timedelta(minutes=5))
