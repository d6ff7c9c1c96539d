"""The server, by feature: ``public`` (what a city's website sees), ``waiting_room``,
``visit``, ``console`` and ``admin``, each with its routes, socket.io namespace,
templates and page scripts; and the rules applied once for all of them: ``sessions``,
``security``, ``realtime`` (every inbound event), ``templating``, ``assets``.

Uses ``virtual_office.queue`` and ``virtual_office.media``; they know nothing of it.
"""

from virtual_office.server.app import create_app

__all__ = ["create_app"]
