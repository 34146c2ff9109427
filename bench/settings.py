"""Benchmark settings: the local ones plus django-hordak (the comparison ledger) on a scratch database."""

import os

import dj_database_url

from fuelpay.settings.local import *  # noqa: F403
from fuelpay.settings.local import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "mptt", "djmoney", "hordak"]
DEBUG = False  # as in production: no per-query bookkeeping in the timed loops
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fuelpay_bench")
    )
}
DATABASES["default"]["OPTIONS"] = {"options": "-c lock_timeout=10000"}
DEFAULT_CURRENCY = "CNY"
CURRENCIES = ["CNY"]
HORDAK_CURRENCIES = ["CNY"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
