# The service and the command line (pseudo-server, pseudo-cli): included by the root Makefile.
.PHONY: test-server demo-server bench-server

# Unit, in-process router and REST API tests, and the real `pseudo` binary on 127.0.0.1 driven
# with curl (every test starts and stops its own server).
test-server:
	$(CARGO) test -p pseudo-server -p pseudo-cli

# The one-machine path: init, serve in the background, a project, tokens, the README's curl calls, shutdown.
demo-server:
	$(CARGO) build -q --release -p pseudo-cli
	bash pseudo-server/demo.sh target/release/pseudo

# Load bench: a bounded keep-alive client against the router on 127.0.0.1 (see benches/README.md).
bench-server:
	$(CARGO) bench -p pseudo-server --bench load
