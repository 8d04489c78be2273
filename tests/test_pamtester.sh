#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The built module through pamtester, a stock PAM application, with
# pam_wrapper redirecting libpam to service files in a temp dir (no root,
# /etc/pam.d untouched).  TAP output.
set -u
n=0; failed=0
ok()   { n=$((n+1)); echo "ok $n - $*"; }
nok()  { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $*"; }
if [ -z "${PAMTESTER:-}" ] || [ -z "${PAM_WRAPPER_LIB:-}" ] || [ ! -x "$PAMTESTER" ] || [ ! -f "$PAM_WRAPPER_LIB" ]; then
  echo "1..0 # SKIP pamtester or pam_wrapper not available"; exit 0
fi
dir=$(mktemp -d /tmp/pamjwt-pt.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
me=$(id -un)
"$JWTMINT" keygen p256 "$dir/ec.key" "$dir/ec.pub" || { echo "Bail out! keygen"; exit 1; }
"$JWTMINT" keygen p256 "$dir/other.key" "$dir/other.pub"
cat > "$dir/pam_jwt.conf" <<CONF
key_file = $dir/ec.pub
allowed_subjects = *
CONF
chmod 644 "$dir/pam_jwt.conf"
mkdir "$dir/svc"
cat > "$dir/svc/jwt" <<SVC
auth [success=done ignore=ignore default=die] $PAM_JWT_SO config=$dir/pam_jwt.conf
auth required $PAM_SETTOK_SO expect=hunter2
SVC

# run TOKEN USER -> sets out, rc
run() {
  out=$(printf '%s\n' "$1" | env LD_PRELOAD="$PAM_WRAPPER_LIB" PAM_WRAPPER=1 PAM_WRAPPER_DEBUGLEVEL=2 \
        PAM_WRAPPER_SERVICE_DIR="$dir/svc" ${TEST_WRAPPER:-} "$PAMTESTER" -v jwt "$2" authenticate 2>&1)
  rc=$?
}
check() { # name want_rc want_text
  if [ "$rc" -eq "$2" ] && printf '%s' "$out" | grep -q "$3"; then ok "$1"
  else nok "$1"; printf '%s\n' "$out" | sed 's/^/#   /'; fi
}

tok=$("$JWTMINT" sign ES256 "$dir/ec.key" "{\"sub\":\"$me\",\"iat\":@now,\"exp\":@now+300}")
run "$tok" "$me";     check "valid ES256 token authenticates through pamtester" 0 "successfully authenticated"
# pam_wrapper prints what the module logs; the token must not be there
sig=${tok##*.}
if printf '%s' "$out" | grep -q "accepted token for user $me" && ! printf '%s' "$out" | grep -qF "$sig"; then
  ok "acceptance logged, token and signature not logged"; else nok "acceptance logged, token and signature not logged"; fi
run "$tok" "nobody";  check "token for another user refused" 1 "Authentication failure"
exp=$("$JWTMINT" sign ES256 "$dir/ec.key" "{\"sub\":\"$me\",\"iat\":@now-600,\"exp\":@now-300}")
run "$exp" "$me";     check "expired token refused" 1 "Authentication failure"
forged=$("$JWTMINT" sign ES256 "$dir/other.key" "{\"sub\":\"$me\",\"iat\":@now,\"exp\":@now+300}")
run "$forged" "$me";  check "token signed by another key refused" 1 "Authentication failure"
run "hunter2" "$me";  check "ordinary password ignored, next module accepts it" 0 "successfully authenticated"
run "wrong" "$me";    check "wrong password: next module refuses" 1 "Authentication failure"
ghost=$("$JWTMINT" sign ES256 "$dir/ec.key" "{\"sub\":\"nosuchuser-pamjwt\",\"iat\":@now,\"exp\":@now+300}")
run "$ghost" "nosuchuser-pamjwt"; check "unknown user -> PAM_USER_UNKNOWN" 1 "User not known"
pad=$(head -c 600 /dev/zero | tr '\0' 'p')
long=$("$JWTMINT" sign ES256 "$dir/ec.key" "{\"sub\":\"$me\",\"iat\":@now,\"exp\":@now+300,\"pad\":\"$pad\"}")
len=$(printf '%s' "$long" | wc -c)
run "$long" "$me";    check "$len-byte token through the conversation accepted" 0 "successfully authenticated"
chmod 666 "$dir/pam_jwt.conf"
run "$tok" "$me";     check "world-writable config -> PAM_AUTHINFO_UNAVAIL" 1 "cannot retrieve authentication info"
if printf '%s' "$out" | grep -q "pam_jwt.conf: unsafe permissions 0666"; then ok "log line names the file and the problem"; else nok "log line names the file and the problem"; fi
run "hunter2" "$me";  check "... while an ordinary password still falls through" 0 "successfully authenticated"
echo "1..$n"
[ "$failed" -eq 0 ]
