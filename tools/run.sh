#!/bin/sh
# Boots a Vallum boot image in QEMU for a person: what `make run` runs (the Makefile, and the
# SDK's vallum.mk, which ships this script as bin/vallum-run).
#
# Usage: run.sh [--args-file FILE] IMAGE [extra QEMU arguments...]
#
# --args-file FILE  a system's extra QEMU arguments (systems/<name>/qemu.args; devices such as
#                   a NIC, or `-rtc clock=vm`): whitespace-separated words, `#` starts a
#                   comment; no quoting. A missing FILE is no error (most systems have none).
#
# Environment:
#   RUN_SECONDS=N  stop QEMU after N seconds; 0 means no limit. Unset or empty: no limit when
#                  stdin is a terminal (a person quits with Ctrl-A X), 120 otherwise (a script
#                  or CI job never hangs on a system that does not shut down).
#   QEMU=CMD       the emulator (default qemu-system-riscv64)
#
# Exit status: 0 when the run ended as runs end: the user quit QEMU (Ctrl-A X), the system
# powered off (any status: a non-zero one, the argument of vl_shutdown_power_off, is printed
# but is not a failure of the run; tests that check it boot the image themselves), or the
# time limit passed (printed). 2 on a usage error (a missing image, a bad RUN_SECONDS);
# 125, 126 or 127 when timeout or QEMU could not be run.
set -u

args_file=
if [ $# -ge 2 ] && [ "$1" = --args-file ]; then
    args_file=$2
    shift 2
fi
if [ $# -lt 1 ]; then
    echo "usage: run.sh [--args-file FILE] IMAGE [QEMU arguments...]" >&2
    exit 2
fi
image=$1
shift
system_args=
if [ -n "$args_file" ] && [ -f "$args_file" ]; then
    system_args=$(sed -e 's/#.*//' "$args_file")
fi
if [ ! -f "$image" ]; then
    echo "run: no boot image $image" >&2
    exit 2
fi

seconds=${RUN_SECONDS:-}
if [ -z "$seconds" ]; then
    if [ -t 0 ]; then
        seconds=0
    else
        seconds=120
    fi
fi
case $seconds in
'' | *[!0-9]*)
    echo "run: RUN_SECONDS must be a whole number of seconds (0: no limit), not '$seconds'" >&2
    exit 2
    ;;
esac

qemu=${QEMU:-qemu-system-riscv64}
# $qemu is split into words on purpose: QEMU may name a command with arguments.
# $system_args is split into words on purpose too (the file's format says so).
# shellcheck disable=SC2086
set -- -machine virt -cpu rv64 -m 256M -smp 1 -nographic -bios default -kernel "$image" \
    $system_args "$@"
if [ "$seconds" -eq 0 ]; then
    # shellcheck disable=SC2086
    $qemu "$@"
else
    # shellcheck disable=SC2086
    timeout --foreground "$seconds" $qemu "$@"
fi
status=$?

case $status in
0) ;;
125 | 126 | 127) exit $status ;; # timeout or QEMU could not run (their message is above)
124) echo "run: stopped after RUN_SECONDS=$seconds seconds (RUN_SECONDS=0: no limit)" ;;
*) echo "run: QEMU exited with status $status: the system powered off with that status" \
    "(or QEMU failed: see above)" ;;
esac
exit 0
