"""The `safetynet` command line (interfaces.md section 2).

Staff-facing output is in Chinese. Every command exits 0 on success and otherwise non-zero with a
one-line cause on stderr; tracebacks only with SAFETYNET_DEBUG=1.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.table import Table

from safetynet.privacy import mask_text
from safetynet.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

DATE_FORMATS = ["%Y-%m-%d"]

app = typer.Typer(
    name="safetynet",
    help="safetynet: 社会救助数据集成与核对仓库 (data-integration warehouse for social assistance).",
    no_args_is_help=True,
    add_completion=False,
    # Rich tracebacks would print local variables, which may hold ID numbers.
    pretty_exceptions_enable=False,
)
#: Width of a redirected output (a file, a mail, a test): at least this many columns.
REDIRECTED_WIDTH = 200


def _console() -> Console:
    """The staff's console for one use: a terminal's own width; a piped or redirected output gets at least
    REDIRECTED_WIDTH columns (rich would take COLUMNS or assume 80 and squeeze the alert and profile
    tables' columns to nothing)."""
    if sys.stdout.isatty():
        return Console()
    columns = os.environ.get("COLUMNS", "")
    return Console(width=max(REDIRECTED_WIDTH, int(columns) if columns.isdigit() else 0))


class _StaffConsole:
    """`console.print(...)` etc. on a Console made at the time of use, so it writes to the current stdout
    with the current width (a module-level Console would fix both when the module is imported)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_console(), name)


console = _StaffConsole()


class CliError(Exception):
    """An expected failure: its message (one line, for staff) is the whole story."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _fail(message: str, exit_code: int = 1) -> typer.Exit:
    first_line = (message.strip().splitlines() or [""])[0]
    typer.echo(mask_text(first_line), err=True)
    return typer.Exit(exit_code)


def _debug() -> bool:
    try:
        return Settings.from_env().debug
    except Exception:
        return False


def guarded(fn: F) -> F:
    """Top-level error handling of a command: one masked line on stderr and a non-zero exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except CliError as exc:
            raise _fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise _fail("已中断 (interrupted)", 130) from None
        except Exception as exc:
            if _debug():
                raise
            raise _fail(f"错误: {type(exc).__name__}: {exc}") from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def main() -> None:
    """safetynet: 社会救助数据集成与核对仓库。Set SAFETYNET_DEBUG=1 for full tracebacks."""
    from safetynet.logging import configure_logging

    # ID masking on every log record from here on (also quiets great_expectations).
    configure_logging(logging.WARNING)


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@app.command()
@guarded
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Exchange root to write (landing/, _truth/).")],
    scale: Annotated[float, typer.Option("--scale", help="1.0 = the full city (~1.75M residents).")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed; output is deterministic per seed.")],
    as_of: Annotated[datetime, typer.Option("--as-of", formats=DATE_FORMATS, help="Last business date.")],
    days: Annotated[int, typer.Option("--days", min=1, help="Calendar days of deliveries ending at --as-of.")] = 3,
) -> None:
    """Write a synthetic city into an exchange root (模拟数据)."""
    settings = Settings.from_env()
    import simulator  # lazily: the simulator is heavy and not needed by any other command

    urls = dict(settings.frontdb_urls) if settings.frontdb_configured else None
    simulator.simulate(out=out, scale=scale, seed=seed, as_of=as_of.date(), days=days, frontdb_urls=urls)
    console.print(f"模拟数据已生成: {out}")


@app.command("simulate-bank")
@guarded
def simulate_bank(
    exchange: Annotated[Path, typer.Option("--exchange", help="Exchange root written by `simulate`.")],
    today: Annotated[datetime, typer.Option("--today", formats=DATE_FORMATS,
                                            help="Answer the requests whose response arrives by this day.")],
) -> None:
    """Play the provincial platform: answer the bank requests in outbox/bank/ (模拟省级核对平台)."""
    from simulator import bank_platform  # lazily, as for `simulate`

    written = bank_platform.respond(exchange, today.date())
    console.print(f"已生成银行查询回复 {len(written)} 份")


@app.command()
@guarded
def run(
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=DATE_FORMATS,
            help="Business date D. Default: the latest D whose hukou delivery (folder D+1) is complete.",
        ),
    ] = None,
) -> None:
    """Run the nightly DAG safetynet_nightly through Airflow for one business date (夜间批处理)."""
    from safetynet import nightly, runsummary
    from safetynet.airflow_env import run_nightly

    settings = Settings.from_env()
    day = _as_date(as_of) or nightly.latest_complete_business_date(settings.landing)
    if day is None:
        raise CliError(f"未找到完整的户籍交付 (no complete hukou delivery under {settings.landing}); 请用 --as-of 指定业务日期")
    with console.status(f"正在运行夜间批处理 {nightly.DAG_ID}，业务日期 {day} …"):
        result = run_nightly(settings, day)
    if result.summary_written:
        _print_summary(runsummary.read_run_summary(settings, day), result.log_path)
    if not result.ok:
        raise CliError(f"夜间批处理失败 (airflow exit {result.returncode}); 日志: {result.log_path}")
    console.print(f"业务日期 {day} 处理完成。运行记录: {result.summary_path}")


#: Display status of a source (Chinese, staff-facing) by outcome; see `_outcome`.
OUTCOME_TEXT = {"failed": "失败", "rejected": "有拒收", "quarantined": "部分隔离", "ok": "成功"}
#: Problem lines printed under the table at most (the run summary JSON has all of them).
MAX_PROBLEM_LINES = 20


def _outcome(status: str | None, detail: dict[str, Any] | None) -> str:
    """failed (the source's task failed), rejected (a delivery was rejected as a whole), quarantined (some
    rows were quarantined) or ok."""
    if status != "ok":
        return "failed"
    detail = detail or {}
    if detail.get("rejected"):
        return "rejected"
    return "quarantined" if detail.get("rows_quarantined") else "ok"


def _print_summary(summary: dict[str, Any], log_path: Path | None = None) -> None:
    """The per-source table of a run summary (counts from each source's ingest summary), then one line per
    problem (rejected deliveries naming file, row and field; failed sources), masked."""
    from safetynet.runsummary import table_rows

    table = Table(
        title=f"各数据源处理情况 业务日期 {summary.get('business_date')}",
        caption="交付: 本次处理的交付或抽取批次  行数/接收/隔离: 交付/接收/隔离行数  -: 任务失败",
    )
    headers = [
        ("source", "数据源"), ("deliveries_found", "交付"), ("rows_delivered", "行数"), ("rows_accepted", "接收"),
        ("rows_quarantined", "隔离"), ("checks_failed", "检查失败"), ("problems", "问题"), ("status", "状态"),
    ]
    for key, title in headers:
        text = key in {"source", "status"}
        table.add_column(title, justify="left" if text else "right", no_wrap=text)
    entries = summary.get("sources", {})
    problems: list[str] = []
    for row in table_rows(summary):
        entry = entries.get(row["source"], {})
        outcome = _outcome(row["status"], entry.get("summary"))
        counts = ("-" if row[k] is None else str(row[k]) for k, _ in headers[1:-1])
        table.add_row(row["source"], *counts, OUTCOME_TEXT[outcome])
        if outcome == "failed":
            where = f"，日志: {log_path}" if log_path else ""
            problems.append(f"{row['source']}: 任务失败 (task failed){where}")
        problems += [f"{row['source']}: {p}" for p in (entry.get("summary") or {}).get("problems") or []]
    console.print(table)
    if problems:
        console.print("问题 (problems):")
        for line in problems[:MAX_PROBLEM_LINES]:
            console.print(f"  {mask_text(line)}", markup=False, highlight=False, soft_wrap=True)
        if len(problems) > MAX_PROBLEM_LINES:
            console.print(f"  … 另有 {len(problems) - MAX_PROBLEM_LINES} 条，见运行记录 (see summary.json)")


OperatorOption = Annotated[str | None, typer.Option(
    "--operator", help="Staff member recorded in the audit log (default: the OS user).")]


def _open_warehouse(settings: Settings) -> Any:
    from warehouse.query import WarehouseUnavailable, connect_current

    try:
        return connect_current(settings)
    except WarehouseUnavailable as exc:
        raise CliError(str(exc)) from None


def _lookup_error(exc: Exception) -> CliError:
    return CliError(str(exc))


@app.command()
@guarded
def profile(
    id_number: Annotated[str, typer.Argument(metavar="ID_NUMBER", help="公民身份号码.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    operator: OperatorOption = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Purpose of the look-up (audit log).")] = None,
) -> None:
    """The household profile (一户一档) of the person's household; every ID shown masked, every view audited."""
    from warehouse import audit, lookup

    settings = Settings.from_env()
    con = _open_warehouse(settings)
    try:
        data = lookup.profile(con, id_number, with_reasons=as_json)
    except lookup.LookupError_ as exc:
        raise _lookup_error(exc) from None
    finally:
        con.close()
    audit.record(settings, "profile_view", data["person"]["id_number"], operator=operator,
                 household_id=data["household"]["household_id"], reason=reason)
    shown = lookup.masked(data)
    if as_json:
        import json

        typer.echo(json.dumps(shown, ensure_ascii=False, default=str, indent=1))
        return
    _print_profile(shown)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def _print_profile(data: dict[str, Any]) -> None:
    h, p = data["household"], data["profile"] or {}
    console.print(f"[bold]一户一档[/bold] 家庭编号 {h['household_id']}  类型 {h['kind']}  "
                  f"{_cell(h.get('town'))}  人数 {_cell(h.get('member_count'))}  数据截至 {data['as_of']}")
    members = Table(title="家庭成员")
    for title in ("姓名", "身份证号", "性别", "出生日期", "与户主关系", "户籍状态", "在世"):
        members.add_column(title, overflow="fold", min_width=18 if title == "身份证号" else None)
    for m in data["members"]:
        members.add_row(_cell(m["name"]), m["id_number"], _cell(m["sex"]), _cell(m["birth_date"]),
                        _cell(m["relation_to_head"]), _cell(m["hukou_status"]),
                        "否" if m["is_alive"] is False else "是")
    console.print(members)
    from reports.verification import LABELS

    values = Table(title="收入、财产与救助")
    values.add_column("项目")
    values.add_column("数值", justify="right")
    for key in ("monthly_income_total", "monthly_income_per_capita", *LABELS):
        label = {"monthly_income_total": "家庭月收入", "monthly_income_per_capita": "人均月收入"}.get(key) or LABELS[key]
        values.add_row(label, _cell(p.get(key)))
    console.print(values)
    if data["eligibility"] is None:
        console.print("资格审核结果暂不可用")
    else:
        from warehouse.lookup import PROGRAMS

        elig = Table(title="资格审核结果")
        for title in ("救助项目", "结果", "标准（元/月）"):
            elig.add_column(title)
        for r in data["eligibility"]:
            flag = r.get("eligible")
            elig.add_row(PROGRAMS.get(str(r.get("program")), _cell(r.get("program"))),
                         "符合" if flag is True else "不符合" if flag is False else "-",
                         _cell(r.get("standard_amount")))
        console.print(elig)
    _print_household_alerts(data.get("alerts"))
    fresh = Table(title="各数据源数据时效")
    for title in ("数据源", "数据截至", "落后天数", "过期", "本户有记录人数"):
        fresh.add_column(title)
    for f in data["freshness"]:
        fresh.add_row(f["name_zh"], _cell(f["latest_business_date"]), _cell(f["days_behind"]),
                      "是" if f["is_stale"] else "否", str(f["members_found"]))
    console.print(fresh)


def _print_household_alerts(alerts: list[dict[str, Any]] | None) -> None:
    from warehouse.alerts_query import SEVERITY_ZH, STATUS_ZH

    if alerts is None:
        console.print("预警信息暂不可用")
        return
    if not alerts:
        console.print("本户暂无新增或持续的预警")
        return
    table = Table(title="未处理预警（新增或持续）")
    for title in ("预警代码", "规则名称", "严重程度", "状态", "身份证号", "首次发现", "依据"):
        table.add_column(title, overflow="fold")
    for a in alerts:
        table.add_row(a["code"], _cell(a.get("title_zh")), SEVERITY_ZH.get(a.get("severity") or "", "-"),
                      STATUS_ZH.get(a["status"], a["status"]), a.get("id_number") or "-",
                      _cell(a.get("first_seen")), _cell(a.get("evidence_summary")))
    console.print(table)


@app.command()
@guarded
def verify(
    id_number: Annotated[str, typer.Argument(metavar="ID_NUMBER", help="公民身份号码.")],
    out: Annotated[Path, typer.Option("--out", help="Output file (FILE.html).")],
    reason: Annotated[str, typer.Option("--reason", help="Purpose of the report (required; audit log).")],
    application: Annotated[str | None, typer.Option("--application", help="Application id.")] = None,
    operator: OperatorOption = None,
) -> None:
    """The verification report (核对报告) for an application, as HTML; refuses without a signed 授权书."""
    from reports import verification
    from warehouse import audit, lookup

    if not reason.strip():
        raise CliError("请用 --reason 说明核对事由")
    settings = Settings.from_env()
    con = _open_warehouse(settings)
    try:
        person = lookup.canonical_id(id_number)
        try:
            auth = lookup.require_authorization(con, person, application)
        except lookup.NotAuthorized as exc:
            audit.record(settings, "verify_refused", person, operator=operator, application=application,
                         reason=reason, detail="no signed authorization")
            raise _lookup_error(exc) from None
        data = lookup.profile(con, person, with_reasons=True)
    except lookup.LookupError_ as exc:
        raise _lookup_error(exc) from None
    finally:
        con.close()
    user = operator or audit.current_user()
    report_id, print_no = verification.write(settings, data, auth, out, user, reason)
    audit.record(settings, "verify", person, operator=user, household_id=data["household"]["household_id"],
                 application=auth.application_no, reason=reason, report_id=report_id)
    console.print(f"核对报告已生成: {out}（核对编号 {report_id}，第 {print_no} 次打印）")


@app.command()
@guarded
def alerts(
    on: Annotated[datetime | None, typer.Option(
        "--date", formats=DATE_FORMATS, help="Night (YYYY-MM-DD) of a published build; default: the published one.")] = None,
    town: Annotated[str | None, typer.Option("--town", help="Town or subdistrict name (镇街).")] = None,
    code: Annotated[str | None, typer.Option("--code", help="Alert code (policy.md section 6).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The alerts whose status on a date is new or open (预警清单); ID numbers masked."""
    from warehouse import alerts_query, dispositions

    settings = Settings.from_env()
    con = _open_warehouse(settings)
    try:
        found = alerts_query.active_alerts(con, _as_date(on), town=town, code=code)
    except alerts_query.AlertQueryError as exc:
        raise CliError(str(exc)) from None
    finally:
        con.close()
    latest = alerts_query.latest_dispositions(dispositions.read(settings))
    rows = alerts_query.shown(alerts_query.with_dispositions(found.rows, latest))
    if as_json:
        import json

        typer.echo(json.dumps(rows, ensure_ascii=False, default=str, indent=1))
        return
    _print_alerts(rows, found.as_of)


def _print_alerts(rows: list[dict[str, Any]], as_of: date) -> None:
    from warehouse.alerts_query import SEVERITY_ZH, STATUS_ZH
    from warehouse.dispositions import VERDICT_ZH

    if not rows:
        console.print(f"{as_of} 没有状态为新增或持续的预警（共 0 条）")
        return
    table = Table(title=f"预警清单（{as_of}，状态为新增或持续）")
    whole = {"预警编号", "家庭编号", "身份证号"}   # identifiers stay on one line (copied into review-alert)
    for title in ("预警编号", "预警代码", "规则名称", "严重程度", "镇街", "家庭编号", "身份证号", "状态",
                  "首次发现", "最近发现", "核查结论"):
        table.add_column(title, overflow="fold", no_wrap=title in whole)
    for r in rows:
        verdict = r.get("disposition")
        table.add_row(r["alert_id"], r["code"], _cell(r.get("title_zh")),
                      SEVERITY_ZH.get(r.get("severity") or "", _cell(r.get("severity"))), _cell(r.get("town")),
                      _cell(r.get("household_id")), r.get("id_number") or "-",
                      STATUS_ZH.get(r["status"], r["status"]), _cell(r.get("first_seen")),
                      _cell(r.get("last_seen")),
                      f"{VERDICT_ZH.get(verdict, verdict)}（{r.get('disposition_reviewer')}）" if verdict else "未核查")
    console.print(table)
    new = sum(1 for r in rows if r["status"] == "new")
    console.print(f"共 {len(rows)} 条预警（新增 {new} 条，持续 {len(rows) - new} 条），数据日期 {as_of}")


class Verdict(StrEnum):
    """A monitor's verdict on an alert (warehouse.dispositions.VERDICTS)."""

    confirmed = "confirmed"
    false_positive = "false_positive"


@app.command("review-alert")
@guarded
def review_alert(
    alert_id: Annotated[str, typer.Argument(metavar="ALERT_ID", help="预警编号 (alert_id of mart.alert).")],
    verdict: Annotated[Verdict, typer.Option("--verdict", help="confirmed (属实) or false_positive (误报).")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Name of the reviewing monitor (核查人).")],
    note: Annotated[str, typer.Option("--note", help="Note on the review (核查说明).")] = "",
) -> None:
    """Record a monitor's disposition of an alert (核查结论); kept across rebuilds and audited."""
    from warehouse import alerts_query, audit, dispositions

    settings = Settings.from_env()
    con = _open_warehouse(settings)
    try:
        alert = alerts_query.find_alert(con, alert_id)
    except alerts_query.AlertQueryError as exc:
        raise CliError(str(exc)) from None
    finally:
        con.close()
    try:
        done = dispositions.record(settings, alert["alert_id"], verdict.value, reviewer, note)
    except dispositions.DispositionError as exc:
        raise CliError(f"无法记录核查结论: {exc}") from None
    audit.record(settings, "alert_review", alert.get("id_number") or "", operator=done.reviewer,
                 household_id=alert.get("household_id"), reason=done.note or None,
                 detail=f"alert {done.alert_id} {alert['code']}: {done.verdict}")
    console.print(f"已记录预警 {done.alert_id}（{alert['code']}）的核查结论: "
                  f"{dispositions.VERDICT_ZH[done.verdict]}，核查人 {done.reviewer}。下次夜间处理后计入误报率。")


@app.command("airflow-ui")
@guarded
def airflow_ui(
    host: Annotated[str, typer.Option("--host", help="Address the UI listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port of the UI.")] = 8080,
) -> None:
    """Start Airflow (airflow standalone: UI, scheduler, DAG processor, triggerer) on safetynet's home."""
    from safetynet.airflow_env import passwords_file, run_standalone

    settings = Settings.from_env()
    console.print(f"Airflow UI: http://{host}:{port}  (user admin; password in {passwords_file(settings)})")
    console.print("按 Ctrl-C 停止 (Ctrl-C stops Airflow).")
    code = run_standalone(settings, host, port)
    if code != 0:
        raise CliError(f"airflow standalone exited with code {code}")


@app.command(
    "airflow",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@guarded
def airflow_passthrough(ctx: typer.Context) -> None:
    """Any airflow command with safetynet's Airflow environment, e.g. `safetynet airflow dags list`."""
    from safetynet.airflow_env import airflow_command, airflow_environment, ensure_airflow_db

    settings = Settings.from_env()
    ensure_airflow_db(settings)
    command = airflow_command(*ctx.args)
    sys.stdout.flush()
    os.execvpe(command[0], command, airflow_environment(settings))
