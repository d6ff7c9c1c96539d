"""A clerk driving the server from the test, the way the console does: login, then /clerk."""

from __future__ import annotations

import httpx
import socketio


class ClerkClient:
    """Logs in over HTTP and keeps a socket.io connection to /clerk (long-polling)."""

    def __init__(self, origin: str, login: str, password: str, lang: str = "de") -> None:
        self.origin = origin
        with httpx.Client(base_url=origin, timeout=10, follow_redirects=False) as http:
            resp = http.post("/login", data={"login": login, "password": password})
            if resp.status_code >= 400 or "vo_session" not in http.cookies:
                raise RuntimeError(f"clerk login failed: HTTP {resp.status_code}")
            cookie = f"vo_session={http.cookies['vo_session']}"
        self.sio = socketio.Client(reconnection=False)
        self.sio.connect(origin, namespaces=["/clerk"], transports=["polling"],
                         headers={"Cookie": cookie}, auth={"lang": lang}, wait_timeout=10)

    def emit(self, event: str, data: dict[str, object]) -> dict[str, object]:
        answer = self.sio.call(event, data, namespace="/clerk", timeout=10)
        if not isinstance(answer, dict) or not answer.get("ok"):
            raise RuntimeError(f"{event} refused: {answer!r}")
        return answer

    def presence(self, office_id: str, presence: str) -> None:
        self.emit("presence", {"office_id": office_id, "presence": presence})

    def close(self) -> None:
        self.sio.disconnect()
