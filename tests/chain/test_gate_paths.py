# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Which changes touch the gate itself (``modelgate.bot.approvals.gate``), without any client."""

from __future__ import annotations

from modelgate.bot.approvals.gate import gate_paths, path_matches, required_roles
from modelgate.governance import Role, _default_gate_paths

PATTERNS = _default_gate_paths()


def test_folders_match_deeply_and_root_files_exactly() -> None:
    assert path_matches("bot/chain/sync.py", "bot/**")
    assert path_matches(".github/workflows/release.yml", ".github/**")
    assert path_matches("governance.yml", "governance.yml")
    assert not path_matches("docs/governance.yml", "governance.yml")
    assert not path_matches("robot/x.py", "bot/**")
    assert path_matches("a/b/c.lock", "**/*.lock") and path_matches("c.lock", "**/*.lock")


def test_only_gate_files_are_named_and_the_gate_role_is_added_for_them() -> None:
    files = ["train.py", "data/x.csv", "uv.lock", "scripts/test.sh", "Bot/x.py"]
    assert gate_paths(files, PATTERNS) == ("uv.lock", "scripts/test.sh")
    roles = [Role(name="data-steward", users=["dana"]), Role(name="gate-owners", users=["g"])]
    assert [r.name for r in required_roles(roles, "gate-owners", False)] == ["data-steward"]
    assert [r.name for r in required_roles(roles, "gate-owners", True)] == [
        "data-steward", "gate-owners"]
    assert required_roles(roles, None, False) == roles


def test_a_users_entry_may_pin_the_account_id() -> None:
    role = Role.model_validate({"name": "ops", "users": ["ann", {"login": "bo", "id": 7}]})
    assert role.users == ["ann", "bo"] and role.user_ids == {"bo": 7}
