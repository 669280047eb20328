from django import template

register = template.Library()


@register.filter
def get(mapping: dict, key):
    """``mapping[key]`` in a template, for keys that are numbers or variables."""
    return mapping.get(key) if mapping else None
