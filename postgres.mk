# The registry on PostgreSQL (pseudo-core feature `postgres`): included by the root Makefile.
# Every target starts its own PostgreSQL (Debian's package, installed by .ci/setup) in a
# temporary folder on 127.0.0.1 and stops it afterwards.
.PHONY: test-postgres pg-cost

# The registry's store suite on PostgreSQL (besides memory and SQLite), then two `pseudo serve`
# nodes on one database: revocation across nodes, concurrent writers, SIGKILL, a database restart.
test-postgres:
	$(CARGO) test -p pseudo-core --features postgres --test registry
	$(CARGO) test -p pseudo-cli --test postgres --test postgres_outage

# Per-call cost with the PostgreSQL registry (1 value, 1 000 values) against memory and SQLite,
# and the revocation bound across two nodes (benches/README.md).
pg-cost:
	$(CARGO) run -q --release -p pseudo-core --features postgres --example pg_cost
