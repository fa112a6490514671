"""Engine.handle_request: the INCERT-compatible HTTP bodies, never an exception for bad input."""

from __future__ import annotations

import json

import pseudo
from conftest import Issue

PSN = "/api/request-psn"
REV = "/api/request-psn-rev"
JSON = "application/json"


def test_json_round_trip(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    body = json.dumps({"data": ["Example PID 1", "Example PID 2"]}).encode()
    status, ctype, out = engine.handle_request(PSN, f"Bearer {psn().token}", JSON, body)
    assert (status, ctype) == (200, JSON)
    pseudonyms = json.loads(out)["data"]
    assert pseudonyms == engine.pseudonymise(psn(), ["Example PID 1", "Example PID 2"])
    status, _, out = engine.handle_request(REV, f"Bearer {rev().token}", JSON, json.dumps({"data": pseudonyms}))
    assert status == 200 and json.loads(out) == {"data": ["Example PID 1", "Example PID 2"]}


def test_csv_in_and_out(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    body = b'Example PID 1,"Example, PID 2"\r\nExample PID 3\r\n'
    status, ctype, out = engine.handle_request(PSN, f"Bearer {psn().token}", "text/csv", body, accept="text/csv")
    assert (status, ctype) == (200, "text/csv")
    status, _, back = engine.handle_request(REV, f"Bearer {rev().token}", "text/csv", out, accept="text/csv")
    assert status == 200
    assert back.replace(b"\r\n", b"\n").strip() == body.replace(b"\r\n", b"\n").strip()


def error(response: tuple[int, str, bytes]) -> tuple[int, str]:
    status, ctype, body = response
    assert ctype == JSON
    return status, json.loads(body)["error"]["code"]


def test_errors_map_to_statuses(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    good = json.dumps({"data": ["a"]})
    assert error(engine.handle_request(PSN, None, JSON, good)) == (401, "malformed_token")
    assert error(engine.handle_request(PSN, "Bearer x.y.z", JSON, good)) == (401, "malformed_token")
    assert error(engine.handle_request(PSN, f"Bearer {rev().token}", JSON, good)) == (403, "wrong_operation")
    assert error(engine.handle_request(PSN, f"Bearer {psn().token}", "text/plain", good)) == (
        415,
        "unsupported_media_type",
    )
    assert error(engine.handle_request(PSN, f"Bearer {psn().token}", JSON, b"{not json")) == (400, "bad_request")
    assert error(engine.handle_request(PSN, f"Bearer {psn().token}", JSON, '{"data": [""]}')) == (422, "invalid_items")
    assert error(engine.handle_request("/api/other", f"Bearer {psn().token}", JSON, good)) == (404, "not_found")


def test_body_type_is_checked(engine: pseudo.Engine, psn: Issue) -> None:
    import pytest

    with pytest.raises(TypeError, match="body must be bytes or str"):
        engine.handle_request(PSN, f"Bearer {psn().token}", JSON, {"data": ["a"]})  # type: ignore[arg-type]
