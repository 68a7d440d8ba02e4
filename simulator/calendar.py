"""Delivery calendar of the synthetic city: naive Asia/Shanghai dates (sources/README.md sections 5-6).

Grain: one calendar day or one year-month ('YYYYMM' text). Working days are Monday-Friday: the
contracts allow a generator to ignore public holidays and 调休 weekends, and `is_working_day` is the
only place that decides it.
"""

from __future__ import annotations

from datetime import date, timedelta


def is_working_day(d: date) -> bool:
    """Monday-Friday (holidays deliberately ignored, README section 5 allows it for generators)."""
    return d.weekday() < 5


def next_working_day_on_or_after(d: date) -> date:
    """`d` itself if it is a working day, else the next working day."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after `d` (n >= 0; n = 0 gives `d` itself), e.g. for late manual deliveries."""
    if n < 0:
        raise ValueError("n must be >= 0")
    for _ in range(n):
        d = next_working_day_on_or_after(d + timedelta(days=1))
    return d


def last_day_of_month(year: int, month: int) -> date:
    """Last calendar day of the month."""
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def monthly_delivery_date(year: int, month: int, day: int, *, holidays_included: bool = False) -> date:
    """Scheduled date of a monthly delivery made in (year, month) on `day`.

    Manual exports (tax 20th, disability 5th, public_housing 6th, rural_monitoring 8th) move to the next
    working day; automated ones (housing_fund 3rd, education 10th: `holidays_included=True`) keep the day.
    """
    d = date(year, month, day)
    return d if holidays_included else next_working_day_on_or_after(d)


def _split(yyyymm: str) -> tuple[int, int]:
    if len(yyyymm) != 6 or not yyyymm.isdigit() or not 1 <= int(yyyymm[4:]) <= 12:
        raise ValueError(f"not a YYYYMM year-month: {yyyymm!r}")
    return int(yyyymm[:4]), int(yyyymm[4:])


def month_add(yyyymm: str, n: int) -> str:
    """'YYYYMM' shifted by n months (n may be negative): month_add('202501', -1) == '202412'."""
    year, month = _split(yyyymm)
    index = year * 12 + (month - 1) + n
    return f"{index // 12:04d}{index % 12 + 1:02d}"


def months_between(start: str, end: str) -> int:
    """Number of months from `start` to `end` ('YYYYMM'): months_between('202412', '202502') == 2."""
    (y1, m1), (y2, m2) = _split(start), _split(end)
    return (y2 * 12 + m2) - (y1 * 12 + m1)


def yyyymm(d: date) -> str:
    """Year-month of a date as 'YYYYMM'."""
    return f"{d.year:04d}{d.month:02d}"


def month_end(yyyymm_: str) -> date:
    """Last day of a 'YYYYMM' month (the as-of date of monthly snapshots)."""
    return last_day_of_month(*_split(yyyymm_))


def date_range(start: date, end: date) -> list[date]:
    """Every calendar day from `start` to `end`, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
