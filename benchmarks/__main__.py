"""``python -m benchmarks``: run the benchmark from a source checkout (see benchmarks/README.md)."""

import sys

from benchmarks.run import build_parser, main
from dashboard.settings import Settings

sys.exit(main(build_parser().parse_args(), Settings.from_env()))
