"""The contract: the bundled document (repaired), its strict overlay and the clauses."""

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
