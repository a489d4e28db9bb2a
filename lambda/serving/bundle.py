# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Load a model bundle from a directory or S3, verify it, and keep it for the container.

A bundle serves only when every check passes: the manifest parses and validates, it lists
exactly the files present, every file has the recorded size and sha256, the optional
pinned manifest digest matches, and the ONNX model's own embedded identity, input and
output agree with the manifest; and, when the server trusts a key
(``MODELGATE_STATEMENT_PUBKEY``), the signed release statement beside the manifest names
every file's digest and verifies (:mod:`modelgate.serving.attestation`). Anything else raises
:class:`BundleError` whose message is what ``/health`` reports. The model bytes that were
hashed are the bytes handed to ONNX Runtime, so nothing can change between check and use.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from modelgate.serving import jsonstrict
from modelgate.serving.manifest import (
    FILE_NAME_RE,
    MANIFEST_NAME,
    ONNX_IDENTITY_KEY,
    BundleManifest,
)
from modelgate.serving.validation import FeaturePlan

if TYPE_CHECKING:
    from collections.abc import Sequence

    from modelgate.serving.attestation import TrustedKey, VerifiedStatement

# the signed release statement and its clear copy sit beside manifest.json, outside its list
RELEASE_FILES = frozenset({"release.sigstore.json", "release.intoto.json"})

MAX_MANIFEST_BYTES = 1 << 20
MAX_BUNDLE_BYTES = 256 << 20  # Lambda's /tmp defaults to 512 MB
MAX_BUNDLE_FILES = 64
S3_SCHEME = "s3://"
S3_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
ORT_TYPES = {"float64": "tensor(double)", "float32": "tensor(float)"}
FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT64_MAX = float(np.finfo(np.float64).max)

S3Client = Any  # a boto3 S3 client; boto3 is only imported when a bundle lives in S3
S3ClientFactory = Callable[[], S3Client]


class BundleError(Exception):
    """A bundle that must not serve; the message says why, for ``/health`` and the logs."""


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle directory whose manifest and file hashes checked out."""

    manifest: BundleManifest
    manifest_sha256: str
    model_bytes: bytes
    statement: VerifiedStatement | None = None


class LoadedBundle:
    """A verified bundle with its ONNX Runtime session, ready to predict."""

    def __init__(self, verified: VerifiedBundle, session: Any, source: str) -> None:
        manifest = verified.manifest
        self.manifest = manifest
        self.manifest_sha256 = verified.manifest_sha256
        self.statement = verified.statement
        self.statement_sha256 = None if verified.statement is None else verified.statement.digest
        self.source = source
        self.features = manifest.features
        self.feature_set = frozenset(manifest.features)
        self.input_limit = FLOAT32_MAX if manifest.onnx.input_dtype == "float32" else FLOAT64_MAX
        # the manifest builds its feature schema on each access: once here, not per request
        self.plan = FeaturePlan.of(manifest.feature_schema, self.input_limit)
        self._session = session
        self._input = manifest.onnx.input_name
        self._outputs = [manifest.onnx.probabilities_output]
        self._positive = manifest.onnx.positive_index
        self._float32 = manifest.onnx.input_dtype == "float32"

    def scores(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """The model's whole output as float64: every class's probability (rows x classes)
        for a classifier, the predicted values (rows x 1) for a regressor."""
        x = X.astype(np.float32) if self._float32 else X
        out = self._session.run(self._outputs, {self._input: x})[0]
        return np.asarray(out, dtype=np.float64)

    def positive_probability(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """P(positive class) for rows of features in manifest order (classifiers)."""
        return self.scores(X)[:, self._positive]


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _validation_summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        parts.append(f"{loc}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parse_manifest(raw: bytes) -> BundleManifest:
    """Validate manifest bytes: strict JSON (no NaN, no duplicate keys), then the schema."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{MANIFEST_NAME} is not UTF-8 text") from None
    try:
        doc = jsonstrict.loads(text)
    except jsonstrict.StrictJSONError as exc:
        raise BundleError(f"{MANIFEST_NAME} is not valid JSON: {exc}") from None
    if jsonstrict.contains_marker(doc):
        raise BundleError(f"{MANIFEST_NAME} holds NaN/Infinity or a duplicated key")
    if not isinstance(doc, dict):
        raise BundleError(f"{MANIFEST_NAME} must be a JSON object")
    version = doc.get("schema_version")
    if version != 1:
        raise BundleError(
            f"{MANIFEST_NAME} has schema_version {version!r}; this server reads version 1"
        )
    try:
        return BundleManifest.model_validate_json(raw)
    except ValidationError as exc:
        raise BundleError(f"{MANIFEST_NAME} fails its schema: {_validation_summary(exc)}") from None


def _present_files(directory: Path) -> dict[str, Path]:
    present: dict[str, Path] = {}
    for entry in sorted(directory.iterdir()):
        if entry.name == MANIFEST_NAME or entry.name in RELEASE_FILES:
            continue
        if entry.is_symlink() or not entry.is_file():
            raise BundleError(f"bundle holds {entry.name!r}, which is not a regular file")
        if not FILE_NAME_RE.fullmatch(entry.name):
            raise BundleError(f"bundle holds a file with an unsafe name: {entry.name!r}")
        present[entry.name] = entry
    return present


def verify_bundle_dir(
    directory: Path, *, expected_manifest_sha256: str | None = None,
    trusted_keys: Sequence[TrustedKey] | None = None,
) -> VerifiedBundle:
    """Check a bundle directory against its manifest, and (given trusted keys) against its
    signed release statement; raise :class:`BundleError` if not."""
    if not directory.is_dir():
        raise BundleError(f"bundle directory {directory} does not exist")
    manifest_path = directory / MANIFEST_NAME
    if manifest_path.is_symlink() or not manifest_path.is_file():
        raise BundleError(f"bundle has no {MANIFEST_NAME}")
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise BundleError(f"{MANIFEST_NAME} is larger than {MAX_MANIFEST_BYTES} bytes")
    raw = manifest_path.read_bytes()
    digest = _sha256_bytes(raw)
    if expected_manifest_sha256 is not None and digest != expected_manifest_sha256:
        raise BundleError(
            f"{MANIFEST_NAME} sha256 {digest} differs from the pinned {expected_manifest_sha256}"
        )
    manifest = parse_manifest(raw)
    present = _present_files(directory)
    listed = {f.path for f in manifest.files}
    missing = sorted(listed - set(present))
    unlisted = sorted(set(present) - listed)
    if missing or unlisted:
        raise BundleError(
            f"bundle files differ from the manifest: missing {missing}, not listed {unlisted}"
        )
    total = sum(present[f.path].stat().st_size for f in manifest.files)
    if total > MAX_BUNDLE_BYTES:
        raise BundleError(f"bundle is {total} bytes, over the {MAX_BUNDLE_BYTES} byte limit")
    model_bytes = b""
    for entry in manifest.files:
        path = present[entry.path]
        if entry.path == manifest.onnx.file:
            model_bytes = path.read_bytes()
            size, actual = len(model_bytes), _sha256_bytes(model_bytes)
        else:
            size, actual = path.stat().st_size, _sha256_file(path)
        if size != entry.bytes:
            raise BundleError(f"{entry.path} is {size} bytes; the manifest says {entry.bytes}")
        if actual != entry.sha256:
            raise BundleError(
                f"{entry.path} sha256 {actual} differs from the manifest's {entry.sha256}"
            )
    statement = None
    if trusted_keys is not None:
        statement = _verify_statement(directory, manifest, digest, trusted_keys)
    return VerifiedBundle(manifest=manifest, manifest_sha256=digest, model_bytes=model_bytes,
                          statement=statement)


def _verify_statement(directory: Path, manifest: BundleManifest, manifest_sha256: str,
                      keys: Sequence[TrustedKey]) -> VerifiedStatement:
    """The release statement must be signed by a trusted key and name every file's digest
    (imported here: a server without a trusted key never loads ``cryptography``)."""
    from modelgate.serving.attestation import StatementError, verify_directory

    files = {MANIFEST_NAME: manifest_sha256, **{f.path: f.sha256 for f in manifest.files}}
    try:
        return verify_directory(directory, files, keys)
    except (StatementError, OSError) as exc:
        raise BundleError(f"release statement refused: {exc}") from None


def _session(model_bytes: bytes) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One request at a time per Lambda container: extra threads only add wake-up latency.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ONNX Runtime raises several unrelated exception types
        raise BundleError(f"ONNX Runtime cannot load the model: {exc}") from None


def output_width(manifest: BundleManifest) -> int:
    """Columns of the model's output: 2 probabilities (binary), one per class
    (multiclass), the predicted value (regression)."""
    return {"binary": 2, "multiclass": len(manifest.classes), "regression": 1}[manifest.task]


def _check_session(session: Any, manifest: BundleManifest) -> None:
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise BundleError(f"the model takes {len(inputs)} inputs; the bundle format needs 1")
    (tensor,) = inputs
    expected_type = ORT_TYPES[manifest.onnx.input_dtype]
    if tensor.name != manifest.onnx.input_name or tensor.type != expected_type:
        raise BundleError(
            f"the model's input is {tensor.name!r} {tensor.type}; the manifest says "
            f"{manifest.onnx.input_name!r} {expected_type}"
        )
    if len(tensor.shape) != 2 or tensor.shape[1] != len(manifest.features):
        raise BundleError(
            f"the model's input shape is {tensor.shape}; the manifest lists "
            f"{len(manifest.features)} features"
        )
    outputs = {o.name: o for o in session.get_outputs()}
    probs = outputs.get(manifest.onnx.probabilities_output)
    width = output_width(manifest)
    if probs is None or len(probs.shape) != 2 or probs.shape[1] not in (width, None):
        raise BundleError(
            f"the model has no {width}-column output {manifest.onnx.probabilities_output!r}"
        )
    embedded = session.get_modelmeta().custom_metadata_map.get(ONNX_IDENTITY_KEY)
    if embedded is None:
        raise BundleError(f"the model file carries no {ONNX_IDENTITY_KEY} metadata")
    try:
        identity = json.loads(embedded)
    except ValueError:
        raise BundleError(f"the model's {ONNX_IDENTITY_KEY} metadata is not JSON") from None
    expected = json.loads(json.dumps(manifest.identity()))
    differing = sorted(k for k in expected.keys() | identity.keys()
                       if identity.get(k) != expected.get(k))
    if differing:
        raise BundleError(
            f"the manifest disagrees with the model file's embedded identity on {differing}"
        )


def open_bundle(verified: VerifiedBundle, source: str) -> LoadedBundle:
    """Create the ONNX Runtime session, check it against the manifest, and try one row."""
    manifest = verified.manifest
    session = _session(verified.model_bytes)
    _check_session(session, manifest)
    bundle = LoadedBundle(verified, session, source)
    row = np.array([[manifest.example[f] for f in manifest.features]], dtype=np.float64)
    try:
        out = bundle.scores(row)
    except Exception as exc:  # ONNX Runtime raises several unrelated exception types
        raise BundleError(f"the model fails on the manifest's example row: {exc}") from None
    width = output_width(manifest)
    if out.shape != (1, width):
        raise BundleError(f"the model's output for the example row has shape {out.shape}, "
                          f"not (1, {width})")
    values = out[0].tolist()
    if manifest.task == "regression":
        if not math.isfinite(values[0]):
            raise BundleError(f"the model's prediction for the example row is {values}")
    elif not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        shown = [values[manifest.onnx.positive_index]] if manifest.task == "binary" else values
        raise BundleError(f"the model's probability for the example row is {shown}")
    return bundle


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix without slashes at either end)."""
    if not uri.startswith(S3_SCHEME):
        raise BundleError(f"{uri!r} is not an s3:// URI")
    bucket, _, prefix = uri[len(S3_SCHEME):].partition("/")
    prefix = prefix.strip("/")
    if not S3_BUCKET_RE.fullmatch(bucket):
        raise BundleError(f"{uri!r} does not name a valid S3 bucket")
    if not prefix or ".." in prefix.split("/"):
        raise BundleError(f"{uri!r} needs a key prefix (s3://bucket/prefix)")
    return bucket, prefix


def download_s3_bundle(s3: S3Client, uri: str, dest: Path) -> Path:
    """Copy the objects directly under an S3 prefix into ``dest`` (which must exist)."""
    bucket, prefix = parse_s3_uri(uri)
    folder = prefix + "/"
    objects: list[tuple[str, str, int]] = []
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
        for page in pages:
            for obj in page.get("Contents", []):
                key, size = str(obj["Key"]), int(obj["Size"])
                name = key[len(folder):]
                if name == "":
                    continue  # a console "folder" marker
                if "/" in name or not FILE_NAME_RE.fullmatch(name):
                    raise BundleError(f"unexpected object s3://{bucket}/{key} in the bundle prefix")
                objects.append((key, name, size))
                if len(objects) > MAX_BUNDLE_FILES:
                    raise BundleError(f"{uri} holds more than {MAX_BUNDLE_FILES} objects")
    except BundleError:
        raise
    except Exception as exc:  # botocore raises many types; each means "cannot list"
        raise BundleError(f"cannot list {uri}: {type(exc).__name__}: {exc}") from None
    if not objects:
        raise BundleError(f"no bundle found at {uri}")
    total = sum(size for _, _, size in objects)
    if total > MAX_BUNDLE_BYTES:
        raise BundleError(f"{uri} holds {total} bytes, over the {MAX_BUNDLE_BYTES} byte limit")
    for key, name, _ in objects:
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            with (dest / name).open("wb") as fh:
                for chunk in body.iter_chunks(1 << 20):
                    fh.write(chunk)
        except Exception as exc:  # botocore raises many types; each means "cannot read"
            raise BundleError(
                f"cannot download s3://{bucket}/{key}: {type(exc).__name__}: {exc}"
            ) from None
    return dest


def _default_s3_client() -> S3Client:
    import boto3

    return boto3.client("s3")


def load_bundle(
    uri: str,
    *,
    expected_manifest_sha256: str | None = None,
    s3_client_factory: S3ClientFactory | None = None,
    download_root: Path | None = None,
    trusted_keys: Sequence[TrustedKey] | None = None,
) -> LoadedBundle:
    """Load and verify a bundle from a local directory or ``s3://bucket/prefix``."""
    if not uri.startswith(S3_SCHEME):
        verified = verify_bundle_dir(Path(uri), expected_manifest_sha256=expected_manifest_sha256,
                                     trusted_keys=trusted_keys)
        return open_bundle(verified, uri)
    parse_s3_uri(uri)
    factory = s3_client_factory or _default_s3_client
    try:
        client = factory()
    except Exception as exc:  # missing region or credentials configuration
        raise BundleError(f"cannot create an S3 client: {type(exc).__name__}: {exc}") from None
    tmp = Path(tempfile.mkdtemp(prefix="modelgate-bundle-", dir=download_root))
    try:
        download_s3_bundle(client, uri, tmp)
        verified = verify_bundle_dir(tmp, expected_manifest_sha256=expected_manifest_sha256,
                                     trusted_keys=trusted_keys)
        return open_bundle(verified, uri)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the verified bytes are in memory now


_CACHE: dict[tuple[str, str | None, tuple[str, ...] | None], LoadedBundle] = {}
_LOCK = threading.Lock()


def cached_bundle(
    uri: str,
    *,
    expected_manifest_sha256: str | None = None,
    s3_client_factory: S3ClientFactory | None = None,
    trusted_keys: Sequence[TrustedKey] | None = None,
) -> LoadedBundle:
    """The bundle for ``uri``, loaded once per container (process); failures are not kept."""
    key = (uri, expected_manifest_sha256,
           None if trusted_keys is None else tuple(k.keyid for k in trusted_keys))
    with _LOCK:
        bundle = _CACHE.get(key)
        if bundle is None:
            bundle = load_bundle(
                uri,
                expected_manifest_sha256=expected_manifest_sha256,
                s3_client_factory=s3_client_factory,
                trusted_keys=trusted_keys,
            )
            _CACHE[key] = bundle
        return bundle


def reset_cache() -> None:
    """Forget loaded bundles (tests; a real container keeps its bundle for its lifetime)."""
    with _LOCK:
        _CACHE.clear()
