from django.apps import AppConfig


class ValueConfig(AppConfig):
    name = "value"
