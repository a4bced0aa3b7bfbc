# Two entry points do all the set-up themselves: `make crawl` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUTPUT_DIR ?= output
URLS ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: crawl test lint install bench-extract bench-crawl bench-dedupe bench-distributed bench-determinism bench-hostile bench-requisites bench-crash bench-pool clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## make crawl [URLS=https://site.example/[,URL...]] [OUTPUT_DIR=output]
crawl: $(STAMP)
ifeq ($(strip $(URLS)),)
	$(BIN)/python scripts/demo_crawl.py --output-dir $(OUTPUT_DIR)
else
	$(BIN)/scrapy crawl news -a urls=$(URLS) -s OUTPUT_DIR=$(OUTPUT_DIR)
endif

## make lint: ruff with the rules in pyproject.toml (bug-finding rules, not style); CI runs it before the tests
lint: $(STAMP)
	$(BIN)/python -m ruff check .

## make test: the whole suite (starts its own HTTP servers and redis-server)
test: $(STAMP)
	$(BIN)/python -m pytest -q -rs $(PYTEST_ARGS) tests

## make bench-extract [BENCH_ARGS="--repeat 3"]: issue 14 figures (WCXB halves, ScrapingHub, fundus, speed) via scrapy reextract (reads shared/corpus beside the repo)
bench-extract: $(STAMP)
	$(BIN)/python -m bench.extract_bench $(BENCH_ARGS)

## make bench-pool [BENCH_ARGS="--limit 100 --rounds 3"]: the extraction pool against pebble's, and scrapy reextract's pages/s against bare trafilatura, alternating rounds (bench/pool_bench.py)
bench-pool: $(STAMP)
	$(BIN)/python -m bench.pool_bench $(BENCH_ARGS)

## make bench-crawl [BENCH_ARGS="--articles 5000 --repeat 3"]: crawl throughput vs a naive spider (bench/crawl_bench.py)
bench-crawl: $(STAMP)
	$(BIN)/python -m bench.crawl_bench $(BENCH_ARGS)

## make bench-crash [BENCH_ARGS="--articles 300 --kills 24"]: random interruptions of a crawl, restarted each time; the end result checked (bench/crash_bench.py)
bench-crash: $(STAMP)
	$(BIN)/python -m bench.crash_bench $(BENCH_ARGS)

## make bench-dedupe [BENCH_ARGS="--backend both"]: dedupe insert+query time and memory over 100,000 synthetic articles (starts its own redis-server)
bench-dedupe: $(STAMP)
	$(BIN)/python bench/dedupe_bench.py $(BENCH_ARGS)

## make bench-distributed [BENCH_ARGS="--articles 300 --processes 1,2,3"]: 1-3 crawl processes on one Redis frontier: wall time, pages/s, Redis commands per page (starts its own redis-server)
bench-distributed: $(STAMP)
	$(BIN)/python -m bench.distributed_bench $(BENCH_ARGS)

## make bench-determinism [BENCH_ARGS="--articles 300 --kills 12"]: issue 19 figures: live at 1 vs 16 requests at once, replay, reextract, kill -9 restarts (bench/determinism_bench.py)
bench-determinism: $(STAMP)
	$(BIN)/python bench/determinism_bench.py $(BENCH_ARGS)

## make bench-hostile [BENCH_ARGS="--before ../old-checkout --bomb-mib 1024"]: peak RSS and outcome of every hostile archive/server input (bench/hostile_bench.py)
bench-hostile: $(STAMP)
	$(BIN)/python -m bench.hostile_bench $(BENCH_ARGS)

## make bench-requisites: page requisites found on the corpus's third-party news pages vs what headless chromium requests (bench/requisites_bench.py)
bench-requisites: $(STAMP)
	$(BIN)/python -m bench.requisites_bench $(BENCH_ARGS)

clean:
	rm -rf $(OUTPUT_DIR) .pytest_cache
