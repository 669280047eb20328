from django.apps import AppConfig


class CsosConfig(AppConfig):
    name = "csos"
    verbose_name = "CSOS core"
