"""What the city's website sees: the widget script (``widget``), office status over /public
(``namespace``), the JSON office list and the health check (``api``)."""

from virtual_office.server.public.api import routes
from virtual_office.server.public.namespace import PublicNamespace
from virtual_office.server.public.widget import widget_routes

__all__ = ["PublicNamespace", "routes", "widget_routes"]
