"""The hand-kept stubs match the built module, and the package's surface is what it says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pseudo


def test_stubtest() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "pseudo._pseudo"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_all_is_complete() -> None:
    public = {n for n in dir(pseudo._pseudo) if not n.startswith("_")} | {"__version__"}
    assert set(pseudo.__all__) == public
    for name in pseudo.__all__:
        obj = getattr(pseudo, name)
        if isinstance(obj, type):
            assert obj.__module__ == "pseudo._pseudo"
            assert obj.__doc__, name


def test_exception_hierarchy() -> None:
    token_errors = [
        pseudo.MalformedTokenError,
        pseudo.InvalidSignatureError,
        pseudo.ExpiredTokenError,
        pseudo.TokenNotYetValidError,
        pseudo.TokenClaimsError,
        pseudo.RevokedTokenError,
        pseudo.TokenNotAllowedError,
    ]
    assert all(issubclass(e, pseudo.TokenError) for e in token_errors)
    assert all(issubclass(e, ValueError) for e in (pseudo.InputError, pseudo.LimitExceededError, pseudo.InvalidKeyError))
    assert not issubclass(pseudo.TokenError, ValueError)
    assert issubclass(pseudo.BatchError, pseudo.TransformError)
    assert issubclass(pseudo.KeyFileError, OSError)
    assert issubclass(pseudo.StorageError, OSError)
    assert issubclass(pseudo.NotFoundError, LookupError)
    assert issubclass(pseudo.InvalidSecretError, pseudo.AuthenticationError)
    assert issubclass(pseudo.InvalidSecretError, ValueError)
    assert not issubclass(pseudo.AuthenticationError, ValueError)
    # A policy refusal is not a file-system error: `except OSError` must not catch it.
    assert not issubclass(pseudo.PermissionDeniedError, OSError)
    assert not issubclass(pseudo.InvalidStateError, ValueError)
    assert pseudo.PseudoError("made in Python").detail is None
    for name in pseudo.__all__:
        obj = getattr(pseudo, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, pseudo.PseudoError)


def test_every_public_method_has_a_docstring() -> None:
    for name in pseudo.__all__:
        cls = getattr(pseudo, name)
        if not isinstance(cls, type) or issubclass(cls, BaseException):
            continue
        for attr, value in vars(cls).items():
            if attr.startswith("_"):
                continue
            assert getattr(value, "__doc__", None), f"{name}.{attr}"
