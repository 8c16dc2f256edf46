#!/usr/bin/env bash
# Builds the spike plugin, installs it beside attnir into the bin/es-node node, restarts it and asks each route.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
. bin/env.sh
mvn -q -B -f plugins/spikes/ort-in-node/pom.xml package
bin/es-node stop
home=target/es/elasticsearch-9.5.3
as_user() { if [ "$(id -u)" -eq 0 ]; then runuser -u attnir-es -- "$@"; else "$@"; fi; }
[ -d "$home/plugins/attnir-spike-ort" ] && ES_JAVA_HOME=$JAVA_HOME as_user "$home/bin/elasticsearch-plugin" remove attnir-spike-ort
ES_JAVA_HOME=$JAVA_HOME as_user "$home/bin/elasticsearch-plugin" install --batch \
  "file://$root/plugins/spikes/ort-in-node/target/attnir-spike-ort-in-node-0.1.0-SNAPSHOT.zip"
bin/es-node start
url=$(bin/es-node url)
for route in env ort tokenizer embed; do
  echo "== GET /_attnir_spike/$route"
  curl -s "$url/_attnir_spike/$route" | head -${SPIKE_LINES:-25}
done
