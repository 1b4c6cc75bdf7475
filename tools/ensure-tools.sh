#!/bin/sh
# Makes sure the real Prometheus tools the tests run are installed: promtool and prometheus
# (Debian package prometheus), amtool and the Alertmanager (prometheus-alertmanager) and
# node-exporter (prometheus-node-exporter), and openssl (the diagnostics tests make a certificate
# authority for a real HTTPS API server on loopback). Installs the Debian packages when it can (root, or
# password-less sudo, and apt-get); otherwise stops and says how to install them.
set -eu

PACKAGES="prometheus prometheus-alertmanager prometheus-node-exporter openssl"
BINARIES="promtool prometheus amtool prometheus-alertmanager prometheus-node-exporter openssl"

missing() {
    out=""
    for bin in $BINARIES; do
        command -v "$bin" >/dev/null 2>&1 || out="$out $bin"
    done
    echo "$out"
}

gone=$(missing)
[ -z "$gone" ] && exit 0

echo "ensure-tools: missing:$gone; installing Debian packages: $PACKAGES" >&2
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        SUDO="unavailable"
    fi
    if [ "$SUDO" != "unavailable" ]; then
        export DEBIAN_FRONTEND=noninteractive
        # Try with the current package lists first; refresh them only when that fails.
        $SUDO apt-get install -y -q $PACKAGES >&2 \
            || { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q $PACKAGES >&2; } \
            || true
    fi
fi

gone=$(missing)
if [ -n "$gone" ]; then
    cat >&2 <<MSG
ensure-tools: still missing:$gone
The tests run real Prometheus 2.42, Alertmanager 0.25 and node-exporter 1.5 from Debian, and
openssl.
Install them as root and run the tests again:

    apt-get install -y $PACKAGES

(The packages do not start any service; the tests start their own on loopback.)
MSG
    exit 1
fi
echo "ensure-tools: installed $PACKAGES" >&2
