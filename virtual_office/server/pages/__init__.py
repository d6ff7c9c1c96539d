"""The server's own pages for city staff: login, the clerk's console and the administration.

Server-rendered with Jinja2 (``templates/``); the console is live over the /clerk namespace.
Citizen pages extend the same ``base.html`` through :data:`templates`.
"""

from virtual_office.server.pages import admin, console, login, visit, waiting_room
from virtual_office.server.pages.templating import page_language, render, templates

routes = [*login.routes, *console.routes, *admin.routes, *waiting_room.routes, *visit.routes]

__all__ = ["page_language", "render", "routes", "templates"]
