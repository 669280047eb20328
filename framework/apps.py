from django.apps import AppConfig


class FrameworkConfig(AppConfig):
    """The reusable body of knowledge plans and the ladder both apply: use cases and their value
    paths. It sits below stakeholders and value so both can point at a use case."""

    name = "framework"
