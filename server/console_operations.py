"""The clerks' console: ready, commented GraphQL operations for every task of the fund
office's roles, shown in GraphiQL's 业务操作 pane (server/static/graphiql-init.js reads them from
/graphiql/operations.json). tests/test_console.py validates each against the schema."""

from __future__ import annotations

import json
from typing import Any

ROLES = {"CLERK": "受理 / 审核", "BANK": "专户银行", "ADMIN": "系统管理员"}
OPERATIONS: list[dict[str, Any]] = []


def op(role: str, title: str, query: str, variables: dict | None = None) -> None:
    """One operation of the pane: its role, its title (the task's Chinese name), the query with
    its comments, and example variables (as the JSON text GraphiQL's variables editor shows)."""
    OPERATIONS.append({"role": role, "title": title, "query": query.strip() + "\n",
                       "variables": json.dumps(variables or {}, ensure_ascii=False, indent=2)})


# ------------------------------------------------------------------ 受理/审核 (CLERK)
op("CLERK", "待受理业务单", """
# 待受理业务单：已提交、等待受理（收取纸质材料）的业务单，最早提交的在前。
# 翻页：把结果里的 pageInfo.endCursor 填入变量 after。
query PendingApplications($after: String) {
  applications(filter: {status: SUBMITTED}, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id                # 业务单 ID：受理、审核、退回时填入变量 id
        number            # 业务单号
        type              # 业务类型
        status
        submittedAt
        organization { name materialsVerified }
        estate { name code }
        houseChangeCount  # 涉及房屋数
        form { url }      # 申请表 PDF（链接有效期 15 分钟）
      }
    }
  }
}
""", {"after": None})

op("CLERK", "受理", """
# 受理：已收到纸质材料。把“待受理业务单”里的 id 填入变量 id。
mutation Accept($id: ID!) {
  acceptApplication(id: $id) {
    number
    status            # 受理后为 ACCEPTED
    history { status comment at by { name } }
  }
}
""", {"id": "在此填写业务单 ID"})

op("CLERK", "审核通过", """
# 审核通过：变更在一个事务内生效（开户、应交、通知单、退款）。comment 为审核意见，可省略。
# 先用“业务单详情”查看 depositImpact（补交 / 退款金额）。
mutation Approve($id: ID!, $comment: String) {
  approveApplication(id: $id, comment: $comment) {
    number
    status            # 审核通过后为 APPROVED
    reviewComment
    paymentNotices { number type total status }   # 因本次审核开具的补交 / 替换通知单
    refunds { id amount status }                  # 待完成的退款
    history { status comment at by { name } }
  }
}
""", {"id": "在此填写业务单 ID", "comment": "材料齐全，同意。"})

op("CLERK", "退回", """
# 退回：写明原因；申请人修改后可重新提交。已提交或已受理的业务单均可退回。
mutation Reject($id: ID!, $comment: String!) {
  rejectApplication(id: $id, comment: $comment) {
    number
    status            # 退回后为 REJECTED
    reviewComment
  }
}
""", {"id": "在此填写业务单 ID", "comment": "请补充房屋测绘报告。"})

op("CLERK", "业务单详情", """
# 业务单详情：变更前后、交存影响、附件、申请表和历史。
query ApplicationDetail($id: ID!) {
  application(id: $id) {
    number type status reason reviewComment submittedAt
    organization { name creditCode }
    estate { name code }
    depositImpact { house { code } dueBefore dueAfter paid makeUp refund }
    houseChanges(first: 100) {
      before { code unit floor roomNumber buildingArea usage }
      after { code unit floor roomNumber buildingArea usage }
    }
    attachments { filename url }
    form { url }
    refundForm { url }   # 退款申请表（审核通过将退款时）
    history { status comment at by { name } }
  }
}
""", {"id": "在此填写业务单 ID"})

op("CLERK", "物业区域的业务单", """
# 某物业区域的全部业务单（可再按状态、类型筛选）。物业区域 ID 可由“物业区域查询”得到。
query EstateApplications($estateId: ID!, $after: String) {
  applications(filter: {estateId: $estateId}, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id number type status submittedAt organization { name } } }
  }
}
""", {"estateId": "在此填写物业区域 ID", "after": None})

op("CLERK", "物业区域查询", """
# 物业区域查询：按名称、编号搜索，得到物业区域 ID 和应交、已交、余额合计。
query FindEstates($search: String) {
  estates(filter: {search: $search}, first: 20) {
    edges { node { id code name district status developer { name } depositDue depositPaid balance } }
  }
}
""", {"search": "花园"})

op("CLERK", "待完成退款", """
# 待完成的退款：审核通过后产生，线下转账后用“确认退款”完成。
query PendingRefunds($after: String) {
  refunds(status: PENDING, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id amount accountName bankName accountNumber status
        house { code }
        application { number }
        form { url }    # 退款申请表
      }
    }
  }
}
""", {"after": None})

op("CLERK", "确认退款", """
# 确认退款：已向退款账户转账后完成退款，分户账记一笔退款。
mutation CompleteRefund($id: ID!) {
  completeRefund(id: $id) { id amount status completedAt house { code balance } }
}
""", {"id": "在此填写退款 ID"})

op("CLERK", "要件未核验的机构", """
# 纸质要件尚未核验的开发建设单位（通常随其第一笔业务一并收取）。
query UnverifiedOrganizations($after: String) {
  organizations(materialsVerified: false, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name creditCode contactName contactPhone createdAt attachments { filename url } } }
  }
}
""", {"after": None})

op("CLERK", "核验要件", """
# 已收到并核对纸质要件。
mutation VerifyMaterials($organizationId: ID!) {
  markMaterialsVerified(organizationId: $organizationId) { name materialsVerified }
}
""", {"organizationId": "在此填写机构 ID"})

op("CLERK", "交存标准", """
# 现行与历史交存标准（按用途、电梯、层数匹配；越具体越优先，同等具体取生效日期最新）。
query DepositStandards {
  depositStandards { id name usage hasElevator minFloors maxFloors basis rate roundToYuan effectiveFrom }
}
""")

op("CLERK", "设定交存标准", """
# 设定交存标准：basis 为 PER_SQUARE_METRE（每平方米 rate 元）或 FRACTION_OF_PRICE（房款的 rate 比例）。
# 金额一律写成带引号的字符串，如 "75.00"。
mutation SetDepositStandard($input: DepositStandardInput!) {
  setDepositStandard(input: $input) { id name usage hasElevator basis rate effectiveFrom }
}
""", {"input": {"name": "住宅（有电梯）", "usage": "RESIDENTIAL", "hasElevator": True, "basis": "PER_SQUARE_METRE",
                "rate": "75.00", "effectiveFrom": "2027-01-01"}})

op("CLERK", "重新计算应交", """
# 重新计算：按今天的交存标准重算未交款房屋的应交金额（已交款的房屋保持不变）。
# 省略 estateId 则计算全市。返回后台任务，用“任务进度”查看结果。
mutation Recalculate($estateId: ID) {
  recalculateDeposits(estateId: $estateId) { id status progress }
}
""", {"estateId": None})

op("CLERK", "任务进度", """
# 后台任务（导入、导出、打印、重新计算）的状态、进度、行错误和结果文件。
query JobProgress($id: ID!) {
  job(id: $id) { kind status progress processed total message errors { row column code message } result { filename url } }
}
""", {"id": "在此填写任务 ID"})

# ------------------------------------------------------------------ 专户银行 (BANK)
op("BANK", "待确认交款通知单", """
# 本行待确认（未交款）的交存通知单。按通知单号查一张：把 number 填入 filter。
query NoticesToConfirm($after: String) {
  paymentNotices(filter: {status: ISSUED}, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { number type total payerName issuedAt estate { name } } }
  }
}
""", {"after": None})

op("BANK", "确认交款", """
# 确认交款：同一银行流水号重复提交只记一次；金额须与通知单合计一致。
# channel：BANK_COUNTER 专户银行柜台，CITY_WINDOW 侨都之窗，POS 维修资金专用POS机。
mutation ConfirmPayment($input: ConfirmPaymentInput!) {
  confirmPayment(input: $input) { id amount paidAt channel bankTransactionId notice { number status } }
}
""", {"input": {"noticeNumber": "在此填写通知单号", "amount": "0.00", "bankTransactionId": "在此填写银行流水号",
                "paidAt": "2026-12-01T10:00:00+08:00", "channel": "BANK_COUNTER"}})

op("BANK", "对账", """
# 对账：某一天本行已确认的交款。
query Reconcile($date: Date!, $after: String) {
  payments(date: $date, first: 100, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { notice { number } amount paidAt channel bankTransactionId } }
  }
}
""", {"date": "2026-12-01", "after": None})

# ------------------------------------------------------------------ 系统管理员 (ADMIN)
op("ADMIN", "专户银行", """
# 全部专户银行；isDefault 为默认银行（未指定银行的采集交存到它）。
query Banks { banks { id code name accountName accountNumber isDefault } }
""")

op("ADMIN", "新增专户银行", """
# 新增专户银行。第一家银行自动成为默认银行；isDefault: true 会把默认改到这一家。
mutation CreateBank($input: BankInput!) {
  createBank(input: $input) { id code name accountName accountNumber isDefault }
}
""", {"input": {"code": "BOC-JM", "name": "中国银行江门分行", "accountName": "江门市住宅专项维修资金专户",
                "accountNumber": "6217000000000000000", "isDefault": False}})

op("ADMIN", "修改专户银行", """
# 修改专户银行（全部字段一并提交）；isDefault: true 设为默认银行。
mutation UpdateBank($id: ID!, $input: BankInput!) {
  updateBank(id: $id, input: $input) { id code name accountName accountNumber isDefault }
}
""", {"id": "在此填写银行 ID", "input": {"code": "BOC-JM", "name": "中国银行江门分行", "accountName": "江门市住宅专项维修资金专户",
                                       "accountNumber": "6217000000000000000", "isDefault": True}})

op("ADMIN", "用户查询", """
# 平台全部用户，可按角色、状态、机构、用户名或姓名筛选。
query Users($filter: UserFilter, $after: String) {
  users(filter: $filter, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id username name roles status organization { name } bank { code } } }
  }
}
""", {"filter": {"role": "CLERK"}, "after": None})

op("ADMIN", "新增工作人员", """
# 新增受理/审核（CLERK）、银行（BANK，须填 bankId）或系统管理员（ADMIN）账号。
# 密码 8 至 128 位，须含字母和数字，且不能与用户名相同。
mutation CreateStaffUser($input: CreateStaffUserInput!) {
  createStaffUser(input: $input) { id username name roles status bank { name } }
}
""", {"input": {"username": "lin", "password": "在此填写初始密码", "name": "林受理", "roles": ["CLERK"], "bankId": None}})

op("ADMIN", "注销用户", """
# 注销用户：立即失效其全部登录和订阅。最后一个有效的系统管理员不能注销。
mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { username status } }
""", {"id": "在此填写用户 ID"})

op("ADMIN", "激活用户", """
# 激活已注销的用户。
mutation ActivateUser($id: ID!) { activateUser(id: $id) { username status } }
""", {"id": "在此填写用户 ID"})


def catalogue() -> dict[str, Any]:
    return {"roles": ROLES, "operations": OPERATIONS}
