"""The bundled reference server: a Rocket.Chat look-alike for visitors.info on loopback.

It stands apart from the suite: it imports none of it but the bottom modules and the
bundled contract's document, which it serves. Its faults prove the suite can fail
(``rc-contract prove``, commands/prove.py). Its public face is what the suite may use:
the launcher, the CI accounts' names and the seeded visitor; the rest is its own.
"""

from .server import ReferenceServer
from .state import CI_AGENT, CI_PLAIN, SEEDED_EXTERNAL_IDS_VISITOR_ID

__all__ = ["CI_AGENT", "CI_PLAIN", "SEEDED_EXTERNAL_IDS_VISITOR_ID", "ReferenceServer"]
