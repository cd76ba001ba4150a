"""Raw cells to contract values: blank cells, numbers, and labels through value maps.

A field is resolved along its chain of columns, each label looked up once per chunk
(``lookup``, ``per_value``: exports repeat a few labels millions of times), the first
mapped value winning; unknown labels and missing required fields flag the row. What a
raw cell means is decided here and nowhere else, so a new kind of cell (a label that
says "not recorded", say) changes this module only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.ingest.accounting import Reason, Rejects, quote_label
from dashboard.ingest.config_spec import BLANK_LABEL, MappedField, ValueMap, normalize_label

MAPPED, BLANK, DEFER, UNKNOWN = 0, 1, 2, 3


def lookup(values: pd.Series, vmap: ValueMap) -> tuple[np.ndarray, np.ndarray]:
    """(target, state) per row, looking each distinct label up once."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    targets = np.full(len(uniques) + 1, None, object)  # the extra slot is for missing cells
    states = np.full(len(uniques) + 1, BLANK, np.int8)
    for i, raw in enumerate([*uniques, None]):
        states[i], targets[i] = _lookup_label(normalize_label(raw), vmap)
    return targets[codes], states[codes]


def _lookup_label(label: str, vmap: ValueMap) -> tuple[int, Any]:
    if label == BLANK_LABEL:
        return (MAPPED, vmap.blank) if vmap.blank is not None else (BLANK, None)
    if label in vmap.defer:
        return DEFER, None
    if label in vmap.entries:
        return MAPPED, vmap.entries[label]
    if vmap.any_other is not None:
        return MAPPED, vmap.any_other
    return UNKNOWN, None


@dataclass
class Resolved:
    """A field resolved over a chain of columns, with what could not be resolved."""

    value: np.ndarray
    blank: np.ndarray  # no column of the chain said anything
    unknown: np.ndarray  # a label no map covers
    unknown_column: np.ndarray
    unknown_label: np.ndarray
    last_column: str


def resolve(frame: pd.DataFrame, spec: MappedField) -> Resolved:
    """First mapped value along the chain wins; blank and deferred labels fall through."""
    n = len(frame)
    if not spec.sources:
        return Resolved(np.full(n, spec.constant, object), np.zeros(n, bool), np.zeros(n, bool),
                        np.full(n, None, object), np.full(n, None, object), "")
    value = np.full(n, None, object)
    pending = np.ones(n, bool)
    unknown = np.zeros(n, bool)
    unknown_column = np.full(n, None, object)
    unknown_label = np.full(n, None, object)
    for source in spec.sources:
        targets, states = lookup(frame[source.column], source.values)
        hit = pending & (states == MAPPED)
        value[hit] = targets[hit]
        bad = pending & (states == UNKNOWN)
        unknown |= bad
        unknown_column[bad] = source.column
        unknown_label[bad] = [quote_label(v) for v in frame[source.column].to_numpy(dtype=object)[bad]]
        pending &= ~(hit | bad)
    return Resolved(value, pending, unknown, unknown_column, unknown_label, spec.sources[-1].column)


def required(res: Resolved, rej: Rejects) -> np.ndarray:
    rej.flag(res.unknown, Reason.UNKNOWN_CODE, res.unknown_column, res.unknown_label)
    rej.flag(res.blank, Reason.MISSING_FIELD, res.last_column)
    return res.value


def optional(res: Resolved, rej: Rejects, default: Any) -> np.ndarray:
    rej.flag(res.unknown, Reason.UNKNOWN_CODE, res.unknown_column, res.unknown_label)
    return np.where(res.blank, default, res.value)


def blank_cells(values: pd.Series) -> np.ndarray:
    """Missing, empty or whitespace-only cells."""
    objects = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(objects, skipna=True) == "string":  # CSV text: vectorized
        text = pa.array(objects, pa.string(), from_pandas=True)
        empty = pc.equal(pc.utf8_trim_whitespace(text), "").to_numpy(zero_copy_only=False)
        return pd.isna(objects) | np.asarray(empty, dtype=bool)  # null compares as None: not empty
    empty = np.fromiter((isinstance(v, str) and not v.strip() for v in objects), bool, len(objects))
    return pd.isna(objects) | empty


def per_value(values: pd.Series | np.ndarray, fn: Any, *, missing: Any = None) -> np.ndarray:
    """``fn`` applied once per distinct value and spread back over the rows.

    Exports repeat a few labels millions of times; this keeps the Python work
    proportional to the number of distinct values, not of rows.
    """
    objects = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(objects, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [fn(u) for u in uniques]
    mapped[-1] = missing
    return mapped[codes]


def as_numbers(values: pd.Series) -> np.ndarray:
    """Floats, NaN where blank or not a number."""
    numbers = pd.to_numeric(values.reset_index(drop=True), errors="coerce")
    return numbers.to_numpy(dtype=float, na_value=np.nan)
