"""Every Redis key and channel of the cluster, in one place.

Node keys are global (a handful per deployment). A visit's keys carry the visit's
hash tag ``{visit id}``, as its exchange keys do, so the claim script touches one slot.
"""

PREFIX = "vo:cluster"

NODES = f"{PREFIX}:nodes"
"""Set: ids of the nodes that registered (a node's own key says whether it is alive)."""


def node(node_id: str) -> str:
    """String: a node's registration as JSON, with a short TTL its heartbeat refreshes."""
    return f"{PREFIX}:node:{node_id}"


def commands(node_id: str) -> str:
    """Pub/sub channel: requests to a node and replies to its own requests."""
    return f"{PREFIX}:node:{node_id}:commands"


def home(visit_id: str) -> str:
    """String: the id of the node that holds the visit's media session."""
    return f"{PREFIX}:{{{visit_id}}}:home"


def carriers(visit_id: str) -> str:
    """Hash: participant -> the socket.io sid whose browser tab carries their media."""
    return f"{PREFIX}:{{{visit_id}}}:carriers"


def connections(visit_id: str) -> str:
    """Set: '<node id> <sid> <participant>' of every member connection of the visit, on any node."""
    return f"{PREFIX}:{{{visit_id}}}:connections"
