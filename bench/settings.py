"""Settings for the servers the benchmarks start: the real settings, plus the floor views
(bench/urls.py) that every run times beside the real pages."""

from wikisocial.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
