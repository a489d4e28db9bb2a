# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Property-based testing of the serving API against its own OpenAPI document.

Schemathesis 4 reads ``/openapi.json`` from the ASGI app (the request schema there names
the loaded model's 30 features), generates requests that fit the schema (positive) and
requests that break it (negative), calls the app in-process, and checks every response:
no 5xx, a documented status code, content type and headers, a body that matches the
documented schema, and a 4xx for every request that breaks the schema.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.specs.openapi import checks as openapi_checks

from modelgate.serving import bundle as bundles
from modelgate.serving.app import create_app
from modelgate.serving.settings import Settings
from tests.serving_support import LogLines, export

MIN_CASES = 500
CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
]


@pytest.mark.slow
def test_generated_requests_never_get_a_server_error(tmp_path: Path) -> None:
    """At least 500 generated requests, valid and invalid, across every operation: none
    is answered with a 5xx or with anything the OpenAPI document does not describe."""
    bundles.reset_cache()
    export(tmp_path / "bundle")
    # small batches keep generation fast; the batch limit itself is tested elsewhere
    app = create_app(Settings(bundle_uri=str(tmp_path / "bundle"), max_batch=3),
                     log_sink=LogLines())
    assert app.state.provider.get() is not None
    # a batch over maxItems is refused with the documented 413, a rejection like any 4xx
    config = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
        "expected-statuses": [400, 413, 415, 422]}}})
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is valid OpenAPI
        operations.append(result.ok())
    assert sorted(op.label for op in operations) == [
        "GET /health", "GET /model-info", "POST /predict"]
    cases = st.one_of([op.as_strategy(generation_mode=mode)
                       for op in operations for mode in GenerationMode])
    seen: Counter[tuple[str, int]] = Counter()

    @given(case=cases)
    @settings(max_examples=MIN_CASES + 50, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case[Any]) -> None:
        response = case.call()
        seen[(case.operation.label, response.status_code)] += 1
        case.validate_response(response, checks=CHECKS)

    run()
    bundles.reset_cache()
    assert sum(seen.values()) >= MIN_CASES
    statuses = {status for (label, status) in seen if label == "POST /predict"}
    # both valid predictions and rejections were exercised, and nothing else
    assert {200, 422} <= statuses <= {200, 400, 413, 415, 422}
