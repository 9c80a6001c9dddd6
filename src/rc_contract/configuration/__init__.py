"""Configuration and start-up: settings from the environment and pytest options, where the
project's data lives, and what is imported before pytest starts."""
