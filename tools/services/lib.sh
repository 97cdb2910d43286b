# shellcheck shell=bash
# Common helpers for tools/services/*.sh. Sourced, never executed.
#
# Each service script sets SVC (its name) and defines svc_install, svc_up,
# svc_down and svc_status, then calls `svc_main "$@"`.
#
# Layout:
#   cache (installs, shared by all checkouts): ${PANOPTES_CACHE_DIR:-$HOME/.cache/panoptes}
#   state (data, pid files, logs):            ${PANOPTES_STATE_DIR:-$PANOPTES_CACHE_DIR/state}/<service>
#
# A second, private instance (the e2e failure scenarios stop and restart theirs): give it its own
# state dir and ports; it shares the installs in the cache dir and leaves the default one alone.
#   PANOPTES_STATE_DIR=/tmp/x PANOPTES_REDIS_PORT=26379 tools/services/redis.sh up|down|status
#   ... PANOPTES_KAFKA_PORT + PANOPTES_KAFKA_CONTROLLER_PORT (kafka.sh),
#   ... PANOPTES_MINIO_PORT + PANOPTES_MINIO_CONSOLE_PORT (minio.sh)
#
# All progress messages go to stderr, prefixed with "[<service>]", so that
# stdout stays clean for `tools/dev-services env`.

set -euo pipefail

PANOPTES_CACHE_DIR="${PANOPTES_CACHE_DIR:-${HOME:-/root}/.cache/panoptes}"
PANOPTES_STATE_DIR="${PANOPTES_STATE_DIR:-$PANOPTES_CACHE_DIR/state}"
export PANOPTES_CACHE_DIR PANOPTES_STATE_DIR

# Never wait for a terminal: CI runs with no stdin.
export DEBIAN_FRONTEND=noninteractive

SVC="${SVC:?SVC must be set before sourcing lib.sh}"
SVC_STATE_DIR="$PANOPTES_STATE_DIR/$SVC"
SVC_PID_FILE="$SVC_STATE_DIR/$SVC.pid"
SVC_LOCK_DIR="$PANOPTES_CACHE_DIR/.locks"
SVC_EXTRA_LOGS=() # more log files to show on a failed start (set by the service script)

log() { printf '[%s] %s\n' "$SVC" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$SVC" "$*" >&2; exit 1; }

# Run a command, prefixing each line of its output (stdout+stderr) with the
# service name, on stderr. Keeps the exit status of the command. Drops ANSI
# colour codes (Maven prints some even with -B -q), blank lines, and lines
# matching $PREFIXED_DROP (an extended regex) if set.
prefixed() {
  local rc=0
  "$@" 2>&1 | sed -u -E \
      -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e '/^[[:space:]]*$/d' \
      ${PREFIXED_DROP:+-e "\#${PREFIXED_DROP}#d"} \
      -e "s/^/[$SVC]   /" >&2 || rc=$?
  # With pipefail the pipeline's status is the command's (sed does not fail).
  return "$rc"
}

# Seconds since the epoch with millisecond precision, for timings.
now_ms() { date +%s%3N; }
elapsed() { # elapsed START_MS -> "12.3s"
  local d=$(( $(now_ms) - $1 ))
  printf '%d.%ds' $((d / 1000)) $(((d % 1000) / 100))
}

# Take an exclusive lock for the rest of the process (or until fd closes).
# lock NAME [TIMEOUT_SECONDS]. Uses fd 9; daemons are started via daemon_exec,
# which closes it, so they do not hold the lock.
lock() {
  local name="$1" timeout="${2:-600}"
  mkdir -p "$SVC_LOCK_DIR"
  exec 9>"$SVC_LOCK_DIR/$name.lock"
  if ! flock -n 9; then
    log "waiting for another run holding the '$name' lock..."
    flock -w "$timeout" 9 || die "timed out after ${timeout}s waiting for lock $SVC_LOCK_DIR/$name.lock"
  fi
}
unlock() { exec 9>&-; }

# ---------------------------------------------------------------- apt
_APT_UPDATED=0
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else die "need root (or passwordless sudo) to run: $*"
  fi
}
# apt_install PKG... : apt-get update (once per process), then install.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
  # Serialise our own apt runs (services install concurrently) and also wait
  # for dpkg's lock if something else holds it.
  local fd
  mkdir -p "$SVC_LOCK_DIR"
  exec {fd}>"$SVC_LOCK_DIR/apt.lock"
  flock -w 900 "$fd" || die "timed out waiting for $SVC_LOCK_DIR/apt.lock"
  if [ "$_APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    prefixed as_root apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 -q update || die "apt-get update failed"
    _APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  prefixed as_root apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 -q install -y --no-install-recommends "$@" \
    || die "apt-get install $* failed"
  exec {fd}>&-
}

# ---------------------------------------------------------------- processes
# pid_of_running MATCH: print the pid from $SVC_PID_FILE if that process is
# alive and its command line contains MATCH (guards against pid reuse).
pid_of_running() {
  local match="$1" pid
  [ -s "$SVC_PID_FILE" ] || return 1
  pid="$(tr -dc '0-9' <"$SVC_PID_FILE")"
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$match" || return 1
  fi
  printf '%s\n' "$pid"
}

# stop_pid PID [TIMEOUT]: SIGTERM, wait for exit, SIGKILL after TIMEOUT seconds.
# stop_service PID_FUNCTION TIMEOUT_SECONDS: the whole of a service's `down`: stop the process the
# pid function finds (SIGTERM, then SIGKILL after the timeout) and forget its pid file.
stop_service() {
  local pid
  if ! pid=$("$1"); then
    log "not running"
    rm -f "$SVC_PID_FILE"
    return 0
  fi
  log "stopping (pid $pid)"
  stop_pid "$pid" "$2"
  rm -f "$SVC_PID_FILE"
  log "stopped"
}

stop_pid() {
  local pid="$1" timeout="${2:-30}" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "pid $pid did not exit within ${timeout}s after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  die "pid $pid is still alive after SIGKILL"
}

# daemon_exec CMD...: for use in a background subshell, `( daemon_exec ... ) &`.
# Closes every inherited fd above 2 (our lock, and any pipe a CI runner or a
# caller might wait on for EOF), starts a new session (setsid: survives the
# calling shell/CI step, not killed with its process group), and execs CMD,
# so $! is CMD's pid. Redirect stdin/stdout/stderr at the call site.
daemon_exec() {
  local f fd
  for f in /proc/"$BASHPID"/fd/*; do
    fd="${f##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then exec {fd}>&- 2>/dev/null || true; fi
  done
  exec setsid "$@"
}

# ---------------------------------------------------------------- network
# port_open HOST PORT: true if something accepts TCP connections there.
port_open() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# fail_if_port_taken HOST PORT: used before starting our own process.
fail_if_port_taken() {
  if port_open "$1" "$2"; then
    local who=""
    command -v ss >/dev/null 2>&1 && who="$(ss -Hltnp "sport = :$2" 2>/dev/null | head -n1 || true)"
    die "$1:$2 is already in use by a process this script did not start${who:+ ($who)}; stop it or free the port"
  fi
}

# http_status URL: print the HTTP status code (000 if no answer).
http_status() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true
  else
    # Minimal fallback: http://HOST:PORT/PATH only.
    local rest="${1#http://}" hostport path host port
    hostport="${rest%%/*}"; path="/${rest#*/}"
    host="${hostport%%:*}"; port="${hostport##*:}"
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 3 bash -c '
      exec 3<>"/dev/tcp/$1/$2" || exit 1
      printf "GET %s HTTP/1.0\r\nHost: %s:%s\r\n\r\n" "$3" "$1" "$2" >&3
      head -n1 <&3 | cut -d" " -f2' _ "$host" "$port" "$path" 2>/dev/null || echo 000
  fi
}

# wait_until TIMEOUT PID LOGFILE DESCRIPTION CHECK_FN [ARGS...]
# Polls CHECK_FN every 0.5s until it succeeds. Fails early if PID dies, and
# fails after TIMEOUT seconds; on failure shows the tail of LOGFILE.
wait_until() {
  local timeout="$1" pid="$2" logfile="$3" what="$4"
  shift 4
  local deadline=$(( $(date +%s) + timeout ))
  while :; do
    if "$@"; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      show_log_tail "$logfile" "${SVC_EXTRA_LOGS[@]}"
      rm -f "$SVC_PID_FILE"
      die "process $pid exited before $what (logs: $SVC_STATE_DIR)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      show_log_tail "$logfile" "${SVC_EXTRA_LOGS[@]}"
      if [ "$pid" = "${SVC_STARTED_PID:-}" ]; then
        # Leave nothing half-started behind: we started it, we stop it.
        log "stopping pid $pid, which this run started"
        stop_pid "$pid" 30
        rm -f "$SVC_PID_FILE"
      fi
      die "timed out after ${timeout}s waiting for $what (logs: $SVC_STATE_DIR)"
    fi
    sleep 0.5
  done
}

show_log_tail() {
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    printf '[%s] ---- last 40 lines of %s ----\n' "$SVC" "$f" >&2
    tail -n 40 "$f" | sed "s/^/[$SVC]   /" >&2
    printf '[%s] ----\n' "$SVC" >&2
  done
}

# Keep the previous run's log for post-mortems.
rotate_log() { if [ -f "$1" ]; then mv -f "$1" "$1.prev"; fi; }

# ---------------------------------------------------------------- dispatch
svc_usage() {
  echo "usage: $0 install|up|down|status" >&2
  echo "  cache: $PANOPTES_CACHE_DIR   state: $SVC_STATE_DIR" >&2
}

svc_main() {
  local cmd="${1:-}"
  mkdir -p "$PANOPTES_CACHE_DIR" "$SVC_STATE_DIR"
  case "$cmd" in
    install) lock "$SVC-install" 3600; svc_install ;;
    up)
      lock "$SVC-install" 3600; svc_install; unlock
      lock "$SVC-run" 300; svc_up ;;
    down) lock "$SVC-run" 300; svc_down ;;
    status) svc_status ;;
    -h | --help | help) svc_usage ;;
    *) svc_usage; exit 2 ;;
  esac
}
