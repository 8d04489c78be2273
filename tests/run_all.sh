#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The whole test suite: build with warnings as errors, make check, the same
# suite under valgrind memcheck, the unit and libpam tests again under
# AddressSanitizer + UBSan, the libFuzzer harnesses for 60 s each, the
# end-to-end tests with real sshd/sudo, a real OpenID provider and the client
# side (pamjwt login, askpass) (as root),
# the Debian packages (built, checked with lintian, installed, tested end to
# end, purged; as root), and make distcheck.
# Prints "N passed, N failed" at the end; exits non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
jobs=$(nproc 2>/dev/null || echo 2)
pass=0; fail=0
step() { echo; echo "=== $*"; }
count() { # add the automake summary of $1 (a test-suite.log)
  p=$(sed -n 's/^# PASS: *//p' "$1" | head -n 1); f=$(sed -n 's/^# FAIL: *//p' "$1" | head -n 1)
  e=$(sed -n 's/^# ERROR: *//p' "$1" | head -n 1)
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0} + ${e:-0}))
}
die() { echo "run_all: $*" >&2; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
# a step that cannot run here is not a pass: named at the end, exit status 1
not_run_list=
not_run() { echo "NOT RUN: $*"; not_run_list="$not_run_list
  - $*"; }
stop_chroot() { [ -z "${chroot_pid:-}" ] || { kill "$chroot_pid" 2>/dev/null; wait "$chroot_pid"; }; }
trap stop_chroot EXIT

step "bootstrap"
./autogen.sh >/dev/null || die "autogen failed"

step "build (warnings are errors) and make check"
rm -rf build && mkdir build && cd build || die "mkdir"
../configure --sysconfdir=/etc CFLAGS="-O2 -g -Werror" >configure.out 2>&1 || { cat configure.out; die "configure failed"; }
sed -n '/pam_jwt [0-9]/,$p' configure.out
make -j"$jobs" >make.out 2>&1 || { cat make.out; die "build failed"; }
make -j"$jobs" check >check.out 2>&1; rc=$?
grep -E '^(FAIL|ERROR|XPASS)|^# ' check.out
count test-suite.log
[ $rc -eq 0 ] || { cat tests/*.log | grep -E '^(not ok|#)' | head -100; die "make check failed"; }
cd "$top"

step "Debian 13 amd64 and Debian 12 i386 chroots (tests/chroot.sh): started in the background, reported after the package step"
tests/chroot.sh >build/chroot.out 2>&1 & chroot_pid=$!
echo "started (pid $chroot_pid)"

step "valgrind memcheck: the same suite, no memory errors or leaks"
cd build || die "cd build"
make check-valgrind >valgrind.out 2>&1; rc=$?
grep -E '^(FAIL|ERROR|XPASS)|^# ' valgrind.out
count test-suite-valgrind.log
[ $rc -eq 0 ] || { grep -h -B2 -A30 '==[0-9]*==' tests/*.log | head -150; die "valgrind run failed"; }
cd "$top"

step "AddressSanitizer + UndefinedBehaviorSanitizer: unit, libpam and pamjwt tests"
rm -rf build-asan && mkdir build-asan && cd build-asan || die "mkdir"
../configure --sysconfdir=/etc --enable-sanitizers CFLAGS="-O1 -g" >configure.out 2>&1 || { cat configure.out; die "configure (asan) failed"; }
make -j"$jobs" >make.out 2>&1 || { cat make.out; die "build (asan) failed"; }
# Everything but test_pamtester.sh: pamtester itself is not instrumented
# and cannot load an instrumented module, so it is left to the normal run.
# The pamjwt tests (C and shell) run the instrumented CLI, leaks included.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  make -j"$jobs" check TESTS="tests/test_unit tests/test_vectors tests/test_pam tests/test_exports \
    tests/test_cli tests/test_pamjwt.sh tests/test_client.sh" >check.out 2>&1; rc=$?
grep -E '^(FAIL|ERROR|XPASS)|^# ' check.out
count test-suite.log
[ $rc -eq 0 ] || { grep -h -B2 -A30 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error' tests/*.log | head -150; die "sanitizer run failed"; }
cd "$top"

step "libFuzzer: each harness for 60 s (token, config, JWKS, key file, whole pam_sm_authenticate, chunked answers, policy directories, proof answers, device sign-in helper output)"
FUZZ_PARALLEL=2 tests/fuzz/run.sh 60 "$top/build-fuzz" >build/fuzz.out 2>&1; rc=$?
grep -E '^(fuzz |ok |not ok |#[0-9]+.*DONE)' build/fuzz.out
p=$(grep -c '^ok ' build/fuzz.out); f=$(grep -c '^not ok ' build/fuzz.out)
pass=$((pass + p)); fail=$((fail + f))
[ $rc -eq 0 ] || { tail -80 build/fuzz.out; die "fuzzing found a problem (artifacts in build-fuzz/run/*/artifacts)"; }

step "end to end as root: real sshd, sudo, the FastAPI issuer (tests/e2e/run.sh), an OpenID provider (tests/e2e/oidc.sh) and the client, pamjwt login and askpass (tests/e2e/client.sh), device sign-in at the prompt (tests/e2e/device.sh), groups from the token (tests/e2e/groups.sh), users from a roster (tests/e2e/roster.sh), in parallel"
# E2E_LOCK=FILE: on a machine where other end-to-end runs may be going on
# (developers' helpers), hold that lock (flock) through the e2e and package
# steps; the suites get the descriptor closed
if [ -n "${E2E_LOCK:-}" ]; then
  exec 9>"$E2E_LOCK" && flock 9 || die "cannot take the lock $E2E_LOCK"
fi
if [ "$(id -u)" -eq 0 ]; then
  # The suites share /run/sshd (tests/e2e/lib.sh): run them as on a fresh
  # machine, where it does not exist, whenever that is safe (no sshd runs
  # here and the directory is empty), and check afterwards that they left
  # it as they found it.
  run_sshd_moved=
  if [ -d /run/sshd ] && ! pgrep -x sshd >/dev/null && rmdir /run/sshd 2>/dev/null; then
    run_sshd_moved=1
  fi
  run_sshd_absent=
  if [ -d /run/sshd ]; then
    echo "# /run/sshd exists (a system sshd uses it): the suites run with it"
  else
    run_sshd_absent=1
    echo "# /run/sshd does not exist: the suites create it and the last one out removes it"
  fi
  E2E_BUILD_DIR="$top/build" tests/e2e/run.sh 9>&- >build/e2e.out 2>&1 & e2e_pid=$!
  E2E_BUILD_DIR="$top/build" tests/e2e/oidc.sh 9>&- >build/e2e-oidc.out 2>&1 & oidc_pid=$!
  E2E_BUILD_DIR="$top/build" tests/e2e/client.sh 9>&- >build/e2e-client.out 2>&1 & client_pid=$!
  E2E_BUILD_DIR="$top/build" tests/e2e/relay.sh 9>&- >build/e2e-relay.out 2>&1 & relay_pid=$!
  E2E_BUILD_DIR="$top/build" tests/e2e/device.sh 9>&- >build/e2e-device.out 2>&1 & device_pid=$!
  E2E_BUILD_DIR="$top/build" tests/e2e/groups.sh 9>&- >build/e2e-groups.out 2>&1 & groups_pid=$!
  E2E_BUILD_DIR="$top/build" tests/e2e/roster.sh 9>&- >build/e2e-roster.out 2>&1 & roster_pid=$!
  wait $e2e_pid; rc=$?
  wait $oidc_pid; rc_oidc=$?
  wait $client_pid; rc_client=$?
  wait $relay_pid; rc_relay=$?
  wait $device_pid; rc_device=$?
  wait $groups_pid; rc_groups=$?
  wait $roster_pid; rc_roster=$?
  if [ -n "$run_sshd_absent" ]; then
    if [ -e /run/sshd ] || [ -e /run/pamjwt-e2e-sshd.users ]; then
      echo "not ok - e2e: /run/sshd, created by the suites, was removed after the last one"; fail=$((fail + 1))
    else
      echo "ok - e2e: /run/sshd, created by the suites, was removed after the last one"; pass=$((pass + 1))
    fi
  fi
  [ -n "$run_sshd_moved" ] && mkdir -m 0755 /run/sshd
  for o in build/e2e.out build/e2e-oidc.out build/e2e-client.out build/e2e-relay.out build/e2e-device.out build/e2e-groups.out build/e2e-roster.out; do
    echo "--- $o"; cat "$o"
    p=$(grep -c '^ok ' "$o"); f=$(grep -c '^not ok ' "$o")
    pass=$((pass + p)); fail=$((fail + f))
    grep -q '^1\.\.0 # SKIP' "$o" && not_run "$o: $(sed -n 's/^1\.\.0 # SKIP //p' "$o")"
  done
  [ $rc -eq 0 ] && [ $rc_oidc -eq 0 ] && [ $rc_client -eq 0 ] && [ $rc_relay -eq 0 ] && [ $rc_device -eq 0 ] && [ $rc_groups -eq 0 ] && [ $rc_roster -eq 0 ] ||
    die "end-to-end tests failed (run.sh: exit $rc, oidc.sh: exit $rc_oidc, client.sh: exit $rc_client, relay.sh: exit $rc_relay, device.sh: exit $rc_device, groups.sh: exit $rc_groups, roster.sh: exit $rc_roster)"
else
  not_run "end to end (needs root: it starts sshd and edits /etc/sudoers.d, restoring everything)"
fi

step "Debian packages as root: build, lintian, install, e2e on the installed module, purge (tests/deb.sh)"
if [ "$(id -u)" -eq 0 ]; then
  tests/deb.sh 9>&- >build/deb.out 2>&1; rc=$?
  cat build/deb.out
  p=$(grep -c '^ok ' build/deb.out); f=$(grep -c '^not ok ' build/deb.out)
  pass=$((pass + p)); fail=$((fail + f))
  [ $rc -eq 0 ] || die "Debian package tests failed"
else
  not_run "Debian packages (needs root: it installs and purges the packages)"
fi

[ -n "${E2E_LOCK:-}" ] && exec 9>&-

step "Debian 13 amd64 chroot (-Werror build, make check, packages: lintian, install, purge) and Debian 12 i386 chroot (-Werror build, make check): tests/chroot.sh"
wait "$chroot_pid"; rc=$?; chroot_pid=
cat build/chroot.out
p=$(grep -c '^ok ' build/chroot.out); f=$(grep -c '^not ok ' build/chroot.out)
pass=$((pass + p)); fail=$((fail + f))
# exit 2: a target could not run (not root, no debootstrap, no archive):
# its "not run: chroot-..." line and a "not ok" line, counted above as a
# failure, so the run ends non-zero; the other steps go on
[ $rc -eq 2 ] && not_run "$(grep '^not run: ' build/chroot.out | tr '\n' ' ')"
[ $rc -eq 0 ] || [ $rc -eq 2 ] || die "chroot steps failed (tests/chroot.sh: exit $rc)"

step "make distcheck (tarball builds, installs, uninstalls cleanly)"
cd build && make -j"$jobs" distcheck >distcheck.out 2>&1 || { tail -60 distcheck.out; die "distcheck failed"; }
tail -n 4 distcheck.out
cd "$top"

echo
if [ -n "$not_run_list" ]; then
  echo "run_all: these steps could not run here, so this is not a full pass:$not_run_list"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ -z "$not_run_list" ]
