#!/usr/bin/env bash
# Makes this machine ready to run real containers under workerd (the facts are in
# /work/shared/LOCAL-CONTAINERS.md): a Docker engine that answers, with an
# explicit gateway on the default bridge, and the static busybox the fixture
# images copy. Idempotent: every step checks first.
#
#   bash scripts/setup-docker.sh     (or: npm run setup:docker)
#
# Environment:
#   DOCKER_HOST       daemon to use (default: the engine's own socket)
#   DOCKERD_LOG       where a dockerd started here writes  (default /var/log/workerd-containers-dockerd.log)
#   DOCKERD_PIDFILE   where its PID is remembered           (default /run/workerd-containers-dockerd.pid)
#   DOCKER_DAEMON_JSON the daemon configuration to edit        (default /etc/docker/daemon.json)
# Exit status 0 = an engine answers; anything else = a message says what to do.
set -euo pipefail

LOG_FILE="${DOCKERD_LOG:-/var/log/workerd-containers-dockerd.log}"
PID_FILE="${DOCKERD_PIDFILE:-/run/workerd-containers-dockerd.pid}"
DAEMON_JSON="${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}"
WANT_BIP="172.17.0.1/16"

say() { echo "[setup-docker] $*"; }
die() { echo "[setup-docker] CANNOT CONTINUE: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
daemon_answers() { docker info >/dev/null 2>&1; }

# workerd binds its egress listener on the bridge gateway; Docker 20.10 leaves
# it out of the IPAM config unless `bip` is set, and every start then fails.
check_gateway() {
  local gw
  gw="$(docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || true)"
  if [ -z "$gw" ]; then
    die "the running Docker daemon's default bridge has no Gateway in its IPAM config, \
so workerd cannot start containers.
  Fix: add {\"bip\": \"$WANT_BIP\"} to $DAEMON_JSON and restart the Docker daemon, then run this again."
  fi
  say "bridge gateway: $gw"
}

if ! command -v docker >/dev/null 2>&1 && ! command -v dockerd >/dev/null 2>&1; then
  say "no docker CLI or engine found"
fi

# 0. The fixture images carry a static busybox (their shell for exec()):
# Debian's busybox-static, installed here when we can.
if [ ! -x /bin/busybox ]; then
  if is_root && command -v apt-get >/dev/null 2>&1; then
    say "installing busybox-static with apt-get (the fixture images' shell)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends busybox-static >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends busybox-static >/dev/null; }
  else
    say "no /bin/busybox: the fixture images need it (as root: apt-get install -y busybox-static)"
  fi
fi

# 1. A daemon already answers (ours from an earlier run, or the machine's own).
if daemon_answers; then
  say "Docker daemon answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  check_gateway
  exit 0
fi

# A daemon that runs but refuses us: starting another one would not help.
info_out="$(docker info 2>&1 || true)"
if [[ "$info_out" == *"permission denied"* ]]; then
  die "a Docker daemon runs but this user may not use it (permission denied on its socket).
  Fix: add this user to the docker group (as root: usermod -aG docker $(id -un); then log in again), or run as root."
fi

# 2. Install the engine if missing. Only possible as root on Debian/Ubuntu.
if ! command -v dockerd >/dev/null 2>&1; then
  if ! is_root; then
    die "no Docker engine (dockerd) and not root. Run as root:  apt-get install -y docker.io
  or install Docker Engine for your system (https://docs.docker.com/engine/install/), start it, then run this again."
  fi
  if ! command -v apt-get >/dev/null 2>&1 || [ ! -f /etc/debian_version ]; then
    die "no Docker engine (dockerd) and this is not Debian/Ubuntu (no apt-get).
  Install Docker Engine for your system (https://docs.docker.com/engine/install/), \
set {\"bip\": \"$WANT_BIP\"} in $DAEMON_JSON, start it, then run this again."
  fi
  say "installing docker.io with apt-get (takes a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
  say "installed $(dockerd --version)"
fi

if ! is_root; then
  die "dockerd is installed but no daemon answers and only root can start it.
  As root: write {\"bip\": \"$WANT_BIP\"} to $DAEMON_JSON and start dockerd \
(systemctl start docker, or: dockerd &), then run this again."
fi

# 3. daemon.json: set "bip", keeping whatever else is there. Plain node (any
# version) does the JSON merge; there is no python or jq on a bare machine.
mkdir -p "$(dirname "$DAEMON_JSON")"
NODE_BIN="$(command -v node || true)"
[ -n "$NODE_BIN" ] || die \
  "node is needed to edit $DAEMON_JSON; install Node.js (apt-get install -y nodejs) and run this again."
"$NODE_BIN" -e '
  const fs = require("fs"), [file, bip] = process.argv.slice(1);
  let cfg = {};
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, "utf8").trim();
    try { cfg = text ? JSON.parse(text) : {}; }
    catch (e) {
      console.error(`[setup-docker] ${file} is not valid JSON (${e.message}); fix or remove it.`);
      process.exit(1);
    }
  }
  if (cfg.bip === bip) { console.log(`[setup-docker] ${file} already sets bip ${bip}`); process.exit(0); }
  cfg.bip = bip;
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + "\n");
  console.log(`[setup-docker] wrote bip ${bip} to ${file}`);
' "$DAEMON_JSON" "$WANT_BIP"

# 4. Start dockerd in the background unless ours is already starting.
if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
  say "dockerd started earlier is still running (PID $(cat "$PID_FILE")); waiting for it"
else
  say "starting dockerd in the background (log: $LOG_FILE)"
  mkdir -p "$(dirname "$LOG_FILE")" "$(dirname "$PID_FILE")"
  # setsid: the daemon must outlive this script and the npm process that ran it.
  setsid dockerd >>"$LOG_FILE" 2>&1 < /dev/null &
  echo $! >"$PID_FILE"
  say "dockerd PID $(cat "$PID_FILE") (remembered in $PID_FILE; stop it with: kill \$(cat $PID_FILE))"
fi

# 5. Wait for it to answer.
for i in $(seq 1 60); do
  if daemon_answers; then
    say "Docker daemon answers after ${i}s ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    check_gateway
    exit 0
  fi
  if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    tail -n 20 "$LOG_FILE" >&2 || true
    die "dockerd exited during start-up; its log is above (full log: $LOG_FILE)."
  fi
  sleep 1
done
tail -n 20 "$LOG_FILE" >&2 || true
die "dockerd did not answer within 60 s; see $LOG_FILE."
