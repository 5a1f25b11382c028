# syntax=docker/dockerfile:1
# The operator's image: build on Debian bookworm with the project's own build (`make build`),
# run on bookworm-slim with only the shared libraries the binary links.
#
#   docker build -t k8s-pod-headless-service-operator:0.1.0 .
#
# tests/e2e/packaging_runtime_libs_test.sh keeps this file honest without a Docker engine: the
# build stage's packages must be the build (non-test) packages of hack/install-deps.sh, and every
# library the binary links (ldd) must come from a package the runtime stage installs.

FROM debian:bookworm AS build
# The packages hack/install-deps.sh installs to build the binary, without the test-only ones
# (GoogleTest, clang-format, dig, curl, Prometheus, ...) and without Go, which only the local
# control plane needs.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ make cmake ninja-build pkg-config git \
      prometheus-cpp-dev libcpp-httplib-dev libssl-dev nlohmann-json3-dev libspdlog-dev \
      libcli11-dev libyaml-cpp-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# `make build` runs hack/install-deps.sh first (its `deps` prerequisite), which also wants the
# test packages and Go; -o deps treats that prerequisite as done (the RUN above did its part),
# so what runs is exactly the build target's cmake and ninja lines.
RUN make -o deps build BUILD_DIR=build \
 && strip build/k8s-pod-headless-service-operator \
 && build/k8s-pod-headless-service-operator version

FROM debian:bookworm-slim AS runtime
# One package per shared library the binary links (libc6, libstdc++6 and libgcc-s1 are part of
# the base image).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcpp-httplib0.11 libssl3 libspdlog1.10 libfmt9 libprometheus-cpp-core1.0 \
      libyaml-cpp0.7 zlib1g libbrotli1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/k8s-pod-headless-service-operator /usr/local/bin/k8s-pod-headless-service-operator
# A numeric non-root user (no passwd entry needed), so runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8080 8081 8443
ENTRYPOINT ["/usr/local/bin/k8s-pod-headless-service-operator"]
CMD ["run"]
