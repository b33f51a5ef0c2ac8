"""Switching a fix off happens in a private copy of the tree: the shared working tree (which
every other test run imports from) is never touched, and the copy's sources win over the
editable installs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from puebla_dev.testing import switch_off


def git_tree(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("var/\n")
    (root / "shared" / "src" / "puebla").mkdir(parents=True)
    (root / "shared" / "src" / "puebla" / "__init__.py").write_text("")
    (root / "services" / "fund" / "src" / "fund").mkdir(parents=True)
    (root / "services" / "fund" / "src" / "fund" / "rule.py").write_text(
        "def allowed(hidden):\n    return not hidden\n"
    )
    (root / "services" / "fund" / "tests").mkdir()
    (root / "services" / "fund" / "tests" / "test_rule.py").write_text(
        "from fund.rule import allowed\n\n\ndef test_hidden():\n    assert not allowed(True)\n"
    )
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    (root / "services" / "fund" / "notes.txt").write_text("untracked, not ignored\n")
    (root / "var").mkdir()
    (root / "var" / "state").write_text("ignored\n")
    return root


class TestTheCopy:
    def test_holds_tracked_and_untracked_files_but_not_ignored_ones(self, tmp_path):
        root = git_tree(tmp_path / "tree")
        names = {str(p) for p in switch_off.tree_files(root)}
        assert "services/fund/src/fund/rule.py" in names
        assert "services/fund/notes.txt" in names
        assert "var/state" not in names

    def test_a_switch_changes_the_copy_and_never_the_tree(self, tmp_path):
        root = git_tree(tmp_path / "tree")
        copy = tmp_path / "copy"
        switch_off.copy_tree(root, copy)
        switch_off.switch(copy / "services/fund/src/fund/rule.py", "not hidden", "True")
        assert "return True" in (copy / "services/fund/src/fund/rule.py").read_text()
        assert "return not hidden" in (root / "services/fund/src/fund/rule.py").read_text()

    @pytest.mark.parametrize("old", ["no such text", "hidden"])
    def test_the_text_to_switch_must_occur_exactly_once(self, tmp_path, old):
        root = git_tree(tmp_path / "tree")
        with pytest.raises(switch_off.SwitchError, match="not once"):
            switch_off.switch(root / "services/fund/src/fund/rule.py", old, "x")


class TestARun:
    def test_succeeds_when_the_tests_fail_without_the_fix_and_fails_when_they_pass(
        self, tmp_path, monkeypatch
    ):
        root = git_tree(tmp_path / "tree")
        # 0 only if the copy's switched `fund` was imported: the tree's is on no sys.path
        monkeypatch.setenv("PUEBLA_VAR_DIR", str(tmp_path / "var"))
        args = ["services/fund/tests", "-q"]
        rule = "services/fund/src/fund/rule.py"
        assert switch_off.run(rule, "not hidden", "True", args, root=root) == 0
        assert switch_off.run(rule, "not hidden", "not (hidden)", args, root=root) == 1
        assert "return not hidden" in (root / rule).read_text()

    def test_without_the_separator_it_explains_itself(self, capsys):
        assert switch_off.main(["a", "b"]) == 2
        assert "private copy" in capsys.readouterr().out
