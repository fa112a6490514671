"""pseudo against its Python peers, side by side in one run.

Pseudonymises N values of 13 bytes (default 1,000,000) with AES-256-SIV through
* pseudo: one `Engine.pseudonymise` call on a list of `str` (token verified, every core used);
* pseudo: one call on a pyarrow string array, a pyarrow array back (read and written in place),
  and on an Arrow-backed pandas Series and a polars Series;
* Tink's `DeterministicAead` (AES256_SIV) in a per-value loop;
* pyca/cryptography's `AESSIV` in a per-value loop;
each peer writing base64url text as pseudo does. Then times Ed25519 (EdDSA) token verification:
PyJWT's `jwt.decode` against pseudo's `Engine.verify`. Prints the ratios, all from this run, and
the peak memory of the Arrow path against its input + output (the process's peak RSS growth).

Run with `make bench-py` (installs tink, cryptography and PyJWT into .venv only for this).
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import resource
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable

import pseudo

ISSUER, AUDIENCE = "https://portal.example", "pseudo-engine"


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=1_000_000, help="values per batch (default 1,000,000)")
    ap.add_argument("--runs", type=int, default=3, help="best of this many runs (default 3)")
    ap.add_argument("--verify", type=int, default=2_000, help="distinct tokens to verify (default 2,000)")
    args = ap.parse_args()
    n = args.n
    values = [f"PID-{i:09d}" for i in range(n)]
    assert all(len(v.encode()) == 13 for v in values[:10])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python {platform.python_version()}, {os.cpu_count()} cores (load {load}), {n:,} values of 13 bytes, best of {args.runs}")

    signing = pseudo.SigningKey.generate()
    engine = pseudo.Engine(pseudo.MasterKey.generate(), signing.verifying_key, issuer=ISSUER, audience=AUDIENCE)
    authority = pseudo.Authority(signing, issuer=ISSUER, audience=AUDIENCE)
    end = datetime.now(timezone.utc) + timedelta(days=30)
    org = uuid.uuid4()

    def token(reversible: bool) -> pseudo.IssuedToken:
        cfg = pseudo.ProjectConfig(reversible=reversible, retention_end=end)
        return authority.issue_pseudonymise(project="bench", organisation=org, config=cfg, subject="b", request="r")

    siv_token, hmac_token = token(True), token(False)
    import pyarrow as pa

    # The Arrow path first, on a fresh process heap: its peak memory is measured as growth of the
    # peak RSS (the list of str above is already resident and not counted).
    arrow_in = pa.array(values, type=pa.string())
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    arrow_out = engine.pseudonymise(siv_token, arrow_in)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0
    arrow_bytes = arrow_in.nbytes + arrow_out.nbytes
    del arrow_out
    t_arrow = best_of(args.runs, lambda: engine.pseudonymise(siv_token, arrow_in))
    t_pseudo = best_of(args.runs, lambda: engine.pseudonymise(siv_token, values))
    import pandas as pd
    import polars as pl

    series_pd = pd.Series(values, dtype="string[pyarrow]")
    series_pl = pl.Series("pid", values)
    t_pandas = best_of(args.runs, lambda: engine.pseudonymise(siv_token, series_pd))
    t_polars = best_of(args.runs, lambda: engine.pseudonymise(siv_token, series_pl))
    t_pseudo_hmac = best_of(args.runs, lambda: engine.pseudonymise(hmac_token, values))

    import tink
    from tink import daead

    daead.register()
    tink_prim = tink.new_keyset_handle(daead.deterministic_aead_key_templates.AES256_SIV).primitive(
        daead.DeterministicAead
    )
    ad = b"pseudo-bench-domain"
    b64 = base64.urlsafe_b64encode

    def run_tink() -> list[str]:
        enc = tink_prim.encrypt_deterministically
        return [b64(enc(v.encode(), ad)).rstrip(b"=").decode() for v in values]

    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

    pyca = AESSIV(AESSIV.generate_key(512))

    def run_pyca() -> list[str]:
        enc = pyca.encrypt
        return [b64(enc(v.encode(), [ad])).rstrip(b"=").decode() for v in values]

    t_tink = best_of(args.runs, run_tink)
    t_pyca = best_of(args.runs, run_pyca)

    def row(name: str, t: float) -> None:
        print(f"  {name:<42} {t:8.3f} s  {t / n * 1e9:8.0f} ns/value  {n / t / 1e6:6.2f} M values/s")

    print("pseudonymise (AES-256-SIV, text out):")
    row("pseudo Engine.pseudonymise, list of str", t_pseudo)
    row("pseudo Engine.pseudonymise, Arrow in/out", t_arrow)
    row("pseudo, pandas Series string[pyarrow]", t_pandas)
    row("pseudo, polars Series String", t_polars)
    row("Tink DeterministicAead (per-value loop)", t_tink)
    row("pyca/cryptography AESSIV (per-value loop)", t_pyca)
    row("pseudo, not-reversible (HMAC) mode", t_pseudo_hmac)
    print(f"  list of str, ratio vs Tink: {t_tink / t_pseudo:5.1f}x  (target >= 5x)")
    print(f"  list of str, ratio vs pyca: {t_pyca / t_pseudo:5.1f}x  (target >= 6x)")
    print(f"  Arrow in/out, ratio vs Tink: {t_tink / t_arrow:5.1f}x  (target >= 10x)")
    print(f"  Arrow in/out, ratio vs pyca: {t_pyca / t_arrow:5.1f}x")
    print(
        f"  Arrow path peak memory growth {grown / 1e6:6.1f} MB for input + output of {arrow_bytes / 1e6:6.1f} MB"
        f" ({grown / arrow_bytes:4.2f}x; target <= 2x)"
    )

    import jwt
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    public = load_pem_public_key(signing.verifying_key.to_pem().encode())
    m = args.verify
    # Distinct tokens: the engine caches tokens it has verified, so each is verified once here
    # (a full Ed25519 check and every claim rule), as PyJWT does on every call.
    texts = [token(True).token for _ in range(m)]

    def run_pyjwt() -> None:
        for text in texts:
            jwt.decode(text, public, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)  # type: ignore[arg-type]

    def run_verify(e: pseudo.Engine) -> None:
        for text in texts:
            e.verify(text)

    def fresh_engine() -> pseudo.Engine:
        return pseudo.Engine(pseudo.MasterKey.generate(), signing.verifying_key, issuer=ISSUER, audience=AUDIENCE)

    t_jwt = best_of(args.runs, run_pyjwt) / m
    t_verify = min(best_of(1, lambda: run_verify(fresh_engine())) for _ in range(args.runs)) / m
    warm = fresh_engine()
    run_verify(warm)
    t_cached = best_of(args.runs, lambda: run_verify(warm)) / m
    print(f"token verification (Ed25519 / EdDSA, per token, from Python, {m:,} distinct tokens):")
    print(f"  PyJWT jwt.decode                           {t_jwt * 1e6:8.1f} us")
    print(f"  pseudo Engine.verify, first use            {t_verify * 1e6:8.1f} us   ratio {t_jwt / t_verify:5.1f}x")
    print(f"  pseudo Engine.verify, seen before (cache)  {t_cached * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
