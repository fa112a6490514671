"""pseudo.spark on a real local Spark (local[2], PySpark from PyPI, Java from .ci/setup):
executors read the keyring themselves, and the result matches the in-process engine."""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import pseudo
from conftest import AUDIENCE, ISSUER, Issue

# PySpark 4 warns whenever pandas >= 3 is installed, even for Arrow-only work like mapInArrow.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

ROWS = 200_000
KEYRING_ENV = f"PSEUDO_TEST_KEYRING_{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture(scope="module")
def spark(keyring: pseudo.Keyring) -> Iterator[object]:
    assert shutil.which("java"), "the Spark test needs Java: run .ci/setup (Debian's default-jre-headless)"
    from pyspark.sql import SparkSession

    # Executors inherit this process's environment in local mode; on a cluster, set
    # spark.executorEnv.<NAME> (or the machine's environment) instead.
    os.environ[KEYRING_ENV] = keyring.to_bytes().hex()
    # The executors' Python is this one (with pseudo installed), not whatever python3 is on PATH.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("pseudo-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    del os.environ[KEYRING_ENV]


def test_round_trip_on_spark(
    spark: object,
    keyring: pseudo.Keyring,
    signing: pseudo.SigningKey,
    engine: pseudo.Engine,
    psn: Issue,
    rev: Issue,
    tmp_path: Path,
) -> None:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from pseudo.spark import EngineSpec, pseudonymise_columns, reverse_columns

    assert isinstance(spark, SparkSession)
    keyring_file = tmp_path / "keyring"
    keyring_file.write_bytes(keyring.to_bytes())
    by_file = EngineSpec(
        keyring_file=str(keyring_file), verifying_keys=signing.verifying_key, issuer=ISSUER, audience=AUDIENCE
    )
    by_env = EngineSpec(keyring_env=KEYRING_ENV, verifying_keys=[signing.verifying_key], issuer=ISSUER, audience=AUDIENCE)
    # What travels with the job holds no key material.
    secret = keyring.to_bytes()
    for spec in (by_file, by_env):
        shipped = pickle.dumps(spec)
        assert secret not in shipped and secret.hex().encode() not in shipped

    df = spark.range(ROWS, numPartitions=2).select(
        F.col("id"),
        F.when(F.col("id") % 97 == 0, F.lit(None)).otherwise(F.format_string("PID-%08d", F.col("id"))).alias("pid"),
        F.format_string("site-%d", F.col("id") % 5).alias("site"),
    )
    pids = [None if i % 97 == 0 else f"PID-{i:08d}" for i in range(ROWS)]
    token = psn()
    # Cached: the reverse below reads these pseudonyms, not a second run of the pseudonymisation.
    out = pseudonymise_columns(df, ["pid"], token, by_file).cache()
    assert out.schema == df.schema
    # toArrow, not toPandas, and sorted here rather than by a Spark shuffle.
    got = out.toArrow().sort_by("id")
    assert got.column("id").to_pylist() == list(range(ROWS))
    assert got.column("pid").to_pylist() == engine.pseudonymise(token, pids)
    assert got.column("site").to_pylist() == [f"site-{i % 5}" for i in range(ROWS)]

    back = reverse_columns(out, "pid", rev().token, by_env).toArrow().sort_by("id")
    assert back.column("pid").to_pylist() == pids
    out.unpersist()


def test_spark_refusals(spark: object, signing: pseudo.SigningKey, psn: Issue) -> None:
    from pyspark.sql import SparkSession

    from pseudo.spark import EngineSpec, pseudonymise_columns

    assert isinstance(spark, SparkSession)
    spec = EngineSpec(keyring_env=KEYRING_ENV, verifying_keys=signing.verifying_key, issuer=ISSUER, audience=AUDIENCE)
    df = spark.range(3)
    with pytest.raises(TypeError, match=r'column \'id\' is bigint, not string.*cast\("bigint"\)\.cast\("string"\)'):
        pseudonymise_columns(df, ["id"], psn(), spec)
    with pytest.raises(ValueError, match="no column 'pid'"):
        pseudonymise_columns(df, ["pid"], psn(), spec)
    with pytest.raises(ValueError, match="exactly one of keyring_file"):
        EngineSpec(verifying_keys=signing.verifying_key, issuer=ISSUER, audience=AUDIENCE)
