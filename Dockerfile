# syntax=docker/dockerfile:1
# One image per service, all from this file:
#   docker build --build-arg SERVICE=catalog -t ghcr.io/shop-platform/catalog:0.1.0 .
# SERVICE is one of catalog, search, order, payment, frontend, or loadgen (the load
# generator the chart runs with loadgenerator.enabled): a directory of src/cmd.
# The binary is static (CGO_ENABLED=0) and runs as distroless's nonroot user
# (65532), the user the chart's security contexts name. /probe, the shop's own
# test client, is in every image: helm test runs it, so testing a release
# pulls nothing from outside.
# `make images` builds the same images without Docker (src/tools/imagebuild);
# its test fails when the two disagree on user, entrypoint, labels or files.

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG SERVICE
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY src ./src
RUN test -n "${SERVICE}" || { echo "set --build-arg SERVICE=catalog|search|order|payment|frontend|loadgen" >&2; exit 1; }; \
    test -d "src/cmd/${SERVICE}" || { echo "no src/cmd/${SERVICE}" >&2; exit 1; }
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/service "./src/cmd/${SERVICE}" && \
    go build -trimpath -ldflags="-s -w" -o /out/probe ./src/cmd/probe

FROM gcr.io/distroless/static-debian12:nonroot
ARG SERVICE
LABEL org.opencontainers.image.source="https://github.com/shop-platform/shop" \
      org.opencontainers.image.title="shop-${SERVICE}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /out/service /service
COPY --from=build /out/probe /probe
USER 65532:65532
ENTRYPOINT ["/service"]
