from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Promotions")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_migrate

        from marketing.models import Promotion

        m2m_changed.connect(_promotion_stations_changed, sender=Promotion.stations.through)
        # The station price (明折明扣) is a promotion every quote needs: make sure it exists after every
        # migrate and every flush (a database emptied by a test flush, or a row deleted by mistake).
        post_migrate.connect(_station_price_promotion_ensure, sender=self)


def _station_price_promotion_ensure(sender, **kwargs):
    from marketing.services import station_price_promotion_ensure

    station_price_promotion_ensure()


def _promotion_stations_changed(sender, instance, action, **kwargs):
    """A promotion's stations list changed: touch it, so quotes stop using their cached copy."""
    if action in ("post_add", "post_remove", "post_clear"):
        from django.utils import timezone

        from marketing.models import Promotion

        Promotion.objects.filter(pk=instance.pk).update(updated_at=timezone.now())
