"""The synthetic sample, run offline: ``generator`` (a seeded synthetic world, its calls),
``plans`` (its calendar and monthly targets), ``loss_queue`` (its alternative team as a
loss queue), ``releases`` (``crisis-dashboard sample``: published as releases),
``raw_export`` (written in a city's raw export format, then ingested) and
``calibration`` (the published figures it is calibrated to).
"""
