#!/usr/bin/env bash
# Ensures the system tools the test suite drives are installed (Debian 12).
# Idempotent and fast: it only calls apt-get when something is missing.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin

# "package|check" — check is a shell test that succeeds when the tool is present.
REQUIRED=(
  "openssl|command -v openssl"
  # README's command-line journey (test/web/first-hour.test.ts runs it as written).
  "jq|command -v jq"
  "curl|command -v curl"
  "gnutls-bin|command -v certtool && command -v ocsptool"
  "postgresql-15|test -x $PG_BIN/initdb && test -x $PG_BIN/pg_ctl && test -x $PG_BIN/postgres && test -x $PG_BIN/pg_dump && test -x $PG_BIN/pg_restore"
  # Backup and restore of a SQLite deployment as docs/operations.md gives it (src/store/move.test.ts).
  "sqlite3|command -v sqlite3"
  "softhsm2|command -v softhsm2-util"
  "opensc|command -v pkcs11-tool"
  "libnss3-tools|command -v certutil"
  "golang-go|command -v go"
  "chromium|test -x /usr/bin/chromium"
  "fonts-wqy-microhei|fc-list | grep -qi 'WenQuanYi Micro Hei'"
  "wrk|command -v wrk"
  "hyperfine|command -v hyperfine"
  # Independent verifiers of what Signet signs (issue 23; test/interop, docs/interoperability.md).
  "golang-go|command -v go"
  "golang-golang-x-crypto-dev|test -d /usr/share/gocode/src/golang.org/x/crypto/ocsp"
  "golang-github-tjfoc-gmsm-dev|test -d /usr/share/gocode/src/github.com/tjfoc/gmsm/sm2"
  "openjdk-17-jdk-headless|command -v javac && command -v jarsigner"
  "libbcprov-java|test -f /usr/share/java/bcprov.jar"
  "libbcpkix-java|test -f /usr/share/java/bcpkix.jar"
  "libbcutil-java|test -f /usr/share/java/bcutil.jar"
  "python3-cryptography|/usr/bin/python3 -c 'import cryptography'"
  "python3-asn1crypto|/usr/bin/python3 -c 'import asn1crypto'"
  "python3-cryptography-vectors|test -d /usr/lib/python3/dist-packages/cryptography_vectors/x509/PKITS_data"
  "gpgsm|command -v gpgsm"
  "osslsigncode|command -v osslsigncode"
  # EST and SCEP clients nobody here wrote (issue 21, src/est): strongSwan's pki with its curl plugin
  # (libstrongswan-extra-plugins) and the openssl plugin for ECDSA (libstrongswan-standard-plugins).
  "strongswan-pki|command -v pki"
  "libstrongswan-extra-plugins|test -f /usr/lib/ipsec/plugins/libstrongswan-curl.so"
  "libstrongswan-standard-plugins|test -f /usr/lib/ipsec/plugins/libstrongswan-openssl.so"
  # A second SCEP client (src/scep/certmonger.test.ts): certmonger on its own session bus (dbus-daemon).
  "certmonger|command -v getcert && test -x /usr/lib/certmonger/scep-submit"
  "dbus|command -v dbus-daemon"
  # A real `signet serve` a year and five years on (issue 13, test/interop/faketime-serve.test.ts).
  # ACME clients nobody here wrote, against the ACME door (issue 21, src/acme/*.test.ts).
  "certbot|command -v certbot"
  "lego|command -v lego"
  "uacme|command -v uacme"
  "dehydrated|command -v dehydrated"
  "acme-tiny|command -v acme-tiny"
  # The reference ACME server the same clients also run against (src/acme/acme-pebble-reference.test.ts);
  # pebble-challtestsrv, in the same package, answers its DNS lookups with 127.0.0.1.
  "pebble|command -v pebble && command -v pebble-challtestsrv"
  # dns-01: an authoritative server with RFC 2136 updates for lego's rfc2136 provider (src/acme/acme-dns-01.test.ts).
  "bind9|test -x /usr/sbin/named"
  "faketime|command -v faketime && test -f /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
)

missing=()
for entry in "${REQUIRED[@]}"; do
  pkg=${entry%%|*}
  check=${entry#*|}
  if ! bash -c "$check" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-test-tools: all test tools present, nothing installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "setup-test-tools: missing packages: ${missing[*]}" >&2
  echo "setup-test-tools: not root and no passwordless sudo; install them with:" >&2
  echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

# Installing postgresql-15 must not leave a running cluster behind: the tests start
# their own throwaway cluster. policy-rc.d (exit 101) forbids invoke-rc.d from
# starting any service during this install; it is removed afterwards.
policy_rc=/usr/sbin/policy-rc.d
placed_policy=0
cleanup() {
  if [ "$placed_policy" -eq 1 ]; then "${SUDO[@]}" rm -f "$policy_rc"; fi
}
trap cleanup EXIT
if [ ! -e "$policy_rc" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy_rc" >/dev/null
  "${SUDO[@]}" chmod 755 "$policy_rc"
  placed_policy=1
fi

"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Belt and braces: if a packaged cluster got started anyway, stop it (we only use initdb/pg_ctl).
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters --no-header 2>/dev/null | while read -r ver name _port status _rest; do
    case "$status" in
      online*) "${SUDO[@]}" pg_ctlcluster "$ver" "$name" stop || true ;;
    esac
  done
fi

still_missing=()
for entry in "${REQUIRED[@]}"; do
  pkg=${entry%%|*}
  check=${entry#*|}
  bash -c "$check" >/dev/null 2>&1 || still_missing+=("$pkg")
done
if [ ${#still_missing[@]} -gt 0 ]; then
  echo "setup-test-tools: installed packages but tools still missing: ${still_missing[*]}" >&2
  exit 1
fi

echo "setup-test-tools: installed ${missing[*]}"
