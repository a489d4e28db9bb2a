# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The ip_headers audit: ``reuse lint`` on temporary git repositories."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelgate.bot.check.audits import ip_headers
from modelgate.bot.check.audits._util import ToolError
from modelgate.bot.check.audits.base import AuditContext, EvidenceMissing
from tests.audit_support import block_network, git_repo, shipped_context


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    attempts = block_network(monkeypatch)
    yield
    assert attempts == [], f"the audit tried to reach the network: {attempts}"


# REUSE-IgnoreStart (these strings are fixture headers, not this file's licence)
HEADER = "# SPDX-FileCopyrightText: 2026 Example Org\n# SPDX-License-Identifier: Apache-2.0\n"
COMPLIANT = {
    "LICENSES/Apache-2.0.txt": "Apache License, Version 2.0 (text elided in this fixture)\n",
    "pkg/__init__.py": HEADER,
    "pkg/core.py": HEADER + "VALUE = 1\n",
    "README.md": "<!--\nSPDX-FileCopyrightText: 2026 Example Org\n"
    "SPDX-License-Identifier: Apache-2.0\n-->\n# Example\n",
}
# REUSE-IgnoreEnd


def context_for(root: Path) -> AuditContext:
    return dataclasses.replace(shipped_context(), root=root)


def test_a_compliant_repository_passes(tmp_path: Path) -> None:
    """It passes a repository where every file has SPDX headers and every license a text."""
    root = git_repo(tmp_path / "repo", COMPLIANT)
    result = ip_headers.run(context_for(root))
    assert result.status == "pass", result.summary
    assert result.details["problems"] == {}
    assert result.details["used_licenses"] == ["Apache-2.0"]
    assert result.details["tool"].startswith("reuse ")


def test_a_file_without_a_header_fails_and_is_named(tmp_path: Path) -> None:
    """It fails when a source file has no SPDX header, naming that file."""
    files = {**COMPLIANT, "pkg/naked.py": "print('no header')\n"}
    root = git_repo(tmp_path / "repo", files)
    result = ip_headers.run(context_for(root))
    assert result.status == "fail"
    problems = result.details["problems"]
    assert problems["missing_licensing_info"]["items"] == ["pkg/naked.py"]
    assert problems["missing_copyright_info"]["items"] == ["pkg/naked.py"]
    assert "pkg/naked.py" in result.summary


def test_missing_and_unused_license_texts_fail(tmp_path: Path) -> None:
    """It fails on a license used without its text and on a text nothing uses."""
    files = {
        **COMPLIANT,
        "LICENSES/MIT.txt": "MIT License (text elided)\n",
        "pkg/other.py": HEADER.replace("Apache-2.0", "BSD-3-Clause"),
    }
    root = git_repo(tmp_path / "repo", files)
    result = ip_headers.run(context_for(root))
    assert result.status == "fail"
    problems = result.details["problems"]
    assert problems["missing_licenses"]["items"] == ["BSD-3-Clause"]
    assert problems["unused_licenses"]["items"] == ["MIT"]


def test_git_ignored_files_are_not_linted(tmp_path: Path) -> None:
    """It ignores what .gitignore ignores, as reuse does in a git repository."""
    files = {
        **COMPLIANT,
        # REUSE-IgnoreStart
        ".gitignore": "# SPDX-FileCopyrightText: 2026 Example Org\n"
        "# SPDX-License-Identifier: Apache-2.0\nbuild/\n",
        # REUSE-IgnoreEnd
    }
    root = git_repo(tmp_path / "repo", files)
    (root / "build").mkdir()
    (root / "build" / "generated.py").write_text("x = 1\n")
    result = ip_headers.run(context_for(root))
    assert result.status == "pass", result.summary


def test_unreadable_tool_output_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It raises, rather than passes, when reuse prints something other than its JSON report."""
    root = git_repo(tmp_path / "repo", COMPLIANT)
    monkeypatch.setattr(
        ip_headers, "REUSE_COMMAND", (sys.executable, "-c", "print('all good, trust me')")
    )
    with pytest.raises(ToolError, match="readable JSON"):
        ip_headers.run(context_for(root))
    monkeypatch.setattr(
        ip_headers, "REUSE_COMMAND", (sys.executable, "-c", "import sys; sys.exit(2)")
    )
    with pytest.raises(ToolError, match="exited 2"):
        ip_headers.run(context_for(root))


def test_a_missing_root_is_missing_evidence(tmp_path: Path) -> None:
    """It raises EvidenceMissing when the repository root is not there."""
    with pytest.raises(EvidenceMissing, match="does not exist"):
        ip_headers.run(context_for(tmp_path / "nowhere"))
