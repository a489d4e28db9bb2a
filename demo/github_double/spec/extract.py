# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Rebuild the OpenAPI supplements in this folder from GitHub's published description.

The shared subset (`shared/fixtures/github-openapi/api.github.com.subset.json`) lacks some
operations the double answers. Each family file here holds those operations, verbatim from
the same release of octokit/openapi (`generated/api.github.com.json`, MIT, itself generated
from github/rest-api-description), plus the components they reference that the subset
does not already hold, less `example`/`examples` (documentation only). Run:

    python -m demo.github_double.spec.extract path/to/api.github.com.json

(`npm pack @octokit/openapi@23.0.2` gives that file.)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from demo.fixtures import FIXTURES

HERE = Path(__file__).parent
SUBSET = FIXTURES / "github-openapi" / "api.github.com.subset.json"
SOURCE_VERSION = "23.0.2"
FAMILIES: Mapping[str, tuple[str, ...]] = {
    "pulls": (
        "pulls/update",
        "pulls/create-review",
        "pulls/get-review",
        "pulls/dismiss-review",
        "pulls/update-branch",
    ),
    "checks": (
        "checks/get",
        "checks/list-suites-for-ref",
        "checks/get-suite",
        "checks/list-for-suite",
    ),
    # GitHub calls it repos/compare-commits; octokit keeps that id for the deprecated
    # base...head form and names GET /repos/{owner}/{repo}/compare/{basehead} so
    "compare": ("repos/compare-commits-with-basehead",),
}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def without_examples(node: Any, parent: str = "") -> Any:
    """The node less its `example`/`examples` (never a property of that name): examples
    are documentation, the validator ignores them, and their sample commit shas read as
    secrets to the security audit's scanner."""
    if isinstance(node, Mapping):
        return {
            key: without_examples(value, key)
            for key, value in node.items()
            if parent == "properties" or key not in ("example", "examples")
        }
    if isinstance(node, list):
        return [without_examples(value) for value in node]
    return node


def family(full: Mapping[str, Any], subset: Mapping[str, Any], ops: tuple[str, ...]) -> Any:
    """The paths of `ops` and every component they reach that the subset lacks, without
    examples."""
    full = without_examples(full)
    paths: dict[str, dict[str, Any]] = {}
    for template, item in full["paths"].items():
        for method, raw in item.items():
            if method != "parameters" and raw.get("operationId") in ops:
                entry = paths.setdefault(template, {})
                if "parameters" in item:
                    entry["parameters"] = item["parameters"]
                entry[method] = raw
    found = {
        raw["operationId"]
        for item in paths.values()
        for key, raw in item.items()
        if key != "parameters"
    }
    missing = set(ops) - found
    if missing:
        raise SystemExit(f"not in the description: {sorted(missing)}")
    components: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        value = full["components"][kind][name]
        pending.extend(_refs(value))
        if name not in subset["components"].get(kind, {}):
            components.setdefault(kind, {})[name] = value
    return {
        "openapi": full["openapi"],
        "info": {
            "title": f"modelgate GitHub double: {', '.join(ops)}",
            "version": full["info"]["version"],
            "description": (
                "Operations copied verbatim from octokit/openapi "
                f"{full['info']['version']} generated/api.github.com.json "
                "(from github/rest-api-description), with the components they use "
                "that the shared subset lacks; `example`/`examples` left out."
            ),
            "license": full["info"]["license"],
        },
        "paths": paths,
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


def main(argv: list[str]) -> int:
    full = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    version = full["info"]["version"]
    if version != SOURCE_VERSION:
        raise SystemExit(f"expected octokit/openapi {SOURCE_VERSION}, got {version}")
    subset = json.loads(SUBSET.read_text(encoding="utf-8"))
    for name, ops in FAMILIES.items():
        text = json.dumps(family(full, subset, ops), indent=1, sort_keys=False)
        (HERE / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
