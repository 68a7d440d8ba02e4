"""Shared rendering for the asset sources (vehicles, property, business): CSV formats, delivery fates
and stable ID-number quirks.

Grain: one data file with its marker (and, by its fate, a broken marker or an `_R1` re-delivery).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulator import deliver
from simulator.ids import apply_id_quirks
from simulator.schedule import Fate


@dataclass(frozen=True)
class CsvFormat:
    encoding: deliver.Encoding
    bom: bool
    quoting: deliver.Quoting
    line_ending: deliver.LineEnding

    def write(self, path: Path, df: pd.DataFrame) -> int:
        return deliver.write_csv(path, df, encoding=self.encoding, bom=self.bom, quoting=self.quoting,
                                 line_ending=self.line_ending)


def write_delivery(path: Path, df: pd.DataFrame, fmt: CsvFormat, fate: Fate, rng: np.random.Generator) -> None:
    """Write one data file + marker as its fate says (sources/README.md section 4, simulator/schedule.py).

    missing: nothing. broken: the file with a marker that does not match, then `_R1` complete.
    redelivered: the original a few records short, then `_R1` complete. Late deliveries change nothing
    here (same folder; the files carry no times).
    """
    if fate.missing:
        return
    if fate.broken:
        rows = fmt.write(path, df)
        kind = ("rows", "sha256", "truncated")[int(rng.integers(0, 3))]
        deliver.write_broken_marker(path, rows, kind)  # type: ignore[arg-type]
    elif fate.redelivered:
        short = df.drop(index=df.index[rng.choice(len(df), size=min(len(df), int(rng.integers(1, 4))),
                                                   replace=False)]) if len(df) else df
        deliver.write_marker(path, fmt.write(path, short))
    if fate.broken or fate.redelivered:
        path = path.with_name(deliver.redelivery_name(path.name, 1))
    deliver.write_marker(path, fmt.write(path, df))


def stable_id_quirks(ids: pd.Series, key: pd.Series, eligible: pd.Series, rates: Mapping[str, float],
                     rng: np.random.Generator) -> pd.Series:
    """ID numbers with format quirks (README section 10), one draw per distinct `key` (a record that
    appears in several deliveries is rendered the same way in each). Rows not `eligible` keep their
    value; rates are shares of the eligible rows."""
    sel = ids[eligible.to_numpy()]
    keys = key[eligible.to_numpy()]
    first = ~keys.duplicated().to_numpy()
    uniq = sel[first]
    rendered, _ = apply_id_quirks(uniq.reset_index(drop=True), None, rates, rng)
    by_key = pd.Series(rendered.to_numpy(), index=keys[first].to_numpy())
    out = ids.astype(object).copy()
    out[eligible.to_numpy()] = by_key.reindex(keys.to_numpy()).to_numpy()
    return out


def decimal_text(values: pd.Series, scale: int) -> pd.Series:
    """`-?\\d+\\.\\d{scale}` text, None for NaN."""
    v = values.astype(float)
    text = v.map(lambda x: f"{x:.{scale}f}")
    return text.where(v.notna(), None).astype(object)
