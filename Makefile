# The two commands of the README: `make demo` (set up + run the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED_DATA ?= ../shared/data

.PHONY: install demo test lint format bench-load clean

$(BIN)/netad: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and exactly 2.13.0 (the CPU build); a looser spec pulls a multi-GB CUDA build
	$(BIN)/pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/python -c "import torch, sys; v = torch.__version__; sys.exit(0 if v.startswith('2.13.0') else 'torch ' + v + ' != 2.13.0')"
	touch $@

install: $(BIN)/netad

demo: install
	$(BIN)/netad bench --dataset nsl-kdd-sample --detectors iforest,ocsvm,lof,elliptic,pca --seeds 0,1,2 --out runs/demo --overwrite

test: install
	$(BIN)/ruff check netad tests benchmarks
	$(BIN)/ruff format --check netad tests benchmarks
	NETAD_DATA=$${NETAD_DATA:-$(SHARED_DATA)} $(BIN)/python -m pytest

lint:
	$(BIN)/ruff check --fix netad tests benchmarks
	$(BIN)/ruff format netad tests benchmarks

bench-load: install
	$(BIN)/python benchmarks/load_cicids2017.py

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
