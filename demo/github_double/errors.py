# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The refusals GitHub answers with, as one exception the server turns into JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

NOT_FOUND = "Not Found"
VALIDATION_FAILED = "Validation Failed"
REQUIRES_AUTHENTICATION = "Requires authentication"
BAD_CREDENTIALS = "Bad credentials"
PROBLEMS_PARSING_JSON = "Problems parsing JSON"
NOT_ACCESSIBLE_BY_INTEGRATION = "Resource not accessible by integration"
MUST_HAVE_PUSH_ACCESS = "Must have push access to repository"
MUST_HAVE_PUSH_FOR_PERMISSION = "Must have push access to view collaborator permission."
MUST_AUTHENTICATE_AS_APP = "You must authenticate via a GitHub App."
NOT_MERGEABLE = "Pull Request is not mergeable"
HEAD_MODIFIED = "Head branch was modified. Review and try the merge again."
MERGED = "Pull Request successfully merged"
LABEL_DOES_NOT_EXIST = "Label does not exist"
ARTIFACT_EXPIRED = "Artifact has expired"
SECONDARY_RATE_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
PRIMARY_RATE_LIMIT = "API rate limit exceeded for user ID {user_id}."
SERVER_ERROR = "Server Error"
BAD_GATEWAY = "Bad Gateway"
METHOD_NOT_ALLOWED = "Method Not Allowed"
UNSUPPORTED_BY_DOUBLE = "Not Found (this endpoint is not part of the GitHub double)"
LINK_EXPIRED = "The signed download link has expired or is invalid."
UNPROCESSABLE = "Unprocessable Entity"

# Check runs belong to the App that created it; the id named is the creating App's
# (databricks/cli#4563, OP5dev/TF-via-PR#538: a run made by github-actions, updated with
# another App's token). Docs: https://docs.github.com/en/rest/checks/runs#update-a-check-run
INVALID_APP_FOR_CHECK_RUN = (
    "Invalid app_id `{app_id}` - check run can only be modified by the GitHub App that created it."
)
# Merge refused by required checks: classic protection answers the bare sentence
# (PennyDreadfulMTG/Penny-Dreadful-Tools#6226), a ruleset prefixes "Repository rule
# violations found" (akuity/kargo#6397); several missing checks are counted, and a head
# behind its base under strict checks leaves them all "expected" (RakuenSoftware/aimee#2460).
# Docs: https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches#require-status-checks-before-merging
REQUIRED_CHECK_EXPECTED = 'Required status check "{context}" is expected.'
REQUIRED_CHECKS_EXPECTED = "{missing} of {total} required status checks are expected."
RULE_VIOLATIONS = "Repository rule violations found\n\n{detail}\n\n"
# Reviews: 422 with bare strings in `errors` (hubtty/hubtty#33; github/docs#31550).
# Docs: https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request
CANNOT_APPROVE_OWN = "Can not approve your own pull request"
CANNOT_REQUEST_CHANGES_OWN = "Can not request changes on your own pull request"
ACTIONS_CANNOT_APPROVE = "GitHub Actions is not permitted to approve pull requests."
CANNOT_DISMISS = "Can not dismiss a commented pull request review"
# GraphQL without a token (https://docs.github.com/en/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql)
GRAPHQL_REQUIRES_AUTHENTICATION = "This endpoint requires you to be authenticated."


class ApiError(Exception):
    """A refusal in GitHub's JSON shape: status, message, optional `errors` list."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Sequence[Mapping[str, Any] | str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})

    def body(self, documentation_url: str) -> dict[str, Any]:
        payload: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            payload["errors"] = self.errors
        payload["documentation_url"] = documentation_url or "https://docs.github.com/rest"
        payload["status"] = str(self.status)
        return payload


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND)


def validation_failed(resource: str, field: str, code: str, message: str) -> ApiError:
    """GitHub's 422 with one `errors` entry, for rules a JSON schema cannot express."""
    return ApiError(
        422,
        VALIDATION_FAILED,
        errors=[{"resource": resource, "field": field, "code": code, "message": message}],
    )
