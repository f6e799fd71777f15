#!/usr/bin/env bash
# Installs what skiff needs on a Debian machine (run as root): Debian packages,
# npm packages, and the compiled build. Idempotent: does nothing twice.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(runc crun conmon socat containernetworking-plugins nftables busybox-static iproute2 etcd-server python3 make g++ debootstrap attr bind9-dnsutils protobuf-compiler docker-registry apache2-utils)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "skiff: missing Debian packages: ${missing[*]}; run this script as root to install them" >&2
    exit 1
  fi
  echo "skiff: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # the etcd package starts a system etcd; skiff runs its own when asked to
  systemctl disable --now etcd >/dev/null 2>&1 || true
  # likewise the registry: the tests run docker-registry themselves, on loopback, with a config of their own
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

if ! command -v kubectl >/dev/null 2>&1; then
  echo "skiff: kubectl is not installed; the cluster works without it, but the tests drive the real kubectl (1.32)." >&2
  echo "       install kubectl 1.32 into /usr/local/bin and run again" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "skiff: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "skiff: building"
npm run -s build
