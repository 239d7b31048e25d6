#!/usr/bin/python3
"""Runs the integration tests with pytest and reports each as a VLTEST line
(docs/testing.md), for tools/test_driver.py: "VLTEST PASS integration/<test>" or
"VLTEST FAIL integration/<test> <reason>". Exit status: pytest's.

    run_vltest.py [--suite NAME DIR] [pytest arguments...]

--suite runs the tests in DIR (relative to the repository) and names them NAME/<test>
(tests/steps.txt: `sdk` runs tests/sdk this way). The reason of a failure is the first line
of its message, in full (make_helper.py puts the diagnostic that explains a failed build
there).
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RESULT = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED)\s+\S*?::(\S+)(?:\s+-\s+(.*))?$")


def main():
    suite, where, args = "integration", HERE, sys.argv[1:]
    if args[:1] == ["--suite"] and len(args) >= 3:
        suite, where, args = args[1], os.path.join(REPO, args[2]), args[3:]
    # A wide terminal, so that pytest does not cut the reasons in its summary.
    env = dict(os.environ, COLUMNS="1000")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                           where] + args, cwd=REPO, env=env, capture_output=True, text=True)
    seen = 0
    for line in proc.stdout.splitlines():
        m = RESULT.match(line)
        if not m:
            continue
        seen += 1
        status = {"PASSED": "PASS", "SKIPPED": "SKIP"}.get(m.group(1), "FAIL")
        reason = (" " + m.group(3)) if m.group(3) else (" error" if status == "FAIL" else "")
        print("VLTEST %s %s/%s%s" % (status, suite, m.group(2), reason))
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout[-4000:])
        sys.stdout.write(proc.stderr[-2000:])
        if seen == 0:
            print("VLTEST FAIL %s:pytest exit status %d" % (suite, proc.returncode))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
