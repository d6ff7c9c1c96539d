"""The citizen's appointment booking: the booking page (``pages``), its JSON API (``api``), the
pages of the links in the citizen's mails (``pages``) and the mails themselves (``mails``)."""

from starlette.routing import BaseRoute

from virtual_office.server.booking import api, pages

routes: list[BaseRoute] = [*api.routes, *pages.routes]

__all__ = ["routes"]
