from django.utils.translation import gettext_lazy as _

from flexserve.errors import AppError


class RuleSetNotDraft(AppError):
    code, status = "rule_set_not_draft", 409
    message = _("Rule set v%(version)s is no longer a draft; copy it to make changes.")


class RuleSetEmpty(AppError):
    code, status = "rule_set_empty", 422
    message = _("A rule set needs at least one rule.")


class NoActiveRuleSet(AppError):
    code, status = "no_active_rule_set", 409
    message = _("No segmentation rule set is active yet.")


class ShopAlreadyClosed(AppError):
    code, status = "shop_already_closed", 409
    message = _("%(name)s is already closed.")


class ShopNotClosed(AppError):
    code, status = "shop_not_closed", 409
    message = _("%(name)s is not closed.")
