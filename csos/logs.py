"""Logging filters the settings attach to Django's loggers."""

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """A 4xx answer (a 403 for a page the user may not see) is logged as its one line: the
    traceback of the PermissionDenied behind it says nothing about a fault of the server."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
