"""Fees in the visit: the clerk asks for them, the citizen pays on the platform's page or by transfer.

- ``events``: the members' events (``payments``, ``payment_request``, ``payment_retry``) and
  the push of every change of a visit's payment to the visit's room, live.
- ``returned``: the page a platform sends the citizen back to; it reads the status at once.
- ``schemas``: the events' payloads.

The amounts come from the office's catalogue (or a clerk's free entry) on the server; the
citizen can only choose to pay, or to try again after a payment failed or was cancelled.
"""

from virtual_office.server.visit.payments.events import PaymentEvents, payment_json, return_url
from virtual_office.server.visit.payments.returned import routes

__all__ = ["PaymentEvents", "payment_json", "return_url", "routes"]
