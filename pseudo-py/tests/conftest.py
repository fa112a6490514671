"""Shared fixtures: one authority and one engine trusting it, and helpers to issue tokens."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

import pseudo

ISSUER = "https://portal.example"
AUDIENCE = "pseudo-engine"
ORG = uuid.UUID("6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f")


def in_days(days: int) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=days)


@pytest.fixture(scope="session")
def signing() -> pseudo.SigningKey:
    return pseudo.SigningKey.generate()


@pytest.fixture(scope="session")
def authority(signing: pseudo.SigningKey) -> pseudo.Authority:
    return pseudo.Authority(signing, issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture(scope="session")
def keyring() -> pseudo.Keyring:
    return pseudo.Keyring(pseudo.MasterKey.generate(version=1))


@pytest.fixture(scope="session")
def engine(keyring: pseudo.Keyring, signing: pseudo.SigningKey) -> pseudo.Engine:
    return pseudo.Engine(keyring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture()
def config() -> pseudo.ProjectConfig:
    return pseudo.ProjectConfig(reversible=True, retention_end=in_days(365))


Issue = Callable[..., pseudo.IssuedToken]


@pytest.fixture()
def psn(authority: pseudo.Authority, config: pseudo.ProjectConfig) -> Issue:
    """Issues a psn token; keyword arguments override the defaults."""

    def issue(**kw: Any) -> pseudo.IssuedToken:
        args: dict[str, Any] = dict(project="cohort", organisation=ORG, config=config, subject="alice", request="r1")
        args.update(kw)
        return authority.issue_pseudonymise(**args)

    return issue


@pytest.fixture()
def rev(authority: pseudo.Authority, config: pseudo.ProjectConfig) -> Issue:
    """Issues a rev token; keyword arguments override the defaults."""

    def issue(**kw: Any) -> pseudo.IssuedToken:
        args: dict[str, Any] = dict(project="cohort", organisation=ORG, config=config, subject="alice", request="r1")
        args.update(kw)
        return authority.issue_reverse(**args)

    return issue


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWT."""
    h, c, _ = token.split(".")
    return json.loads(unb64(h)), json.loads(unb64(c))


def forge(signing: pseudo.SigningKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWT with any header and claims, signed by `signing` (through pyca/cryptography)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(signing.to_pem().encode(), password=None)
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode())  # type: ignore[call-arg]
    return f"{signing_input}.{b64(signature)}"
