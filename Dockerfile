# syntax=docker/dockerfile:1
# SequenceOperator's image: built with the .NET SDK as a self-contained, trimmed, ReadyToRun binary (the project
# file explains why), run on the chiseled (distroless) runtime-deps image, as a non-root user, ready for a read-only
# root filesystem (only /tmp needs to be writable, for .NET's diagnostics socket; the Helm chart mounts an emptyDir
# there).
#   docker build -t ghcr.io/cityforge/sequence-operator:0.1.0 .
# CI has no Docker engine: scripts/check-publish.sh runs this file's `RUN dotnet ...` commands (with another
# output folder) and starts the published binary, so the build step below is exercised on every run.

ARG DOTNET_VERSION=10.0

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
# amd64 or arm64, set by docker buildx; `dotnet -a` maps it to the runtime identifier (linux-x64, linux-arm64).
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
COPY --from=build /app /app
# The chiseled image has no shell: put the published apphost on PATH for the exec-form ENTRYPOINT.
# DOTNET_GCgen0size and DOTNET_GCGen0MaxBudget: a 2 MB allocation budget between collections, from the start and for
# good, instead of one sized from the CPU's cache (16 MB or more) that the GC grows further while much survives. The
# operator allocates in bursts (a round of checks, a /metrics scrape) and keeps little, so a small budget keeps its
# resident memory near its live data: without the cap a 500-policy scrape grew the heap by about 25 MB (the operator
# benchmark runs with these DOTNET_* settings and measures both).
ENV PATH="/app:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_gcServer=0 \
    DOTNET_GCgen0size=0x200000 \
    DOTNET_GCGen0MaxBudget=0x200000
# 1654 is the non-root "app" user of the .NET images; numeric so that runAsNonRoot can verify it.
USER 1654:1654
EXPOSE 8080 8081
ENTRYPOINT ["sequence-operator"]
CMD ["run"]
