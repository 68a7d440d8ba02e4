"""Source `bank`: the request batches of the year before the window in `outbox/bank/` (as the pipeline
would have written them) and the platform's responses that arrived by as_of in `landing/bank/<date>/`.

Grain: one batch (world table `bank_requests`, simulator/domains/welfare.py) → one HDQ file and its
responses (simulator/bank_platform.py plans them; responses arriving after as_of are left to
`bank_platform.respond`). Also writes the platform's truth (`_truth/bank_holdings.parquet`,
`_truth/bank_platform.json`) for persons named in 金民工程 and the planted persons.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from simulator import bank_platform, deliver
from simulator.world import World

TIME_FORMAT = bank_platform.TIME_FORMAT


def request_objects(world: World) -> list[tuple[dict, datetime | None]]:
    """Each historical batch as its HDQ JSON object, with the fixed arrival of a planted batch (or None)."""
    req = world.tables["bank_requests"].sort_values(["batch"], kind="stable")
    created = req["created_at"].dt.strftime(TIME_FORMAT).to_numpy(dtype=object)
    auth = req["auth_date"].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    arrival = req["arrival"].to_numpy()
    out: list[tuple[dict, datetime | None]] = []
    for i, (batch, idn, name, app) in enumerate(zip(req["batch"], req["id_number"], req["name"], req["app_id"],
                                                    strict=True)):
        if not out or out[-1][0]["批次号"] != batch:
            when = None if np.isnat(arrival[i]) else pd.Timestamp(arrival[i]).to_pydatetime()
            out.append(({"批次号": str(batch), "生成时间": created[i], "查询对象": []}, when))
        out[-1][0]["查询对象"].append({"身份证号": str(idn), "姓名": str(name), "申请编号": str(app),
                                    "授权书签署日期": auth[i]})
    return out


def platform_holdings(world: World) -> pd.DataFrame:
    """Holdings of everyone named in 金民工程 (families, applications) and of the planted persons."""
    t = world.tables
    named = set(t["family_members"]["id_number"]) | set(t["application_members"]["id_number"]) | set(
        t["applications"]["applicant_id"]) | set(t["families"]["applicant_id"])
    h = t["bank_holdings"]
    h = h[h["id_number"].isin(named) | h["planted"].astype(bool)]
    # every planted person is marked, holdings or not (his batches get no random quirk)
    planted = world.people.loc[world.people["planted"] != "", "id_number"]
    bare = sorted(set(planted) - set(h["id_number"]))
    marks = pd.DataFrame({"pid": world.people.set_index("id_number").loc[bare, "pid"].to_numpy(),
                          "id_number": bare, "institution": None, "category": None, "balance": np.nan,
                          "planted": True})
    return pd.concat([h, marks], ignore_index=True)


def write(world: World) -> None:
    cfg = world.cfg
    out = cfg.out
    holdings_frame = platform_holdings(world)
    holdings = bank_platform.Holdings.from_frame(holdings_frame)
    for request, arrival in request_objects(world):
        path = out / "outbox" / "bank" / f"HDQ_{request['批次号']}.json"
        deliver.write_json(path, request, indent=2)
        deliver.write_marker(path, len(request["查询对象"]))
        compact = bank_platform.compact_json(request["批次号"], cfg.seed)
        for delivery in bank_platform.plan(request, holdings, cfg.seed, arrival=arrival):
            if delivery.arrival.date() <= cfg.as_of:
                bank_platform.write_delivery(out, delivery, compact=compact)
    bank_platform.save_truth(out, holdings_frame, cfg.seed)
