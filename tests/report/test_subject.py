"""The commit a report judges, read from one ``git status``, and the platform line of its environment."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import pytest

from pytest_castmatch import canonical


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Gate", "-c", "user.email=gate@example.org", *args], cwd=repo,
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    monkeypatch.delenv("GITHUB_REF_NAME", raising=False)
    git(tmp_path, "init", "-q", "-b", "release")
    return tmp_path


def test_a_clean_work_tree_names_its_commit_and_branch(repo: Path) -> None:
    assert canonical.subject(repo) == {"commit": "", "branch": "release", "dirty": False}  # no commit yet
    (repo / "app.txt").write_text("one\n")
    git(repo, "add", "app.txt")
    git(repo, "commit", "-q", "-m", "one")
    assert canonical.subject(repo) == {"commit": git(repo, "rev-parse", "HEAD"), "branch": "release", "dirty": False}


def test_a_changed_tracked_file_is_dirty_an_untracked_one_is_not(repo: Path) -> None:
    (repo / "app.txt").write_text("one\n")
    git(repo, "add", "app.txt")
    git(repo, "commit", "-q", "-m", "one")
    (repo / "notes.txt").write_text("untracked\n")
    assert canonical.subject(repo)["dirty"] is False
    (repo / "app.txt").write_text("two\n")
    assert canonical.subject(repo)["dirty"] is True


def test_a_detached_head_is_named_head_and_ci_variables_win(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "app.txt").write_text("one\n")
    git(repo, "add", "app.txt")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "checkout", "-q", "--detach")
    assert canonical.subject(repo)["branch"] == "HEAD"
    monkeypatch.setenv("GITHUB_SHA", "a" * 40)
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    assert canonical.subject(repo) == {"commit": "a" * 40, "branch": "main", "dirty": False}


def test_outside_a_work_tree_nothing_is_claimed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    monkeypatch.delenv("GITHUB_REF_NAME", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert canonical.subject(tmp_path) == {"commit": "", "branch": "", "dirty": False}


def test_the_platform_line_reads_as_the_platform_module_gives_it() -> None:
    name = canonical.platform_name()
    assert name.startswith(f"{platform.system()}-{platform.release()}-{platform.machine()}")
    if platform.libc_ver()[0] == "glibc":
        assert name == platform.platform()
