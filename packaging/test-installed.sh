#!/usr/bin/env bash
# Builds the Debian packages, installs them on THIS machine (root needed: it runs dpkg -i and
# apt-get), and checks the installed programs: the daemon on a private bus between the in-tree
# test server and test sensor, driven by the installed lwm2m-gatewayctl; an out-of-tree plugin
# built against lwm2m-gateway-dev and loaded by the installed daemon; the unit and the D-Bus
# policy as installed; removal keeping the credential store and purge deleting it.
#   packaging/test-installed.sh [BUILD_DIR]   (BUILD_DIR holds tests/peers/, default build/)
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$top/build}"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (installs packages)"
step "test peers ($build)"
if [ ! -x "$build/tests/peers/lwm2m-test-server" ] || [ ! -x "$build/tests/peers/lwm2m-test-sensor" ]; then
    cmake -S "$top" -B "$build" -G Ninja >/dev/null
    cmake --build "$build" --target lwm2m-test-server lwm2m-test-sensor
fi

step "build the packages"
"$top/packaging/build-deb.sh" "$work/debs"
version="$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)"

step "lintian"
lintian --no-tag-display-limit "$work"/debs/lwm2m-gateway_"${version}"_*.deb "$work"/debs/lwm2m-gateway-dev_"${version}"_*.deb \
    | tee "$work/lintian.txt" || true
if grep -q '^E: ' "$work/lintian.txt"; then fail "lintian reports errors"; fi

step "install"
dpkg -i "$work"/debs/lwm2m-gateway_"${version}"_*.deb "$work"/debs/lwm2m-gateway-dev_"${version}"_*.deb
getent passwd lwm2m-gateway >/dev/null || fail "system user lwm2m-gateway missing"
getent group lwm2m-gateway >/dev/null || fail "group lwm2m-gateway missing"
dpkg-query -W -f='${Conffiles}\n' lwm2m-gateway | grep -q /etc/lwm2m-gateway/lwm2m-gateway.ini \
    || fail "lwm2m-gateway.ini is not a conffile"
systemd-analyze verify /lib/systemd/system/lwm2m-gateway.service || fail "systemd-analyze verify"
gnutls_conf=/usr/share/lwm2m-gateway/lwm2m-gateway-gnutls.conf
[ -f "$gnutls_conf" ] || fail "$gnutls_conf missing (the unit points GNUTLS_SYSTEM_PRIORITY_FILE at it)"
man -w lwm2m-gatewayd lwm2m-gatewayctl >/dev/null || fail "man pages"
plugin_dir="$(dirname "$(dpkg -L lwm2m-gateway | grep '/plugins/lwm2mgw-nosec.so$')")"

step "out-of-tree plugin against lwm2m-gateway-dev"
cmake -S "$top/packaging/example-plugin" -B "$work/example" -G Ninja >/dev/null
cmake --build "$work/example"
mkdir -p "$work/example-plugins"
cp "$work/example/example-nosec.so" "$work/example-plugins/"

step "installed daemon on a private bus, with the test server and a sensor"
# The installed policy file, on a bus that is otherwise like the system bus.
cat > "$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$work/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>/usr/share/dbus-1/system.d/org.lwm2mgateway.Gateway1.conf</include>
</busconfig>
CONF
chmod 755 "$work"
dbus-daemon --config-file="$work/bus.conf" --nofork --print-address=1 > "$work/bus.address" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/bus.address" ] && break; sleep 0.1; done
address="$(head -1 "$work/bus.address")"
[ -n "$address" ] || fail "dbus-daemon did not start"
ctl() { lwm2m-gatewayctl --address "$address" "$@"; }

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
server_port="$(free_port)"
gateway_port="$(free_port)"
"$build/tests/peers/lwm2m-test-server" --listen "127.0.0.1:$server_port" > "$work/server.log" 2>&1 &
pids+=($!)
install -d -o lwm2m-gateway -g lwm2m-gateway -m 0750 "$work/state"
# As the service runs it: user lwm2m-gateway (the policy lets it own the name).
setpriv --reuid=lwm2m-gateway --regid=lwm2m-gateway --init-groups \
    env GNUTLS_SYSTEM_PRIORITY_FILE="$gnutls_conf" \
    /usr/sbin/lwm2m-gatewayd --config /etc/lwm2m-gateway/lwm2m-gateway.ini --address "$address" \
    --endpoint installed-gw --listen "coap://127.0.0.1:$gateway_port" --upstream "coap://127.0.0.1:$server_port" \
    --plugin-dir "$work/example-plugins" --store "$work/state/credentials.sqlite" > "$work/gateway.log" 2>&1 &
gateway_pid=$!
pids+=($gateway_pid)
for _ in $(seq 100); do grep -q "control interface" "$work/gateway.log" && break; sleep 0.1; done
grep -q "control interface" "$work/gateway.log" || { cat "$work/gateway.log"; fail "daemon did not take the bus name"; }

# Non-dumpable (keys in memory): its /proc files belong to root, not to the service's user.
[ "$(stat -c %U "/proc/$gateway_pid/mem")" = root ] || fail "the daemon is dumpable"
ctl plugins
ctl --json plugins | grep -q '"name": "example-nosec"' || fail "example plugin not listed"
ctl --json plugins | python3 -c 'import json,sys; p=[x for x in json.load(sys.stdin) if x["name"]=="example-nosec"]; sys.exit(0 if p and p[0]["loaded"] else 1)' \
    || fail "example plugin not loaded"

"$build/tests/peers/lwm2m-test-sensor" --gateway "coap://127.0.0.1:$gateway_port" --endpoint installed-sensor > "$work/sensor.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do ctl --json endpoints 2>/dev/null | grep -q '"state": "registered"' && break; sleep 0.1; done
ctl status
ctl endpoints
ctl --json endpoint installed-sensor | grep -q '"state": "registered"' || fail "sensor not registered upstream"
ctl servers
ctl update installed-sensor || fail "update"
# A caller outside the group may read but not change.
setpriv --reuid=nobody --regid=nogroup --clear-groups lwm2m-gatewayctl --address "$address" endpoints >/dev/null \
    || fail "nobody may not read"
set +e
setpriv --reuid=nobody --regid=nogroup --clear-groups lwm2m-gatewayctl --address "$address" deregister installed-sensor
rc=$?
set -e
[ "$rc" -eq 5 ] || fail "nobody's deregister gave exit $rc, not 5"
# systemctl reload runs the unit's ExecReload with $MAINPID: the same command, on this daemon.
reload_command="$(sed -n 's/^ExecReload=//p' /lib/systemd/system/lwm2m-gateway.service)"
[ -n "$reload_command" ] || fail "the unit has no ExecReload"
${reload_command//\$MAINPID/$gateway_pid}
for _ in $(seq 50); do grep -q "reload: " "$work/gateway.log" && break; sleep 0.1; done
grep -q "reload: " "$work/gateway.log" || { tail -5 "$work/gateway.log"; fail "ExecReload did not reload"; }
kill -0 "$gateway_pid" || fail "the daemon did not survive ExecReload"
ctl --json endpoint installed-sensor | grep -q '"state": "registered"' \
    || fail "ExecReload dropped the sensor's registration"
! grep -q "de-registered installed-sensor" "$work/gateway.log" || fail "ExecReload de-registered the sensor"
echo "ExecReload ($reload_command) reloaded; installed-sensor stayed registered"
ctl deregister installed-sensor || fail "root's deregister"
kill -TERM "$gateway_pid"
wait "$gateway_pid" || fail "daemon did not stop cleanly"

step "remove keeps the credential store, purge deletes it"
install -d -o lwm2m-gateway -g lwm2m-gateway -m 0750 /var/lib/lwm2m-gateway
echo "store" > /var/lib/lwm2m-gateway/credentials.sqlite
dpkg -r lwm2m-gateway-dev lwm2m-gateway
[ -f /var/lib/lwm2m-gateway/credentials.sqlite ] || fail "remove deleted the credential store"
dpkg -P lwm2m-gateway lwm2m-gateway-dev
[ ! -e /var/lib/lwm2m-gateway ] || fail "purge left /var/lib/lwm2m-gateway"

step "all installed-package checks passed"
