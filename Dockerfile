# syntax=docker/dockerfile:1
#
# hibobsync: one static binary, one image, three services in docker-compose.yml (worker, api and
# the simulated HiBob, fake-hibob), told apart by the command. Build with
#   docker build -t hibobsync .
# The runtime is Alpine rather than distroless so that compose's health checks can use busybox
# wget; the process runs as an unprivileged user.

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/hibobsync ./cmd/hibobsync

FROM alpine:3.22
RUN apk add --no-cache ca-certificates tzdata \
    && addgroup -S -g 10001 hibobsync \
    && adduser -S -D -H -u 10001 -G hibobsync -h /var/lib/hibobsync hibobsync \
    && mkdir -p /var/lib/hibobsync \
    && chown hibobsync:hibobsync /var/lib/hibobsync
COPY --from=build /out/hibobsync /usr/local/bin/hibobsync
USER 10001:10001
WORKDIR /var/lib/hibobsync
ENTRYPOINT ["/usr/local/bin/hibobsync"]
CMD ["worker"]
