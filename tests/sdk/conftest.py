"""Shared fixtures of the SDK and build tests (tests/sdk): a copy of the SDK outside the
tree, and a copy of the tree itself for tests that must change apps/ or systems/."""

import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from make_helper import run_make  # noqa: E402


@pytest.fixture(scope="session")
def sdk(tmp_path_factory):
    """`make sdk`, then a copy of build/sdk in a temporary folder: the tests use the copy,
    so nothing can reach back into the tree by a relative path."""
    run_make(["-s", "sdk"], cwd=REPO)
    copy = str(tmp_path_factory.mktemp("vallum") / "sdk")
    shutil.copytree(os.path.join(REPO, "build", "sdk"), copy, symlinks=False)
    return copy


@pytest.fixture(scope="session")
def tree(tmp_path_factory):
    """A copy of the tree's files (tracked and new, not ignored: no build/) in a temporary
    folder, for tests that add a broken app or a bad description."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                           check=True, capture_output=True).stdout.decode().split("\0")
    copy = str(tmp_path_factory.mktemp("tree") / "vallum")
    for name in filter(None, files):
        src = os.path.join(REPO, name)
        if not os.path.isfile(src):
            continue  # deleted in the work tree, not yet committed
        dst = os.path.join(copy, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    return copy
