"""README.md's sample of what `make run` shows is a real boot of the default system: lines
must be equal after numbers are normalised, in order and next to each other, except where
the sample says "..." (any number of lines)."""

import os
import re

import test_tutorial as tutorial
from conftest import REPO

README = os.path.join(REPO, "README.md")
HEADING = "## What `make run` shows"


def sample():
    """The first indented block under the heading, without its indent."""
    text = open(README).read()
    assert HEADING in text, "README.md has no section %r" % HEADING
    block = []
    for line in text.split(HEADING, 1)[1].splitlines():
        if line.startswith("    "):
            block.append(line[4:])
        elif block and line.strip() == "":
            break
        elif line.startswith("#"):
            break
    assert block, "no sample block under %r" % HEADING
    return block


def normalise(line):
    """Numbers, decimal or hex, become '#': they follow the build and the machine."""
    return re.sub(r"\b(0x)?[0-9a-fA-F]*[0-9][0-9a-fA-F]*\b", "#", line.rstrip())


def matches(want, got):
    """Whether the console lines `got` contain the sample `want` (see the module comment);
    returns (True, "") or (False, the first sample line that failed to match)."""
    at = 0
    free = True  # before the first line the boot may print anything (OpenSBI)
    for line in want:
        if line == "...":
            free = True
            continue
        target = normalise(line)
        while at < len(got) and normalise(got[at]) != target:
            if not free:
                return False, line
            at += 1
        if at == len(got):
            return False, line
        at += 1
        free = False
    return True, ""


def test_matcher_is_strict():
    """The comparison itself: a changed word or a line missing between two lines fails."""
    got = ["OpenSBI", "a 1", "b 0x20", "c", "d 5"]
    assert matches(["a 7", "b 0x3", "...", "d 1"], got) == (True, "")
    assert matches(["a 7", "c"], got) == (False, "c")
    assert matches(["a 7", "bee 0x3"], got) == (False, "bee 0x3")
    assert matches(["e"], got) == (False, "e")


def test_readme_sample_is_a_real_boot():
    want = sample()
    env = dict(os.environ, RUN_SECONDS="60")
    out, _, seen = tutorial.run_command("make -s run SYSTEM=default", REPO, env, [want[-1]])
    assert seen == 1, "the boot never printed %r:\n%s" % (want[-1], "\n".join(out))
    ok, line = matches(want, out)
    assert ok, "README.md's sample line %r does not match the boot:\n%s" % (line, "\n".join(out))


def test_readme_names_every_example_system():
    """The README's list of example systems (the paragraph on `make run SYSTEM=`) names
    every folder of systems/ but default, so a new system cannot be left out."""
    text = open(README).read()
    start = text.index("`make run SYSTEM=pingpong` boots another system")
    paragraph = text[start:text.index("\n\n", start)]
    named = set(re.findall(r"`([a-z0-9_]+)`", paragraph))
    systems = {d for d in os.listdir(os.path.join(REPO, "systems"))
               if os.path.isfile(os.path.join(REPO, "systems", d, "system.yaml"))}
    missing = sorted(systems - named - {"default"})
    assert not missing, "README.md does not list the systems %s" % missing
