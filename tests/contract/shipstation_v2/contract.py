"""ShipStation V2's published contract (``openapi.yaml`` + ``supplement.yaml``) as a checker of
requests and answers, on ``jsonschema`` (Draft 2020-12) and ``referencing`` (ORIGIN.md says why).

How the file is read where a literal JSON Schema reading would go wrong (``_read``):

1. ``allOf`` members next to ``additionalProperties: false``: in JSON Schema that keyword sees
   only the properties beside it, so ``address`` (no properties of its own, ``allOf``
   ``partial_address``) would refuse every key, and ``shipping_address`` (``allOf`` of two
   closed objects) could never be met. Read as the authors meant: a schema whose ``allOf``
   members are objects is one object with the members' properties and ``required`` merged, closed
   when it (or, when it says nothing, a member) says ``additionalProperties: false``.
2. ``x-nullable: true`` (and ``nullable: true``): not JSON Schema, so ignored by a validator. Read
   as "null is also allowed"; a property without it must never be null.
3. Numeric ``exclusiveMinimum`` on weights (``weight.value``: ``minimum: 0, exclusiveMinimum: 1``;
   ``weigth``: 2): read as 2020-12, it would refuse every weight of 1 or less (half a pound).
   It is the 3.0 boolean flag gone wrong in a conversion; read as ``minimum: 0`` alone (chosen:
   0 is allowed, as an order not yet weighed has no weight, and the packer weighs it).
4. ``pickup_id`` marked required on ``GET /v2/shipments``: a list filter cannot be required (no
   client sends it); read as optional.
5. The ``date`` schema says ``format: date-time`` while its pattern and example allow a date
   alone: read by its pattern (format dropped). ``format: date-time`` elsewhere is asserted with
   the ``date_time`` schema's own pattern (an offset or ``Z`` required).
6. ``address.required`` lists every line of a label-ready address, ``phone``, ``city_locality``,
   ``state_province`` and ``postal_code`` included; a shipment that waits for its label need not
   be label-ready, and an address has no value to send for a line it lacks (each is
   ``minLength: 1``: no ""). Read (chosen): those four may be absent, never null or empty.
7. ``create_shipment_response`` (an item of the create answer) is a whole ``shipment`` plus
   ``errors``, so a refused item would need the id and dates of a shipment that was never made.
   Read: the shipment's ``required`` holds for an item without errors; a refused item (``errors``
   not empty) carries what it has, each key still of its published type.

Direction: ``readOnly`` properties may not be sent in a request, ``writeOnly`` ones never appear
in an answer. Query parameters the operation does not define are violations (chosen: a
client sends only documented filters). ``x-every-operation`` of the supplement adds the 401,
429 and gateway answers to each operation; its ``x-added-properties`` the keys documented since.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).parent
BASE = "https://contract.invalid/shipstation-v2/"
MAIN, SUPPLEMENT = BASE + "openapi.yaml", BASE + "supplement.yaml"
METHODS = ("get", "put", "post", "delete", "patch")
OPTIONAL_ADDRESS_LINES = ("phone", "city_locality", "state_province", "postal_code")  # reading 6
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[-+]\d{2}:\d{2})$")


def _load(name: str) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(HERE / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader


class _Docs:
    """Both documents, by URI, with JSON-pointer look-ups of relative references."""

    def __init__(self, docs: dict[str, dict]) -> None:
        self.docs = docs

    def resolve(self, ref: str, base: str) -> tuple[Any, str]:
        target, _, pointer = ref.partition("#")
        uri = _uri_of(target, base)
        node: Any = self.docs[uri]
        for part in [p for p in pointer.split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, uri


def _uri_of(target: str, base: str) -> str:
    """The document a reference's part before ``#`` names (none: ``base``)."""
    if not target:
        return base
    return target if target.startswith(BASE) else BASE + target


def _is_object(schema: dict) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or "properties" in schema)


def _absolute(node: Any, base: str) -> Any:
    """``node`` with its references made absolute (it is copied into another document)."""
    if isinstance(node, dict):
        out = {k: _absolute(v, base) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str):
            target, _, pointer = ref.partition("#")
            out["$ref"] = _uri_of(target, base) + "#" + pointer
        return out
    if isinstance(node, list):
        return [_absolute(v, base) for v in node]
    return node


def _flatten(node: Any, base: str, docs: _Docs, seen: tuple[str, ...] = ()) -> Any:
    """Reading 1: object ``allOf`` members merged into their parent, recursively."""
    if isinstance(node, list):
        return [_flatten(v, base, docs, seen) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _flatten(v, base, docs, seen) for k, v in node.items()}
    members = node.get("allOf")
    if not isinstance(members, list):
        return node
    resolved = []
    for member in members:
        if isinstance(member, dict) and set(member) == {"$ref"}:
            ref = member["$ref"]
            if ref in seen:
                return node
            target, uri = docs.resolve(ref, base)
            resolved.append(
                _absolute(_flatten(copy.deepcopy(target), uri, docs, (*seen, ref)), uri)
            )
        else:
            resolved.append(member)
    own_object = _is_object(node) or "additionalProperties" in node or "required" in node
    if not all(_is_object(m) for m in resolved) or not (len(resolved) > 1 or own_object):
        return node
    merged: dict[str, Any] = {
        k: v for k, v in node.items() if k not in ("allOf", "properties", "required")
    }
    merged["type"] = "object"
    properties: dict[str, Any] = {}
    required: list[str] = []
    closed = node.get("additionalProperties")
    for member in resolved:
        properties.update(member.get("properties") or {})
        required += [r for r in member.get("required") or [] if r not in required]
        if closed is None and member.get("additionalProperties") is False:
            closed = False
    properties.update(node.get("properties") or {})
    required += [r for r in node.get("required") or [] if r not in required]
    merged["properties"] = properties
    if required:
        merged["required"] = required
    if closed is not None:
        merged["additionalProperties"] = closed
    return merged


def _nullable(node: Any) -> Any:
    """Reading 2 (``x-nullable``), 3 (numeric ``exclusiveMinimum``), 5 (``date``'s format)."""
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {
        k: (_nullable(v) if k not in ("example", "default", "enum") else v) for k, v in node.items()
    }
    if isinstance(node.get("exclusiveMinimum"), (int, float)) and "minimum" in node:
        del node["exclusiveMinimum"]
    if node.get("title") == "date" and node.get("format") == "date-time":
        del node["format"]
    nullable = node.pop("x-nullable", False) is True
    nullable = node.pop("nullable", False) is True or nullable
    if nullable:
        node = {"anyOf": [{"type": "null"}, node]}
    return node


def _read(main: dict, supplement: dict) -> dict[str, dict]:
    """Both documents as the checker reads them (the module docstring, readings 1-6)."""
    main = copy.deepcopy(main)
    for name, added in (supplement.get("x-added-properties") or {}).items():  # documented since
        main["components"]["schemas"][name]["properties"].update(copy.deepcopy(added))
    main["components"]["parameters"]["pickup_id_query_param"]["required"] = False  # reading 4
    address = main["components"]["schemas"]["address"]
    address["required"] = [
        r for r in address["required"] if r not in OPTIONAL_ADDRESS_LINES
    ]  # reading 6
    docs = _Docs({MAIN: main, SUPPLEMENT: copy.deepcopy(supplement)})
    out = {}
    for uri in (MAIN, SUPPLEMENT):
        flat = _flatten(docs.docs[uri], uri, docs)
        out[uri] = _absolute(_nullable(flat), uri)  # absolute references: any part validates alone
    item = out[MAIN]["components"]["schemas"]["create_shipment_response"]  # reading 7
    refused = {"required": ["errors"], "properties": {"errors": {"minItems": 1}}}
    item["if"], item["else"] = refused, {"required": item.pop("required", [])}
    return out


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(_date_time)


def _direction_keywords(direction: str) -> dict:
    def read_only(validator, value, instance, schema):  # noqa: ARG001
        if value is True and direction == "request":
            yield ValidationError("is read-only: a request may not send it")

    def write_only(validator, value, instance, schema):  # noqa: ARG001
        if value is True and direction == "answer":
            yield ValidationError("is write-only: an answer may not carry it")

    return {"readOnly": read_only, "writeOnly": write_only}


RequestValidator = validators.extend(Draft202012Validator, _direction_keywords("request"))
AnswerValidator = validators.extend(Draft202012Validator, _direction_keywords("answer"))


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern
    spec: dict
    uri: str  # the document it is in
    pointer: str  # JSON pointer of the operation there
    params: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.template}"


class Contract:
    """Check one request or one answer; each check returns the violations found (strings)."""

    def __init__(self) -> None:
        raw_main, raw_supp = _load("openapi.yaml"), _load("supplement.yaml")
        self.docs = _read(raw_main, raw_supp)
        self.registry = Registry().with_resources(
            [
                (uri, Resource(contents=doc, specification=DRAFT202012))
                for uri, doc in self.docs.items()
            ]
        )
        self.every = self.docs[SUPPLEMENT].get("x-every-operation") or {}
        self.operations: list[Operation] = []
        for uri in (SUPPLEMENT, MAIN):  # the supplement's PUT sits on a path the file also has
            for template, item in (self.docs[uri].get("paths") or {}).items():
                for method in METHODS:
                    if method not in item:
                        continue
                    params = [self._deref(p, uri) for p in item.get("parameters") or []]
                    params += [self._deref(p, uri) for p in item[method].get("parameters") or []]
                    esc = template.replace("~", "~0").replace("/", "~1")
                    self.operations.append(
                        Operation(
                            method,
                            template,
                            _pattern(template),
                            item[method],
                            uri,
                            f"/paths/{esc}/{method}",
                            params,
                        )
                    )
        # literal segments before templated ones (external_shipment_id/{id} before {shipment_id})
        self.operations.sort(key=lambda o: o.template.count("{"))

    def _deref(self, node: dict, uri: str) -> dict:
        while isinstance(node, dict) and "$ref" in node:
            target, _, pointer = node["$ref"].partition("#")
            uri = _uri_of(target, uri)
            node = self.docs[uri]
            for part in [p for p in pointer.split("/") if p]:
                node = node[part]
        return {**node, "_uri": uri}

    def operation(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method.lower() and op.pattern.match(path):
                return op
        return None

    def _errors(self, schema: dict, uri: str, instance: Any, cls: Any, where: str) -> list[str]:
        validator = cls(schema, registry=self.registry, format_checker=FORMATS)
        found = []
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            found.append(f"{where}{at}: {_short(error)}")
        return found

    def check_request(
        self, method: str, path: str, query: str, body: bytes, content_type: str
    ) -> list[str]:
        op = self.operation(method, path)
        if op is None:
            return [f"{method} {path}: no such operation in the contract"]
        where = op.name
        problems: list[str] = []
        pairs = parse_qsl(query, keep_blank_values=True)
        given: dict[str, list[str]] = {}
        for name, value in pairs:
            given.setdefault(name, []).append(value)
        query_params = {p["name"]: p for p in op.params if p.get("in") == "query"}
        for name in given:
            if name not in query_params:
                problems.append(
                    f"{where}: query parameter {name!r} is not defined for this operation"
                )
        for name, param in query_params.items():
            if name not in given:
                if param.get("required"):
                    problems.append(f"{where}: required query parameter {name!r} is missing")
                continue
            schema = param.get("schema") or {}
            for value in given[name]:
                problems += self._errors(
                    schema,
                    param["_uri"],
                    self._coerce(schema, param["_uri"], value),
                    RequestValidator,
                    f"{where} ?{name}={value!r}",
                )
        request_body = op.spec.get("requestBody")
        if request_body is not None:
            request_body = self._deref(request_body, op.uri)
            if not body:
                if request_body.get("required"):
                    problems.append(f"{where}: the request body is required")
            else:
                problems += self._body(
                    request_body, body, content_type, RequestValidator, f"{where} body"
                )
        elif body and body.strip() not in (b"", b"{}"):
            problems.append(f"{where}: this operation takes no request body")
        return problems

    def check_answer(
        self, method: str, path: str, status: int, body: bytes, content_type: str
    ) -> list[str]:
        op = self.operation(method, path)
        if op is None:
            return []  # the request is already reported
        responses = {**self.every, **(op.spec.get("responses") or {})}
        spec = responses.get(str(status)) or responses.get("default")
        where = f"{op.name} -> {status}"
        if spec is None:
            return [f"{where}: status {status} is not documented for this operation"]
        uri = op.uri if str(status) in (op.spec.get("responses") or {}) else SUPPLEMENT
        return self._body(
            self._deref(spec, uri), body, content_type, AnswerValidator, f"{where} body"
        )

    def _body(self, spec: dict, body: bytes, content_type: str, cls: Any, where: str) -> list[str]:
        content = spec.get("content") or {}
        if not content:
            return [] if not body else [f"{where}: no body is documented, got {len(body)} bytes"]
        media = (content_type or "").split(";")[0].strip().lower()
        chosen = content.get(media) or (content.get("application/json") if not body else None)
        if chosen is None:
            return [f"{where}: content type {media or '(none)'} is not one of {sorted(content)}"]
        schema = chosen.get("schema") or {}
        if schema.get("type") == "string" and schema.get("maxLength") == 0:
            return [] if not body else [f"{where}: must be empty, got {body[:80]!r}"]
        try:
            instance = json.loads(body) if body else None
        except ValueError:
            return [f"{where}: not JSON: {body[:80]!r}"]
        return self._errors(schema, spec["_uri"], instance, cls, where)

    def _coerce(self, schema: dict, uri: str, value: str) -> Any:
        """A query value as the type its schema names (a query carries text)."""
        kind = self._type_of(schema, uri)
        try:
            if kind == "integer":
                return int(value)
            if kind == "number":
                return float(value)
        except ValueError:
            return value
        if kind == "boolean":
            return {"true": True, "false": False}.get(value, value)
        return value

    def _type_of(self, schema: dict, uri: str) -> str | None:
        for _ in range(10):
            if "type" in schema:
                return schema["type"] if isinstance(schema["type"], str) else None
            if "$ref" in schema:
                schema = self._deref({"$ref": schema["$ref"]}, uri)
                uri = schema["_uri"]
            elif schema.get("allOf"):
                schema = schema["allOf"][0]
            elif schema.get("anyOf"):
                schema = schema["anyOf"][-1]
            else:
                return None
        return None


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "/?$"
    )


def _short(error: ValidationError) -> str:
    if (
        error.validator in ("anyOf", "oneOf") and error.context
    ):  # x-nullable: say what the value broke
        real = [e for e in error.context if e.validator != "type" or e.validator_value != "null"]
        return _short(best_match(real or error.context))
    message = error.message
    return message if len(message) <= 200 else message[:200] + "..."


@cache
def contract() -> Contract:
    """The contract, read once per process."""
    return Contract()
