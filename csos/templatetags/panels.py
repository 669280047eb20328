from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, item) -> str:
    """Render a registered panel's template with the context its selector returned."""
    request = context["request"]
    return render_to_string(
        item.panel.template,
        {**context.flatten(), **item.context, "panel": item.panel},
        request=request,
    )
