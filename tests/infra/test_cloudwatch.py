# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The one CloudWatch Logs reader that trace and drift share, under moto."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from modelgate.bot.release.trace import cloudwatch_lines
from modelgate.errors import ExitCode, ModelgateError
from modelgate.infra.cloudwatch import (
    MSG_NO_LOG_GROUP,
    CloudWatchError,
    function_log_group,
    log_events,
)
from tests.drift_support import put_events

REGION = "us-east-1"


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("logs", region_name=REGION)


def _recent() -> datetime:
    """CloudWatch (and moto) refuse events older than 14 days."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def test_events_are_read_over_every_page_within_the_window(logs: Any) -> None:
    """Small pages still give every event of the window once, with its stream."""
    group = function_log_group("served")
    assert group == "/aws/lambda/served"
    logs.create_log_group(logGroupName=group)
    start = _recent()
    put_events(logs, group, "2026/05/01/[1]a",
               [(start - timedelta(hours=2), "early")]
               + [(start + timedelta(seconds=i), f"line {i}") for i in range(23)])
    events = list(log_events(logs, group, since=start, until=start + timedelta(minutes=5),
                             page_size=5))
    assert [e.message.rstrip("\n") for e in events] == [f"line {i}" for i in range(23)]
    assert {e.stream for e in events} == {"2026/05/01/[1]a"}


def test_trace_reads_only_the_lines_naming_the_request(logs: Any) -> None:
    """``modelgate trace`` asks CloudWatch for the request id's lines only."""
    logs.create_log_group(logGroupName=function_log_group("fn"))
    start = _recent()
    put_events(logs, function_log_group("fn"), "s",
               [(start, '{"request_id": "req-1"}'), (start, '{"request_id": "req-2"}')])
    assert [line.rstrip("\n") for line in cloudwatch_lines(logs, "fn", "req-2")] == [
        '{"request_id": "req-2"}']


def test_a_missing_log_group_is_one_modelgate_error(logs: Any) -> None:
    """No log group: CloudWatchError naming it and the region, exit status 1 by default."""
    group = function_log_group("absent")
    with pytest.raises(CloudWatchError) as caught:
        list(log_events(logs, group, region=REGION))
    assert str(caught.value) == MSG_NO_LOG_GROUP.format(group=group, region=REGION)
    assert isinstance(caught.value, ModelgateError)
    assert caught.value.exit_code == ExitCode.SERVICE_FAILED
