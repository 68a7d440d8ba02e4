"""The DAGs folder: imports cleanly, has the nightly DAG as specified, and holds wiring only."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from safetynet.settings import SOURCES

DAGS = Path(__file__).resolve().parent.parent / "dags"
DAG_FILES = sorted(DAGS.glob("*.py"))


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=DAGS)


def test_dagbag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "safetynet_nightly" in dagbag.dags


def test_nightly_schedule_and_tasks(dagbag):
    dag = dagbag.dags["safetynet_nightly"]
    assert dag.timezone.name == "Asia/Shanghai"
    assert dag.catchup is False
    assert dag.timetable.expression == "45 6 * * *"
    ingest = sorted(t for t in dag.task_ids if t.startswith("ingest_"))
    assert ingest == sorted(f"ingest_{s}" for s in SOURCES)
    for task_id in ingest:
        assert dag.get_task(task_id).retries == 2
    summary = dag.get_task("run_summary")
    assert set(summary.upstream_task_ids) >= set(ingest)
    report = dag.get_task("anomaly_report")
    assert report.upstream_task_ids == {"build_warehouse", "business_date"}
    assert report.trigger_rule == "all_success"  # never from a warehouse the night failed to publish
    assert report.downstream_task_ids == set()  # a leaf: a failed report fails the run


def test_task_functions_exist_with_expected_signatures():
    from connectors import ingest
    from reports import anomalies
    from safetynet import runsummary

    assert list(inspect.signature(ingest.ingest_task).parameters) == ["settings", "source", "business_date"]
    assert list(inspect.signature(runsummary.write_run_summary).parameters) == [
        "settings", "business_date", "paths",
    ]
    assert list(inspect.signature(anomalies.report_task).parameters) == ["settings", "business_date"]


# --- wiring only ------------------------------------------------------------------------------------


def _decorator_name(node: ast.expr) -> str:
    """'task' for @task, @task(...), @task.virtualenv(...); 'dag' for @dag(...)."""
    while isinstance(node, ast.Call | ast.Attribute):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _is_simple_argument(node: ast.expr) -> bool:
    """Names, constants, attributes, `params["x"]`, or an argument-less call such as Settings.from_env()."""
    if isinstance(node, ast.Name | ast.Constant):
        return True
    if isinstance(node, ast.Attribute):
        return _is_simple_argument(node.value)
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Constant)
    if isinstance(node, ast.Call):
        return not node.args and not node.keywords and isinstance(node.func, ast.Attribute | ast.Name)
    return False


def _body_without_docstring_and_imports(body: list[ast.stmt]) -> list[ast.stmt]:
    return [
        s for s in body
        if not isinstance(s, ast.Import | ast.ImportFrom)
        and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]


def _task_problems(fn: ast.FunctionDef) -> list[str]:
    rest = _body_without_docstring_and_imports(fn.body)
    ok = (
        len(rest) == 1
        and isinstance(rest[0], ast.Return)
        and isinstance(rest[0].value, ast.Call)
        and isinstance(rest[0].value.func, ast.Attribute)
        and all(_is_simple_argument(a) for a in rest[0].value.args)
        and all(_is_simple_argument(k.value) for k in rest[0].value.keywords)
    )
    return [] if ok else [f"task {fn.name}: body must be a single `return module.function(simple args)`"]


def _dag_body_problems(fn: ast.FunctionDef) -> list[str]:
    problems = []
    for node in ast.walk(fn):
        if node is fn:
            continue
        if isinstance(node, ast.If | ast.IfExp | ast.While | ast.Try | ast.With | ast.Raise | ast.Lambda):
            problems.append(f"dag {fn.name}: logic ({type(node).__name__}) at line {node.lineno}")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Return):
            problems.append(f"dag {fn.name}: {type(node).__name__} at line {node.lineno}")
    return problems


def wiring_problems(source: str) -> list[str]:
    """Everything in a DAG file that is more than wiring (empty list: the file is wiring only)."""
    problems = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # docstring
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and not node.value.args:
            continue  # instantiating the DAG: safetynet_nightly()
        if isinstance(node, ast.FunctionDef):
            kinds = {_decorator_name(d) for d in node.decorator_list}
            if "task" in kinds:
                problems += _task_problems(node)
            elif "dag" in kinds:
                problems += _dag_body_problems(node)
            else:
                problems.append(f"function {node.name}: plain functions belong outside dags/")
            continue
        problems.append(f"line {node.lineno}: {type(node).__name__} is not wiring")
    return problems


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_files_are_wiring_only(path):
    assert wiring_problems(path.read_text(encoding="utf-8")) == []


def test_wiring_check_catches_logic():
    logic_in_task = (
        "@task\ndef t(x):\n    y = x + 1\n    return m.f(y)\n"
    )
    nested_call = "@task\ndef t(x):\n    return m.f(g(x, 1))\n"
    helper = "def helper():\n    return 1\n"
    branch = "@dag()\ndef d():\n    if True:\n        t()\n"
    for source in (logic_in_task, nested_call, helper, branch):
        assert wiring_problems(source), source
    fine = "@task\ndef t(params=None):\n    from a import m\n    return m.f(S.from_env(), params['x'], 'k')\n"
    assert wiring_problems(fine) == []


def test_dag_files_exist():
    assert DAGS / "safetynet_nightly.py" in DAG_FILES
