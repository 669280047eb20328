"""The client's address behind TLS proxies, for login throttling."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address as the outermost trusted proxy saw it (settings.TRUSTED_PROXY_COUNT).

    Each trusted proxy appends the address it received from to X-Forwarded-For, so the entry the
    outermost one appended is the client; entries left of it come from the client and can be
    forged. With no trusted proxy, the address the connection came from.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    if settings.TRUSTED_PROXY_COUNT == 0:
        return remote_addr
    forwarded = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if len(forwarded) < settings.TRUSTED_PROXY_COUNT:
        return remote_addr  # not through every proxy: count the nearest sender
    try:
        return str(ipaddress.ip_address(forwarded[-settings.TRUSTED_PROXY_COUNT]))
    except ValueError:
        return remote_addr
