#!/bin/sh
# Debugs a Vallum system in gdb: what `make debug` runs (the Makefile, and the SDK's vallum.mk,
# which ships this script as bin/vallum-debug beside vallum-gdb.py). docs/debugging.md.
#
# Usage: debug.sh [--args-file FILE] [--components NAMES] [--batch COMMANDS] IMAGE SCRIPT
#                 KERNEL INIT [PROGRAM...]
#
# Writes SCRIPT, a gdb script that loads the symbols of KERNEL (the kernel's ELF file, IMAGE's
# source), of INIT (init's ELF file) and of each PROGRAM (a component program's ELF file, as
# linked for this system: each at its own address, `vlsys layout`), and the commands of
# vallum-gdb.py (vl-break PROGRAM FUNCTION, vl-programs, vl-where). Starts QEMU on IMAGE,
# stopped before its first instruction (-S), with its gdb stub on a free TCP port of
# 127.0.0.1 and the system's console written to SCRIPT's name with .console instead of .gdb;
# then runs gdb-multiarch on SCRIPT, connected to it. When gdb exits QEMU is stopped (by its
# process id), so nothing is left running.
#
# --args-file FILE  the system's extra QEMU arguments, as for tools/run.sh
# --components NAMES  the names of the system's components, one word of blank-separated
#                   names (for vl-break's COMPONENT; `vlsys dump` of the image lists them)
# --batch COMMANDS  gdb runs in batch mode: after SCRIPT, the commands in file COMMANDS, then
#                   it exits; the whole run is limited to DEBUG_SECONDS (default 120). For
#                   scripts and tests (tests/integration/test_debug.py).
#
# Environment: QEMU=CMD the emulator (default qemu-system-riscv64), GDB=CMD the debugger
# (default gdb-multiarch).
# Exit status: gdb's; 2 on a usage error; 124 if the batch run reached DEBUG_SECONDS.
set -u

usage() {
    echo "usage: debug.sh [--args-file FILE] [--components NAMES] [--batch COMMANDS] IMAGE" \
        "SCRIPT KERNEL INIT [PROGRAM...]" >&2
    exit 2
}

args_file=
batch=
components=
while [ $# -ge 2 ]; do
    case $1 in
    --args-file) args_file=$2 ;;
    --components) components=$2 ;;
    --batch) batch=$2 ;;
    *) break ;;
    esac
    shift 2
done
[ $# -ge 4 ] || usage
image=$1 script=$2 kernel=$3 init=$4
shift 4
for f in "$image" "$kernel" "$init" "$@" ${batch:+"$batch"}; do
    if [ ! -f "$f" ]; then
        echo "debug: no file $f" >&2
        exit 2
    fi
done
seconds=${DEBUG_SECONDS:-120}
case $seconds in
'' | *[!0-9]* | 0)
    echo "debug: DEBUG_SECONDS must be a whole number of seconds above 0, not '$seconds'" >&2
    exit 2
    ;;
esac
system_args=
if [ -n "$args_file" ] && [ -f "$args_file" ]; then
    system_args=$(sed -e 's/#.*//' "$args_file")
fi
here=$(cd "$(dirname "$0")" && pwd)
console=${script%.gdb}.console

# The script: absolute paths, so that gdb may be started from anywhere with it.
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
mkdir -p "$(dirname "$script")"
{
    echo "# Written by make debug (tools/debug.sh): the symbols of the kernel, init and every"
    echo "# program of the system, each at the address it is linked at. docs/debugging.md."
    echo "set pagination off"
    echo "set confirm off"
    echo "file $(abs "$kernel")"
    echo "add-symbol-file $(abs "$init")"
    for p in "$@"; do
        echo "add-symbol-file $(abs "$p")"
    done
    echo "source $here/vallum-gdb.py"
    printf "python vallum_set_programs({"
    for p in "$@"; do
        printf "'%s': '%s', " "$(basename "$p" .elf)" "$(abs "$p")"
    done
    printf "}, ["
    for c in $components; do
        printf "'%s', " "$c"
    done
    echo "])"
} >"$script"

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])') || exit 2
qemu=${QEMU:-qemu-system-riscv64}
gdb=${GDB:-gdb-multiarch}
# $qemu and $system_args are split into words on purpose, as in tools/run.sh. QEMU runs in a
# session of its own: Ctrl-C at the terminal is for gdb (it stops the system), and QEMU would
# take it as the end. setsid runs it in this process (no fork: a background job of a script
# leads no process group), so $! is QEMU's process id.
# shellcheck disable=SC2086
setsid $qemu -machine virt -cpu rv64 -m 256M -smp 1 -bios default -display none -monitor none \
    -serial "file:$console" -kernel "$image" $system_args -S -gdb "tcp:127.0.0.1:$port" \
    </dev/null &
qemu_pid=$!
trap 'kill "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null' EXIT
# Ctrl-C is gdb's (it stops the target): the script ignores it.
trap '' INT
trap 'exit 143' TERM HUP
echo "debug: QEMU (pid $qemu_pid) waits for gdb on 127.0.0.1:$port; the console goes to" \
    "$console (tail -f it); gdb's script is $script"
# gdb retries the connection while QEMU starts listening (set tcp auto-retry, on by default).
if [ -n "$batch" ]; then
    # shellcheck disable=SC2086
    timeout "$seconds" $gdb -q -batch -x "$script" -ex "target remote 127.0.0.1:$port" \
        -x "$batch" </dev/null
    status=$?
    [ $status -eq 124 ] && echo "debug: stopped after DEBUG_SECONDS=$seconds seconds" >&2
else
    # shellcheck disable=SC2086
    $gdb -q -x "$script" -ex "target remote 127.0.0.1:$port"
    status=$?
fi
exit $status
