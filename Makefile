# Two entry points for a fresh Debian 12 machine:
#   make run   installs what is missing, builds, starts a server with the embedded defaults and
#              submits a small demo
#   make test  installs what is missing, builds (warnings are errors), and runs every test,
#              including an AddressSanitizer/UBSan build of the unit tests
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
FUZZ_TARGETS := json yaml http trace
PYTHON ?= /usr/bin/python3
NINJA_JOBS ?= $(shell nproc)
# Unit test binaries the ASan/UBSan build leaves out (see `asan`).
ASAN_SKIP_TESTS ?= cli

.PHONY: all deps test-deps build test-build binaries ui run stop test unit asan integration fuzz format clean
.PHONY: bench-fuzz bench-ui bench-submit bench-sched bench-sim bench-tune bench-experiment
.PHONY: bench-http bench-durability bench-metrics
.PHONY: bench-notebooks
.PHONY: bench-slurm
.PHONY: conformance bench-workflow

all: build

deps:
	./scripts/install-deps.sh build

test-deps:
	./scripts/install-deps.sh test

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCORRAL_WERROR=ON -DCORRAL_BENCH=ON >/dev/null
	ninja -C $(BUILD) -j $(NINJA_JOBS)

# What the tests need: everything but the C++ benchmarks (`make build` adds them to the same tree).
# Line tables only (-g1): 22-34% less compile time than -g; backtraces still show file:line.
test-build: test-deps
	cmake -S . -B $(BUILD) -G Ninja -DCORRAL_WERROR=ON -DCORRAL_BENCH=OFF \
	  -DCORRAL_DEBUG_INFO=lines >/dev/null
	ninja -C $(BUILD) -j $(NINJA_JOBS)

binaries: deps
	cmake -S . -B $(BUILD) -G Ninja -DCORRAL_WERROR=ON -DCORRAL_BENCH=ON >/dev/null
	ninja -C $(BUILD) -j $(NINJA_JOBS) corral corral-shim

# The web UI (ui/ -> ui/dist): npm ci + vite build, each only when needed.
ui: deps
	./scripts/build-ui.sh

run: binaries ui
	./scripts/run-demo.sh $(BUILD)

stop:
	./scripts/run-demo.sh --stop

# The web UI (npm ci, mostly network, and vite build) is built beside the C++ build; make stops
# on a failure of either, after the other has finished.
test: test-deps
	$(MAKE) -j2 test-build ui
	./scripts/check-sched-purity.sh
	cd $(BUILD) && ctest --output-on-failure -j $(NINJA_JOBS) --timeout 300
	$(MAKE) asan
	$(MAKE) fuzz
	$(MAKE) integration

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(NINJA_JOBS)

# The unit tests under AddressSanitizer and UBSan, at -O0 (the GP sampler at -O1, see
# CMakeLists.txt): every module's test binary except those in ASAN_SKIP_TESTS, which run only in
# the normal build (and the integration tests).
# Kept: everything the server runs on input from the network or from disk: common, model, sched,
# sim (traces), store (SQLite rows), exec, gpu, jobs, workflow (the engine and its expressions),
# tune (numeric tables: UBSan found a null reference there), experiments, notebook, train,
# metrics, api (request bodies) and server (HTTP connections, async lifetimes). The server's test
# needs every library but the CLI's and the simulator's built with the sanitizers anyway, so each
# of the others adds only its own test sources (3-47 CPU-s; sim 34 with its library).
# Left out: cli (the client: argument parsing, tables, libcurl calls to its own server). It is
# the largest module under the sanitizers and nothing else needs it there: its library and test
# are ~290 of ~1,400 CPU-s of this build (about 2.5 min of a 2-core CI run).
asan:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCORRAL_WERROR=ON \
	  -DCORRAL_SANITIZE=ON -DCORRAL_BENCH=OFF '-DCORRAL_SKIP_TESTS=$(ASAN_SKIP_TESTS)' >/dev/null
	ninja -C $(ASAN_BUILD) -j $(NINJA_JOBS) $$(ninja -C $(ASAN_BUILD) -t targets all | grep -oE '^[a-z]+_test:' | tr -d ':')
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j $(NINJA_JOBS) --timeout 300

# Each parser's libFuzzer target runs FUZZ_SECONDS on its seed corpus, one target per core at a
# time; any crash fails the run and leaves its input in $(FUZZ_BUILD)/crashes/<target>/.
fuzz:
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCORRAL_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORRAL_DEBUG_INFO=lines >/dev/null
	ninja -C $(FUZZ_BUILD) -j $(NINJA_JOBS) $(addsuffix _fuzz,$(FUZZ_TARGETS))
	./scripts/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=600

integration:
	CORRAL_BUILD_DIR=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

bench-submit: build
	./scripts/install-deps.sh all
	./bench/submit/run.sh $(BUILD)

# Corral on the project's 2-node Slurm test cluster vs sbatch alone (root; tests/slurm/).
bench-slurm: binaries
	./scripts/install-deps.sh test
	$(PYTHON) bench/slurm/run.py --build $(BUILD) $(if $(JOBS),--jobs $(JOBS))

# Argo's examples ($(CORRAL_ARGO_CONFORMANCE), default ../shared/conformance/argo) on a real
# server; WRITE_PASS=1 rewrites the list of files the integration test requires to pass.
conformance: binaries
	$(PYTHON) tests/conformance/run_argo.py --corral $(BUILD)/corral \
	  --expect-pass tests/conformance/expected_pass.txt \
	  --timeout $(or $(CONFORMANCE_TIMEOUT),45) \
	  $(if $(WRITE_PASS),--write-pass tests/conformance/expected_pass.txt)

bench-workflow: binaries
	$(PYTHON) bench/workflow/run.py --corral $(BUILD)/corral $(if $(QUICK),--quick)

bench-durability: binaries
	CORRAL_BUILD_DIR=$(abspath $(BUILD)) $(PYTHON) bench/durability/kill_loop.py

bench-metrics: binaries
	CORRAL_BUILD_DIR=$(abspath $(BUILD)) $(PYTHON) bench/metrics/scrape_bench.py

# Notebooks with real Jupyter: start -> usable (20 starts), with preemption, 100 open at once.
bench-notebooks: binaries
	./scripts/install-deps.sh test
	CORRAL_BUILD_DIR=$(abspath $(BUILD)) $(PYTHON) bench/notebooks/bench_notebooks.py $(NB_ARGS)

bench-http: build
	./bench/http/run.sh $(BUILD) $(if $(DURATION),--duration $(DURATION))

bench-sched: build
	$(BUILD)/bench/sched/bench_sched

# Scheduler sweep: Philly windows and synthetic traces x cluster sizes x seeds (bench/sim/).
# SIM_ARGS passes options to bench/sim/sweep.py, e.g. SIM_ARGS="--window-days 3".
bench-sim: binaries
	./bench/sim/run.sh $(BUILD) $(SIM_ARGS)
	@echo; echo "== the same cells with half of the jobs checkpointing (they may borrow held GPUs)"
	./bench/sim/run.sh $(BUILD) --out $(BUILD)/bench-sim-checkpointing \
	  --corral-flags "--checkpointable-share 0.5" $(SIM_ARGS)

bench-tune: build
	./scripts/install-deps.sh all
	./bench/tune/run.sh $(BUILD)

# Every UI view's load time in Chromium with 100,000 jobs in history and 1,000 simulated nodes.
bench-ui: binaries ui
	./scripts/install-deps.sh test
	CORRAL_BUILD_DIR=$(abspath $(BUILD)) $(PYTHON) bench/ui/run.py

bench-experiment: binaries
	./bench/experiments/run.sh $(BUILD)

format:
	find src tests bench -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
