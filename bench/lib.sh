# shellcheck shell=bash disable=SC2154  # tmp, results, wrk_threads, connections: set by bench/throughput
# Helpers for bench/throughput (sourced, not run). Every loop here is bounded in count and time.

# Sets $free_port_result to a loopback TCP port nobody uses and this run has not handed out
# (called without a subshell, so the ports it handed out are remembered).
taken_ports=" "
free_port() {
  local p _
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    case "$taken_ports" in *" $p "*) continue ;; esac
    if [ -z "$(ss -Htan "( sport = :$p or dport = :$p )" 2>/dev/null)" ]; then
      taken_ports+="$p "
      # shellcheck disable=SC2034 # read by the caller
      free_port_result=$p
      return 0
    fi
  done
  return 1
}

# Waits (at most $2 tenths of a second) for a port file {"...": N} and prints N.
read_port_file() {
  local file=$1 tries=${2:-100} _
  for _ in $(seq 1 "$tries"); do
    if [ -s "$file" ]; then
      sed -n 's/.*: *\([0-9][0-9]*\).*/\1/p' "$file"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Waits (at most 10 s) until something listens on 127.0.0.1:$1.
wait_listening() {
  local port=$1 _
  for _ in $(seq 1 100); do
    [ -n "$(ss -Htln "( sport = :$port )" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}

alive() { kill -0 "$1" 2>/dev/null; }

# /proc status field in MB (VmRSS, VmHWM), or "gone".
mem_mb() {
  local pid=$1 field=$2 kb
  kb=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/status" 2>/dev/null) || true
  if [ -z "$kb" ]; then echo gone; else awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }'; fi
}

# HTTP status of one bounded GET: http_status URL [curl args...]
http_status() {
  local url=$1
  shift
  curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" "$url" || true
}

# wrk latency ("637.00us", "1.23ms", "1.02s") in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000
    else if (v ~ /ms$/) n = n
    else if (v ~ /m$/) n = n * 60000
    else if (v ~ /s$/) n = n * 1000
    printf "%.2f\n", n }'
}

# Median of the numbers on stdin ("NA" lines ignored); prints NA when there are none.
median() {
  grep -v '^NA$' | sort -g | awk '{ a[NR] = $1 }
    END { if (NR == 0) { print "NA"; exit }
          if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# a / b to two decimals, NA when either is missing or b is 0.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "NA" || b == "NA" || a == "" || b == "" || b + 0 == 0) print "NA"
    else printf "%.2f", a / b }'
}

# run_wrk NAME DURATION URL HEADER [PID]: one bounded wrk run; appends the round's figures to
# $results/NAME.{rps,p50,p99,non2xx,errors,requests} (and, with PID, cpu_user and cpu_sys:
# the target's CPU per call in microseconds). wrk's own output is kept in $tmp/wrk/.
wrk_round=0
run_wrk() {
  local name=$1 duration=$2 url=$3 header=$4 pid=${5:-} out rps p50 p99 non2xx errors requests
  local cmds_before cmds_after cpu_before cpu_after
  wrk_round=$((wrk_round + 1))
  out="$tmp/wrk/$(printf '%03d' "$wrk_round")-$name.txt"
  cmds_before=$(redis_commands)
  cpu_before=$(cpu_ticks "$pid")
  timeout -k 2 $((duration + 20)) wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" \
    --latency -H "$header" "$url" >"$out" 2>&1 || true
  cpu_after=$(cpu_ticks "$pid")
  cmds_after=$(redis_commands)
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p50=$(awk '$1 == "50%" { print $2 }' "$out")
  p99=$(awk '$1 == "99%" { print $2 }' "$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  errors=$(awk -F'[ ,]+' '/Socket errors:/ { print $4 + $6 + $8 + $10 }' "$out")
  requests=$(awk '/ requests in / { print $1 }' "$out")
  echo "${rps:-NA}" >>"$results/$name.rps"
  [ -n "$p50" ] && to_ms "$p50" >>"$results/$name.p50"
  [ -n "$p99" ] && to_ms "$p99" >>"$results/$name.p99"
  echo "${non2xx:-0}" >>"$results/$name.non2xx"
  echo "${errors:-0}" >>"$results/$name.errors"
  echo "${requests:-0}" >>"$results/$name.requests"
  # The INFO call itself is one command.
  echo $((cmds_after - cmds_before - 1)) >>"$results/$name.redis"
  if [ -n "$pid" ] && [ "${requests:-0}" -gt 0 ]; then
    # CPU of the target per call, in microseconds: user space, and the kernel on its behalf.
    awk -v a="$cpu_before" -v b="$cpu_after" -v n="$requests" -v hz="$clock_ticks" 'BEGIN {
      split(a, x, " "); split(b, y, " ")
      printf "%.2f\n", (y[1] - x[1]) * 1e6 / hz / n > "/dev/stderr"
      printf "%.2f\n", (y[2] - x[2]) * 1e6 / hz / n }' \
      2>>"$results/$name.cpu_user" >>"$results/$name.cpu_sys"
  fi
  printf '  %-28s %10s req/s  p50 %8s  p99 %8s  non-2xx %s  socket errors %s\n' \
    "$name" "${rps:-FAILED}" "${p50:--}" "${p99:--}" "${non2xx:-0}" "${errors:-0}"
}

# "USER SYSTEM" clock ticks used so far by PID's threads and its child processes' threads
# (nginx's workers); "0 0" without a PID.
clock_ticks=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_ticks() {
  local pid=$1 p
  [ -n "$pid" ] || { echo "0 0"; return; }
  for p in "$pid" $(pgrep -P "$pid" 2>/dev/null); do
    cat /proc/"$p"/task/*/stat 2>/dev/null
  done | sed 's/^.*) //' | awk '{ u += $12; s += $13 } END { print u + 0, s + 0 }'
}

sum_file() { awk '{ s += $1 } END { print s + 0 }' "$1" 2>/dev/null || echo 0; }
stat_of() { if [ -s "$results/$1.$2" ]; then median <"$results/$1.$2"; else echo NA; fi; }
# rounds_of NAME [STAT]: a target's figures in each round (STAT: rps, the default, or p50, p99).
rounds_of() { if [ -s "$results/$1.${2:-rps}" ]; then tr '\n' ' ' <"$results/$1.${2:-rps}"; fi; }

# Commands Redis has processed so far (0 when it cannot be asked).
redis_commands() {
  local n
  n=$(timeout 5 redis-cli -h 127.0.0.1 -p "$redis_port" info stats 2>/dev/null |
    sed -n 's/^total_commands_processed:\([0-9][0-9]*\).*/\1/p')
  echo "${n:-0}"
}

# Redis commands per call over all rounds of NAME.
redis_per_call() {
  ratio "$(sum_file "$results/$1.redis")" "$(sum_file "$results/$1.requests")"
}

# The sim's /_sim/stats "received" counter.
sim_received() {
  curl -s -m 5 "$1/_sim/stats" | sed -n 's/.*"received" *: *\([0-9][0-9]*\).*/\1/p'
}
