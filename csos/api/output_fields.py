"""Fields of output serializers whose model field may be blank but whose schema names a format.

The schema says what every string sent is (a URI, an email address); an empty string is
neither, so an empty value is sent as ``null``, which the schema declares.
"""

from rest_framework import serializers


class BlankAsNull:
    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class OptionalURLField(BlankAsNull, serializers.URLField):
    """A URL, or ``null`` when none is stored."""


class OptionalEmailField(BlankAsNull, serializers.EmailField):
    """An email address, or ``null`` when none is stored."""
