"""The estate tree (estates, buildings, houses, their owners and totals), read side: `read` (batched
loads, pages, totals) and `floor_plan` (the 楼盘表 grid)."""
