"""The whole business as a stateful property test (hypothesis RuleBasedStateMachine), through the
GraphQL endpoint on the real PostgreSQL, Redis and arq worker.

Random sequences of collections, supplements, info changes (moves, swaps, and a number another
house holds), split/merges, cancellations, ownership changes, clerks' accepts, approvals and
rejections, applicants' submits and withdrawals, building / owner (代打) / custom (自定义, 续筹 by
Excel) notices, bank confirmations (right, repeated, wrong amount, unknown, cancelled, paid),
refund completion and recalculation under new deposit standards. The machine keeps a model of
what exists (read back from the API after every step, plus the applications it made) to choose
steps that look valid, and tries the mistakes users make, which must be refused with a coded
error. After every step it checks the invariants (`BusinessMachine.invariants_hold`), and every
response (and every job) is checked for INTERNAL.

Profiles (env WXFUND_STATEFUL):
    short (default)  5 examples of 15 steps, part of the ordinary suite; a failure is reported as
                     found (no shrinking, WXFUND_STATEFUL_SHRINK=1 to shrink)
    long             150 examples of 40 steps (6 000 steps), shrinking what fails:
        WXFUND_STATEFUL=long PYTHONPATH=$PWD .venv/bin/python -m pytest tests/test_business_state.py -q -s
    (WXFUND_STATEFUL_EXAMPLES / WXFUND_STATEFUL_STEPS override the counts of either profile; the
    run prints its examples, steps, checked refusals and seconds.) Hypothesis keeps failing
    examples in .hypothesis/ and replays them first on the next run.
Each hypothesis example starts from an emptied database (the conftest TRUNCATE) with one
developer, a clerk, a bank user, the example standards and a 12-house estate.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import invariant, run_state_machine_as_test
from sqlalchemy import func, select

from core.db import get_sessionmaker
from core.ids import encode_id
from models import LedgerEntry
from tests.business_state.applications import ApplicationRules
from tests.business_state.payments import PaymentRules
from tests.business_state.world import STATS, ZERO, money, number_of

PROFILE = os.environ.get("WXFUND_STATEFUL", "short")
EXAMPLES, STEPS = {"short": (5, 15), "long": (150, 40)}[PROFILE]
EXAMPLES = int(os.environ.get("WXFUND_STATEFUL_EXAMPLES", EXAMPLES))
STEPS = int(os.environ.get("WXFUND_STATEFUL_STEPS", STEPS))
# Shrinking replays whole sequences (a fresh database each), up to hypothesis's 5 minutes: the long
# profile shrinks; the short one reports its (at most STEPS-step) sequence as found, unless
# WXFUND_STATEFUL_SHRINK=1.
SHRINK = PROFILE == "long" or os.environ.get("WXFUND_STATEFUL_SHRINK") == "1"
SETTINGS = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, print_blob=True,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if SHRINK else []))


def make_machine(loop: asyncio.AbstractEventLoop, client, worker):
    """The machine class, bound to the test's event loop (where the worker runs) and client; its
    rules are in tests/business_state/applications.py and payments.py."""

    class BusinessMachine(ApplicationRules, PaymentRules):
        # ------------------------------------------------------------ invariants

        @invariant()
        def invariants_hold(self):
            self.refresh()

            async def ledger_sums():
                async with get_sessionmaker()() as session:
                    rows = (await session.execute(select(LedgerEntry.house_id, func.sum(LedgerEntry.amount))
                                                  .group_by(LedgerEntry.house_id))).all()
                return {encode_id("House", h): s for h, s in rows}

            db_sums = self.run(ledger_sums())
            sign = {"DEPOSIT": 1, "TRANSFER_IN": 1, "REFUND": -1, "TRANSFER_OUT": -1}
            for hid, h in self.houses.items():
                amounts = [money(e["amount"]) for e in h["ledger"]]
                balance, paid, due = money(h["balance"]), money(h["depositPaid"]), money(h["depositDue"])
                # balance = Σ of its ledger entries, as the API lists them and as the database holds them
                assert balance == sum(amounts, ZERO) == db_sums.get(hid, ZERO), (h["code"], h["balance"], db_sums.get(hid))
                if h["ledger"]:
                    assert money(h["ledger"][-1]["balanceAfter"]) == balance, h["code"]
                for e in h["ledger"]:
                    assert e["kind"] == "ADJUSTMENT" or money(e["amount"]) * sign[e["kind"]] > 0, (h["code"], e)
                # depositPaid = Σ DEPOSIT + Σ TRANSFER_IN − Σ TRANSFER_OUT − Σ REFUND
                assert paid == sum((abs(money(e["amount"])) * sign[e["kind"]] for e in h["ledger"] if e["kind"] in sign), ZERO), h["code"]
                assert money(h["unpaid"]) == max(ZERO, due - paid) >= 0, (h["code"], h["unpaid"], due, paid)
                if h["status"] == "CANCELLED":  # SPEC round 2: a cancelled house owes nothing
                    assert due == 0 and money(h["unpaid"]) == 0, ("a CANCELLED house keeps a due", h["code"], h["depositDue"], h["unpaid"])
                    self.ever_cancelled.add(hid)
                # statuses move forward only: PENDING → ACTIVE → CANCELLED
                was = self.seen_status.get(hid)
                assert not (was == "CANCELLED" and h["status"] != "CANCELLED"), ("a CANCELLED house came back", h["code"], h["status"])
                assert not (was == "ACTIVE" and h["status"] == "PENDING"), ("an ACTIVE house became PENDING", h["code"])
                self.seen_status[hid] = h["status"]
                if h["lockedBy"]:
                    assert any(a.number == h["lockedBy"]["number"] and a.status in ("SUBMITTED", "ACCEPTED")
                               for a in self.apps.values()), (h["code"], h["lockedBy"])
            for hid in self.ever_cancelled:
                assert hid not in self.houses or self.houses[hid]["status"] == "CANCELLED", hid
            # totals: depositDue over ACTIVE houses; depositPaid and balance over houses that are not PENDING
            for e in self.estates:
                for key in ("depositDue", "depositPaid", "balance"):
                    assert money(e[key]) == sum((money(b[key]) for b in e["buildings"]), ZERO), (e["name"], key)
                    for b in e["buildings"]:
                        counted = [h for h in b["houses"] if (h["status"] == "ACTIVE" if key == "depositDue" else h["status"] != "PENDING")]
                        assert money(b[key]) == sum((money(h[key]) for h in counted), ZERO), (e["name"], b["name"], key, b[key])
                assert e["houseCount"] == sum(b["houseCount"] for b in e["buildings"]), e["name"]
                for b in e["buildings"]:
                    assert b["houseCount"] == sum(h["status"] == "ACTIVE" for h in b["houses"]), b["name"]
                    numbers = [number_of(h) for h in b["houses"] if h["status"] == "ACTIVE"]
                    assert len(numbers) == len(set(numbers)), ("two ACTIVE houses share 单元+楼层+房号", b["name"], sorted(numbers))
            # notices: a house on at most one ISSUED notice, each ISSUED notice's houses ACTIVE, totals add up
            seen: dict[str, str] = {}
            for n in self.notices:
                assert money(n["total"]) == sum((money(l["amount"]) for l in n["lines"]), ZERO) > 0, n["number"]
                if n["status"] == "ISSUED":
                    for l in n["lines"]:
                        hid = l["house"]["id"]
                        assert hid not in seen, ("a house on two ISSUED notices", hid, seen[hid], n["number"])
                        seen[hid] = n["number"]
                        assert self.houses[hid]["status"] == "ACTIVE", ("an ISSUED notice for a house that is not ACTIVE",
                                                                         n["number"], self.houses[hid]["code"], self.houses[hid]["status"])
                if n["status"] == "PAID":  # SPEC round 2: paid at the bank's time
                    assert n["payment"] and n["payment"]["amount"] == n["total"], n
                    assert n["paidAt"] and datetime.fromisoformat(n["paidAt"]) == datetime.fromisoformat(n["payment"]["paidAt"]), (
                        "PaymentNotice.paidAt must be Payment.paidAt", n["number"], n["paidAt"], n["payment"]["paidAt"])
                else:
                    assert n["payment"] is None, n
            pending = [r["house"]["id"] for r in self.refunds if r["status"] == "PENDING"]
            assert len(pending) == len(set(pending)), "two PENDING refunds for one house"
            for r in self.refunds:
                assert money(r["amount"]) > 0, r
            listed = {a["id"]: a["status"] for a in self.listed_apps}
            for app in self.apps.values():
                assert listed.get(app.id) == app.status, (app.number, app.type, listed.get(app.id), app.status)

        def teardown(self):
            pass

    BusinessMachine.loop, BusinessMachine.client, BusinessMachine.worker = loop, client, worker
    return BusinessMachine


async def test_the_whole_business_as_a_state_machine(client, worker):
    """Hypothesis drives the machine in a thread; its steps run on this event loop (the worker's)."""
    loop = asyncio.get_running_loop()
    machine = make_machine(loop, client, worker)
    started = time.monotonic()
    before = dict(STATS)
    try:
        await loop.run_in_executor(None, lambda: run_state_machine_as_test(machine, settings=SETTINGS))
    finally:
        print(f"\n[stateful {PROFILE}] examples {STATS['examples'] - before['examples']}, steps {STATS['steps'] - before['steps']}, "
              f"refusals checked {STATS['refused'] - before['refused']}, {time.monotonic() - started:.0f} s")
