"""Key material: loading and saving, no secret in any repr or message, no pickling."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import pseudo
from conftest import AUDIENCE, ISSUER, ORG, in_days


def test_master_key_round_trips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = pseudo.MasterKey.generate(version=7)
    assert key.version == 7
    raw = key.to_bytes()
    assert pseudo.MasterKey.from_bytes(raw).to_bytes() == raw
    assert pseudo.MasterKey.from_bytes(raw.hex()).to_bytes() == raw
    import base64

    assert pseudo.MasterKey.from_bytes(base64.b64encode(raw)).to_bytes() == raw
    (tmp_path / "k.bin").write_bytes(raw)
    assert pseudo.MasterKey.from_file(tmp_path / "k.bin").to_bytes() == raw
    assert pseudo.MasterKey.from_file(str(tmp_path / "k.bin")).chain_day == key.chain_day
    monkeypatch.setenv("PSEUDO_TEST_MASTER_KEY", raw.hex())
    assert pseudo.MasterKey.from_env("PSEUDO_TEST_MASTER_KEY").to_bytes() == raw


def test_bad_key_material(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for data in (b"", b"PSMK", b"not a key", "zz", bytes(100)):
        with pytest.raises(pseudo.InvalidKeyError) as info:
            pseudo.MasterKey.from_bytes(data)
        assert isinstance(info.value, ValueError) and info.value.code == "invalid_key"
    with pytest.raises(TypeError, match="bytes or str"):
        pseudo.MasterKey.from_bytes(42)  # type: ignore[arg-type]
    with pytest.raises(pseudo.InvalidKeyError, match="versions start at 1"):
        pseudo.MasterKey.generate(version=0)
    with pytest.raises(OverflowError):
        pseudo.MasterKey.generate(version=70000)
    with pytest.raises(pseudo.KeyFileError) as err:
        pseudo.MasterKey.from_file(tmp_path / "missing")
    assert isinstance(err.value, OSError) and err.value.code == "io_error"
    monkeypatch.delenv("PSEUDO_TEST_UNSET", raising=False)
    with pytest.raises(pseudo.InvalidKeyError, match="PSEUDO_TEST_UNSET is not set"):
        pseudo.MasterKey.from_env("PSEUDO_TEST_UNSET")


def test_keyring_rules() -> None:
    a, b = pseudo.MasterKey.generate(version=1), pseudo.MasterKey.generate(version=1)
    with pytest.raises(pseudo.InputError, match="already in the keyring"):
        pseudo.Keyring([a, b])
    with pytest.raises(pseudo.InputError, match="at least one"):
        pseudo.Keyring([])
    with pytest.raises(pseudo.InvalidKeyError, match="not in the keyring"):
        pseudo.Keyring(a, primary=3)
    with pytest.raises(TypeError, match="MasterKey"):
        pseudo.Keyring(["key"])  # type: ignore[list-item]
    ring = pseudo.Keyring([a, pseudo.MasterKey.generate(version=3)], primary=1)
    again = pseudo.Keyring.from_bytes(ring.to_bytes())
    assert (again.versions, again.primary_version) == ([1, 3], 1)
    assert "x" not in ring and 3 in ring and 2 not in ring


def test_signing_and_verifying_keys() -> None:
    signing = pseudo.SigningKey.generate()
    pem = signing.to_pem()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert pseudo.SigningKey.from_pem(pem).kid == signing.kid
    assert pseudo.SigningKey.from_pem(pem.encode()).kid == signing.kid
    assert pseudo.SigningKey.from_pkcs8_der(signing.to_pkcs8_der()).kid == signing.kid
    vk = signing.verifying_key
    assert vk.kid == signing.kid and len(vk.to_bytes()) == 32
    assert pseudo.VerifyingKey.from_pem(vk.to_pem()) == vk
    assert pseudo.VerifyingKey.from_bytes(vk.to_bytes()) == vk
    jwk = json.loads(vk.to_jwk())
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["kid"]) == ("OKP", "Ed25519", "EdDSA", vk.kid)
    assert pseudo.VerifyingKey.from_jwk(vk.to_jwk()) == vk
    renamed = vk.with_kid("portal-2026")
    assert renamed.kid == "portal-2026" and renamed != vk
    assert len({vk, pseudo.VerifyingKey.from_pem(vk.to_pem())}) == 1
    with pytest.raises(pseudo.InvalidKeyError):
        pseudo.SigningKey.from_pem(vk.to_pem())
    with pytest.raises(pseudo.InvalidKeyError, match="32 bytes"):
        pseudo.VerifyingKey.from_bytes(b"short")
    with pytest.raises(pseudo.InvalidKeyError, match="Ed25519"):
        pseudo.VerifyingKey.from_jwk('{"kty":"RSA","crv":"x","x":"AA"}')


def test_renamed_kid_verifies_tokens_signed_under_it() -> None:
    # The engine picks the key by kid: tokens of the authority carry its thumbprint kid.
    signing = pseudo.SigningKey.generate()
    engine = pseudo.Engine(
        pseudo.MasterKey.generate(), [signing.verifying_key.with_kid("other")], issuer=ISSUER, audience=AUDIENCE
    )
    authority = pseudo.Authority(signing, issuer=ISSUER, audience=AUDIENCE)
    config = pseudo.ProjectConfig(reversible=False, retention_end=in_days(3))
    token = authority.issue_pseudonymise(project="p", organisation=ORG, config=config, subject="s", request="r")
    with pytest.raises(pseudo.InvalidSignatureError):
        engine.pseudonymise(token, ["v"])


def secret_objects() -> list[tuple[str, Any, bytes]]:
    master = pseudo.MasterKey.generate()
    ring = pseudo.Keyring(master)
    signing = pseudo.SigningKey.generate()
    engine = pseudo.Engine(ring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE)
    authority = pseudo.Authority(signing, issuer=ISSUER, audience=AUDIENCE)
    return [
        ("MasterKey", master, master.to_bytes()),
        ("Keyring", ring, ring.to_bytes()),
        ("SigningKey", signing, signing.to_pkcs8_der()),
        ("Engine", engine, engine.export_keyring()),
        ("Authority", authority, signing.to_pkcs8_der()),
    ]


@pytest.mark.parametrize("name,obj,secret", secret_objects(), ids=lambda x: x if isinstance(x, str) else "")
def test_secrets_are_not_shown_or_pickled(name: str, obj: Any, secret: bytes) -> None:
    import base64

    text = repr(obj) + str(obj)
    assert text.startswith(name + "(")
    for encoding in (secret.hex(), base64.b64encode(secret).decode(), base64.urlsafe_b64encode(secret).decode()):
        for i in range(0, len(encoding) - 16, 8):
            assert encoding[i : i + 16] not in text
    for action in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="cannot be pickled"):
            action(obj)


def test_issued_token_repr_hides_the_token() -> None:
    signing = pseudo.SigningKey.generate()
    authority = pseudo.Authority(signing, issuer=ISSUER, audience=AUDIENCE)
    config = pseudo.ProjectConfig(reversible=True, retention_end=in_days(3))
    token = authority.issue_pseudonymise(project="p", organisation=ORG, config=config, subject="s", request="r")
    assert token.token.count(".") == 2
    assert token.token.split(".")[2] not in repr(token) and token.token.split(".")[1] not in repr(token)
    assert repr(token).startswith("IssuedToken(token_type='psn', jti=")
    assert repr(authority) == f"Authority(kid='{signing.kid}', issuer='{ISSUER}', audience='{AUDIENCE}')"


def test_engine_exports_its_keyring() -> None:
    master = pseudo.MasterKey.generate(version=4)
    signing = pseudo.SigningKey.generate()
    engine = pseudo.Engine(master, [signing.verifying_key], issuer=ISSUER, audience=AUDIENCE)
    assert engine.advance_keys() is False  # already at today
    exported = pseudo.Keyring.from_bytes(engine.export_keyring())
    assert exported.versions == [4] and exported.chain_day == master.chain_day
    with pytest.raises(TypeError, match="Keyring or a MasterKey"):
        pseudo.Engine("key", [signing.verifying_key], issuer=ISSUER, audience=AUDIENCE)  # type: ignore[arg-type]
    with pytest.raises(pseudo.InvalidKeyError, match="at least one verifying key"):
        pseudo.Engine(master, [], issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(pseudo.InputError):
        pseudo.Engine(master, signing.verifying_key, issuer="", audience=AUDIENCE)
