from django.utils.translation import gettext_lazy as _

from core.exceptions import FuelpayError, RetryableError


class PromotionUsedUp(RetryableError):
    """Between the quote and the confirmation another order took the last of a promotion's budget or cap."""

    code = "promotion_used_up"
    default_message = _("A promotion has just run out. Please check the new price and confirm again.")


class CouponNotUsable(RetryableError):
    """The coupon the quote used was spent, locked by another order or expired since."""

    code = "coupon_not_usable"
    default_message = _("That coupon can no longer be used. Please check the new price and confirm again.")


class CouponNotApplicable(FuelpayError):
    """The driver picked a coupon that is not theirs to use here, or that this purchase does not meet."""

    code = "coupon_not_applicable"
    default_message = _("That coupon does not apply to this purchase. Check its conditions or pick another.")


class CouponIssueRefused(FuelpayError):
    code = "coupon_issue_refused"
    default_message = _("The coupon could not be issued.")


class NotEnoughPoints(FuelpayError):
    code = "not_enough_points"
    default_message = _("You do not have enough points.")


class CampaignAlreadyLaunched(FuelpayError):
    code = "campaign_already_launched"
    default_message = _("This campaign was already launched.")


class ReferralRefused(FuelpayError):
    code = "referral_refused"
    default_message = _("This invite code cannot be used.")


class NotificationNotDelivered(RetryableError):
    """The SMS or WeChat gateway refused or failed to take a message (extra: the provider's code)."""

    code = "notification_not_delivered"
    default_message = _("The message could not be delivered.")
