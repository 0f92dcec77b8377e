# Simile: `make demo` and `make test` do everything on a fresh Debian/Ubuntu machine.
APT_PACKAGES := ocl-icd-opencl-dev opencl-headers libopenblas-dev pocl-opencl-icd zlib1g-dev libspng-dev \
	libturbojpeg0-dev libopenmpi-dev openmpi-bin dataset-fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE := .build/release

.PHONY: deps build demo test fuzz bench clean

# Installs whichever of APT_PACKAGES is missing; a no-op when all are present.
deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi

build: deps
	swift build -c release

# The main job: SimCLR on the embedded digits with the defaults, into runs/demo (replaced each time).
demo: build
	$(RELEASE)/simile devices
	rm -rf runs/demo
	$(RELEASE)/simile train --out runs/demo

# The OpenCL tests fail (not skip) when no OpenCL device is found, and the Fashion-MNIST test when
# dataset-fashion-mnist is not installed.
# The tests run an optimised build (with testable imports, in a build folder of its own so that `make build`'s
# stays as it is): the training runs they make took 20 minutes debug-built and 2 optimised on 2 cores. (The
# data-parallel replica check every 50 steps is DEBUG-only and so not in it; the check at each run's end is.)
test: deps
	SIMILE_REQUIRE_OPENCL=1 SIMILE_REQUIRE_DATASETS=1 swift test -c release -Xswiftc -enable-testing \
		--scratch-path .build-test

# Each fuzz target is its libFuzzer entry point compiled with the library files it exercises as one module,
# so no sanitizer build of the whole package is needed. `make fuzz` runs each for FUZZ_SECONDS on a fresh
# copy of its committed corpus (so runs do not grow it), with memory limits that turn an unbounded
# allocation into a finding; a finding fails the run and is saved as $(FUZZ_BUILD)/TARGET-crash-*.
FUZZ_SECONDS ?= 30
FUZZ_BUILD := .build/fuzz
FUZZ_TARGETS := npy safetensors idx cifar stl10 image tuning
FUZZ_COMMON := Sources/Simile/SimileError.swift Sources/Simile/OpenCL/CLError.swift Sources/Simile/Tensor/CheckedSize.swift \
	Sources/Simile/Backend/MemoryLimit.swift Sources/Simile/Backend/FormatBytes.swift
FUZZ_SOURCES_npy := Fuzz/NPYFuzz/NPYFuzz.swift $(FUZZ_COMMON) Sources/Simile/Tensor/RowMajorIndex.swift \
	$(addprefix Sources/Simile/IO/,NPY.swift NPYDecoder.swift NPYHeaderParser.swift ByteSource.swift SystemError.swift)
FUZZ_SOURCES_safetensors := Fuzz/SafetensorsFuzz/SafetensorsFuzz.swift $(FUZZ_COMMON) \
	$(addprefix Sources/Simile/IO/,Safetensors.swift SafetensorsDecoder.swift SafetensorsHeader.swift JSONParser.swift \
	JSONValue.swift ByteSource.swift SystemError.swift)
FUZZ_SOURCES_dataset := Fuzz/DatasetFuzzSupport/DatasetFuzzSupport.swift Sources/Simile/SimileError.swift \
	Sources/Simile/OpenCL/CLError.swift Sources/Simile/IO/SystemError.swift \
	$(addprefix Sources/Simile/Data/,Dataset.swift ReadOnlyBytes.swift RecordChecks.swift Locate.swift ImageFiles.swift \
	RGBImage.swift PNGDecoder.swift JPEGDecoder.swift CenterSquare.swift)
FUZZ_SOURCES_idx := Fuzz/IDXFuzz/IDXFuzz.swift $(FUZZ_SOURCES_dataset) Sources/Simile/Tensor/CheckedSize.swift \
	Sources/Simile/IO/ByteSource.swift $(addprefix Sources/Simile/Backend/,MemoryLimit.swift FormatBytes.swift) \
	$(addprefix Sources/Simile/Data/,IDX.swift GzipByteSource.swift MNIST.swift)
FUZZ_SOURCES_cifar := Fuzz/CIFARFuzz/CIFARFuzz.swift $(FUZZ_SOURCES_dataset) Sources/Simile/Data/CIFAR.swift
FUZZ_SOURCES_stl10 := Fuzz/STL10Fuzz/STL10Fuzz.swift $(FUZZ_SOURCES_dataset) Sources/Simile/Data/STL10.swift
FUZZ_SOURCES_tuning := Fuzz/TuningFuzz/TuningFuzz.swift $(addprefix Sources/Simile/Ops/Gemm/,GemmKernel.swift \
	GemmParameters.swift GemmSearchSpace.swift GemmTuning.swift GemmTuningRecord.swift)
FUZZ_SOURCES_image := Fuzz/ImageFuzz/ImageFuzz.swift Sources/Simile/SimileError.swift Sources/Simile/OpenCL/CLError.swift \
	$(addprefix Sources/Simile/Data/,RGBImage.swift PNGDecoder.swift JPEGDecoder.swift CenterSquare.swift)

fuzz: deps $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%-fuzz)
	@for target in $(FUZZ_TARGETS); do \
		corpus=$$(mktemp -d); \
		cp Fuzz/corpus/$$target/* $$corpus/; \
		$(FUZZ_BUILD)/$$target-fuzz -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -malloc_limit_mb=512 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/$$target- $$corpus; \
		status=$$?; \
		rm -rf $$corpus; \
		[ $$status = 0 ] || exit $$status; \
	done

.SECONDEXPANSION:
$(FUZZ_BUILD)/%-fuzz: $$(FUZZ_SOURCES_$$*)
	mkdir -p $(FUZZ_BUILD)
	swiftc -sanitize=fuzzer,address -use-ld=lld -parse-as-library -module-name Simile -I Sources/COpenCL -I Sources/CZlib \
		-I Sources/CSPNG -I Sources/CTurboJPEG -o $@ $^

# POCL_AFFINITY pins PoCL's worker threads to cores: unpinned runs were at times half as fast.
bench: build
	POCL_AFFINITY=1 $(RELEASE)/simile-bench --kernel all --device all

clean:
	rm -rf .build .build-test
