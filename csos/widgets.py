"""Form widgets every page shares."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's own date picker, which also gives phones their date keyboard."""

    input_type = "date"
