# Simile: `make demo` and `make test` do everything on a fresh Debian/Ubuntu machine.
APT_PACKAGES := ocl-icd-opencl-dev opencl-headers libopenblas-dev pocl-opencl-icd
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE := .build/release

.PHONY: deps build demo test bench clean

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

# Until the trainer exists: list the devices and check every op on every backend.
demo: build
	$(RELEASE)/simile devices
	$(RELEASE)/simile check

# The OpenCL tests fail (not skip) when no OpenCL device is found.
test: deps
	SIMILE_REQUIRE_OPENCL=1 swift test

# POCL_AFFINITY pins PoCL's worker threads to cores: unpinned runs were at times half as fast.
bench: build
	POCL_AFFINITY=1 $(RELEASE)/simile-bench --kernel all --device all

clean:
	rm -rf .build
