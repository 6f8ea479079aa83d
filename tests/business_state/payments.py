"""The business machine's rules for money: building, owner and custom notices, the 续筹 round trip
by Excel, cancelling notices, the bank's confirmations (right, repeated, wrong, unknown), refunds
and recalculation under new deposit standards."""

from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule
from openpyxl import load_workbook

from tests.api import Result
from tests.business_state.world import CONFIRM, NOTICE, NOTICE_LOCKS, STATS, Plumbing, fen, money, owner
from tests.sheets import XLSX


class PaymentRules(Plumbing):
    # ------------------------------------------------------------ notices

    @precondition(lambda self: self.active_buildings())
    @rule(data=st.data())
    def building_notice(self, data):
        STATS["steps"] += 1
        b = self.pick(data, self.active_buildings(), "building")
        on = self.on_notice()
        unpaid = [h for h in self.active_houses(building=b["id"]) if money(h["unpaid"]) > 0]
        eligible = [h for h in unpaid if h["id"] not in on and self.lock_type(h) not in NOTICE_LOCKS]
        r = self.gql("mutation($ids: [ID!]!) { issueBuildingNotices(buildingIds: $ids) { %s } }" % NOTICE,
                     {"ids": [b["id"]]}, token=self.dev)
        if eligible:
            notices = r.ok()["issueBuildingNotices"]
            assert len(notices) == 1 and notices[0]["payerKind"] == "DEVELOPER", notices
            lines = {l["house"]["id"]: l["amount"] for l in notices[0]["lines"]}
            assert lines == {h["id"]: h["unpaid"] for h in eligible}, (lines, eligible)
        elif unpaid and all(h["id"] in on for h in unpaid):  # SPEC round 2
            assert r.code == "CONFLICT" and r.errors[0]["extensions"].get("noticeNumber") in on.values(), (
                "issueBuildingNotices for a building whose every unpaid house is on an ISSUED notice must be CONFLICT",
                r.errors or r.data)
            self.refused(r)
        elif r.errors:
            self.refused(r, "CONFLICT", "INVALID_STATE")
        else:
            assert r.data["issueBuildingNotices"] == [], r.data

    @precondition(lambda self: self.active_houses())
    @rule(data=st.data(), mistake=st.booleans())
    def owner_notice(self, data, mistake):
        STATS["steps"] += 1
        h = self.pick_house(data, self.active_houses())
        q = "mutation($items: [OwnerNoticeItemInput!]!) { issueOwnerNotices(items: $items) { %s } }" % NOTICE
        person = owner(self.rng, "孙八")
        if mistake:  # a mobile number one digit short
            r = self.gql(q, {"items": [{"houseId": h["id"], "owners": [dict(person, phone="1380013800")]}]}, token=self.dev)
            self.refused(r, "VALIDATION_FAILED")
            assert r.errors[0]["extensions"]["field"] == "items.0.owners.0.phone", r.errors
        r = self.gql(q, {"items": [{"houseId": h["id"], "owners": [person]}]}, token=self.dev)
        on = self.on_notice()
        if not self.expect_refusal(r, {"HOUSE_LOCKED": self.lock_type(h) in NOTICE_LOCKS | {"OWNERSHIP_CHANGE"},
                                       "CONFLICT": h["id"] in on, "INVALID_STATE": money(h["unpaid"]) <= 0}, on.get(h["id"])):
            notice = r.ok()["issueOwnerNotices"][0]
            assert notice["payerKind"] == "OWNER" and notice["total"] == h["unpaid"], (notice, h)

    @precondition(lambda self: self.active_houses())
    @rule(data=st.data(), type=st.sampled_from(["MAKE_UP", "RENEWAL", "OTHER"]), mistake=st.booleans(),
          amount=st.sampled_from(["10.00", "123.45", "800.00"]))
    def custom_notice(self, data, type, mistake, amount):
        STATS["steps"] += 1
        h = self.pick_house(data, self.active_houses())
        q = "mutation($input: CustomNoticesInput!) { issueCustomNotices(input: $input) { %s } }" % NOTICE
        if mistake:  # 首期 is not a custom amount; nor is zero
            wrong = data.draw(st.sampled_from([("FIRST_DEPOSIT", amount), (type, "0.00"), (type, "1.005")]), label="wrong")
            r = self.gql(q, {"input": {"type": wrong[0], "items": [{"houseId": h["id"], "amount": wrong[1]}]}}, token=self.dev)
            self.refused(r, "VALIDATION_FAILED")
        r = self.gql(q, {"input": {"type": type, "items": [{"houseId": h["id"], "amount": amount}]}}, token=self.dev)
        on = self.on_notice()
        if not self.expect_refusal(r, {"HOUSE_LOCKED": self.lock_type(h) in NOTICE_LOCKS, "CONFLICT": h["id"] in on}, on.get(h["id"])):
            notice = r.ok()["issueCustomNotices"][0]
            assert notice["type"] == type and notice["total"] == amount, notice

    @precondition(lambda self: self.active_estates())
    @rule(data=st.data())
    def renewal_round_trip(self, data):
        """续筹: the default export (SPEC round 2: houses with depositPaid > 0 whose balance is under
        30 % of their first deposit), edited, imported back."""
        STATS["steps"] += 1
        estate = self.pick(data, self.active_estates(), "estate")
        r = self.gql("mutation($e: ID!) { exportRenewalAmounts(estateId: $e) { id } }", {"e": estate["id"]}, token=self.dev)
        done = self.job(r.ok()["exportRenewalAmounts"]["id"], self.dev)
        assert done["status"] == "SUCCEEDED", done
        wb = load_workbook(io.BytesIO(self.run(self.client.get(done["result"]["url"])).content))
        ws = wb.active
        rows = list(ws.iter_rows(min_row=2))
        exported = {row[0].value for row in rows}
        expected = {h["code"] for h in self.active_houses(estate["id"])
                    if money(h["depositPaid"]) > 0 and money(h["balance"]) < money(h["depositDue"]) * Decimal("0.3")}
        assert exported == expected, ("the 续筹 default is the houses with depositPaid > 0 and balance < 30 % of the first deposit",
                                      sorted(exported - expected), sorted(expected - exported))
        by_code = {h["code"]: h for h in self.active_houses(estate["id"])}
        on = self.on_notice()
        wanted = []
        for row in rows:
            h = by_code.get(row[0].value)
            ok = h and h["id"] not in on and self.lock_type(h) not in NOTICE_LOCKS and (row[8].value or 0) > 0
            if ok and data.draw(st.booleans(), label=f"renew {h['code']}"):
                wanted.append(h["id"])
            else:
                row[8].value = None
        if not wanted:
            return
        out = io.BytesIO()
        wb.save(out)
        q = "mutation($e: ID!, $file: Upload!) { importCustomAmounts(estateId: $e, type: RENEWAL, file: $file) { id } }"
        r = self.gql(q, {"e": estate["id"], "file": None}, token=self.dev, files={"variables.file": ("续筹.xlsx", out.getvalue(), XLSX)})
        done = self.job(r.ok()["importCustomAmounts"]["id"], self.dev)
        assert done["status"] == "SUCCEEDED", done
        issued = self.gql("query($id: ID!) { job(id: $id) { paymentNotices { type lines { house { id } } } } }",
                          {"id": done["id"]}, token=self.dev).ok()["job"]["paymentNotices"]
        assert sorted(l["house"]["id"] for n in issued for l in n["lines"]) == sorted(wanted) and {n["type"] for n in issued} == {"RENEWAL"}

    @precondition(lambda self: self.notices)
    @rule(data=st.data())
    def cancel_notice(self, data):
        STATS["steps"] += 1
        n = self.pick(data, self.notices, "notice")
        r = self.gql("mutation($id: ID!) { cancelPaymentNotice(id: $id) { status } }", {"id": n["id"]}, token=self.dev)
        if n["status"] != "ISSUED":
            return self.refused(r, "INVALID_STATE")
        assert r.ok()["cancelPaymentNotice"]["status"] == "CANCELLED"

    # ------------------------------------------------------------ the bank

    def confirm(self, number: str, amount: str, tx: str) -> Result:
        return self.gql(CONFIRM, {"input": {"noticeNumber": number, "amount": amount, "bankTransactionId": tx,
                                            "paidAt": self.paid_at(), "channel": "BANK_COUNTER"}}, token=self.bank)

    @precondition(lambda self: any(n["status"] == "ISSUED" for n in self.notices))
    @rule(data=st.data(), mistake=st.booleans())
    def confirm_payment(self, data, mistake):
        STATS["steps"] += 1
        n = self.pick(data, [n for n in self.notices if n["status"] == "ISSUED"], "notice")
        if mistake:  # a fen more than the notice says
            self.refused(self.confirm(n["number"], str(money(n["total"]) + Decimal("0.01")), self.tx_id()), "AMOUNT_MISMATCH")
        tx = self.tx_id()
        paid = self.confirm(n["number"], n["total"], tx).ok()["confirmPayment"]
        assert paid["notice"]["status"] == "PAID" and paid["amount"] == n["total"], paid
        self.tx[tx] = (n["number"], n["total"], paid["id"])
        before = {l["house"]["id"]: money(self.houses[l["house"]["id"]]["balance"]) for l in n["lines"]}
        self.refresh()
        for line in n["lines"]:  # each house's ledger credited line by line
            hid = line["house"]["id"]
            assert money(self.houses[hid]["balance"]) == before[hid] + money(line["amount"]), (hid, line)

    @precondition(lambda self: self.tx)
    @rule(data=st.data(), kind=st.sampled_from(["repeat", "new_tx_on_paid", "tx_on_other_notice"]))
    def confirm_again(self, data, kind):
        STATS["steps"] += 1
        tx = self.pick(data, sorted(self.tx), "tx")
        number, amount, payment = self.tx[tx]
        if kind == "repeat":  # the same transaction id again: the effect of once
            again = self.confirm(number, amount, tx).ok()["confirmPayment"]
            assert again["id"] == payment, again
        elif kind == "new_tx_on_paid":
            self.refused(self.confirm(number, amount, self.tx_id()), "ALREADY_PAID")
        else:
            others = [n for n in self.notices if n["number"] != number and n["status"] == "ISSUED"]
            if others:
                other = self.pick(data, others, "other")
                self.refused(self.confirm(other["number"], other["total"], tx), "CONFLICT")

    @rule(data=st.data())
    def confirm_unknown_or_cancelled(self, data):
        STATS["steps"] += 1
        cancelled = [n for n in self.notices if n["status"] == "CANCELLED"]
        if cancelled and data.draw(st.booleans(), label="cancelled"):
            n = self.pick(data, cancelled, "notice")
            self.refused(self.confirm(n["number"], n["total"], self.tx_id()), "INVALID_STATE")
        else:
            self.refused(self.confirm("JC2099010199999", "100.00", self.tx_id()), "NOT_FOUND")

    # ------------------------------------------------------------ refunds and recalculation

    @precondition(lambda self: self.refunds)
    @rule(data=st.data())
    def complete_refund(self, data):
        STATS["steps"] += 1
        refund = self.pick(data, self.refunds, "refund")
        h = self.houses[refund["house"]["id"]]
        r = self.gql("mutation($id: ID!) { completeRefund(id: $id) { status } }", {"id": refund["id"]}, token=self.clerk)
        if refund["status"] != "PENDING":
            return self.refused(r, "INVALID_STATE")
        if money(h["balance"]) < money(refund["amount"]):
            return self.refused(r, "INVALID_STATE")
        assert r.ok()["completeRefund"]["status"] == "COMPLETED"
        self.refresh()
        assert money(self.houses[h["id"]]["balance"]) == money(h["balance"]) - money(refund["amount"])

    @rule(data=st.data(), elevator=st.booleans(), rate=st.sampled_from(["35.00", "45.50", "52.00", "64.25"]),
          mistake=st.booleans(), whole=st.booleans())
    def recalculate(self, data, elevator, rate, mistake, whole):
        STATS["steps"] += 1
        q = "mutation($input: DepositStandardInput!) { setDepositStandard(input: $input) { id } }"
        standard = {"name": f"住宅{'有' if elevator else '无'}电梯（调整）", "usage": "RESIDENTIAL", "hasElevator": elevator,
                    "basis": "PER_SQUARE_METRE", "rate": rate, "effectiveFrom": "2026-01-01"}
        if mistake:
            self.refused(self.gql(q, {"input": {**standard, "rate": "0"}}, token=self.clerk), "VALIDATION_FAILED")
        self.gql(q, {"input": standard}, token=self.clerk).ok()
        estates = self.active_estates()
        estate = None if whole or not estates else self.pick(data, estates, "estate")["id"]
        r = self.gql("mutation($e: ID) { recalculateDeposits(estateId: $e) { id } }", {"e": estate}, token=self.clerk)
        before = self.houses
        done = self.job(r.ok()["recalculateDeposits"]["id"], self.clerk)
        assert done["status"] == "SUCCEEDED", done
        self.refresh()
        for hid, h in self.houses.items():
            old = before.get(hid)
            if old is None or old["status"] != "ACTIVE" or (estate and h["estate"] != estate):
                continue
            if money(old["depositPaid"]) != 0:  # houses with money paid keep their due
                assert h["depositDue"] == old["depositDue"], (h, old)
            elif h["usage"] == "RESIDENTIAL" and h["hasElevator"] == elevator:
                assert money(h["depositDue"]) == fen(money(h["buildingArea"]) * money(rate)), (h, rate)

