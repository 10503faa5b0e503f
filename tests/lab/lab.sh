#!/usr/bin/env bash
# SecureConnect test lab: starts / stops REAL servers (OpenSSH, PostgreSQL,
# MariaDB, Redis) from the distribution packages, for the Pester tests and the
# demo. No Docker. See tests/lab/README.md.
#
#   lab.sh check | install | packages
#   lab.sh start | stop | status | restart-sshd [bastion|bastion2] [--keep-sessions]
#   lab.sh kill-sshd | start-sshd [bastion|bastion2] | restart-db <server> | heal
#   lab.sh rotate-bastion-hostkey | restore-bastion-hostkey | auth-delay N | link down|up|status | selftest | purge
#
# State dir: ${SECURECONNECT_LAB_DIR:-/tmp/secureconnect-lab}
# Loopback labs side by side: SECURECONNECT_LAB_NO_NETNS=1 SECURECONNECT_LAB_LOOPBACK_INDEX=N (127.0.N.1, 127.0.N.2).
set -Eeuo pipefail

# --------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------
STATE_RAW="${SECURECONNECT_LAB_DIR:-/tmp/secureconnect-lab}"
STATE="$(realpath -m -- "$STATE_RAW")"
ENDPOINTS="$STATE/endpoints.json"
STATE_ENV="$STATE/state.env"
# sshd runs an AuthorizedKeysCommand only from a root-owned path no one else can write (so not under /tmp):
# the hook that delays authentication (lab.sh auth-delay) lives here, one directory per state dir.
AUTH_HOOK_DIR="/run/secureconnect-lab-auth-$(printf '%s' "$STATE" | md5sum | cut -c1-8)"
AUTH_DELAY_FILE="$STATE/auth-delay"
LAB_LOG="$STATE/lab.log"
PIDS="$STATE/pids"
MARKER=".secureconnect-lab"

NS_B=scl-bastion
NS_D=scl-db
VETH_HOST=sclh-bast      # host side of host<->bastion
VETH_B_HOST=sclb-host    # bastion side of host<->bastion
VETH_B_DB=sclb-db        # bastion side of bastion<->db
VETH_DB=scld-bast        # db side of bastion<->db
NET_HOST_ADDR=10.231.1.1
NET_BASTION_ADDR=10.231.1.2
NET_BASTION_DB_ADDR=10.231.2.1
NET_DB_ADDR=10.231.2.2
NET_GUARD_ROUTE=10.231.0.0/16
OWNER_DIR=/run/secureconnect-lab
OWNER_FILE="$OWNER_DIR/netns-owner"

SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LINK_UP_TIMEOUT=20

# Every program the lab, the tests and the demo run, with the Debian package that
# provides it. The ONE list: 'lab.sh check' and 'lab.sh install' read it, '.ci/run'
# and 'build.ps1 -Task Test|Demo|Lab' call those. PostgreSQL's server programs are
# looked up in the newest /usr/lib/postgresql/<version>/bin, whatever the version.
REQUIREMENTS=(
  "sshd               openssh-server"
  "ssh                openssh-client"
  "ssh-keygen         openssh-client"
  "ssh-keyscan        openssh-client"
  "postgres           postgresql"
  "initdb             postgresql"
  "psql               postgresql-client"
  "mariadbd           mariadb-server"
  "mariadb-install-db mariadb-server"
  "mariadb            mariadb-client"
  "redis-server       redis-server"
  "redis-cli          redis-tools"
  "clickhouse-server  clickhouse-server"
  "clickhouse-client  clickhouse-client"
  "node               nodejs"
  "openssl            openssl"
  "ip                 iproute2"
  "ss                 iproute2"
  "nc                 netcat-openbsd"
  "iptables-restore   iptables"
  "nft                nftables"
  "setpriv            util-linux"
  "runuser            util-linux"
  "flock              util-linux"
  "ps                 procps"
)
READY_TIMEOUT=30
STOP_TIMEOUT=10
SERVICES=(bastion bastion2 pg-tls pg-plain mariadb redis clickhouse http)

IS_ROOT=0; [[ $EUID -eq 0 ]] && IS_ROOT=1
CUR_USER="$(id -un)"
export PATH="$PATH:$SAFE_PATH"

# The newest PostgreSQL installed (Debian keeps each major version in its own folder).
find_pg_bin() {
  if [[ -n ${SECURECONNECT_LAB_PG_BIN:-} ]]; then printf '%s' "$SECURECONNECT_LAB_PG_BIN"; return 0; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  printf '%s' "${d:-/usr/lib/postgresql/NOT-INSTALLED/bin}"
}
PG_BIN="$(find_pg_bin)"
export LANG=C.UTF-8 LC_ALL=C.UTF-8 PGCLIENTENCODING=UTF8

# runtime flags
START_ACTIVE=0
INIT_JOBS=""
ERR_REPORTED=0
LOCKED=0

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
ts() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log_file() { if [[ -f $STATE/$MARKER ]]; then printf '%s %s\n' "$(ts)" "$*" >>"$LAB_LOG" 2>/dev/null || true; fi; }
info() { printf '[lab] %s\n' "$*" >&2; log_file "$*"; }
warn() { printf '[lab] WARNING: %s\n' "$*" >&2; log_file "WARNING: $*"; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; log_file "ERROR: $*"; ERR_REPORTED=1; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
quit() { trap - ERR; exit "$1"; }   # deliberate non-zero exit without the ERR report

# --------------------------------------------------------------------------
# requirements: checked before anything starts, installed when root
# --------------------------------------------------------------------------
program_path() { # program -> its path, or nothing
  case $1 in
    postgres|initdb) if [[ -x $PG_BIN/$1 ]]; then printf '%s' "$PG_BIN/$1"; fi ;;
    *) command -v "$1" 2>/dev/null || true ;;
  esac
}
missing_requirements() { # -> "program package" lines of what is missing
  local line prog pkg
  for line in "${REQUIREMENTS[@]}"; do
    read -r prog pkg <<<"$line"
    [[ -n "$(program_path "$prog")" ]] || printf '%s %s\n' "$prog" "$pkg"
  done
}
required_packages() { local line; for line in "${REQUIREMENTS[@]}"; do awk '{print $2}' <<<"$line"; done | sort -u | paste -sd' ' -; }
missing_summary() { # missing-lines -> sets MISSING_PROGRAMS MISSING_PACKAGES
  MISSING_PROGRAMS=$(awk '{print $1}' <<<"$1" | paste -sd' ' -)
  MISSING_PACKAGES=$(awk '{print $2}' <<<"$1" | sort -u | paste -sd' ' -)
}
install_hint() { # packages -> the exact command a user runs
  local sudo=""; [[ $IS_ROOT == 1 ]] || sudo="sudo "
  printf '%sapt-get update && %sDEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s' "$sudo" "$sudo" "$1"
}

cmd_check() {
  local missing
  missing=$(missing_requirements)
  if [[ -z $missing ]]; then
    info "all ${#REQUIREMENTS[@]} programs the lab uses are installed (PostgreSQL in $PG_BIN)"
    return 0
  fi
  missing_summary "$missing"
  printf '[lab] missing programs: %s\n[lab] install them with: %s\n' "$MISSING_PROGRAMS" "$(install_hint "$MISSING_PACKAGES")" >&2
  return 1
}

# Installs what is missing (root with apt-get), or stops with the one command that would.
ensure_requirements() {
  local missing rc=0 made_policy=0
  missing=$(missing_requirements)
  [[ -n $missing ]] || return 0
  missing_summary "$missing"
  if [[ $IS_ROOT != 1 || -z "$(command -v apt-get)" ]]; then
    local why="not root"; [[ $IS_ROOT == 1 ]] && why="no apt-get on this machine"
    die "the lab needs programs that are not installed: $MISSING_PROGRAMS. They cannot be installed here ($why). Install them with: $(install_hint "$MISSING_PACKAGES")"
  fi
  info "missing programs: $MISSING_PROGRAMS"
  info "installing Debian packages: $MISSING_PACKAGES (apt-get update first)"
  # The lab runs its own servers: the packages must not start their default daemons
  # (an sshd on the host's port 22, a PostgreSQL on 5432). invoke-rc.d asks policy-rc.d.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# written by SecureConnect lab.sh while it installs packages\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d; made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q --no-install-recommends $MISSING_PACKAGES; } >&2 || rc=$?
  [[ $made_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
  [[ $rc == 0 ]] || die "apt-get failed (exit $rc) installing: $MISSING_PACKAGES"
  PG_BIN="$(find_pg_bin)"
  missing=$(missing_requirements)
  if [[ -n $missing ]]; then
    missing_summary "$missing"
    die "still missing after apt-get install: $MISSING_PROGRAMS"
  fi
  info "installed: $MISSING_PACKAGES"
}

on_err() {
  local rc=$1 line=$2 cmd=$3
  if [[ $ERR_REPORTED == 0 && $BASHPID == "$$" ]]; then
    ERR_REPORTED=1
    printf '[lab] ERROR: command failed (rc=%s) at line %s: %s\n' "$rc" "$line" "$cmd" >&2
    log_file "ERROR: command failed (rc=$rc) at line $line: $cmd"
  fi
}
on_exit() {
  local rc=$?
  if [[ -n ${ST_TMP:-} ]]; then st_cleanup; fi
  if [[ $START_ACTIVE == 1 && $rc != 0 ]]; then
    START_ACTIVE=0
    set +e
    printf '[lab] start failed; tearing down what was started (logs kept in %s)\n' "$STATE" >&2
    log_file "start failed (rc=$rc); tearing down"
    kill_init_jobs
    do_stop quiet
  fi
  return $rc
}
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR
trap on_exit EXIT
trap 'ERR_REPORTED=1; printf "[lab] interrupted (SIGINT)\n" >&2; exit 130' INT
trap 'ERR_REPORTED=1; printf "[lab] interrupted (SIGTERM)\n" >&2; exit 143' TERM

# background initdb / mariadb-install-db jobs of an interrupted start
kill_init_jobs() {
  local j all=""
  for j in $INIT_JOBS; do all="$all $(proc_tree "$j" | tr '\n' ' ')"; done
  [[ -n ${all// /} ]] || return 0
  kill -TERM $all 2>/dev/null || true
  wait_gone 5 $all || { kill -KILL $all 2>/dev/null || true; wait_gone 3 $all || true; }
  INIT_JOBS=""
}

json_str() {
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}
json_str_or_null() { if [[ -n ${1:-} ]]; then json_str "$1"; else printf 'null'; fi; }
json_num_or_null() { if [[ -n ${1:-} ]]; then printf '%s' "$1"; else printf 'null'; fi; }
json_bool() { if [[ ${1:-0} == 1 ]]; then printf 'true'; else printf 'false'; fi; }

# run a command inside a namespace (or directly in loopback mode / empty ns)
nsexec() {
  local ns=$1; shift
  if [[ -n $ns ]]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# run as another OS user (only switches when root)
as_user() {
  local u=$1; shift
  if [[ $IS_ROOT == 1 && $u != root && $u != "$CUR_USER" ]]; then
    runuser -u "$u" -- "$@"
  else
    "$@"
  fi
}

mkdir_owned() { # dir mode user
  mkdir -p -- "$1"
  chmod "$2" -- "$1"
  if [[ $IS_ROOT == 1 ]]; then chown "$3:$(id -gn "$3")" -- "$1"; fi
}
install_file() { # src dst mode user
  cp -- "$1" "$2"
  chmod "$3" -- "$2"
  if [[ $IS_ROOT == 1 ]]; then chown "$4:$(id -gn "$4")" -- "$2"; fi
}

proc_state() { ps -o stat= -p "$1" 2>/dev/null | tr -d ' ' || true; }
is_alive() { # pid ; zombies count as dead
  local st
  [[ -n ${1:-} ]] || return 1
  st=$(proc_state "$1")
  [[ -n $st && $st != Z* ]]
}
proc_exe() { local e; e=$(readlink -f "/proc/$1/exe" 2>/dev/null || true); printf '%s' "${e% (deleted)}"; }
pid_matches() { # pid exe
  is_alive "$1" && [[ "$(proc_exe "$1")" == "$2" ]]
}
# print pid and all its descendants
proc_tree() {
  ps -e -o pid=,ppid= 2>/dev/null | awk -v r="$1" '
    { par[$1]=$2; ids[NR]=$1 }
    END { keep[r]=1; print r; ch=1
          while (ch) { ch=0
            for (i in ids) { q=ids[i]; if (!(q in keep) && (par[q] in keep)) { keep[q]=1; print q; ch=1 } } } }'
}
# wait (bounded) until all given pids are gone
wait_gone() { # timeout pid...
  local t=$1; shift
  local deadline=$((SECONDS + t)) p any
  while :; do
    any=0
    for p in "$@"; do if is_alive "$p"; then any=1; break; fi; done
    [[ $any == 0 ]] && return 0
    (( SECONDS >= deadline )) && return 1
    sleep 0.2
  done
}
# graceful signal to "graceful" pids, wait, then SIGKILL everything in "all"
terminate() { # sig "graceful pids" "all pids"
  local sig=$1 graceful=$2 all=$3 p
  [[ -n ${all// /} ]] || return 0
  for p in $graceful; do kill -s "$sig" "$p" 2>/dev/null || true; done
  if ! wait_gone "$STOP_TIMEOUT" $all; then
    for p in $all; do
      if is_alive "$p"; then warn "pid $p did not exit after ${STOP_TIMEOUT}s, sending SIGKILL"; kill -KILL "$p" 2>/dev/null || true; fi
    done
    wait_gone 5 $all || warn "some processes survived SIGKILL: $all"
  fi
}

pid_of() { # service -> pid if registered and alive with expected exe
  local f="$PIDS/$1" pid exe
  [[ -f $f ]] || return 1
  read -r pid exe <"$f" || return 1
  pid_matches "$pid" "$exe" || return 1
  printf '%s' "$pid"
}

random_password() { openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | cut -c1-24; }

# port_in_use PORT [ADDRESS]: a listener on the port (on that address, or on every address).
port_in_use() {
  if [[ -n ${2:-} ]]; then
    [[ -n "$(ss -Hltn "( src $2 or src 0.0.0.0 or src [::] ) and sport = :$1" 2>/dev/null)" ]]
  else
    [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]
  fi
}

acquire_lock() {
  [[ $LOCKED == 1 ]] && return 0
  [[ -d $STATE ]] || return 0
  exec 9>>"$STATE/.lock"
  if ! flock -w 120 9; then die "another lab.sh is operating on $STATE (lock timeout)"; fi
  LOCKED=1
}

load_state() { if [[ -f $STATE_ENV ]]; then # shellcheck disable=SC1090
  source "$STATE_ENV"; fi; }
save_state() { # var...
  local v
  umask 077
  { for v in "$@"; do printf '%s=%q\n' "$v" "${!v-}"; done; } >>"$STATE_ENV"
  umask 022
}

# --------------------------------------------------------------------------
# launching daemons
# --------------------------------------------------------------------------
# launch <service> <exe> <netns|""> <user> <logfile> <cmd...>
# The chain setsid -> ip netns exec -> setpriv -> env only exec()s, so $! is
# the daemon pid. stdin/stdout/stderr are detached from the caller.
launch() {
  local name=$1 exe=$2 ns=$3 user=$4 logf=$5; shift 5
  local -a pre=(setsid)
  [[ -n $ns ]] && pre+=(ip netns exec "$ns")
  if [[ $IS_ROOT == 1 && -n $user && $user != root ]]; then
    pre+=(setpriv --reuid="$user" --regid="$(id -gn "$user")" --init-groups)
  fi
  pre+=(env -i "PATH=$SAFE_PATH" "LANG=C.UTF-8" "TZ=UTC" "HOME=$STATE")
  ( cd / && exec "${pre[@]}" "$@" ) </dev/null >>"$logf" 2>&1 9>&- &
  local pid=$!
  printf '%s %s\n' "$pid" "$(readlink -f "$exe")" >"$PIDS/$name"
  LAST_PID=$pid
}
# the subshell "( cd / && exec ...)" execs too, so $! is still the daemon pid.

# reconcile: if the launched pid is not the daemon (e.g. setsid had to fork),
# take the pid from the daemon's own pid file.
reconcile_pid() { # service daemon-pidfile
  local f="$PIDS/$1" pid exe dp
  read -r pid exe <"$f"
  if pid_matches "$pid" "$exe"; then return 0; fi
  if [[ -f $2 ]]; then
    dp=$(head -n1 "$2" | tr -dc '0-9')
    if [[ -n $dp ]] && pid_matches "$dp" "$exe"; then printf '%s %s\n' "$dp" "$exe" >"$f"; return 0; fi
  fi
  return 0
}

log_tails() { # comma-separated list of log files
  local f
  local IFS=,
  for f in $1; do
    if [[ -s $f ]]; then printf -- '--- %s (last lines)\n' "$f"; tail -n 20 "$f"; fi
  done
}
wait_ready() { # service pid logfile[,logfile...] check-cmd...
  local name=$1 pid=$2 logf=$3; shift 3
  local deadline=$((SECONDS + READY_TIMEOUT))
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! is_alive "$pid"; then
      die "$name exited during startup; see ${logf//,/ }"$'\n'"$(log_tails "$logf")"
    fi
    if (( SECONDS >= deadline )); then
      die "$name not ready after ${READY_TIMEOUT}s; see ${logf//,/ }"$'\n'"$(log_tails "$logf")"
    fi
    sleep 0.2
  done
}

tcp_open() { nsexec "$1" nc -z -w 2 "$2" "$3"; }   # ns host port

# --------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------
netns_owner() { cat "$OWNER_FILE" 2>/dev/null || true; }
netns_exists() { [[ -e /run/netns/$1 ]]; }

netns_teardown() {
  local owner ns p pids
  owner=$(netns_owner)
  if [[ -n $owner && $owner != "$STATE" ]]; then
    if netns_exists "$NS_B" || netns_exists "$NS_D"; then
      warn "lab namespaces belong to the lab in $owner; not touching them"
    fi
    return 0
  fi
  [[ $IS_ROOT == 1 ]] || return 0
  # last-resort sweep: anything still living in the lab namespaces was started
  # inside them (by the lab or by tests through 'ip netns exec').
  for ns in "$NS_B" "$NS_D"; do
    netns_exists "$ns" || continue
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ' || true)
    if [[ -n ${pids// /} ]]; then
      warn "killing leftover processes in namespace $ns: $pids"
      terminate TERM "$pids" "$pids"
    fi
  done
  ip link del "$VETH_HOST" 2>/dev/null || true
  for ns in "$NS_D" "$NS_B"; do
    if netns_exists "$ns"; then ip netns del "$ns" 2>/dev/null || warn "could not delete namespace $ns"; fi
  done
  while ip route del unreachable "$NET_GUARD_ROUTE" 2>/dev/null; do :; done
  for ns in "$NS_B" "$NS_D"; do
    rm -f "/etc/netns/$ns/hosts"
    rmdir "/etc/netns/$ns" 2>/dev/null || true
  done
  if [[ -f $OWNER_DIR/created-etc-netns ]]; then rmdir /etc/netns 2>/dev/null || true; fi
  rm -f "$OWNER_FILE" "$OWNER_DIR/created-etc-netns"
  rmdir "$OWNER_DIR" 2>/dev/null || true
}

write_hosts_file() { # ns extra-lines
  mkdir -p "/etc/netns/$1"
  chmod 0755 "/etc/netns/$1"
  printf '127.0.0.1 localhost\n%s\n' "$2" >"/etc/netns/$1/hosts"
  chmod 0644 "/etc/netns/$1/hosts"
}

netns_setup() {
  # called after $NS_B was created successfully by choose_mode
  mkdir -p "$OWNER_DIR"; chmod 0755 "$OWNER_DIR"
  printf '%s\n' "$STATE" >"$OWNER_FILE"
  if [[ ! -d /etc/netns ]]; then mkdir -p /etc/netns; : >"$OWNER_DIR/created-etc-netns"; fi
  local dbnames="db.lab.internal pg.lab.internal mariadb.lab.internal redis.lab.internal clickhouse.lab.internal http.lab.internal bastion2.lab.internal"
  write_hosts_file "$NS_B" "$NET_BASTION_ADDR bastion.lab.internal
$NET_DB_ADDR $dbnames"
  write_hosts_file "$NS_D" "$NET_DB_ADDR $dbnames
$NET_BASTION_DB_ADDR bastion.lab.internal"

  ip netns add "$NS_D"
  ip link add "$VETH_HOST" type veth peer name "$VETH_B_HOST" netns "$NS_B"
  ip link add "$VETH_B_DB" netns "$NS_B" type veth peer name "$VETH_DB" netns "$NS_D"

  sysctl -qw "net.ipv6.conf.$VETH_HOST.disable_ipv6=1" 2>/dev/null || true
  ip addr add "$NET_HOST_ADDR/24" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up

  ip -n "$NS_B" link set lo up
  ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=0
  ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
  ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
  ip -n "$NS_B" addr add "$NET_BASTION_ADDR/24" dev "$VETH_B_HOST"
  ip -n "$NS_B" addr add "$NET_BASTION_DB_ADDR/24" dev "$VETH_B_DB"
  ip -n "$NS_B" link set "$VETH_B_HOST" up
  ip -n "$NS_B" link set "$VETH_B_DB" up

  ip -n "$NS_D" link set lo up
  ip netns exec "$NS_D" sysctl -qw net.ipv4.ip_forward=0
  ip netns exec "$NS_D" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
  ip netns exec "$NS_D" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
  ip -n "$NS_D" addr add "$NET_DB_ADDR/24" dev "$VETH_DB"
  ip -n "$NS_D" link set "$VETH_DB" up

  # no packet for a lab address ever leaves the machine; the connected
  # 10.231.1.0/24 route on the host veth is more specific and still wins.
  ip route add unreachable "$NET_GUARD_ROUTE"
}

choose_mode() {
  choose_mode_inner
  if [[ $MODE == loopback && ${SECURECONNECT_LAB_REQUIRE_NETNS:-0} == 1 ]]; then
    die "SECURECONNECT_LAB_REQUIRE_NETNS=1 (CI) refuses the loopback lab, whose tests of isolation, link cuts and pg_hba cannot run: $MODE_REASON"
  fi
}
choose_mode_inner() {
  MODE=loopback; MODE_REASON=""
  if [[ ${SECURECONNECT_LAB_NO_NETNS:-0} == 1 ]]; then MODE_REASON="SECURECONNECT_LAB_NO_NETNS=1"; return 0; fi
  if [[ $IS_ROOT != 1 ]]; then MODE_REASON="not root"; return 0; fi
  if ! have ip; then MODE_REASON="iproute2 (ip) not installed"; return 0; fi
  if ip -4 addr show 2>/dev/null | grep -q 'inet 10\.231\.'; then
    die "10.231.0.0/16 is already used on this host (ip -4 addr); cannot build the lab network"
  fi
  if [[ -n "$(ip -4 route show "$NET_GUARD_ROUTE" 2>/dev/null)" ]]; then
    die "a route for $NET_GUARD_ROUTE already exists on this host; run 'lab.sh stop' or remove it"
  fi
  local err
  if ! err=$(ip netns add "$NS_B" 2>&1); then MODE_REASON="ip netns add failed: $err"; return 0; fi
  if ! err=$(ip netns exec "$NS_B" true 2>&1); then
    ip netns del "$NS_B" 2>/dev/null || true
    MODE_REASON="ip netns exec failed: $err"; return 0
  fi
  MODE=netns; MODE_REASON="root with network namespaces"
}

# --------------------------------------------------------------------------
# certificates
# --------------------------------------------------------------------------
make_ca() { # name CN
  local d="$STATE/ca" n=$1
  cat >"$d/$n.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
O = SecureConnect Lab
CN = $2
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
  ( umask 077; openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -config "$d/$n.cnf" -keyout "$d/$n.key" -out "$d/$n.crt" ) >>"$d/openssl.log" 2>&1
  chmod 0600 "$d/$n.key"; chmod 0644 "$d/$n.crt"
}

make_certs() {
  local d="$STATE/ca"
  mkdir -p "$d"; chmod 0755 "$d"
  make_ca lab-ca "SecureConnect Lab CA"
  make_ca rogue-ca "SecureConnect Rogue CA (signs nothing)"
  # Never localhost or 127.0.0.1: a tunnel's local end is 127.0.0.1, so a certificate naming it would let a
  # client that checks the name against the tunnel (instead of the database) pass VerifyFull.
  local san="DNS:db.lab.internal,DNS:pg.lab.internal,DNS:mariadb.lab.internal,DNS:redis.lab.internal"
  san="$san,DNS:clickhouse.lab.internal,DNS:http.lab.internal,IP:$DB_ADDR"
  [[ $DB_ADDR != 127.0.0.1 ]] || die "internal error: the database address must not be 127.0.0.1"
  cat >"$d/server.ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
EOF
  ( umask 077
    openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/O=SecureConnect Lab/CN=db.lab.internal" \
      -keyout "$d/server.key" -out "$d/server.csr"
    openssl x509 -req -sha256 -days 365 -in "$d/server.csr" -CA "$d/lab-ca.crt" -CAkey "$d/lab-ca.key" \
      -CAcreateserial -extfile "$d/server.ext" -out "$d/server.crt" ) >>"$d/openssl.log" 2>&1
  chmod 0600 "$d/server.key"; chmod 0644 "$d/server.crt"
  openssl verify -CAfile "$d/lab-ca.crt" "$d/server.crt" >>"$d/openssl.log" 2>&1 \
    || die "generated server certificate does not verify against the lab CA"
}

# --------------------------------------------------------------------------
# sshd (bastion, bastion2)
# --------------------------------------------------------------------------
ensure_bastion_user() {
  if [[ $IS_ROOT != 1 ]]; then BASTION_USER=$CUR_USER; return 0; fi
  BASTION_USER=sclab
  if ! getent passwd sclab >/dev/null; then
    useradd --system --create-home --home-dir /home/sclab --shell /bin/sh --user-group sclab
    info "created system user sclab"
  fi
  # useradd leaves '!' in shadow; with UsePAM no, sshd treats that as locked.
  local sh; sh=$(getent shadow sclab | cut -d: -f2)
  if [[ $sh == '!'* || -z $sh ]]; then usermod -p '*' sclab; fi
  local home; home=$(getent passwd sclab | cut -d: -f6)
  if [[ ! -d $home ]]; then mkdir -p "$home"; chown sclab:"$(id -gn sclab)" "$home"; chmod 0755 "$home"; fi
}

write_sshd_config() { # cfg listen_addr port hostkey pidfile
  cat >"$1" <<EOF
# generated by SecureConnect lab.sh
Port $3
ListenAddress $2
AddressFamily inet
HostKey $4
PidFile $5
AuthorizedKeysFile $STATE/authorized_keys
AllowUsers $BASTION_USER
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitEmptyPasswords no
UsePAM no
StrictModes no
LogLevel VERBOSE
AllowTcpForwarding yes
PermitOpen any
GatewayPorts no
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
ClientAliveInterval 0
MaxStartups 100:30:200
MaxSessions 100
MaxAuthTries 10
LoginGraceTime 60
UseDNS no
PrintMotd no
PrintLastLog no
Subsystem sftp internal-sftp
EOF
  if [[ ${SSHD_HAS_PENALTIES:-0} == 1 ]]; then echo "PerSourcePenalties no" >>"$1"; fi
}

probe_sshd_features() { # cfg
  SSHD_HAS_PENALTIES=0
  local tmp="$1.probe"
  { cat "$1"; echo "PerSourcePenalties no"; } >"$tmp"
  if /usr/sbin/sshd -t -f "$tmp" >/dev/null 2>&1; then SSHD_HAS_PENALTIES=1; echo "PerSourcePenalties no" >>"$1"; fi
  rm -f "$tmp"
}

gen_host_key() { # path
  rm -f "$1" "$1.pub"
  ssh-keygen -q -t ed25519 -N '' -C "secureconnect-lab@$(basename "$(dirname "$1")")" -f "$1" >/dev/null
  chmod 0600 "$1"; chmod 0644 "$1.pub"
}

# bastion: listener in $NS_B (or loopback); bastion2: in $NS_D
sshd_paths() { # service -> sets SD_DIR SD_CFG SD_KEY SD_PID SD_LOG SD_NS SD_ADDR SD_PORT
  case $1 in
    bastion)  SD_DIR=$STATE; SD_NS=$BASTION_NS; SD_ADDR=$BASTION_ADDR; SD_PORT=$BASTION_PORT ;;
    bastion2) SD_DIR=$STATE/bastion2; SD_NS=$DB_NS; SD_ADDR=$DB_ADDR; SD_PORT=$BASTION2_PORT ;;
  esac
  SD_CFG=$SD_DIR/sshd_config; SD_KEY=$SD_DIR/ssh_host_ed25519_key; SD_PID=$SD_DIR/sshd.pid; SD_LOG=$SD_DIR/sshd.log
}

sshd_launch() { # service
  sshd_paths "$1"
  : >>"$SD_LOG"
  launch "$1" /usr/sbin/sshd "$SD_NS" root "$SD_LOG" /usr/sbin/sshd -D -f "$SD_CFG" -E "$SD_LOG"
}

sshd_ready_check() { # service
  sshd_paths "$1"
  local ns=$SD_NS
  # bastion2 is only reachable from the bastion namespace
  [[ $1 == bastion2 && $MODE == netns ]] && ns=$NS_B
  [[ $1 == bastion && $MODE == netns ]] && ns=""
  tcp_open "$ns" "$SD_ADDR" "$SD_PORT"
}

install_auth_hook() { # cfg -- root only: the bastion's keys come from a hook that first sleeps $AUTH_DELAY_FILE seconds
  [[ $IS_ROOT == 1 ]] || return 0
  rm -f "$AUTH_DELAY_FILE"
  mkdir -p "$AUTH_HOOK_DIR"; chown root:root "$AUTH_HOOK_DIR"; chmod 0755 "$AUTH_HOOK_DIR"
  {
    printf '#!/bin/sh\n'
    printf '# SecureConnect lab: delays the bastion authentication by the seconds in %s (lab.sh auth-delay N).\n' "$AUTH_DELAY_FILE"
    printf '# sshd reads authorized_keys files before this command, so the keys are served from here, after the delay.\n'
    printf 'd=$(cat "%s" 2>/dev/null) || d=0\n' "$AUTH_DELAY_FILE"
    printf 'case "$d" in ""|*[!0-9]*) d=0 ;; esac\n'
    printf '[ "$d" -gt 0 ] && sleep "$d"\n'
    printf 'cat "%s" 2>/dev/null\n' "$STATE/authorized_keys"
    printf 'exit 0\n'
  } >"$AUTH_HOOK_DIR/auth-delay"
  chown root:root "$AUTH_HOOK_DIR/auth-delay"; chmod 0755 "$AUTH_HOOK_DIR/auth-delay"
  sed -i "s#^AuthorizedKeysFile .*#AuthorizedKeysFile none#" "$1"
  printf 'AuthorizedKeysCommand %s/auth-delay %%u\nAuthorizedKeysCommandUser root\n' "$AUTH_HOOK_DIR" >>"$1"
}

cmd_auth_delay() { # seconds
  local secs=${1:-}
  [[ $secs =~ ^[0-9]+$ && $secs -le 60 ]] || die "usage: lab.sh auth-delay <seconds 0-60>"
  require_running
  [[ -x $AUTH_HOOK_DIR/auth-delay ]] || die "auth-delay needs the lab started as root (the sshd hook is not installed)"
  if [[ $secs == 0 ]]; then rm -f "$AUTH_DELAY_FILE"; else printf '%s\n' "$secs" >"$AUTH_DELAY_FILE.tmp"; mv -f "$AUTH_DELAY_FILE.tmp" "$AUTH_DELAY_FILE"; fi
  info "bastion authentication delay: ${secs}s"
}

sshd_setup() { # service
  sshd_paths "$1"
  mkdir -p "$SD_DIR"; chmod 0755 "$SD_DIR"
  gen_host_key "$SD_KEY"
  write_sshd_config "$SD_CFG" "$SD_ADDR" "$SD_PORT" "$SD_KEY" "$SD_PID"
  [[ $1 == bastion ]] && probe_sshd_features "$SD_CFG"
  [[ $1 == bastion ]] && install_auth_hook "$SD_CFG"
  [[ $1 == bastion2 && ${SSHD_HAS_PENALTIES:-0} == 1 ]] && echo "PerSourcePenalties no" >>"$SD_CFG"
  local err
  err=$(/usr/sbin/sshd -t -f "$SD_CFG" 2>&1) || die "sshd config test failed for $1: $err"
}

# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------
pg_init() { # service port ssl(0|1)   -- runs initdb + writes config (no start)
  local name=$1 port=$2 ssl=$3 dir=$STATE/$1
  mkdir_owned "$dir" 0700 "$PG_OSUSER"
  as_user "$PG_OSUSER" "$PG_BIN/initdb" -D "$dir/data" -U "$PG_SUPER" -E UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 -N >"$dir/initdb.log" 2>&1
  if [[ $ssl == 1 ]]; then
    install_file "$STATE/ca/server.crt" "$dir/server.crt" 0644 "$PG_OSUSER"
    install_file "$STATE/ca/server.key" "$dir/server.key" 0600 "$PG_OSUSER"
  fi
  cat >>"$dir/data/postgresql.conf" <<EOF

# ---- SecureConnect lab ----
listen_addresses = '$DB_ADDR'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
password_encryption = 'scram-sha-256'
ssl = $([[ $ssl == 1 ]] && echo on || echo off)
EOF
  if [[ $ssl == 1 ]]; then
    cat >>"$dir/data/postgresql.conf" <<EOF
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
ssl_min_protocol_version = 'TLSv1.2'
EOF
  fi
  cat >>"$dir/data/postgresql.conf" <<EOF
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
log_connections = on
log_disconnections = on
log_line_prefix = '%m [%p] %q%u@%d/%h '
EOF
  cat >"$dir/data/pg_hba.conf" <<EOF
# generated by SecureConnect lab.sh
# TYPE   DATABASE USER          ADDRESS      METHOD
local    all      $PG_SUPER     peer
hostssl  all      all           0.0.0.0/0    scram-sha-256
host     all      all           0.0.0.0/0    scram-sha-256
EOF
}

pg_psql_super() { # service port [psql args...]
  local dir=$STATE/$1 port=$2; shift 2
  as_user "$PG_OSUSER" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U "$PG_SUPER" "$@"
}
pg_ready_check() { # service port
  pg_psql_super "$1" "$2" -d postgres -tAc 'select 1' && tcp_open "$DB_NS" "$DB_ADDR" "$2"
}

PEOPLE_ROWS="(1, 'Ada Lovelace',   'ada@example.test',   98.50, '2024-01-15 09:30:00+00', 'first programmer'),
  (2, 'Alan Turing',    'alan@example.test',  97.25, '2024-02-01 12:00:00+00', 'codebreaker'),
  (3, 'Grace Hopper',   'grace@example.test', 99.00, '2024-03-10 08:15:00+00', NULL),
  (4, 'Zoë Müller',     'zoe@example.test',   75.10, '2024-04-22 17:45:30+00', 'unicode name'),
  (5, 'Linus Torvalds', 'linus@example.test', 88.88, '2024-05-05 05:05:05+00', 'kernel')"

pg_seed() { # service port
  pg_psql_super "$1" "$2" -d postgres <<EOF
CREATE ROLE sc_app LOGIN PASSWORD '$DB_PASSWORD';
CREATE DATABASE scdemo OWNER sc_app;
EOF
  pg_psql_super "$1" "$2" -d scdemo <<EOF
SET ROLE sc_app;
CREATE TABLE public.people (
  id     int PRIMARY KEY,
  name   text NOT NULL,
  email  text NOT NULL,
  score  numeric(10,2) NOT NULL,
  joined timestamptz NOT NULL,
  note   text NULL
);
INSERT INTO public.people (id, name, email, score, joined, note) VALUES
  $PEOPLE_ROWS;
EOF
}

# --------------------------------------------------------------------------
# MariaDB
# --------------------------------------------------------------------------
MY_DIR() { printf '%s' "$STATE/mariadb"; }
my_init() {
  local dir; dir=$(MY_DIR)
  mkdir_owned "$dir" 0750 "$MY_OSUSER"
  mkdir_owned "$dir/tmp" 0700 "$MY_OSUSER"
  install_file "$STATE/ca/server.crt" "$dir/server.crt" 0644 "$MY_OSUSER"
  install_file "$STATE/ca/server.key" "$dir/server.key" 0600 "$MY_OSUSER"
  install_file "$STATE/ca/lab-ca.crt" "$dir/ca.crt" 0644 "$MY_OSUSER"
  local -a u=(); [[ $IS_ROOT == 1 ]] && u=(--user="$MY_OSUSER")
  mariadb-install-db --no-defaults --datadir="$dir/data" "${u[@]}" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    --innodb-log-file-size=16M --innodb-buffer-pool-size=32M --tmpdir="$dir/tmp" \
    >"$dir/install.log" 2>&1
}
my_launch() {
  local dir; dir=$(MY_DIR)
  local -a u=(); [[ $IS_ROOT == 1 ]] && u=(--user="$MY_OSUSER")
  : >>"$dir/mariadbd.log"; [[ $IS_ROOT == 1 ]] && chown "$MY_OSUSER:" "$dir/mariadbd.log"
  launch mariadb "$MARIADBD" "$DB_NS" root "$dir/mariadbd.stdout.log" \
    "$MARIADBD" --no-defaults --datadir="$dir/data" "${u[@]}" \
    --socket="$dir/mariadb.sock" --port="$MARIADB_PORT" --bind-address="$DB_ADDR" \
    --pid-file="$dir/mariadbd.pid" --log-error="$dir/mariadbd.log" --tmpdir="$dir/tmp" \
    --ssl-ca="$dir/ca.crt" --ssl-cert="$dir/server.crt" --ssl-key="$dir/server.key" \
    --skip-name-resolve --max-connections=200 --innodb-buffer-pool-size=32M \
    --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --default-time-zone=+00:00
  ln -sfn "$dir/mariadb.sock" "$STATE/mariadb.sock"
}
my_root() { mariadb --no-defaults --socket="$(MY_DIR)/mariadb.sock" -u root "$@"; }
my_ready_check() { my_root -N -e 'select 1' && tcp_open "$DB_NS" "$DB_ADDR" "$MARIADB_PORT"; }
my_seed() {
  local anon
  # drop anonymous users and the password-less TCP root accounts that
  # --auth-root-authentication-method=normal creates; root@localhost (unix
  # socket only, socket dir is 0750) stays for setup.
  anon=$(my_root -N -e "select concat(quote(User),'@',quote(Host)) from mysql.user where User='' or (User='root' and Host<>'localhost')" | paste -sd, -)
  my_root <<EOF
${anon:+DROP USER $anon;}
CREATE DATABASE scdemo CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'sc_app'@'%' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON scdemo.* TO 'sc_app'@'%';
FLUSH PRIVILEGES;
SET time_zone = '+00:00';
CREATE TABLE scdemo.people (
  id     INT PRIMARY KEY,
  name   VARCHAR(200) NOT NULL,
  email  VARCHAR(200) NOT NULL,
  score  DECIMAL(10,2) NOT NULL,
  joined DATETIME NOT NULL,
  note   TEXT NULL
) ENGINE=InnoDB;
INSERT INTO scdemo.people (id, name, email, score, joined, note) VALUES
  $(sed 's/+00'"'"'/'"'"'/g' <<<"$PEOPLE_ROWS");
EOF
}

# --------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------
redis_init() {
  local dir=$STATE/redis
  mkdir_owned "$dir" 0750 "$REDIS_OSUSER"
  cat >"$dir/redis.conf" <<EOF
# generated by SecureConnect lab.sh
bind $DB_ADDR
port $REDIS_PORT
protected-mode no
daemonize no
supervised no
save ""
appendonly no
dir $dir
pidfile $dir/redis.pid
logfile $dir/redis.log
loglevel notice
databases 16
EOF
  chmod 0644 "$dir/redis.conf"
  : >>"$dir/redis.log"; [[ $IS_ROOT == 1 ]] && chown "$REDIS_OSUSER:" "$dir/redis.log"
  return 0
}
redis_ping() { [[ "$(nsexec "$DB_NS" redis-cli -h "$DB_ADDR" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

# --------------------------------------------------------------------------
# ClickHouse (Debian's 18.16): HTTP and HTTPS (the lab certificate) for the tests, the native port only for seeding
# --------------------------------------------------------------------------
CH_DIR() { printf '%s' "$STATE/clickhouse"; }
ch_init() {
  local dir; dir=$(CH_DIR)
  mkdir_owned "$dir" 0750 "$CH_OSUSER"
  local d; for d in data tmp user_files format_schemas; do mkdir_owned "$dir/$d" 0750 "$CH_OSUSER"; done
  install_file "$STATE/ca/server.crt" "$dir/server.crt" 0644 "$CH_OSUSER"
  install_file "$STATE/ca/server.key" "$dir/server.key" 0600 "$CH_OSUSER"
  local app_hash admin_hash
  app_hash=$(printf '%s' "$DB_PASSWORD" | sha256sum | cut -d' ' -f1)
  admin_hash=$(printf '%s' "$CH_ADMIN_PASSWORD" | sha256sum | cut -d' ' -f1)
  cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<!-- generated by SecureConnect lab.sh -->
<yandex>
  <logger><level>information</level><log>$dir/clickhouse.log</log><errorlog>$dir/clickhouse.err.log</errorlog><console>0</console></logger>
  <listen_host>$DB_ADDR</listen_host>
  <http_port>$CH_HTTP_PORT</http_port>
  <https_port>$CH_HTTPS_PORT</https_port>
  <tcp_port>$CH_TCP_PORT</tcp_port>
  <openSSL><server>
    <certificateFile>$dir/server.crt</certificateFile>
    <privateKeyFile>$dir/server.key</privateKeyFile>
    <verificationMode>none</verificationMode>
    <loadDefaultCAFile>false</loadDefaultCAFile>
    <cacheSessions>true</cacheSessions>
    <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
    <preferServerCiphers>true</preferServerCiphers>
  </server></openSSL>
  <max_connections>200</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>50</max_concurrent_queries>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mark_cache_size>67108864</mark_cache_size>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
EOF
  cat >"$dir/users.xml" <<EOF
<?xml version="1.0"?>
<!-- generated by SecureConnect lab.sh: 'default' seeds the lab, 'sc_app' is the tests' login -->
<yandex>
  <profiles>
    <default><max_memory_usage>1000000000</max_memory_usage></default>
  </profiles>
  <users>
    <default><password_sha256_hex>$admin_hash</password_sha256_hex><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default>
    <sc_app><password_sha256_hex>$app_hash</password_sha256_hex><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota><allow_databases><database>scdemo</database><database>system</database></allow_databases></sc_app>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
  ( umask 077; cat >"$dir/client.xml" <<EOF
<?xml version="1.0"?>
<config><host>$DB_ADDR</host><port>$CH_TCP_PORT</port><user>default</user><password>$CH_ADMIN_PASSWORD</password></config>
EOF
  )
  chmod 0640 "$dir/config.xml" "$dir/users.xml"
  if [[ $IS_ROOT == 1 ]]; then chown "$CH_OSUSER:" "$dir/config.xml" "$dir/users.xml"; fi
  return 0
}
ch_client() { nsexec "$DB_NS" clickhouse-client --config-file="$(CH_DIR)/client.xml" "$@"; }
ch_ready_check() { [[ "$(ch_client --query 'SELECT 1' 2>/dev/null)" == 1 ]] && tcp_open "$DB_NS" "$DB_ADDR" "$CH_HTTPS_PORT"; }
ch_seed() {
  # clickhouse-client 18.16 reads an INSERT's VALUES to the end of its line: one line each
  local rows; rows=$(sed 's/+00'"'"'/'"'"'/g' <<<"$PEOPLE_ROWS" | tr '\n' ' ')
  ch_client --multiquery <<EOF
CREATE DATABASE scdemo;
CREATE TABLE scdemo.people (
  id UInt32, name String, email String, score Decimal(10,2), joined DateTime, note Nullable(String)
) ENGINE = MergeTree ORDER BY id;
INSERT INTO scdemo.people (id, name, email, score, joined, note) VALUES $rows;
CREATE TABLE scdemo.types (
  id UInt8, i8 Int8, i16 Int16, i32 Int32, i64 Int64, u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64,
  f32 Float32, f64 Float64, dec Decimal(18,4), s String, fs FixedString(4), d Date, dt DateTime,
  dtz DateTime('Europe/Berlin'), uuid UUID, e Enum8('red' = 1, 'green' = 2), n Nullable(Int32),
  arr Array(Int32), arrs Array(String), arrn Array(Nullable(Int32))
) ENGINE = MergeTree ORDER BY id;
INSERT INTO scdemo.types VALUES (1, -128, -32768, -2147483648, -9223372036854775808, 255, 65535, 4294967295, 18446744073709551615, 1.5, -2.25, 12345678901234.5678, 'tab\there, newline\nthere, back\\\\slash, quote '' and Zoë', 'abcd', '2024-02-29', '2024-01-15 09:30:00', '2024-07-01 12:00:00', '01234567-89ab-cdef-0123-456789abcdef', 'green', NULL, [1, 2, 3], ['a', 'b''c', 'd,e'], [1, NULL, 3]), (2, 0, 0, 0, 0, 0, 0, 0, 0, inf, nan, 0, '', 'ab', '1970-01-02', '2000-01-01 00:00:00', '2000-01-01 00:00:00', '00000000-0000-0000-0000-000000000000', 'red', 42, [], [], []);
EOF
}

# --------------------------------------------------------------------------
# A small HTTP service (node) in the database namespace: what a saved SSH Tunnel integration reaches
# --------------------------------------------------------------------------
http_init() {
  local dir=$STATE/http
  mkdir_owned "$dir" 0755 root
  cat >"$dir/server.js" <<'EOF'
// generated by SecureConnect lab.sh: answers every request with what it saw, as JSON
const http = require('http');
const [address, port] = process.argv.slice(2);
http.createServer((request, response) => {
  const body = JSON.stringify({ service: 'secureconnect-lab-http', method: request.method, path: request.url, host: request.headers.host || null });
  response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}).listen(Number(port), address);
EOF
  chmod 0644 "$dir/server.js"
  : >>"$dir/http.log"
  if [[ $IS_ROOT == 1 ]]; then chown "$HTTP_OSUSER:" "$dir/http.log"; fi
  return 0
}
http_ready_check() { tcp_open "$DB_NS" "$DB_ADDR" "$HTTP_PORT"; }

# --------------------------------------------------------------------------
# endpoints
# --------------------------------------------------------------------------
host_key_fp() { { ssh-keygen -l -E sha256 -f "$1" 2>/dev/null || true; } | awk '{print $2}'; }
cur_pid() { pid_of "$1" 2>/dev/null || true; }

write_endpoints() {
  load_state
  local tmp="$ENDPOINTS.tmp" ns_b_json ns_d_json net_json
  ns_b_json=$(json_str_or_null "$BASTION_NS"); ns_d_json=$(json_str_or_null "$DB_NS")
  if [[ $MODE == netns ]]; then
    net_json="{ \"hostAddress\": \"$NET_HOST_ADDR\", \"bastionAddress\": \"$NET_BASTION_ADDR\", \"bastionDbSideAddress\": \"$NET_BASTION_DB_ADDR\", \"dbAddress\": \"$NET_DB_ADDR\", \"hostInterface\": \"$VETH_HOST\", \"bastionInterface\": \"$VETH_B_HOST\" }"
  else
    net_json=null
  fi
  umask 077
  {
    printf '{\n'
    printf '  "mode": %s,\n' "$(json_str "$MODE")"
    printf '  "modeReason": %s,\n' "$(json_str "$MODE_REASON")"
    printf '  "stateDir": %s,\n' "$(json_str "$STATE")"
    printf '  "endpointsPath": %s,\n' "$(json_str "$ENDPOINTS")"
    printf '  "createdAt": %s,\n' "$(json_str "$CREATED_AT")"
    printf '  "bastion": {\n'
    printf '    "available": %s,\n' "$(json_bool "$BASTION_AVAILABLE")"
    [[ $BASTION_AVAILABLE == 1 ]] || printf '    "reason": %s,\n' "$(json_str "$BASTION_REASON")"
    printf '    "host": %s,\n' "$(json_str "$BASTION_ADDR")"
    printf '    "hostName": %s,\n' "$(json_str "$BASTION_ADDR")"
    printf '    "port": %s,\n' "$BASTION_PORT"
    printf '    "user": %s,\n' "$(json_str "$BASTION_USER")"
    printf '    "authorizedKeysPath": %s,\n' "$(json_str "$STATE/authorized_keys")"
    printf '    "hostKeyPath": %s,\n' "$(json_str "$STATE/ssh_host_ed25519_key.pub")"
    printf '    "hostKeyType": "ssh-ed25519",\n'
    printf '    "hostKeyFingerprint": %s,\n' "$(json_str_or_null "$(host_key_fp "$STATE/ssh_host_ed25519_key.pub")")"
    printf '    "configPath": %s,\n' "$(json_str "$STATE/sshd_config")"
    printf '    "logPath": %s,\n' "$(json_str "$STATE/sshd.log")"
    printf '    "authDelayAvailable": %s,\n' "$(json_bool "$([[ -x $AUTH_HOOK_DIR/auth-delay ]] && echo 1 || echo 0)")"
    printf '    "pid": %s,\n' "$(json_num_or_null "$(cur_pid bastion)")"
    printf '    "namespace": %s\n' "$ns_b_json"
    printf '  },\n'
    printf '  "bastion2": {\n'
    printf '    "available": %s,\n' "$(json_bool "$BASTION2_AVAILABLE")"
    [[ $BASTION2_AVAILABLE == 1 ]] || printf '    "reason": %s,\n' "$(json_str "$BASTION2_REASON")"
    printf '    "host": %s,\n' "$(json_str "$DB_ADDR")"
    printf '    "hostName": %s,\n' "$(json_str "$BASTION2_HOSTNAME")"
    printf '    "port": %s,\n' "$BASTION2_PORT"
    printf '    "user": %s,\n' "$(json_str "$BASTION_USER")"
    printf '    "authorizedKeysPath": %s,\n' "$(json_str "$STATE/authorized_keys")"
    printf '    "hostKeyPath": %s,\n' "$(json_str "$STATE/bastion2/ssh_host_ed25519_key.pub")"
    printf '    "hostKeyType": "ssh-ed25519",\n'
    printf '    "hostKeyFingerprint": %s,\n' "$(json_str_or_null "$(host_key_fp "$STATE/bastion2/ssh_host_ed25519_key.pub")")"
    printf '    "logPath": %s,\n' "$(json_str "$STATE/bastion2/sshd.log")"
    printf '    "pid": %s,\n' "$(json_num_or_null "$(cur_pid bastion2)")"
    printf '    "namespace": %s,\n' "$ns_d_json"
    printf '    "reachableFrom": "bastion"\n'
    printf '  },\n'
    local svc key avail reason port tls logp
    for svc in pg-tls pg-plain mariadb; do
      case $svc in
        pg-tls)   key=postgresTls;   avail=$PG_TLS_AVAILABLE;   reason=$PG_TLS_REASON;   port=$PG_TLS_PORT;   tls=1; logp=$STATE/pg-tls/postgres.log ;;
        pg-plain) key=postgresPlain; avail=$PG_PLAIN_AVAILABLE; reason=$PG_PLAIN_REASON; port=$PG_PLAIN_PORT; tls=0; logp=$STATE/pg-plain/postgres.log ;;
        mariadb)  key=mariadb;       avail=$MARIADB_AVAILABLE;  reason=$MARIADB_REASON;  port=$MARIADB_PORT;  tls=1; logp=$STATE/mariadb/mariadbd.log ;;
      esac
      printf '  "%s": {\n' "$key"
      printf '    "available": %s,\n' "$(json_bool "$avail")"
      [[ $avail == 1 ]] || printf '    "reason": %s,\n' "$(json_str "$reason")"
      printf '    "host": %s,\n' "$(json_str "$DB_ADDR")"
      printf '    "hostName": %s,\n' "$(json_str "$DB_HOSTNAME")"
      printf '    "port": %s,\n' "$port"
      printf '    "database": "scdemo",\n'
      printf '    "user": "sc_app",\n'
      printf '    "password": %s,\n' "$(json_str "$DB_PASSWORD")"
      printf '    "tls": %s,\n' "$(json_bool "$tls")"
      [[ $tls == 1 ]] && printf '    "caPath": %s,\n' "$(json_str "$STATE/ca/lab-ca.crt")"
      printf '    "logPath": %s,\n' "$(json_str "$logp")"
      printf '    "pid": %s,\n' "$(json_num_or_null "$(cur_pid "$svc")")"
      printf '    "namespace": %s\n' "$ns_d_json"
      printf '  },\n'
    done
    printf '  "redis": {\n'
    printf '    "available": %s,\n' "$(json_bool "$REDIS_AVAILABLE")"
    [[ $REDIS_AVAILABLE == 1 ]] || printf '    "reason": %s,\n' "$(json_str "$REDIS_REASON")"
    printf '    "host": %s,\n' "$(json_str "$DB_ADDR")"
    printf '    "hostName": %s,\n' "$(json_str "$DB_HOSTNAME")"
    printf '    "port": %s,\n' "$REDIS_PORT"
    printf '    "logPath": %s,\n' "$(json_str "$STATE/redis/redis.log")"
    printf '    "pid": %s,\n' "$(json_num_or_null "$(cur_pid redis)")"
    printf '    "namespace": %s\n' "$ns_d_json"
    printf '  },\n'
    printf '  "clickhouse": {\n'
    printf '    "available": %s,\n' "$(json_bool "$CLICKHOUSE_AVAILABLE")"
    [[ $CLICKHOUSE_AVAILABLE == 1 ]] || printf '    "reason": %s,\n' "$(json_str "$CLICKHOUSE_REASON")"
    printf '    "host": %s,\n' "$(json_str "$DB_ADDR")"
    printf '    "hostName": %s,\n' "$(json_str "$DB_HOSTNAME")"
    printf '    "port": %s,\n' "$CH_HTTPS_PORT"
    printf '    "httpPort": %s,\n' "$CH_HTTP_PORT"
    printf '    "httpsPort": %s,\n' "$CH_HTTPS_PORT"
    printf '    "database": "scdemo",\n'
    printf '    "user": "sc_app",\n'
    printf '    "password": %s,\n' "$(json_str "$DB_PASSWORD")"
    printf '    "tls": true,\n'
    printf '    "caPath": %s,\n' "$(json_str "$STATE/ca/lab-ca.crt")"
    printf '    "version": %s,\n' "$(json_str_or_null "$(ch_client --query 'SELECT version()' 2>/dev/null || true)")"
    printf '    "logPath": %s,\n' "$(json_str "$STATE/clickhouse/clickhouse.log")"
    printf '    "pid": %s,\n' "$(json_num_or_null "$(cur_pid clickhouse)")"
    printf '    "namespace": %s\n' "$ns_d_json"
    printf '  },\n'
    printf '  "http": {\n'
    printf '    "available": %s,\n' "$(json_bool "$HTTP_AVAILABLE")"
    [[ $HTTP_AVAILABLE == 1 ]] || printf '    "reason": %s,\n' "$(json_str "$HTTP_REASON")"
    printf '    "host": %s,\n' "$(json_str "$DB_ADDR")"
    printf '    "hostName": %s,\n' "$(json_str "$DB_HOSTNAME")"
    printf '    "port": %s,\n' "$HTTP_PORT"
    printf '    "logPath": %s,\n' "$(json_str "$STATE/http/http.log")"
    printf '    "pid": %s,\n' "$(json_num_or_null "$(cur_pid http)")"
    printf '    "namespace": %s\n' "$ns_d_json"
    printf '  },\n'
    printf '  "ca": {\n'
    printf '    "labCaPath": %s,\n' "$(json_str "$STATE/ca/lab-ca.crt")"
    printf '    "labCaKeyPath": %s,\n' "$(json_str "$STATE/ca/lab-ca.key")"
    printf '    "rogueCaPath": %s,\n' "$(json_str "$STATE/ca/rogue-ca.crt")"
    printf '    "rogueCaKeyPath": %s,\n' "$(json_str "$STATE/ca/rogue-ca.key")"
    printf '    "serverCertPath": %s\n' "$(json_str "$STATE/ca/server.crt")"
    printf '  },\n'
    printf '  "network": %s,\n' "$net_json"
    printf '  "bastionNamespace": %s,\n' "$ns_b_json"
    printf '  "dbNamespace": %s\n' "$ns_d_json"
    printf '}\n'
  } >"$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$ENDPOINTS"
  umask 022
  if have jq; then jq -e . "$ENDPOINTS" >/dev/null || die "internal error: endpoints.json is not valid JSON"; fi
}

# --------------------------------------------------------------------------
# configuration per mode
# --------------------------------------------------------------------------
set_topology() {
  if [[ $MODE == netns ]]; then
    BASTION_NS=$NS_B; DB_NS=$NS_D
    BASTION_ADDR=$NET_BASTION_ADDR; BASTION_PORT=22
    DB_ADDR=$NET_DB_ADDR; DB_HOSTNAME=db.lab.internal; BASTION2_HOSTNAME=bastion2.lab.internal
    BASTION2_PORT=2222; PG_TLS_PORT=5432; PG_PLAIN_PORT=5433; MARIADB_PORT=3306; REDIS_PORT=6379
    CH_HTTP_PORT=8123; CH_HTTPS_PORT=8443; CH_TCP_PORT=9000; HTTP_PORT=8080
  else
    # The databases listen on 127.0.0.2 (all of 127/8 is loopback): never the tunnels' 127.0.0.1.
    BASTION_NS=""; DB_NS=""
    # Several loopback labs run side by side with SECURECONNECT_LAB_LOOPBACK_INDEX=N (0-250): lab N uses 127.0.N.1 for
    # the bastion and 127.0.N.2 for the databases.
    local n=${SECURECONNECT_LAB_LOOPBACK_INDEX:-0}
    [[ $n =~ ^[0-9]+$ && $n -le 250 ]] || die "SECURECONNECT_LAB_LOOPBACK_INDEX must be a number from 0 to 250, not '$n'"
    BASTION_ADDR=127.0.$n.1; BASTION_PORT=22022
    DB_ADDR=127.0.$n.2; DB_HOSTNAME=$DB_ADDR; BASTION2_HOSTNAME=$DB_ADDR
    BASTION2_PORT=22222; PG_TLS_PORT=15432; PG_PLAIN_PORT=15433; MARIADB_PORT=13306; REDIS_PORT=16379
    CH_HTTP_PORT=28123; CH_HTTPS_PORT=28443; CH_TCP_PORT=29000; HTTP_PORT=28080
  fi
}

set_os_users() {
  if [[ $IS_ROOT == 1 ]]; then
    PG_OSUSER=postgres; PG_SUPER=postgres; MY_OSUSER=mysql
    if getent passwd redis >/dev/null; then REDIS_OSUSER=redis; else REDIS_OSUSER=root; fi
    if getent passwd clickhouse >/dev/null; then CH_OSUSER=clickhouse; else CH_OSUSER=nobody; fi
    HTTP_OSUSER=nobody
  else
    PG_OSUSER=$CUR_USER; PG_SUPER=$CUR_USER; MY_OSUSER=$CUR_USER; REDIS_OSUSER=$CUR_USER
    CH_OSUSER=$CUR_USER; HTTP_OSUSER=$CUR_USER
  fi
}

# --------------------------------------------------------------------------
# stop
# --------------------------------------------------------------------------
do_stop() { # [quiet]
  local quiet=${1:-} name f pid exe graceful="" all="" tree sig
  if [[ -d $PIDS ]]; then
    for name in "${SERVICES[@]}"; do
      f="$PIDS/$name"; [[ -f $f ]] || continue
      pid=""; exe=""
      read -r pid exe <"$f" || true
      if [[ -n $pid ]] && pid_matches "$pid" "$exe"; then
        tree=$(proc_tree "$pid" | tr '\n' ' ')
        case $name in
          bastion|bastion2)
            tree="$tree $(kept_sessions_tree "$name" | tr '\n' ' ')"
            kill -TERM $tree 2>/dev/null || true ;;   # sessions outlive the listener
          pg-*)             kill -INT "$pid" 2>/dev/null || true ;;   # fast shutdown
          *)                kill -TERM "$pid" 2>/dev/null || true ;;
        esac
        all="$all $tree"
        [[ -n $quiet ]] || info "stopping $name (pid $pid)"
      elif [[ $name == bastion || $name == bastion2 ]]; then
        tree=$(kept_sessions_tree "$name" | tr '\n' ' ')
        if [[ -n ${tree// /} ]]; then kill -TERM $tree 2>/dev/null || true; all="$all $tree"; fi
      fi
    done
    terminate TERM "" "$all"
    rm -f "$PIDS"/*
  fi
  # cleanup that must happen even after partial starts
  [[ -d $STATE ]] && rm -f "$ENDPOINTS" "$ENDPOINTS.tmp" "$STATE/mariadb.sock"
  local m; m=$(cat "$STATE/mode" 2>/dev/null || true)
  if [[ $m != loopback || "$(netns_owner)" == "$STATE" ]]; then netns_teardown; fi
  # /run/sshd is shared by every sshd on the machine (labs side by side, the system's own): only the last one out removes it.
  if [[ -f $STATE/.created-run-sshd ]]; then
    if ! pgrep -x sshd >/dev/null 2>&1; then rmdir /run/sshd 2>/dev/null || true; fi
    rm -f "$STATE/.created-run-sshd"
  fi
  if [[ $IS_ROOT == 1 && -d $AUTH_HOOK_DIR ]]; then rm -rf "$AUTH_HOOK_DIR"; fi
  rm -f "$AUTH_DELAY_FILE"
  if [[ -z $quiet ]]; then info "stopped"; fi
  return 0
}

any_running() {
  local n
  for n in "${SERVICES[@]}"; do if pid_of "$n" >/dev/null; then return 0; fi; done
  return 1
}

# --------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------
cmd_stop() {
  acquire_lock
  local t0=$SECONDS
  do_stop
  info "stop took $((SECONDS - t0))s"
}

cmd_status() {
  if [[ ! -f $ENDPOINTS ]]; then echo "not running"; return 1; fi
  load_state
  local n dead="" alive=0
  for n in "${SERVICES[@]}"; do
    if pid_of "$n" >/dev/null; then alive=1; elif [[ -f $PIDS/$n ]]; then dead="$dead $n"; fi
  done
  if [[ $alive == 0 ]]; then echo "not running (stale endpoints file $ENDPOINTS)"; return 1; fi
  cat "$ENDPOINTS"
  printf '[lab] endpoints: %s\n' "$ENDPOINTS" >&2
  if [[ -n $dead ]]; then printf '[lab] WARNING: not running:%s\n' "$dead" >&2; fi
  return 0
}

wipe_state() {
  mkdir -p "$STATE"
  local others
  others=$(find "$STATE" -mindepth 1 -maxdepth 1 ! -name .lock ! -name "$MARKER" -print -quit)
  if [[ -n $others && ! -f $STATE/$MARKER ]]; then
    die "$STATE is not empty and is not a lab state dir (no $MARKER marker); refusing to wipe it"
  fi
  find "$STATE" -mindepth 1 -maxdepth 1 ! -name .lock ! -name "$MARKER" -exec rm -rf {} +
  chmod 0755 "$STATE"
  : >"$STATE/$MARKER"
}

cmd_start() {
  local t0=$SECONDS
  [[ $STATE == / ]] && die "refusing to use / as state dir"
  ensure_requirements
  mkdir -p "$STATE"; chmod 0755 "$STATE"
  acquire_lock
  cd "$STATE"

  # an existing lab from this state dir is stopped first
  if [[ -f $STATE/$MARKER ]] && { any_running || [[ -f $ENDPOINTS ]] || [[ "$(netns_owner)" == "$STATE" ]]; }; then
    info "a lab is already running from $STATE; stopping it first"
    do_stop quiet
  fi
  local owner; owner=$(netns_owner)
  if [[ $IS_ROOT == 1 && ${SECURECONNECT_LAB_NO_NETNS:-0} != 1 ]]; then
    if [[ -n $owner && $owner != "$STATE" && -d $owner ]] && { netns_exists "$NS_B" || netns_exists "$NS_D"; }; then
      die "the lab network namespaces are in use by the lab in $owner; run: SECURECONNECT_LAB_DIR=$owner $0 stop"
    fi
    if [[ -z $owner || ! -d $owner ]] && { netns_exists "$NS_B" || netns_exists "$NS_D" || ip link show "$VETH_HOST" >/dev/null 2>&1 || [[ -n "$(ip -4 route show "$NET_GUARD_ROUTE" 2>/dev/null)" ]]; }; then
      warn "removing stale lab network objects (owner: ${owner:-unknown})"
      rm -f "$OWNER_FILE"; printf '%s\n' "$STATE" >"$OWNER_FILE" 2>/dev/null || true
      netns_teardown
    fi
  fi

  wipe_state
  mkdir -p "$PIDS"; chmod 0700 "$PIDS"
  START_ACTIVE=1
  CREATED_AT=$(ts)
  info "starting lab in $STATE"

  choose_mode
  set_topology
  set_os_users
  printf '%s\n' "$MODE" >"$STATE/mode"
  save_state MODE MODE_REASON CREATED_AT BASTION_NS DB_NS BASTION_ADDR BASTION_PORT DB_ADDR DB_HOSTNAME \
    BASTION2_HOSTNAME BASTION2_PORT PG_TLS_PORT PG_PLAIN_PORT MARIADB_PORT REDIS_PORT \
    CH_HTTP_PORT CH_HTTPS_PORT CH_TCP_PORT HTTP_PORT \
    PG_OSUSER PG_SUPER MY_OSUSER REDIS_OSUSER CH_OSUSER HTTP_OSUSER
  info "mode: $MODE ($MODE_REASON)"

  if [[ $MODE == netns ]]; then
    netns_setup
  else
    local p
    for p in $BASTION_PORT $BASTION2_PORT $PG_TLS_PORT $PG_PLAIN_PORT $MARIADB_PORT $REDIS_PORT \
             $CH_HTTP_PORT $CH_HTTPS_PORT $CH_TCP_PORT $HTTP_PORT; do
      if port_in_use "$p" "$BASTION_ADDR" || port_in_use "$p" "$DB_ADDR"; then die "loopback port $p is already in use on $BASTION_ADDR or $DB_ADDR (ss -ltn): another loopback lab? Give each its own SECURECONNECT_LAB_LOOPBACK_INDEX=N"; fi
    done
  fi

  DB_PASSWORD=$(random_password)
  CH_ADMIN_PASSWORD=$(random_password)
  [[ ${#DB_PASSWORD} -ge 16 && ${#CH_ADMIN_PASSWORD} -ge 16 ]] || die "could not generate a password"
  make_certs

  # ---- availability ----
  BASTION_AVAILABLE=1; BASTION_REASON=""
  if [[ ! -x /usr/sbin/sshd ]] || ! have ssh-keygen; then BASTION_AVAILABLE=0; BASTION_REASON="openssh-server (/usr/sbin/sshd, ssh-keygen) not installed"; fi
  BASTION2_AVAILABLE=$BASTION_AVAILABLE; BASTION2_REASON=$BASTION_REASON
  PG_TLS_AVAILABLE=1; PG_TLS_REASON=""
  if [[ ! -x $PG_BIN/postgres || ! -x $PG_BIN/initdb || ! -x $PG_BIN/psql ]]; then
    PG_TLS_AVAILABLE=0; PG_TLS_REASON="PostgreSQL binaries not found in $PG_BIN"
  elif [[ $IS_ROOT == 1 ]] && ! getent passwd postgres >/dev/null; then
    PG_TLS_AVAILABLE=0; PG_TLS_REASON="OS user postgres does not exist"
  fi
  PG_PLAIN_AVAILABLE=$PG_TLS_AVAILABLE; PG_PLAIN_REASON=$PG_TLS_REASON
  MARIADB_AVAILABLE=1; MARIADB_REASON=""
  MARIADBD=$(command -v mariadbd || true)
  if [[ -z $MARIADBD ]] || ! have mariadb-install-db || ! have mariadb; then
    MARIADB_AVAILABLE=0; MARIADB_REASON="mariadb-server/mariadb-client (mariadbd, mariadb-install-db, mariadb) not installed"
  elif [[ $IS_ROOT == 1 ]] && ! getent passwd mysql >/dev/null; then
    MARIADB_AVAILABLE=0; MARIADB_REASON="OS user mysql does not exist"
  fi
  REDIS_AVAILABLE=1; REDIS_REASON=""
  REDIS_BIN=$(command -v redis-server || true)
  if [[ -z $REDIS_BIN ]] || ! have redis-cli; then REDIS_AVAILABLE=0; REDIS_REASON="redis-server/redis-tools not installed"; fi
  CLICKHOUSE_AVAILABLE=1; CLICKHOUSE_REASON=""
  CLICKHOUSE_BIN=$(command -v clickhouse-server || true)
  if [[ -z $CLICKHOUSE_BIN ]] || ! have clickhouse-client; then CLICKHOUSE_AVAILABLE=0; CLICKHOUSE_REASON="clickhouse-server/clickhouse-client not installed"; fi
  HTTP_AVAILABLE=1; HTTP_REASON=""
  NODE_BIN=$(command -v node || true)
  if [[ -z $NODE_BIN ]]; then HTTP_AVAILABLE=0; HTTP_REASON="node (nodejs) not installed"; fi

  # state dir must be traversable by the service users
  if [[ $IS_ROOT == 1 ]]; then
    local u
    for u in postgres mysql; do
      if getent passwd "$u" >/dev/null && ! runuser -u "$u" -- test -x "$STATE"; then
        die "OS user $u cannot traverse $STATE (a parent directory is not world-executable); choose another SECURECONNECT_LAB_DIR"
      fi
    done
  fi

  # ---- bastion user + authorized_keys ----
  ensure_bastion_user
  : >"$STATE/authorized_keys"; chmod 0600 "$STATE/authorized_keys"
  [[ $IS_ROOT == 1 ]] && chown "$BASTION_USER:$(id -gn "$BASTION_USER")" "$STATE/authorized_keys"
  if [[ $IS_ROOT == 1 && ! -d /run/sshd ]]; then mkdir -m 0755 /run/sshd; : >"$STATE/.created-run-sshd"; fi

  save_state DB_PASSWORD BASTION_USER BASTION_AVAILABLE BASTION_REASON BASTION2_AVAILABLE BASTION2_REASON \
    PG_TLS_AVAILABLE PG_TLS_REASON PG_PLAIN_AVAILABLE PG_PLAIN_REASON MARIADB_AVAILABLE MARIADB_REASON \
    MARIADBD REDIS_AVAILABLE REDIS_REASON REDIS_BIN CLICKHOUSE_AVAILABLE CLICKHOUSE_REASON CLICKHOUSE_BIN \
    HTTP_AVAILABLE HTTP_REASON NODE_BIN

  # ---- initialise data dirs (in parallel) ----
  local j_pgt="" j_pgp="" j_my=""
  if [[ $PG_TLS_AVAILABLE == 1 ]]; then
    pg_init pg-tls "$PG_TLS_PORT" 1 & j_pgt=$!
    pg_init pg-plain "$PG_PLAIN_PORT" 0 & j_pgp=$!
  fi
  if [[ $MARIADB_AVAILABLE == 1 ]]; then my_init & j_my=$!; fi
  INIT_JOBS="$j_pgt $j_pgp $j_my"
  if [[ $BASTION_AVAILABLE == 1 ]]; then sshd_setup bastion; sshd_setup bastion2; fi
  [[ $REDIS_AVAILABLE == 1 ]] && redis_init
  [[ $CLICKHOUSE_AVAILABLE == 1 ]] && ch_init
  [[ $HTTP_AVAILABLE == 1 ]] && http_init
  if [[ -n $j_pgt ]]; then wait "$j_pgt" || die "initdb (pg-tls) failed; see $STATE/pg-tls/initdb.log"; fi
  if [[ -n $j_pgp ]]; then wait "$j_pgp" || die "initdb (pg-plain) failed; see $STATE/pg-plain/initdb.log"; fi
  if [[ -n $j_my ]]; then wait "$j_my" || die "mariadb-install-db failed; see $STATE/mariadb/install.log:"$'\n'"$(tail -n 20 "$STATE/mariadb/install.log")"; fi
  INIT_JOBS=""

  # ---- launch everything ----
  local p_b="" p_b2="" p_pgt="" p_pgp="" p_my="" p_r="" p_ch="" p_http=""
  if [[ $BASTION_AVAILABLE == 1 ]]; then
    sshd_launch bastion; p_b=$LAST_PID
    sshd_launch bastion2; p_b2=$LAST_PID
  fi
  if [[ $PG_TLS_AVAILABLE == 1 ]]; then
    db_launch pg-tls; p_pgt=$LAST_PID
    db_launch pg-plain; p_pgp=$LAST_PID
  fi
  if [[ $MARIADB_AVAILABLE == 1 ]]; then db_launch mariadb; p_my=$LAST_PID; fi
  if [[ $REDIS_AVAILABLE == 1 ]]; then db_launch redis; p_r=$LAST_PID; fi
  if [[ $CLICKHOUSE_AVAILABLE == 1 ]]; then db_launch clickhouse; p_ch=$LAST_PID; fi
  if [[ $HTTP_AVAILABLE == 1 ]]; then db_launch http; p_http=$LAST_PID; fi

  {
    echo "---- log files ($(ts), mode=$MODE) ----"
    echo "bastion sshd : $STATE/sshd.log"
    echo "bastion2 sshd: $STATE/bastion2/sshd.log"
    echo "pg (tls)     : $STATE/pg-tls/postgres.log"
    echo "pg (plain)   : $STATE/pg-plain/postgres.log"
    echo "mariadb      : $STATE/mariadb/mariadbd.log (stdout: $STATE/mariadb/mariadbd.stdout.log, install: $STATE/mariadb/install.log)"
    echo "redis        : $STATE/redis/redis.log"
    echo "clickhouse   : $STATE/clickhouse/clickhouse.log (errors: clickhouse.err.log, stdout: clickhouse.stdout.log)"
    echo "http service : $STATE/http/http.log"
    echo "openssl      : $STATE/ca/openssl.log"
  } >>"$LAB_LOG"

  # ---- wait until everything accepts connections ----
  if [[ -n $p_b ]]; then
    wait_ready bastion "$p_b" "$STATE/sshd.log" sshd_ready_check bastion
    wait_ready bastion2 "$p_b2" "$STATE/bastion2/sshd.log" sshd_ready_check bastion2
    reconcile_pid bastion "$STATE/sshd.pid"; reconcile_pid bastion2 "$STATE/bastion2/sshd.pid"
  fi
  if [[ -n $p_pgt ]]; then
    db_wait_ready pg-tls "$p_pgt"
    db_wait_ready pg-plain "$p_pgp"
    pg_seed pg-tls "$PG_TLS_PORT"
    pg_seed pg-plain "$PG_PLAIN_PORT"
  fi
  if [[ -n $p_my ]]; then
    db_wait_ready mariadb "$p_my"
    my_seed
  fi
  if [[ -n $p_r ]]; then db_wait_ready redis "$p_r"; fi
  if [[ -n $p_ch ]]; then
    db_wait_ready clickhouse "$p_ch"
    ch_seed || die "seeding ClickHouse failed"
  fi
  if [[ -n $p_http ]]; then db_wait_ready http "$p_http"; fi

  # ---- isolation check (netns): the db namespace must not be reachable from the host ----
  if [[ $MODE == netns ]]; then
    if nc -z -w 2 "$NET_DB_ADDR" "$PG_TLS_PORT" >/dev/null 2>&1; then
      die "isolation check failed: $NET_DB_ADDR:$PG_TLS_PORT is reachable from the host"
    fi
    if [[ $PG_TLS_AVAILABLE == 1 ]] && ! ip netns exec "$NS_B" nc -z -w 2 db.lab.internal "$PG_TLS_PORT" >/dev/null 2>&1; then
      die "db.lab.internal:$PG_TLS_PORT is not reachable from the bastion namespace"
    fi
  fi

  write_endpoints
  START_ACTIVE=0
  info "lab started in $((SECONDS - t0))s"
  print_summary
}

print_summary() {
  load_state
  local s
  s() { if [[ $1 == 1 ]]; then printf '%s' "$2"; else printf 'UNAVAILABLE (%s)' "$3"; fi; }
  echo "SecureConnect lab is up (mode: $MODE)"
  echo "  bastion  : $(s "$BASTION_AVAILABLE" "ssh $BASTION_USER@$BASTION_ADDR -p $BASTION_PORT  (ns ${BASTION_NS:-host}, host key $STATE/ssh_host_ed25519_key.pub)" "$BASTION_REASON")"
  echo "  bastion2 : $(s "$BASTION2_AVAILABLE" "$BASTION2_HOSTNAME ($DB_ADDR):$BASTION2_PORT  (reachable from the bastion only)" "$BASTION2_REASON")"
  echo "  pg (tls) : $(s "$PG_TLS_AVAILABLE" "$DB_HOSTNAME ($DB_ADDR):$PG_TLS_PORT  db=scdemo user=sc_app" "$PG_TLS_REASON")"
  echo "  pg plain : $(s "$PG_PLAIN_AVAILABLE" "$DB_HOSTNAME ($DB_ADDR):$PG_PLAIN_PORT  db=scdemo user=sc_app (no TLS)" "$PG_PLAIN_REASON")"
  echo "  mariadb  : $(s "$MARIADB_AVAILABLE" "$DB_HOSTNAME ($DB_ADDR):$MARIADB_PORT  db=scdemo user=sc_app (TLS)" "$MARIADB_REASON")"
  echo "  redis    : $(s "$REDIS_AVAILABLE" "$DB_HOSTNAME ($DB_ADDR):$REDIS_PORT" "$REDIS_REASON")"
  echo "  clickhouse: $(s "$CLICKHOUSE_AVAILABLE" "$DB_HOSTNAME ($DB_ADDR) http :$CH_HTTP_PORT https :$CH_HTTPS_PORT  db=scdemo user=sc_app" "$CLICKHOUSE_REASON")"
  echo "  http     : $(s "$HTTP_AVAILABLE" "http://$DB_HOSTNAME:$HTTP_PORT/ ($DB_ADDR)" "$HTTP_REASON")"
  echo "  lab CA   : $STATE/ca/lab-ca.crt   rogue CA: $STATE/ca/rogue-ca.crt"
  echo "  authorized_keys (empty): $STATE/authorized_keys"
  echo "endpoints: $ENDPOINTS"
}

require_running() {
  [[ -f $STATE_ENV && -f $ENDPOINTS ]] || die "lab is not running (no $ENDPOINTS)"
  load_state
}

# session processes kept alive by 'restart-sshd --keep-sessions' are orphaned
# (re-parented away from the listener); they are recorded by pid in
# $PIDS/<service>.sessions so that a later restart/stop still ends them.
kept_sessions_tree() { # service -> pids (with descendants) of recorded, still-alive sessions
  local f="$PIDS/$1.sessions" pid exe
  [[ -f $f ]] || return 0
  while read -r pid exe; do
    if [[ -n $pid ]] && pid_matches "$pid" "$exe"; then proc_tree "$pid"; fi
  done <"$f"
}
kill_sshd() { # service keep-sessions(0|1)
  local pid tree="" f="$PIDS/$1" exe p
  if pid=$(pid_of "$1"); then
    if [[ $2 == 1 ]]; then
      tree=$pid
      for p in $(proc_tree "$pid"); do
        [[ $p == "$pid" ]] && continue
        if [[ "$(proc_exe "$p")" == /usr/sbin/sshd ]]; then printf '%s /usr/sbin/sshd\n' "$p" >>"$PIDS/$1.sessions"; fi
      done
    else
      tree="$(proc_tree "$pid" | tr '\n' ' ') $(kept_sessions_tree "$1" | tr '\n' ' ')"
      rm -f "$PIDS/$1.sessions"
    fi
    kill -KILL $tree 2>/dev/null || true
    wait_gone 5 $tree || warn "sshd processes still alive after SIGKILL: $tree"
  else
    if [[ -f $f ]]; then read -r pid exe <"$f" || true; warn "$1 sshd (pid ${pid:-?}) was not running"; fi
    if [[ $2 != 1 ]]; then
      tree=$(kept_sessions_tree "$1" | tr '\n' ' ')
      if [[ -n ${tree// /} ]]; then kill -KILL $tree 2>/dev/null || true; wait_gone 5 $tree || true; fi
      rm -f "$PIDS/$1.sessions"
    fi
  fi
}

cmd_restart_sshd() {
  local svc=bastion keep=0 a
  for a in "$@"; do
    case $a in
      bastion|bastion2) svc=$a ;;
      --keep-sessions) keep=1 ;;
      *) die "usage: lab.sh restart-sshd [bastion|bastion2] [--keep-sessions]" ;;
    esac
  done
  acquire_lock
  require_running
  [[ $BASTION_AVAILABLE == 1 ]] || die "sshd is not available in this lab"
  kill_sshd "$svc" "$keep"
  sshd_launch "$svc"
  local p=$LAST_PID
  wait_ready "$svc" "$p" "$SD_LOG" sshd_ready_check "$svc"
  reconcile_pid "$svc" "$SD_PID"
  write_endpoints
  info "$svc sshd restarted (pid $(cur_pid "$svc"))"
}

# --------------------------------------------------------------------------
# one server at a time: how 'start' launches and waits for each, and the faults
# the soak injects (restart-db, kill-sshd / start-sshd) and its cleanup (heal)
# --------------------------------------------------------------------------
DB_KEYS="postgresTls|postgresPlain|mariadb|clickhouse|redis"
db_service() { # endpoints.json key -> sets DB_SVC (the lab's service name), or dies
  case ${1:-} in
    postgresTls) DB_SVC=pg-tls ;;
    postgresPlain) DB_SVC=pg-plain ;;
    mariadb|clickhouse|redis) DB_SVC=$1 ;;
    *) die "usage: lab.sh restart-db <$DB_KEYS>" ;;
  esac
}
db_available() { # service
  case $1 in
    pg-tls) [[ $PG_TLS_AVAILABLE == 1 ]] ;;
    pg-plain) [[ $PG_PLAIN_AVAILABLE == 1 ]] ;;
    mariadb) [[ $MARIADB_AVAILABLE == 1 ]] ;;
    redis) [[ $REDIS_AVAILABLE == 1 ]] ;;
    clickhouse) [[ $CLICKHOUSE_AVAILABLE == 1 ]] ;;
    http) [[ $HTTP_AVAILABLE == 1 ]] ;;
    *) return 1 ;;
  esac
}
db_launch() { # service -> LAST_PID: the server on its port and data dir
  case $1 in
    pg-tls) launch pg-tls "$PG_BIN/postgres" "$DB_NS" "$PG_OSUSER" "$STATE/pg-tls/postgres.log" "$PG_BIN/postgres" -D "$STATE/pg-tls/data" ;;
    pg-plain) launch pg-plain "$PG_BIN/postgres" "$DB_NS" "$PG_OSUSER" "$STATE/pg-plain/postgres.log" "$PG_BIN/postgres" -D "$STATE/pg-plain/data" ;;
    mariadb) my_launch ;;
    redis) launch redis "$REDIS_BIN" "$DB_NS" "$REDIS_OSUSER" "$STATE/redis/redis.stdout.log" "$REDIS_BIN" "$STATE/redis/redis.conf" ;;
    clickhouse) launch clickhouse "$CLICKHOUSE_BIN" "$DB_NS" "$CH_OSUSER" "$(CH_DIR)/clickhouse.stdout.log" "$CLICKHOUSE_BIN" --config-file="$(CH_DIR)/config.xml" ;;
    http) launch http "$NODE_BIN" "$DB_NS" "$HTTP_OSUSER" "$STATE/http/http.log" "$NODE_BIN" "$STATE/http/server.js" "$DB_ADDR" "$HTTP_PORT" ;;
    *) die "internal error: no such server '$1'" ;;
  esac
}
db_wait_ready() { # service pid: bounded wait (READY_TIMEOUT) until it answers
  case $1 in
    pg-tls) wait_ready pg-tls "$2" "$STATE/pg-tls/postgres.log" pg_ready_check pg-tls "$PG_TLS_PORT" ;;
    pg-plain) wait_ready pg-plain "$2" "$STATE/pg-plain/postgres.log" pg_ready_check pg-plain "$PG_PLAIN_PORT" ;;
    mariadb)
      wait_ready mariadb "$2" "$STATE/mariadb/mariadbd.log,$STATE/mariadb/mariadbd.stdout.log" my_ready_check
      reconcile_pid mariadb "$STATE/mariadb/mariadbd.pid" ;;
    redis)
      wait_ready redis "$2" "$STATE/redis/redis.log,$STATE/redis/redis.stdout.log" redis_ping
      reconcile_pid redis "$STATE/redis/redis.pid" ;;
    clickhouse) wait_ready clickhouse "$2" "$(CH_DIR)/clickhouse.err.log,$(CH_DIR)/clickhouse.stdout.log" ch_ready_check ;;
    http) wait_ready http "$2" "$STATE/http/http.log" http_ready_check ;;
  esac
}
db_kill() { # service: SIGKILL the server and its children, as a crash (clients see their connections reset)
  local pid tree
  pid=$(pid_of "$1") || return 0
  tree=$(proc_tree "$pid" | tr '\n' ' ')
  kill -KILL $tree 2>/dev/null || true
  wait_gone "$STOP_TIMEOUT" $tree || die "$1 (pid $pid) is still alive after SIGKILL: $tree"
  # A killed server is a zombie until its parent reaps it, and PostgreSQL refuses to start while the pid in its
  # postmaster.pid exists: wait (bounded) until it is reaped; its lock file is then stale (every backend is gone).
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while [[ -e /proc/$pid ]] && (( SECONDS < deadline )); do sleep 0.1; done
  case $1 in pg-*) rm -f "$STATE/$1/data/postmaster.pid" ;; esac
}
db_start() { # service: launch it and wait until it answers
  db_launch "$1"
  db_wait_ready "$1" "$LAST_PID"
}

cmd_restart_db() { # endpoints key
  db_service "${1:-}"
  [[ $# -le 1 ]] || die "usage: lab.sh restart-db <$DB_KEYS>"
  acquire_lock
  require_running
  db_available "$DB_SVC" || die "$1 is not available in this lab"
  local old; old=$(cur_pid "$DB_SVC")
  db_kill "$DB_SVC"
  db_start "$DB_SVC"
  write_endpoints
  info "$1 ($DB_SVC) killed (pid ${old:-none}) and started again on the same port and data (pid $(cur_pid "$DB_SVC"))"
}

sshd_service_arg() { # [bastion|bastion2] -> sets SD_SVC
  SD_SVC=${1:-bastion}
  [[ $SD_SVC == bastion || $SD_SVC == bastion2 ]] || die "usage: lab.sh kill-sshd|start-sshd [bastion|bastion2]"
}
cmd_kill_sshd() { # [bastion|bastion2]: down until start-sshd (or heal)
  sshd_service_arg "$@"
  acquire_lock
  require_running
  [[ $BASTION_AVAILABLE == 1 ]] || die "sshd is not available in this lab"
  kill_sshd "$SD_SVC" 0
  write_endpoints
  info "$SD_SVC sshd killed (with its sessions); start it again with: lab.sh start-sshd $SD_SVC"
}
cmd_start_sshd() { # [bastion|bastion2]: no-op when it runs
  sshd_service_arg "$@"
  acquire_lock
  require_running
  [[ $BASTION_AVAILABLE == 1 ]] || die "sshd is not available in this lab"
  if pid_of "$SD_SVC" >/dev/null; then info "$SD_SVC sshd is already running (pid $(cur_pid "$SD_SVC"))"; return 0; fi
  sshd_launch "$SD_SVC"
  local p=$LAST_PID
  wait_ready "$SD_SVC" "$p" "$SD_LOG" sshd_ready_check "$SD_SVC"
  reconcile_pid "$SD_SVC" "$SD_PID"
  write_endpoints
  info "$SD_SVC sshd started (pid $(cur_pid "$SD_SVC"))"
}

cmd_heal() { # every server that should run runs again, and the link is up: a fault test's cleanup
  acquire_lock
  require_running
  local svc healed=""
  # The link first (without link up's wait for sshd, which may be down): the bastion's readiness check crosses it.
  if [[ $MODE == netns ]]; then ip -n "$NS_B" link set "$VETH_B_HOST" up; ip link set "$VETH_HOST" up; fi
  if [[ $BASTION_AVAILABLE == 1 ]]; then
    for svc in bastion bastion2; do
      if ! pid_of "$svc" >/dev/null; then
        sshd_launch "$svc"; wait_ready "$svc" "$LAST_PID" "$SD_LOG" sshd_ready_check "$svc"; reconcile_pid "$svc" "$SD_PID"
        healed="$healed $svc"
      fi
    done
  fi
  for svc in pg-tls pg-plain mariadb redis clickhouse http; do
    if db_available "$svc" && ! pid_of "$svc" >/dev/null; then db_start "$svc"; healed="$healed $svc"; fi
  done
  if [[ $MODE == netns ]]; then cmd_link up; fi
  write_endpoints
  info "lab healthy (started again:${healed:- nothing})"
}

cmd_rotate_hostkey() {
  acquire_lock
  require_running
  [[ $BASTION_AVAILABLE == 1 ]] || die "sshd is not available in this lab"
  local key=$STATE/ssh_host_ed25519_key old
  old=$(host_key_fp "$key.pub")
  [[ -f $key.pub ]] && cp -f "$key.pub" "$key.pub.prev"
  # The key the lab started with, for restore-bastion-hostkey (kept across several rotations).
  if [[ ! -f $key.orig ]]; then cp -p "$key" "$key.orig"; cp -p "$key.pub" "$key.pub.orig"; fi
  kill_sshd bastion 0
  gen_host_key "$key"
  sshd_launch bastion
  local p=$LAST_PID
  wait_ready bastion "$p" "$STATE/sshd.log" sshd_ready_check bastion
  reconcile_pid bastion "$STATE/sshd.pid"
  write_endpoints
  info "bastion host key rotated: $old -> $(host_key_fp "$key.pub") (previous public key: $key.pub.prev)"
}

cmd_restore_hostkey() {
  acquire_lock
  require_running
  [[ $BASTION_AVAILABLE == 1 ]] || die "sshd is not available in this lab"
  local key=$STATE/ssh_host_ed25519_key
  if [[ ! -f $key.orig ]]; then info "bastion host key was never rotated; nothing to restore"; return 0; fi
  kill_sshd bastion 0
  mv -f "$key.orig" "$key"; mv -f "$key.pub.orig" "$key.pub"
  sshd_launch bastion
  local p=$LAST_PID
  wait_ready bastion "$p" "$STATE/sshd.log" sshd_ready_check bastion
  reconcile_pid bastion "$STATE/sshd.pid"
  write_endpoints
  info "bastion host key restored: $(host_key_fp "$key.pub")"
}

cmd_link() {
  local action=${1:-}
  require_running
  [[ $MODE == netns ]] || die "'link' is only available in namespace mode (current mode: $MODE)"
  case $action in
    down)
      # take the bastion end down: the host end keeps its address/route but
      # loses carrier, so packets are silently dropped (like a cable cut).
      ip -n "$NS_B" link set "$VETH_B_HOST" down
      info "host<->bastion link is DOWN" ;;
    up)
      ip -n "$NS_B" link set "$VETH_B_HOST" up
      ip link set "$VETH_HOST" up
      # While the link was down the neighbour entries went FAILED, and connects meanwhile fail with
      # "No route to host" until they expire: forget them, then return only once the host really
      # reaches the bastion's sshd again (a TCP connect), within a bounded wait.
      ip neigh flush dev "$VETH_HOST" 2>/dev/null || true
      ip -n "$NS_B" neigh flush dev "$VETH_B_HOST" 2>/dev/null || true
      local deadline=$((SECONDS + LINK_UP_TIMEOUT))
      until nc -z -w 1 "$BASTION_ADDR" "$BASTION_PORT" >/dev/null 2>&1; do
        if (( SECONDS >= deadline )); then
          die "host<->bastion link is up, but $BASTION_ADDR:$BASTION_PORT did not accept a TCP connection within ${LINK_UP_TIMEOUT}s"
        fi
        sleep 0.1
      done
      info "host<->bastion link is UP ($BASTION_ADDR:$BASTION_PORT accepts connections)" ;;
    status|"")
      ip -br link show "$VETH_HOST"; ip -n "$NS_B" -br link show "$VETH_B_HOST" ;;
    *) die "usage: lab.sh link down|up|status" ;;
  esac
}

cmd_purge() {
  [[ -d $STATE ]] || { info "nothing to purge"; return 0; }
  acquire_lock
  do_stop quiet
  if [[ -f $STATE/$MARKER ]]; then
    find "$STATE" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
    rm -f "$STATE/.lock"; rmdir "$STATE" 2>/dev/null || true
    info "removed $STATE"
  else
    warn "$STATE has no $MARKER marker; not deleting it"
  fi
}

# --------------------------------------------------------------------------
# selftest: end-to-end checks with a throwaway key (authorized_keys restored)
# --------------------------------------------------------------------------
ST_FAIL=0
st_check() { # description cmd...
  local d=$1; shift
  if "$@" >"$ST_TMP/out" 2>&1; then echo "PASS  $d"; else echo "FAIL  $d"; sed 's/^/      /' "$ST_TMP/out" | tail -n 8; ST_FAIL=1; fi
}
st_check_eq() { # description expected cmd...
  local d=$1 want=$2 got rc=0; shift 2
  got=$("$@" 2>"$ST_TMP/err") || rc=$?
  if [[ $rc == 0 && $got == "$want" ]]; then echo "PASS  $d"
  else echo "FAIL  $d (rc=$rc, expected '$want', got '$got')"; sed 's/^/      /' "$ST_TMP/err" | tail -n 8; ST_FAIL=1; fi
}
st_check_grep() { # description pattern cmd...
  local d=$1 pat=$2 got rc=0; shift 2
  got=$("$@" 2>"$ST_TMP/err") || rc=$?
  if [[ $rc == 0 ]] && grep -q -- "$pat" <<<"$got"; then echo "PASS  $d"
  else echo "FAIL  $d (rc=$rc, output: $got)"; sed 's/^/      /' "$ST_TMP/err" | tail -n 8; ST_FAIL=1; fi
}
st_check_fails() { # description cmd...   (passes when the command fails)
  local d=$1; shift
  if "$@" >"$ST_TMP/out" 2>&1; then echo "FAIL  $d (unexpectedly succeeded)"; ST_FAIL=1; else echo "PASS  $d"; fi
}
st_ssh() { # extra args...
  ssh -F /dev/null -i "$ST_TMP/id" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$ST_TMP/known_hosts" -o LogLevel=ERROR \
    -o ConnectTimeout=5 "$@"
}
st_free_port() {
  local p
  for _ in $(seq 1 50); do p=$((40000 + RANDOM % 20000)); port_in_use "$p" || { echo "$p"; return 0; }; done
  return 1
}
st_wait_port() { local d=$((SECONDS + 10)); until nc -z -w 1 127.0.0.1 "$1" 2>/dev/null; do (( SECONDS >= d )) && return 1; sleep 0.2; done; }
st_cleanup() {
  [[ -n ${ST_TUNNEL_PID:-} ]] && { kill "$ST_TUNNEL_PID" 2>/dev/null || true; wait "$ST_TUNNEL_PID" 2>/dev/null || true; }
  if [[ -n ${ST_PUB:-} && -f $STATE/authorized_keys ]]; then
    grep -vxF -- "$ST_PUB" "$STATE/authorized_keys" >"$STATE/authorized_keys.st" || true
    cat "$STATE/authorized_keys.st" >"$STATE/authorized_keys"; rm -f "$STATE/authorized_keys.st"
  fi
  [[ -n ${ST_TMP:-} ]] && rm -rf "$ST_TMP"
  ST_TMP=""; ST_PUB=""
  return 0
}

cmd_selftest() {
  require_running
  ST_TMP=$(mktemp -d); chmod 0700 "$ST_TMP"
  ssh-keygen -q -t ed25519 -N '' -C sclab-selftest -f "$ST_TMP/id"
  ST_PUB=$(cat "$ST_TMP/id.pub")
  printf '%s\n' "$ST_PUB" >>"$STATE/authorized_keys"
  { printf '%s %s\n' "$([[ $BASTION_PORT == 22 ]] && echo "$BASTION_ADDR" || echo "[$BASTION_ADDR]:$BASTION_PORT")" "$(cut -d' ' -f1,2 "$STATE/ssh_host_ed25519_key.pub")"
    printf '%s %s\n' "$([[ $BASTION2_PORT == 22 ]] && echo "$BASTION2_HOSTNAME" || echo "[$BASTION2_HOSTNAME]:$BASTION2_PORT")" "$(cut -d' ' -f1,2 "$STATE/bastion2/ssh_host_ed25519_key.pub")"
  } >"$ST_TMP/known_hosts"
  local B="$BASTION_USER@$BASTION_ADDR" psql_bin="$PG_BIN/psql" ns="$BASTION_NS"
  local pgconn="dbname=scdemo user=sc_app password=$DB_PASSWORD connect_timeout=5"
  echo "selftest (mode $MODE)"

  st_check "ssh login to bastion ($B:$BASTION_PORT) with host key verification" st_ssh -p "$BASTION_PORT" "$B" true
  st_check "ssh via bastion (ProxyCommand -W) to bastion2 ($BASTION2_HOSTNAME:$BASTION2_PORT)" \
    st_ssh -o "ProxyCommand=ssh -F /dev/null -i $ST_TMP/id -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$ST_TMP/known_hosts -o LogLevel=ERROR -p $BASTION_PORT -W %h:%p $B" \
      -p "$BASTION2_PORT" "$BASTION_USER@$BASTION2_HOSTNAME" true

  if [[ $PG_TLS_AVAILABLE == 1 ]]; then
    local lp; lp=$(st_free_port)
    st_ssh -N -o ExitOnForwardFailure=yes -L "127.0.0.1:$lp:$DB_HOSTNAME:$PG_TLS_PORT" -p "$BASTION_PORT" "$B" </dev/null >"$ST_TMP/tunnel.log" 2>&1 &
    ST_TUNNEL_PID=$!
    st_check "ssh -N -L tunnel to $DB_HOSTNAME:$PG_TLS_PORT comes up on 127.0.0.1:$lp" st_wait_port "$lp"
    st_check "psql through tunnel, sslmode=verify-full host=$DB_HOSTNAME hostaddr=127.0.0.1" \
      "$psql_bin" -X -tA "host=$DB_HOSTNAME hostaddr=127.0.0.1 port=$lp $pgconn sslmode=verify-full sslrootcert=$STATE/ca/lab-ca.crt" \
      -c "select count(*) from people where note is null"
    kill "$ST_TUNNEL_PID" 2>/dev/null || true; wait "$ST_TUNNEL_PID" 2>/dev/null || true; ST_TUNNEL_PID=""

    st_check_eq "psql verify-full to $DB_HOSTNAME:$PG_TLS_PORT from the bastion side (5 rows)" 5 \
      nsexec "$ns" "$psql_bin" -X -tA \
      "host=$DB_HOSTNAME port=$PG_TLS_PORT $pgconn sslmode=verify-full sslrootcert=$STATE/ca/lab-ca.crt" -c 'select count(*) from people'
    st_check_eq "pg TLS session is really encrypted (pg_stat_ssl)" t \
      nsexec "$ns" "$psql_bin" -X -tA \
      "host=$DB_HOSTNAME port=$PG_TLS_PORT $pgconn sslmode=verify-full sslrootcert=$STATE/ca/lab-ca.crt" -c 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'
    st_check_fails "psql verify-full with the ROGUE CA is rejected" nsexec "$ns" "$psql_bin" -X -tA \
      "host=$DB_HOSTNAME port=$PG_TLS_PORT $pgconn sslmode=verify-full sslrootcert=$STATE/ca/rogue-ca.crt" -c 'select 1'
    st_check_fails "psql with a wrong password is rejected" nsexec "$ns" "$psql_bin" -X -tA \
      "host=$DB_HOSTNAME port=$PG_TLS_PORT dbname=scdemo user=sc_app password=wrong sslmode=require connect_timeout=5" -c 'select 1'
    st_check "plain pg ($DB_HOSTNAME:$PG_PLAIN_PORT) sslmode=disable works" nsexec "$ns" "$psql_bin" -X -tA \
      "host=$DB_HOSTNAME port=$PG_PLAIN_PORT $pgconn sslmode=disable" -c 'select count(*) from people'
    st_check_fails "plain pg refuses sslmode=require" nsexec "$ns" "$psql_bin" -X -tA \
      "host=$DB_HOSTNAME port=$PG_PLAIN_PORT $pgconn sslmode=require" -c 'select 1'
  fi
  if [[ $MARIADB_AVAILABLE == 1 ]]; then
    st_check_grep "mariadb --ssl-verify-server-cert to $DB_HOSTNAME:$MARIADB_PORT (TLS in use)" TLSv1 \
      nsexec "$ns" mariadb --no-defaults --protocol=TCP \
      -h "$DB_HOSTNAME" -P "$MARIADB_PORT" -u sc_app "-p$DB_PASSWORD" --ssl --ssl-ca="$STATE/ca/lab-ca.crt" \
      --ssl-verify-server-cert --connect-timeout=5 -N scdemo -e "select count(*) from people; show status like 'Ssl_version'"
    st_check_fails "mariadb with the ROGUE CA is rejected" nsexec "$ns" mariadb --no-defaults --protocol=TCP \
      -h "$DB_HOSTNAME" -P "$MARIADB_PORT" -u sc_app "-p$DB_PASSWORD" --ssl --ssl-ca="$STATE/ca/rogue-ca.crt" \
      --ssl-verify-server-cert --connect-timeout=5 scdemo -e 'select 1'
  fi
  if [[ $REDIS_AVAILABLE == 1 ]]; then
    st_check_eq "redis ping $DB_HOSTNAME:$REDIS_PORT" PONG nsexec "$ns" redis-cli -h "$DB_HOSTNAME" -p "$REDIS_PORT" ping
  fi
  if [[ $MODE == netns ]]; then
    st_check_fails "host cannot reach $NET_DB_ADDR:$PG_TLS_PORT" nc -z -w 2 "$NET_DB_ADDR" "$PG_TLS_PORT"
    st_check_fails "host cannot reach bastion2 $NET_DB_ADDR:$BASTION2_PORT" nc -z -w 2 "$NET_DB_ADDR" "$BASTION2_PORT"
    st_check "bastion namespace reaches db.lab.internal:$PG_TLS_PORT" ip netns exec "$NS_B" nc -z -w 2 db.lab.internal "$PG_TLS_PORT"
    st_check_eq "ip_forward=0 in $NS_B" 0 ip netns exec "$NS_B" sysctl -n net.ipv4.ip_forward
    st_check_grep "host has 'unreachable $NET_GUARD_ROUTE'" unreachable ip route show "$NET_GUARD_ROUTE"
  fi
  local pub=$ST_PUB
  st_cleanup
  if grep -qxF -- "$pub" "$STATE/authorized_keys"; then echo "FAIL  throwaway key removed from authorized_keys"; ST_FAIL=1
  else echo "PASS  throwaway key removed from authorized_keys ($(wc -l <"$STATE/authorized_keys") keys left)"; fi
  if [[ $ST_FAIL == 0 ]]; then echo "selftest: ALL PASSED"; quit 0; else echo "selftest: FAILURES"; quit 1; fi
}

usage() {
  cat <<EOF
usage: $0 <command>
  start                         start the lab (stops a lab running from the same state dir first)
  stop                          stop everything the lab started, remove namespaces/routes
  status                        print endpoints.json (exit 1 if not running)
  restart-sshd [bastion|bastion2] [--keep-sessions]
                                SIGKILL the sshd (and its sessions) and start it again, same host key
  kill-sshd [bastion|bastion2]  SIGKILL the sshd and its sessions, and leave it down (until start-sshd or heal)
  start-sshd [bastion|bastion2] start it again (same host key); nothing when it runs
  restart-db <postgresTls|postgresPlain|mariadb|clickhouse|redis>
                                SIGKILL the server (a crash) and start it again on the same port and data
  heal                          start every server that is down and bring the link up (a fault test's cleanup)
  auth-delay <seconds>          delay every public-key authentication at the bastion (0 ends it; root only)
  rotate-bastion-hostkey        new host key for the bastion sshd, then restart it
  restore-bastion-hostkey       back to the key the lab started with (after rotations), then restart it
  check                         are all programs the lab uses installed? (lists what is missing, exit 1)
  install                       install the missing ones with apt-get (root), or print the command that would
  packages                      the Debian packages the lab needs
  link down|up|status           cut / restore the host<->bastion link (namespace mode only)
  selftest                      end-to-end checks (uses a throwaway key, restores authorized_keys)
  purge                         stop and delete the state dir
state dir: $STATE (SECURECONNECT_LAB_DIR)
EOF
}

main() {
  local cmd=${1:-}; shift || true
  case $cmd in
    start) cmd_start ;;
    stop) [[ -d $STATE ]] || { netns_teardown; info "not running"; return 0; }; cmd_stop ;;
    status) if cmd_status; then quit 0; else quit 1; fi ;;
    restart-sshd) cmd_restart_sshd "$@" ;;
    kill-sshd) cmd_kill_sshd "$@" ;;
    start-sshd) cmd_start_sshd "$@" ;;
    restart-db) cmd_restart_db "$@" ;;
    heal) cmd_heal ;;
    auth-delay) cmd_auth_delay "$@" ;;
    rotate-bastion-hostkey) cmd_rotate_hostkey ;;
    restore-bastion-hostkey) cmd_restore_hostkey ;;
    check) if cmd_check; then quit 0; else quit 1; fi ;;
    install) ensure_requirements; cmd_check ;;
    packages) required_packages ;;
    link) acquire_lock; cmd_link "$@" ;;
    selftest) cmd_selftest; exit $? ;;
    purge) cmd_purge ;;
    -h|--help|help) usage ;;
    *) usage >&2; quit 2 ;;
  esac
}

main "$@"
