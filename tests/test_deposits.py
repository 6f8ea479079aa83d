"""The due rule (property tests), and the set-based recalculation agreeing with it."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import select, update

from models import Building, House
from models.enums import DepositBasis, HouseUsage
from services.payments.deposits import Standard, compute_due, recalculate
from services.payments.money import round_fen, round_yuan, split_by_weight

DAY = date(2026, 11, 27)
areas = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("500"), places=6)


def standard(i=1, *, usage=HouseUsage.RESIDENTIAL, elevator=None, lo=None, hi=None, basis=DepositBasis.PER_SQUARE_METRE,
             rate=Decimal("50"), yuan=False, since=date(2020, 1, 1)):
    return Standard(i, f"s{i}", usage, elevator, lo, hi, basis, rate, yuan, since)


@given(areas, rates, st.booleans())
def test_due_is_exact_never_negative_and_rounded_once(area, rate, yuan):
    due = compute_due(usage=HouseUsage.RESIDENTIAL, has_elevator=True, building_area=area, price=None, floors=10,
                      standards=[standard(rate=rate, yuan=yuan)], day=DAY)
    assert due.amount >= 0 and due.amount == due.amount.quantize(Decimal("0.01"))
    assert due.amount == (round_yuan(area * rate) if yuan else round_fen(area * rate))


@given(areas, areas, rates)
def test_due_is_monotone_in_area(a, b, rate):
    s = [standard(rate=rate)]
    small, large = sorted([a, b])
    due = lambda x: compute_due(usage=HouseUsage.RESIDENTIAL, has_elevator=False, building_area=x, price=None, floors=3,
                                standards=s, day=DAY).amount
    assert due(small) <= due(large)


def test_most_specific_then_latest_then_last_set():
    general = standard(1, rate=Decimal("10"))
    with_lift = standard(2, elevator=True, rate=Decimal("20"))
    tall = standard(3, elevator=True, lo=7, rate=Decimal("30"))
    newer = standard(4, elevator=True, lo=7, rate=Decimal("40"), since=date(2026, 1, 1))
    future = standard(5, elevator=True, lo=7, hi=99, rate=Decimal("99"), since=date(2027, 1, 1))
    args = dict(usage=HouseUsage.RESIDENTIAL, building_area=Decimal("100"), price=None, day=DAY)
    assert compute_due(has_elevator=False, floors=20, standards=[general, with_lift, tall], **args).amount == Decimal("1000.00")
    assert compute_due(has_elevator=True, floors=3, standards=[general, with_lift, tall], **args).amount == Decimal("2000.00")
    assert compute_due(has_elevator=True, floors=20, standards=[general, with_lift, tall, newer, future], **args).amount == Decimal("4000.00")
    assert compute_due(has_elevator=True, floors=20, standards=[standard(6, usage=HouseUsage.OFFICE)], **args) is None
    price = standard(7, basis=DepositBasis.FRACTION_OF_PRICE, rate=Decimal("0.02"))
    assert compute_due(has_elevator=True, floors=1, standards=[price], **args) is None  # no price
    assert compute_due(**{**args, "price": Decimal("1234567.89")}, has_elevator=True, floors=1, standards=[price]).amount == Decimal("24691.36")


def test_half_up_and_split():
    assert round_fen(Decimal("0.005")) == Decimal("0.01") and round_fen(Decimal("0.0049")) == Decimal("0.00")
    assert round_yuan(Decimal("12.50")) == Decimal("13.00")
    assert split_by_weight(Decimal("200.00"), [Decimal(1)] * 3) == [Decimal("66.66"), Decimal("66.66"), Decimal("66.68")]


@settings(max_examples=5, deadline=None)
@given(st.lists(st.tuples(areas, st.sampled_from(list(HouseUsage)), st.booleans()), min_size=1, max_size=30))
async def test_recalculation_in_sql_agrees_with_compute_due(rows):
    from core.db import get_sessionmaker

    async with get_sessionmaker()() as session:
        await _agree(session, rows)


async def _agree(session, rows):
    from services.seed import EstateShape, create_estate, create_example_standards
    from tests.factories import make_bank, make_org
    from sqlalchemy import text

    await session.execute(text("TRUNCATE houses, owners, buildings, estates, deposit_standards, organizations, users, banks RESTART IDENTITY CASCADE"))
    await session.commit()
    bank = await make_bank(session)
    org = await make_org(session)
    await create_example_standards(session)
    estate = await create_estate(session, developer_id=org.org_id, bank_id=bank, shape=EstateShape(
        name="核对", buildings=1, floors=len(rows), units=1, rooms_per_unit=1))
    ids = list(await session.scalars(select(House.id).order_by(House.id)))
    for house_id, (area, usage, lift) in zip(ids, rows):
        await session.execute(update(House).where(House.id == house_id).values(building_area=area, usage=usage, has_elevator=lift))
    await session.commit()
    from services.payments.deposits import dues_for_houses

    expected = await dues_for_houses(session, ids)
    await recalculate(session, estate_id=estate)
    await session.commit()
    actual = dict((await session.execute(select(House.id, House.deposit_due))).all())
    for house_id in ids:
        assert actual[house_id] == (expected[house_id].amount if expected[house_id] else Decimal("0.00"))
    assert await recalculate(session, estate_id=estate) == []  # twice: nothing changes
