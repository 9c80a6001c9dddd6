"""Configuration: names from design.md, options over environment, one clear error each."""

import pytest

from rc_contract.configuration.settings import SETTINGS, ConfigError, resolve
from rc_contract.versions import RCVersion, VersionRange

LIVE = {"RC_URL": "https://chat.example.com", "RC_USER": "ci", "RC_PASSWORD": "pw-secret-1"}


def test_names_are_design_md_names():
    assert set(SETTINGS) >= {
        "RC_URL", "RC_USER", "RC_PASSWORD", "RC_USER_ID", "RC_AUTH_TOKEN",
        "RC_UNPRIVILEGED_USER", "RC_UNPRIVILEGED_PASSWORD", "RC_EXTERNAL_IDS_VISITOR",
        "RC_SERVER_VERSION", "RC_CONTRACT_VERSION", "RC_FUZZ_EXAMPLES", "RC_REPORT_DIR",
        "RC_REFERENCE_VERSION",
    }
    for env, setting in SETTINGS.items():
        assert setting.option == "--" + env.lower().replace("_", "-")


def test_defaults_use_the_reference_server():
    settings = resolve({}, {})
    assert settings.uses_reference
    assert str(settings.reference_version) == "9.0.0"
    assert str(settings.report_dir) == "reports"


def test_time_budget_and_reference_limiter():
    settings = resolve({}, {})
    assert settings.time_budget_s == 180 and settings.reference_limiter == "off"
    settings = resolve({"RC_TIME_BUDGET": "600"}, {"RC_TIME_BUDGET": "120",
                                                   "RC_REFERENCE_LIMITER": "Before-Permission"})
    assert settings.time_budget_s == 600 and settings.reference_limiter == "before-permission"


def test_options_override_environment():
    settings = resolve({"RC_FUZZ_EXAMPLES": "7"}, {"RC_FUZZ_EXAMPLES": "100"})
    assert settings.fuzz_examples == 7


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"RC_URL": "chat.example.com"}, "not an http(s) URL"),
        ({"RC_URL": "https://chat.example.com"}, "no credentials"),
        ({**LIVE, "RC_PASSWORD": ""}, "RC_PASSWORD is not"),
        ({"RC_URL": "https://x.example", "RC_USER_ID": "u"}, "RC_USER_ID and RC_AUTH_TOKEN"),
        ({**LIVE, "RC_UNPRIVILEGED_USER": "bob"}, "RC_UNPRIVILEGED_PASSWORD"),
        ({"RC_SERVER_VERSION": "eight"}, "RC_SERVER_VERSION='eight' is not a version"),
        ({"RC_CONTRACT_VERSION": "8.x"}, "RC_CONTRACT_VERSION"),
        ({"RC_FUZZ_EXAMPLES": "many"}, "RC_FUZZ_EXAMPLES"),
        ({"RC_FUZZ_EXAMPLES": "0"}, "positive whole number"),
        ({"RC_REFERENCE_VERSION": "7.9.0"}, "not emulated"),
        ({**LIVE, "RC_REFERENCE_FAULTS": "x"}, "only applies to the bundled"),
        ({"RC_URL": "https://chat.example.com/api/v1"}, "without /api"),
        ({"RC_TIME_BUDGET": "soon"}, "RC_TIME_BUDGET='soon' is not a number of seconds"),
        ({"RC_TIME_BUDGET": "0"}, "RC_TIME_BUDGET"),
        ({"RC_REFERENCE_LIMITER": "sideways"}, "RC_REFERENCE_LIMITER='sideways' is not one of"),
        ({**LIVE, "RC_REFERENCE_LIMITER": "on"}, "only applies to the bundled"),
    ],
)
def test_bad_configuration_is_one_clear_line(values, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        resolve({}, values)
    text = str(info.value)
    assert "\n" not in text
    assert "pw-secret-1" not in text


def test_major_minor_is_a_line_that_orders_as_dot_zero():
    line = RCVersion.parse("8.5")
    assert not line.exact and str(line) == "8.5"
    assert line == RCVersion.parse("8.5.0")
    assert RCVersion.parse("8.4.1") < RCVersion.parse("8.5.0") < RCVersion.parse("9.0.0")


@pytest.mark.parametrize(
    "text", ["9.0", "9.0.0", "9.0.0-rc.3", "8.10.0-develop", "9.1.0-rc.4", "v8.5.2", "8.5.2+build.7"]
)
def test_every_version_string_a_server_gives_parses(text):
    assert RCVersion.parse(text).major in (8, 9)


@pytest.mark.parametrize("text", ["", "8", "eight", "8.x", "8.5.2.1", "8.5-rc", "9.0.0-"])
def test_what_is_not_a_version_is_refused(text):
    with pytest.raises(ValueError, match=r"not a Rocket\.Chat version"):
        RCVersion.parse(text)


def test_versions_order_the_semver_way():
    """A prerelease comes before its release; numeric identifiers compare as numbers."""
    ordered = ["8.4.1", "8.10.0-develop", "8.10.0-rc.1", "8.10.0", "9.0.0-rc.1", "9.0.0-rc.3",
               "9.0.0-rc.10", "9.0.0", "9.0.1", "9.1.0-rc.0", "9.1.0-rc.4"]
    parsed = [RCVersion.parse(text) for text in ordered]
    assert sorted(reversed(parsed)) == parsed
    assert [str(v) for v in parsed] == ordered


@pytest.mark.parametrize(
    ("range_text", "version", "inside"),
    [(">=8.5.0", "8.4.1", False), (">=8.5.0", "8.5.0", True), (">=8.4.0", "9.0.0", True),
     ("<9.0.0", "8.5.2", True), ("<9.0.0", "9.0.0", False), ("all", "1.0.0", True),
     # semver, not PEP 440: a release candidate is before its release, inside "<9.0.0".
     ("<9.0.0", "9.0.0-rc.3", True), (">=9.0.0", "9.0.0-rc.8", False),
     (">=9.0.0", "9.1.0-rc.4", True), (">=9.0.0-rc.3", "9.0.0-rc.2", False),
     (">=9.0.0-rc.3", "9.0.0-rc.3", True),
     (">=8.3.4,<8.4.0 || >=8.4.2,<8.5.0", "8.4.1", False),
     (">=8.3.4,<8.4.0 || >=8.4.2,<8.5.0", "8.4.4", True),
     (">=8.3.4,<8.4.0 || >=8.4.2,<8.5.0", "8.3.8", True)],
)
def test_version_ranges(range_text, version, inside):
    assert VersionRange(range_text).contains(RCVersion.parse(version)) is inside
