# Two commands do all the set-up on a fresh machine:
#   make run    create .venv, install the toolkit with the marian engine, run the main job
#   make test   create .venv, install the toolkit with every engine, Ray and the test tools, run the tests;
#               it also tries the llama.cpp extra, which builds llama.cpp from source (cmake and a C++
#               compiler, about 5 minutes the first time): when that build fails, only its tests are skipped
#
# torch is installed first, pinned, so that no other package pulls a multi-GB CUDA build.
# Where the CPU build is not the default (e.g. on a Linux machine with plain PyPI), point
# TORCH_INDEX at a CPU wheel index: make test TORCH_INDEX=https://download.pytorch.org/whl/cpu

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run test check engines bench clean

run: $(VENV)/.mt-installed
	$(PY) translate.py

test: $(VENV)/.test-installed
	$(PY) -m pytest -q

check: $(VENV)/.core-installed
	$(PY) translate.py --check

# Every engine (marian, ct2, llm) into the same .venv.
engines: $(VENV)/.torch-installed
	$(PIP_INSTALL) -e ".[mt,ct2,llm]"

bench: $(VENV)/.test-installed
	$(PY) bench/run.py

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core-installed: pyproject.toml | $(PY)
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.torch-installed: | $(PY)
	$(PIP_INSTALL) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH_SPEC)"
	touch $@

$(VENV)/.mt-installed: pyproject.toml $(VENV)/.torch-installed
	$(PIP_INSTALL) -e ".[mt]"
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.torch-installed
	$(PIP_INSTALL) -e ".[mt,ct2,llm,terms,ray,test]"
	$(PIP_INSTALL) -e ".[llamacpp]" || echo "warning: llama-cpp-python did not build; the llama.cpp runtime's tests will be skipped"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .l10n-cache
