"""The data contract (SPEC §2): pandera models per source, and the checks that quarantine rows."""
