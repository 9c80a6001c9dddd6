"""Self-test session extras: print the mutation score when the fault proof ran."""


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    report = getattr(config, "_rc_proof", None)
    if report:
        terminalreporter.write_line(
            f"rc-contract mutation score: {report['caught']}/{report['faults']} faults caught "
            f"by their clause (score {report['score']}), clean versions pass: "
            f"{report['clean_versions_pass']}, proof took {report['duration_s']} s "
            "(reports/mutation-score.md)"
        )
