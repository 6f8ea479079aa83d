"""The GraphQL operations the benchmarks send, exactly as a client would."""

TREE = """query EstateTree($id: ID!) {
  estate(id: $id) {
    name houseCount totalBuildingArea depositDue balance
    buildings {
      id name houseCount
      houses {
        id code unit floor roomNumber address usage hasElevator buildingArea innerArea salesStatus status
        accountNumber depositDue depositPaid unpaid balance
        owners { name idType idNumber phone }
      }
    }
  }
}"""

FLOOR_PLAN = """query FloorPlan($id: ID!) {
  building(id: $id) {
    floorPlan {
      units
      floors { floor houses { id code roomNumber unit status buildingArea owners { name } } }
    }
  }
}"""

LOGIN = "mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
