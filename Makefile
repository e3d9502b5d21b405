# Two commands on a fresh machine:  make train  (the main job)  and  make test.
PYTHON ?= python3
# WHEELS=folder installs from a wheelhouse made by `make wheelhouse` (no network needed).
# TORCH_INDEX=https://download.pytorch.org/whl/cpu takes PyTorch's CPU-only wheels (much smaller).
WHEELS ?=
TORCH_INDEX ?=
PIP_SOURCE := $(if $(WHEELS),--no-index --find-links $(abspath $(WHEELS)),)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv wheelhouse train test test-fast lab gui bench system-deps classroom classroom-deps clean

venv: $(STAMP)

# Reinstall only when the dependency list changes. With the default CUDA build of PyTorch the
# venv is about 5.8 GB and the download takes minutes: pip shows its progress.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ needed"' \
	  || { echo "error: need Python 3.10 or newer as $(PYTHON)"; exit 1; }
	@test -z "$(WHEELS)" -o -d "$(WHEELS)" || { echo "error: WHEELS=$(WHEELS) is not a folder (make one with: make wheelhouse)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing the Python packages (about 5.8 GB with the default PyTorch build; this takes a few minutes)"
	$(PY) -m pip install --disable-pip-version-check $(PIP_SOURCE) --upgrade pip
	$(if $(TORCH_INDEX),$(PY) -m pip install --index-url $(TORCH_INDEX) torch torchvision)
	$(PY) -m pip install --disable-pip-version-check $(PIP_SOURCE) -e '.[test]'
	@touch $(STAMP)

# Every wheel the project needs, once, into a folder a teacher can copy to a USB stick;
# then on each (same OS, same Python) laptop: make train WHEELS=/path/to/wheelhouse
wheelhouse:
	$(PYTHON) -m pip download --disable-pip-version-check --dest $(or $(WHEELS),wheelhouse) \
	  pip 'setuptools>=64' wheel '.[test]'
	@du -sh $(or $(WHEELS),wheelhouse)

train: venv
	$(PY) -m digitlib train

# Everything: library, CLI, GUI on a virtual display, notebook pad in Chromium, all notebooks and their solutions.
# Two workers (pytest-xdist), each with half the cores: the course's notebooks and solutions run
# in order in one of them, each test file whole in one (conftest.py): 7-8 min on 2 cores.
test: venv system-deps classroom-deps
	DIGITS_FAST=1 $(PY) -m pytest tests notebooks solutions --nbval-lax -p no:cacheprovider -n 2 --durations=25

# The library and CLI only: no display, no browser, no notebooks.
test-fast: venv
	$(PY) -m pytest tests -m "not gui and not browser" -p no:cacheprovider

system-deps:
	@scripts/system-deps.sh

# A class on this server: JupyterHub, one account per learner (sudo make classroom; docs/classroom.md).
classroom: venv
	@classroom/start.sh

# JupyterHub's proxy (npm) into .hub/, for make classroom and the classroom test
classroom-deps:
	@classroom/install-proxy.sh

lab: venv
	$(VENV)/bin/jupyter lab notebooks/

gui: venv
	$(PY) -m digitlib gui

bench: venv
	$(PY) bench/benchmark.py
	$(PY) bench/drawn_digits.py

clean:
	rm -rf $(VENV) data/MNIST/raw/*-ubyte checkpoints/*.last.pth artifacts .hub/node_modules
