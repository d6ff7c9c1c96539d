"""The administration (administrators only): the overview, offices and their opening hours,
accounts and who staffs what, the websites that may embed the widget, the embed snippet,
statistics, the offices' appointments (cancelling by the office) and the outbox of mail.
Each is one module; ``office_form`` and ``appointment_form`` read and check the office form."""

from starlette.routing import BaseRoute

from virtual_office.server.admin import appointments, clerks, embed, mail, offices, overview, statistics, tenants

routes: list[BaseRoute] = [*overview.routes, *offices.routes, *clerks.routes, *embed.routes, *statistics.routes,
                           *appointments.routes, *mail.routes, *tenants.routes]

__all__ = ["routes"]
