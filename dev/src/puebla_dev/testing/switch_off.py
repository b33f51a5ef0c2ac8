"""Show that tests fail without their fix — in a private copy of the tree, never in place.

The working tree is shared while people work in it: every pytest run imports `puebla` and the
services from it (editable installs). Switching a fix off by editing a file there, even for a
few seconds, hands the broken code to every run that imports it meanwhile, and that run then
fails for no fault of its own. (Issue 12: reserve_fund's replay test got "the stored 201" back
about once in fifteen runs while a script had the recheck switched off in `/work/main`.)

    python -m puebla_dev.testing.switch_off FILE OLD NEW -- PYTEST_ARGS...

copies the tree's files (tracked and untracked, not ignored) to a temporary directory,
replaces OLD by NEW in FILE there (OLD must occur exactly once), and runs pytest in the copy
with the copy's `shared/src` and `services/*/src` ahead of the editable installs. The local
stack is reused as it is (`PUEBLA_VAR_DIR` points at this tree's `var/`). Exit status 0 when
the tests fail with the fix off — what the check wants — 1 when they pass, 2 when pytest could
not run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from puebla_dev.devstack.processes import repo_root, var_dir


class SwitchError(Exception):
    """The switch cannot be made as asked: nothing was run."""


def tree_files(root: Path) -> list[Path]:
    """The tree's files as git sees them: tracked (unless deleted) and untracked, not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout
    names = sorted({name for name in listed.decode().split("\0") if name})
    return [Path(name) for name in names if (root / name).is_file()]


def copy_tree(root: Path, dest: Path) -> None:
    for name in tree_files(root):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target, follow_symlinks=False)


def switch(path: Path, old: str, new: str) -> None:
    """Replaces the one occurrence of `old` in `path`."""
    text = path.read_text()
    found = text.count(old)
    if found != 1:
        raise SwitchError(f"{path}: the text to switch off occurs {found} times, not once")
    path.write_text(text.replace(old, new))


def source_paths(tree: Path) -> list[str]:
    services = sorted(str(src) for src in (tree / "services").glob("*/src") if src.is_dir())
    return [str(tree / "shared" / "src"), *services]


def _say(line: str) -> None:
    sys.stdout.write(f"switch_off: {line}\n")


def run(file: str, old: str, new: str, pytest_args: list[str], root: Path | None = None) -> int:
    root = root or repo_root()
    with tempfile.TemporaryDirectory(prefix="puebla-switch-off-") as scratch:
        tree = Path(scratch)
        copy_tree(root, tree)
        switch(tree / file, old, new)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [*source_paths(tree), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            "PUEBLA_VAR_DIR": os.environ.get("PUEBLA_VAR_DIR", str(var_dir())),
        }
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args],
            cwd=tree,
            env=env,
        )
    if tests.returncode == 1:
        _say(f"with {file} switched off the tests FAIL, as they must")
        return 0
    if tests.returncode == 0:
        _say(f"with {file} switched off the tests still PASS: they do not show it")
        return 1
    _say(f"pytest could not run the tests (exit {tests.returncode})")
    return 2


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") != 3:
        sys.stdout.write(__doc__ or "")
        return 2
    file, old, new = argv[:3]
    try:
        return run(file, old, new, argv[4:])
    except SwitchError as refused:
        _say(str(refused))
        return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
