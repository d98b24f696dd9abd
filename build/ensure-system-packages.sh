#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real: chromium (browser tests), espeak-ng
# (speech-to-text tests make their own recording) and postgresql (the sync server on PostgreSQL). Installs only when missing and when this machine
# allows it (root with apt-get); otherwise the tests that need them skip and name the package, except
# under CI=true, where a missing package fails those tests.
set -uo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
[[ -x /usr/sbin/dovecot ]] || need+=(dovecot-imapd)  # Apple Notes import: a real IMAP server on loopback
# the sync server's PostgreSQL tests start a throwaway server with initdb/pg_ctl (Debian keeps them
# under /usr/lib/postgresql/<version>/bin, off the PATH)
command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v ffmpeg >/dev/null 2>&1 || true
((${#need[@]})) || exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || echo "warning: could not install ${need[*]}; tests that need them will skip (or fail under CI=true)"
else
  echo "note: ${need[*]} missing and this user cannot apt-get install; the tests that need them will skip"
fi
exit 0
