"""The administration (administrators only): the overview, offices and their opening hours,
accounts and who staffs what, the websites that may embed the widget, the embed snippet,
and statistics. Each is one module; ``office_form`` reads and checks the office form."""

from starlette.routing import BaseRoute

from virtual_office.server.admin import clerks, embed, offices, overview, statistics

routes: list[BaseRoute] = [*overview.routes, *offices.routes, *clerks.routes, *embed.routes, *statistics.routes]

__all__ = ["routes"]
