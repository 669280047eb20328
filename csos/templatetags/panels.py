from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, item) -> str:
    """Render a registered panel's template with the context its selector returned, on top
    of the page's context, as ``{% include %}`` does: the context processors have run once
    for the page and do not run again for each panel."""
    panel_template = context.template.engine.get_template(item.panel.template)
    with context.push(**item.context, panel=item.panel):
        return panel_template.render(context)
