"""The Docker image build: collectstatic with production's manifest storage, without production's secrets
(which the build has not got). Collecting under local settings leaves no manifest, and production pages fail."""

from fuelpay.settings.local import *  # noqa: F403
from fuelpay.settings.local import MANIFEST_STORAGES

STORAGES = MANIFEST_STORAGES
