# gdb commands for Vallum systems, loaded by the script `make debug` generates
# (tools/debug.sh; docs/debugging.md). The SDK ships it as bin/vallum-gdb.py.
#
#   vl-break PROGRAM FUNCTION [COMPONENT]
#                               a breakpoint on FUNCTION of program PROGRAM only (its first
#                               instruction), where `break FUNCTION` would set one in every
#                               program that has a function of that name (init, notified, and
#                               all of lib/os are in every program); with COMPONENT, it stops
#                               only in that component of those that run PROGRAM
#   vl-programs                 the programs whose symbols are loaded, with their addresses
#   vl-where                    the program (or kernel, or init) the pc is in, and the component
#
# Every program of a system is linked at its own address (`vlsys layout`), so an address names
# one program; components that run the same program share its code, and a breakpoint there
# stops in each of them unless it names the component: then gdb reads the name on the info
# page of the address space the hart is in when the breakpoint is reached, and goes on if it
# is another component's.

import os

import gdb

# Set by the generated script: program name -> its ELF file, as loaded with add-symbol-file,
# and the names of the system's components.
vallum_programs = {}
vallum_components = []

# struct vl_comp_info (lib/os/include/vallum/component.h) at VL_COMP_INFO_VADDR: a u64 magic,
# then the component's name, 32 bytes with a NUL.
COMP_INFO_VADDR = 0x3ffffe0000
COMP_INFO_MAGIC = 0x4f464e49504d4f43
COMP_NAME_OFFSET = 8
COMP_NAME_BYTES = 32


def vallum_set_programs(programs, components=()):
    """Records the programs of the system (name -> ELF path) and its components' names; the
    generated script calls it."""
    vallum_programs.clear()
    vallum_programs.update(programs)
    vallum_components[:] = list(components)


def _component():
    """The name of the component whose address space the hart is in, or None (the kernel's
    or init's, which have no info page there)."""
    try:
        page = bytes(gdb.selected_inferior().read_memory(COMP_INFO_VADDR,
                                                         COMP_NAME_OFFSET + COMP_NAME_BYTES))
    except gdb.MemoryError:
        return None
    if int.from_bytes(page[:8], "little") != COMP_INFO_MAGIC:
        return None
    return page[COMP_NAME_OFFSET:].split(b"\0", 1)[0].decode("ascii", "replace")


class _ComponentBreakpoint(gdb.Breakpoint):
    """A breakpoint that stops only in the address space of one component."""

    def __init__(self, spec, component):
        super().__init__(spec)
        self.component = component

    def stop(self):
        return _component() == self.component


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
        if len(args) not in (2, 3):
            raise gdb.GdbError("usage: vl-break PROGRAM FUNCTION [COMPONENT]")
        program, function = args[:2]
        addr = _function_address(_objfile(program), function)
        if addr is None:
            raise gdb.GdbError("program '%s' has no function '%s'" % (program, function))
        if len(args) == 2:
            gdb.Breakpoint("*0x%x" % addr)
            print("vl-break: %s's %s at 0x%x" % (program, function, addr))
            return
        component = args[2]
        if component not in vallum_components:
            raise gdb.GdbError("no component '%s' in this system (it has %s)" %
                               (component, ", ".join(vallum_components)))
        _ComponentBreakpoint("*0x%x" % addr, component)
        print("vl-break: %s's %s at 0x%x, in component %s only" % (program, function, addr,
                                                                    component))


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
                print("pc 0x%x is in program %s, function %s, component %s" %
                      (pc, program, block.function.name, _component()))
                return
        print("pc 0x%x is in no program of the system: %s" %
              (pc, gdb.execute("info symbol 0x%x" % pc, to_string=True).strip()))


VlBreak()
VlPrograms()
VlWhere()
