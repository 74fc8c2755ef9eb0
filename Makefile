# The interface for people and CI alike. `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
COACH := $(BIN)/coach
PY := $(BIN)/python
export PYTHONDONTWRITEBYTECODE := 1
# Keep TensorFlow quiet and inside two cores.
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help install lint test test-unit test-safety check-content build-content validate train \
        test-stories test-e2e chat up worker clean bench-nlu bench-content bench-escalation bench-detector \
        bench-schedule bench-trip bench-risk bench-console layout train-risk

help:
	@echo "make install      create $(VENV) (Python 3.10) with the pinned dependencies"
	@echo "make test         everything CI runs: lint, content, unit, contract, safety, Rasa data + stories, e2e"
	@echo "make lint         ruff, and import-linter's layer contracts (pyproject.toml)"
	@echo "make chat         talk to the coach in this terminal (SQLite, no credentials)"
	@echo "make up           start Rasa + action server + worker for other clients (Ctrl-C stops all)"
	@echo "make worker       run only the worker (alerts, reminders)"
	@echo "make train        train the risk model and the Rasa model where their inputs changed"
	@echo "make bench-*      benchmarks: risk, nlu, content, escalation, detector, schedule, trip, console"
	@echo "make layout       imports between packages, the largest modules and functions"

$(BIN)/activate:
	@PY310=$$(scripts/find-python310.sh) || exit 1; \
	echo "Using $$PY310"; \
	$$PY310 -m venv $(VENV)

install: $(BIN)/activate
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	$(COACH) db upgrade
	@echo "Installed. Next: make test, then make chat."

# Style and the layers: imports only point down (coach/__init__.py draws them).
lint:
	$(BIN)/ruff check coach escalation bot tests scripts
	$(BIN)/lint-imports

check-content:
	$(COACH) content check

build-content:
	$(COACH) content build

# Fast tests: pure logic, actions with inline trackers, contracts (incl. generated files fresh).
test-unit:
	$(PY) -m pytest -q -m "not e2e and not slow and not safety" tests/unit tests/contract

# Risk detection and escalation: their own group (detector, alert pipeline, kill -9), must pass at 100%.
# The safety story group runs in test-stories, the end-to-end escalation test in test-e2e.
test-safety:
	$(PY) -m pytest -q -m safety tests

validate:
	cd bot && ../$(BIN)/rasa data validate --fail-on-warnings --domain domain --data data

train:
	$(COACH) train

# The risk model alone (content/safety/model/): a minute or two; the unit and safety tests use it.
train-risk:
	$(COACH) train --risk

test-stories: train
	$(COACH) test stories --safety
	$(COACH) test stories

test-e2e: train
	$(PY) -m pytest -q -m "(e2e or slow) and not safety" tests

test: lint check-content train-risk test-unit test-safety validate train test-stories test-e2e
	@echo "All tests passed."

chat:
	$(COACH) chat

up:
	$(COACH) up

worker:
	$(COACH) worker

bench-nlu: train
	$(PY) scripts/bench_nlu.py

bench-console:
	$(PY) scripts/bench_console.py

bench-content:
	$(PY) scripts/bench_content_edit.py

clean:
	rm -rf .coach models results .pytest_cache

bench-escalation: train
	$(PY) scripts/bench_escalation.py

bench-detector:
	$(PY) scripts/bench_detector.py

bench-schedule: train
	$(PY) scripts/bench_schedule.py

bench-risk: train-risk
	$(PY) scripts/bench_risk.py

bench-trip: train
	$(PY) scripts/bench_trip.py

layout:
	$(PY) scripts/layout_report.py
