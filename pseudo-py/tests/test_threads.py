"""One engine called from many threads at once gives every thread its own, correct results."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pseudo
from conftest import Issue


def test_threads_share_one_engine(engine: pseudo.Engine, psn: Issue, rev: Issue) -> None:
    psn_token, rev_token = psn(), rev()
    batches = [[f"thread-{t}-value-{i}" for i in range(5_000)] for t in range(8)]
    expected = [engine.pseudonymise(psn_token, b) for b in batches]

    def work(t: int) -> tuple[list[str], list[str]]:
        out = engine.pseudonymise(psn_token, batches[t])
        return out, engine.reverse(rev_token, out)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    for t, (pseudonyms, back) in enumerate(results):
        assert pseudonyms == expected[t]
        assert back == batches[t]


def test_errors_stay_with_their_thread(engine: pseudo.Engine, psn: Issue) -> None:
    token = psn()

    def work(t: int) -> str:
        try:
            engine.pseudonymise(token if t % 2 else "bad.token.here", [f"v{t}", "" if t % 3 == 0 else "x"])
            return "ok"
        except pseudo.PseudoError as e:
            return e.code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(work, range(12)))
    for t, code in enumerate(codes):
        if t % 2 == 0:
            assert code == "malformed_token"
        elif t % 3 == 0:
            assert code == "invalid_items"
        else:
            assert code == "ok"
