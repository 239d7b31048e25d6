#!/bin/sh
# Installs the Debian packages Vallum needs, once. Usage: mk/deps.sh run|test|debug
# (debug: make debug's, the run packages and gdb-multiarch; the tests use it too)
# Nothing is downloaded from anywhere but Debian's archive.
set -e
run_pkgs="gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc python3 gcc libc6-dev libyaml-dev"
test_pkgs="$run_pkgs clang-14 libclang-rt-14-dev cppcheck python3-pytest python3-pexpect gcc spin e2fsprogs gdb-multiarch"
debug_pkgs="$run_pkgs gdb-multiarch"
case "${1:-run}" in
run) pkgs=$run_pkgs ;;
debug) pkgs=$debug_pkgs ;;
*) pkgs=$test_pkgs ;;
esac
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "Installing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "error: these packages are missing and installing them needs root:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
