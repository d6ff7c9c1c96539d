"""Today's appointments in the clerk's console: per office the clerk staffs, the time, booking,
services, name if given and whether the citizen has checked in.

The list is part of the console page and pushed to the office's consoles ("appointments" on
/clerk) whenever a booking changes (Appointments.on_change) and when a console connects.
"""

from __future__ import annotations

from typing import Any

import socketio
from redis.exceptions import RedisError

from virtual_office.queue import Booking, Office, QueueError
from virtual_office.queue.bookings import CHECKED_IN
from virtual_office.server.protocol import CLERK, staff_room
from virtual_office.server.services import Services


def booking_for_clerk(booking: Booking, office: Office) -> dict[str, Any]:
    zone = office.appointment_hours.zone
    return {
        "id": booking.id,
        "start": booking.start.isoformat(),
        "time": booking.start.astimezone(zone).strftime("%H:%M"),
        "end_time": booking.end.astimezone(zone).strftime("%H:%M"),
        "reference": booking.reference,
        "services": booking.concern,
        "name": booking.name,
        "checked_in": booking.state == CHECKED_IN,
        "number": booking.number,
        "ticket_id": booking.ticket_id,
    }


class ConsoleAppointments:
    """Builds and pushes each office's list of today's appointments."""

    def __init__(self, sio: socketio.AsyncServer, services: Services) -> None:
        self._sio = sio
        self._services = services

    async def today(self, office: Office) -> dict[str, Any]:
        bookings = await self._services.appointments.today(office.id)
        day = office.appointment_hours.local(self._services.appointments.now()).date()
        return {"office_id": office.id, "day": day.isoformat(), "appointments": [booking_for_clerk(b, office) for b in bookings]}

    async def push(self, office_id: str) -> None:
        """To every console of the office (after a booking changed)."""
        try:
            office = await self._services.offices.get(office_id)
            if office.appointments.takes_appointments:
                await self._sio.emit("appointments", await self.today(office), room=staff_room(office_id), namespace=CLERK)
        except (QueueError, RedisError, OSError):
            return  # the office went, or Redis is away: the next change pushes again (the booking stands)

    async def send(self, sid: str, offices: list[Office]) -> None:
        """To one console that connected, for each of its offices (read through
        :func:`virtual_office.server.tenancy.staffed_offices`) that takes appointments."""
        for office in offices:
            try:
                if office.appointments.takes_appointments:
                    await self._sio.emit("appointments", await self.today(office), to=sid, namespace=CLERK)
            except QueueError:
                continue


__all__ = ["ConsoleAppointments", "booking_for_clerk"]
