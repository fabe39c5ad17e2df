# `make test` is the one command that runs every check CI runs.
CARGO ?= cargo

.PHONY: test build fmt-check run

build:
	$(CARGO) build --release --locked

# Snapshots are never written by a test run: a stale snapshot fails (review changes with
# `INSTA_UPDATE=always cargo test` and `git diff`).
test:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	INSTA_UPDATE=no $(CARGO) test --locked --all-targets
	INSTA_UPDATE=no $(CARGO) test --locked --doc
	$(CARGO) run --quiet --locked --example check_plan -- plans/dten-4.2/plan.yaml > /dev/null

# The main job on the example plan: check it and print the lowered plan.
run:
	$(CARGO) run --quiet --locked -- build plans/dten-4.2/plan.yaml --emit json
