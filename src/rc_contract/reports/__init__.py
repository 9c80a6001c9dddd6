"""The reports of a run: test outcomes folded into clause outcomes, summary.json/.md, report.html,
failures a person can act on, observations, the evidence manifest, and compare between runs."""
