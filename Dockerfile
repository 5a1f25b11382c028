# syntax=docker/dockerfile:1
# The operator's image: built on Debian bookworm with the project's own build (`make build`), run
# from scratch with only the binary and the shared libraries it links (distroless-style: no shell,
# no package manager, numeric non-root user).
#
#   docker build -t k8s-pod-headless-service-operator:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#
# or, without a Docker engine, `make image` (hack/image.sh: buildah, same Dockerfile, base image
# made locally from Debian's packages). README.md "Container image" says more.
#
# tests/e2e/packaging_runtime_libs_test.sh keeps this file honest: the build stage's packages must
# be the build (non-test) packages of hack/install-deps.sh, the runtime stage must be the ldd
# closure that hack/image-rootfs.sh assembles; tests/e2e/image_run.sh builds and runs it.

FROM docker.io/library/debian:bookworm AS build
# Marks this stage's cached images in buildah's storage (hack/image.sh prunes earlier builds' ones).
LABEL org.opencontainers.image.title="k8s-pod-headless-service-operator-build"
# First: every step is a layer, and buildah's vfs storage keeps a full copy of the file system in
# each; here that is the base image's size, after the packages below it would be four times that.
WORKDIR /src
# The packages hack/install-deps.sh installs to build the binary, without the test-only ones
# (GoogleTest, clang-format, dig, curl, Prometheus, ...) and without Go, which only the local
# control plane needs. Before the sources, so that a change to them reuses this layer.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ make cmake ninja-build pkg-config git \
      prometheus-cpp-dev libcpp-httplib-dev libssl-dev nlohmann-json3-dev libspdlog-dev \
      libcli11-dev libyaml-cpp-dev \
 && rm -rf /var/lib/apt/lists/*
# The build context is only what the build reads (.dockerignore lets in CMakeLists.txt, cmake/,
# Makefile, include/, src/, bench/ and hack/image-rootfs.sh, nothing else), so a change to the tests, docs,
# charts or manifests reuses the compile layer below. One COPY: each layer is a full copy of the
# file system in buildah's vfs storage. (There is no step to run with the build files alone: the
# CMake configure step globs the sources.)
COPY . .
# The commit, which the binary reports (`version`, the build_info metric); .git is not in the
# build context.
ARG REVISION=unknown
# `make build` runs hack/install-deps.sh first (its `deps` prerequisite), which also wants the
# test packages and Go; -o deps treats that prerequisite as done (the RUN above did its part),
# so what runs is exactly the build target's cmake and ninja lines.
RUN HSO_GIT_COMMIT="$(printf '%.12s' "${REVISION}")" make -o deps build BUILD_DIR=build \
 && strip build/k8s-pod-headless-service-operator \
 && build/k8s-pod-headless-service-operator version \
 && hack/image-rootfs.sh build/k8s-pod-headless-service-operator /rootfs

FROM scratch AS runtime
LABEL org.opencontainers.image.title="k8s-pod-headless-service-operator" \
      org.opencontainers.image.description="Gives annotated pods a headless Service so their hostnames resolve in cluster DNS" \
      org.opencontainers.image.licenses="Apache-2.0"
# The binary, its ldd closure, passwd/group, os-release and the libraries' dpkg records.
COPY --from=build /rootfs/ /
# A numeric non-root user (nonroot in /etc/passwd), so runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8080 8081 8443
ENTRYPOINT ["/usr/local/bin/k8s-pod-headless-service-operator"]
CMD ["run"]
# Last, so that a new version reuses the layer above. hack/image.sh fills these from git (SOURCE
# from the remote "origin", when there is one).
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
