"""Where a gate project lives, and how pytest's paths read inside it.

pytest takes option values that are existing paths into its rootdir search: ``--gate-report
/elsewhere`` can leave it with a rootdir above the project and no ini file at all. The plugin
therefore resolves its own paths from the ini file's folder (``config.inipath``), finds that
folder itself when pytest found none, and says so when pytest's rootdir is not the project's.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath

#: The folders whose tests are gates when the ini file names none (``castmatch_suites``).
DEFAULT_SUITES = ("suites",)
#: Files pytest reads its configuration from, in the order it looks for them in one folder.
INI_FILES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
_SECTION = {"pyproject.toml": "[tool.pytest", "tox.ini": "[pytest]", "setup.cfg": "[tool:pytest]"}


def find_ini(start: Path) -> Path | None:
    """The nearest file at or above ``start`` that holds pytest configuration, as pytest would pick it."""
    for folder in (start, *start.parents):
        for name in INI_FILES:
            path = folder / name
            if path.is_file() and _holds_pytest_config(path):
                return path
    return None


def _holds_pytest_config(path: Path) -> bool:
    section = _SECTION.get(path.name)
    if section is None:
        return True
    try:
        return section in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def locate(inipath: Path | None, rootpath: Path, invocation_dir: Path) -> tuple[Path, str]:
    """The project's folder, and a problem (empty when none) when pytest's rootdir missed the project.

    An ini path that is no file (``-c /dev/null``) holds no project: the search starts over.
    """
    if inipath is not None and inipath.is_file():
        return inipath.parent, ""
    found = find_ini(invocation_dir)
    if found is None or found.parent == rootpath:
        return rootpath, ""
    return found.parent, (
        f"pytest took {rootpath} as its rootdir and read no ini file, but this project's ini file is {found}: "
        "an option value that is an existing path (such as --gate-report DIR) joined pytest's rootdir search, so "
        "the project's pytest settings did not apply — write it as --gate-report=DIR, or pass "
        f"--rootdir {found.parent}"
    )


def absolute(path: Path) -> Path:
    """``path`` made absolute without resolving links, the way pytest makes node paths."""
    return Path(os.path.abspath(path))


def relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` in '/' form, or absolute when it lies outside."""
    try:
        return absolute(path).relative_to(base).as_posix()
    except ValueError:
        return absolute(path).as_posix()


def rebase(nodeid: str, path: Path, base: Path, rootpath: Path) -> str:
    """A node id relative to ``base`` instead of pytest's rootdir: the same gate id whatever rootdir pytest chose."""
    if base == rootpath:
        return nodeid
    _, sep, rest = nodeid.partition("::")
    return relative(path, base) + sep + rest


def covers(arg: Path, roots: Iterable[Path]) -> bool:
    """True when collecting ``arg`` takes in a suite root, or lies inside one."""
    return any(root == arg or root.is_relative_to(arg) or arg.is_relative_to(root) for root in roots)


def selected_paths(args: Sequence[str], invocation_dir: Path, base: Path, roots: Sequence[Path]) -> tuple[str, ...]:
    """The run's path arguments as project-relative prefixes; empty (everything) when one of them takes in a
    whole suite root, as the full gate does."""
    out: list[str] = []
    for arg in args:
        file_part, sep, rest = arg.partition("::")
        target = absolute(invocation_dir / file_part)
        if not sep and any(root == target or root.is_relative_to(target) for root in (base, *roots)):
            return ()
        out.append(relative(target, base) + sep + rest)
    return tuple(out)


def ignored_by_option(path: Path, ignore: Sequence[str], ignore_glob: Sequence[str], invocation_dir: Path) -> bool:
    """True when ``--ignore`` or ``--ignore-glob`` (the user's own scope) ignored ``path``."""
    here = absolute(path)
    if any(absolute(invocation_dir / p) == here for p in ignore):
        return True
    return any(fnmatch.fnmatch(str(here), str(absolute(invocation_dir / g))) for g in ignore_glob)


def under_any(path: Path, roots: Iterable[Path]) -> bool:
    """True when ``path`` lies in one of the suite roots (the tests that are gates)."""
    return any(path == root or PurePath(path).is_relative_to(root) for root in roots)
