# barge: make install | demo | test | bench
SHELL := /bin/bash
VENV := .venv
BARGE := $(VENV)/bin/barge
BARGED := $(VENV)/bin/barged

.PHONY: install demo test unit integration e2e bench daemon stop-daemon

install:
	@scripts/install.sh

daemon: install
	@scripts/daemon.sh start

stop-daemon:
	@scripts/daemon.sh stop

demo: daemon
	@scripts/make-busybox.sh $(BARGE)
	@scripts/demo.sh $(BARGE)

test: install
	$(VENV)/bin/python -m pytest -q tests/unit tests/integration tests/e2e

unit: install
	$(VENV)/bin/python -m pytest -q tests/unit

integration: install
	$(VENV)/bin/python -m pytest -q tests/integration

e2e: install
	$(VENV)/bin/python -m pytest -q tests/e2e

bench: daemon
	@scripts/make-busybox.sh $(BARGE)
	$(VENV)/bin/python bench/run.py
