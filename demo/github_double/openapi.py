# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""GitHub's own OpenAPI description as the judge of every exchange with the double.

The document is loaded and indexed once per process (it is about 0.7 MB). Request bodies
and query parameters are checked the way GitHub checks them (a failure becomes a 422 for
the client); responses are checked so that a shape the double invents, and GitHub would
never send, is a bug in the double and fails the test that saw it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

SPEC_RELATIVE = Path("github-openapi") / "api.github.com.subset.json"
# Repo-local supplements: operations the shared subset lacks, one file per family, taken
# verbatim from the same release of GitHub's description (see spec/extract.py).
SUPPLEMENT_DIR = Path(__file__).parent / "spec"
JSON_MEDIA = "application/json"
# Undocumented error statuses are still held to GitHub's generic error shapes.
BASIC_ERROR_SCHEMA: Mapping[str, Any] = {"$ref": "#/components/schemas/basic-error"}
VALIDATION_ERROR_SCHEMA: Mapping[str, Any] = {"$ref": "#/components/schemas/validation-error"}
# Documented headers are required, except `Link`, which GitHub sends only when there is
# more than one page.
CONDITIONAL_HEADERS = frozenset({"link"})

# Where GitHub accepts more than its description says, and a recording proves it. Each
# entry widens one operation's request body with `anyOf`; nothing else is loosened.
LABEL_NAMES_ARRAY: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
DOCUMENTED_BODY_EXTENSIONS: Mapping[str, tuple[dict[str, Any], ...]] = {
    # The prose of both operations says "you can also pass an array of labels directly";
    # PyGithub sends exactly that (github-rest/labels.add.special_chars.txt), GitHub
    # answers 200, but the schema's `oneOf` lost that branch.
    "issues/add-labels": (LABEL_NAMES_ARRAY,),
    # "You can pass an empty array to remove all labels" (PyGithub: `set_labels()`).
    "issues/set-labels": (
        LABEL_NAMES_ARRAY,
        {"type": "object", "properties": {"labels": {"type": "array", "maxItems": 0}}},
    ),
}


_ENUM = OAS30ReadValidator.VALIDATORS["enum"]


def _nullable_enum(validator: Any, enums: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
    """`nullable: true` also admits null past an `enum`, as GitHub means it (open issues
    answer `"state_reason": null` against an enum without null)."""
    if instance is None and schema.get("nullable") is True:
        return
    yield from _ENUM(validator, enums, instance, schema)


def _branches_only(keyword: str) -> Any:
    """Judge `oneOf`/`anyOf`/`allOf` on their branches and ignore `discriminator`: it is a
    hint, and the contents operation's maps `array` to a property no array can have."""
    original = OAS30ReadValidator.VALIDATORS[keyword]

    def check(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
        plain = {k: v for k, v in schema.items() if k != "discriminator"}
        yield from original(validator, value, instance, plain)

    return check


_ADJUSTED = {
    "enum": _nullable_enum,
    **{keyword: _branches_only(keyword) for keyword in ("oneOf", "anyOf", "allOf")},
}
ReadValidator: Any = extend(OAS30ReadValidator, _ADJUSTED)  # type: ignore[no-untyped-call]
WriteValidator: Any = extend(OAS30WriteValidator, _ADJUSTED)  # type: ignore[no-untyped-call]


class SpecViolation(AssertionError):
    """The double produced something GitHub's description forbids: a bug in the double."""


@dataclass(frozen=True)
class FieldError:
    """One problem with a request, in the shape of an entry of GitHub's `errors` list."""

    field: str
    code: str
    message: str
    value: Any = None

    def as_github(self, resource: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "resource": resource,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }
        if isinstance(self.value, str):  # the schema's nullable `oneOf` rejects a bare null
            entry["value"] = self.value
        return entry


@dataclass(frozen=True)
class Parameter:
    """One path or query parameter of an operation, with its schema resolved."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]
    multi_segment: bool = False


@dataclass(frozen=True)
class ResponseSpec:
    """What the description allows for one status: a JSON schema or no body at all."""

    schema: Mapping[str, Any] | None
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    """One operation of the description, ready to match a path and validate exchanges."""

    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    parameters: tuple[Parameter, ...]
    body_schema: Mapping[str, Any] | None
    body_required: bool
    responses: Mapping[int, ResponseSpec]
    documentation_url: str

    def parameter(self, name: str, location: str) -> Parameter | None:
        for param in self.parameters:
            if param.name == name and param.location == location:
                return param
        return None


@dataclass(frozen=True)
class Match:
    """An operation matched by a request path, with its decoded path parameters."""

    operation: Operation
    path_params: Mapping[str, str]


class OpenApiSpec:
    """The indexed OpenAPI document: operation lookup and the three validations."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        self._read_root = ReadValidator(document)
        self._write_root = WriteValidator(document)
        self._validators: dict[int, Any] = {}
        self.operations: dict[str, Operation] = {}
        for template, item in document["paths"].items():
            shared = item.get("parameters", [])
            for method, raw in item.items():
                if method == "parameters":
                    continue
                operation = self._index_operation(template, method.upper(), raw, shared)
                self.operations[operation.operation_id] = operation
        # Literal segments first, so `/issues/comments/{id}` wins over `/issues/{number}`.
        self._ordered = sorted(
            self.operations.values(),
            key=lambda op: (-op.template.count("/"), op.template.count("{"), op.template),
        )

    @classmethod
    def load(cls, path: Path, supplements: Path | None = SUPPLEMENT_DIR) -> OpenApiSpec:
        """The description at `path` plus every `*.json` under `supplements`."""
        extra = (
            tuple(sorted(str(p.resolve()) for p in supplements.glob("*.json")))
            if supplements
            else ()
        )
        return _load_cached(str(path.resolve()), extra)

    # -- indexing ----------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """Follow `$ref` chains inside the document."""
        while isinstance(node, Mapping) and "$ref" in node:
            pointer = str(node["$ref"])
            if not pointer.startswith("#/"):
                raise SpecViolation(f"external $ref not supported: {pointer}")
            target: Any = self._document
            for part in pointer[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def _index_operation(
        self, template: str, method: str, raw: Mapping[str, Any], shared: list[Any]
    ) -> Operation:
        params = tuple(self._parameter(p) for p in [*shared, *raw.get("parameters", [])])
        body = self.resolve(raw.get("requestBody")) if raw.get("requestBody") else None
        body_schema: dict[str, Any] | None = None
        if body is not None:
            body_schema = copy.deepcopy(dict(body["content"][JSON_MEDIA]["schema"]))
            extensions = DOCUMENTED_BODY_EXTENSIONS.get(raw["operationId"], ())
            if extensions:
                body_schema = {"anyOf": [body_schema, *extensions]}
        responses: dict[int, ResponseSpec] = {}
        for status, spec in raw["responses"].items():
            resolved = self.resolve(spec)
            content = resolved.get("content", {})
            schema = content.get(JSON_MEDIA, {}).get("schema") if content else None
            if content and schema is None:  # only a vendor media type is described
                schema = next(iter(content.values())).get("schema")
            headers = tuple(h.lower() for h in resolved.get("headers", {}))
            responses[int(status)] = ResponseSpec(schema=schema, headers=headers)
        return Operation(
            operation_id=raw["operationId"],
            method=method,
            template=template,
            pattern=self._pattern(template, params),
            parameters=params,
            body_schema=body_schema,
            body_required=bool(body and body.get("required")),
            responses=responses,
            documentation_url=str(raw.get("externalDocs", {}).get("url", "")),
        )

    def _parameter(self, raw: Any) -> Parameter:
        resolved = self.resolve(raw)
        return Parameter(
            name=resolved["name"],
            location=resolved["in"],
            required=bool(resolved.get("required")),
            schema=resolved.get("schema", {}),
            multi_segment=bool(resolved.get("x-multi-segment")),
        )

    @staticmethod
    def _pattern(template: str, params: tuple[Parameter, ...]) -> re.Pattern[str]:
        multi = {p.name for p in params if p.location == "path" and p.multi_segment}
        regex = ""
        for literal, name in re.findall(r"([^{]*)(?:{([^}]+)})?", template):
            regex += re.escape(literal)
            if name:
                regex += f"(?P<{name}>.+)" if name in multi else f"(?P<{name}>[^/]+)"
        return re.compile(f"^{regex}$")

    # -- matching ----------------------------------------------------------------------

    def match(self, method: str, raw_path: str) -> Match | None:
        """Find the operation for a raw (still percent-encoded) request path."""
        for operation in self._ordered:
            if operation.method != method:
                continue
            found = operation.pattern.match(raw_path)
            if found:
                params = {k: unquote(v) for k, v in found.groupdict().items()}
                return Match(operation=operation, path_params=params)
        return None

    # -- validation --------------------------------------------------------------------

    def _validator(self, schema: Mapping[str, Any], *, write: bool) -> Any:
        # Keyed by identity: every schema passed here lives as long as the spec does.
        key = id(schema) * 2 + int(write)
        validator = self._validators.get(key)
        if validator is None:
            root = self._write_root if write else self._read_root
            validator = root.evolve(schema=schema)
            self._validators[key] = validator
        return validator

    def path_errors(self, operation: Operation, params: Mapping[str, str]) -> list[FieldError]:
        """Path parameters that do not fit their schema (GitHub answers 404 for those)."""
        errors: list[FieldError] = []
        for name, raw in params.items():
            param = operation.parameter(name, "path")
            if param is None:
                continue
            _, problems = self._coerce(param, raw)
            errors.extend(problems)
        return errors

    def coerce_path(self, operation: Operation, params: Mapping[str, str]) -> dict[str, Any]:
        coerced: dict[str, Any] = {}
        for name, raw in params.items():
            param = operation.parameter(name, "path")
            coerced[name] = self._coerce(param, raw)[0] if param else raw
        return coerced

    def query(
        self, operation: Operation, query: Mapping[str, list[str]]
    ) -> tuple[dict[str, Any], list[FieldError]]:
        """Coerce the declared query parameters; unknown ones are ignored, as GitHub does."""
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        for param in operation.parameters:
            if param.location != "query":
                continue
            if param.name not in query:
                if param.required:
                    errors.append(
                        FieldError(param.name, "missing_field", f"{param.name} is missing")
                    )
                elif "default" in param.schema:
                    values[param.name] = param.schema["default"]
                continue
            value, problems = self._coerce(param, query[param.name][-1])
            errors.extend(problems)
            if not problems:
                values[param.name] = value
        return values, errors

    def _coerce(self, param: Parameter, raw: str) -> tuple[Any, list[FieldError]]:
        schema = self.resolve(param.schema)
        kind = schema.get("type")
        value: Any = raw
        try:
            if kind == "integer":
                value = int(raw)
            elif kind == "number":
                value = float(raw)
            elif kind == "boolean":
                if raw not in ("true", "false"):
                    raise ValueError(raw)
                value = raw == "true"
        except ValueError:
            return raw, [FieldError(param.name, "invalid", f"{raw!r} is not of type {kind}", raw)]
        problems = [
            FieldError(param.name, "invalid", error.message, raw)
            for error in self._validator(schema, write=True).iter_errors(value)
        ]
        return value, problems

    def body_errors(self, operation: Operation, body: Any, present: bool) -> list[FieldError]:
        """Problems with a request body, as GitHub's `errors` entries."""
        if operation.body_schema is None:
            return []
        if not present:
            if operation.body_required:
                return [FieldError("", "missing", "a request body is required")]
            return []
        validator = self._validator(operation.body_schema, write=True)
        return [_field_error(error) for error in _leaf_errors(validator.iter_errors(body))]

    def check_response(
        self,
        operation: Operation,
        status: int,
        body: Any,
        headers: Mapping[str, str],
    ) -> None:
        """Raise SpecViolation when a response is not one GitHub's description allows."""
        spec = operation.responses.get(status)
        where = f"{operation.method} {operation.template} -> {status}"
        error_schema = VALIDATION_ERROR_SCHEMA if status == 422 else BASIC_ERROR_SCHEMA
        if spec is None:
            if status < 400:
                raise SpecViolation(f"{where}: status {status} is not documented")
            spec = ResponseSpec(schema=error_schema)
        elif spec.schema is None and status >= 400 and body is not None:
            # An error documented without content still carries GitHub's error JSON
            # (github-rest/pull_request.merge.txt: `GET .../merge` 404 `{"message": ...}`).
            spec = ResponseSpec(schema=error_schema, headers=spec.headers)
        lowered = {k.lower() for k in headers}
        for name in spec.headers:
            if name not in lowered and name not in CONDITIONAL_HEADERS:
                raise SpecViolation(f"{where}: documented header {name!r} is missing")
        if spec.schema is None:
            if body is not None:
                raise SpecViolation(f"{where}: the description allows no body, got {body!r:.200}")
            return
        if body is None:
            raise SpecViolation(f"{where}: a JSON body is required")
        validator = self._validator(spec.schema, write=False)
        problems = list(_leaf_errors(validator.iter_errors(body)))
        if problems:
            detail = "; ".join(f"{e.json_path}: {e.message}"[:300] for e in problems[:5])
            raise SpecViolation(f"{where}: response does not fit its schema: {detail}")


def _leaf_errors(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    """Prefer the most specific sub-error of `anyOf`/`oneOf` failures, like GitHub's text."""
    for error in errors:
        if error.context:
            best = max(error.context, key=lambda e: len(e.absolute_path))
            if len(best.absolute_path) > len(error.absolute_path):
                yield best
                continue
        yield error


def _field_error(error: ValidationError) -> FieldError:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        name = missing.group(1) if missing else path
        return FieldError(f"{path}.{name}" if path else name, "missing_field", error.message)
    value = error.instance if isinstance(error.instance, str) or error.instance is None else None
    return FieldError(path, "invalid", error.message, value)


def merge_documents(base: dict[str, Any], extra: Mapping[str, Any], name: str) -> None:
    """Add `extra`'s paths and components to `base`. An operation or component both hold
    must be identical (both come from one release of the description)."""
    for template, item in extra.get("paths", {}).items():
        target = base["paths"].setdefault(template, {})
        for key, value in item.items():
            if key in target and target[key] != value:
                raise SpecViolation(f"{name}: {key.upper()} {template} differs from the subset")
            target[key] = value
    for kind, entries in extra.get("components", {}).items():
        target = base["components"].setdefault(kind, {})
        for key, value in entries.items():
            if key in target and target[key] != value:
                raise SpecViolation(f"{name}: component {kind}/{key} differs from the subset")
            target[key] = value


@functools.cache
def _load_cached(path: str, supplements: tuple[str, ...] = ()) -> OpenApiSpec:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    for extra in supplements:
        with open(extra, encoding="utf-8") as handle:
            merge_documents(document, json.load(handle), Path(extra).name)
    return OpenApiSpec(document)
