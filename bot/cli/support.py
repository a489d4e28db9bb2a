# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What every ``modelgate`` command that talks to AWS or MLflow, or writes a record, does
the same way: clients built late, and their libraries' exceptions translated at this
boundary into :class:`~modelgate.errors.ServiceError` (exit 5) with the message users
know."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelgate.errors import ServiceError
from modelgate.progress import Reporter

MSG_RECORD_WRITTEN = "record written to {path}"
MSG_AWS = "AWS: {error}"
MSG_MLFLOW = "MLflow: {error}"


class AwsError(ServiceError):
    """AWS refused or failed a call (botocore's ClientError, NoCredentialsError, ...)."""


class MlflowError(ServiceError):
    """The MLflow tracking server or registry refused or failed a call."""


def short(exc: BaseException) -> str:
    """A library's exception as one line: its type and the first line of its message."""
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:500]


def boto3_client(service: str, region: str) -> Any:
    """A boto3 client (imported late: most commands never need boto3)."""
    import boto3

    return boto3.client(service, region_name=region)


@contextmanager
def aws_errors() -> Iterator[None]:
    """botocore's exceptions inside the block become :class:`AwsError`."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise AwsError(MSG_AWS.format(error=short(exc))) from exc


@contextmanager
def mlflow_errors() -> Iterator[None]:
    """MLflow's exceptions inside the block become :class:`MlflowError`."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        raise MlflowError(MSG_MLFLOW.format(error=short(exc))) from exc


def write_record(path: Path | None, text: str, rep: Reporter) -> None:
    """The command's JSON record at ``--record``, when given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    rep.info(MSG_RECORD_WRITTEN.format(path=path))
