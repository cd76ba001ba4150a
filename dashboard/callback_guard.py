"""Check the callback envelope a browser POSTs to ``/_dash-update-component`` before Dash sees it.

Dash trusts that envelope: it indexes ``body["output"]`` into its callback map, reads
``inputs``/``state`` entries as dicts with ``id``/``property``/``value``, hashes every
``changedPropIds`` entry and hands each value to the callback. Anything else (``[]``, a
missing ``inputs``, a number for an id, a callback that does not exist or only runs in
the browser, a body that is not JSON) made it raise deep inside, which answered 500 and
logged a traceback with whatever the client sent (issue 12). Here the envelope is
checked against the callback map Dash itself built, so only the shapes dash-renderer
sends reach Dash:

* ``output`` names a server-side callback; ``outputs`` lists exactly its outputs
  (a single dict for a single output, as dash-renderer sends it);
* ``inputs`` and ``state`` line up one for one with the callback's declared inputs and
  states (same id and property; a wildcard id takes a dict id, or a list of them);
* each ``value`` has a type the property can have in a browser (``PROPERTY_TYPES``):
  the callbacks themselves still validate the values, this only keeps, say, a number
  out of ``pathname`` where Dash's own page router would choke on it;
* the body is UTF-8 JSON of at most ``MAX_BODY_BYTES``, nested at most ``MAX_DEPTH``
  deep (a deep array would exhaust the stack of the code that walks it).

A bad envelope answers JSON ``{"error": {"status", "message", "problems"}}`` (the API's
shape) naming each problem by its place in the body; values echoed back or logged are
cut to ``MAX_ECHO`` characters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dash
from flask import Response, request

#: A real callback body is a few kB (the Overview's largest carries 10 short values).
MAX_BODY_BYTES = 64 * 1024
#: Deepest nesting of JSON arrays/objects accepted (dash-renderer's bodies nest 5 deep).
MAX_DEPTH = 16
#: At most this many characters of a client's value are echoed or logged.
MAX_ECHO = 40
#: At most this many problems are listed in one answer.
MAX_PROBLEMS = 20

_SCALAR = (str, int, float)  # bool is an int


def _is_count(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _is_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _is_choice(value: object) -> bool:
    """A form control's value: one scalar (a switch's is a boolean), a list of them, or null."""
    if value is None or isinstance(value, _SCALAR):
        return True
    return isinstance(value, list) and all(v is None or isinstance(v, _SCALAR) for v in value)


def _is_object(value: object) -> bool:
    return value is None or isinstance(value, dict)


#: What a browser can send for a property, by property name (others: any JSON; a
#: ``pathname`` must also start with the app's path prefix, as a browser's always does).
PROPERTY_TYPES: dict[str, tuple[Callable[[object], bool], str]] = {
    "n_clicks": (_is_count, "a whole number >= 0 or null"),
    "search": (_is_text, "a string or null"),
    "hash": (_is_text, "a string or null"),
    "href": (_is_text, "a string or null"),
    "hrefLang": (_is_text, "a string or null"),
    "value": (_is_choice, "a string, a number, a list of them, or null"),
    "clickData": (_is_object, "an object or null"),
}


@dataclass(frozen=True)
class EnvelopeProblem:
    """One thing wrong with a callback body: where (``inputs[2].id``) and what."""

    parameter: str
    value: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"parameter": self.parameter, "value": self.value, "message": self.message}


class EnvelopeError(Exception):
    """A callback request that is refused, with its HTTP status and problems."""

    def __init__(self, status: int, message: str, problems: Sequence[EnvelopeProblem] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)


def echo(value: object, limit: int = MAX_ECHO) -> str:
    """A short printable form of an untrusted value (never a 1 MB string)."""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=repr)
    text = value[: limit + 1]
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _depth_ok(value: object) -> bool:
    """Is ``value`` nested at most ``MAX_DEPTH`` deep? (iterative: no recursion to exhaust)"""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= MAX_DEPTH:
                return False
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return True


def read_body() -> object:
    """The request's JSON body, or an ``EnvelopeError`` saying why there is none."""
    if request.mimetype != "application/json":
        raise EnvelopeError(415, "A callback body must be JSON (Content-Type: application/json).",
                            [EnvelopeProblem("Content-Type", echo(request.content_type or ""), "Not JSON.")])
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # dash-renderer always sends a length; a chunked body could be endless.
        raise EnvelopeError(411, "A callback body needs a Content-Length.",
                            [EnvelopeProblem("Content-Length", "", "Missing.")])
    length = request.content_length or 0
    if length > MAX_BODY_BYTES:
        raise EnvelopeError(413, f"A callback body is at most {MAX_BODY_BYTES:,} bytes.",
                            [EnvelopeProblem("body", f"{length:,} bytes", "Too large.")])
    data = request.get_data(cache=True)  # cached: Dash's own request.get_json() reads it again
    try:
        body = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "Not UTF-8." if isinstance(exc, UnicodeDecodeError) else "Not valid JSON."
        start = echo(data[:MAX_ECHO].decode("utf-8", "replace"))
        raise EnvelopeError(400, "The callback body is not valid JSON.",
                            [EnvelopeProblem("body", start, reason)]) from None
    if not _depth_ok(body):
        raise EnvelopeError(400, "The callback body is nested too deeply.",
                            [EnvelopeProblem("body", "", f"Nested more than {MAX_DEPTH} deep.")])
    return body


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _is_wildcard_id(spec_id: str) -> bool:
    return spec_id.startswith("{")


def _id_matches(given: object, spec_id: str) -> bool:
    """Does a sent id match a declared one? A wildcard id takes a dict with the same keys
    whose non-wildcard values are equal and whose wildcard values are scalars."""
    if not _is_wildcard_id(spec_id):
        return given == spec_id
    if not isinstance(given, dict):
        return False
    spec = json.loads(spec_id)
    if set(given) != set(spec):
        return False
    for key, want in spec.items():
        value = given[key]
        if isinstance(want, list):  # ["MATCH"], ["ALL"], ["ALLSMALLER"]
            if not isinstance(value, _SCALAR) or isinstance(value, bool):
                return False
        elif value != want:
            return False
    return True


def _value_problem(prop: str, value: object, path_prefix: str) -> str | None:
    """Why ``value`` cannot be what a browser sends for ``prop`` (None: it can)."""
    if prop == "pathname":
        root = path_prefix.rstrip("/") or "/"
        ok = isinstance(value, str) and value.startswith(root)
        return None if ok else f"Must be a path starting with {root}."
    check = PROPERTY_TYPES.get(prop)
    if check is not None and not check[0](value):
        return f"Must be {check[1]}."
    return None


def _check_entry(entry: object, spec: Mapping[str, str], where: str, path_prefix: str | None,
                 problems: list[EnvelopeProblem]) -> None:
    """Check one ``{id, property, value}`` entry (``path_prefix`` None: an output, no value)."""
    if not isinstance(entry, dict):
        problems.append(EnvelopeProblem(where, echo(entry), "Must be an object with id and property."))
        return
    if not _id_matches(entry.get("id"), spec["id"]) or entry.get("property") != spec["property"]:
        want = f"{spec['id']}.{spec['property']}"
        got = echo(f"{echo(entry.get('id'), 80)}.{echo(entry.get('property'), 80)}")  # one echo: <= MAX_ECHO
        problems.append(EnvelopeProblem(where, got, f"This callback expects {echo(want, 80)} here."))
        return
    if path_prefix is not None and "value" in entry:
        reason = _value_problem(spec["property"], entry["value"], path_prefix)
        if reason is not None:
            problems.append(EnvelopeProblem(f"{where}.value", echo(entry["value"]), reason))


def _check_list(body: Mapping[str, Any], key: str, specs: Sequence[Mapping[str, str]], path_prefix: str,
                problems: list[EnvelopeProblem]) -> None:
    entries = body.get(key)
    if entries is None and key == "state" and not specs:
        return  # dash-renderer leaves out an empty state
    if not isinstance(entries, list) or len(entries) != len(specs):
        problems.append(EnvelopeProblem(
            key, echo(entries), f"Must be a list of {len(specs)} entries, one per declared {key} item."))
        return
    for index, (entry, spec) in enumerate(zip(entries, specs, strict=True)):
        where = f"{key}[{index}]"
        if isinstance(entry, list) and _is_wildcard_id(spec["id"]):  # ALL / ALLSMALLER: one per match
            for sub_index, sub in enumerate(entry[:MAX_PROBLEMS * 10]):
                _check_entry(sub, spec, f"{where}[{sub_index}]", path_prefix, problems)
        else:
            _check_entry(entry, spec, where, path_prefix, problems)


def _declared_outputs(output: str) -> list[dict[str, str]]:
    """``..a.b...c.d..`` -> [{id: a, property: b}, {id: c, property: d}] (Dash's own format)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    declared = []
    for part in parts:
        component, _, prop = part.rpartition(".")
        declared.append({"id": component, "property": prop})
    return declared


def check_envelope(
    body: object, callback_map: Mapping[str, Mapping[str, Any]], path_prefix: str = "/"
) -> list[EnvelopeProblem]:
    """Every problem with a parsed callback body (empty: Dash can run it safely).

    ``callback_map`` is Dash's (``app.callback_map``), ``path_prefix`` the app's
    ``requests_pathname_prefix``.
    """
    if not isinstance(body, dict):
        return [EnvelopeProblem("body", echo(body), "Must be a JSON object.")]
    output = body.get("output")
    if not isinstance(output, str):
        return [EnvelopeProblem("output", echo(output), "Must be a string naming a callback's outputs.")]
    callback = callback_map.get(output)
    if callback is None or not callable(callback.get("callback")):
        return [EnvelopeProblem("output", echo(output), "No server callback has these outputs.")]
    problems: list[EnvelopeProblem] = []
    declared = _declared_outputs(output)
    outputs = body.get("outputs")
    sent = outputs if output.startswith("..") else [outputs]
    if not isinstance(sent, list) or len(sent) != len(declared):
        shape = f"a list of {len(declared)} outputs" if output.startswith("..") else "one output object"
        problems.append(EnvelopeProblem("outputs", echo(outputs), f"Must be {shape}."))
    else:
        for index, (entry, spec) in enumerate(zip(sent, declared, strict=True)):
            where = f"outputs[{index}]" if output.startswith("..") else "outputs"
            if isinstance(entry, list) and _is_wildcard_id(spec["id"]):  # ALL: one per match
                for sub_index, sub in enumerate(entry[:MAX_PROBLEMS * 10]):
                    _check_entry(sub, spec, f"{where}[{sub_index}]", None, problems)
            else:
                _check_entry(entry, spec, where, None, problems)
    _check_list(body, "inputs", callback.get("inputs", []), path_prefix, problems)
    _check_list(body, "state", callback.get("state", []), path_prefix, problems)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(i, str) for i in changed):
        problems.append(EnvelopeProblem("changedPropIds", echo(changed), "Must be a list of strings."))
    # dash-renderer sends a pattern-matching id here parsed (``{"type": ..., "index": 3}``).
    parsed = body.get("parsedChangedPropsIds", [])
    if not isinstance(parsed, list) or not all(isinstance(i, str) or _is_flat_id(i) for i in parsed):
        problems.append(EnvelopeProblem("parsedChangedPropsIds", echo(parsed),
                                        "Must be a list of ids (strings, or objects of scalars)."))
    return problems


def _is_flat_id(value: object) -> bool:
    """A pattern-matching id as dash-renderer parses it: string keys, scalar values."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, _SCALAR) for k, v in value.items()
    )


def error_response(error: EnvelopeError, headers: Mapping[str, str] | None = None) -> Response:
    """The JSON answer to a refused callback request (never cached)."""
    shown = error.problems[:MAX_PROBLEMS]
    message = error.message
    if len(error.problems) > len(shown):
        message += f" ({len(error.problems)} problems; the first {len(shown)} are listed.)"
    payload = {"error": {"status": error.status, "message": message,
                         "problems": [p.as_dict() for p in shown]}}
    response = Response(json.dumps(payload, ensure_ascii=False), status=error.status,
                        mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


def install_callback_guard(app: dash.Dash) -> None:
    """Check every ``_dash-update-component`` request before Dash's own view runs."""
    path = app.config.routes_pathname_prefix + "_dash-update-component"

    @app.server.before_request
    def _guard_callback() -> Response | None:
        if request.path != path:
            return None
        if request.method != "POST":
            # The pages' catch-all would take a GET here (a 404 page) and list GET in Allow.
            allowed = {"Allow": "OPTIONS, POST"}
            if request.method == "OPTIONS":
                return Response(status=200, headers=allowed)
            return error_response(EnvelopeError(405, "Callbacks are POSTed.", [
                EnvelopeProblem("method", echo(request.method), "Use POST.")]), allowed)
        try:
            body = read_body()
            problems = check_envelope(body, app.callback_map, app.config.requests_pathname_prefix)
            if problems:
                names = ", ".join(dict.fromkeys(p.parameter for p in problems[:MAX_PROBLEMS]))
                raise EnvelopeError(400, f"Invalid callback request: {names}.", problems)
        except EnvelopeError as error:
            return error_response(error)
        return None
