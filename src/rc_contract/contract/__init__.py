"""The contract: the bundled document (repaired), its strict overlay and the clauses.

Beside them, how an answer is judged against it: Rocket.Chat versions and ranges, the judge,
the checks, where a known value leaks, near-miss ids and the Schemathesis fuzz."""

from rc_contract.contract.catalogue import Catalogue, Clause, Expectation, load_catalogue
from rc_contract.contract.document import LoadedDocument, load_bundled, load_document

__all__ = [
    "Catalogue",
    "Clause",
    "Expectation",
    "LoadedDocument",
    "load_bundled",
    "load_catalogue",
    "load_document",
]
