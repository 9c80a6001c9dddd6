"""The live target: the server under test (RC_URL or the bundled reference server's process),
the HTTP session every request goes through, login and version probe, rate-limit pacing and
the time budget, the circuit breaker, shared answers, progress, and redaction of secrets."""
