"""The business machine's rules for applications: collections and supplements that create houses,
info changes (by form and by Excel), ownership changes, cancellations and split/merges on existing
houses, and the life cycle (submit, accept, reject, withdraw, approve), each tried now and then
with the mistake a user makes."""

from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule
from openpyxl import load_workbook

from tests.business_state.world import (
    APP, AREAS, IMPORT, REFUND_ACCOUNT, STATS, UNIT, AppModel, Plumbing, money, number_of, owner,
)
from tests.sheets import XLSX, house as sheet_house


class ApplicationRules(Plumbing):
    # ------------------------------------------------------------ applications that create houses

    @rule(data=st.data(), mistake=st.booleans())
    def collect_estate(self, data, mistake):
        STATS["steps"] += 1
        name = f"新城花园{self.counter}"
        self.counter += 1
        q = "mutation($input: EstateCollectionInput!) { createEstateCollection(input: $input) { %s estate { id } } }" % APP
        r = self.gql(q, {"input": {"name": name, "district": "江海区", "address": "江门市江海区新城路 1 号",
                                   "depositTiming": "BEFORE_HANDOVER"}}, token=self.dev)
        created = r.ok()["createEstateCollection"]
        buildings = data.draw(st.integers(1, 2), label="buildings")
        rows = [sheet_house(f"{b}栋", UNIT, f, f"{f}{r:02d}", self.rng.choice(AREAS))
                for b in range(1, buildings + 1) for f in (1, 2) for r in (1, 2)]
        if mistake:  # the same 单元+楼层+房号 twice in the file: every row checked, nothing written
            failed = self.upload(created["id"], rows + [dict(rows[0])])
            assert failed["status"] == "FAILED" and any(e["code"] == "DUPLICATE" for e in failed["errors"]), failed
        done = self.upload(created["id"], rows)
        assert done["status"] == "SUCCEEDED", done
        app = AppModel(created["id"], created["number"], created["type"], created["estate"]["id"], "DRAFT", rows=len(rows))
        self.apps[app.id] = app

    @precondition(lambda self: self.active_estates())
    @rule(data=st.data(), mistake=st.booleans())
    def supplement(self, data, mistake):
        STATS["steps"] += 1
        estate = self.pick(data, self.active_estates(), "estate")
        q = "mutation($input: HouseSupplementInput!) { createHouseSupplement(input: $input) { %s } }" % APP
        r = self.gql(q, {"input": {"estateId": estate["id"], "depositTiming": "BEFORE_INITIAL_REGISTRATION"}}, token=self.dev)
        if r.errors:  # another collection or supplement of the estate is under review
            assert r.code == "HOUSE_LOCKED" and any(
                a.type in ("HOUSE_SUPPLEMENT", "ESTATE_COLLECTION") and a.estate == estate["id"]
                for a in self.apps_in("SUBMITTED", "ACCEPTED")), r.errors
            return self.refused(r)
        created = r.ok()["createHouseSupplement"]
        rows = []
        buildings = self.active_buildings(estate["id"])
        target = self.pick(data, buildings, "building") if buildings and data.draw(st.booleans(), label="existing") else None
        if target is not None:
            free = self.free_numbers(target["id"])
            for unit, floor, room in data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True), label="numbers") if free else []:
                rows.append(sheet_house(target["name"], unit, floor, room, self.rng.choice(AREAS)))
        if not rows:
            name = f"补{self.counter}栋"
            self.counter += 1
            rows = [sheet_house(name, UNIT, 1, "101", self.rng.choice(AREAS)), sheet_house(name, UNIT, 1, "102", "30.00", usage="车库", sold="未售")]
        taken = self.active_houses(estate["id"])
        if mistake and taken:  # a row with a number an ACTIVE house of that building holds
            held = self.pick(data, taken, "held")
            b = self.buildings[held["building"]]
            failed = self.upload(created["id"], [sheet_house(b["name"], held["unit"], held["floor"], held["roomNumber"], "80.00")])
            assert failed["status"] == "FAILED" and any(e["code"] == "DUPLICATE" for e in failed["errors"]), failed
        if self.imported(self.upload(created["id"], rows), {r["楼幢名称"] for r in rows}):
            self.add_app(created, estate["id"], rows=len(rows))

    # ------------------------------------------------------------ applications on existing houses

    @precondition(lambda self: self.active_houses())
    @rule(data=st.data(), kind=st.sampled_from(["area", "usage", "elevator", "swap", "move", "duplicate"]))
    def info_change(self, data, kind):
        STATS["steps"] += 1
        estate = self.pick(data, [e for e in self.active_estates() if self.active_houses(e["id"])], "estate")
        houses = self.active_houses(estate["id"])
        h = self.pick_house(data, houses)
        items, expect = [], {}
        if kind == "area":
            area = data.draw(st.sampled_from([a for a in AREAS if money(a) != money(h["buildingArea"])]), label="area")
            inner = (money(area) * Decimal("0.8")).quantize(Decimal("0.01"))  # 测绘 gives both areas
            items.append({"houseId": h["id"], "buildingArea": area, "innerArea": str(inner)})
            expect[h["id"]] = {"buildingArea": area}
        elif kind == "usage":
            usage = data.draw(st.sampled_from(["RESIDENTIAL", "OFFICE", "COMMERCIAL"]), label="usage")
            items.append({"houseId": h["id"], "usage": usage})
            expect[h["id"]] = {"usage": usage}
        elif kind == "elevator":
            items.append({"houseId": h["id"], "hasElevator": not h["hasElevator"]})
            expect[h["id"]] = {"hasElevator": not h["hasElevator"]}
        elif kind == "swap":  # two houses of one building exchange their numbers
            others = [g for g in self.active_houses(building=h["building"]) if g["id"] != h["id"]]
            if not others:
                return
            g = self.pick(data, others, "other")
            for a, b in ((h, g), (g, h)):
                items.append({"houseId": a["id"], "unit": b["unit"], "floor": b["floor"], "roomNumber": b["roomNumber"]})
                expect[a["id"]] = {"unit": b["unit"], "floor": b["floor"], "roomNumber": b["roomNumber"]}
        elif kind == "move":  # to another building of the estate, at a number free there
            targets = [b for b in self.active_buildings(estate["id"]) if b["id"] != h["building"] and self.free_numbers(b["id"])]
            if not targets:
                return
            b = self.pick(data, targets, "target")
            unit, floor, room = self.pick(data, self.free_numbers(b["id"]), "number")
            items.append({"houseId": h["id"], "buildingId": b["id"], "unit": unit, "floor": floor, "roomNumber": room})
            expect[h["id"]] = {"building": b["id"], "unit": unit, "floor": floor, "roomNumber": room}
        else:  # duplicate: the number another ACTIVE house of the building holds (SPEC round 2: CONFLICT on create)
            others = [g for g in self.active_houses(building=h["building"]) if number_of(g) != number_of(h)]
            if not others:
                return
            g = self.pick(data, others, "holder")
            items.append({"houseId": h["id"], "unit": g["unit"], "floor": g["floor"], "roomNumber": g["roomNumber"]})
        q = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { %s } }" % APP
        r = self.gql(q, {"input": {"estateId": estate["id"], "reason": "测绘更正", "items": items}}, token=self.dev)
        if kind == "duplicate" and not (r.code == "HOUSE_LOCKED" and h["lockedBy"]):
            assert r.code == "CONFLICT", ("an info change giving a house the 单元+楼层+房号 of another ACTIVE house "
                                          "must be refused with CONFLICT on create", items, r.errors or r.data)
            assert g["code"] in r.errors[0]["message"], r.errors  # naming the holder's 房屋编号
            return self.refused(r)
        if r.errors:  # a chosen house, or the building a house moves to, is under review
            involved = [self.houses[i["houseId"]]["lockedBy"] for i in items] + [
                self.buildings[i["buildingId"]]["lockedBy"] for i in items if i.get("buildingId")]
            assert r.code == "HOUSE_LOCKED" and any(involved), r.errors
            return self.refused(r)
        self.add_app(r.ok()["createHouseInfoChange"], estate["id"], [i["houseId"] for i in items], expect=expect)

    @precondition(lambda self: self.active_houses())
    @rule(data=st.data())
    def info_change_by_excel(self, data):
        """信息变更 by Excel: export the chosen houses with the application, edit the areas, import."""
        STATS["steps"] += 1
        estate = self.pick(data, [e for e in self.active_estates() if self.active_houses(e["id"])], "estate")
        by_code = {h["code"]: h for h in self.active_houses(estate["id"])}
        chosen = self.pick_houses(data, self.active_houses(estate["id"]))
        q = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { %s } }" % APP
        r = self.gql(q, {"input": {"estateId": estate["id"], "reason": "面积更正",
                                   "items": [{"houseId": h["id"]} for h in chosen]}}, token=self.dev)
        if r.errors:
            assert r.code == "HOUSE_LOCKED" and any(h["lockedBy"] for h in chosen), r.errors
            return self.refused(r)
        created = r.ok()["createHouseInfoChange"]
        r = self.gql("mutation($id: ID) { exportHouses(applicationId: $id) { id } }", {"id": created["id"]}, token=self.dev)
        done = self.job(r.ok()["exportHouses"]["id"], self.dev)
        assert done["status"] == "SUCCEEDED", done
        wb = load_workbook(io.BytesIO(self.run(self.client.get(done["result"]["url"])).content))
        ws = wb.active
        header_row = next(row for row in ws.iter_rows() if any(c.value == "房屋编号" for c in row))
        col = {c.value: c.column for c in header_row}
        expect, areas = {}, {}
        for row in ws.iter_rows(min_row=header_row[0].row + 1):
            code = row[col["房屋编号"] - 1].value
            if code not in by_code:
                continue
            # A house with several owners is several rows, and its house columns must agree on all.
            if code not in areas:
                areas[code] = money(data.draw(st.sampled_from(AREAS), label=f"area {code}"))
            area = areas[code]
            ws.cell(row[0].row, col["建筑面积"]).value = float(area)
            ws.cell(row[0].row, col["套内面积"]).value = float((area * Decimal("0.8")).quantize(Decimal("0.01")))
            expect[by_code[code]["id"]] = {"buildingArea": str(area)}
        assert set(expect) == {h["id"] for h in chosen}, ("the export lists the application's houses", expect)
        out = io.BytesIO()
        wb.save(out)
        r = self.gql(IMPORT, {"id": created["id"], "file": None}, token=self.dev,
                     files={"variables.file": ("信息变更.xlsx", out.getvalue(), XLSX)})
        done = self.job(r.ok()["importHouses"]["id"], self.dev)
        assert done["status"] == "SUCCEEDED", done
        self.add_app(created, estate["id"], [h["id"] for h in chosen], expect=expect)

    @precondition(lambda self: [a for a in self.apps_in("DRAFT", "REJECTED") if a.type in ("HOUSE_INFO_CHANGE", "HOUSE_CANCELLATION")])
    @rule(data=st.data())
    def edit(self, data):
        """An edit of a DRAFT or REJECTED application replaces what its create set."""
        STATS["steps"] += 1
        app = self.pick(data, [a for a in self.apps_in("DRAFT", "REJECTED") if a.type in ("HOUSE_INFO_CHANGE", "HOUSE_CANCELLATION")], "app")
        houses = self.active_houses(app.estate)
        if not houses:
            return
        h = self.pick_house(data, houses)
        if app.type == "HOUSE_CANCELLATION":
            q = "mutation($id: ID!, $input: HouseCancellationInput!) { updateHouseCancellation(id: $id, input: $input) { %s } }" % APP
            variables = {"estateId": app.estate, "reason": "灭失（更正）", "houseIds": [h["id"]]}
            expect = {}
        else:
            area = data.draw(st.sampled_from(AREAS), label="area")
            inner = str((money(area) * Decimal("0.8")).quantize(Decimal("0.01")))
            q = "mutation($id: ID!, $input: HouseInfoChangeInput!) { updateHouseInfoChange(id: $id, input: $input) { %s } }" % APP
            variables = {"estateId": app.estate, "reason": "测绘更正（修改）",
                         "items": [{"houseId": h["id"], "buildingArea": area, "innerArea": inner}]}
            expect = {h["id"]: {"buildingArea": area}}
        r = self.gql(q, {"id": app.id, "input": variables}, token=self.dev)
        if r.errors:
            assert r.code == "HOUSE_LOCKED" and h["lockedBy"], r.errors
            return self.refused(r)
        assert next(iter(r.ok().values()))["status"] == app.status
        app.houses, app.expect = [h["id"]], expect

    @precondition(lambda self: any(h["salesStatus"] == "SOLD" for h in self.active_houses()))
    @rule(data=st.data(), mistake=st.booleans(), two=st.booleans())
    def ownership_change(self, data, mistake, two):
        STATS["steps"] += 1
        h = self.pick_house(data, [h for h in self.active_houses() if h["salesStatus"] == "SOLD"])
        owners = [owner(self.rng, "赵六")] + ([owner(self.rng, "钱七")] if two else [])
        if two:
            owners[0]["share"], owners[1]["share"] = "0.50", "0.50"
        q = "mutation($input: OwnershipChangeInput!) { createOwnershipChange(input: $input) { %s } }" % APP
        variables = {"input": {"estateId": h["estate"], "items": [{"houseId": h["id"], "owners": owners}]}}
        if mistake:  # a 身份证号 with a wrong check digit
            bad = dict(owners[0], idNumber=owners[0]["idNumber"][:-1] + ("0" if owners[0]["idNumber"][-1] != "0" else "1"))
            r = self.gql(q, {"input": {**variables["input"], "items": [{"houseId": h["id"], "owners": [bad] + owners[1:]}]}}, token=self.dev)
            self.refused(r, "VALIDATION_FAILED")
            assert r.errors[0]["extensions"]["field"] == "input.items.0.owners.0.idNumber", r.errors
        r = self.gql(q, variables, token=self.dev)
        if r.errors:
            assert r.code == "HOUSE_LOCKED" and h["lockedBy"], r.errors
            return self.refused(r)
        self.add_app(r.ok()["createOwnershipChange"], h["estate"], [h["id"]],
                     expect={h["id"]: {"owners": [o["name"] for o in owners]}})

    @precondition(lambda self: self.active_houses())
    @rule(data=st.data())
    def cancellation(self, data):
        STATS["steps"] += 1
        estate = self.pick(data, [e for e in self.active_estates() if self.active_houses(e["id"])], "estate")
        chosen = self.pick_houses(data, self.active_houses(estate["id"]))
        q = "mutation($input: HouseCancellationInput!) { createHouseCancellation(input: $input) { %s } }" % APP
        r = self.gql(q, {"input": {"estateId": estate["id"], "reason": "灭失", "houseIds": [h["id"] for h in chosen]}}, token=self.dev)
        if r.errors:
            assert r.code == "HOUSE_LOCKED" and any(h["lockedBy"] for h in chosen), r.errors
            return self.refused(r)
        self.add_app(r.ok()["createHouseCancellation"], estate["id"], [h["id"] for h in chosen])

    @precondition(lambda self: self.active_houses())
    @rule(data=st.data(), merge=st.booleans(), mistake=st.booleans())
    def split_merge(self, data, merge, mistake):
        STATS["steps"] += 1
        h = self.pick_house(data, self.active_houses())
        building = self.buildings[h["building"]]
        sources = [h]
        if merge:
            others = [g for g in self.active_houses(building=h["building"]) if g["id"] != h["id"]]
            if not others:
                return
            sources.append(self.pick(data, others, "other"))
        total = sum(money(s["buildingArea"]) for s in sources)
        free = self.free_numbers(h["building"], exclude={s["id"] for s in sources})
        elevator = "有" if h["hasElevator"] else "无"
        if merge:  # the result keeps the first house's number
            results = [(h["unit"], h["floor"], h["roomNumber"], total)]
        else:  # one result keeps the number, the other takes a free one
            extra = [n for n in free if n != number_of(h)]
            if not extra:
                return
            unit, floor, room = self.pick(data, extra, "number")
            half = (total / 2).quantize(Decimal("0.01"))
            results = [(h["unit"], h["floor"], h["roomNumber"], half), (unit, floor, room, total - half)]
        q = "mutation($input: HouseSplitMergeInput!) { createHouseSplitMerge(input: $input) { %s } }" % APP
        r = self.gql(q, {"input": {"estateId": h["estate"], "reason": "两套合并" if merge else "一套分为两套",
                                   "houseIds": [s["id"] for s in sources]}}, token=self.dev)
        if r.errors:
            assert r.code == "HOUSE_LOCKED" and any(s["lockedBy"] for s in sources), r.errors
            return self.refused(r)
        created = r.ok()["createHouseSplitMerge"]
        rows = [sheet_house(building["name"], u, f, n, str(a), elevator=elevator) for u, f, n, a in results]
        attached = self.gql("mutation($id: ID!, $file: Upload!) { addAttachment(applicationId: $id, file: $file) { id } }",
                            {"id": created["id"], "file": None}, token=self.dev,
                            files={"variables.file": ("证明.pdf", b"%PDF-1.4 proof", "application/pdf")})
        attached.ok()
        if mistake and not any(s["lockedBy"] for s in sources):  # the results' areas do not add up
            wrong = [dict(r, 建筑面积=str(money(r["建筑面积"]) + 5)) for r in rows]
            if not self.imported(self.upload(created["id"], wrong, with_code=True), {building["name"]}):
                return
            r = self.gql("mutation($id: ID!) { submitApplication(id: $id, refundAccount: {accountName: \"x\", bankName: \"y\", accountNumber: \"1\"}) { status } }",
                         {"id": created["id"]}, token=self.dev)
            self.refused(r, "AREA_MISMATCH")
        if self.imported(self.upload(created["id"], rows, with_code=True), {building["name"]}):
            self.add_app(created, h["estate"], [s["id"] for s in sources], rows=len(rows))

    # ------------------------------------------------------------ the life cycle

    @precondition(lambda self: self.apps_in("DRAFT", "REJECTED"))
    @rule(data=st.data(), mistake=st.booleans())
    def submit(self, data, mistake):
        STATS["steps"] += 1
        self._submit(self.pick(data, self.apps_in("DRAFT", "REJECTED"), "app"), mistake)

    @precondition(lambda self: self.apps_in("DRAFT", "REJECTED", "SUBMITTED"))
    @rule(data=st.data())
    def through_review(self, data):
        """The usual day: submitted, accepted and approved one after the other."""
        STATS["steps"] += 1
        app = self.pick(data, self.apps_in("DRAFT", "REJECTED", "SUBMITTED"), "app")
        if app.status == "SUBMITTED" or self._submit(app, False):
            self._accept(app)
            self.refresh()
            self._approve(app)

    def _submit(self, app: AppModel, mistake: bool) -> bool:
        needs = self.gql("query($id: ID!) { application(id: $id) { needsRefundAccount } }", {"id": app.id},
                         token=self.dev).ok()["application"]["needsRefundAccount"]
        q = "mutation($id: ID!, $account: RefundAccountInput) { submitApplication(id: $id, refundAccount: $account) { %s } }" % APP
        if needs and mistake and not app.refund_account:  # approval would refund money: no account is refused, naming the field
            r = self.gql(q, {"id": app.id, "account": None}, token=self.dev)
            self.refused(r)
            fields = {e["extensions"].get("field") for e in r.errors} | {
                p.get("field") for e in r.errors for p in e["extensions"].get("problems") or []}
            assert "refundAccount" in fields, r.errors
        r = self.gql(q, {"id": app.id, "account": REFUND_ACCOUNT if needs else None}, token=self.dev)
        if r.errors:
            self.refused(r, "HOUSE_LOCKED", "CONFLICT", "AREA_MISMATCH", "VALIDATION_FAILED", "INVALID_STATE", "NOT_FOUND")
            if r.code == "HOUSE_LOCKED":
                holder = r.errors[0]["extensions"]["applicationNumber"]
                assert any(a.number == holder and a.status in ("SUBMITTED", "ACCEPTED") for a in self.apps.values()), r.errors
            return False
        app.status = r.ok()["submitApplication"]["status"]
        app.refund_account = app.refund_account or needs
        assert app.status == "SUBMITTED"
        return True

    @precondition(lambda self: self.apps_in("SUBMITTED"))
    @rule(data=st.data())
    def accept(self, data):
        STATS["steps"] += 1
        self._accept(self.pick(data, self.apps_in("SUBMITTED"), "app"))

    def _accept(self, app: AppModel) -> None:
        r = self.gql("mutation($id: ID!) { acceptApplication(id: $id) { %s } }" % APP, {"id": app.id}, token=self.clerk)
        app.status = r.ok()["acceptApplication"]["status"]
        assert app.status == "ACCEPTED"

    @precondition(lambda self: self.apps_in("SUBMITTED", "ACCEPTED"))
    @rule(data=st.data(), mistake=st.booleans())
    def reject(self, data, mistake):
        STATS["steps"] += 1
        app = self.pick(data, self.apps_in("SUBMITTED", "ACCEPTED"), "app")
        q = "mutation($id: ID!, $c: String!) { rejectApplication(id: $id, comment: $c) { %s } }" % APP
        if mistake:
            self.refused(self.gql(q, {"id": app.id, "c": "  "}, token=self.clerk), "VALIDATION_FAILED")
        app.status = self.gql(q, {"id": app.id, "c": "材料不全"}, token=self.clerk).ok()["rejectApplication"]["status"]
        assert app.status == "REJECTED"

    @precondition(lambda self: self.apps)
    @rule(data=st.data())
    def withdraw(self, data):
        STATS["steps"] += 1
        app = self.pick(data, self.apps.values(), "app")
        r = self.gql("mutation($id: ID!) { withdrawApplication(id: $id) { %s } }" % APP, {"id": app.id}, token=self.dev)
        if app.status not in ("DRAFT", "SUBMITTED", "REJECTED"):
            return self.refused(r, "INVALID_STATE")
        app.status = r.ok()["withdrawApplication"]["status"]
        assert app.status == "WITHDRAWN"
        if app.type == "ESTATE_COLLECTION":  # PENDING rows are deleted with their application
            self.refresh()
            assert app.estate not in {e["id"] for e in self.estates}, app.number

    @precondition(lambda self: self.apps_in("ACCEPTED"))
    @rule(data=st.data())
    def approve(self, data):
        STATS["steps"] += 1
        self._approve(self.pick(data, self.apps_in("ACCEPTED"), "app"))

    def _approve(self, app: AppModel) -> None:
        before_houses, before_notices = self.houses, {n["id"]: n for n in self.notices}
        r = self.gql("mutation($id: ID!) { approveApplication(id: $id) { %s } }" % APP, {"id": app.id}, token=self.clerk)
        if r.errors:
            self.refused(r, "INVALID_STATE", "CONFLICT")
            return
        app.status = r.ok()["approveApplication"]["status"]
        assert app.status == "APPROVED"
        self.refresh()
        detail = self.gql("""query($id: ID!) { application(id: $id) { houseChanges(first: 100) { house { id } before { code } }
                               paymentNotices { id number status lines { house { id } } } refunds { amount status house { id } } } }""",
                          {"id": app.id}, token=self.dev).ok()["application"]
        touched = {c["house"]["id"] for c in detail["houseChanges"]}
        created = {c["house"]["id"] for c in detail["houseChanges"] if c["before"] is None}
        if app.type in ("ESTATE_COLLECTION", "HOUSE_SUPPLEMENT", "HOUSE_SPLIT_MERGE"):
            assert len(created) == app.rows, (app, detail)
            for hid in created:  # 开户 with a due under the example standards
                assert self.houses[hid]["status"] == "ACTIVE" and money(self.houses[hid]["depositDue"]) > 0, self.houses[hid]
        if app.type in ("HOUSE_CANCELLATION", "HOUSE_SPLIT_MERGE"):
            for hid in app.houses:
                assert self.houses[hid]["status"] == "CANCELLED", self.houses[hid]
        if app.type == "HOUSE_SPLIT_MERGE":  # the pooled balance is carried over, to the fen
            assert sum(money(self.houses[h]["balance"]) for h in created) == sum(money(before_houses[h]["balance"]) for h in app.houses)
        if app.type == "HOUSE_CANCELLATION":  # a positive balance becomes a refund
            for hid in app.houses:
                balance = money(before_houses[hid]["balance"])
                mine = [x for x in detail["refunds"] if x["house"]["id"] == hid]
                assert [money(x["amount"]) for x in mine] == ([balance] if balance > 0 else []), (hid, balance, mine)
        for hid, values in app.expect.items():
            h = self.houses[hid]
            for key, value in values.items():
                got = [o["name"] for o in h["owners"]] if key == "owners" else h[key]
                if key == "buildingArea":
                    got, value = money(got), money(value)
                assert got == value, (hid, key, got, value)
        # SPEC round 2: a building notice cancelled by this approval is replaced at once by one for
        # the houses it covered that the application did not touch (their unpaid amounts now).
        now = {n["id"]: n for n in self.notices}
        issued = self.on_notice()
        mine = {n["number"] for n in detail["paymentNotices"]}
        for nid, n in before_notices.items():
            if n["status"] != "ISSUED" or now[nid]["status"] != "CANCELLED" or n["building"] is None or n["payerKind"] != "DEVELOPER":
                continue
            for line in n["lines"]:
                hid = line["house"]["id"]
                h = self.houses.get(hid)
                if hid in touched or h is None or h["status"] != "ACTIVE" or money(h["unpaid"]) <= 0:
                    continue
                assert hid in issued and issued[hid] in mine, (
                    f"building notice {n['number']} cancelled by {app.number} without a replacement for house {h['code']}",
                    issued.get(hid), mine)

