"""Tests for tools/mutate.py (mutation testing of the kernel).

Run with:  /usr/bin/python3 -m pytest -q tests/unit/test_mutate.py

The operators and the masking are checked on small C texts; the sampling for determinism and
stratification; the runner end to end on a fake repository whose `make` and QEMU runner are
tiny scripts that fail, hang or pass depending on the mutant applied.
"""

import importlib.util
import json
import os
import textwrap

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("mutate",
                                               os.path.join(REPO_ROOT, "tools", "mutate.py"))
mutate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mutate)


def sites_of(text):
    return mutate.find_sites(textwrap.dedent(text))


def mutants_of(text, path="kernel/src/x.c"):
    text = textwrap.dedent(text)
    return [mutate.Mutant(path, s, text) for s in mutate.find_sites(text)]


def by_op(mutants):
    out = {}
    for m in mutants:
        out.setdefault(m.op, []).append(m)
    return out


FUNC = """\
    int
    f(int x, int y)
    {
        if (x < y && y != 0) {
            return 1;
        }
        return x;
    }
    """


def test_operators_on_a_small_function():
    ms = by_op(mutants_of(FUNC))
    assert sorted(ms) == ["andor", "cmp", "dec", "inc", "not", "ret"]
    assert [(m.line, m.mutated.strip()) for m in ms["cmp"]] == [
        (4, "if (x <= y && y != 0) {"), (4, "if (x < y && y == 0) {")]
    assert [m.mutated.strip() for m in ms["andor"]] == ["if (x < y || y != 0) {"]
    assert [m.mutated.strip() for m in ms["not"]] == ["if (!(x < y && y != 0)) {"]
    # The return inside the if body is dropped; the final return is not (it is no if body).
    assert [(m.line, m.original.strip(), m.mutated.strip()) for m in ms["ret"]] == [
        (5, "return 1;", ";")]
    # 0 is in "!= 0": plus one only; 1 in "return 1": plus and minus one.
    assert [m.mutated.strip() for m in ms["inc"]] == ["if (x < y && y != 1) {", "return 2;"]
    assert [m.mutated.strip() for m in ms["dec"]] == ["return 0;"]


def test_ids_are_unique_and_count_sites_per_line_and_operator():
    ms = mutants_of(FUNC)
    ids = [m.id for m in ms]
    assert len(set(ids)) == len(ids)
    assert "kernel/src/x.c:4:cmp:0" in ids and "kernel/src/x.c:4:cmp:1" in ids
    assert "kernel/src/x.c:4:not:0" in ids


def test_comparisons_are_not_confused_with_shifts_arrows_or_assignments():
    ms = mutants_of("""\
        void
        g(struct s *p)
        {
            p->a = p->b << 2;
            p->c >>= 1;
            p->d = p->e >= 3;
        }
        """)
    cmps = [m for m in ms if m.op == "cmp"]
    assert [m.mutated.strip() for m in cmps] == ["p->d = p->e > 3;"]


def test_comments_strings_and_chars_are_skipped():
    ms = mutants_of("""\
        int
        h(const char *s)
        {
            /* if (a < b) return 1; */
            // x == 2
            kputs("a < b == c 7");
            return s[0] == '<';
        }
        """)
    assert sorted((m.op, m.line) for m in ms) == [("cmp", 7), ("inc", 7)]


def test_only_function_bodies_are_mutated():
    ms = mutants_of("""\
        #define LIMIT (1 < 2)
        enum { A = 3, B = A == 3 };
        static const int table[4] = { 1, 2, 3, 4 };
        struct s { int a[8]; };
        static inline int
        k(int v)
        {
            return v > 5;
        }
        """)
    assert sorted(m.id.split(":", 1)[1] for m in ms) == [
        "8:cmp:0", "8:dec:0", "8:inc:0"]


def test_diagnostics_are_skipped():
    ms = mutants_of("""\
        void
        d(int a, int b)
        {
            assert(a < b);
            kprintf("%d\\n", a == 1);
            panic("x %d", b > 2);
            if (a > b) {
                panic("bad");
            }
        }
        """)
    assert sorted((m.op, m.line) for m in ms) == [("cmp", 7), ("not", 7)]


def test_local_array_sizes_are_skipped_but_indices_are_not():
    ms = mutants_of("""\
        void
        e(void)
        {
            word_t buf[8];
            buf[1] = 0;
        }
        """)
    assert sorted(m.mutated.strip() for m in ms) == [
        "buf[0] = 0;", "buf[1] = 1;", "buf[2] = 0;"]


def test_blocks_compiled_out_in_the_normal_build_are_skipped():
    text = """\
        int
        c(int a)
        {
        #ifdef CONFIG_TEST_DEFECT_SCHED
            a = a + 1;
        #else
            a = a + 2;
        #endif
        #ifndef CONFIG_TEST_DEFECT_OTHER
            a = a + 3;
        #endif
        #ifdef CONFIG_BENCH_PREEMPTION
            a = a + 4;
        #endif
        #if 0
            a = a + 5;
        #endif
        #if defined(CONFIG_TEST_DEFECT_X) || defined(FOO)
            a = a + 6;
        #endif
        #ifndef NDEBUG
            a = a + 7;
        #endif
        #ifdef CONFIG_FASTPATH
            a = a + 8;
        #else
            a = a + 9;
        #endif
            return a;
        }
        """
    constants = sorted(int(m.original.strip().split("+ ")[1].rstrip(";"))
                       for m in mutants_of(text) if m.op == "inc")
    assert constants == [2, 3, 7, 8, 9]


def test_directives_with_continuation_lines_are_blanked():
    ms = mutants_of("""\
        int
        m(int a)
        {
        #define TWICE(x) \\
            ((x) + (x) + 1)
            return TWICE(a);
        }
        """)
    assert ms == []


def test_negating_a_condition_that_spans_lines():
    ms = [m for m in mutants_of("""\
        int
        n(int a, int b)
        {
            if (a == 1 ||
                b == 2) {
                a = 0;
            }
            return a;
        }
        """) if m.op == "not"]
    assert len(ms) == 1
    assert ms[0].line == 4
    assert ms[0].original.split("\n") == ["    if (a == 1 ||", "        b == 2) {"]
    assert ms[0].mutated.split("\n") == ["    if (!(a == 1 ||", "        b == 2)) {"]


def test_dropping_a_return_that_spans_lines_and_in_else_bodies():
    ms = [m for m in mutants_of("""\
        int
        r(int a)
        {
            if (a) {
                return g(a,
                         2);
            } else {
                return 3;
            }
            while (a) {
                return 4;
            }
            return 0;
        }
        """) if m.op == "ret"]
    assert [(m.line, m.mutated) for m in ms] == [(5, "        ;"), (8, "        ;")]
    assert ms[0].original == "        return g(a,\n                 2);"


def test_hex_constants_keep_their_form():
    assert mutate._number_variants("0x1fUL") == [("inc", "0x20UL"), ("dec", "0x1eUL")]
    assert mutate._number_variants("0xFF") == [("inc", "0x100"), ("dec", "0xFE")]
    assert mutate._number_variants("0x00") == [("inc", "0x01")]
    assert mutate._number_variants("10u") == [("inc", "11u"), ("dec", "9u")]
    assert mutate._number_variants("0") == [("inc", "1")]


def test_apply_edits_keeps_other_text():
    assert mutate.apply_edits("if (a) {", [(4, 4, "!("), (5, 5, ")")]) == "if (!(a)) {"


def test_allocation_gives_every_file_one_then_shares_by_size():
    counts = {"big.c": 1000, "mid.c": 100, "small.c": 2, "tiny.c": 1}
    alloc = mutate.allocate(counts, 100, "1")
    assert sum(alloc.values()) == 100
    assert alloc["tiny.c"] == 1 and alloc["small.c"] >= 1
    assert alloc["big.c"] > alloc["mid.c"] > 1
    # Never more than a file has.
    assert mutate.allocate({"a.c": 2, "b.c": 3}, 10, "1") == {"a.c": 2, "b.c": 3}
    # Fewer mutants than files: a seeded choice of files, one each.
    few = mutate.allocate({"a.c": 5, "b.c": 5, "c.c": 5}, 2, "1")
    assert sorted(few.values()) == [1, 1]
    assert few == mutate.allocate({"a.c": 5, "b.c": 5, "c.c": 5}, 2, "1")


def _fake_by_file():
    text = textwrap.dedent(FUNC)
    out = {}
    for name, copies in (("a.c", 1), ("b.c", 5), ("c.c", 20)):
        out["kernel/src/" + name] = [
            mutate.Mutant("kernel/src/%s" % name, s, text)
            for s in mutate.find_sites(text)] * copies
    for path, ms in out.items():
        for i, m in enumerate(ms):
            ms[i] = mutate.Mutant(path, {"line": m.line, "op": m.op, "k": m.k + 100 * i,
                                         "edits": m.edits}, text)
    return out


def test_sampling_is_deterministic_and_stratified():
    by_file = _fake_by_file()
    first = [m.id for m in mutate.sample(by_file, 30, "1")]
    again = [m.id for m in mutate.sample(by_file, 30, "1")]
    other = [m.id for m in mutate.sample(by_file, 30, "2")]
    assert first == again
    assert first != other
    assert len(set(first)) == 30
    assert any(i.startswith("kernel/src/a.c:") for i in first)
    assert sum(i.startswith("kernel/src/c.c:") for i in first) > \
        sum(i.startswith("kernel/src/b.c:") for i in first)


def test_find_mutant_by_id():
    by_file = {"kernel/src/x.c": mutants_of(FUNC)}
    m = mutate.find_mutant(by_file, "kernel/src/x.c:5:ret:0")
    assert m is not None and m.mutated.strip() == ";"
    assert mutate.find_mutant(by_file, "kernel/src/x.c:5:ret:1") is None
    assert mutate.find_mutant(by_file, "kernel/src/y.c:5:ret:0") is None


def test_compile_errors_are_recognised_only_for_the_mutated_file():
    out = "kernel/src/object/tcb.c:12:5: error: expected ';'\nmake: *** [x] Error 1\n"
    assert mutate.compile_error_in(out, "kernel/src/object/tcb.c")
    assert mutate.compile_error_in("In file included from a.c:1:\n"
                                   "kernel/include/util.h:3:1: fatal error: x\n",
                                   "kernel/include/util.h")
    assert not mutate.compile_error_in(out, "kernel/src/object/cap.c")
    assert not mutate.compile_error_in("VLTEST FAIL tcb kernel/src/object/tcb.c:12 bad\n",
                                       "kernel/src/object/tcb.c")


def _result(n, verdict, id_="kernel/src/x.c:4:cmp:0"):
    return {"n": n, "id": id_, "file": "kernel/src/x.c", "line": 4, "op": "cmp",
            "original": "    if (x < y) {", "mutated": "    if (x <= y) {",
            "verdict": verdict, "stage": "unit" if verdict == "KILLED" else "",
            "detail": "failed" if verdict == "KILLED" else "", "seconds": 1.5}


def test_score_counts_killed_over_killed_and_survived():
    results = [_result(1, "KILLED"), _result(2, "KILLED"), _result(3, "SURVIVED"),
               _result(4, "STILLBORN")]
    counts, score = mutate.summarize(results)
    assert counts == {"KILLED": 2, "SURVIVED": 1, "STILLBORN": 1}
    assert score == pytest.approx(2 / 3)
    assert mutate.summarize([_result(1, "STILLBORN")])[1] is None


def test_report_files_round_trip(tmp_path):
    stem = str(tmp_path / "out" / "report")
    results = [_result(1, "KILLED"), _result(2, "SURVIVED", "kernel/src/x.c:9:not:0")]
    mutate.write_report({"commit": "abc", "seed": "1", "planned": 3, "results": results}, stem)
    with open(stem + ".json") as f:
        data = json.load(f)
    assert data["score"] == 0.5
    assert data["counts"]["SURVIVED"] == 1
    assert mutate.load_survivor_ids(stem + ".json") == ["kernel/src/x.c:9:not:0"]
    text = open(stem + ".txt").read()
    assert "score: 50.0 % (1/2)" in text
    assert "mutants: 2 of 3 planned" in text
    assert "Survivors (1):\n  kernel/src/x.c:9:not:0\n    - if (x < y) {\n    + if (x <= y) {" \
        in text


# A fake repository: `make` and the QEMU runner look at the mutated source and fail, hang
# or pass as each test wants.
FAKE_SOURCE = """\
int
f(int x)
{
    if (x < 3) {
        return 1;
    }
    return 0;
}
"""
FAKE_MAKEFILE = """\
all:
\t@/usr/bin/python3 check.py build
unit:
\t@/usr/bin/python3 check.py unit
"""
FAKE_CHECK = """\
import sys, time
src = open("kernel/src/a.c").read()
stage = sys.argv[1]
if stage == "build" and "!(" in src:
    print("kernel/src/a.c:4:9: error: mutant rejected")
    sys.exit(1)
if stage == "unit" and "x <= 3" in src:
    print("VLTEST FAIL boundary")
    sys.exit(1)
if stage == "unit" and "x < 2" in src:
    time.sleep(60)
if stage == "unit" and "x < 7" in src:
    print("kernel/src/a.c:4:9: error: clang only")
    sys.exit(1)
"""
FAKE_QEMU_RUN = """\
import sys
src = open("kernel/src/a.c").read()
image = sys.argv[-3]
if "        ;\\n" in src:
    sys.exit(1)
if "x < 4" in src and "nofastpath" in image:
    sys.exit(1)
sys.exit(0)
"""


@pytest.fixture
def fake_repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "kernel" / "src").mkdir(parents=True)
    (repo / "tools").mkdir()
    (repo / "kernel" / "src" / "a.c").write_text(FAKE_SOURCE)
    (repo / "Makefile").write_text(FAKE_MAKEFILE)
    (repo / "check.py").write_text(FAKE_CHECK)
    (repo / "tools" / "qemu_run.py").write_text(FAKE_QEMU_RUN)
    return repo


def test_runner_verdicts_on_a_fake_repository(fake_repo, capsys):
    ids = {"kernel/src/a.c:4:cmp:0": ("KILLED", "unit", "failed"),           # x <= 3
           "kernel/src/a.c:4:not:0": ("STILLBORN", "build", "does not compile"),
           "kernel/src/a.c:5:ret:0": ("KILLED", "ktest", "failed"),
           "kernel/src/a.c:4:dec:0": ("KILLED", "unit", "timeout"),          # x < 2
           "kernel/src/a.c:4:inc:0": ("KILLED", "ktest-nofastpath", "failed"),  # x < 4
           "kernel/src/a.c:5:inc:0": ("SURVIVED", "", "")}                   # return 2
    status = mutate.main(["--repo", str(fake_repo), "--timeout", "1",
                          "--mutant", ",".join(ids)])
    assert status == 0
    with open(fake_repo / "build" / "mutate" / "replay.json") as f:
        report = json.load(f)
    got = {r["id"]: (r["verdict"], r["stage"], r["detail"]) for r in report["results"]}
    assert got == ids
    assert report["score"] == pytest.approx(4 / 5)
    # The working tree and the scratch tree are back to the original source.
    assert (fake_repo / "kernel" / "src" / "a.c").read_text() == FAKE_SOURCE
    work = fake_repo / "build" / "mutate" / "replay-0"
    assert (work / "kernel" / "src" / "a.c").read_text() == FAKE_SOURCE
    assert not (work / ".mutant").exists()
    out = capsys.readouterr().out
    assert "[1/6] KILLED" in out and "score: 80.0 % (4/5)" in out
    # Replaying the survivors of a report.
    os.replace(fake_repo / "build" / "mutate" / "replay.json",
               fake_repo / "build" / "mutate" / "report.json")
    assert mutate.main(["--repo", str(fake_repo), "--timeout", "1", "--mutant",
                        "survivors", "--no-nofastpath"]) == 0
    with open(fake_repo / "build" / "mutate" / "replay.json") as f:
        assert [r["id"] for r in json.load(f)["results"]] == ["kernel/src/a.c:5:inc:0"]


def test_a_compile_error_in_the_unit_stage_is_stillborn(fake_repo):
    assert mutate.main(["--repo", str(fake_repo), "--timeout", "1", "--mutant",
                        "kernel/src/a.c:4:inc:1"]) == 2  # no such mutant
    text = FAKE_SOURCE.replace("x < 3", "x < 6")
    (fake_repo / "kernel" / "src" / "a.c").write_text(text)
    assert mutate.main(["--repo", str(fake_repo), "--timeout", "1", "--mutant",
                        "kernel/src/a.c:4:inc:0"]) == 0  # x < 7: rejected by the "host" build
    with open(fake_repo / "build" / "mutate" / "replay.json") as f:
        r = json.load(f)["results"][0]
    assert (r["verdict"], r["stage"]) == ("STILLBORN", "unit")


def test_a_failing_baseline_stops_the_run(fake_repo):
    (fake_repo / "kernel" / "src" / "a.c").write_text(FAKE_SOURCE.replace("x < 3", "x <= 3"))
    assert mutate.main(["--repo", str(fake_repo), "--timeout", "1", "--mutants", "2"]) == 1


def test_an_interrupted_run_is_cleaned_up(fake_repo):
    work = fake_repo / "build" / "mutate" / "work-0"
    (work / "build").mkdir(parents=True)
    (work / "build" / "stale.o").write_text("built from a mutant")
    (work / ".mutant").write_text("kernel/src/a.c:4:cmp:0\n")
    (work / "kernel" / "src").mkdir(parents=True)
    (work / "kernel" / "src" / "a.c").write_text("mutated")
    (work / "kernel" / "src" / "gone.c").write_text("no longer in the tree")
    runner = mutate.Runner(str(fake_repo), str(work), 1, True)
    runner.prepare()
    # A second run cannot use the same scratch tree at the same time.
    with pytest.raises(RuntimeError, match="in use"):
        mutate.Runner(str(fake_repo), str(work), 1, True).prepare()
    assert not (work / "build" / "stale.o").exists()
    assert not (work / ".mutant").exists()
    assert not (work / "kernel" / "src" / "gone.c").exists()
    assert (work / "kernel" / "src" / "a.c").read_text() == FAKE_SOURCE


def test_the_kernel_tree_has_sites_in_every_operator():
    by_file = mutate.all_mutants(REPO_ROOT)
    ops = {m.op for ms in by_file.values() for m in ms}
    assert ops == set(mutate.OPERATORS)
    assert all(p.startswith(("kernel/src/", "kernel/include/")) for p in by_file)
