#!/usr/bin/env bash
# A private two-shard ClickHouse cluster on one machine, to run the DDL of
# `stepwise clickhouse schema --cluster` for real: ZooKeeper (Debian's, standalone) and two
# clickhouse-servers (`clickhouse.sh`), shard 1 and shard 2 of cluster CH_CLUSTER (default
# `stepwise`), one replica each, every file under DIR, 127.0.0.1 only.
#
#   clickhouse-cluster.sh start DIR    installs zookeeper if missing, starts all three, waits
#   clickhouse-cluster.sh stop DIR     stops what it started, by pid
#
# Ports: shard k (1, 2) answers HTTP on CH_HTTP_PORT+k-1 (default 18124) and TCP on
# CH_TCP_PORT+k-1 (default 19001); ZooKeeper on ZK_PORT (default 12181).
set -euo pipefail
action=$1
dir=$2
here=$(cd "$(dirname "$0")" && pwd)
http=${CH_HTTP_PORT:-18124}
tcp=${CH_TCP_PORT:-19001}
zk=${ZK_PORT:-12181}
cluster=${CH_CLUSTER:-stepwise}

if [ "$action" = stop ]; then
  for k in 1 2; do CH_HTTP_PORT=$((http + k - 1)) "$here/clickhouse.sh" stop "$dir/shard$k" || true; done
  "$here/stop-pid.sh" "$dir/zookeeper.pid"
  exit 0
fi

if [ ! -f /usr/share/java/zookeeper.jar ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper >/dev/null
fi
mkdir -p "$dir/zookeeper/data"
cat > "$dir/zookeeper/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/zookeeper/data
clientPort=$zk
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr
CFG
cp /etc/zookeeper/conf_example/log4j.properties "$dir/zookeeper/" 2>/dev/null || true
# exec: the pid recorded is java's own.
(cd "$dir/zookeeper"; exec setsid java -Xmx256m -Dzookeeper.log.dir="$dir/zookeeper" -Dzookeeper.root.logger=WARN,CONSOLE \
  -cp "$dir/zookeeper:/usr/share/java/zookeeper.jar" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zookeeper/zoo.cfg" \
  >"$dir/zookeeper/stdout.log" 2>&1 </dev/null) &
echo $! > "$dir/zookeeper.pid"
# Serving, not just listening: a clickhouse-server (18.16) whose first ZooKeeper handshake
# fails can crash later on a null session, so it starts only once ZooKeeper takes sessions.
serving=no
for _ in $(seq 240); do
  echo srvr | timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$zk; cat >&3; cat <&3" 2>/dev/null | grep -q "^Mode: " && { serving=yes; break; }
  kill -0 "$(cat "$dir/zookeeper.pid")" 2>/dev/null || break
  sleep 0.5
done
[ $serving = yes ] || { echo "zookeeper did not start; see $dir/zookeeper/stdout.log" >&2; exit 1; }

# internal_replication: the tables are replicated, so a shard's replicas copy each other (and
# ClickHouse refuses ALTER ... ON CLUSTER on them without it: erasure and retention).
shards=""
for k in 1 2; do
  shards+="<shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>$((tcp + k - 1))</port></replica></shard>"
done
# And ${cluster}_lost_shard: shard 1 plus a second shard nobody answers for (port 9), to see
# what a write does while a shard is down without stopping one.
lost="<${cluster}_lost_shard><shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>$tcp</port></replica></shard>"
lost+="<shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>9</port></replica></shard></${cluster}_lost_shard>"
for k in 1 2; do
  CH_HTTP_PORT=$((http + k - 1)) CH_TCP_PORT=$((tcp + k - 1)) CH_EXTRA_CONFIG="
    <interserver_http_port>$((tcp + k + 9))</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <remote_servers><$cluster>$shards</$cluster>$lost</remote_servers>
    <zookeeper><node><host>127.0.0.1</host><port>$zk</port></node></zookeeper>
    <macros><shard>$k</shard><replica>shard$k</replica></macros>
    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>" \
    "$here/clickhouse.sh" start "$dir/shard$k"
done
# Each server must hold a ZooKeeper session before anyone sends it DDL.
for k in 1 2; do
  ok=no
  for _ in $(seq 120); do
    [ "$(curl -s --max-time 5 "http://127.0.0.1:$((http + k - 1))/" --data-binary "SELECT count() > 0 FROM system.zookeeper WHERE path = '/'")" = 1 ] && { ok=yes; break; }
    sleep 0.5
  done
  [ $ok = yes ] || { echo "shard $k has no ZooKeeper session; see $dir/shard$k/log/" >&2; exit 1; }
done
