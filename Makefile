# vpcd: the two commands of the quick start, and the pieces they are made of.
#   make run    install missing Debian packages, build, start vpcd in the foreground
#   make test   the same install and build, then the whole test suite
BUILD ?= build
VPCD_ARGS ?=
PYTEST_ARGS ?=

.PHONY: all deps build run test unit gen bench clean

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

gen:
	/usr/bin/python3 spec/gen_ec2.py --out src/api

bench: build
	bench/run.sh

clean:
	rm -rf $(BUILD)
