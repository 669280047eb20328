from django import template

from stakeholders.models import PlanShareLink
from stakeholders.sharing import share_token as _share_token

register = template.Library()


@register.filter
def share_token(link: PlanShareLink) -> str:
    return _share_token(link)
