"""The issue-12 attacks against a whole release: a weak suppression falls to them, ours holds.

A Denver-like synthetic release (the seeded generator, 3% of the calls) is built
twice from the same calls. Once with the older rule (hide small cells, then, while a
group has a lone hidden cell, the smallest published cell of that group) and the
manifest naming it: ``validate`` (run by the builder before anything is published)
must refuse it, naming cross-measure differencing and the LP audit with the public rule.
Once with the audited, keyed suppression: the release is published and ``validate``
finds nothing, and neither do the attacks run one by one.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from dashboard.contract.cities import load_cities
from dashboard.contract.releases import ReleaseError
from dashboard.publish import complements, cube_system, cubes
from dashboard.publish.release import build_release
from dashboard.sample.generator import generate
from dashboard.sample.releases import _without_attrs
from dashboard.settings import Settings

K = 11


@pytest.fixture(scope="module")
def internal() -> pd.DataFrame:
    settings = Settings()
    city = {"denver": load_cities(settings.cities_dir)["denver"]}
    frame = generate(city, seed=20200601, scale=0.03, geo_dir=settings.geo_dir)["denver"]
    return _without_attrs(frame)


def smallest_published(counts: dict[str, pd.DataFrame], margins: dict[str, pd.DataFrame], k: int,
                       key: bytes, deep: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """The older rule: small cells, then for every group with a lone hidden cell, its
    smallest published cell (by count; ties by position), until no group has one."""
    frames = {name: frame.assign(suppressed=False) for name, frame in counts.items()}
    system, where = cube_system.release_system(frames, margins)
    values = np.nan_to_num(system.value)
    aux = np.isnan(system.value)
    hidden = complements.primary(values, k)
    csr = system.matrix.tocsr()
    changed = True
    while changed:
        changed = False
        for r in range(csr.shape[0]):
            members = csr.indices[csr.indptr[r]:csr.indptr[r + 1]]
            if aux[members].any():
                continue  # the older rule knew each cube's margins, not the groups' shared totals
            open_ = members[~hidden[members]]
            if hidden[members].sum() == 1 and len(open_):
                hidden[open_[np.argmin(values[open_])]] = True
                changed = True
    out = {}
    for name, frame in frames.items():
        mask = hidden[where.ids[name]]
        out[name] = frame.assign(suppressed=mask, n=frame["n"].astype("Int64").mask(mask))
    return out


def test_the_older_rule_is_refused_by_the_attacks(internal, tmp_path, monkeypatch):
    monkeypatch.setattr(cubes, "suppress", smallest_published)
    monkeypatch.setattr(cubes, "SUPPRESSION_METHOD", "smallest-published")
    with pytest.raises(ReleaseError) as refused:
        build_release(internal, tmp_path, city="denver", source="x", synthetic=True, k=K, seed=1)
    message = str(refused.value)
    assert "cross-measure differencing" in message
    assert ("linear programming over every published relation and the suppression rule "
            "'smallest-published'") in message
    pinned = re.search(r"hidden cells narrowed, ([\d,]+) of them pinned exactly", message)
    assert pinned and int(pinned.group(1).replace(",", "")) > 0, message[:2000]
    assert not (tmp_path / "denver" / "CURRENT").exists()


def test_the_audited_release_holds_against_every_attack(internal, tmp_path):
    """``validate`` runs the attacks (margin differencing, cross-measure differencing, the
    LP with the public rule, the deep LP) and finds nothing; the builder ran it before
    publishing."""
    info = build_release(internal, tmp_path, city="denver", source="x", synthetic=True, k=K, seed=1)
    hidden = sum(int(pd.read_parquet(info.path / f"{t.name}.parquet")["suppressed"].sum())
                 for t in cube_system.AUDITED)
    assert hidden > 500, "the fixture should exercise suppression"
    # build_release published it, so its validate_release found nothing (the test above
    # shows the builder refusing a release the attacks break).
    assert (tmp_path / "denver" / "CURRENT").exists()


@pytest.fixture(scope="module")
def one_year() -> pd.DataFrame:
    """One year of a small sample: keeps the deep LP to seconds."""
    settings = Settings()
    city = {"denver": load_cities(settings.cities_dir)["denver"]}
    frame = _without_attrs(generate(city, seed=20200601, scale=0.05, geo_dir=settings.geo_dir)["denver"])
    return frame[pd.to_datetime(frame["received_hour"]).dt.year == 2023]


def test_protection_per_measure_alone_falls_to_the_deep_attacker(one_year, tmp_path, monkeypatch):
    """An attacker who writes the council cells as marginals of the rows' joint table by
    police district (``council_links``) narrows hidden council cells that a protection
    against the per-measure relations alone lets through; ``validate`` (deep by default,
    run by the builder) refuses that release."""
    shallow = cubes.suppress
    monkeypatch.setattr(cubes, "suppress", lambda counts, margins, k, key, deep=None:
                        shallow(counts, margins, k, key))
    # Without the night cube, whose extra relations happen to hide enough council cells on
    # this fixture: the point is the council cube's own per-measure protection.
    night = cubes.night_counts
    monkeypatch.setattr(cubes, "night_counts", lambda con: night(con).iloc[0:0])
    with pytest.raises(ReleaseError) as refused:
        build_release(one_year, tmp_path, city="denver", source="x", synthetic=True, k=K, seed=1)
    message = str(refused.value)
    assert "deep audit" in message and "cube_council" in message, message[:2000]
    narrowed = int(re.search(r"deep audit[^:]*: ([\d,]+) hidden cells narrowed", message).group(1))
    assert narrowed > 0
    assert not (tmp_path / "denver" / "CURRENT").exists()


def test_the_build_protects_against_the_deep_attacker(one_year, tmp_path):
    """The build protects against both systems, so its release passes the deep audit and
    the per-measure one."""
    info = build_release(one_year, tmp_path, city="denver", source="x", synthetic=True, k=K, seed=1)
    assert (tmp_path / "denver" / "CURRENT").exists()  # published: the builder's validate passed
    council = pd.read_parquet(info.path / "cube_council.parquet")
    assert council["suppressed"].any(), "the fixture should exercise suppression"
