# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Run the double by hand for the local demo: `python -m demo.github_double --demo`.

It prints the base URL and one token per account as JSON, then serves until Ctrl-C.
Point PyGithub (or `GITHUB_API_URL`) at the base URL and use a token from the listing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading

from demo.github_double.double import ACTIONS_BOT, GitHubDouble

DEMO_REPO = "acme/model"


def seed_demo(double: GitHubDouble) -> None:
    """A small scene: org acme, approver alice, author bob, the Actions bot, one open PR."""
    double.add_user("alice", name="Alice Approver")
    double.add_user("bob", name="Bob Author")
    double.add_bot()
    double.create_org("acme", members=["alice", "bob"])
    double.add_team("acme", "model-risk", ["alice"])
    double.create_repo(DEMO_REPO, files={"governance.yml": "model: demo\n"})
    double.set_permission(DEMO_REPO, "alice", "maintain")
    double.set_permission(DEMO_REPO, "bob", "write")
    double.set_permission(DEMO_REPO, ACTIONS_BOT, "write")
    double.create_pull(
        DEMO_REPO, "bob", head_ref="tune", files={"governance.yml": "model: demo-2\n"}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--demo", action="store_true", help="seed a demo repository and PR")
    args = parser.parse_args()
    with GitHubDouble(port=args.port) as double:
        if args.demo:
            seed_demo(double)
        tokens = {token.login: value for value, token in double.state.tokens.items()}
        print(json.dumps({"base_url": double.base_url, "tokens": tokens}, indent=2), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
        for violation in double.take_violations():
            print(f"violation: {violation}")


if __name__ == "__main__":
    main()
