# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The one reader of served-request lines in CloudWatch Logs.

``modelgate trace`` (one request id) and ``modelgate drift`` (a time window) both read
the Lambda function's log group the same way: ``filter_log_events`` page by page, one
event at a time, so a long window never sits in memory. Whatever CloudWatch refuses
(no such log group, no permission, throttling, no credentials) is one
:class:`CloudWatchError` whose message names the group.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from modelgate.errors import ServiceError

LOG_GROUP = "/aws/lambda/{function}"

MSG_NO_LOG_GROUP = ("CloudWatch log group {group} does not exist (in region {region}); is the "
                    "function name right and has it served a request?")
MSG_CLOUDWATCH = "CloudWatch Logs refused filter_log_events on {group}: {detail}"


class CloudWatchError(ServiceError):
    """CloudWatch Logs could not be read; the message names the log group and why."""


class LogsClient(Protocol):
    """The CloudWatch Logs call the reader makes (a boto3 ``logs`` client)."""

    def get_paginator(self, operation_name: str) -> Any: ...


class LogEvent(NamedTuple):
    """One log event: its stream and its message (a served-request JSON line, or not)."""

    stream: str
    message: str


def function_log_group(function_name: str) -> str:
    """The log group Lambda writes a function's output to."""
    return LOG_GROUP.format(function=function_name)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def log_events(client: LogsClient, group: str, *, since: datetime | None = None,
               until: datetime | None = None, filter_pattern: str | None = None,
               region: str = "", page_size: int | None = None) -> Iterator[LogEvent]:
    """Events of ``group`` between two instants (both inclusive, either open), matching
    ``filter_pattern`` when given, page by page in CloudWatch's order."""
    from botocore.exceptions import BotoCoreError, ClientError

    query: dict[str, Any] = {"logGroupName": group}
    if since is not None:
        query["startTime"] = epoch_ms(since)
    if until is not None:
        query["endTime"] = epoch_ms(until)
    if filter_pattern is not None:
        query["filterPattern"] = filter_pattern
    config = {"PageSize": page_size} if page_size else {}
    try:
        for page in client.get_paginator("filter_log_events").paginate(
                **query, PaginationConfig=config):
            for event in page.get("events", []):
                yield LogEvent(str(event.get("logStreamName", "?")),
                               str(event.get("message", "")))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ResourceNotFoundException":
            raise CloudWatchError(MSG_NO_LOG_GROUP.format(group=group, region=region or "?")) \
                from exc
        raise CloudWatchError(MSG_CLOUDWATCH.format(
            group=group, detail=f"{error.get('Code')}: {error.get('Message')}")) from exc
    except BotoCoreError as exc:
        raise CloudWatchError(MSG_CLOUDWATCH.format(group=group, detail=exc)) from exc
