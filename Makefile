# complycli: the two commands of the README's Quick start, and the other developer targets.
#   make demo   install what is missing, build the binary alone, run the main job on examples/northwind-legal
#   make test   install what is missing, build, run every test (ctest)
#   make asan   the tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make tsan   the threaded encryption pipeline's tests under ThreadSanitizer
#   make fuzz   build the libFuzzer targets (clang); FUZZ_SECONDS=600 also runs each that long
#   make fuzz-smoke  build them and run each for FUZZ_SMOKE_SECONDS (CI)
#   make install PREFIX=/usr/local   the binary, man pages, checks, templates and shell completions
#   make bench  the benchmarks under bench/ (installs hyperfine and age)
#   make screenshot  the trust page and the HTML check report in headless Chromium -> docs/*.png (installs chromium)
#   make package  build/package/complycli_VERSION_amd64.deb (CPack; docs/packaging.md)
#   make package-test  install that .deb with dpkg -i into a fresh Debian 12 root and use it (root)

BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_CXX ?= clang++-16
FUZZ_SECONDS ?=
FUZZ_SMOKE_SECONDS ?= 10
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build demo package package-test test asan tsan fuzz fuzz-build fuzz-smoke install bench screenshot clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOMPLYCLI_WARNINGS_AS_ERRORS=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The demo needs the binary only: not the unit tests, benchmarks or completions.
demo: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target complycli
	@scripts/demo $(BUILD)/cli/complycli

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCOMPLYCLI_WARNINGS_AS_ERRORS=ON \
	  -DENABLE_SANITIZER_ADDRESS=ON -DENABLE_SANITIZER_UNDEFINED_BEHAVIOR=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# The unit tests of the streaming pipeline (reader, workers, hasher, writer threads) and of the code
# that drives it (the tamper loops are left out: small files take the single-threaded path).
# setarch -R: ThreadSanitizer's fixed memory layout needs address randomisation off.
tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOMPLYCLI_WARNINGS_AS_ERRORS=ON \
	  -DENABLE_SANITIZER_THREAD=ON -DCOMPLYCLI_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target unittest
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 setarch $$(uname -m) -R \
	  $(TSAN_BUILD)/tests/unittest --test-case='crypto*,matter*' --test-case-exclude='crypto tamper loops'

# The fuzz targets of tests/fuzz (docs/fuzzing.md), seeded from the test fixtures. -O1 and line tables
# only (no NDEBUG: assertions stay on) keep the clang build short for CI.
fuzz-build:
	@scripts/install-deps --fuzz
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DCOMPLYCLI_FUZZ=ON -DCOMPLYCLI_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) --target fuzz_targets -j $(JOBS)
	python3 tests/fuzz/make_corpus.py . $(FUZZ_BUILD)/corpus

fuzz: fuzz-build
ifneq ($(FUZZ_SECONDS),)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)
endif

fuzz-smoke: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	@scripts/install-deps --bench
	@bench/run $(BUILD)/cli/complycli

screenshot: build
	@scripts/install-deps --chromium
	tests/documents/html_render.sh $(BUILD)/cli/complycli . docs/trust-page.png
	tests/documents/check_report_render.sh $(BUILD)/cli/complycli . docs/check-report.png

package: build
	@scripts/install-deps --package
	@packaging/package.sh $(BUILD)

package-test: package
	tests/package/fresh_root_install.sh $$(ls -t $(BUILD)/package/complycli_*_amd64.deb | head -1) .

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
