# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""AWS's and MLflow's exceptions become ModelgateErrors at the CLI boundary, with the
message text the commands have always printed."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from mlflow.exceptions import MlflowException

from modelgate.bot.cli.support import (
    MSG_AWS,
    MSG_MLFLOW,
    AwsError,
    MlflowError,
    aws_errors,
    mlflow_errors,
    short,
)
from modelgate.errors import ExitCode


def test_botocore_errors_become_aws_errors() -> None:
    """A refused call and missing credentials are both one ``AWS: ...`` line, exit 5
    (an external service failed), as MLflow's are."""
    refused = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetAlias")
    for exc in (refused, NoCredentialsError()):
        with pytest.raises(AwsError) as caught, aws_errors():
            raise exc
        assert str(caught.value) == MSG_AWS.format(error=short(exc))
        assert caught.value.__cause__ is exc and caught.value.exit_code == ExitCode.SERVICE_FAILED
    assert str(caught.value) == "AWS: NoCredentialsError: Unable to locate credentials"


def test_mlflow_errors_become_one_line() -> None:
    exc = MlflowException("Registered Model with name=x not found\nmore detail")
    with pytest.raises(MlflowError) as caught, mlflow_errors():
        raise exc
    assert str(caught.value) == MSG_MLFLOW.format(error=short(exc))
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == ExitCode.SERVICE_FAILED


def test_other_exceptions_pass_through() -> None:
    """Only the library's own exceptions are translated; a bug is not."""
    with pytest.raises(KeyError), aws_errors(), mlflow_errors():
        raise KeyError("bug")
