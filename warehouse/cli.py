"""`warehouse`: the command line around the refresh job (README.md lists every command)."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from warehouse.platform.settings import PROJECT_ROOT, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from warehouse.serving.sandbox import QueryResult

EXIT_CODES = ("Exit codes: 0 ok (or nothing new); 1 a step failed (the published warehouse is untouched) or "
              "status found a served file that is not sound; 2 unusable settings or home (one line names the "
              "setting or path); 3 done, but some files were quarantined or set aside; 75 another refresh "
              "holds the lock. Options --home, --quiet, --json and --debug also work after the command.")


class HomeError(RuntimeError):
    """The warehouse home does not exist or is not a warehouse home (exit 2)."""


class Output:
    """Human output on stderr with rich; --json prints one JSON document on stdout; --quiet prints only errors."""

    def __init__(self, quiet: bool, as_json: bool, debug: bool = False) -> None:
        self.quiet = quiet
        self.as_json = as_json
        self.debug = debug
        self.home_report = None  # what the home check before the command repaired (database.HomeReport)

    @property
    def console(self) -> Console:
        return Console(stderr=True, quiet=self.quiet or self.as_json)

    def emit_json(self, payload: object) -> None:
        if self.as_json:
            click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


pass_output = click.make_pass_decorator(Output)


def _set_option(name: str):
    def callback(ctx: click.Context, param: click.Parameter, value: object) -> None:
        out = ctx.find_object(Output)
        if out is None or value in (None, False):
            return
        if name == "home":
            os.environ["WAREHOUSE_HOME"] = str(Path(str(value)).expanduser().resolve())
        elif name == "verbose":
            os.environ["WAREHOUSE_VERBOSE"] = "1"
        else:
            setattr(out, name, True)
            _quiet_libraries(out)
    return callback


def _common_options() -> list[click.Option]:
    """--home, --quiet, --json, --debug: accepted after the command too (`warehouse status --json`)."""
    return [
        click.Option(["--home"], type=click.Path(path_type=Path), expose_value=False, callback=_set_option("home"),
                     help="Warehouse data home (same as the option before the command)."),
        click.Option(["--quiet", "-q"], is_flag=True, expose_value=False, callback=_set_option("quiet"),
                     help="Print nothing but errors (for cron)."),
        click.Option(["--json", "as_json"], is_flag=True, expose_value=False, callback=_set_option("as_json"),
                     help="Print the result as JSON on stdout (for scripts)."),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=_set_option("debug"),
                     help="Show the traceback of an unexpected error."),
        click.Option(["--verbose"], is_flag=True, expose_value=False, callback=_set_option("verbose"),
                     help="Let the quality gates draw their progress bars."),
    ]


class WarehouseGroup(click.Group):
    """Every command accepts the global options after its name; errors become one line and an exit code."""

    group_class = type  # nested groups (`warehouse files ...`) behave the same

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        names = {opt for param in cmd.params for opt in getattr(param, "opts", [])}
        cmd.params.extend(option for option in _common_options() if not set(option.opts) & names)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except (SettingsError, HomeError) as exc:
            click.echo(f"warehouse: {exc}", err=True)
            ctx.exit(2)
        except Exception as exc:
            out = ctx.find_object(Output)
            if (out is not None and out.debug) or os.environ.get("WAREHOUSE_DEBUG"):
                raise
            log = _write_error_log(exc)
            click.echo(f"warehouse: unexpected error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                       f" (traceback in {log}; --debug shows it here)", err=True)
            ctx.exit(1)


def _write_error_log(exc: BaseException) -> Path:
    """The traceback of an unexpected error, under runs/ of the home if there is one, else in the temp folder."""
    import tempfile
    import traceback
    from datetime import UTC, datetime

    text = "".join(traceback.format_exception(exc))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidates = []
    home = os.environ.get("WAREHOUSE_HOME")
    if home and Path(home).is_dir():
        candidates.append(Path(home) / "runs")
    candidates.append(Path(tempfile.gettempdir()))
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"error-{stamp}-{os.getpid()}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return Path("(not written)")


def _quiet_libraries(out: Output) -> None:
    """--quiet and --json: no library warnings or logs on the terminal (the gates' progress bars are off unless
    --verbose: expectations.run_gates)."""
    if out.quiet or out.as_json:
        import logging
        import warnings

        warnings.simplefilter("ignore")
        logging.getLogger().setLevel(logging.ERROR)
        os.environ.setdefault("PYTHONWARNINGS", "ignore")


@click.group(cls=WarehouseGroup, epilog=EXIT_CODES)
@click.option("--home", type=click.Path(path_type=Path), envvar="WAREHOUSE_HOME",
              help="Warehouse data home (default ./data, or $WAREHOUSE_HOME).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (for cron).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout (for scripts).")
@click.option("--debug", is_flag=True, envvar="WAREHOUSE_DEBUG", help="Show the traceback of an unexpected error.")
@click.option("--verbose", is_flag=True, help="Let the quality gates draw their progress bars.")
@click.pass_context
def main(ctx: click.Context, home: Path | None, quiet: bool, as_json: bool, debug: bool, verbose: bool) -> None:
    """Analytics warehouse for Itabashi's ICT plan (ICT推進・活用計画2020)."""
    if home is not None:
        os.environ["WAREHOUSE_HOME"] = str(home.expanduser().resolve())
    if verbose:
        os.environ["WAREHOUSE_VERBOSE"] = "1"
    ctx.obj = Output(quiet, as_json, debug)
    _quiet_libraries(ctx.obj)


def _looks_like_home(path: Path) -> bool:
    from warehouse.platform.database import looks_like_home

    return looks_like_home(path)


def _settings(create: bool = False) -> Settings:
    """Settings checked once (SettingsError: exit 2), the home checked and repaired (database.check_home).

    create=False (status, sql, serve, rollback, ...): a home that does not exist is an error (exit 2).
    create=True (refresh, demo): a new home is created, and the command says so; their check runs under the
    refresh lock inside the refresh.
    """
    from warehouse.platform import database

    settings = load_settings()
    ctx = click.get_current_context(silent=True)
    out = ctx.find_object(Output) if ctx else None
    home = settings.home
    is_home = home.is_dir() and (_looks_like_home(home) or not any(home.iterdir()))
    if not is_home:
        if not create:
            what = "does not exist" if not home.exists() else "is not a warehouse home"
            raise HomeError(f"no warehouse home at {home} (the path {what}): check --home or WAREHOUSE_HOME, or "
                            "create one with `warehouse demo` (sample data) or `warehouse refresh` (files in landing/)")
        if not (home.exists() and home.is_dir() and _looks_like_home(home)):
            if home.exists() and not home.is_dir():
                raise HomeError(f"the warehouse home {home} is a file, not a folder: check --home or WAREHOUSE_HOME")
            if out is not None:
                out.console.print(f"[yellow]creating a new warehouse home at {home}[/] (put files in "
                                  f"{home / 'landing'}/<kind>/)")
        return settings
    if not create:
        report = database.check_home(settings)
        if out is not None:
            out.home_report = report
            for line in report.repairs:
                out.console.print(f"[yellow]repaired[/]: {escape(str(line))}")
            for line in report.problems:
                if not out.as_json:
                    click.echo(f"warehouse: problem in {home}: {line}", err=True)
    return settings


def _run_refresh(out: Output, kind: str, full_rebuild: bool) -> int:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from warehouse.platform import heap
    from warehouse.platform.allocators import tune_for_batch

    tune_for_batch()  # before polars is imported
    from warehouse.refresh import Refresh

    settings = _settings(create=True)
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[step]}[/] {task.description}"),
                  TimeElapsedColumn(), console=out.console, transient=True) as progress:
        task = progress.add_task("starting", step="refresh")
        steps: list[str] = []

        def report(step: str, message: str) -> None:
            if not steps or steps[-1] != step:  # one line per step; the spinner shows progress within it
                steps.append(step)
                progress.console.print(f"[bold]{step}[/] {escape(message)}")
            progress.update(task, description=message, step=step)

        outcome = Refresh(settings, progress=report, kind=kind, full_rebuild=full_rebuild).run()
    record = outcome.record
    _print_run(out, record.to_dict())
    out.emit_json(record.to_dict())
    if outcome.exit_code != 0 and (out.quiet or out.as_json):
        click.echo(f"warehouse {kind}: {record.message}", err=True)
    heap.leave_to_the_os()
    return outcome.exit_code


def _print_run(out: Output, record: dict) -> None:
    colour = {"success": "green", "no_op": "cyan", "failed": "red"}.get(str(record["status"]), "yellow")
    out.console.print(f"[{colour}]{record['status']}[/]: {escape(str(record['message']))}")
    steps = record.get("step_seconds") or {}
    if steps:
        out.console.print("  " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in steps.items()))
    for item in record.get("files") or []:
        if item.get("status") == "quarantined":
            out.console.print(f"  [yellow]quarantined[/] {escape(str(item.get('path')))}: {escape(str(item.get('message')))}")


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
    from demo_data import write_sample_extracts

    settings = _settings(create=True)
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
    """The last runs, what each source holds, freshness, and whether the served file is sound."""
    from warehouse.status import collect_status

    settings = _settings()
    report = collect_status(settings, home=out.home_report)
    out.emit_json(report)
    check = report["home_check"]
    served = report["served_file"]
    unsound = bool(served.get("exists")) and (not served.get("opens") or served.get("checksum_ok") is False)
    if out.as_json:
        sys.exit(1 if unsound or not check["ok"] else 0)
    published = report["published"]
    out.console.print(f"home: {settings.home}")
    out.console.print(f"published: {published['version_id'] if published else '— (run `warehouse demo` or `warehouse refresh`)'}")
    if unsound:
        click.echo(f"warehouse status: the served file {served['path']} is not sound: "
                   f"{served.get('error') or 'its checksum differs from the one recorded at publish'}", err=True)
    for line in check["repairs"]:
        out.console.print(f"[yellow]repaired[/]: {escape(str(line))}")
    for line in check["problems"]:
        click.echo(f"warehouse status: problem: {line}", err=True)
    for line in report["ledger_warnings"]:
        out.console.print(f"[yellow]ledger[/]: {escape(str(line))}")
    if check.get("refresh_running"):
        out.console.print("[cyan]a refresh is running[/]")
    sources = Table(title="sources")
    for column in ("source", "first month", "last month", "rows", "files", "last file loaded", "data through", "fresh"):
        sources.add_column(column)
    for name, item in report["sources"].items():
        sources.add_row(name, str(item["first_month"] or "—"), str(item["last_month"] or "—"), f"{item['rows']:,}",
                        str(item["files"]), str(item["last_file"] or "—"), str(item["data_through_date"] or "—"),
                        "yes" if item["is_fresh"] else "[red]no[/]")
    out.console.print(sources)
    checked = report.get("lake_verify")
    if checked:
        colour = "green" if checked.get("ok") and not checked.get("set_aside") else "yellow"
        out.console.print(f"[{colour}]{escape(str(checked.get('summary')))}[/] (checked {checked.get('at')})")
    runs = Table(title="last runs")
    for column in ("run", "kind", "status", "seconds", "message"):
        runs.add_column(column)
    for run in report["runs"]:
        runs.add_row(run["run_id"], run["kind"], run["status"], f"{run['seconds']:.1f}", escape(run["message"][:90]))
    out.console.print(runs)
    if report["quarantine"]:
        out.console.print(f"[yellow]{len(report['quarantine'])} file(s) in quarantine[/]: "
                          + ", ".join(q["file"] for q in report["quarantine"][:5]))
    digest = report.get("last_digest")
    if digest:
        counts = digest.get("counts") or {}
        sent = ", ".join(f"{d['channel']} {'sent' if d['ok'] else 'NOT sent: ' + str(d['error'])}"
                         for d in digest.get("delivery") or []) or "not sent (no [notify] channel set)"
        out.console.print(f"last digest: {escape(str(digest['path']))} ({counts.get('changed', 0)} status change(s), "
                          f"{counts.get('off_track', 0)} off track, {counts.get('quarantined', 0)} quarantined; "
                          f"{escape(sent)})")
    for closed in report["closed_years"]:
        out.console.print(f"FY{closed['fiscal_year']} closed by {escape(str(closed['closed_by']))} at "
                          f"{closed['closed_at']} (figures of {closed['reported_warehouse_version']})")
    for problem in report["closed_year_problems"]:
        out.console.print(f"[yellow]FY{problem['fiscal_year']} closed, but {escape(problem['detail'])}[/]: the next "
                          "`warehouse refresh` restores the snapshot from the published warehouse when it can, else "
                          "treats the year as not closed (exit 3)")
    sys.exit(1 if unsound or not check["ok"] else 0)


@main.command()
@pass_output
def rollback(out: Output) -> None:
    """Re-publish the previous good version (verified by checksum first; a damaged one is skipped)."""
    from warehouse.platform import database, ledger

    settings = _settings()
    record = ledger.RunRecord(run_id=ledger.new_run_id(), kind="rollback", started_at=ledger.utc_now(),
                              as_of_date=settings.as_of_date.isoformat())
    try:
        with database.home_lock(settings):
            database.check_home(settings, locked=True)
            ledger.append(settings, record)  # "running": a killed rollback leaves a trace
            published = database.rollback(settings)
    except database.HomeLocked as exc:
        click.echo(f"warehouse rollback: {exc}", err=True)
        sys.exit(75)
    except database.PublishError as exc:
        record.status, record.message, record.failed_step = "failed", str(exc), "rollback"
        record.finished_at = ledger.utc_now()
        ledger.append(settings, record)
        out.emit_json(record.to_dict())
        click.echo(f"warehouse rollback: {exc}", err=True)
        sys.exit(1)
    record.status, record.warehouse_version = "rolled_back", published.version_id
    record.message = f"re-published {published.version_id}"
    if published.skipped:
        record.message += "; skipped damaged version(s): " + "; ".join(published.skipped)
    record.finished_at = ledger.utc_now()
    ledger.append(settings, record)
    for line in published.skipped:
        click.echo(f"warehouse rollback: skipped {line}", err=True)
    out.console.print(f"[green]rolled back[/]: {published.version_id} is served again")
    out.emit_json(record.to_dict())


@main.command()
@click.option("--fiscal-year", "fiscal_year", required=True, type=int, help="Fiscal year, e.g. 2020 (令和2年度).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None, help="Where to write the .xlsx.")
@pass_output
def report(out: Output, fiscal_year: int, out_path: Path | None) -> None:
    """Write the yearly progress report (取り組み状況) for a fiscal year as Excel."""
    from warehouse.products.report import write_yearly_report

    path = write_yearly_report(_settings(), fiscal_year, out_path)
    out.console.print(f"wrote {path}")
    out.emit_json({"path": str(path), "fiscal_year": fiscal_year})



@main.command("close-year")
@click.argument("fiscal_year", type=int)
@click.option("--reopen", is_flag=True, help="Undo a close: the year's figures follow the lake again.")
@click.option("--reason", default="", help="Why it is reopened (recorded in the run ledger).")
@pass_output
def close_year_command(out: Output, fiscal_year: int, reopen: bool, reason: str) -> None:
    """Record that fiscal year N was reported: its figures as published now stay what the yearly report shows;
    later corrections appear beside them as 確定後の修正."""
    from warehouse.closing import CloseYearError, close_year, reopen_year

    record = _locked(lambda settings: reopen_year(settings, fiscal_year, reason) if reopen
                     else close_year(settings, fiscal_year, settings.as_of_date),
                     refused=CloseYearError, prefix="warehouse close-year")
    if reopen:
        message = (f"reopened FY{fiscal_year}; run `warehouse refresh` so the yearly report follows the lake again")
    else:
        message = (f"closed FY{fiscal_year}: {record['indicator_rows']} indicator figures as reported in "
                   f"{record['reported_warehouse_version']} kept in closed_years/{record['snapshot']}; run "
                   "`warehouse refresh` to publish the closed-year views")
    out.console.print(f"[green]{escape(message)}[/]")
    out.emit_json({**record, "message": message})

# --- warehouse sql: formatting a sandbox result for the terminal ----------------------------------------

def _jsonable(value: Any) -> Any:
    """Dates, decimals and other non-JSON values as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def format_result(result: QueryResult, fmt: str) -> str:
    """A result as CSV, JSON (a list of row objects) or a plain text table."""
    import polars as pl

    frame = result.frame
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(frame.columns)
        for row in frame.iter_rows():
            writer.writerow(["" if v is None else v for v in row])
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps([_jsonable(row) for row in frame.to_dicts()], ensure_ascii=False, indent=1) + "\n"
    if fmt == "table":
        with pl.Config(tbl_rows=min(frame.height, 200), tbl_cols=-1, fmt_str_lengths=60,
                       tbl_hide_dataframe_shape=True):
            return str(frame) + "\n"
    raise ValueError(f"unknown format {fmt!r}: use table, csv or json")


def sql_command(settings: Settings, sql: str, fmt: str) -> int:
    """`warehouse sql`: run one statement in the sandbox; 0 ok, 1 failed, 2 refused (the reason goes to stderr)."""
    from warehouse.serving.sandbox import QueryFailed, QueryRefused, open_sandbox

    try:
        sandbox = open_sandbox(settings)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        result = sandbox.query(sql)
    except QueryRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    except QueryFailed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    finally:
        sandbox.close()
    sys.stdout.write(format_result(result, fmt))
    note = f"{result.row_count} rows in {result.elapsed_ms:.0f} ms"
    if result.truncated:
        note += f" (truncated at the {result.row_count}-row cap; add a LIMIT or aggregate)"
    print(note, file=sys.stderr)
    return 0


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def sql(query: str, fmt: str) -> None:
    """Run one read-only SQL statement on the published warehouse (same sandbox as the app's console)."""

    sys.exit(sql_command(_settings(), query, fmt))


@main.command()
@pass_output
def export(out: Output) -> None:
    """Write the public datasets to open/ with disclosure control (also part of every publish)."""
    from warehouse.platform import database
    from warehouse.products.open_data import export_open_data

    settings = _settings()
    try:
        with database.home_lock(settings):
            result = export_open_data(settings)
    except database.HomeLocked as exc:
        click.echo(f"warehouse export: {exc}", err=True)
        sys.exit(75)
    payload = result.to_dict()
    out.console.print(f"open data written: {payload}")
    out.emit_json(payload)


@main.group(invoke_without_command=True)
@pass_output
@click.pass_context
def files(ctx: click.Context, out: Output) -> None:
    """Every file version in the lake and in quarantine (name, kind, months, rows, loaded when, by which run)."""
    if ctx.invoked_subcommand is not None:
        return
    from warehouse.files import list_files

    entries = list_files(_settings())
    out.emit_json([entry.to_dict() for entry in entries])
    if out.as_json:
        return
    table = Table(title=f"{len(entries)} file version(s)")
    for column in ("file", "kind", "status", "months", "rows", "loaded at", "run", "sha256", "note"):
        table.add_column(column, overflow="fold")
    colours = {"live": "green", "replaced": "dim", "set_aside": "yellow", "removed": "yellow", "quarantined": "red"}
    for entry in entries:
        months = (entry.months[0] if len(entry.months) == 1 else
                  f"{entry.months[0]} → {entry.months[-1]} ({len(entry.months)})" if entry.months else "—")
        table.add_row(escape(entry.name), entry.kind, f"[{colours.get(entry.status, 'white')}]{entry.status}[/]",
                      months, f"{entry.rows:,}", entry.loaded_at or "—", entry.run_id or "—", entry.sha256[:12],
                      escape(entry.note[:160]))
    Console().print(table)


def _locked(action, refused: type[Exception] | None = None, prefix: str = "warehouse"):
    """Run an operator action under the refresh lock; exit 75 when a refresh holds it, 1 when the action refuses
    (raises `refused`, FilesError unless told), with the refusal in one line on stderr."""
    from warehouse.files import FilesError
    from warehouse.refresh import RefreshLocked, refresh_lock

    refusal = refused or FilesError
    settings = _settings()
    try:
        with refresh_lock(settings):
            return action(settings)
    except RefreshLocked as exc:
        click.echo(f"warehouse: {exc}", err=True)
        sys.exit(75)
    except refusal as exc:
        click.echo(f"{prefix}: {exc}", err=True)
        sys.exit(1)


@files.command("remove")
@click.argument("name_or_sha")
@click.option("--reason", default="", help="Why (recorded in the manifest and the run ledger).")
@pass_output
def files_remove(out: Output, name_or_sha: str, reason: str) -> None:
    """Take one file version out of the lake (by file name or SHA-256 prefix); the next refresh publishes without it."""
    from warehouse.files import remove

    row = _locked(lambda settings: remove(settings, name_or_sha, reason))
    message = (f"removed {row['file_name']} ({row['sha256'][:12]}, {row['rows_out']:,} rows, "
               f"{', '.join(row['fiscal_months'])}); run `warehouse refresh` to publish without it")
    out.console.print(f"[yellow]{escape(message)}[/]")
    out.emit_json({"file": row["file_name"], "sha256": row["sha256"], "status": "removed", "message": message})


@files.command("retry")
@click.argument("name_or_sha")
@pass_output
def files_retry(out: Output, name_or_sha: str) -> None:
    """Read a quarantined file again after its mapping or a setting was fixed (or re-admit a set-aside one)."""
    from warehouse.files import retry
    from warehouse.platform.ledger import new_run_id

    result = _locked(lambda settings: retry(settings, name_or_sha, new_run_id(), settings.as_of_date))
    colour = "red" if result["status"] == "quarantined" else "green"
    out.console.print(f"[{colour}]{result['status']}[/]: {escape(str(result['message']))}")
    if result["status"] != "quarantined":
        out.console.print("run `warehouse refresh` to publish it")
    out.emit_json(result)
    sys.exit(3 if result["status"] == "quarantined" else 0)


@main.command()
@click.option("--repair", is_flag=True, help="Restore damaged lake files from the archive, set aside what cannot be "
                                             "restored, move stray files aside, rebuild a lost manifest.")
@pass_output
def verify(out: Output, repair: bool) -> None:
    """Check every lake file against the checksum recorded when it was written (and repair with --repair)."""
    from warehouse.platform.ledger import new_run_id
    from warehouse.verify import record_result, repair_lake, verify_lake

    def run(settings: Settings):
        result = (repair_lake(settings, new_run_id(), today=settings.as_of_date, rebuild=True) if repair
                  else verify_lake(settings))
        record_result(settings, result, settings.as_of_date)
        return result

    result = _locked(run)
    out.emit_json(result.to_dict())
    out.console.print(("[green]" if result.ok else "[red]") + result.summary() + "[/]")
    for issue in result.issues:
        out.console.print(escape(f"  {issue.problem}: {issue.detail}" + (f" (file {issue.file_name})" if issue.file_name else "")))
    for line in result.repaired:
        out.console.print(f"  repaired: {escape(line)}")
    for item in result.set_aside:
        out.console.print(f"  [yellow]set aside[/] {escape(item['file_name'])}: {escape(item['reason'])}")
    if not result.ok:
        click.echo("warehouse verify: the lake has problems; `warehouse verify --repair` repairs what it can "
                   "(nothing is deleted)" if not repair else
                   "warehouse verify --repair: problems remain after the repair (listed above); see `warehouse files`",
                   err=True)
        sys.exit(1)
    sys.exit(3 if result.set_aside else 0)


if __name__ == "__main__":
    main()
