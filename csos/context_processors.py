from csos.panels import nav_entries


def workspace(request):
    return {
        "workspace": getattr(request, "workspace", None),
        "membership": getattr(request, "membership", None),
        "memberships": getattr(request, "memberships", []),
        "customer_nav": nav_entries(
            section="Customers", membership=getattr(request, "membership", None)
        ),
    }
