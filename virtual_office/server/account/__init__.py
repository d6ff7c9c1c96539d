"""The staff member's own account: their login sessions ("Meine Anmeldungen") and their second factor."""

from starlette.routing import BaseRoute

from virtual_office.server.account import second_factor, sessions

routes: list[BaseRoute] = [*sessions.routes, *second_factor.routes]

__all__ = ["routes"]
