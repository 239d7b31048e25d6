#!/usr/bin/python3
"""Runs the integration tests with pytest and reports each as a VLTEST line
(docs/testing.md), for tools/test_driver.py: "VLTEST PASS integration/<test>" or
"VLTEST FAIL integration/<test> <reason>". Exit status: pytest's.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RESULT = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED)\s+\S*?::(\S+)(?:\s+-\s+(.*))?$")


def main():
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                           HERE] + sys.argv[1:], cwd=REPO, capture_output=True, text=True)
    seen = 0
    for line in proc.stdout.splitlines():
        m = RESULT.match(line)
        if not m:
            continue
        seen += 1
        status = {"PASSED": "PASS", "SKIPPED": "SKIP"}.get(m.group(1), "FAIL")
        reason = (" " + m.group(3)) if m.group(3) else (" error" if status == "FAIL" else "")
        print("VLTEST %s integration/%s%s" % (status, m.group(2), reason))
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout[-4000:])
        sys.stdout.write(proc.stderr[-2000:])
        if seen == 0:
            print("VLTEST FAIL integration:pytest exit status %d" % proc.returncode)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
