from django import template

from csos.models import SharedLink
from stakeholders.sharing import share_token as _share_token

register = template.Library()


@register.filter
def share_token(link: SharedLink) -> str:
    return _share_token(link)
