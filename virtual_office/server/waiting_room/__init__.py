"""The citizen's waiting room: the page (``page``), the device check (``check``), joining and
leaving (``api``), and the ticket's live view over /citizen (``namespace``)."""

from starlette.routing import BaseRoute

from virtual_office.server.waiting_room import api, check, page
from virtual_office.server.waiting_room.namespace import CitizenNamespace

routes: list[BaseRoute] = [*page.routes, *check.routes, *api.routes]

__all__ = ["CitizenNamespace", "routes"]
