from django import template

from csos.links import link_token

register = template.Library()

# The signed token of a plan's shared link, for the link's URL.
register.filter("share_token", link_token)
