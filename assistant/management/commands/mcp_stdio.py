"""``manage.py mcp_stdio --token csos_...``: the MCP server over stdio, for a local assistant."""

import os

from django.core.management.base import BaseCommand

from assistant.server import mcp_server


class Command(BaseCommand):
    help = "Serve the CSOS MCP tools over stdio for the workspace of an API token."

    def add_arguments(self, parser):
        parser.add_argument(
            "--token",
            default=os.environ.get("CSOS_API_TOKEN"),
            help="A workspace API token with the `read` scope (default: $CSOS_API_TOKEN).",
        )

    def handle(self, *args, **options):
        mcp_server(raw_token=options["token"]).run(transport="stdio")
