#!/usr/bin/env bash
# The main job on an embedded default: lwm2m-gatewayd on loopback between the bundled LwM2M test
# server and three simulated sensors. Prints what the upstream server sees (one registration per
# sensor, each from its own port, plus the gateway's own) and one Read relayed to a sensor.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if [ ! -x "$BUILD/agent/daemon/lwm2m-gatewayd" ] || [ ! -x "$BUILD/tests/peers/lwm2m-test-server" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target lwm2m-gatewayd lwm2mgw-nosec lwm2m-test-server lwm2m-test-sensor
fi
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() {  # file, text, seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

"$BUILD/tests/peers/lwm2m-test-server" --listen 127.0.0.1:5783 --read demo-sensor-1 --wait 20 /3/0/0 \
  >"$work/server.log" 2>&1 &
server=$!
wait_for "$work/server.log" listening 5
GNUTLS_SYSTEM_PRIORITY_FILE="$PWD/plugins/gnutls/lwm2m-gateway-gnutls.conf" \
  "$BUILD/agent/daemon/lwm2m-gatewayd" --config tests/demo/loopback.ini --plugin-dir "$BUILD/plugins-out" \
  >"$work/gateway.log" 2>&1 &
pids+=($!)
wait_for "$work/gateway.log" "started" 5
"$BUILD/tests/peers/lwm2m-test-sensor" --gateway coap://127.0.0.1:5683 --endpoint demo-sensor --count 3 --lifetime 60 \
  >"$work/sensors.log" 2>&1 &
pids+=($!)

status=0
wait "$server" || status=$?
echo "== what the upstream LwM2M server saw (lwm2m-test-server) =="
cat "$work/server.log"
echo
echo "== the gateway's log =="
cat "$work/gateway.log"
exit "$status"
