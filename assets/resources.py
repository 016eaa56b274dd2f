"""The run's settings: where data comes from and goes, the policy, the column mapping, and how mail leaves."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext

from core.errors import ConfigError
from core.months import Month
from core.policy import Policy
from schemas.expectations import load_policy_for_run
from delivery.transports import OutboxTransport, SmtpConfig, SmtpTransport, Transport
from ingest.files import FileSource
from ingest.load import SourceReader
from ingest.mapping import ColumnMapping, load_mapping
from ingest.sql import SqlSource, load_queries


class CcpulseSettings(ConfigurableResource):
    """Configured from environment variables (CCPULSE_DATA_DIR, CCPULSE_OUT_DIR, …) in the Definitions."""

    data_dir: str = ""
    out_dir: str
    policy_file: str = ""
    column_mapping_file: str = ""
    source: str = "files"
    sql_uri: str = ""  # CCPULSE_SQL_URI: read at run time, never stored in run config
    sql_queries_file: str = ""

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """A group's run serves one center-month: its data, out folder and policy are that center's (centers.yaml, as
        the code location loaded it from CCPULSE_CENTERS), whatever launched it (a sensor, the UI, a backfill,
        `ccpulse run`) and whatever run config says: a launch cannot point a center's run, or the group's, at another
        center's folders. The group's own runs write the group's out folder. Set once, before any step reads them."""
        from assets.partitions import GROUP, run_center

        if GROUP is None or context.dagster_run is None:
            return
        center_id = run_center(context.dagster_run.tags)
        if center_id is None:
            self._take_folders(data_dir="", out_dir=str(GROUP.out), policy_file="")
            return
        center = GROUP.center(center_id)
        self._take_folders(data_dir=str(center.data), out_dir=str(center.out),
                           policy_file=str(center.policy) if center.policy else "")

    def _take_folders(self, **folders: str) -> None:
        # A resource's fields are frozen once configured; the run's center is known only now, from its tags.
        for name, value in folders.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "source", "files")
        object.__setattr__(self, "column_mapping_file", "")

    def policy(self) -> Policy:
        return load_policy_for_run(self.policy_file or None)

    def mapping(self) -> ColumnMapping:
        return load_mapping(self.column_mapping_file or None)

    def reader(self) -> SourceReader:
        if self.source == "files":
            if not self.data_dir:
                raise ConfigError("the files source needs CCPULSE_DATA_DIR (the folder of <YYYY-MM>/ folders)")
            return FileSource(self.data_dir)
        if self.source == "sql":
            if not self.sql_queries_file:
                raise ConfigError("the SQL source needs CCPULSE_SQL_QUERIES (the YAML file of one query per source)")
            return SqlSource(self.sql_uri, load_queries(self.sql_queries_file), self.policy().timezone)
        raise ConfigError(f"CCPULSE_SOURCE is {self.source!r}; expected 'files' or 'sql'")

    def month_dir(self, month: Month) -> Path:
        path = Path(self.out_dir) / str(month)
        path.mkdir(parents=True, exist_ok=True)
        return path


class MailSettings(ConfigurableResource):
    """How reports leave (SPEC §11): `outbox` writes `.eml` files, `smtp` sends through a server.

    Configured from CCPULSE_MAIL_* and CCPULSE_SMTP_* environment variables through EnvVar, so
    the password is read at run time and never stored in run config, logs or metadata.
    """

    transport: str = "outbox"
    sender: str = "ccpulse <ccpulse@example.invalid>"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_ca_file: str = ""
    smtp_timeout_seconds: float = 30
    smtp_attempts: int = 4
    smtp_first_wait_ms: int = 2000  # the first retry waits this long, each next one twice as long

    def transport_for(self, outbox: Path) -> Transport:
        if self.transport == "outbox":
            return OutboxTransport(outbox)
        if self.transport != "smtp":
            raise ConfigError(f"CCPULSE_MAIL_TRANSPORT is {self.transport!r}; expected 'outbox' or 'smtp'")
        if not self.smtp_host:
            raise ConfigError("CCPULSE_MAIL_TRANSPORT is 'smtp' but CCPULSE_SMTP_HOST is not set")
        if self.smtp_security not in ("starttls", "tls", "none"):
            raise ConfigError(f"CCPULSE_SMTP_SECURITY is {self.smtp_security!r}; expected starttls, tls or none")
        config = SmtpConfig(
            host=self.smtp_host, port=self.smtp_port, security=self.smtp_security, username=self.smtp_user,
            password=self.smtp_password, ca_file=self.smtp_ca_file, timeout_seconds=self.smtp_timeout_seconds,
            attempts=self.smtp_attempts, first_wait_seconds=self.smtp_first_wait_ms / 1000)
        return SmtpTransport(config, self.sender)
