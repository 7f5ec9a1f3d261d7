#!/usr/bin/env bash
# A local Redis Cluster of three masters (no replicas, no persistence) for tests and benchmarks.
#
#   scripts/redis-cluster.sh start <dir> [port port port]   start it; prints TEST_REDIS_CLUSTER_NODES=…
#   scripts/redis-cluster.sh stop <dir>                     shut down what `start <dir>` started
#
# <dir> holds the nodes' config, pid and log files (e.g. a mktemp -d directory). Without ports, three
# free loopback ports are chosen whose cluster bus ports (port + 10000) are free as well. Usage:
#   eval "$(scripts/redis-cluster.sh start /tmp/rc)"; export TEST_REDIS_CLUSTER_NODES
#   … tests …
#   scripts/redis-cluster.sh stop /tmp/rc
set -euo pipefail

usage() {
  echo "usage: $0 start <dir> [port port port] | stop <dir>" >&2
  exit 2
}

[ $# -ge 2 ] || usage
command="$1"
dir="$2"
shift 2

# Prints three ports P with P and P + 10000 (the cluster bus) free on 127.0.0.1; with ports given,
# checks those instead and fails naming one in use.
free_ports() {
  node --input-type=module -e '
    import net from "node:net";
    const free = (port) => new Promise((resolve) => {
      const server = net.createServer().once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    const given = process.argv.slice(1).map(Number);
    if (given.length > 0) {
      for (const port of given) {
        if (!(port > 0 && port + 10000 <= 65535) || !(await free(port)) || !(await free(port + 10000))) {
          console.error(`port ${port} or its cluster bus port ${port + 10000} is not free`);
          process.exit(1);
        }
      }
      console.log(given.join(" "));
    } else {
      const found = [];
      while (found.length < 3) {
        const port = 20000 + Math.floor(Math.random() * 30000);
        if (found.includes(port)) continue;
        if ((await free(port)) && (await free(port + 10000))) found.push(port);
      }
      console.log(found.join(" "));
    }
  ' "$@"
}

start() {
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ -s "$dir/ports" ]; then
    echo "$dir/ports exists: a cluster was started from $dir; stop it first ($0 stop $dir)" >&2
    exit 1
  fi
  local ports
  if [ $# -eq 3 ] || [ $# -eq 0 ]; then ports="$(free_ports "$@")"; else usage; fi
  echo "$ports" >"$dir/ports"
  local port
  for port in $ports; do
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$dir/nodes-$port.conf" --save "" --appendonly no \
      --maxmemory-policy noeviction --daemonize yes --dir "$dir" \
      --pidfile "$dir/redis-$port.pid" --logfile "$dir/redis-$port.log"
  done
  # Ours once its pid file is there (the port was free) and it answers.
  for port in $ports; do
    for _ in $(seq 1 50); do
      [ -s "$dir/redis-$port.pid" ] && redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    [ -s "$dir/redis-$port.pid" ] && redis-cli -p "$port" ping >/dev/null 2>&1 || {
      echo "redis-server on port $port did not start (see $dir/redis-$port.log)" >&2
      exit 1
    }
  done
  local addresses=() nodes
  for port in $ports; do
    addresses+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${addresses[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 || {
    cat "$dir/create.log" >&2
    exit 1
  }
  # Every node must agree that all slots are served before a client can rely on the slot map.
  for port in $ports; do
    for _ in $(seq 1 100); do
      redis-cli -p "$port" cluster info | grep -q '^cluster_state:ok' && break
      sleep 0.1
    done
    redis-cli -p "$port" cluster info | grep -q '^cluster_state:ok' || {
      echo "the cluster did not reach cluster_state:ok on port $port" >&2
      exit 1
    }
  done
  nodes="$(IFS=,; echo "${addresses[*]}")"
  echo "TEST_REDIS_CLUSTER_NODES=$nodes"
}

# Ends only the servers `start` started, by the process ids in their pid files — never by port, so
# whatever else listens there (another Redis) is left alone.
stop() {
  [ -s "$dir/ports" ] || return 0
  local port pid
  for port in $(cat "$dir/ports"); do
    pid="$(cat "$dir/redis-$port.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true # redis-server shuts down on SIGTERM (nothing to save)
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$dir/nodes-$port.conf" "$dir/redis-$port.pid"
  done
  rm -f "$dir/ports"
}

case "$command" in
  start) start "$@" ;;
  stop) stop ;;
  *) usage ;;
esac
