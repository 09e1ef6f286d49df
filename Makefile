# One-command set-up: `make app` or `make test` create .venv if missing and install the kit into it.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 7860
PYTEST_ARGS ?=
# `make test` runs on two pytest-xdist workers (the CI machine's two cores; --dist loadfile in pyproject.toml
# keeps each file, and so each notebook's cells, in one worker), each with one torch/BLAS thread so that two
# workers do not fight over two cores. PYTEST_WORKERS=0 runs in one process with the default threads.
PYTEST_WORKERS ?= 2
THREADS = $(if $(filter 0,$(PYTEST_WORKERS)),,OMP_NUM_THREADS=1)

.PHONY: install app test lab info clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

# reinstall only when the dependencies change
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[dev,lab]"
	touch $(STAMP)

install: $(STAMP)

app: install
	GRADIO_ANALYTICS_ENABLED=False $(BIN)/python -m app.main --host $(HOST) --port $(PORT)

test: install
	GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 $(THREADS) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lab: install
	$(BIN)/jupyter lab notebooks/

info: install
	$(BIN)/regen-lite info

clean:
	rm -rf $(VENV) .pytest_cache data_samples/weights/.state
