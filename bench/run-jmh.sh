#!/usr/bin/env bash
# Runs the JMH benchmarks of the index hot paths (bench/src/main/java/io/cloudmirror/bench/jmh).
#   bench/run-jmh.sh [JMH ARGS...]     e.g. bench/run-jmh.sh -p blobs=100000 IndexBenchmark.lookup
# Results: bench/target/jmh-result.csv (and the table on stdout).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d bench/target/lib ] || mvn -B -q package -DskipTests -pl bench -am
exec java -cp "bench/target/classes:bench/target/lib/*" org.openjdk.jmh.Main \
    -rf csv -rff bench/target/jmh-result.csv "$@"
