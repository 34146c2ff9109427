from django.utils.translation import gettext_lazy as _

from core.exceptions import RetryableError


class PromotionUsedUp(RetryableError):
    """Between the quote and the confirmation another order took the last of a promotion's budget or cap."""

    code = "promotion_used_up"
    default_message = _("A promotion has just run out. Please check the new price and confirm again.")
