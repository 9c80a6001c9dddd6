"""Contract conformance suite for Rocket.Chat GET /api/v1/livechat/visitors.info."""

__version__ = "0.1.0"
