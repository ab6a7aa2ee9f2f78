"""Quality benchmark: inject labelled defects into clean conversations and measure the checks.

``injector`` builds the labelled set, ``lowvar`` the dataset-level low-variation cases,
``measure`` scores audit findings against the labels and ``run`` ties them together
(``python bench/quality/run.py --help``).
"""
