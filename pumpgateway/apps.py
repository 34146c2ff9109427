from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PumpGatewayConfig(AppConfig):
    name = "pumpgateway"
    verbose_name = _("Pump gateway")
