# vpcd: the two commands of the quick start, and the pieces they are made of.
#   make run    install missing Debian packages, build, start vpcd in the foreground
#   make test   the same install and build, then the whole test suite
#   make test-sanitize   the suite against an ASan/UBSan build
BUILD ?= build
VPCD_ARGS ?=
PYTEST_ARGS ?=

.PHONY: all deps build run test test-sanitize gen bench bench-dp bench-gw clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(if $(CI),--werror,)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	$(BUILD)/vpcd $(VPCD_ARGS)

test: build
	scripts/deps.sh --test
	/usr/bin/python3 -m pytest $(PYTEST_ARGS)

# The same suite against an ASan/UBSan build; any sanitizer report fails it.
test-sanitize: deps
	scripts/deps.sh --test
	[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan
	VPCD_BUILD=build-asan /usr/bin/python3 -m pytest $(PYTEST_ARGS)

gen:
	/usr/bin/python3 spec/gen_ec2.py --out src/api

bench: build
	bench/run.sh

# The data plane benchmarks (root): throughput, connection rate, launch
# time and rule-change latency against a bare veth pair.
bench-dp: build
	bench/dp_run.sh

# The gateway benchmark (root): a NAT gateway's throughput and connection
# rate against the same path through the internet gateway alone.
bench-gw: build
	ninja -C $(BUILD) bench/connrate
	/usr/bin/python3 bench/gw_bench.py

clean:
	rm -rf $(BUILD) build-asan
