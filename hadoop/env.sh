# Shared settings of hadoop/start, stop, status, test (sourced, not run).
# Everything can be overridden from the environment:
#   CIPHERSTAT_HADOOP_STATE  folder for conf, HDFS data, logs, pid files (default /tmp/cipherstat-hadoop)
#   CIPHERSTAT_HADOOP_JARS   jar folder (default ~/.cache/cipherstat/hadoop-3.5.0-jars, filled by mvn)
#   CIPHERSTAT_HADOOP_HEAP   daemon heap (default 512m)
#   CIPHERSTAT_HADOOP_PORT_BASE  if set, every port is BASE+offset (to run beside another cluster)
HADOOP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${CIPHERSTAT_HADOOP_STATE:-/tmp/cipherstat-hadoop}
JARS=${CIPHERSTAT_HADOOP_JARS:-$HOME/.cache/cipherstat/hadoop-3.5.0-jars}
HEAP=${CIPHERSTAT_HADOOP_HEAP:-512m}
CONF=$STATE/conf
LOGS=$STATE/logs
PIDS=$STATE/pids
if [ -n "${CIPHERSTAT_HADOOP_PORT_BASE:-}" ]; then
  b=$CIPHERSTAT_HADOOP_PORT_BASE
  NN_RPC_PORT=$b; NN_HTTP_PORT=$((b + 1)); DN_PORT=$((b + 2)); DN_HTTP_PORT=$((b + 3))
  DN_IPC_PORT=$((b + 4)); RM_PORT=$((b + 5)); RM_SCHED_PORT=$((b + 6)); RM_TRACKER_PORT=$((b + 7))
  RM_ADMIN_PORT=$((b + 8)); RM_WEB_PORT=$((b + 9)); NM_LOCALIZER_PORT=$((b + 10))
  NM_WEB_PORT=$((b + 11)); SHUFFLE_PORT=$((b + 12)); JHS_PORT=$((b + 13))
else
  NN_RPC_PORT=9000; NN_HTTP_PORT=9870; DN_PORT=9866; DN_HTTP_PORT=9864; DN_IPC_PORT=9867
  RM_PORT=8032; RM_SCHED_PORT=8030; RM_TRACKER_PORT=8031; RM_ADMIN_PORT=8033; RM_WEB_PORT=8088
  NM_LOCALIZER_PORT=8040; NM_WEB_PORT=8042; SHUFFLE_PORT=13562; JHS_PORT=10020
fi
NN_RPC=127.0.0.1:$NN_RPC_PORT
NN_HTTP=127.0.0.1:$NN_HTTP_PORT
DAEMONS=(namenode datanode resourcemanager nodemanager)

JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /usr/bin/java)")")")}
export JAVA_HOME
# A plain `java -cp` skips the Hadoop launcher's Java 17 flags; these are the packages
# Hadoop reflects into (the ResourceManager and NodeManager fail to start without them).
ADD_OPENS=""
for pkg in java.base/java.lang java.base/java.lang.reflect java.base/java.io java.base/java.net \
           java.base/java.nio java.base/java.util java.base/java.util.concurrent \
           java.base/java.util.zip java.base/java.math java.base/java.text \
           java.base/sun.security.util java.base/sun.security.x509 java.base/sun.nio.ch; do
  ADD_OPENS+=" --add-opens=$pkg=ALL-UNNAMED"
done
ADD_OPENS=${ADD_OPENS# }

daemon_class() {
  case $1 in
    namenode) echo org.apache.hadoop.hdfs.server.namenode.NameNode ;;
    datanode) echo org.apache.hadoop.hdfs.server.datanode.DataNode ;;
    resourcemanager) echo org.apache.hadoop.yarn.server.resourcemanager.ResourceManager ;;
    nodemanager) echo org.apache.hadoop.yarn.server.nodemanager.NodeManager ;;
  esac
}

# The pid in PIDS/NAME.pid if that process is alive and is our JVM.
running_pid() {
  local f=$PIDS/$1.pid pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "-Dcipherstat.daemon=$1 " || return 1
  echo "$pid"
}

hadoop_java() {  # java with the cluster's classpath and flags: hadoop_java CLASS ARGS...
  java -Xmx256m $ADD_OPENS -Dhadoop.log.dir="$LOGS" -Dlog4j.configuration=file:"$CONF/log4j.properties" \
    -cp "$CONF:$JARS/*" "$@"
}

http_ok() { curl -sf --max-time 3 -o /dev/null "$1"; }

# For -h/--help as the first argument: prints the calling script's header comment (its
# usage) and exits, before the script starts or stops anything.
usage_on_help() {
  case "${1:-}" in
    -h | --help)
      sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
  esac
}
