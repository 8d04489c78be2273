#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Set up and demo: install what is missing, build, then log in through the
# real libpam with a freshly minted ES256 token.  Touches nothing in /etc:
# pam_wrapper points libpam at a service file in a temporary directory.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tests/install-deps.sh
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p build && cd build
[ -f Makefile ] || ../configure --sysconfdir=/etc >/dev/null
make -j"$(nproc)" >/dev/null
cd "$top"

demo=$(mktemp -d /tmp/pamjwt-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
chmod 755 "$demo"
me=$(id -un)
echo "1. an identity provider's key pair (P-256), made with openssl:"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$demo/idp.key" 2>/dev/null
openssl pkey -in "$demo/idp.key" -pubout -out "$demo/idp.pub"
chmod 644 "$demo/idp.pub"
sed 's/^/   /' "$demo/idp.pub"
echo "2. the module's config, $demo/pam_jwt.conf:"
cat > "$demo/pam_jwt.conf" <<CONF
key_file = $demo/idp.pub
allowed_subjects = $me
audience = demo
CONF
chmod 644 "$demo/pam_jwt.conf"
sed 's/^/   /' "$demo/pam_jwt.conf"
mkdir "$demo/pam.d"
echo "auth [success=done ignore=ignore default=die] $top/build/.libs/pam_jwt.so config=$demo/pam_jwt.conf" > "$demo/pam.d/demo"
echo "3. the PAM service file (in $demo/pam.d, not /etc/pam.d):"
sed 's/^/   /' "$demo/pam.d/demo"
echo "4. a token for '$me' valid for 2 minutes, minted with pamjwt:"
echo "   \$ pamjwt mint --key idp.key --sub $me --aud demo --ttl 120"
tok=$(build/pamjwt mint --key "$demo/idp.key" --sub "$me" --aud demo --ttl 120)
echo "   $tok"
echo "   \$ pamjwt check --config pam_jwt.conf --user $me   (the module's own decision code)"
printf '%s\n' "$tok" | build/pamjwt check --config "$demo/pam_jwt.conf" --user "$me" | sed -n '1,3s/^/   /p'
wrap() {
  env LD_PRELOAD="$(pkg-config --libs pam_wrapper)" PAM_WRAPPER=1 \
      PAM_WRAPPER_SERVICE_DIR="$demo/pam.d" pamtester -v demo "$me" authenticate 2>&1 |
      sed -e 's/^/   /' -e 's/PWRAP_ERROR\[[^]]*\] - SYSLOG([0-9]*): /syslog: /'
}
echo "5. pamtester logs in as $me with the token:"
printf '%s\n' "$tok" | wrap
echo "6. the same token with one signature character changed:"
last=$(printf %s "$tok" | tail -c 1); [ "$last" = A ] && repl=B || repl=A
printf '%s\n' "${tok%?}$repl" | wrap || true
