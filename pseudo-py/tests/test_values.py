"""What `values` may be, and every kind of bad input: the right exception, a clear message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import pseudo
from conftest import AUDIENCE, ISSUER, Issue

VALUES = ["Example PID 1", "Example PID 2", "Example PID 3"]


def test_any_iterable_of_str(engine: pseudo.Engine, psn: Issue) -> None:
    token = psn()
    expected = engine.pseudonymise(token, VALUES)

    def gen() -> Iterator[str]:
        yield from VALUES

    assert engine.pseudonymise(token, tuple(VALUES)) == expected
    assert engine.pseudonymise(token, gen()) == expected
    assert engine.pseudonymise(token, iter(VALUES)) == expected
    assert engine.pseudonymise(token, (v for v in VALUES)) == expected
    assert engine.pseudonymise(token.token, VALUES) == expected
    assert engine.pseudonymise(token, dict.fromkeys(VALUES).keys().__iter__()) == expected


def test_str_subclass(engine: pseudo.Engine, psn: Issue) -> None:
    class Name(str):
        pass

    token = psn()
    assert engine.pseudonymise(token, [Name(v) for v in VALUES]) == engine.pseudonymise(token, VALUES)


def test_pandas_series_keeps_its_index(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    series = pd.Series(VALUES, index=[10, 20, 30], name="pid")
    out = engine.pseudonymise(psn(), series)
    assert isinstance(out, pd.Series)
    assert list(out.index) == [10, 20, 30] and out.name == "pid"
    assert list(out) == engine.pseudonymise(psn(), VALUES)
    back = engine.reverse(rev(), out)
    assert isinstance(back, pd.Series) and list(back) == VALUES and list(back.index) == [10, 20, 30]


def test_dataframe_column(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    df = pd.DataFrame({"pid": VALUES, "age": [30, 40, 50]}, index=["a", "b", "c"])
    df["pid"] = engine.pseudonymise(psn(), df["pid"])
    assert not set(df["pid"]) & set(VALUES)
    df["pid"] = engine.reverse(rev(), df["pid"])
    assert list(df["pid"]) == VALUES


def test_series_with_missing_values(engine: pseudo.Engine, psn: Issue) -> None:
    series = pd.Series(["a", None, "c"])
    out = engine.pseudonymise(psn(), series)
    assert pd.isna(out.iloc[1]) and list(out.iloc[[0, 2]]) == engine.pseudonymise(psn(), ["a", "c"])
    out = engine.pseudonymise(psn(), pd.Series(["a", float("nan"), "c"], dtype=object))
    assert out.iloc[1] is None and out.dtype == object


@pytest.mark.parametrize(
    ("bad", "type_name", "hint"),
    [(42, "int", "str\\(value\\)"), (b"PID", "bytes", "decode"), (1.5, "float", "Int64"), (object(), "object", "")],
)
def test_wrong_item_types(engine: pseudo.Engine, psn: Issue, bad: Any, type_name: str, hint: str) -> None:
    with pytest.raises(TypeError, match=rf"values\[2\] is {type_name}, not str.*{hint}"):
        engine.pseudonymise(psn(), ["a", "b", bad, "d"])


@pytest.mark.parametrize("values", ["Example PID 1", b"Example PID 1"])
def test_a_single_value_is_not_a_batch(engine: pseudo.Engine, psn: Issue, values: Any) -> None:
    with pytest.raises(TypeError, match="not a single"):
        engine.pseudonymise(psn(), values)


@pytest.mark.parametrize("values", [None, 42, object()])
def test_values_not_iterable(engine: pseudo.Engine, psn: Issue, values: Any) -> None:
    with pytest.raises(TypeError, match="values must be"):
        engine.pseudonymise(psn(), values)


def test_iterator_that_fails(engine: pseudo.Engine, psn: Issue) -> None:
    def broken() -> Iterator[str]:
        yield "a"
        raise RuntimeError("source went away")

    with pytest.raises(RuntimeError, match="source went away"):
        engine.pseudonymise(psn(), broken())


def test_lone_surrogate(engine: pseudo.Engine, psn: Issue) -> None:
    with pytest.raises(pseudo.InputError, match=r"values\[1\] is not valid Unicode"):
        engine.pseudonymise(psn(), ["a", "\ud800"])


def test_empty_batch(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    for op, token in ((engine.pseudonymise, psn()), (engine.reverse, rev())):
        with pytest.raises(pseudo.InputError, match="empty") as info:
            op(token, [])
        assert isinstance(info.value, ValueError) and info.value.code == "invalid_input"


def test_empty_and_too_long_items(engine: pseudo.Engine, psn: Issue) -> None:
    values = ["ok", "", "x" * (engine.max_item_bytes + 1), "fine", "y" * engine.max_item_bytes]
    with pytest.raises(pseudo.BatchError) as info:
        engine.pseudonymise(psn(), values)
    err = info.value
    assert isinstance(err, pseudo.TransformError) and err.code == "invalid_items"
    assert all(isinstance(f, pseudo.ItemFailure) for f in err.failures)
    assert [(f.index, f.code) for f in err.failures] == [(1, "empty_value"), (2, "too_long")]
    assert "2 item(s)" in str(err) and "x" * 20 not in str(err)
    assert repr(err.failures[0]) == "ItemFailure(index=1, code='empty_value')"

    out = engine.pseudonymise(psn(), values, per_item=True)
    assert out[1] is None and out[2] is None
    assert all(isinstance(out[i], str) for i in (0, 3, 4))
    assert out[0] == engine.pseudonymise(psn(), ["ok"])[0]


def test_tampered_pseudonyms(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    pseudonyms = engine.pseudonymise(psn(), VALUES)
    p = pseudonyms[1]
    flipped = p[:10] + ("A" if p[10] != "A" else "B") + p[11:]
    candidates = [
        pseudonyms[0],
        flipped,
        p[:-1],  # truncated
        p + "A",  # extended
        "not a pseudonym!",
        engine.pseudonymise(psn(project="another"), ["Example PID 2"])[0],  # another project
        pseudonyms[2],
    ]
    with pytest.raises(pseudo.BatchError) as info:
        engine.reverse(rev(), candidates)
    assert [(f.index, f.code) for f in info.value.failures] == [(i, "invalid_pseudonym") for i in range(1, 6)]
    out = engine.reverse(rev(), candidates, per_item=True)
    assert out == ["Example PID 1", None, None, None, None, None, "Example PID 3"]


def test_per_item_series(engine: pseudo.Engine, psn: Issue) -> None:
    out = engine.pseudonymise(psn(), pd.Series(["a", "", "c"], index=[5, 6, 7]), per_item=True)
    assert list(out.index) == [5, 6, 7]
    assert pd.isna(out.iloc[1]) and isinstance(out.iloc[0], str)


def test_batch_past_the_item_limit_is_sent_in_chunks(
    keyring: pseudo.Keyring, signing: pseudo.SigningKey, psn: Issue, engine: pseudo.Engine
) -> None:
    small = pseudo.Engine(keyring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE, max_items=100)
    values = [f"v{i}" for i in range(101)]
    token = psn()
    reference = engine.pseudonymise(token, values)
    for given in (values, iter(values), pd.Series(values)):
        assert list(small.pseudonymise(token, given)) == reference
    # The wire's limit still holds for a request.
    body = '{"data": [' + ", ".join(f'"{v}"' for v in values) + "]}"
    status, _, answer = small.handle_request("/api/request-psn", f"Bearer {token.token}", "application/json", body)
    assert status == 413 and b"limit_exceeded" in answer


def test_huge_batch_within_the_default_limits(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    values = [f"PID-{i:08d}" for i in range(200_000)]
    pseudonyms = engine.pseudonymise(psn(), values)
    assert len(pseudonyms) == len(values) and len(set(pseudonyms)) == len(values)
    assert engine.reverse(rev(), pseudonyms) == values


def test_item_byte_limit_is_configurable(keyring: pseudo.Keyring, signing: pseudo.SigningKey, psn: Issue) -> None:
    small = pseudo.Engine(keyring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE, max_item_bytes=4)
    assert small.max_item_bytes == 4
    # Four UTF-8 bytes: "é" is two.
    assert small.pseudonymise(psn(), ["éé"], per_item=True)[0] is not None
    assert small.pseudonymise(psn(), ["ééé"], per_item=True) == [None]
