"""Group `ingest`: one asset per source, reading the month's file (or query) into contract types."""

import polars as pl
from dagster import AssetExecutionContext, AssetsDefinition, Failure, MaterializeResult, MetadataValue

from assets.common import monthly_asset
from assets.partitions import partition_month
from assets.resources import CcpulseSettings
from core.errors import SourceError, StructuralError
from core.output import markdown_profile
from ingest.load import load_source
from schemas.sources import SOURCES, SourceSpec


def raw_key(source: str) -> str:
    return f"raw_{source}"


def build_raw_asset(spec: SourceSpec) -> AssetsDefinition:
    @monthly_asset(
        name=raw_key(spec.name),
        group_name="ingest",
        kinds={"polars", "csv", "parquet", "xlsx", "postgres"},
        description=(
            f"{spec.description} Read from `<data>/<YYYY-MM>/{spec.name}.{{csv,parquet,xlsx}}` "
            f"(encoding detected), or with the `{spec.name}` query of the SQL source; vendor columns "
            f"mapped and cast to the contract's types (SPEC §2)."
            + ("" if spec.required else " Optional: an empty table when the file (or query) is absent.")
        ),
    )
    def _raw(context: AssetExecutionContext, settings: CcpulseSettings):
        month = partition_month(context.partition_key)
        reader = settings.reader()
        try:
            frame = load_source(reader, spec.name, month, settings.mapping(), settings.policy().timezone)
        except SourceError as error:
            raise Failure(description=str(error), allow_retries=False) from error
        except StructuralError as error:
            raise Failure(
                description=str(error),
                metadata={"origin": error.origin, "columns": ", ".join(error.columns) or "(file)"},
                allow_retries=False,
            ) from error
        return MaterializeResult(
            value=frame,
            metadata={
                "dagster/row_count": frame.height,
                "source": reader.describe(),
                # Its rows are people's (names, shifts, penalties): the UI gets each column's profile, no row.
                "preview": MetadataValue.md(markdown_profile(frame.drop(pl.selectors.starts_with("source_")))),
            },
        )

    return _raw


raw_assets = [build_raw_asset(spec) for spec in SOURCES.values()]
