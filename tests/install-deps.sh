#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Install the Debian 12 packages pam_jwt needs to build and test (only the
# missing ones).  Uses sudo when not run as root.
set -e
here=$(cd "$(dirname "$0")" && pwd)
missing=$("$here/missing-packages.sh" | tr '\n' ' ')
[ -z "$missing" ] && { echo "install-deps: all packages present"; exit 0; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing:$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
