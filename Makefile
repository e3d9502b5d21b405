# Two commands on a fresh machine:  make train  (the main job)  and  make test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv train test test-fast lab gui bench system-deps clean

venv: $(STAMP)

# Reinstall only when the dependency list changes; torch/torchvision come from pip's usual index.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ needed"' \
	  || { echo "error: need Python 3.10 or newer as $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

train: venv
	$(PY) -m digitlib train

# Everything: library, CLI, GUI on a virtual display, notebook pad in Chromium, all notebooks.
test: venv system-deps
	DIGITS_FAST=1 $(PY) -m pytest tests notebooks --nbval-lax -p no:cacheprovider

# The library and CLI only: no display, no browser, no notebooks.
test-fast: venv
	$(PY) -m pytest tests -m "not gui and not browser" -p no:cacheprovider

system-deps:
	@scripts/system-deps.sh

lab: venv
	$(VENV)/bin/jupyter lab notebooks/

gui: venv
	$(PY) gui/draw_gui.py

bench: venv
	$(PY) bench/benchmark.py
	$(PY) bench/drawn_digits.py

clean:
	rm -rf $(VENV) data/MNIST/raw/*-ubyte checkpoints/*.last.pth artifacts
