"""The schemas of the OpenAPI document (``components.schemas``), generated from the data contract.

``CallRow`` (types, enums, nullability, descriptions) comes from
``dashboard.contract.schema``; the headline figures (``Kpis``) must describe exactly
``export.KPIS_COLUMNS``, and the map's measures and reasons are ``figures.MAP_METRICS``
and ``figures.MAP_REASONS``, so the JSON answers and their schemas cannot drift apart.
Kept apart from the parameters (``openapi_parameters``) and the paths (``openapi``):
each is a long table of its own.
"""

from __future__ import annotations

from typing import Any

from dashboard.contract.schema import CALLS_COLUMN_NAMES, CALLS_COLUMNS, CallCategory, Column, ResponseType
from dashboard.figures import MAP_METRICS, MAP_REASONS
from dashboard.queries.api_params import MAX_PAGE_SIZE
from dashboard.queries.export import KPIS_COLUMNS

_JSON_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "bool": {"type": "boolean"},
    "int": {"type": "integer"},
}


_KPIS: dict[str, tuple[bool, str]] = {  # name -> (fraction or minutes: nullable number, description)
    "calls": (False, "Calls answered by the selected programs."),
    "eligible": (False, "Eligible calls, whatever the program filter (a fact about all eligible calls)."),
    "eligible_answered": (False, "Eligible calls answered by the city's alternative program."),
    "alt_share": (True, "eligible_answered / eligible; null without eligible calls."),
    "median_minutes": (True, "Median response minutes of the selected programs' calls with a time."),
    "arrests": (False, "Calls of the selected programs that ended in arrest."),
    "outcome_not_recorded": (False, "Calls of the selected programs with no outcome recorded."),
    "arrest_share": (True, "arrests / (calls - outcome_not_recorded): of the calls with an outcome "
                           "recorded; null without such calls."),
    "alt_calls": (False, "Calls answered by the alternative program."),
    "backup": (False, "Alternative-program calls where the team asked for police backup."),
    "backup_share": (True, "backup / alt_calls; null without alternative-program calls."),
}
if tuple(_KPIS) != KPIS_COLUMNS:  # a new headline figure must be documented here
    raise RuntimeError("openapi_schemas._KPIS does not describe export.KPIS_COLUMNS")


def column_schema(column: Column) -> dict[str, Any]:
    """JSON Schema of one contract column (a null is allowed only where the contract says)."""
    schema: dict[str, Any] = dict(_JSON_TYPES[column.dtype])
    if column.nullable:
        schema["type"] = [schema["type"], "null"]
    if column.values:
        schema["enum"] = [str(v) for v in column.values] + ([None] if column.nullable else [])
    schema["description"] = column.description
    return schema


def call_row_schema() -> dict[str, Any]:
    """The JSON row of ``calls.json``: every contract column, nothing else."""
    return {
        "type": "object",
        "description": "One published row (the data contract, `data_dictionary.json` of every release).",
        "properties": {c.name: column_schema(c) for c in CALLS_COLUMNS},
        "required": list(CALLS_COLUMN_NAMES),
        "additionalProperties": False,
    }


def schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        out["description"] = description
    return out


_INT = {"type": "integer", "minimum": 0}
_NUM_OR_NULL = {"type": ["number", "null"]}
_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_PROGRAM = {"type": "string", "enum": [p.value for p in ResponseType]}


def component_schemas() -> dict[str, Any]:
    # why the map gives no value (``figures.map_metric_values``), plus the summary's own
    reason = {"type": ["string", "null"], "enum": [*MAP_REASONS, "no_boundaries", None]}
    metric_values = _obj({m: _NUM_OR_NULL for m in MAP_METRICS})
    metric_reasons = _obj({m: reason for m in MAP_METRICS})
    return {
        "CallRow": call_row_schema(),
        "Problem": _obj(
            {
                "parameter": {**_STR, "description": "The parameter at fault (or `chart`)."},
                "value": {**_STR, "description": "The value given, cut to 40 characters."},
                "message": _STR,
            }
        ),
        "Error": _obj(
            {
                "error": _obj(
                    {
                        "status": {"type": "integer"},
                        "message": _STR,
                        "problems": {"type": "array", "items": schema_ref("Problem")},
                    }
                )
            },
            "Every answer other than 200/206/304. Never a traceback.",
        ),
        "Release": _obj(
            {
                "id": {**_STR, "description": "Release id: `YYYYMMDD-` + start of calls.parquet's sha256."},
                "city": _STR,
                "created": _STR,
                "source": _STR,
                "synthetic": {"type": "boolean", "description": "True for the simulated sample data."},
            }
        ),
        "Filters": _obj(
            {
                "city": _STR,
                "start": {**_STR, "format": "date", "description": "First day of the first month."},
                "end": {**_STR, "format": "date", "description": "Last day of the last month."},
                "programs": {"type": "array", "items": _PROGRAM, "description": "Empty: all."},
                "districts": {"type": "array", "items": _STR, "description": "Empty: all."},
                "categories": {
                    "type": "array",
                    "items": {"type": "string", "enum": [c.value for c in CallCategory]},
                    "description": "Empty: all.",
                },
            },
            "The view the answer is for, after validation.",
        ),
        "CallsPage": _obj(
            {
                "release": schema_ref("Release"),
                "filters": schema_ref("Filters"),
                "page": {"type": "integer", "minimum": 1},
                "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "total_rows": _INT,
                "next": {**_STR_OR_NULL, "description": "Path and query of the next page; null on the last."},
                "rows": {"type": "array", "items": schema_ref("CallRow")},
            }
        ),
        "Kpis": _obj(
            {
                name: {**(_NUM_OR_NULL if nullable else _INT), "description": text}
                for name, (nullable, text) in _KPIS.items()
            },
            "The Overview's headline figures.",
        ),
        "ProgramRow": _obj(
            {
                "program": _PROGRAM,
                "calls": _INT,
                "share": {**_NUM_OR_NULL, "description": "calls / the view's calls."},
                "median_minutes": _NUM_OR_NULL,
                "p90_minutes": _NUM_OR_NULL,
            }
        ),
        "MonthRow": _obj(
            {
                "month": {**_STR, "format": "date"},
                "weeks": {**_INT, "description": "Weeks (Mondays) in the month."},
                "program": _PROGRAM,
                "calls": _INT,
                "per_week": {"type": "number", "description": "calls / weeks: what the chart draws."},
            }
        ),
        "DistrictRow": _obj(
            {
                "district": _STR,
                "name": _STR_OR_NULL,
                "population": {"type": ["integer", "null"]},
                "calls": _INT,
                "eligible": _INT,
                "eligible_answered": _INT,
                "values": {**metric_values, "description": "Each map measure as the map shows it."},
                "reasons": {**metric_reasons, "description": "Why a measure has no value (null if it has)."},
            }
        ),
        "Summary": _obj(
            {
                "release": schema_ref("Release"),
                "filters": schema_ref("Filters"),
                "query": {**_STR, "description": "The canonical query string of the view's page."},
                "page_url": {**_STR, "description": "The Overview page showing this view."},
                "kpis": schema_ref("Kpis"),
                "programs": {"type": "array", "items": schema_ref("ProgramRow")},
                "monthly": {"type": "array", "items": schema_ref("MonthRow")},
                "districts": {"type": "array", "items": schema_ref("DistrictRow")},
            }
        ),
        "ReleaseFile": _obj(
            {
                "name": _STR,
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "bytes": _INT,
                "url": _STR,
            }
        ),
        "ReleaseEntry": {
            **_obj(
                {
                    "id": _STR,
                    "city": _STR,
                    "created": _STR_OR_NULL,
                    "source": _STR_OR_NULL,
                    "synthetic": {"type": "boolean"},
                    "current": {"type": "boolean", "description": "The release the pages and API serve."},
                    "rows": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                        "description": "Rows read, accepted, rejected, published, generalized, withheld.",
                    },
                    "privacy": {
                        "type": "object",
                        "properties": {"k": {"type": "integer", "minimum": 1}},
                        "description": "Privacy parameters (k of k-anonymity, suppression rule).",
                    },
                    "manifest_url": _STR,
                    "files": {"type": "array", "items": schema_ref("ReleaseFile")},
                }
            ),
        },
        "CityStatus": _obj(
            {
                "state": {
                    "type": "string",
                    "enum": ["ok", "previous", "unavailable"],
                    "description": "`ok`: the release CURRENT names is served. `previous`: it failed its "
                    "integrity check (a file no longer matches its sha256) and the last good release is "
                    "served. `unavailable`: no release passed; the city's data answers 503.",
                },
                "serving": {**_STR_OR_NULL, "description": "The release id answers are read from."},
                "named": {**_STR_OR_NULL, "description": "The release id CURRENT names."},
                "problem": {**_STR_OR_NULL, "description": "Why `named` is not served, if it is not."},
            },
            "How this server serves the city's data.",
        ),
        "Releases": _obj(
            {
                "cities": {
                    "type": "array",
                    "items": _obj(
                        {
                            "city": _STR,
                            "name": _STR,
                            "status": schema_ref("CityStatus"),
                            "releases": {"type": "array", "items": schema_ref("ReleaseEntry")},
                        }
                    ),
                }
            }
        ),
        "Index": _obj(
            {"api": _STR, "version": _STR, "openapi": _STR, "endpoints": {"type": "array", "items": _STR}}
        ),
    }
