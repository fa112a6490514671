# The registry on PostgreSQL (pseudo-core feature `postgres`): included by the root Makefile.
# Every target starts its own PostgreSQL (Debian's package, installed by .ci/setup) in a
# temporary folder on 127.0.0.1 and stops it afterwards.
.PHONY: test-postgres test-postgres-nodes pg-cost

# The registry's store suite on PostgreSQL (besides memory and SQLite), TLS to it included. The two-node tests
# (pseudo-cli/tests/postgres*.rs: revocation across nodes, concurrent writers, SIGKILL, a database
# restart under load) are pseudo-cli tests, so test-server runs them; test-postgres-nodes runs
# only them.
test-postgres:
	$(CARGO) test -p pseudo-core --features postgres-tls --test registry

test-postgres-nodes:
	$(CARGO) test -p pseudo-cli --test postgres --test postgres_outage

# Per-call cost with the PostgreSQL registry (1 value, 1 000 values) against memory and SQLite,
# and the revocation bound across two nodes (benches/README.md).
pg-cost:
	$(CARGO) run -q --release -p pseudo-core --features postgres --example pg_cost
