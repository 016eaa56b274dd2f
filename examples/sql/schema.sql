-- The reference schema that examples/sql/queries.yaml reads, and that the tests and
-- `make bench` load generated months into. Your database will differ: keep your tables and
-- write one query per source that returns the columns of SPEC §2 (rename with AS).
--
-- Rosters are monthly snapshots (the roster at each month's end, as SPEC §2 counts it).
-- Activity tables hold events, each dated once. A complaint is one row with its latest
-- status, and the complaints query recovers its status at each month's end.

CREATE TABLE teams_monthly (
    snapshot_month   date NOT NULL,  -- first day of the month whose end the row describes
    team_id          text NOT NULL,
    team_name        text NOT NULL,
    site             text NOT NULL,
    supervisor_id    text NOT NULL,
    supervisor_name  text NOT NULL,
    supervisor_email text,
    PRIMARY KEY (snapshot_month, team_id)
);

CREATE TABLE agents_monthly (
    snapshot_month date NOT NULL,
    agent_id       text NOT NULL,
    agent_name     text NOT NULL,
    team_id        text NOT NULL,
    shift_pattern  text NOT NULL,
    hire_date      date NOT NULL,
    exit_date      date,
    email          text,
    PRIMARY KEY (snapshot_month, agent_id)
);

CREATE TABLE attendance (
    shift_id        text PRIMARY KEY,
    agent_id        text NOT NULL,
    shift_date      date NOT NULL,
    scheduled_start timestamp NOT NULL,  -- the center's local wall-clock time
    scheduled_end   timestamp NOT NULL,
    clock_in        timestamp,
    clock_out       timestamp,
    leave_type      text NOT NULL,
    leave_approved  boolean NOT NULL
);
CREATE INDEX attendance_shift_date ON attendance (shift_date);

CREATE TABLE qa_evaluations (
    evaluation_id  text PRIMARY KEY,
    agent_id       text NOT NULL,
    evaluated_at   timestamp NOT NULL,
    evaluator_id   text NOT NULL,
    channel        text NOT NULL,
    score          numeric(5, 2) NOT NULL,
    critical_error boolean NOT NULL
);
CREATE INDEX qa_evaluations_evaluated_at ON qa_evaluations (evaluated_at);

CREATE TABLE qa_deductions (
    evaluation_id text NOT NULL REFERENCES qa_evaluations,
    item_code     text NOT NULL,
    category      text NOT NULL,
    points        numeric(5, 2) NOT NULL,
    item_name     text
);
CREATE INDEX qa_deductions_evaluation ON qa_deductions (evaluation_id);

CREATE TABLE csat_responses (
    response_id  text PRIMARY KEY,
    agent_id     text NOT NULL,
    responded_at timestamptz NOT NULL,  -- a survey tool that stores instants, not wall-clock times
    score        smallint NOT NULL,
    channel      text NOT NULL
);
CREATE INDEX csat_responses_responded_at ON csat_responses (responded_at);

CREATE TABLE complaints (
    complaint_id text PRIMARY KEY,
    agent_id     text,  -- null: not attributed to an agent
    received_at  timestamp NOT NULL,
    category     text NOT NULL,
    severity     text NOT NULL,
    status       text NOT NULL,  -- the latest status
    closed_at    timestamp
);

CREATE TABLE discipline (
    action_id     text PRIMARY KEY,
    agent_id      text NOT NULL,
    kind          text NOT NULL,
    category      text NOT NULL,
    reason_code   text NOT NULL,
    incident_date date NOT NULL,
    action_date   date NOT NULL,
    amount        numeric(12, 2),
    complaint_id  text,
    issued_by     text NOT NULL
);
CREATE INDEX discipline_action_date ON discipline (action_date);
