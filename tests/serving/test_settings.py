# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Serving settings from the environment: defaults, and refusal of unsafe values."""

from __future__ import annotations

import pytest

from modelgate.serving.settings import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY_BYTES,
    MAX_BODY_BYTES_LIMIT,
    Settings,
    SettingsError,
)


def test_defaults_apply_when_only_the_bundle_is_named() -> None:
    s = Settings.from_env({"MODELGATE_BUNDLE_URI": "s3://modelgate-bundles/m/7-production"})
    assert (s.bundle_uri, s.bundle_sha256, s.log_features) == (
        "s3://modelgate-bundles/m/7-production", None, True)
    assert (s.max_batch, s.max_body_bytes) == (DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES)
    assert (DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES) == (1000, 4 << 20)


def test_every_variable_is_read() -> None:
    s = Settings.from_env({
        "MODELGATE_BUNDLE_URI": " /opt/bundle ",
        "MODELGATE_BUNDLE_SHA256": "ab" * 32,
        "MODELGATE_LOG_FEATURES": "Off",
        "MODELGATE_MAX_BATCH": "50",
        "MODELGATE_MAX_BODY_BYTES": "65536",
    })
    assert s == Settings(bundle_uri="/opt/bundle", bundle_sha256="ab" * 32,
                         log_features=False, max_batch=50, max_body_bytes=65536)


BASE = {"MODELGATE_BUNDLE_URI": "/opt/bundle"}


@pytest.mark.parametrize(("env", "message"), [
    ({}, "MODELGATE_BUNDLE_URI is not set"),
    ({"MODELGATE_BUNDLE_URI": "   "}, "MODELGATE_BUNDLE_URI is not set"),
    ({"MODELGATE_BUNDLE_URI": "https://example.com/bundle"}, "only local paths and s3://"),
    ({"MODELGATE_BUNDLE_URI": "s3://bucket"}, "is not s3://bucket/prefix"),
    ({"MODELGATE_BUNDLE_URI": "s3://Bad_Bucket/x"}, "is not s3://bucket/prefix"),
    ({**BASE, "MODELGATE_BUNDLE_SHA256": "xyz"}, "64 lowercase hex"),
    ({**BASE, "MODELGATE_LOG_FEATURES": "maybe"}, "true or false"),
    ({**BASE, "MODELGATE_MAX_BATCH": "0"}, "between 1 and 100000"),
    ({**BASE, "MODELGATE_MAX_BATCH": "1e3"}, "positive whole number"),
    ({**BASE, "MODELGATE_MAX_BATCH": "-5"}, "positive whole number"),
    ({**BASE, "MODELGATE_MAX_BATCH": "\u00b2"}, "positive whole number"),
    ({**BASE, "MODELGATE_MAX_BODY_BYTES": "100"}, "between 1024"),
    ({**BASE, "MODELGATE_MAX_BODY_BYTES": str(MAX_BODY_BYTES_LIMIT + 1)},
     "Lambda's payload limit"),
])
def test_unsafe_or_unreadable_values_are_refused(env: dict[str, str], message: str) -> None:
    """A value serving cannot use is an error naming the variable, never a silent default."""
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
