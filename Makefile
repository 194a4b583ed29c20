# The two commands of the README: `make demo` (set up + run the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED_DATA ?= ../shared/data

.PHONY: install browser demo test lint format bench-load clean

$(BIN)/netad: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and exactly 2.13.0 (the CPU build); a looser spec pulls a multi-GB CUDA build
	$(BIN)/pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	# DeepOD (peer detectors) pins torch<1.13.1: install it without its pins; its runtime deps come with [dev]/[peers]
	$(BIN)/pip install --quiet --no-deps deepod==0.4.1
	$(BIN)/python -c "from deepod.models.tabular import DevNet, DeepSVDD"
	$(BIN)/python -c "import torch, sys; v = torch.__version__; sys.exit(0 if v.startswith('2.13.0') else 'torch ' + v + ' != 2.13.0')"
	touch $@

install: $(BIN)/netad

# Headless Chromium (Debian's package) for the dashboard and report browser tests: Playwright drives it and
# downloads no browser. Installed only when missing and only as root; without it those tests skip and say why.
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium (apt-get) for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "warning: could not install chromium: the browser tests will skip" >&2; \
	else echo "warning: chromium is missing and this is not root: the browser tests will skip" >&2; fi

demo: install
	$(BIN)/netad bench --dataset nsl-kdd-sample --detectors iforest,ocsvm,lof,elliptic,pca --seeds 0,1,2 --out runs/demo --overwrite

test: install browser
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
