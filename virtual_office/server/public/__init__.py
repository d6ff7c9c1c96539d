"""What the city's website sees: the widget script, office status over /public, the JSON office list."""

from starlette.routing import BaseRoute

from virtual_office.server.public.api import routes as api_routes
from virtual_office.server.public.namespace import PublicNamespace
from virtual_office.server.public.widget import widget_routes

__all__ = ["PublicNamespace", "api_routes", "widget_routes"]

routes: list[BaseRoute] = list(api_routes)
