"""The bundled reference server: a Rocket.Chat look-alike for visitors.info on loopback.

Its faults prove the suite can fail (proof.py runs the suite once per fault)."""

from rc_contract.releases import supported_versions

from .faults import Fault, FaultSet, UnknownFaultError, catalogue, faults_from_env
from .server import ReferenceServer
from .state import SEEDED_EXTERNAL_IDS_VISITOR_ID
from .variants import UnknownVariantError, Variant, VariantSet, variants_from_env
from .versions import DEFAULT_VERSION, Profile, resolve

__all__ = [
    "DEFAULT_VERSION",
    "SEEDED_EXTERNAL_IDS_VISITOR_ID",
    "Fault",
    "FaultSet",
    "Profile",
    "ReferenceServer",
    "UnknownFaultError",
    "UnknownVariantError",
    "Variant",
    "VariantSet",
    "catalogue",
    "faults_from_env",
    "resolve",
    "supported_versions",
    "variants_from_env",
]
