#!/usr/bin/env bash
# Local stack without systemd: MariaDB, Redis and Mosquitto on 127.0.0.1, state under .run/<stack>/.
#
#   scripts/stack.sh install         Debian packages (if missing) and the Python venv
#   scripts/stack.sh start  [stack]  start the services of a stack (demo | test), idempotent
#   scripts/stack.sh stop   [stack]  stop exactly what start started (every stack if none given)
#   scripts/stack.sh status [stack]
#   scripts/stack.sh env    [stack]  print the environment variables that point services at the stack
#
# The demo stack uses the standard ports (3306, 6379, 1883); the test stack uses 3307, 6380, 1884 so that
# running the tests never touches the demo's data.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
APT_PACKAGES=(mariadb-server mariadb-client redis-server mosquitto mosquitto-clients chromium nginx
  docker-compose fonts-wqy-microhei curl wrk)
SQL_MODE="ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
DB_USER="${MYEMS_DB_USER:-myems}"
DB_PASSWORD="${MYEMS_DB_PASSWORD:-myems}"

log() { echo "[stack] $*" >&2; }

stack_settings() {
  STACK="${1:-demo}"
  case "$STACK" in
    demo) DB_PORT="${DEMO_DB_PORT:-3306}"; REDIS_PORT="${DEMO_REDIS_PORT:-6379}"; MQTT_PORT="${DEMO_MQTT_PORT:-1883}" ;;
    test) DB_PORT="${TEST_DB_PORT:-3307}"; REDIS_PORT="${TEST_REDIS_PORT:-6380}"; MQTT_PORT="${TEST_MQTT_PORT:-1884}" ;;
    *) log "unknown stack '$STACK' (demo or test)"; exit 2 ;;
  esac
  RUN="$ROOT/.run/$STACK"
  SOCK="$RUN/mariadb.sock"
}

# ----------------------------------------------------------------------------------------------- install
install_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" > "$ROOT/.run/apt.log" 2>&1 \
    || { tail -n 30 "$ROOT/.run/apt.log" >&2; exit 1; }
  [ $created_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

install_venv() {
  local stamp="$VENV/.installed"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/requirements.txt" ] && [ "$stamp" -nt "$ROOT/requirements-dev.txt" ]; then
    return 0
  fi
  log "creating the Python venv in .venv"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/requirements.txt" -r "$ROOT/requirements-dev.txt"
  local editables=()
  for d in "$ROOT"/myems-*/ "$ROOT/database/demo/"; do
    [ -f "$d/pyproject.toml" ] && editables+=(-e "$d")
  done
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --no-build-isolation "${editables[@]}"
  touch "$stamp"
}

install_npm() {
  local app stamp
  for app in myems-web myems-admin; do
    [ -f "$ROOT/$app/package-lock.json" ] || continue
    stamp="$ROOT/$app/node_modules/.installed"
    [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/$app/package-lock.json" ] && continue
    log "installing npm packages of $app from its lock file"
    (cd "$ROOT/$app" && npm ci --no-audit --no-fund --loglevel=error > "$ROOT/.run/npm-$app.log" 2>&1) \
      || { tail -n 30 "$ROOT/.run/npm-$app.log" >&2; exit 1; }
    mkdir -p "$ROOT/$app/node_modules" && touch "$stamp"
  done
}

cmd_install() {
  mkdir -p "$ROOT/.run"
  install_packages
  install_venv
  install_npm
}

# ----------------------------------------------------------------------------------------------- services
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_mariadb() {
  local data="$RUN/mariadb"
  if alive "$RUN/mariadb.pid"; then return 0; fi
  if [ ! -d "$data/mysql" ]; then
    log "initialising MariaDB in $data"
    mkdir -p "$data"
    mariadb-install-db --no-defaults --user=root --datadir="$data" --auth-root-authentication-method=socket \
      --skip-test-db > "$RUN/mariadb-install.log" 2>&1 || { cat "$RUN/mariadb-install.log" >&2; exit 1; }
  fi
  log "starting MariaDB on 127.0.0.1:$DB_PORT"
  setsid mariadbd --no-defaults --user=root --datadir="$data" --socket="$SOCK" --pid-file="$RUN/mariadb.pid" \
    --log-error="$RUN/mariadb.log" --skip-networking=0 --bind-address=127.0.0.1 --port="$DB_PORT" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --default-time-zone=+00:00 \
    --sql-mode="$SQL_MODE" --local-infile=1 --max-allowed-packet=256M --innodb-buffer-pool-size=512M \
    --innodb-flush-log-at-trx-commit=2 --max-connections=500 < /dev/null > /dev/null 2>&1 &
  for _ in $(seq 1 100); do
    mariadb-admin --no-defaults --user=root --socket="$SOCK" ping > /dev/null 2>&1 && break
    sleep 0.2
  done
  mariadb-admin --no-defaults --user=root --socket="$SOCK" ping > /dev/null 2>&1 \
    || { log "MariaDB did not start"; tail -n 20 "$RUN/mariadb.log" >&2; exit 1; }
  mariadb --no-defaults --user=root --socket="$SOCK" <<SQL
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL ON \`myems\\_%\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL ON \`myems\\_%\`.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
}

start_redis() {
  if alive "$RUN/redis.pid"; then return 0; fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  setsid redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize no \
    --dir "$RUN" --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" < /dev/null > /dev/null 2>&1 &
  echo $! > "$RUN/redis.pid"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping > /dev/null 2>&1 && return 0; sleep 0.1; done
  log "Redis did not start"; exit 1
}

start_mosquitto() {
  if alive "$RUN/mosquitto.pid"; then return 0; fi
  log "starting Mosquitto on 127.0.0.1:$MQTT_PORT"
  cat > "$RUN/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
user root
log_dest file $RUN/mosquitto.log
CONF
  setsid mosquitto -c "$RUN/mosquitto.conf" < /dev/null > /dev/null 2>&1 &
  echo $! > "$RUN/mosquitto.pid"
  for _ in $(seq 1 50); do
    mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t stack/ping -m ok > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "Mosquitto did not start"; exit 1
}

cmd_start() {
  stack_settings "${1:-demo}"
  mkdir -p "$RUN"
  start_mariadb
  start_redis
  start_mosquitto
  cmd_env "$STACK" > "$RUN/env.sh"
}

stop_pidfile() {
  local name="$1" pidfile="$2"
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid; pid="$(cat "$pidfile")"
  log "stopping $name (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

cmd_stop() {
  local stacks=("$@")
  [ ${#stacks[@]} -eq 0 ] && stacks=(demo test)
  for s in "${stacks[@]}"; do
    stack_settings "$s"
    [ -d "$RUN" ] || continue
    # services added by later issues write their pid files under $RUN/services/
    if [ -d "$RUN/services" ]; then
      for f in "$RUN"/services/*.pid; do [ -e "$f" ] && stop_pidfile "$(basename "$f" .pid)" "$f"; done
    fi
    stop_pidfile mosquitto "$RUN/mosquitto.pid"
    stop_pidfile redis "$RUN/redis.pid"
    stop_pidfile mariadb "$RUN/mariadb.pid"
  done
}

# A long-running project service (API, daemons, simulators) with its pid and log under .run/<stack>/services.
#   stack.sh service <stack> <name> [--wait-http URL] -- <command...>
cmd_service() {
  stack_settings "$1"; shift
  local name="$1"; shift
  local wait_url=""
  if [ "${1:-}" = "--wait-http" ]; then wait_url="$2"; shift 2; fi
  [ "${1:-}" = "--" ] && shift
  mkdir -p "$RUN/services"
  local pidfile="$RUN/services/$name.pid" logfile="$RUN/services/$name.log"
  if alive "$pidfile"; then return 0; fi
  log "starting $name"
  setsid "$@" < /dev/null >> "$logfile" 2>&1 &
  echo $! > "$pidfile"
  if [ -n "$wait_url" ]; then
    for _ in $(seq 1 100); do
      curl -fsS -o /dev/null "$wait_url" 2>/dev/null && return 0
      alive "$pidfile" || break
      sleep 0.2
    done
    log "$name did not come up; last lines of $logfile:"; tail -n 20 "$logfile" >&2; exit 1
  fi
}

cmd_status() {
  stack_settings "${1:-demo}"
  for n in mariadb redis mosquitto; do
    if alive "$RUN/$n.pid"; then echo "$n: running (pid $(cat "$RUN/$n.pid"))"; else echo "$n: stopped"; fi
  done
  for f in "$RUN"/services/*.pid; do
    [ -e "$f" ] || continue
    if alive "$f"; then echo "$(basename "$f" .pid): running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid): stopped"; fi
  done
}

cmd_env() {
  stack_settings "${1:-demo}"
  cat <<ENV
export MYEMS_DB_HOST=127.0.0.1
export MYEMS_DB_PORT=$DB_PORT
export MYEMS_DB_USER=$DB_USER
export MYEMS_DB_PASSWORD=$DB_PASSWORD
export MYEMS_DB_ROOT_SOCKET=$SOCK
export REDIS_HOST=127.0.0.1
export REDIS_PORT=$REDIS_PORT
export MYEMS_MQTT_BROKER_HOST=127.0.0.1
export MYEMS_MQTT_BROKER_PORT=$MQTT_PORT
export MYEMS_RUN_DIR=$RUN
export MYEMS_STACK=$STACK
ENV
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  env) shift; cmd_env "$@" ;;
  service) shift; cmd_service "$@" ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
