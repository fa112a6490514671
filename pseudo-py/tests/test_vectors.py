"""The shared test vectors (pseudo-core/tests/vectors/vectors.json) reproduced from Python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pseudo

VECTORS = Path(__file__).resolve().parents[2] / "pseudo-core" / "tests" / "vectors" / "vectors.json"
DATA: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def engine() -> pseudo.Engine:
    keyring = pseudo.Keyring.from_bytes(DATA["keyring_hex"])
    verifying = pseudo.VerifyingKey.from_jwk(DATA["verifying_key_jwk"])
    return pseudo.Engine(keyring, [verifying], issuer=DATA["issuer"], audience=DATA["audience"])


def test_there_are_cases_of_both_operations() -> None:
    assert {c["operation"] for c in DATA["cases"]} == {"pseudonymise", "reverse"}


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_case(engine: pseudo.Engine, case: dict[str, Any]) -> None:
    if case["operation"] == "pseudonymise":
        out = engine.pseudonymise(case["token"], case["inputs"])
    else:
        out = engine.reverse(case["token"], case["inputs"])
    # "different" treatments are random: their vectors are reverse cases only.
    assert out == case["outputs"]


def test_keys_of_the_vectors_load_every_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ring = pseudo.Keyring.from_bytes(DATA["keyring_hex"])
    assert ring.versions == [k["version"] for k in DATA["master_keys"]]
    assert ring.primary_version == DATA["primary_key_version"]
    assert ring.to_bytes().hex() == DATA["keyring_hex"]
    path = tmp_path / "keyring.hex"
    path.write_text(DATA["keyring_hex"])
    assert pseudo.Keyring.from_file(path).to_bytes() == ring.to_bytes()
    monkeypatch.setenv("PSEUDO_TEST_KEYRING", DATA["keyring_hex"])
    assert pseudo.Keyring.from_env("PSEUDO_TEST_KEYRING").to_bytes() == ring.to_bytes()
    signing = pseudo.SigningKey.from_pem(DATA["signing_key_pem"])
    assert signing.verifying_key == pseudo.VerifyingKey.from_jwk(DATA["verifying_key_jwk"])
    assert signing.to_pem() == DATA["signing_key_pem"]
