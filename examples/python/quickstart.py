"""pseudo quickstart: the whole flow, with a pandas DataFrame column.

Run it with `make demo-py` (or `python examples/python/quickstart.py` once `pseudo` is installed).

1. The authority (the portal) and the engine get their keys.
2. The authority issues tokens for a project; it never sees data.
3. The engine pseudonymises a DataFrame column, reverses it, and re-pseudonymises it for a
   second project (level 2).
4. Bad input fails with a clear exception; per-item mode marks failed items with None.
5. The same engine answers the INCERT-compatible HTTP API.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd

import pseudo

ISSUER = "https://portal.example"
AUDIENCE = "pseudo-engine"

# 1. Keys. The signing key stays with the authority; the engine only needs its public half
#    (shown here going through a JWK, as it would between two machines). The master key is the
#    engine's secret: in production load it with MasterKey.from_env / from_file.
signing_key = pseudo.SigningKey.generate()
published = signing_key.verifying_key.to_jwk()
master_key = pseudo.MasterKey.generate(version=1)
print("authority key id:", signing_key.kid)
print("master key:", master_key)  # the repr shows no secret

authority = pseudo.Authority(signing_key, issuer=ISSUER, audience=AUDIENCE)
engine = pseudo.Engine(
    pseudo.Keyring(master_key),
    [pseudo.VerifyingKey.from_jwk(published)],
    issuer=ISSUER,
    audience=AUDIENCE,
)

# 2. A reversible project kept for one year; "same" treatment so that joins work.
hospital = uuid.UUID("2f8d6c1e-7b0a-4c4e-9a53-1d2e3f405162")
cohort = pseudo.ProjectConfig(
    reversible=True,
    retention_end=datetime.now(timezone.utc) + timedelta(days=365),
    treatment="same",
    format="base64url",
)
who: dict[str, Any] = dict(organisation=hospital, subject="alice@hospital.example", request="REQ-2026-001")
psn_token = authority.issue_pseudonymise(project="cohort-2026", config=cohort, **who)
rev_token = authority.issue_reverse(project="cohort-2026", config=cohort, lifetime=timedelta(minutes=5), **who)
print("issued:", psn_token)

# 3. A DataFrame whose "patient_id" column is personal data.
df = pd.DataFrame(
    {
        "patient_id": ["Example PID 1", "Example PID 2", "Example PID 3", "Example PID 1"],
        "visit": ["2026-01-03", "2026-01-09", "2026-02-11", "2026-03-01"],
        "score": [3, 5, 2, 4],
    },
    index=[101, 102, 103, 104],
)
original = df["patient_id"].copy()
df["patient_id"] = engine.pseudonymise(psn_token, df["patient_id"])
print("\npseudonymised:\n", df.to_string(), sep="")
assert df["patient_id"].iloc[0] == df["patient_id"].iloc[3], "same treatment: same value, same pseudonym"

restored = engine.reverse(rev_token, df["patient_id"])
assert restored.equals(original)
print("\nreversed:", list(restored))

# Secondary pseudonymisation: a second project receives level-2 pseudonyms of cohort-2026's
# level-1 pseudonyms, under its own key. Its reverse token leads back to level 1 only.
source = pseudo.SourceRef(project="cohort-2026", organisation=hospital, config=cohort)
registry = pseudo.ProjectConfig(reversible=True, retention_end=datetime.now(timezone.utc) + timedelta(days=90))
sec_token = authority.issue_secondary(project="registry-link", config=registry, source=source, **who)
level2 = engine.pseudonymise(sec_token, df["patient_id"])
rev2_token = authority.issue_reverse(project="registry-link", config=registry, source=source, **who)
assert list(engine.reverse(rev2_token, level2)) == list(df["patient_id"])
print("level 2:", list(level2)[:2], "...")

# 4. Errors a notebook user meets.
try:
    engine.reverse(psn_token, df["patient_id"])
except pseudo.TokenNotAllowedError as e:
    print("\nrefused:", e, f"[{e.code}]")

damaged = list(df["patient_id"])
damaged[1] = damaged[1][:-3] + "abc"
try:
    engine.reverse(rev_token, damaged)
except pseudo.BatchError as e:
    print("batch failed:", e)
    print("  failures:", e.failures)
print("per item:", engine.reverse(rev_token, damaged, per_item=True))

print("missing stays missing:", engine.pseudonymise(psn_token, ["Example PID 4", None]))
try:
    engine.pseudonymise(psn_token, ["Example PID 4", 1005])  # type: ignore[list-item]
except TypeError as e:
    print("wrong type:", e)

# 5. The HTTP API, as a web framework would call it.
status, content_type, body = engine.handle_request(
    "/api/request-psn",
    f"Bearer {psn_token.token}",
    "application/json",
    json.dumps({"data": ["Example PID 1", "Example PID 2"]}).encode(),
)
print(f"\nPOST /api/request-psn -> {status} {content_type} {body.decode()}")
assert json.loads(body)["data"] == list(df["patient_id"].iloc[:2])
print("\nquickstart: OK")
