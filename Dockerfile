# syntax=docker/dockerfile:1
# SequenceOperator's image: built with the .NET SDK as one NativeAOT executable (the project file explains why), run on
# the chiseled (distroless) runtime-deps image, which holds the few native libraries it loads, as a non-root user,
# ready for a read-only root filesystem (only /tmp needs to be writable, for .NET's diagnostics socket; the Helm chart
# mounts an emptyDir there).
#   docker build -t ghcr.io/cityforge/sequence-operator:0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/cityforge/sequence-operator:0.1.0 .
# NativeAOT compiles to the machine code of the machine it runs on and cannot cross-compile between CPU architectures,
# so the build stage runs on the target platform (no --platform=$BUILDPLATFORM): for a foreign architecture buildx runs
# it under emulation (QEMU through binfmt_misc, e.g. `docker run --privileged --rm tonistiigi/binfmt --install arm64`),
# which is slower than a native build; a native builder per architecture (buildx with an arm64 node) avoids that.
# CI has no Docker engine: scripts/check-publish.sh runs this file's `RUN dotnet ...` commands (with another
# output folder) and starts the published binary, so the build step below is exercised on every run.

ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
# What NativeAOT compiles and links with, beside the SDK: clang (the linker driver, with binutils' objcopy to strip the
# debug symbols into a separate file) and zlib's headers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
# amd64 or arm64, set by docker buildx (the platform this stage runs on); `dotnet -a` maps it to the runtime identifier
# (linux-x64, linux-arm64).
ARG TARGETARCH=amd64
WORKDIR /src
# Restore first, from the project files alone, so the package layer is cached across source changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/SequenceOperator/SequenceOperator.csproj src/SequenceOperator/
COPY src/SequenceOperator.Entities/SequenceOperator.Entities.csproj src/SequenceOperator.Entities/
RUN dotnet restore src/SequenceOperator/SequenceOperator.csproj -a $TARGETARCH
COPY src/ src/
RUN dotnet publish src/SequenceOperator/SequenceOperator.csproj -c Release -a $TARGETARCH --no-restore -o /app

FROM mcr.microsoft.com/dotnet/runtime-deps:${DOTNET_VERSION}-noble-chiseled AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="sequence-operator" \
      org.opencontainers.image.description="Kubernetes operator and CLI that keep PostgreSQL sequences ahead of their tables' data" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/cityforge/sequence-operator" \
      org.opencontainers.image.documentation="https://github.com/cityforge/sequence-operator/blob/main/docs/operations.md" \
      org.opencontainers.image.vendor="cityforge" \
      org.opencontainers.image.base.name="mcr.microsoft.com/dotnet/runtime-deps:${DOTNET_VERSION}-noble-chiseled"
WORKDIR /app
# Only the executable: the rest of the publish output (its native debug symbols, a .pdb, an empty static web assets
# manifest) is not needed to run it.
COPY --from=build /app/sequence-operator /app/sequence-operator
# The chiseled image has no shell: put the executable on PATH for the exec-form ENTRYPOINT.
# The executable carries its garbage collector settings (workstation, non-concurrent, ConserveMemory 9, gen0 budget at
# most 2 MB: the project file says why), so none is set here. One can be overridden with a DOTNET_GC* variable, whose
# value NativeAOT reads as bare hex digits: DOTNET_GCGen0MaxBudget=400000 is 4 MB, while 0x400000 is silently ignored.
# `run` logs the settings that took effect at start.
ENV PATH="/app:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# 1654 is the non-root "app" user of the .NET images; numeric so that runAsNonRoot can verify it.
USER 1654:1654
EXPOSE 8080 8081
ENTRYPOINT ["sequence-operator"]
CMD ["run"]
