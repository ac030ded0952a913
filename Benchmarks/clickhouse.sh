#!/usr/bin/env bash
# A private ClickHouse for the peer checks: `clickhouse.sh start DIR` installs Debian's
# clickhouse-server if missing, starts it on 127.0.0.1 (HTTP 18123, TCP 19000) with every file
# under DIR and waits for /ping; `clickhouse.sh stop DIR` stops the server it started, by pid.
# CH_EXTRA_CONFIG: XML put inside the server's config (a cluster's shards, ZooKeeper, macros).
set -euo pipefail
action=$1
dir=$2
http=${CH_HTTP_PORT:-18123}
tcp=${CH_TCP_PORT:-19000}
pidfile=$dir/clickhouse.pid

ping_ok() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$http/ping" 2>/dev/null)" = "Ok." ]; }

if [ "$action" = stop ]; then
  "$(dirname "$0")/stop-pid.sh" "$pidfile"
  exit 0
fi

if [ ! -x /usr/sbin/clickhouse-server ] || ! command -v clickhouse-client >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client curl >/dev/null
fi
ping_ok && { echo "something already answers on 127.0.0.1:$http" >&2; exit 1; }
mkdir -p "$dir"/{data,tmp,user_files,log,format_schemas}
cat > "$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog></logger>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_concurrent_queries>16</max_concurrent_queries>
    <mark_cache_size>1073741824</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
${CH_EXTRA_CONFIG:-}
</yandex>
XML
cat > "$dir/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>12000000000</max_memory_usage><max_threads>2</max_threads></default></profiles>
    <users><default><password></password><networks replace="replace"><ip>127.0.0.1</ip></networks>
        <profile>default</profile><quota>default</quota></default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows>
        <read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
cd "$dir"
setsid /usr/sbin/clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>"$dir/log/stderr.log" </dev/null &
echo $! > "$pidfile"
for _ in $(seq 120); do
  ping_ok && exit 0
  kill -0 "$(cat "$pidfile")" 2>/dev/null || break
  sleep 0.5
done
echo "clickhouse did not start; see $dir/log/" >&2
exit 1
