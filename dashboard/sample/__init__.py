"""The synthetic sample, run offline: ``generator`` (a seeded synthetic world),
``raw_export`` (written in a city's raw export format, then ingested) and
``calibration`` (the published figures it is calibrated to).
"""
