"""``crisis-dashboard``: serve, build the sample release, build boundaries, impact estimates,
benchmark.

Each subcommand imports its module lazily so ``crisis-dashboard --help`` stays fast
and a missing optional piece cannot break the others.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dashboard.settings import REPO_ROOT, Settings


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.app import create_app

    app = create_app(settings)
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"Crisis Response Dashboard on http://{host}:{port}/  (Ctrl+C stops)")
    app.run(host=host, port=port, debug=args.debug)
    return 0


def _sample(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.sample.releases import main as sample_main

    return sample_main(args, settings)


def _geo_build(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.geo.build import main as geo_main

    return geo_main(args, settings)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.ingest.pipeline import main as ingest_main

    return ingest_main(args, settings)


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.publish.validate import main as validate_main

    return validate_main(args, settings)


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.publish.to_database import main as publish_main

    return publish_main(args, settings)


def _impact(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.impact.build import main as impact_main

    return impact_main(args, settings)


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    """The benchmark lives outside the shipped package (``benchmarks/`` in the repository):
    run it as ``python -m benchmarks`` from the checkout, with the same switches."""
    if not (REPO_ROOT / "benchmarks" / "__main__.py").is_file():
        print("crisis-dashboard bench: needs a source checkout (benchmarks/ is not installed)",
              file=sys.stderr)
        return 2
    argv = [sys.executable, "-m", "benchmarks", "--sizes", *map(str, args.sizes),
            "--repeat", str(args.repeat), "--out", str(Path(args.out).resolve())]
    argv += [flag for flag, on in (("--regenerate", args.regenerate), ("--no-server", args.no_server),
                                   ("--skip-ingest", args.skip_ingest),
                                   ("--skip-downloads", args.skip_downloads),
                                   ("--downloads-only", args.downloads_only)) if on]
    env = {**os.environ, "CRISIS_DATA_DIR": str(settings.data_dir), "CRISIS_GEO_DIR": str(settings.geo_dir)}
    return subprocess.run(argv, cwd=REPO_ROOT, env=env, check=False).returncode  # noqa: S603 - our own argv


def _share(text: str) -> float:
    """A threshold from 0 to 1 (the ingest guard's ``--max-shrink``, ``--max-reject-rate``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crisis-dashboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve the dashboard on the current release")
    p.add_argument("--host", default=None, help="address to bind (default CRISIS_HOST)")
    p.add_argument("--port", type=int, default=None, help="port (default PORT or 8050)")
    p.add_argument("--debug", action="store_true", help="Dash debug mode (never in production)")
    p.set_defaults(func=_serve)

    p = sub.add_parser("sample", help="generate the seeded synthetic sample release")
    p.add_argument("--seed", type=int, default=20200601, help="random seed")
    p.add_argument(
        "--scale", type=float, default=1.0,
        help="multiply call volumes (benchmarks use ~5x and ~50x for 1M and 10M rows)",
    )
    p.add_argument("--out", default=None, help="releases folder (default data/releases)")
    p.add_argument("--city", action="append", default=None, help="only these city ids")
    p.set_defaults(func=_sample)

    p = sub.add_parser("ingest", help="turn a raw CAD/records export into a privacy-safe release")
    p.add_argument("input", help="the raw export: CSV (any common encoding), .xlsx or .parquet")
    p.add_argument("--city", required=True, help="city configuration file (TOML) with an [ingest] section")
    p.add_argument("--out", default=None, help="releases folder (default data/releases)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--max-shrink", type=_share, default=None, metavar="SHARE",
                   help="refuse when a month the current release covers loses more than this share "
                        "of its calls (default: the city's [ingest] max_shrink, else 0.05)")
    p.add_argument("--max-reject-rate", type=_share, default=None, metavar="SHARE",
                   help="refuse when more than this share of the rows is rejected (default: the "
                        "city's [ingest] max_reject_rate, else 0.10)")
    p.add_argument("--accept-shrink", action="store_true",
                   help="publish even if months lose calls beyond --max-shrink (recorded in the manifest)")
    p.add_argument("--accept-rejects", action="store_true",
                   help="publish even if the reject rate passes --max-reject-rate (recorded in the manifest)")
    p.set_defaults(func=_ingest)

    p = sub.add_parser("validate", help="re-check every privacy rule on a finished release")
    p.add_argument("release", help="a release folder (data/releases/<city>/<id>)")
    p.add_argument("--k", type=int, default=None, help="k to check against (default: the manifest's)")
    p.add_argument("--shallow", action="store_true",
                   help="skip the deep audit of council cells as marginals of the rows' joint table "
                        "by police district (about 20 s on a full city; for quick looks only)")
    p.set_defaults(func=_validate)

    p = sub.add_parser("publish", help="load a release into PostgreSQL and serve it (one transaction)")
    p.add_argument("release", help="a release folder, or a city folder (its CURRENT release)")
    p.add_argument("--to", help="postgresql://... (default: CRISIS_DATABASE_URL)")
    p.add_argument("--k", type=int, default=None, help="k to validate with (default: the manifest's)")
    p.add_argument("--no-validate", action="store_true",
                   help="skip re-proving the privacy rules (files are still checked against the manifest)")
    p.add_argument("--reader", help="a database role (the app's, read only) to grant reading the release")
    p.set_defaults(func=_publish)

    p = sub.add_parser("geo-build", help="validate boundaries, interpolate populations, simplify")
    p.add_argument("--city", default="denver", help="city id (folder under geo/)")
    p.set_defaults(func=_geo_build)

    p = sub.add_parser("impact", help="before/after estimates on a city's offense reports (Impact page)")
    p.add_argument("--city", nargs="+", help="city ids (default: every city with an [impact] section)")
    p.add_argument("--permutations", type=int, default=199,
                   help="random precinct sets of the permutation test (default 199)")
    p.set_defaults(func=_impact)

    p = sub.add_parser("bench", help="benchmark queries, callbacks, memory and page weight")
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    p.add_argument("--repeat", type=int, default=50, help="timed repetitions per query")
    p.add_argument("--out", default="benchmarks/RESULTS.md", help="where to write the results")
    p.add_argument("--regenerate", action="store_true", help="rebuild the bench data even if present")
    p.add_argument("--no-server", action="store_true", help="skip the gunicorn and browser measurements")
    p.add_argument("--skip-ingest", action="store_true", help="keep the last ingest throughput figures")
    p.add_argument("--skip-downloads", action="store_true", help="keep the last download figures")
    p.add_argument("--downloads-only", action="store_true",
                   help="only the rows download beside Datasette (needs the bench extra: make bench)")
    p.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace, Settings], int] = args.func
    return func(args, Settings.from_env())


if __name__ == "__main__":
    sys.exit(main())
