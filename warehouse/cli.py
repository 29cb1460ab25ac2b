"""`warehouse`: the command line around the refresh job (README.md lists every command)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from warehouse.settings import PROJECT_ROOT, Settings, load_settings

EXIT_CODES = "Exit codes: 0 ok (or nothing new), 1 a step failed, 3 done but some files were quarantined, 75 locked."


class Output:
    """Human output on stderr with rich; --json prints one JSON document on stdout; --quiet prints nothing."""

    def __init__(self, quiet: bool, as_json: bool) -> None:
        self.quiet = quiet
        self.as_json = as_json
        self.console = Console(stderr=True, quiet=quiet or as_json)

    def emit_json(self, payload: object) -> None:
        if self.as_json:
            click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


pass_output = click.make_pass_decorator(Output)


@click.group(epilog=EXIT_CODES)
@click.option("--home", type=click.Path(path_type=Path), envvar="WAREHOUSE_HOME",
              help="Warehouse data home (default ./data, or $WAREHOUSE_HOME).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (for cron).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout (for scripts).")
@click.pass_context
def main(ctx: click.Context, home: Path | None, quiet: bool, as_json: bool) -> None:
    """Analytics warehouse for Itabashi's ICT plan (ICT推進・活用計画2020)."""
    if home is not None:
        os.environ["WAREHOUSE_HOME"] = str(home.resolve())
    ctx.obj = Output(quiet, as_json)


def _settings() -> Settings:
    return load_settings()


def _run_refresh(out: Output, kind: str, full_rebuild: bool) -> int:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from warehouse.refresh import Refresh

    settings = _settings()
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[step]}[/] {task.description}"),
                  TimeElapsedColumn(), console=out.console, transient=True) as progress:
        task = progress.add_task("starting", step="refresh")

        def report(step: str, message: str) -> None:
            progress.update(task, description=message, step=step)

        outcome = Refresh(settings, progress=report, kind=kind, full_rebuild=full_rebuild).run()
    record = outcome.record
    _print_run(out, record.to_dict())
    out.emit_json(record.to_dict())
    if outcome.exit_code != 0 and (out.quiet or out.as_json):
        click.echo(f"warehouse {kind}: {record.message}", err=True)
    return outcome.exit_code


def _print_run(out: Output, record: dict) -> None:
    colour = {"success": "green", "no_op": "cyan", "failed": "red"}.get(str(record["status"]), "yellow")
    out.console.print(f"[{colour}]{record['status']}[/]: {record['message']}")
    steps = record.get("step_seconds") or {}
    if steps:
        out.console.print("  " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in steps.items()))
    for item in record.get("files") or []:
        if item.get("status") == "quarantined":
            out.console.print(f"  [yellow]quarantined[/] {item.get('path')}: {item.get('message')}")


@main.command()
@click.option("--full-rebuild", is_flag=True, help="Rebuild even if nothing changed since the published version.")
@pass_output
def refresh(out: Output, full_rebuild: bool) -> None:
    """The monthly KPI refresh: new extracts → lake → dbt build → quality gates → publish."""
    sys.exit(_run_refresh(out, "refresh", full_rebuild))


@main.command()
@click.option("--start", default="2015-04", show_default=True, help="First month of sample data (YYYY-MM).")
@click.option("--end", default=None, help="Last month (YYYY-MM); default: the last complete month.")
@click.option("--seed", default=20160201, show_default=True, type=int)
@pass_output
def demo(out: Output, start: str, end: str | None, seed: int) -> None:
    """Write the synthetic sample extracts into landing/, then refresh."""
    from warehouse.sample_extracts import write_sample_extracts

    settings = _settings()
    started = time.perf_counter()
    with out.console.status("writing sample extracts…") as status:
        def report(description: str, done: int, total: int) -> None:
            status.update(f"writing sample extracts: {description} ({done}/{total})")

        summary = write_sample_extracts(settings.landing_dir, start_month=start, end_month=end, seed=seed,
                                        real_data_dir=settings.real_data_dir, progress=report)
    out.console.print(f"sample extracts written to {settings.landing_dir} in {time.perf_counter() - started:.1f}s: "
                      f"{sum(summary.files.values())} files, {sum(summary.rows.values()):,} rows "
                      f"({summary.start_month} → {summary.end_month})")
    os.environ["WAREHOUSE_INGEST_SETTLE_SECONDS"] = "0"  # the demo wrote these files itself: they are complete
    code = _run_refresh(out, "demo", False)
    out.console.print(f"demo finished in {time.perf_counter() - started:.1f}s")
    sys.exit(code)


@main.command()
@click.option("--port", default=8501, show_default=True, type=int)
@click.option("--address", default="localhost", show_default=True)
def serve(port: int, address: str) -> None:
    """Serve the Streamlit dashboard on the published warehouse."""
    settings = _settings()
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app" / "streamlit_app.py"),
               "--server.port", str(port), "--server.address", address, "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"]
    env = {**os.environ, "WAREHOUSE_HOME": str(settings.home)}
    click.echo(f"serving http://{address}:{port} on {settings.published_path}", err=True)
    sys.exit(subprocess.call(command, env=env))


@main.command()
@pass_output
def status(out: Output) -> None:
    """The last runs, what each source holds, and freshness."""
    from warehouse.status import collect_status

    settings = _settings()
    report = collect_status(settings)
    out.emit_json(report)
    if out.as_json:
        return
    published = report["published"]
    out.console.print(f"home: {settings.home}")
    out.console.print(f"published: {published['version_id'] if published else '— (run `warehouse demo` or `warehouse refresh`)'}")
    sources = Table(title="sources")
    for column in ("source", "first month", "last month", "rows", "files", "last file loaded", "data through", "fresh"):
        sources.add_column(column)
    for name, item in report["sources"].items():
        sources.add_row(name, str(item["first_month"] or "—"), str(item["last_month"] or "—"), f"{item['rows']:,}",
                        str(item["files"]), str(item["last_file"] or "—"), str(item["data_through_date"] or "—"),
                        "yes" if item["is_fresh"] else "[red]no[/]")
    out.console.print(sources)
    runs = Table(title="last runs")
    for column in ("run", "kind", "status", "seconds", "message"):
        runs.add_column(column)
    for run in report["runs"]:
        runs.add_row(run["run_id"], run["kind"], run["status"], f"{run['seconds']:.1f}", run["message"][:90])
    out.console.print(runs)
    if report["quarantine"]:
        out.console.print(f"[yellow]{len(report['quarantine'])} file(s) in quarantine[/]: "
                          + ", ".join(q["file"] for q in report["quarantine"][:5]))


@main.command()
@pass_output
def rollback(out: Output) -> None:
    """Re-publish the previous good version."""
    from warehouse import database, ledger

    settings = _settings()
    record = ledger.RunRecord(run_id=ledger.new_run_id(), kind="rollback", started_at=ledger.utc_now(),
                              as_of_date=date.today().isoformat())
    try:
        published = database.rollback(settings)
    except database.PublishError as exc:
        record.status, record.message, record.failed_step = "failed", str(exc), "rollback"
        ledger.append(settings, record)
        out.emit_json(record.to_dict())
        click.echo(f"warehouse rollback: {exc}", err=True)
        sys.exit(1)
    record.status, record.warehouse_version = "rolled_back", published.version_id
    record.message = f"re-published {published.version_id}"
    record.finished_at = ledger.utc_now()
    ledger.append(settings, record)
    out.console.print(f"[green]rolled back[/]: {published.version_id} is served again")
    out.emit_json(record.to_dict())


@main.command()
@click.option("--fiscal-year", "fiscal_year", required=True, type=int, help="Fiscal year, e.g. 2020 (令和2年度).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None, help="Where to write the .xlsx.")
@pass_output
def report(out: Output, fiscal_year: int, out_path: Path | None) -> None:
    """Write the yearly progress report (取り組み状況) for a fiscal year as Excel."""
    from warehouse.report import write_yearly_report

    path = write_yearly_report(_settings(), fiscal_year, out_path)
    out.console.print(f"wrote {path}")
    out.emit_json({"path": str(path), "fiscal_year": fiscal_year})


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def sql(query: str, fmt: str) -> None:
    """Run one read-only SQL statement on the published warehouse (same sandbox as the app's console)."""
    from warehouse.sql import sql_command

    sys.exit(sql_command(_settings(), query, fmt))


@main.command()
@pass_output
def export(out: Output) -> None:
    """Write the public datasets to open/ with disclosure control (also a step of every refresh)."""
    from warehouse.open_data import export_open_data

    result = export_open_data(_settings())
    payload = result.to_dict() if hasattr(result, "to_dict") else result
    out.console.print(f"open data written: {payload}")
    out.emit_json(payload)


if __name__ == "__main__":
    main()
