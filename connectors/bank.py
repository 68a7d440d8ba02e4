"""bank (省居民家庭经济状况核对平台): JSON responses HDR_<批次号>[_R<n>].json to our request batches
outbox/bank/HDQ_<批次号>.json (bank.yaml; requests are written by connectors.bank_requests).

Entity `result`: one row per element of the response's 结果 array (person x institution x 账户类别, or
one 无记录 / 查询失败 row), with the response's 批次号 and 返回时间 on every row. Derived columns from
the request: `application_no` and `authorization_date` (the 授权书 that covered the query) and
`requested_name` (姓名 as sent; the institution's 姓名 may differ, quirk name_differs). A re-delivered
`_R<n>` supersedes the earlier response completely (connectors.landing picks the version).

Rules:
* The file must be one UTF-8 JSON object without BOM, keys exactly 批次号 / 返回时间 / 结果, 批次号 equal
  to the file name's, 返回时间 'YYYY-MM-DD HH:MM:SS', and as many 结果 elements as the marker's rows;
  otherwise the response is rejected as a whole.
* The request of the batch must exist in the outbox (landing and outbox are siblings in the exchange
  area, so it is found from the response's own path); a response to no request of ours is rejected.
* policy.md section 4 / bank.yaml protocol_violation: a 结果 row whose 身份证号 was not in the request is
  quarantined with rule 'unrequested_person' and never used.
* A 结果 element that is not an object with exactly the six contract keys, or holds a non-string
  value, is quarantined ('keys' / 'type:string'); values are otherwise typed as usual.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import DeliveryRejected, Parsed, RowIssue
from connectors.columns import Col, typecast
from connectors.csvsource import CsvPart, delivery_name
from connectors.derived import with_columns
from connectors.landing import Delivery
from connectors.xlsxsource import check_rows

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TOP_KEYS = frozenset({"批次号", "返回时间", "结果"})
RESULT_KEYS = ("身份证号", "姓名", "机构名称", "账户类别", "余额", "查询状态")

PARTS = {
    "HDR": CsvPart("result", (
        Col("批次号", "batch_no"),
        Col("返回时间", "returned_at", f"datetime:{TIME_FORMAT}"),
        Col("身份证号", "id_number", "id"),
        Col("姓名", "name"),
        Col("机构名称", "institution"),
        Col("账户类别", "account_type"),
        Col("余额", "balance", "decimal:2"),
        Col("查询状态", "query_status"),
    )),
}

#: Columns added after typing (connectors.derived convention).
DERIVED = {"result": ("application_no", "authorization_date", "requested_name")}


def request_path(response: Path, batch_no: str) -> Path:
    """outbox/bank/HDQ_<批次号>.json of a response at landing/bank/<YYYYMMDD>/<name> (README section 2)."""
    exchange = response.absolute().parents[3]
    return exchange / "outbox" / "bank" / f"HDQ_{batch_no}.json"


def _load_json(path: Path, what: str) -> Any:
    """Strict RFC 8259 (UTF-8, no BOM, no NaN, no duplicate keys); DeliveryRejected otherwise."""
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(pairs)

    def no_constant(token: str) -> Any:
        raise ValueError(f"non-JSON constant {token}")

    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        raise DeliveryRejected(path.name, f"{what} starts with a UTF-8 BOM (the contract says none)",
                               rule="encoding")
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except UnicodeDecodeError as exc:
        raise DeliveryRejected(path.name, f"{what} is not UTF-8 (offset {exc.start})", rule="encoding") from None
    except ValueError as exc:
        raise DeliveryRejected(path.name, f"{what} is not a valid JSON document ({exc})", rule="json") from None


def requested(path: Path, batch_no: str) -> dict[str, dict[str, str]]:
    """身份证号 -> its 查询对象 in the batch's request; DeliveryRejected when there is no usable request."""
    if not path.is_file():
        raise DeliveryRejected(path.name, f"no request {path.name} in the outbox for batch {batch_no}: a "
                               f"response to nothing we asked cannot be used", rule="no_request")
    req = _load_json(path, "the request")
    persons = req.get("查询对象") if isinstance(req, dict) else None
    if not isinstance(persons, list) or req.get("批次号") != batch_no or not all(
            isinstance(p, dict) and isinstance(p.get("身份证号"), str) for p in persons):
        raise DeliveryRejected(path.name, f"request {path.name} is not a request of batch {batch_no}",
                               rule="no_request")
    return {p["身份证号"]: p for p in persons}


def _envelope(name: str, doc: Any, batch_no: str) -> tuple[str, list[Any]]:
    """(返回时间, 结果) of a well-formed response; DeliveryRejected naming what is wrong."""
    if not isinstance(doc, dict):
        raise DeliveryRejected(name, "the response is not one JSON object", rule="json")
    if set(doc) != TOP_KEYS:
        raise DeliveryRejected(name, f"keys are not exactly {', '.join(sorted(TOP_KEYS))}", rule="json")
    if doc["批次号"] != batch_no:
        raise DeliveryRejected(name, "批次号 differs from the batch in the file name", field="批次号", rule="json")
    returned = doc["返回时间"]
    try:
        ok = isinstance(returned, str) and datetime.strptime(returned, TIME_FORMAT).strftime(TIME_FORMAT) == returned
    except ValueError:
        ok = False
    if not ok:
        raise DeliveryRejected(name, "返回时间 is not 'YYYY-MM-DD HH:MM:SS'", field="返回时间", rule="json")
    if not isinstance(doc["结果"], list):
        raise DeliveryRejected(name, "结果 is not an array", field="结果", rule="json")
    return returned, doc["结果"]


def _rows(name: str, results: list[Any]) -> tuple[list[list[str | None]], list[int], list[RowIssue]]:
    columns: list[list[str | None]] = [[] for _ in RESULT_KEYS]
    rows: list[int] = []
    issues: list[RowIssue] = []
    for n, element in enumerate(results, start=1):
        if not isinstance(element, dict) or set(element) != set(RESULT_KEYS):
            issues.append(RowIssue(name, n, None, "keys", None,
                                   f"结果 element is not an object with exactly the keys {', '.join(RESULT_KEYS)}"))
            continue
        bad = [k for k in RESULT_KEYS if element[k] is not None and not isinstance(element[k], str)]
        if bad:
            issues.append(RowIssue(name, n, bad[0], "type:string", str(element[bad[0]])[:50],
                                   "JSON values must be strings or null"))
            continue
        rows.append(n)
        for i, k in enumerate(RESULT_KEYS):
            columns[i].append(element[k])
    return columns, rows, issues


def parse(delivery: Delivery) -> Parsed:
    name = delivery_name(delivery)
    f = delivery.file("HDR")
    if f is None:
        raise DeliveryRejected(name, "the delivery has no response file", rule="missing_part")
    batch_no = delivery.key.removeprefix("HDR_")
    returned, results = _envelope(f.name, _load_json(f.path, "the response"), batch_no)
    check_rows(f, len(results))
    persons = requested(request_path(f.path, batch_no), batch_no)
    columns, rows, issues = _rows(f.name, results)
    n = len(rows)
    strings = pa.Table.from_arrays(
        [pa.array([batch_no] * n, pa.string()), pa.array([returned] * n, pa.string())]
        + [pa.array(c, pa.string()) for c in columns] + [pa.array(rows, pa.int64())],
        names=["批次号", "返回时间", *RESULT_KEYS, "_row"])
    part = PARTS["HDR"]
    typed, type_issues = typecast(strings, part.cols, source=delivery.source, delivery=name, file=f.name,
                                  business_date=delivery.business_date)
    typed, unrequested = _drop_unrequested(typed, persons, f.name)
    parsed = Parsed(source=delivery.source, delivery=name, tables={"result": typed},
                    issues=issues + type_issues + unrequested, delivered={f.name: len(results)})
    return with_columns(parsed, "result", _request_columns(typed, persons))


def _drop_unrequested(typed: pa.Table, persons: dict[str, dict[str, str]], file: str
                      ) -> tuple[pa.Table, list[RowIssue]]:
    """Rows whose 身份证号 (as echoed) is not in the request leave the table as issues."""
    raw = typed.column("id_number_raw")
    inside = pc.fill_null(pc.is_in(raw, value_set=pa.array(sorted(persons), pa.string())), False)
    outside = pc.invert(inside)
    issues = [RowIssue(file, r, "身份证号", "unrequested_person", v,
                       "this 身份证号 was not in the batch's request (protocol violation: never used; report "
                       "it to the platform)")
              for r, v in zip(typed.filter(outside).column("_row").to_pylist(),
                              typed.filter(outside).column("id_number_raw").to_pylist(), strict=True)]
    return typed.filter(inside), issues


def _date_or_none(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _request_columns(typed: pa.Table, persons: dict[str, dict[str, str]]) -> dict[str, pa.Array]:
    ids = typed.column("id_number_raw").to_pylist()

    def field(key: str) -> list[Any]:
        return [persons[i].get(key) if i in persons else None for i in ids]

    dates = [_date_or_none(d) for d in field("授权书签署日期")]
    return {"application_no": pa.array(field("申请编号"), pa.string()),
            "authorization_date": pa.array(dates, pa.date32()),
            "requested_name": pa.array(field("姓名"), pa.string())}
