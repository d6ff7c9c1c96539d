"""The clerk's console: the page (``page``) and its live queue and actions over /clerk (``namespace``),
today's appointments (``appointments``)."""

from virtual_office.server.console.appointments import ConsoleAppointments
from virtual_office.server.console.namespace import ClerkNamespace
from virtual_office.server.console.page import routes

__all__ = ["ClerkNamespace", "ConsoleAppointments", "routes"]
