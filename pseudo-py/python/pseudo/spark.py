"""Pseudonymise or reverse columns of a PySpark DataFrame where the data lives: on the executors.

::

    from pseudo.spark import EngineSpec, pseudonymise_columns, reverse_columns

    spec = EngineSpec(
        keyring_file="/etc/pseudo/keyring",   # or keyring_env="PSEUDO_KEYRING"
        verifying_keys=[authority_key],       # VerifyingKey objects (public)
        issuer="https://portal.example",
        audience="pseudo-engine",
    )
    out = pseudonymise_columns(df, ["patient_id"], token, spec)
    back = reverse_columns(out, ["patient_id"], reverse_token, spec)

The work runs in ``DataFrame.mapInArrow``: Arrow record batches go through each executor's
engine without a copy, one engine per executor Python process. **The keys never travel with
the job**: every executor reads the keyring itself, from ``keyring_file`` (a path on the
executor's machine) or ``keyring_env`` (an environment variable the executor's process gets from
outside Spark: a Kubernetes secret in the executor pod template, the node manager's environment).
Never set it with ``spark.executorEnv.*``: Spark's configuration shows in its UI and event logs,
and its default redaction pattern does not match a name like ``PSEUDO_KEYRING``. What does travel with the job is
public or short-lived: the token (a string, checked on every executor), the authority's verifying
keys (as JWK text), the issuer, the audience and the column names.

Missing values stay missing; the columns must be strings (cast integer ids first, without a
decimal point: ``F.col("id").cast("bigint").cast("string")``). A failed item fails the Spark
task (``per_item=False``) or comes back null (``per_item=True``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pseudo._pseudo import Engine, IssuedToken, Keyring, VerifyingKey

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["EngineSpec", "pseudonymise_columns", "reverse_columns"]


@dataclass(frozen=True, init=False)
class EngineSpec:
    """How an executor makes its engine: where it reads the keyring, whom it trusts.

    Holds no secret: it is pickled and sent to every executor. Exactly one of ``keyring_file``
    and ``keyring_env`` names where the executor finds the keyring (``Keyring.from_file`` or
    ``Keyring.from_env``).
    """

    verifying_keys: tuple[str, ...]
    issuer: str
    audience: str
    keyring_file: str | None = None
    keyring_env: str | None = None
    max_item_bytes: int = 1024

    def __init__(
        self,
        *,
        verifying_keys: VerifyingKey | Iterable[VerifyingKey],
        issuer: str,
        audience: str,
        keyring_file: str | None = None,
        keyring_env: str | None = None,
        max_item_bytes: int = 1024,
    ) -> None:
        if (keyring_file is None) == (keyring_env is None):
            raise ValueError("name exactly one of keyring_file (a path) and keyring_env (a variable name)")
        keys = [verifying_keys] if isinstance(verifying_keys, VerifyingKey) else list(verifying_keys)
        if not keys or not all(isinstance(k, VerifyingKey) for k in keys):
            raise TypeError("verifying_keys must be a VerifyingKey or a list of them")
        object.__setattr__(self, "verifying_keys", tuple(k.to_jwk() for k in keys))
        object.__setattr__(self, "issuer", issuer)
        object.__setattr__(self, "audience", audience)
        object.__setattr__(self, "keyring_file", None if keyring_file is None else str(keyring_file))
        object.__setattr__(self, "keyring_env", keyring_env)
        object.__setattr__(self, "max_item_bytes", max_item_bytes)

    def engine(self) -> Engine:
        """This process's engine for the spec (made once, on first use)."""
        engine = _ENGINES.get(self)
        if engine is None:
            if self.keyring_file is not None:
                keyring = Keyring.from_file(self.keyring_file)
            else:
                assert self.keyring_env is not None
                keyring = Keyring.from_env(self.keyring_env)
            keys = [VerifyingKey.from_jwk(k) for k in self.verifying_keys]
            engine = Engine(
                keyring, keys, issuer=self.issuer, audience=self.audience, max_item_bytes=self.max_item_bytes
            )
            _ENGINES[self] = engine
        return engine


# One engine per executor Python process and spec (Spark reuses its Python workers).
_ENGINES: dict[EngineSpec, Engine] = {}


def pseudonymise_columns(
    df: DataFrame,
    columns: str | Iterable[str],
    token: str | IssuedToken,
    spec: EngineSpec,
    *,
    per_item: bool = False,
) -> DataFrame:
    """A new DataFrame with the string ``columns`` pseudonymised on the executors with ``token``
    (``psn`` or ``sec``); the other columns, the schema and the row order within each partition
    are kept. Lazy, like any Spark transformation."""
    return _transform(df, columns, token, spec, "pseudonymise", per_item)


def reverse_columns(
    df: DataFrame,
    columns: str | Iterable[str],
    token: str | IssuedToken,
    spec: EngineSpec,
    *,
    per_item: bool = False,
) -> DataFrame:
    """A new DataFrame with the string ``columns`` reversed on the executors with a ``rev``
    token; as :func:`pseudonymise_columns`."""
    return _transform(df, columns, token, spec, "reverse", per_item)


def _transform(
    df: DataFrame, columns: str | Iterable[str], token: str | IssuedToken, spec: EngineSpec, op: str, per_item: bool
) -> DataFrame:
    from pyspark.sql.types import StringType

    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise ValueError("columns is empty: name at least one column to transform")
    types = {f.name: f.dataType for f in df.schema.fields}
    for name in names:
        if name not in types:
            raise ValueError(f"the DataFrame has no column {name!r}; it has {', '.join(types)}")
        if not isinstance(types[name], StringType):
            raise TypeError(
                f"column {name!r} is {types[name].simpleString()}, not string: cast it first, without a "
                f'decimal point for ids, e.g. F.col("{name}").cast("bigint").cast("string")'
            )
    # A token is a bearer string that travels with the job and is checked on each executor.
    text = token.token if isinstance(token, IssuedToken) else token
    wanted = frozenset(names)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        engine = spec.engine()
        call = engine.pseudonymise if op == "pseudonymise" else engine.reverse
        for batch in batches:
            arrays: list[Any] = []
            for i, f in enumerate(batch.schema):
                column = batch.column(i)
                if f.name in wanted and len(column):
                    out = call(text, column, per_item=per_item)
                    column = out if out.type == f.type else out.cast(f.type)
                arrays.append(column)
            yield pa.RecordBatch.from_arrays(arrays, schema=batch.schema)

    return df.mapInArrow(run, df.schema)
