"""A clerk driving the server from the test, the way the console does: login, then /clerk.

The socket.io client runs on its own event loop in a thread, so the sync
Playwright tests can use it without sharing (or blocking) a loop.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
import socketio


class ClerkClient:
    """Logs in over HTTP and keeps a WebSocket connection to /clerk."""

    def __init__(self, origin: str, login: str, password: str, lang: str = "de") -> None:
        self.origin = origin
        with httpx.Client(base_url=origin, timeout=10, follow_redirects=False) as http:
            resp = http.post("/api/login", json={"login": login, "password": password})
            if resp.status_code >= 400 or "vo_session" not in http.cookies:
                raise RuntimeError(f"clerk login failed: HTTP {resp.status_code}")
            cookie = f"vo_session={http.cookies['vo_session']}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.sio = socketio.AsyncClient(reconnection=False)
        self._run(self.sio.connect(origin, namespaces=["/clerk"], transports=["websocket"],
                                   headers={"Cookie": cookie}, auth={"lang": lang}, wait_timeout=10))

    def _run(self, coro, timeout: float = 15):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def emit(self, event: str, data: dict[str, object]) -> dict[str, object]:
        answer = self._run(self.sio.call(event, data, namespace="/clerk", timeout=10))
        if not isinstance(answer, dict) or not answer.get("ok"):
            raise RuntimeError(f"{event} refused: {answer!r}")
        return answer

    def presence(self, office_id: str, presence: str) -> None:
        self.emit("presence", {"office_id": office_id, "presence": presence})

    def close(self) -> None:
        try:
            self._run(self.sio.disconnect())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
