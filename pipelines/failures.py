"""How a failed run is told to people: on the terminal (`ccpulse run`) and in the ops alert."""

from __future__ import annotations

from dagster import AssetCheckSeverity


def _check_detail(evaluation) -> str:
    """What a failed check saw: its description, or the observed value and examples it recorded."""
    if evaluation.description:
        return evaluation.description
    metadata = {key: getattr(value, "value", value) for key, value in (evaluation.metadata or {}).items()}
    parts = [str(metadata[key]) for key in ("observed", "unexpected_examples") if metadata.get(key) not in (None, "", "none")]
    return " — ".join(parts) or "failed"


def _plain(error) -> str:
    """The error's own words, without the `package.module.ClassName: ` Dagster puts before them."""
    text = error.message.strip()
    prefix = f"{error.cls_name}: "
    return text.split(prefix, 1)[1] if prefix in text.split("\n", 1)[0] else text


def step_failure_lines(events) -> list[str]:
    """`[step] what went wrong`, one line per failed step, each followed by the blocking checks that
    stopped it (`  asset.check: what it saw`), so the reader needs no UI to know what to fix. Steps that
    failed for the same reason share one line (`[raw_teams, raw_agents] no folder for 2026-08 …`): a month
    without data is said once, not once per source."""
    lines = _failure_lines(events)
    grouped: dict[str, list[str]] = {}
    for step, text, checks in lines:
        grouped.setdefault(text if not checks else f"{step}\n{text}", []).append(step)
    said = []
    for step, text, checks in lines:
        key = text if not checks else f"{step}\n{text}"
        if key in grouped:
            said.append(f"[{', '.join(grouped.pop(key))}] {text}")
            said += checks
    return said


def _failure_lines(events) -> list[tuple[str, str, list[str]]]:
    """(step, what went wrong, the blocking checks that stopped it) per failed step, in order."""
    lines, checks = [], {}
    for event in events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.asset_check_evaluation_data
            if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
                checks.setdefault(event.step_key, []).append(
                    f"  {evaluation.asset_key.to_user_string()}.{evaluation.check_name}: {_check_detail(evaluation)}")
            continue
        if event.event_type_value == "RESOURCE_INIT_FAILURE":  # before any step: the run could not start
            error = event.engine_event_data.error
            lines.append(("run", _plain(error) if error else "a resource could not start", []))
            continue
        if event.event_type_value != "STEP_FAILURE":
            continue
        data = event.step_failure_data
        user = data.user_failure_data
        error = data.error
        while error is not None and error.cause is not None and error.cls_name.startswith("DagsterExecution"):
            error = error.cause  # Dagster's wrapper says only which step; the cause says what went wrong
        text = user.description if user and user.description else (error.message if error else "failed")
        if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
            text = "stopped by a failed blocking check:"  # the checks follow, each with what it saw
        lines.append((event.step_key, text.strip(), checks.pop(event.step_key, [])))
    return lines
