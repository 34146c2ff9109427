from django.db import models
from django.utils.translation import gettext_lazy as _


class Funder(models.TextChoices):
    """Who bears the cost of a promotion."""

    PLATFORM = "platform", _("Platform")
    STATION = "station", _("Station")
