"""What a Python protocol's handler gets: the peer's view and the actions it takes.

The engine builds one `Context` per call and applies the recorded actions, in order, when the
handler returns, at the same simulated time.
"""


class Context:
    """The time, the peer, its neighbours and its own random stream; and what it can do."""

    __slots__ = ("now", "peer", "neighbours", "rng", "_seen", "_next", "_types", "_actions")

    def __init__(self, now, peer, neighbours, rng, seen, next_message, types):
        #: The simulated time, ms.
        self.now = now
        #: This peer's id.
        self.peer = peer
        #: Its neighbours' ids, in order.
        self.neighbours = neighbours
        #: The peer's own ``random.Random``, seeded from the run's seed: draw only from it.
        self.rng = rng
        self._seen = seen
        self._next = next_message
        self._types = types
        self._actions = []

    def type_of(self, peer):
        """The name of ``peer``'s type (``"client"``, ``"peer"``)."""
        return self._types[peer]

    def send(self, to, message):
        """Sends ``message`` (any object; its ``size`` attribute is its size in bytes, 1024 if
        it has none) to the neighbour ``to``."""
        self._actions.append(("send", to, message))

    def send_any(self, to, message):
        """Sends ``message`` to any peer, linked or not (P2PSimpy's ``Hello``)."""
        self._actions.append(("send_any", to, message))

    def set_timer(self, after_ms, tag=0):
        """Calls ``on_timer(ctx, tag)`` after ``after_ms`` ms."""
        self._actions.append(("timer", after_ms, tag))

    def store(self, message_id, hops=0):
        """Records a copy of message ``message_id`` that made ``hops`` hops from its source:
        what the delay, copies, hops and convergence tables read. True for the first copy."""
        first = message_id not in self._seen
        self._seen.add(message_id)
        self._actions.append(("store", message_id, hops))
        return first

    def has(self, message_id):
        """True if the peer stored message ``message_id``."""
        return message_id in self._seen

    def produce(self, size=1024):
        """A new message produced at this peer now; returns its id. Store and send it yourself."""
        message_id = self._next
        self._next += 1
        self._actions.append(("produce", size, message_id))
        return message_id

    def connect(self, peer):
        """Links this peer to ``peer``."""
        self._actions.append(("connect", peer))

    def disconnect(self, peer):
        """Drops the link to ``peer``."""
        self._actions.append(("disconnect", peer))
