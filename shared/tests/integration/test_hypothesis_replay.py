"""Every hypothesis test of the repository can be replayed: derandomized under CI, and a
printed seed locally (`puebla_dev.testing.replay`, loaded by the plugin every suite loads).

Each test runs pytest in a subprocess, as `make test` does, on a small property test (or on
the repository's own), and looks at what it drew and printed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from puebla_dev.devstack.processes import repo_root

PROPERTY = """
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

# Built at import, like the repository's own: it must still inherit the profile.
SETTINGS = settings(max_examples=25, deadline=None)


@SETTINGS
@given(st.integers())
def test_draws(n):
    with Path(os.environ["DRAWS_OUT"]).open("a") as out:
        out.write(f"{n}\\n")


def test_fails():
    assert os.environ.get("MAKE_IT_FAIL") != "1"
"""

INSPECTOR = """
import json
import os

from hypothesis import is_hypothesis_test


def pytest_collection_modifyitems(items):
    found = {}
    for item in items:
        test = getattr(item, "obj", None)
        if test is not None and is_hypothesis_test(test):
            found[item.nodeid] = test._hypothesis_internal_use_settings.derandomize
    with open(os.environ["INSPECT_OUT"], "w") as out:
        json.dump(found, out)
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PUEBLA_HYPOTHESIS_SEED")}
    # Hypothesis itself switches to its CI settings on any of these; the test decides.
    for key in ("GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "BUILDKITE", "CIRCLECI"):
        env.pop(key, None)
    return {**env, **extra}


def run_property(run_dir: Path, *args: str, **env: str) -> tuple[str, list[str]]:
    """Runs the small property test in a directory of its own (no example database carried
    over from another run); returns pytest's output and the values drawn, in order."""
    run_dir.mkdir(parents=True)
    (run_dir / "test_property.py").write_text(PROPERTY)
    (run_dir / "pytest.ini").write_text("[pytest]\n")
    draws = run_dir / "draws.txt"
    result = subprocess.run(
        # Hypothesis and the profiles' module alone (quick to start); that the plugin every
        # suite loads brings the profiles along is shown on the repository's own tests below.
        [
            *(sys.executable, "-m", "pytest", "-p", "_hypothesis_pytestplugin"),
            *("-p", "puebla_dev.testing.replay", "-q", "-rN", *args, "test_property.py"),
        ],
        cwd=run_dir,
        env=_env(DRAWS_OUT=str(draws), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout + result.stderr, draws.read_text().split()


def printed_seed(output: str) -> int:
    found = re.search(r"hypothesis: profile 'dev', seed (\d+) \(replay: --hypothesis-seed=", output)
    assert found, output
    return int(found.group(1))


class TestCiProfile:
    def test_under_ci_a_rerun_draws_the_same_examples(self, tmp_path: Path) -> None:
        first, first_draws = run_property(tmp_path / "1", "-v", CI="true")
        _, second_draws = run_property(tmp_path / "2", "-v", CI="true")
        assert "hypothesis: profile 'ci', derandomized" in first, first
        assert len(first_draws) == 25
        assert first_draws == second_draws

    def test_ci_is_set_by_the_ci_entry_point(self) -> None:
        # `.ci/run` is what CI runs; under it every suite gets the `ci` profile.
        script = (repo_root() / ".ci" / "run").read_text()
        assert re.search(r"^export CI=", script, re.MULTILINE), script


class TestDevProfile:
    def test_a_failed_run_prints_the_seed_that_replays_its_draws(self, tmp_path: Path) -> None:
        output, draws = run_property(tmp_path / "failed", MAKE_IT_FAIL="1")
        assert "1 failed" in output, output
        seed = printed_seed(output)  # -q: said at the end, after the failure
        _, by_option = run_property(tmp_path / "option", f"--hypothesis-seed={seed}")
        _, by_env = run_property(tmp_path / "env", PUEBLA_HYPOTHESIS_SEED=str(seed))
        assert len(draws) == 25
        assert by_option == draws
        assert by_env == draws

    def test_each_session_draws_from_a_seed_of_its_own(self, tmp_path: Path) -> None:
        one, _ = run_property(tmp_path / "1", "-v")
        two, _ = run_property(tmp_path / "2", "-v")
        assert printed_seed(one) != printed_seed(two)


class TestEveryPropertyTestOfTheRepository:
    def test_runs_derandomized_under_ci(self, tmp_path: Path) -> None:
        root = repo_root()
        here = Path(__file__).resolve()
        modules = sorted(
            str(path.relative_to(root))
            for top in ("services", "shared", "e2e")
            for path in (root / top).rglob("test_*.py")
            if path.resolve() != here
            and re.search(r"^(from|import) (hypothesis|schemathesis)\b", path.read_text(), re.M)
        )
        assert modules, "no hypothesis tests found"
        (tmp_path / "inspect_hypothesis.py").write_text(INSPECTOR)
        out = tmp_path / "found.json"
        result = subprocess.run(
            [
                *(sys.executable, "-m", "pytest", "--collect-only", "-q"),
                *("-p", "inspect_hypothesis", *modules),
            ],
            cwd=root,
            env=_env(CI="true", INSPECT_OUT=str(out), PYTHONPATH=str(tmp_path)),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        found: dict[str, bool] = json.loads(out.read_text())
        for module in modules:
            assert any(nodeid.startswith(module) for nodeid in found), (module, found)
        assert all(found.values()), {k: v for k, v in found.items() if not v}
