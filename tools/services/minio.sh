#!/usr/bin/env bash
# MinIO (S3-compatible object store) for development and CI, on
# 127.0.0.1:19000 (console 19001), built once from its Go module with
# `go install` into the cache dir.
#   tools/services/minio.sh install|up|down|status
set -euo pipefail
SVC=minio
# shellcheck source=tools/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The Go module proxy reachable here serves github.com/minio/minio only at this
# pseudo-version: the last commit of the (now archived) upstream repository,
# 2026-02-12, after the final release tag RELEASE.2025-10-15T17-29-55Z. Queries
# for RELEASE.* tags or older commits answer "403 This module version is not
# available". See docs/dev-services.md.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION="${PANOPTES_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
MINIO_HOME="$PANOPTES_CACHE_DIR/minio-$MINIO_VERSION"
MINIO_BIN="$MINIO_HOME/bin/minio"
MINIO_GO_MIN=1.24 # go.mod of that version says go 1.24.0

MINIO_HOST=127.0.0.1
MINIO_PORT="${PANOPTES_MINIO_PORT:-19000}"
MINIO_CONSOLE_PORT="${PANOPTES_MINIO_CONSOLE_PORT:-19001}"
MINIO_USER=panoptes
MINIO_PASSWORD=panoptes-secret
MINIO_REGION=us-east-1
MINIO_DATA="$SVC_STATE_DIR/data"
MINIO_LOG="$SVC_STATE_DIR/minio.log"
START_TIMEOUT="${PANOPTES_MINIO_START_TIMEOUT:-60}"

go_version_ok() {
  local v
  v="$(go env GOVERSION 2>/dev/null)" || return 1 # e.g. go1.26.8
  v="${v#go}"
  [ "$(printf '%s\n%s\n' "$MINIO_GO_MIN" "$v" | sort -V | head -n1)" = "$MINIO_GO_MIN" ]
}

svc_install() {
  if [ -x "$MINIO_BIN" ]; then return 0; fi
  command -v go >/dev/null 2>&1 \
    || die "go is not on PATH: MinIO is built from source with 'go install' and needs Go >= $MINIO_GO_MIN (Debian 12's golang is too old)"
  go_version_ok || die "$(go version) is too old: MinIO needs Go >= $MINIO_GO_MIN"
  local t0; t0=$(now_ms)
  log "building $MINIO_MODULE@$MINIO_VERSION with $(go env GOVERSION) (first run only; takes several minutes on 2 cores)"
  mkdir -p "$MINIO_HOME"
  rm -rf "$MINIO_HOME/bin.tmp"
  # Module and build caches go to a private dir under the cache dir
  # (-modcacherw so that `rm -rf` works), removed after a successful build.
  # GOTOOLCHAIN=local: use the installed Go, never download a toolchain.
  # CGO_ENABLED=0: a static binary, like MinIO's own release builds.
  # Heartbeat: 'go install' is silent for minutes.
  (i=0; while sleep 1; do i=$((i + 1)); [ $((i % 60)) -ne 0 ] || log "still building... ($(elapsed "$t0"))"; done) 9>&- &
  local hb=$!
  trap 'kill "$hb" 2>/dev/null || true' EXIT
  local rc=0
  # Hide the ~250 "go: downloading ..." lines.
  PREFIXED_DROP='^go: downloading ' prefixed env \
      GOBIN="$MINIO_HOME/bin.tmp" \
      GOMODCACHE="$PANOPTES_CACHE_DIR/go/mod" \
      GOCACHE="$PANOPTES_CACHE_DIR/go/build" \
      GOFLAGS="-mod=mod -modcacherw -buildvcs=false" \
      GOTOOLCHAIN=local CGO_ENABLED=0 \
      go install -trimpath -ldflags "-s -w" "$MINIO_MODULE@$MINIO_VERSION" </dev/null \
    || rc=$?
  kill "$hb" 2>/dev/null || true
  wait "$hb" 2>/dev/null || true
  trap - EXIT
  [ "$rc" -eq 0 ] || die "go install $MINIO_MODULE@$MINIO_VERSION failed (exit $rc; see output above)"
  [ -x "$MINIO_HOME/bin.tmp/minio" ] || die "go install did not produce $MINIO_HOME/bin.tmp/minio"
  rm -rf "${MINIO_HOME:?}/bin"
  mv "$MINIO_HOME/bin.tmp" "$MINIO_HOME/bin"
  # The module (~1.2 GB) and build caches are only needed to rebuild: drop them.
  rm -rf "${PANOPTES_CACHE_DIR:?}/go"
  log "built $MINIO_BIN ($(du -h "$MINIO_BIN" | cut -f1)) in $(elapsed "$t0")"
}

minio_pid() { pid_of_running "$MINIO_BIN"; }
minio_live() { [ "$(http_status "http://$MINIO_HOST:$MINIO_PORT/minio/health/live")" = 200 ]; }

svc_up() {
  local pid t0
  t0=$(now_ms)
  if pid=$(minio_pid); then
    if minio_live; then
      log "already running (pid $pid) on $MINIO_HOST:$MINIO_PORT"
      return 0
    fi
    log "process $pid exists but is not live yet; waiting"
    wait_until "$START_TIMEOUT" "$pid" "$MINIO_LOG" "GET /minio/health/live = 200" minio_live
    log "ready (pid $pid) on $MINIO_HOST:$MINIO_PORT"
    return 0
  fi
  rm -f "$SVC_PID_FILE"
  fail_if_port_taken "$MINIO_HOST" "$MINIO_PORT"
  fail_if_port_taken "$MINIO_HOST" "$MINIO_CONSOLE_PORT"
  mkdir -p "$MINIO_DATA"
  rotate_log "$MINIO_LOG"
  log "starting MinIO ($MINIO_VERSION) on $MINIO_HOST:$MINIO_PORT, console $MINIO_HOST:$MINIO_CONSOLE_PORT (state: $SVC_STATE_DIR)"
  # daemon_exec: own session, no inherited fds (see lib.sh).
  # GOMEMLIMIT keeps the Go heap modest on the shared machine.
  ( export MINIO_ROOT_USER="$MINIO_USER" MINIO_ROOT_PASSWORD="$MINIO_PASSWORD" \
      MINIO_SITE_REGION="$MINIO_REGION" MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off \
      MINIO_BROWSER_REDIRECT=off GOMEMLIMIT="${PANOPTES_MINIO_MEMLIMIT:-768MiB}"
    daemon_exec "$MINIO_BIN" server "$MINIO_DATA" \
      --address "$MINIO_HOST:$MINIO_PORT" --console-address "$MINIO_HOST:$MINIO_CONSOLE_PORT"
  ) </dev/null >"$MINIO_LOG" 2>&1 &
  pid=$!
  SVC_STARTED_PID=$pid
  echo "$pid" >"$SVC_PID_FILE"
  wait_until "$START_TIMEOUT" "$pid" "$MINIO_LOG" "GET /minio/health/live = 200" minio_live
  log "ready (pid $pid) on $MINIO_HOST:$MINIO_PORT in $(elapsed "$t0")"
}

svc_down() {
  stop_service minio_pid 30
}

svc_status() {
  local pid
  if pid=$(minio_pid); then
    if minio_live; then
      echo "[minio] running (pid $pid) on $MINIO_HOST:$MINIO_PORT"
      return 0
    fi
    echo "[minio] process $pid is alive but /minio/health/live is not 200 on $MINIO_HOST:$MINIO_PORT"
    return 3
  fi
  echo "[minio] not running"
  return 3
}

svc_main "$@"
