from csos.panels import nav_sections


def workspace(request):
    membership = getattr(request, "membership", None)
    match = getattr(request, "resolver_match", None)
    return {
        "workspace": getattr(request, "workspace", None),
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "nav_sections": nav_sections(
            membership=membership, current_url_name=match.url_name if match else None
        ),
    }
