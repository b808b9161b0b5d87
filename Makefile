# usagi: `make` builds into build/; `make run` runs the demo; `make test` runs every test.
BUILD ?= build
SAN_BUILD ?= build-san
BENCH_BUILD ?= build-bench
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20

.PHONY: all build bootstrap run test test-main test-netns test-san bench clean

all: build

bootstrap:
	@scripts/bootstrap

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: bootstrap build
	$(BUILD)/usagi demo --out $(BUILD)/demo

# Unit and simulated-network tests, then the netns interop tests (serial, root),
# then the unit suite and a short run of every fuzz target under ASan + UBSan.
test: bootstrap build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|sim|netns'
	$(MAKE) test-san

test-san:
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DUSAGI_SANITIZE=ON -DUSAGI_FUZZ=ON -DUSAGI_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -L 'unit|fuzz'

bench: bootstrap
	@cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BENCH_BUILD) -j $(JOBS)
	@for b in $(BENCH_BUILD)/bench_*; do [ -x "$$b" ] && "$$b"; done

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(BENCH_BUILD)
