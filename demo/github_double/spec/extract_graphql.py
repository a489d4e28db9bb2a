# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Rebuild `schema.subset.graphql` from GitHub's published GraphQL schema.

Source: octokit/graphql-schema `schema.graphql` (MIT, "Copyright (c) GitHub"; GitHub's
public schema as its introspection gives it). The subset keeps the types and fields in
`KEEP` verbatim (descriptions, arguments, directives), every enum, scalar and input type
they reach, the interfaces in `KEEP` only, and union members in `KEEP` only. A query
valid against the subset is valid against GitHub's schema. Run:

    python -m demo.github_double.spec.extract_graphql path/to/schema.graphql
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
    print_ast,
)
from graphql.language import ListTypeNode, NonNullTypeNode, TypeNode

HERE = Path(__file__).parent
TARGET = HERE / "schema.subset.graphql"
SOURCE = "octokit/graphql-schema schema.graphql"
# Object and interface types, with the fields kept ("*": all of a union's members kept).
KEEP: Mapping[str, tuple[str, ...]] = {
    "Query": ("repository",),
    "Repository": ("databaseId", "id", "name", "nameWithOwner", "owner", "pullRequest"),
    "RepositoryOwner": ("login",),
    "Actor": ("login",),
    "User": ("databaseId", "id", "login"),
    "Bot": ("databaseId", "id", "login"),
    "Organization": ("databaseId", "id", "login"),
    "PullRequest": (
        "author",
        "baseRefName",
        "baseRefOid",
        "body",
        "comments",
        "createdAt",
        "databaseId",
        "editor",
        "headRefName",
        "headRefOid",
        "id",
        "lastEditedAt",
        "merged",
        "number",
        "reviews",
        "state",
        "timelineItems",
        "title",
        "updatedAt",
    ),
    "IssueCommentConnection": ("nodes", "pageInfo", "totalCount"),
    "IssueComment": (
        "author",
        "body",
        "createdAt",
        "databaseId",
        "editor",
        "id",
        "lastEditedAt",
        "updatedAt",
        "url",
        "userContentEdits",
    ),
    "UserContentEditConnection": ("nodes", "pageInfo", "totalCount"),
    "UserContentEdit": ("deletedAt", "deletedBy", "diff", "editedAt", "editor", "id"),
    "PageInfo": ("endCursor", "hasNextPage", "hasPreviousPage", "startCursor"),
    "PullRequestReviewConnection": ("nodes", "pageInfo", "totalCount"),
    "PullRequestReview": (
        "author",
        "body",
        "commit",
        "createdAt",
        "databaseId",
        "editor",
        "id",
        "lastEditedAt",
        "state",
        "submittedAt",
        "updatedAt",
        "url",
        "userContentEdits",
    ),
    "Commit": ("oid",),
    "PullRequestTimelineItemsConnection": (
        "filteredCount",
        "nodes",
        "pageInfo",
        "totalCount",
    ),
    "PullRequestTimelineItems": (
        "BaseRefChangedEvent",
        "HeadRefForcePushedEvent",
        "IssueComment",
        "LabeledEvent",
        "PullRequestCommit",
        "PullRequestReview",
        "ReviewDismissedEvent",
        "UnlabeledEvent",
    ),
    "BaseRefChangedEvent": (
        "actor",
        "createdAt",
        "currentRefName",
        "databaseId",
        "id",
        "previousRefName",
    ),
    "HeadRefForcePushedEvent": ("actor", "afterCommit", "beforeCommit", "createdAt", "id"),
    "PullRequestCommit": ("commit", "id"),
    "ReviewDismissedEvent": (
        "actor",
        "createdAt",
        "databaseId",
        "dismissalMessage",
        "id",
        "previousReviewState",
        "review",
    ),
    "LabeledEvent": ("actor", "createdAt", "id", "label"),
    "UnlabeledEvent": ("actor", "createdAt", "id", "label"),
    "Label": ("id", "name"),
}


def _named(node: TypeNode) -> str:
    while isinstance(node, (ListTypeNode, NonNullTypeNode)):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return node.name.value


def subset(document: DocumentNode) -> str:
    types: dict[str, TypeDefinitionNode] = {
        d.name.value: d for d in document.definitions if isinstance(d, TypeDefinitionNode)
    }
    out: dict[str, TypeDefinitionNode] = {}
    pending: list[str] = []
    for name, fields in KEEP.items():
        node = types[name]
        if isinstance(node, UnionTypeDefinitionNode):
            members = tuple(t for t in node.types if t.name.value in fields)
            out[name] = UnionTypeDefinitionNode(
                name=node.name,
                description=node.description,
                directives=node.directives,
                types=members,
            )
            continue
        assert isinstance(node, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode))
        kept = tuple(f for f in node.fields if f.name.value in fields)
        missing = set(fields) - {f.name.value for f in kept}
        if missing:
            raise SystemExit(f"{name} lacks {sorted(missing)}")
        interfaces = tuple(i for i in node.interfaces if i.name.value in KEEP)
        out[name] = type(node)(
            name=node.name,
            description=node.description,
            directives=node.directives,
            interfaces=interfaces,
            fields=kept,
        )
        for field in kept:
            pending.append(_named(field.type))
            pending.extend(_named(arg.type) for arg in field.arguments)
    while pending:
        name = pending.pop()
        if name in out or name in ("String", "Int", "Boolean", "ID", "Float"):
            continue
        node = types[name]
        if isinstance(
            node, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode, UnionTypeDefinitionNode)
        ):
            raise SystemExit(f"{name} is reached but not in KEEP")
        out[name] = node
        if isinstance(node, InputObjectTypeDefinitionNode):
            pending.extend(_named(f.type) for f in node.fields)
        assert isinstance(
            node, (EnumTypeDefinitionNode, ScalarTypeDefinitionNode, InputObjectTypeDefinitionNode)
        )
    body = "\n\n".join(print_ast(out[name]) for name in sorted(out))
    header = (
        f"# A subset of GitHub's public GraphQL schema, from {SOURCE}\n"
        "# (https://github.com/octokit/graphql-schema), MIT License, Copyright (c) GitHub.\n"
        "# Types and fields are verbatim; only types and fields the double answers are kept.\n"
        "# Rebuilt by demo/github_double/spec/extract_graphql.py; do not edit by hand.\n\n"
    )
    return header + body + "\n"


def main(argv: list[str]) -> int:
    document = parse(Path(argv[0]).read_text(encoding="utf-8"), no_location=True)
    TARGET.write_text(subset(document), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
