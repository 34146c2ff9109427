"""Local runs on embedded defaults: SQLite, filesystem broker, generated dev secrets."""

import os

from core.env import dev_secrets

_secrets = dev_secrets()
for _name, _value in _secrets.items():
    os.environ.setdefault(_name, _value)
os.environ.setdefault("DEBUG", "true")

from fuelpay.settings.base import *  # noqa: E402,F403
