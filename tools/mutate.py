#!/usr/bin/python3
"""Mutation testing of the kernel: do the tests fail when the code is wrong?

Usage (normally through `make mutate`, see docs/testing.md):
    mutate.py [--mutants N] [--seed S] [--jobs J] [--mutant ID[,ID...]|survivors]
              [--list] [--timeout SECONDS] [--no-nofastpath]

Candidate sites are found in kernel/src/**/*.c and kernel/include/**/*.h, in function bodies
only (so in headers only inline functions), outside comments, string literals, preprocessor
lines, blocks that are compiled out in the normal build (#ifdef CONFIG_TEST_DEFECT_*,
#ifdef CONFIG_BENCH_PREEMPTION, #if 0) and the arguments of diagnostics (assert, panic,
kprintf, ...). Operators, each one small edit:
    cmp     flip a comparison: < and <=, > and >=, == and !=
    not     negate an if condition: if (x) -> if (!(x))
    ret     drop a return statement inside an if or else body: `return X;` -> `;`
    inc     an integer constant plus one
    dec     an integer constant minus one (not for 0)
    andor   swap && and ||
A mutant's id is "<path>:<line>:<op>:<k>", k counting that operator's sites on that line
from 0; it stays valid while the line does.

Sampling is deterministic in (seed, tree): every file with sites gets at least one mutant
(when N allows), the rest is shared in proportion to the files' site counts, and each file
draws its sites with its own random generator seeded from the seed and its path.

Each mutant is applied to a scratch copy of the tree (build/mutate/work-<j>, never the
working tree), which is rebuilt incrementally; then `make -s unit` and the in-QEMU kernel
suite (ktest, through tools/qemu_run.py) run, and for a mutant that survives both, the
kernel suite again without the IPC fast path (FASTPATH=0). Verdicts:
    KILLED     a test failed, the kernel panicked, or a stage timed out
    SURVIVED   every test passed
    STILLBORN  the mutant does not compile (not counted in the score)
Score = killed / (killed + survived). The report goes to build/mutate/report.{txt,json}
(build/mutate/replay.{txt,json} for --mutant), rewritten after every mutant. Replays use
their own scratch trees (build/mutate/replay-<j>); a scratch tree is locked while in use.
"""

import argparse
import bisect
import fcntl
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
OPERATORS = ("cmp", "not", "ret", "inc", "dec", "andor")
# Calls whose arguments are diagnostics, not behaviour: mutating them proves nothing.
DIAGNOSTIC_CALLS = ("assert", "panic", "kprintf", "printf", "_Static_assert", "static_assert",
                    "BUG_ON", "debug_printf")
# Macros that are undefined in the normal build: code under #ifdef of them is never compiled.
OFF_MACRO_PREFIXES = ("CONFIG_TEST_DEFECT_", "CONFIG_BENCH_PREEMPTION")
SOURCE_DIRS = (("kernel/src", ".c"), ("kernel/include", ".h"))
# Not copied into the scratch trees.
COPY_EXCLUDE = {"build", ".git", "__pycache__", ".pytest_cache"}

TOKEN_RE = re.compile(r"""
    (?P<num>0[xX][0-9a-fA-F]+[uUlL]*|[0-9]+[uUlL]*)(?![\w.])
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<op><<=|>>=|<<|>>|<=|>=|==|!=|->|&&|\|\||\+\+|--|[-+*/%<>=!&|^~?:;,.(){}\[\]])
""", re.VERBOSE)
# Words after which "a[N]" is an expression, not the declaration of an array a.
STATEMENT_WORDS = {"return", "case", "else", "goto", "sizeof", "do"}
CMP_FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
ANDOR_SWAP = {"&&": "||", "||": "&&"}


# ---------------------------------------------------------------------------------------
# Finding the code that may be mutated.

def blank(text, start, end, keep=""):
    """Return text with [start, end) replaced by spaces, keeping newlines and chars in keep."""
    return text[:start] + "".join(c if c == "\n" or c in keep else " "
                                  for c in text[start:end]) + text[end:]


def strip_comments_and_strings(text):
    """Blank comments and the insides of string and character literals (offsets kept)."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for k in range(i, end):
                if out[k] != "\n":
                    out[k] = " "
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            for k in range(i, end):
                out[k] = " "
            i = end
        elif c in "\"'":
            k = i + 1
            while k < n and text[k] != c and text[k] != "\n":
                k += 2 if text[k] == "\\" else 1
            for j in range(i + 1, min(k, n)):
                if out[j] != "\n":
                    out[j] = " "
            i = k + 1
        else:
            i += 1
    return "".join(out)


def _directive_state(line):
    """Classify a preprocessor conditional: (kind, value) where value is True/False/None."""
    m = re.match(r"\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)", line)
    if not m:
        return None, None
    kind, rest = m.group(1), m.group(2).strip()

    def off(name):
        return name.startswith(OFF_MACRO_PREFIXES)

    value = None
    if kind in ("ifdef", "ifndef"):
        name = rest.split()[0] if rest else ""
        if off(name):
            value = kind == "ifndef"
    elif kind in ("if", "elif"):
        if rest in ("0", "1"):
            value = rest == "1"
        else:
            m2 = re.fullmatch(r"(!?)\s*defined\s*\(?\s*(\w+)\s*\)?", rest)
            if m2 and off(m2.group(2)):
                value = m2.group(1) == "!"
            elif any(p in rest for p in OFF_MACRO_PREFIXES):
                value = False  # a compound test of an off macro: leave the block alone
    return kind, value


def mask_preprocessor(text):
    """Blank preprocessor lines and the lines of blocks compiled out in the normal build."""
    lines = text.split("\n")
    # Stack of (active, value of this group's condition or None, any branch taken).
    stack = []
    cont = False
    for idx, line in enumerate(lines):
        active = all(a for a, _, _ in stack)
        if cont or re.match(r"\s*#", line):
            if not cont:
                kind, value = _directive_state(line)
                if kind in ("ifdef", "ifndef", "if"):
                    stack.append((value is not False, value, value is True))
                elif kind == "elif" and stack:
                    _, prev, taken = stack.pop()
                    if prev is None and value is None:
                        stack.append((True, None, False))
                    else:
                        now = value is not False and not taken
                        stack.append((now, value, taken or value is True))
                elif kind == "else" and stack:
                    _, prev, taken = stack.pop()
                    stack.append((prev is None or not taken, prev, True))
                elif kind == "endif" and stack:
                    stack.pop()
            cont = line.endswith("\\")
            lines[idx] = " " * len(line)
        elif not active:
            lines[idx] = " " * len(line)
    return "\n".join(lines)


def tokenize(masked):
    """Tokens of blanked C text as (kind, text, start offset)."""
    return [(m.lastgroup, m.group(m.lastgroup), m.start()) for m in TOKEN_RE.finditer(masked)]


def match_brackets(tokens):
    """Map the index of each opening ( [ { token to its closing one and back."""
    pairs, stack = {}, []
    for i, (_, t, _) in enumerate(tokens):
        if t in "([{" and len(t) == 1:
            stack.append(i)
        elif t in ")]}" and len(t) == 1 and stack:
            j = stack.pop()
            pairs[i], pairs[j] = j, i
    return pairs


def mask_outside_functions(masked):
    """Blank everything outside function bodies and inside diagnostic calls."""
    tokens = tokenize(masked)
    pairs = match_brackets(tokens)
    keep = []  # (start, end) of function bodies
    depth = 0
    for i, (_, t, pos) in enumerate(tokens):
        if t == "{":
            if depth == 0 and i > 0 and tokens[i - 1][1] == ")" and i in pairs:
                keep.append((pos, tokens[pairs[i]][2] + 1))
            depth += 1
        elif t == "}":
            depth = max(0, depth - 1)
    out = list(" " if c != "\n" else "\n" for c in masked)
    for start, end in keep:
        out[start:end] = masked[start:end]
    result = "".join(out)
    for i, (kind, t, pos) in enumerate(tokens):
        if kind == "ident" and t in DIAGNOSTIC_CALLS and i + 1 < len(tokens) \
                and tokens[i + 1][1] == "(" and (i + 1) in pairs:
            result = blank(result, pos, tokens[pairs[i + 1]][2] + 1)
    return result


def code_mask(text):
    """The text with everything but mutable code blanked; offsets match the original."""
    return mask_outside_functions(mask_preprocessor(strip_comments_and_strings(text)))


# ---------------------------------------------------------------------------------------
# Mutation operators.

def _number_variants(lit):
    """(op, replacement) pairs for an integer literal: plus one, and minus one unless 0."""
    m = re.fullmatch(r"(0[xX])?([0-9a-fA-F]+)([uUlL]*)", lit)
    prefix, digits, suffix = m.group(1) or "", m.group(2), m.group(3)
    base = 16 if prefix else 10
    if base == 10 and len(digits) > 1 and digits.startswith("0"):
        return []  # octal: too rare to bother
    value = int(digits, base)

    def fmt(v):
        if prefix:
            s = format(v, "x" if digits == digits.lower() else "X")
            return prefix + s.zfill(len(digits)) + suffix
        return str(v) + suffix

    out = [("inc", fmt(value + 1))]
    if value > 0:
        out.append(("dec", fmt(value - 1)))
    return out


def _block_kind(tokens, pairs, brace_index):
    """What owns the block opened at tokens[brace_index]: 'if', 'else', or another word."""
    if brace_index == 0:
        return None
    prev = tokens[brace_index - 1][1]
    if prev == "else":
        return "else"
    if prev == ")" and (brace_index - 1) in pairs:
        opener = pairs[brace_index - 1]
        if opener > 0:
            return tokens[opener - 1][1]
    return None


def find_sites(text):
    """All mutation sites of a source text, as dicts with op, line, edits (in offset order)."""
    masked = code_mask(text)
    tokens = tokenize(masked)
    pairs = match_brackets(tokens)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(pos):
        return bisect.bisect_right(line_starts, pos)

    sites = []
    brace_stack = []
    for i, (kind, t, pos) in enumerate(tokens):
        if t == "{":
            brace_stack.append(_block_kind(tokens, pairs, i))
        elif t == "}":
            if brace_stack:
                brace_stack.pop()
        elif t in CMP_FLIP:
            sites.append({"op": "cmp", "pos": pos, "edits": [(pos, pos + len(t), CMP_FLIP[t])]})
        elif t in ANDOR_SWAP:
            sites.append({"op": "andor", "pos": pos,
                          "edits": [(pos, pos + len(t), ANDOR_SWAP[t])]})
        elif kind == "num":
            prev = tokens[i - 1][1] if i > 0 else ""
            if prev in ("[",) and i + 1 < len(tokens) and tokens[i + 1][1] == "]" \
                    and i >= 3 and tokens[i - 2][0] == "ident" \
                    and tokens[i - 3][0] == "ident" and tokens[i - 3][1] not in STATEMENT_WORDS:
                continue  # an array size in a declaration
            for op, new in _number_variants(t):
                sites.append({"op": op, "pos": pos, "edits": [(pos, pos + len(t), new)]})
        elif t == "if" and i + 1 < len(tokens) and tokens[i + 1][1] == "(" \
                and (i + 1) in pairs:
            open_pos = tokens[i + 1][2]
            close_pos = tokens[pairs[i + 1]][2]
            sites.append({"op": "not", "pos": pos,
                          "edits": [(open_pos + 1, open_pos + 1, "!("),
                                    (close_pos, close_pos, ")")]})
        elif t == "return" and brace_stack and brace_stack[-1] in ("if", "else"):
            depth = 0
            for j in range(i + 1, len(tokens)):
                tj = tokens[j][1]
                if tj in ("(", "["):
                    depth += 1
                elif tj in (")", "]"):
                    depth -= 1
                elif tj == ";" and depth == 0:
                    sites.append({"op": "ret", "pos": pos,
                                  "edits": [(pos, tokens[j][2] + 1, ";")]})
                    break
                elif tj in ("{", "}"):
                    break
    counters = {}
    for site in sites:
        site["line"] = line_of(site["pos"])
        key = (site["line"], site["op"])
        site["k"] = counters.get(key, 0)
        counters[key] = site["k"] + 1
    return sites


def apply_edits(text, edits):
    """Apply non-overlapping (start, end, replacement) edits."""
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def source_files(root):
    """Kernel sources that may be mutated, relative to root, sorted."""
    out = []
    for sub, ext in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, sub)):
            dirnames.sort()
            for name in filenames:
                if name.endswith(ext):
                    out.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(out)


class Mutant:
    """One mutation of one file."""

    def __init__(self, path, site, text):
        self.path = path
        self.line = site["line"]
        self.op = site["op"]
        self.k = site["k"]
        self.edits = site["edits"]
        self.id = "%s:%d:%s:%d" % (path, self.line, self.op, self.k)
        self.file_sha = hashlib.sha1(text.encode()).hexdigest()
        mutated = apply_edits(text, self.edits)
        first = self.line - 1
        orig_lines = text.split("\n")
        new_lines = mutated.split("\n")
        # The lines an edit touches (an if condition may span several).
        span = text.count("\n", self.edits[0][0], self.edits[-1][1])
        self.original = "\n".join(orig_lines[first:first + span + 1])
        removed = sum(text.count("\n", start, end) for start, end, _ in self.edits)
        self.mutated = "\n".join(new_lines[first:first + span + 1 - removed])


def all_mutants(root):
    """Every candidate mutant of the tree at root, by file: {path: [Mutant...]}."""
    out = {}
    for path in source_files(root):
        with open(os.path.join(root, path), encoding="utf-8") as f:
            text = f.read()
        mutants = [Mutant(path, site, text) for site in find_sites(text)]
        if mutants:
            out[path] = mutants
    return out


def _file_rng(seed, path):
    digest = hashlib.sha256(("%s:%s" % (seed, path)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def allocate(counts, n, seed):
    """How many mutants each file gets: at least one each if n allows, the rest by size."""
    files = sorted(counts)
    total = sum(counts.values())
    n = min(n, total)
    if n <= 0:
        return {}
    if n < len(files):
        chosen = _file_rng(seed, "<files>").sample(files, n)
        return {f: 1 for f in chosen}
    alloc = {f: 1 for f in files}
    rest = n - len(files)
    spare = {f: counts[f] - 1 for f in files}
    spare_total = sum(spare.values())
    if rest and spare_total:
        shares = {f: rest * spare[f] / spare_total for f in files}
        for f in files:
            alloc[f] += int(shares[f])
        left = n - sum(alloc.values())
        by_remainder = sorted(files, key=lambda f: (-(shares[f] - int(shares[f])), f))
        for f in by_remainder:
            if left <= 0:
                break
            if alloc[f] < counts[f]:
                alloc[f] += 1
                left -= 1
    return alloc


def sample(by_file, n, seed):
    """n mutants chosen deterministically from by_file, in a seeded interleaved order."""
    alloc = allocate({f: len(m) for f, m in by_file.items()}, n, seed)
    chosen = []
    for f in sorted(alloc):
        chosen.extend(_file_rng(seed, f).sample(by_file[f], alloc[f]))
    _file_rng(seed, "<order>").shuffle(chosen)
    return chosen


def find_mutant(by_file, mutant_id):
    """The mutant with this id, or None."""
    path = mutant_id.rsplit(":", 3)[0]
    for m in by_file.get(path, []):
        if m.id == mutant_id:
            return m
    return None


# ---------------------------------------------------------------------------------------
# Running.

def sync_tree(src, dst):
    """Make dst a copy of src's sources (not build/ or .git); rewrite only changed files."""
    os.makedirs(dst, exist_ok=True)
    wanted = set()
    for dirpath, dirnames, filenames in os.walk(src):
        rel_dir = os.path.relpath(dirpath, src)
        dirnames[:] = sorted(d for d in dirnames if d not in COPY_EXCLUDE
                             and not (rel_dir == "." and d == "build"))
        for name in filenames:
            if name in (".git", ".lock", ".mutant"):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, name))
            wanted.add(rel)
            s, d = os.path.join(src, rel), os.path.join(dst, rel)
            with open(s, "rb") as f:
                data = f.read()
            try:
                with open(d, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                os.makedirs(os.path.dirname(d), exist_ok=True)
                with open(d, "wb") as f:
                    f.write(data)
                shutil.copymode(s, d)
    for dirpath, dirnames, filenames in os.walk(dst):
        rel_dir = os.path.relpath(dirpath, dst)
        dirnames[:] = [d for d in dirnames if d not in COPY_EXCLUDE
                       and not (rel_dir == "." and d == "build")]
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel not in wanted and rel not in (".lock", ".mutant"):
                os.remove(os.path.join(dst, rel))


def run_cmd(cmd, cwd, timeout, log):
    """Run cmd in its own process group; return (status, output). status None = timeout."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            status = None
    with open(log, errors="replace") as f:
        return status, f.read()


def compile_error_in(output, path):
    """True if a compiler rejected the mutated file (the diagnostic names it)."""
    return re.search(r"(^|[\s/])%s:\d+(:\d+)?: (fatal )?error:" % re.escape(path), output,
                     re.M) is not None


class Runner:
    """Builds and tests mutants in one scratch tree."""

    def __init__(self, repo, work, timeout, nofastpath):
        self.repo = repo
        self.work = work
        self.timeout = timeout
        self.nofastpath = nofastpath
        self.logs = os.path.join(work, "build", "mutate-logs")

    def prepare(self):
        """Lock the scratch tree (one run at a time), clean up after an interrupted run, sync."""
        os.makedirs(self.work, exist_ok=True)
        self.lock = open(os.path.join(self.work, ".lock"), "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RuntimeError("%s is in use by another run" % self.work) from None
        marker = os.path.join(self.work, ".mutant")
        if os.path.exists(marker):
            # An interrupted run may have left objects built from a mutant: start clean.
            shutil.rmtree(os.path.join(self.work, "build"), ignore_errors=True)
            os.remove(marker)
        sync_tree(self.repo, self.work)
        os.makedirs(self.logs, exist_ok=True)

    def stages(self):
        t = self.timeout
        ktest = [PYTHON, "tools/qemu_run.py", "--timeout", str(t), "--name", "mutate-ktest",
                 "--log", "build/mutate-logs/ktest-console.log", "--",
                 "build/debug/images/ktest.bin", "-m", "2G"]
        ktest_nofp = [PYTHON, "tools/qemu_run.py", "--timeout", str(t), "--name",
                      "mutate-ktest-nofastpath", "--log",
                      "build/mutate-logs/ktest-nofastpath-console.log", "--",
                      "build/debug-nofastpath/images/ktest.bin", "-m", "2G"]
        out = [("build", ["make", "-s", "all"], "build", 4 * t),
               ("unit", ["make", "-s", "unit"], "test", 4 * t),
               ("ktest", ktest, "test", t + 30)]
        if self.nofastpath:
            out += [("build-nofastpath", ["make", "-s", "FASTPATH=0", "all"], "build", 4 * t),
                    ("ktest-nofastpath", ktest_nofp, "test", t + 30)]
        return out

    def run_stages(self, path):
        """Run every stage; return (verdict, stage, detail)."""
        for name, cmd, kind, timeout in self.stages():
            log = os.path.join(self.logs, name + ".log")
            status, output = run_cmd(cmd, self.work, timeout, log)
            if status is None:
                return "KILLED", name, "timeout"
            if status != 0:
                if kind == "build" or (path and compile_error_in(output, path)):
                    return "STILLBORN", name, "does not compile"
                return "KILLED", name, "failed"
        return "SURVIVED", "", ""

    def baseline(self):
        """Build and test the unmutated tree; raise if anything fails."""
        verdict, stage, _ = self.run_stages(None)
        if verdict != "SURVIVED":
            raise RuntimeError("the unmutated tree fails stage '%s' (see %s/%s.log)"
                               % (stage, self.logs, stage))

    def run(self, mutant):
        src = os.path.join(self.work, mutant.path)
        with open(src, encoding="utf-8") as f:
            text = f.read()
        if hashlib.sha1(text.encode()).hexdigest() != mutant.file_sha:
            raise RuntimeError("%s changed since the mutants were chosen" % mutant.path)
        marker = os.path.join(self.work, ".mutant")
        with open(marker, "w") as f:
            f.write(mutant.id + "\n")
        try:
            with open(src, "w", encoding="utf-8") as f:
                f.write(apply_edits(text, mutant.edits))
            return self.run_stages(mutant.path)
        finally:
            with open(src, "w", encoding="utf-8") as f:
                f.write(text)
            # The restored file is newer than the mutant's objects: make rebuilds it.
            os.remove(marker)


# ---------------------------------------------------------------------------------------
# Reports.

def summarize(results):
    """Counts and score of a list of result dicts."""
    counts = {v: sum(1 for r in results if r["verdict"] == v)
              for v in ("KILLED", "SURVIVED", "STILLBORN")}
    scored = counts["KILLED"] + counts["SURVIVED"]
    score = counts["KILLED"] / scored if scored else None
    return counts, score


def render_text(report):
    """The text report of a report dict (the same data as the JSON file)."""
    counts, score = summarize(report["results"])
    lines = ["Mutation testing of the kernel (tools/mutate.py)",
             "tree: %s   seed: %s   mutants: %d of %d planned" % (
                 report.get("commit", "?"), report.get("seed"), len(report["results"]),
                 report.get("planned", len(report["results"]))),
             "killed %d, survived %d, stillborn %d (not scored)" % (
                 counts["KILLED"], counts["SURVIVED"], counts["STILLBORN"]),
             "score: %s" % ("n/a" if score is None else "%.1f %% (%d/%d)" % (
                 100 * score, counts["KILLED"], counts["KILLED"] + counts["SURVIVED"])),
             ""]
    survivors = [r for r in report["results"] if r["verdict"] == "SURVIVED"]
    lines.append("Survivors (%d):" % len(survivors))
    for r in survivors:
        lines.append("  %s" % r["id"])
        for o in r["original"].split("\n"):
            lines.append("    - %s" % o.strip())
        for m in r["mutated"].split("\n"):
            lines.append("    + %s" % m.strip())
    lines += ["", "All mutants:"]
    for r in report["results"]:
        lines.append("  %-9s %-18s %6.1fs  %s" % (
            r["verdict"], (r["stage"] + " " + r["detail"]).strip(), r["seconds"], r["id"]))
    return "\n".join(lines) + "\n"


def write_report(report, stem):
    os.makedirs(os.path.dirname(stem), exist_ok=True)
    counts, score = summarize(report["results"])
    report = dict(report, counts=counts, score=score)
    with open(stem + ".json.tmp", "w") as f:
        json.dump(report, f, indent=1)
    os.replace(stem + ".json.tmp", stem + ".json")
    with open(stem + ".txt", "w") as f:
        f.write(render_text(report))


def load_survivor_ids(path):
    """The ids of the survivors in a JSON report."""
    with open(path) as f:
        report = json.load(f)
    return [r["id"] for r in report["results"] if r["verdict"] == "SURVIVED"]


def git_commit(repo):
    try:
        out = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--", "kernel"],
                               capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mutants", type=int, default=100)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--mutant", help="comma-separated ids, or 'survivors' (of report.json)")
    ap.add_argument("--list", action="store_true", help="print the chosen mutants only")
    ap.add_argument("--timeout", type=int, default=150,
                    help="seconds for the kernel suite (builds and unit tests get 4x)")
    ap.add_argument("--no-nofastpath", action="store_true",
                    help="skip the FASTPATH=0 kernel suite for survivors")
    ap.add_argument("--repo", default=REPO_ROOT)
    args = ap.parse_args(argv)

    repo = os.path.abspath(args.repo)
    out_dir = os.path.join(repo, "build", "mutate")
    by_file = all_mutants(repo)
    if args.mutant:
        ids = args.mutant.split(",")
        if args.mutant == "survivors":
            ids = load_survivor_ids(os.path.join(out_dir, "report.json"))
        chosen = []
        for mid in ids:
            m = find_mutant(by_file, mid.strip())
            if m is None:
                print("mutate: no mutant %s in this tree" % mid, file=sys.stderr)
                return 2
            chosen.append(m)
        stem = os.path.join(out_dir, "replay")
    else:
        chosen = sample(by_file, args.mutants, args.seed)
        stem = os.path.join(out_dir, "report")
    total_sites = sum(len(v) for v in by_file.values())
    print("mutate: %d candidate mutants in %d files; running %d (%s, %d job%s)" % (
        total_sites, len(by_file), len(chosen),
        "replay" if args.mutant else "seed %s" % args.seed, args.jobs,
        "" if args.jobs == 1 else "s"), flush=True)
    if args.list:
        for m in chosen:
            print("%s\n    - %s\n    + %s" % (m.id, m.original.strip(), m.mutated.strip()))
        return 0

    jobs = max(1, args.jobs)
    # Replays get their own scratch trees, so that they can run beside a sample.
    work_name = "replay-%d" if args.mutant else "work-%d"
    runners = [Runner(repo, os.path.join(out_dir, work_name % j), args.timeout,
                      not args.no_nofastpath) for j in range(jobs)]
    for r in runners:
        print("mutate: preparing %s (building and testing the unmutated tree)" % r.work,
              flush=True)
        start = time.time()
        try:
            r.prepare()
            r.baseline()
        except RuntimeError as e:
            print("mutate: %s" % e, file=sys.stderr)
            return 1
        print("mutate: baseline passes (%.0fs)" % (time.time() - start), flush=True)

    report = {"commit": git_commit(repo), "seed": "-" if args.mutant else args.seed,
              "planned": len(chosen),
              "results": []}
    lock = threading.Lock()
    queue = list(enumerate(chosen, 1))

    def worker(runner):
        while True:
            with lock:
                if not queue:
                    return
                n, m = queue.pop(0)
            start = time.time()
            verdict, stage, detail = runner.run(m)
            secs = time.time() - start
            with lock:
                report["results"].append({
                    "n": n, "id": m.id, "file": m.path, "line": m.line, "op": m.op,
                    "original": m.original, "mutated": m.mutated, "verdict": verdict,
                    "stage": stage, "detail": detail, "seconds": round(secs, 1)})
                report["results"].sort(key=lambda r: r["n"])
                write_report(report, stem)
                counts, score = summarize(report["results"])
                print("[%*d/%d] %-9s %-16s %5.0fs  %s   (score so far %s)" % (
                    len(str(len(chosen))), n, len(chosen), verdict, stage, secs, m.id,
                    "n/a" if score is None else "%.0f%%" % (100 * score)), flush=True)

    threads = [threading.Thread(target=worker, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    write_report(report, stem)
    with open(stem + ".txt") as f:
        print(f.read().split("\nAll mutants:")[0])
    print("mutate: report in %s.txt and %s.json" % (stem, stem))
    return 0


if __name__ == "__main__":
    sys.exit(main())
