"""The server: Starlette HTTP routes, socket.io namespaces, authentication, templates.

Uses ``virtual_office.queue`` and ``virtual_office.media``; they know nothing of it.
"""

from virtual_office.server.app import create_app

__all__ = ["create_app"]
