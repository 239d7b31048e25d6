# gdb commands for Vallum systems, loaded by the script `make debug` generates
# (tools/debug.sh; docs/debugging.md). The SDK ships it as bin/vallum-gdb.py.
#
#   vl-break PROGRAM FUNCTION   a breakpoint on FUNCTION of program PROGRAM only (its first
#                               instruction), where `break FUNCTION` would set one in every
#                               program that has a function of that name (init, notified, and
#                               all of lib/os are in every program)
#   vl-programs                 the programs whose symbols are loaded, with their addresses
#   vl-where                    the program (or kernel, or init) the pc is in
#
# Every program of a system is linked at its own address (`vlsys layout`), so an address names
# one program; components that run the same program share its code, and a breakpoint there
# stops in each of them.

import os

import gdb

# Set by the generated script: program name -> its ELF file, as loaded with add-symbol-file.
vallum_programs = {}


def vallum_set_programs(programs):
    """Records the programs of the system (name -> ELF path); the generated script calls it."""
    vallum_programs.clear()
    vallum_programs.update(programs)


def _objfile(program):
    path = vallum_programs.get(program)
    if path is None:
        raise gdb.GdbError("no program '%s' in this system (vl-programs lists them)" % program)
    for objfile in gdb.objfiles():
        if objfile.filename and os.path.realpath(objfile.filename) == os.path.realpath(path):
            return objfile
    raise gdb.GdbError("the symbols of '%s' are not loaded (%s)" % (program, path))


def _function_address(objfile, name):
    sym = objfile.lookup_global_symbol(name) or objfile.lookup_static_symbol(name)
    if sym is None or not sym.is_function:
        return None
    return int(sym.value().address)


class VlBreak(gdb.Command):
    """vl-break PROGRAM FUNCTION: break on FUNCTION of program PROGRAM only."""

    def __init__(self):
        super().__init__("vl-break", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if len(args) != 2:
            raise gdb.GdbError("usage: vl-break PROGRAM FUNCTION")
        program, function = args
        addr = _function_address(_objfile(program), function)
        if addr is None:
            raise gdb.GdbError("program '%s' has no function '%s'" % (program, function))
        gdb.Breakpoint("*0x%x" % addr)
        print("vl-break: %s's %s at 0x%x" % (program, function, addr))


def _entry(path):
    """The entry point of an ELF file (e_entry), where its program starts."""
    with open(path, "rb") as f:
        return int.from_bytes(f.read(32)[24:32], "little")


class VlPrograms(gdb.Command):
    """vl-programs: the programs of the system, their entry points and ELF files."""

    def __init__(self):
        super().__init__("vl-programs", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        for program in sorted(vallum_programs, key=lambda p: _entry(vallum_programs[p])):
            _objfile(program)
            print("%-24s entry 0x%-10x %s" % (program, _entry(vallum_programs[program]),
                                              vallum_programs[program]))


class VlWhere(gdb.Command):
    """vl-where: the program the pc is in (by its address: each program has its own)."""

    def __init__(self):
        super().__init__("vl-where", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
        for program, path in vallum_programs.items():
            block = _objfile(program).progspace.block_for_pc(pc)
            if block is not None and block.function is not None and \
                    os.path.realpath(block.function.symtab.objfile.filename) == \
                    os.path.realpath(path):
                print("pc 0x%x is in program %s, function %s" % (pc, program,
                                                                 block.function.name))
                return
        print("pc 0x%x is in no program of the system: %s" %
              (pc, gdb.execute("info symbol 0x%x" % pc, to_string=True).strip()))


VlBreak()
VlPrograms()
VlWhere()
