from django.apps import AppConfig


class AssistantConfig(AppConfig):
    """The MCP server: read tools an assistant calls with a workspace API token. It reads other
    apps through their selectors and API serializers only, owns no models, and no other app
    imports it: the top of the layer order, beside the dashboards."""

    name = "assistant"
