#!/usr/bin/python3
"""Write a damaged copy of a system image (lib/os/include/vallum/sysimage.h), to check that
init refuses it with a clear message.

Usage: corrupt_image.py KIND IN.img OUT.img
KIND is one of the keys of CORRUPTIONS; each damages one field that init must check.
"""

import struct
import sys

HEADER = {"magic": 0, "version": 8, "size": 16, "name": 24, "components": 32,
          "regions": 48, "maps": 64, "channels": 80, "irqs": 96, "strings_offset": 112,
          "strings_size": 120, "configs": 128}


def word(img, off):
    return struct.unpack_from("<Q", img, off)[0]


def put(img, off, value):
    struct.pack_into("<Q", img, off, value & (2**64 - 1))


def table(img, name, index, field):
    """Offset of word `field` of record `index` of table `name` (records of 8-byte words)."""
    sizes = {"components": 14, "regions": 5, "maps": 5, "channels": 6, "irqs": 3, "configs": 4}
    base = word(img, HEADER[name])
    return base + (index * sizes[name] + field) * 8


def many_configs(img, n):
    """Replaces the config table by n integer parameters of component 0, each with a distinct
    name (suffixes of the strings in the table, which init accepts as names), appended at the
    end of the image."""
    strings_at = word(img, HEADER["strings_offset"])
    strings_size = word(img, HEADER["strings_size"])
    names, seen = [], set()
    for off in range(strings_size):
        text = bytes(img[strings_at + off:strings_at + strings_size]).split(b"\0", 1)[0]
        if text and text not in seen:
            seen.add(text)
            names.append(off)
    assert len(names) >= n, names
    at = len(img)
    for off in names[:n]:
        img.extend(struct.pack("<4Q", 0, off, 0, 7))
    put(img, HEADER["configs"], at)
    put(img, HEADER["configs"] + 8, n)
    put(img, HEADER["size"], len(img))


CORRUPTIONS = {
    # kind: (function, message init must print)
    "bad_magic": (lambda img: put(img, 0, word(img, 0) ^ 1), "magic or version"),
    "bad_size": (lambda img: put(img, 16, len(img) + 4096), "size"),
    "bad_table": (lambda img: put(img, HEADER["components"], len(img) - 8), "component table"),
    "bad_program": (lambda img: put(img, table(img, "components", 0, 1), len(img)),
                    "program outside the image"),
    "bad_string": (lambda img: put(img, table(img, "components", 0, 0),
                                   word(img, HEADER["strings_size"]) + 3), "component name"),
    "bad_map": (lambda img: put(img, table(img, "maps", 0, 0), 99), "map index"),
    "bad_channel": (lambda img: put(img, table(img, "channels", 1, 2), 70), "channel id"),
    # Grant on pingpong's notify channel (0), and a flag no version defines on its call (1).
    "bad_grant_notify": (lambda img: put(img, table(img, "channels", 0, 5), 1),
                         "channel flags (0x0)"),
    "bad_channel_flags": (lambda img: put(img, table(img, "channels", 1, 5), 2),
                          "channel flags (0x1)"),
    "bad_priority": (lambda img: put(img, table(img, "components", 1, 3), 255), "priority"),
    "bad_untyped": (lambda img: put(img, table(img, "components", 1, 9), 40), "untyped size"),
    "bad_debug": (lambda img: put(img, table(img, "components", 0, 10), 16), "kernel caps"),
    "bad_fault_self": (lambda img: put(img, table(img, "components", 0, 11), 0),
                       "fault handler (0x0)"),
    "bad_fault_index": (lambda img: put(img, table(img, "components", 1, 11), 2),
                        "fault handler (0x1)"),
    "bad_fault_cycle": (lambda img: (put(img, table(img, "components", 0, 11), 1),
                                     put(img, table(img, "components", 1, 11), 0)),
                        "fault handlers form a cycle"),
    # ping handled by pong, whose end of the notify channel is id 62, reserved in handlers.
    "bad_fault_channel": (lambda img: (put(img, table(img, "components", 0, 11), 1),
                                       put(img, table(img, "channels", 0, 4), 62)),
                          "channel id reserved in a fault handler"),
    "bad_elf": (lambda img: img.__setitem__(word(img, table(img, "components", 0, 1)), 0),
                "program of 'ping'"),
    # ping's config {rounds: 10}: made a string whose offset is past the string table.
    "bad_config": (lambda img: (put(img, table(img, "configs", 0, 2), 1),
                                put(img, table(img, "configs", 0, 3),
                                    word(img, HEADER["strings_size"]))), "config"),
    "bad_config_table": (lambda img: put(img, HEADER["configs"] + 8, 10**6), "config table"),
    # ping's {rounds: 10, step: 10}: step renamed rounds.
    "bad_config_twice": (lambda img: put(img, table(img, "configs", 1, 1),
                                         word(img, table(img, "configs", 0, 1))),
                         "config parameter twice"),
    "bad_config_count": (lambda img: many_configs(img, 17), "too many config parameters"),
    # Dma regions (image version 7): a flag no version defines on ring_queues; ping told the
    # physical address of ring_queues, not a dma region; then made one, but ping holds no
    # device.
    "bad_region_flags": (lambda img: put(img, table(img, "regions", 0, 4), 2), "region (0x0)"),
    "bad_map_paddr": (lambda img: put(img, table(img, "maps", 0, 4), 1),
                      "physical address of a region that is not a dma region (0x0)"),
    "bad_map_paddr_driver": (lambda img: (put(img, table(img, "regions", 0, 4), 1),
                                          put(img, table(img, "maps", 0, 4), 1)),
                             "physical address to a component without a device (0x0)"),
    # pong given a budget above its period, and a budget without a period.
    "bad_budget": (lambda img: (put(img, table(img, "components", 1, 12), 2000),
                                put(img, table(img, "components", 1, 13), 1000)),
                   "budget or period (0x1)"),
    "bad_period": (lambda img: put(img, table(img, "components", 0, 12), 1000),
                   "budget or period (0x0)"),
    # Each a valid 60 % share: together more than the whole processor.
    "bad_admission": (lambda img: [put(img, table(img, "components", i, f), v)
                                   for i in (0, 1) for f, v in ((12, 6000), (13, 10000))],
                      "budgets over-committed at component (0x1)"),
    # pingpong's two RAM regions made the console (VL_REGION_CONSOLE): there is one UART.
    "bad_console_twice": (lambda img: (put(img, table(img, "regions", 0, 2), 2),
                                       put(img, table(img, "regions", 1, 2), 2)),
                          "console region (0x1)"),
    "bad_region_kind": (lambda img: put(img, table(img, "regions", 0, 2), 3), "region (0x0)"),
    # One console region at paddr 0 (not the UART's), mapped into ping alone (pong's map of
    # it made a second map of ring_data): init accepts the image and refuses to build
    # (test_console_region_checked).
    "bad_console_paddr": (lambda img: (put(img, table(img, "regions", 0, 2), 2),
                                       put(img, table(img, "maps", 1, 0), 1)), None),
    # The console, at the UART's own address, mapped into ping and pong: both would get the
    # device. Refused before init takes the UART (after, its report would go to the kernel
    # log, which no driver drains).
    "bad_console_maps": (lambda img: (put(img, table(img, "regions", 0, 2), 2),
                                      put(img, table(img, "regions", 0, 3), 0x10000000)),
                         "number of console region maps (0x2)"),
}


def main(argv):
    if len(argv) != 4 or argv[1] not in CORRUPTIONS:
        sys.stderr.write("usage: corrupt_image.py {%s} IN.img OUT.img\n" % "|".join(CORRUPTIONS))
        return 2
    with open(argv[2], "rb") as f:
        img = bytearray(f.read())
    CORRUPTIONS[argv[1]][0](img)
    with open(argv[3], "wb") as f:
        f.write(img)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
