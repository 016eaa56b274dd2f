"""How a failed run is told to people: on the terminal (`ccpulse run`) and in the ops alert."""

from __future__ import annotations


def step_failure_lines(events) -> list[str]:
    """`[step] what went wrong`, one line per STEP_FAILURE event (the first line of a long error)."""
    lines = []
    for event in events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        data = event.step_failure_data
        user = data.user_failure_data
        error = data.error
        while error is not None and error.cause is not None and error.cls_name.startswith("DagsterExecution"):
            error = error.cause  # Dagster's wrapper says only which step; the cause says what went wrong
        text = user.description if user and user.description else (error.message if error else "failed")
        lines.append(f"[{event.step_key}] {text.strip()}")
    return lines
