"""Data work: every kind of column in and the same kind out, missing values, numbers, chunks,
progress, and the DataFrame helper for pandas and polars."""

from __future__ import annotations

import sys
import uuid
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import pseudo
from conftest import AUDIENCE, ISSUER, ORG, Issue

VALUES = ["Example PID 1", "Example PID 2", "Example PID 3", "Example PID 4"]
WITH_NULLS = ["Example PID 1", None, "Example PID 3", None]


def plain(values: Any) -> list[Any]:
    """The values as a list, with every kind of missing value (None, NaN, pd.NA) as None."""
    return [None if pd.isna(v) else v for v in values]


def expected(engine: pseudo.Engine, token: pseudo.IssuedToken, values: list[str | None]) -> list[str | None]:
    """What each value gives alone (in a plain list): the reference for every container."""
    present = [v for v in values if v is not None]
    out = iter(engine.pseudonymise(token, present))
    return [None if v is None else next(out) for v in values]


# -- containers accepted --------------------------------------------------------------------


def test_pyarrow_array_in_pyarrow_array_out(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    token = psn()
    for ty in (pa.string(), pa.large_string(), pa.string_view()):
        arr = pa.array(WITH_NULLS, type=ty)
        out = engine.pseudonymise(token, arr)
        assert isinstance(out, pa.Array) and len(out) == len(arr)
        assert out.type in (pa.string(), pa.large_string())
        assert out.to_pylist() == expected(engine, token, WITH_NULLS)
        back = engine.reverse(rev(), out)
        assert isinstance(back, pa.Array) and back.to_pylist() == WITH_NULLS
    assert engine.pseudonymise(token, pa.array(VALUES, type=pa.large_string())).type == pa.large_string()


def test_sliced_arrow_array(engine: pseudo.Engine, psn: Issue) -> None:
    token = psn()
    arr = pa.array(["x"] + WITH_NULLS + ["y"])[1:5]
    assert engine.pseudonymise(token, arr).to_pylist() == expected(engine, token, WITH_NULLS)


def test_chunked_array_keeps_its_chunks(engine: pseudo.Engine, psn: Issue) -> None:
    token = psn()
    chunked = pa.chunked_array([WITH_NULLS[:1], WITH_NULLS[1:]])
    out = engine.pseudonymise(token, chunked)
    assert isinstance(out, pa.ChunkedArray) and out.num_chunks == 2
    assert out.to_pylist() == expected(engine, token, WITH_NULLS)


def test_arrow_capsule_producer_without_pyarrow_type(engine: pseudo.Engine, psn: Issue) -> None:
    class Producer:
        """Anything with __arrow_c_array__ (nanoarrow, arro3, a library's own array)."""

        def __init__(self, arr: pa.Array) -> None:
            self.arr = arr

        def __arrow_c_array__(self, requested_schema: object = None) -> Any:
            return self.arr.__arrow_c_array__(requested_schema)

    token = psn()
    out = engine.pseudonymise(token, Producer(pa.array(WITH_NULLS)))
    assert isinstance(out, pa.Array) and out.to_pylist() == expected(engine, token, WITH_NULLS)


def test_arrow_without_pyarrow_gives_a_capsule_array(
    engine: pseudo.Engine, psn: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = psn()
    arr = pa.array(WITH_NULLS)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails in the engine
    out = engine.pseudonymise(token, arr)
    monkeypatch.undo()
    assert isinstance(out, pseudo.ArrowArray) and len(out) == 4
    assert pa.array(out).to_pylist() == expected(engine, token, WITH_NULLS)
    assert pl.Series(out).to_list() == expected(engine, token, WITH_NULLS)


@pytest.mark.parametrize(
    "dtype", [None, object, "string", "string[pyarrow]", pd.ArrowDtype(pa.string()), pd.ArrowDtype(pa.large_string())]
)
def test_pandas_series_of_text(engine: pseudo.Engine, psn: Issue, rev: Issue, dtype: Any) -> None:
    token = psn()
    series = pd.Series(WITH_NULLS, index=[10, 20, 30, 40], name="pid", dtype=dtype)
    out = engine.pseudonymise(token, series)
    assert isinstance(out, pd.Series) and out.name == "pid" and list(out.index) == [10, 20, 30, 40]
    assert out.dtype == series.dtype
    assert plain(out) == expected(engine, token, WITH_NULLS)
    back = engine.reverse(rev(), out)
    assert plain(back) == WITH_NULLS
    assert back.dtype == series.dtype


def test_pandas_nan_and_na_are_missing(engine: pseudo.Engine, psn: Issue) -> None:
    token = psn()
    series = pd.Series(["Example PID 1", float("nan"), pd.NA, None], dtype=object)
    out, report = engine.pseudonymise(token, series, report=True)
    assert report.nulls == 3 and report.transformed == 1
    assert out.iloc[0] == expected(engine, token, ["Example PID 1"])[0]
    assert out.iloc[1:].isna().all()


def test_polars_series(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    token = psn()
    series = pl.Series("pid", WITH_NULLS)
    out = engine.pseudonymise(token, series)
    assert isinstance(out, pl.Series) and out.name == "pid" and out.dtype == pl.String
    assert out.to_list() == expected(engine, token, WITH_NULLS)
    back = engine.reverse(rev(), out)
    assert isinstance(back, pl.Series) and back.to_list() == WITH_NULLS


def test_polars_categorical_series(engine: pseudo.Engine, psn: Issue) -> None:
    token = psn()
    out = engine.pseudonymise(token, pl.Series("pid", WITH_NULLS, dtype=pl.Categorical))
    assert out.to_list() == expected(engine, token, WITH_NULLS)


def test_list_with_missing_values(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    token = psn()
    out = engine.pseudonymise(token, ["Example PID 1", None, float("nan"), pd.NA, "Example PID 3"])
    assert out[1:4] == [None, None, None]
    assert [out[0], out[4]] == engine.pseudonymise(token, ["Example PID 1", "Example PID 3"])
    assert engine.reverse(rev(), out) == ["Example PID 1", None, None, None, "Example PID 3"]


# -- containers refused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (pd.DataFrame({"pid": VALUES}), r"pandas DataFrame.*df\[\"pid\"\].*pseudonymise_columns"),
        (pl.DataFrame({"pid": VALUES}), r"polars DataFrame.*one column"),
        (pl.DataFrame({"pid": VALUES}).lazy(), r"polars DataFrame.*one column"),
        (pa.table({"pid": VALUES}), r"Arrow table.*one column"),
        (pa.record_batch({"pid": VALUES}), r"Arrow table.*one column"),
        ({"a": "Example PID 1"}, r"dict, not a column.*list\(d.values\(\)\)"),
        (set(VALUES), r"set \(no order.*pass a list"),
        (frozenset(VALUES), r"frozenset \(no order"),
    ],
)
def test_not_a_column_is_refused_with_a_hint(engine: pseudo.Engine, psn: Issue, values: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        engine.pseudonymise(psn(), values)


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([1001, 1002]),
        pd.Series([1001.0, None]),
        pd.Series([1001, None], dtype="Int64"),
        pl.Series([1001, 1002]),
        pa.array([1001, 1002]),
        pa.chunked_array([[1001, None]]),
        [1001, 1002],
        ["1001", 1002.0],
    ],
)
def test_numbers_are_refused_with_the_text_hint(engine: pseudo.Engine, psn: Issue, values: Any) -> None:
    with pytest.raises(TypeError, match=r'astype\("Int64"\)\.astype\("string"\)'):
        engine.pseudonymise(psn(), values)


def test_the_hint_gives_ids_without_a_decimal_point(engine: pseudo.Engine, psn: Issue) -> None:
    token = psn()
    ids = pd.Series([1001.0, None, 1003.0])  # what read_csv makes of an id column with a blank
    out = engine.pseudonymise(token, ids.astype("Int64").astype("string"))
    assert pd.isna(out.iloc[1])
    assert list(out.iloc[[0, 2]]) == engine.pseudonymise(token, ["1001", "1003"])


def test_other_arrow_types_are_refused(engine: pseudo.Engine, psn: Issue) -> None:
    with pytest.raises(TypeError, match="dictionary-encoded"):
        engine.pseudonymise(psn(), pa.array(VALUES).dictionary_encode())
    with pytest.raises(TypeError, match="bytes"):
        engine.pseudonymise(psn(), pa.array([b"a"]))


# -- missing values in every mode -----------------------------------------------------------


def test_nulls_in_every_mode(engine: pseudo.Engine, authority: pseudo.Authority, config: pseudo.ProjectConfig) -> None:
    src_org = uuid.uuid4()
    psn = authority.issue_pseudonymise(project="src", organisation=src_org, config=config, subject="s", request="r")
    level1 = engine.pseudonymise(psn, pa.array(WITH_NULLS))
    source = pseudo.SourceRef(project="src", organisation=src_org, config=config)
    common: dict[str, Any] = dict(project="sec", organisation=ORG, config=config, subject="s", request="r")
    sec = authority.issue_secondary(source=source, **common)
    level2, report = engine.pseudonymise(sec, level1, report=True)
    assert level2.is_null().to_pylist() == [False, True, False, True]
    assert (report.items, report.nulls, report.transformed, report.failures) == (4, 2, 2, [])
    rev2 = authority.issue_reverse(source=source, **common)
    assert engine.reverse(rev2, level2) == level1
    rev1 = authority.issue_reverse(project="src", organisation=src_org, config=config, subject="s", request="r")
    assert engine.reverse(rev1, level1.to_pylist()) == WITH_NULLS


def test_only_missing_values_still_check_the_token(engine: pseudo.Engine, psn: Issue) -> None:
    out, report = engine.pseudonymise(psn(), [None, None], report=True)
    assert out == [None, None] and report.nulls == 2 and report.transformed == 0
    with pytest.raises(pseudo.TokenError):
        engine.pseudonymise("not.a.token", [None, None])
    with pytest.raises(pseudo.TokenNotAllowedError):
        engine.reverse(psn(), pa.nulls(3, pa.string()))


def test_per_item_tells_why_at_the_callers_positions(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    token = psn()
    good = engine.pseudonymise(token, ["Example PID 1"])[0]
    candidates = [None, good, "not a pseudonym!", None, "", good]
    out, report = engine.reverse(rev(), candidates, per_item=True, report=True)
    assert out == [None, "Example PID 1", None, None, None, "Example PID 1"]
    assert [(f.index, f.code) for f in report.failures] == [(2, "invalid_pseudonym"), (4, "empty_value")]
    assert (report.nulls, report.transformed) == (2, 2)
    assert "not a pseudonym" not in repr(report)
    with pytest.raises(pseudo.BatchError) as info:
        engine.reverse(rev(), pa.array(candidates))
    assert [(f.index, f.code) for f in info.value.failures] == [(2, "invalid_pseudonym"), (4, "empty_value")]


# -- big inputs: chunks and progress --------------------------------------------------------


@pytest.fixture()
def small(keyring: pseudo.Keyring, signing: pseudo.SigningKey) -> pseudo.Engine:
    return pseudo.Engine(keyring, signing.verifying_key, issuer=ISSUER, audience=AUDIENCE, max_items=100)


def test_chunks_past_max_items(small: pseudo.Engine, engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    token = psn()
    values = [f"PID-{i:05d}" if i % 7 else None for i in range(1050)]
    reference = expected(engine, token, values)
    assert small.pseudonymise(token, values) == reference
    assert small.pseudonymise(token, iter(values)) == reference
    assert small.pseudonymise(token, pa.array(values)).to_pylist() == reference
    assert small.pseudonymise(token, pa.chunked_array([values[:333], values[333:]])).to_pylist() == reference
    assert small.pseudonymise(token, pl.Series(values)).to_list() == reference
    assert plain(small.reverse(rev(), pd.Series(reference))) == values


def test_chunked_failures_are_reported_at_the_callers_positions(small: pseudo.Engine, psn: Issue) -> None:
    values = ["v"] * 250
    values[5] = ""
    values[180] = ""
    with pytest.raises(pseudo.BatchError) as info:
        small.pseudonymise(psn(), values)
    assert [(f.index, f.code) for f in info.value.failures] == [(5, "empty_value"), (180, "empty_value")]
    assert "2 item(s)" in str(info.value)


def test_progress_callback(small: pseudo.Engine, psn: Issue) -> None:
    seen: list[tuple[int, int | None]] = []
    small.pseudonymise(psn(), ["v"] * 250, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(100, 250), (200, 250), (250, 250)]
    seen.clear()
    small.pseudonymise(psn(), (v for v in ["v"] * 150), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(100, None), (150, None)]
    seen.clear()
    small.pseudonymise(psn(), pa.array(["v"] * 150), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(100, 150), (150, 150)]


def test_progress_bar(small: pseudo.Engine, psn: Issue, capsys: pytest.CaptureFixture[str]) -> None:
    small.pseudonymise(psn(), ["v"] * 250, progress=True)
    err = capsys.readouterr().err
    assert "250/250" in err and "pseudonymise" in err


def test_progress_must_be_a_flag_or_a_function(engine: pseudo.Engine, psn: Issue) -> None:
    with pytest.raises(TypeError, match="progress must be"):
        engine.pseudonymise(psn(), VALUES, progress="yes")  # type: ignore[call-overload]
    assert engine.pseudonymise(psn(), VALUES, progress=False) == engine.pseudonymise(psn(), VALUES)


def test_an_error_in_the_progress_callback_stops_the_call(small: pseudo.Engine, psn: Issue) -> None:
    def stop(done: int, total: int | None) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        small.pseudonymise(psn(), ["v"] * 250, progress=stop)


# -- DataFrame helper -----------------------------------------------------------------------


def test_pseudonymise_columns_pandas(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    token = psn()
    df = pd.DataFrame(
        {"pid": WITH_NULLS, "mother": VALUES, "age": [30, 40, 50, 60]}, index=["a", "b", "c", "d"]
    )
    out = engine.pseudonymise_columns(token, df, ["pid", "mother"])
    assert out is not df and plain(df["pid"]) == WITH_NULLS  # the input is not changed
    assert list(out.columns) == ["pid", "mother", "age"] and list(out.index) == ["a", "b", "c", "d"]
    assert plain(out["pid"]) == expected(engine, token, WITH_NULLS)
    assert list(out["mother"]) == expected(engine, token, list(VALUES))
    assert list(out["age"]) == [30, 40, 50, 60]
    back = engine.reverse_columns(rev(), out, "pid")
    assert plain(back["pid"]) == WITH_NULLS and list(back["mother"]) == list(out["mother"])


def test_pseudonymise_columns_polars(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    token = psn()
    df = pl.DataFrame({"pid": WITH_NULLS, "age": [30, 40, 50, 60]})
    out = engine.pseudonymise_columns(token, df, ["pid"])
    assert isinstance(out, pl.DataFrame) and out.columns == ["pid", "age"]
    assert out["pid"].to_list() == expected(engine, token, WITH_NULLS)
    assert engine.reverse_columns(rev(), out, ["pid"]).equals(df)


def test_pseudonymise_columns_refusals(engine: pseudo.Engine, psn: Issue) -> None:
    df = pd.DataFrame({"pid": VALUES, "age": [1, 2, 3, 4]})
    with pytest.raises(pseudo.InputError, match="no column 'nope'; it has pid, age"):
        engine.pseudonymise_columns(psn(), df, ["nope"])
    with pytest.raises(TypeError, match="column 'age': values is a pandas Series of int64"):
        engine.pseudonymise_columns(psn(), df, ["age"])
    with pytest.raises(TypeError, match="frame must be a pandas or polars DataFrame"):
        engine.pseudonymise_columns(psn(), VALUES, ["pid"])
    with pytest.raises(pseudo.InputError, match="columns is empty"):
        engine.pseudonymise_columns(psn(), df, [])


def test_report_counts(engine: pseudo.Engine, psn: Issue) -> None:
    out, report = engine.pseudonymise(psn(), pl.Series(WITH_NULLS), report=True)
    assert isinstance(out, pl.Series) and isinstance(report, pseudo.Report)
    assert repr(report) == "Report(items=4, transformed=2, nulls=2, failed=0)"
