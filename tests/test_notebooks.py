"""The analysis notebooks (notebooks/*.ipynb) run top to bottom against the built test city.

Each notebook is executed in memory with nbclient on a kernel that runs this venv's interpreter (a
private kernel spec naming sys.executable, so a `python3` kernel installed elsewhere is never picked up),
with SAFETYNET_HOME pointing at the built city. The committed files must carry no outputs.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from safetynet.settings import REPO_ROOT, Settings

pytestmark = pytest.mark.slow

NOTEBOOKS = REPO_ROOT / "notebooks"
KERNEL = "safetynet-venv"
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
#: An Altair chart as displayed: inline SVG drawn by vl-convert (the notebooks enable Altair's svg renderer,
#: so a chart needs no CDN and draws offline).
SVG = "image/svg+xml"


def _kernel_manager(tmp_path: Path) -> AsyncKernelManager:
    spec_dir = tmp_path / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "safetynet venv", "language": "python"}), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)


def run_notebook(name: str, settings: Settings, tmp_path: Path) -> nbformat.NotebookNode:
    """The notebook executed against `settings` (CellExecutionError on the first failing cell), with one
    extra last cell printing the kernel's interpreter."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(f'KERNEL {sys.executable}')"))
    km = _kernel_manager(tmp_path)
    client = NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(tmp_path)}})
    env = dict(os.environ) | {"SAFETYNET_HOME": str(settings.home), "SAFETYNET_EXCHANGE": str(settings.exchange)}
    client.execute(env=env)
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for o in _outputs(nb):
        if o["output_type"] == "stream":
            parts.append(o["text"])   # a print may arrive in several stream messages: joined as is
        for mime, value in o.get("data", {}).items():
            parts.append(f"\n{value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}\n{mime}\n")
    return "".join(parts)


def _charts(nb: nbformat.NotebookNode) -> int:
    """Charts drawn as inline SVG; a chart that would load Vega from the network fails the count."""
    outputs = list(_outputs(nb))
    assert not any("vegaEmbed(" in o.get("data", {}).get("text/html", "") for o in outputs), "chart needs a CDN"
    return sum(1 for o in outputs if "<svg" in o.get("data", {}).get(SVG, ""))


def _has_label(text: str, label: str) -> bool:
    """A chart label is in the output as is or JSON-escaped (inside the HTML of a chart)."""
    return label in text or json.dumps(label)[1:-1] in text


def _check_common(nb: nbformat.NotebookNode) -> str:
    assert not [o for o in _outputs(nb) if o["output_type"] == "error"]
    text = _text(nb)
    assert f"KERNEL {sys.executable}" in text
    assert not FULL_ID.search(text), "a notebook output shows a full ID number"
    return text


@pytest.mark.parametrize("name", ["monitor_alerts.ipynb", "coverage.ipynb"])
def test_committed_notebooks_carry_no_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert any(c.cell_type == "markdown" for c in nb.cells)
    # The warehouse path comes from Settings (the only reader of SAFETYNET_HOME), opened read-only.
    assert not any("os.environ" in c.source or "getenv" in c.source for c in code)
    assert any("Settings.from_env()" in c.source and "read_only=True" in c.source for c in code)


def test_monitor_alerts_notebook(built_city: tuple[Settings, Path, Path], tmp_path: Path) -> None:
    settings, _, published = built_city
    nb = run_notebook("monitor_alerts.ipynb", settings, tmp_path)
    text = _check_common(nb)
    assert f"warehouse: {published}" in text
    for column in ("new", "open", "resolved", "active"):      # the nightly status table
        assert column in text
    assert "reviewed_count" in text and "false_positive_rate" in text
    assert "rule(s) skipped" in text and "skipped_rules" in text
    assert ("rules with reviewed alerts: 0 of 17" in text and "No alert has been reviewed yet" in text) or \
        "误报率" in text
    assert _charts(nb) >= 2                                    # trend and workload charts
    assert _has_label(text, "预警数量趋势")


def test_coverage_notebook(built_city: tuple[Settings, Path, Path], tmp_path: Path) -> None:
    settings, _, _ = built_city
    nb = run_notebook("coverage.ipynb", settings, tmp_path)
    text = _check_common(nb)
    for label in ("DIBAO 低保", "TEKUN 特困", "eligible_not_covered", "covered_not_eligible"):
        assert label in text
    assert "DIBAO-eligible by the data" in text and "with no recorded income at all" in text
    assert re.search(r"of \d+ background households \(\d+%\) are DIBAO-eligible by the data", text)
    assert _charts(nb) >= 1 and _has_label(text, "实际在保")
