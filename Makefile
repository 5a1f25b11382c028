# The project's commands. `make test` is what CI runs.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all build bench bench-scale bench-records test unit tsan fuzz soak tidy demo cluster-up cluster-down deps tools format format-check clean

all: build

deps:
	hack/install-deps.sh

tools: deps
	hack/build-tools.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSO_SANITIZE=OFF \
	  -DHSO_BUILD_TESTS=OFF
	ninja -C $(BUILD_DIR) -j $(JOBS) k8s-pod-headless-service-operator
	@echo "built $(BUILD_DIR)/k8s-pod-headless-service-operator"

# The benchmarks of BENCHMARKS.md against a private local control plane (Release build in
# $(BUILD_DIR); bench/run.sh lists its knobs).
bench: tools
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSO_SANITIZE=OFF \
	  -DHSO_BUILD_TESTS=OFF -DHSO_BUILD_BENCH=ON
	ninja -C $(BUILD_DIR) -j $(JOBS) k8s-pod-headless-service-operator hso-bench
	bench/run.sh

# The scalability envelope (bench/scale.sh): 1,000 to 150,000 pods, start-up, memory, full pass and
# latency at each step; bench/results/scale.{jsonl,tsv,png}. About an hour on the 2-core machine.
bench-scale: tools
	hack/install-deps.sh gnuplot-nox
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSO_SANITIZE=OFF \
	  -DHSO_BUILD_TESTS=OFF -DHSO_BUILD_BENCH=ON
	ninja -C $(BUILD_DIR) -j $(JOBS) k8s-pod-headless-service-operator hso-bench
	bench/scale.sh

# Objects and writes per pod, per-pod Services against subdomain records with and without the
# per-pod aliases (bench/records.sh): bench/results/records.jsonl. About 4 minutes.
bench-records: tools
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSO_SANITIZE=OFF \
	  -DHSO_BUILD_TESTS=OFF -DHSO_BUILD_BENCH=ON
	ninja -C $(BUILD_DIR) -j $(JOBS) k8s-pod-headless-service-operator hso-bench
	bench/records.sh

# Every tier: unit (ASan+UBSan), then integration and e2e against a private local control plane.
test:
	hack/run-tests.sh

# Only the unit tier; needs no cluster.
unit: deps
	cmake -S . -B build-asan -G Ninja -DHSO_SANITIZE=ON
	ninja -C build-asan -j $(JOBS) hso_unit_tests
	ctest --test-dir build-asan -L '^unit$$' -j $(JOBS) --output-on-failure

# Every tier with the ThreadSanitizer build, every end-to-end script included (hack/run-tsan.sh;
# make test runs the HA and reconciler scripts with it).
tsan: deps
	hack/run-tsan.sh

# The container image from the Dockerfile, with buildah instead of a Docker engine (hack/image.sh):
# localhost/k8s-pod-headless-service-operator:<version> in buildah's local storage.
.PHONY: image
image:
	hack/image.sh

# The libFuzzer harnesses of tests/fuzz (clang, ASan+UBSan, build-fuzz/): replay the corpora,
# then fuzz each for FUZZ_SECONDS (default 60); a table of executions and findings at the end.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) hack/run-fuzz.sh

# The chaos soak (tests/e2e/soak_test.sh, issue 11): three replicas under pod churn on a private
# control plane, every fault once per round for SOAK_MINUTES (default 10), the invariants checked
# after each; the results table goes to soak-results/ (hack/soak.sh; TESTING.md, "Chaos soak").
SOAK_MINUTES ?= 10
soak:
	SOAK_MINUTES=$(SOAK_MINUTES) hack/soak.sh

# clang-tidy and clang's thread-safety analysis over src/ and bench/ (.clang-tidy).
tidy: deps
	hack/run-clang-tidy.sh

demo:
	hack/demo.sh

cluster-up: tools
	hack/local-cluster.sh up

cluster-down:
	hack/local-cluster.sh down

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	hack/check-format.sh

clean:
	rm -rf build build-asan build-fuzz build-release build-tsan build-tidy
