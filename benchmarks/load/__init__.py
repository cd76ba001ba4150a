"""The load benchmark (``python -m benchmarks.load``): see ``run.py``."""
