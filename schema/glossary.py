"""The schema's Chinese glossary: every type, field, argument and enum value gets a description
that begins with its Chinese term (the operating manual's words), so GraphiQL's Docs pane reads
as the clerks' reference. Applied once to the built schema (`apply`); an English description
written beside a field in the code follows the term. tests/test_glossary.py checks that nothing
is left without one."""

from __future__ import annotations

import re

from graphql import (
    GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema,
)

CJK = re.compile(r"[\u3400-\u9fff]")

TYPES = {
    "AccountStatus": "分户账状态", "Agreement": "机构注册协议", "Application": "业务单",
    "ApplicationConnection": "业务单列表", "ApplicationEdge": "业务单列表项", "ApplicationEvent": "业务单流转记录",
    "ApplicationFilter": "业务单筛选条件", "ApplicationStatus": "业务单状态",
    "ApplicationStatusEvent": "业务单状态变化事件", "ApplicationType": "业务类型", "Bank": "专户银行",
    "BankInput": "专户银行信息", "Boolean": "布尔值", "Building": "楼幢", "BuildingChange": "楼幢变更明细",
    "BuildingChangeInput": "楼幢变更业务单内容", "BuildingChangeItemInput": "楼幢变更明细（一幢）",
    "BuildingSnapshot": "楼幢快照", "BuildingStructure": "建筑结构", "ChangeRecord": "变更记录",
    "ConfirmPaymentInput": "确认交款信息", "CreateOrgUserInput": "添加机构用户信息",
    "CreateStaffUserInput": "新增工作人员信息", "CustomNoticeItemInput": "自定义交款明细（一户）",
    "CustomNoticesInput": "自定义交款内容", "Date": "日期", "DateTime": "日期时间", "Decimal": "十进制数",
    "DepositBasis": "计缴方式", "DepositImpact": "交存影响", "DepositStandard": "交存标准",
    "DepositStandardInput": "交存标准内容", "DepositTiming": "交存时点", "Document": "文件",
    "DocumentKind": "文件类别", "Estate": "物业区域", "EstateCollectionInput": "物业区域采集内容",
    "EstateConnection": "物业区域列表", "EstateEdge": "物业区域列表项", "EstateFilter": "物业区域筛选条件",
    "FieldChange": "字段变更", "Float": "浮点数", "FloorPlan": "楼盘表", "FloorPlanRow": "楼盘表的一层",
    "House": "房屋", "HouseCancellationInput": "房屋注销内容", "HouseChange": "房屋变更明细",
    "HouseConnection": "房屋列表", "HouseEdge": "房屋列表项", "HouseFilter": "房屋筛选条件",
    "HouseInfoChangeInput": "房屋信息变更内容", "HouseInfoChangeItemInput": "房屋信息变更明细（一户）",
    "HouseSnapshot": "房屋快照", "HouseSplitMergeInput": "房屋拆分合并内容", "HouseSupplementInput": "房屋补充内容",
    "HouseUsage": "房屋用途", "ID": "标识", "IdType": "证件类型", "Int": "整数", "Job": "后台任务",
    "JobError": "行错误", "JobKind": "任务类别", "JobStatus": "任务状态", "LedgerEntry": "分户账记录",
    "LedgerKind": "记账类别", "LoginPayload": "登录结果", "Mutation": "变更操作", "Node": "对象",
    "NoticeLine": "通知单明细", "NoticeStatus": "通知单状态", "Organization": "开发建设单位",
    "OrganizationConnection": "开发建设单位列表", "OrganizationEdge": "开发建设单位列表项", "Owner": "业主",
    "OwnerInput": "业主信息", "OwnerNoticeItemInput": "代打交款通知单明细（一户）",
    "OwnershipChangeInput": "房屋权属批量变更内容", "OwnershipChangeItemInput": "房屋权属变更明细（一户）",
    "PageInfo": "分页信息", "PayerKind": "交款人类别", "Payment": "交款", "PaymentChannel": "交款渠道",
    "PaymentConnection": "交款列表", "PaymentEdge": "交款列表项", "PaymentNotice": "交存通知单",
    "PaymentNoticeConnection": "交存通知单列表", "PaymentNoticeEdge": "交存通知单列表项",
    "PaymentNoticeFilter": "交存通知单筛选条件", "PaymentType": "交款类型", "Query": "查询",
    "RecordStatus": "记录状态", "Refund": "退款", "RefundAccountInput": "退款账户", "RefundConnection": "退款列表",
    "RefundEdge": "退款列表项", "RefundStatus": "退款状态", "RegisterDeveloperInput": "开发建设单位注册信息",
    "RegistrationFileInput": "注册要件", "RegistrationFileKind": "要件类别", "Role": "角色",
    "SalesStatus": "销售状态", "String": "字符串", "Subscription": "订阅", "TemplateKind": "模板类别",
    "UpdateEstateInput": "物业区域变更内容", "UpdateOrgUserInput": "修改机构用户信息",
    "UpdateOrganizationInput": "机构信息变更内容", "Upload": "上传文件", "User": "用户",
    "UserConnection": "用户列表", "UserEdge": "用户列表项", "UserFilter": "用户筛选条件", "UserStatus": "用户状态",
}

# Fields and input fields by name, wherever they stand; FIELD_OVERRIDES where one type means more.
FIELDS = {
    "id": "标识（全局 ID）", "name": "名称", "status": "状态", "address": "地址", "code": "编号",
    "node": "对象", "edges": "结果", "cursor": "游标", "pageInfo": "分页信息", "totalCount": "总数",
    "hasNextPage": "有下一页", "hasPreviousPage": "有上一页", "startCursor": "首项游标", "endCursor": "末项游标",
    "estateId": "物业区域 ID", "buildingId": "楼幢 ID", "houseId": "房屋 ID", "houseIds": "房屋 ID 列表",
    "organizationId": "机构 ID", "bankId": "专户银行 ID", "developerId": "开发建设单位 ID",
    "amount": "金额（元）", "phone": "手机号码", "type": "类型", "reason": "申请原因", "accountNumber": "账号",
    "accountName": "户名", "bankName": "开户银行", "house": "房屋", "usage": "房屋用途", "hasElevator": "有无电梯",
    "createdAt": "创建时间", "estate": "物业区域", "search": "搜索", "building": "楼幢", "items": "明细",
    "roles": "角色", "kind": "类别", "depositTiming": "交存时点", "floor": "楼层", "buildingArea": "建筑面积（m²）",
    "innerArea": "套内面积（m²）", "salesStatus": "销售状态", "owners": "业主", "number": "编号",
    "organization": "开发建设单位", "attachments": "附件", "history": "历史", "paymentNotices": "交存通知单",
    "at": "时间", "application": "业务单", "builtYear": "建成年代", "structure": "建筑结构", "houses": "房屋",
    "depositDue": "应交金额（元）", "depositPaid": "已交金额（元）", "balance": "余额（元）", "before": "变更前",
    "after": "变更后", "paidAt": "交款时间", "username": "用户名", "password": "密码", "district": "行政区域",
    "remark": "备注", "unit": "单元", "roomNumber": "房号", "price": "房款（元）",
    "realEstateUnitNumber": "不动产单元号（28 位）", "legalRepresentative": "法定代表人", "contactName": "联系人",
    "contactPhone": "联系电话", "form": "申请表", "refunds": "退款", "by": "操作人", "isDefault": "默认银行",
    "lockedBy": "锁定它的业务单", "houseCount": "房屋数", "bankTransactionId": "银行流水号", "channel": "交款渠道",
    "minFloors": "最低层数", "maxFloors": "最高层数", "basis": "计缴方式", "rate": "标准", "roundToYuan": "取整到元",
    "effectiveFrom": "生效日期", "bank": "专户银行", "unpaid": "未交金额（元）", "total": "合计（元）",
    "message": "说明", "creditCode": "统一社会信用代码", "agreementVersion": "注册协议版本", "users": "用户",
    "estates": "物业区域", "idType": "证件类型", "idNumber": "证件号码", "share": "份额", "version": "版本",
    "text": "正文", "submittedAt": "提交时间", "decidedAt": "审核（退回）时间", "reviewComment": "审核意见",
    "createdBy": "经办人", "houseChangeCount": "涉及房屋数", "houseChanges": "房屋变更明细",
    "buildingChanges": "楼幢变更明细", "importJob": "最近一次导入任务", "formJob": "申请表生成任务",
    "depositImpact": "交存影响（补交与退款）", "needsRefundAccount": "需要退款账户", "comment": "意见",
    "from": "变更前状态", "event": "流转记录", "floorsAboveGround": "地上层数", "floorsBelowGround": "地下层数",
    "floorPlan": "楼盘表", "changes": "变更的字段", "noticeNumber": "通知单号", "dueBefore": "变更前应交（元）",
    "dueAfter": "变更后应交（元）", "paid": "已交（元）", "makeUp": "补交（元）", "refund": "退款（元）",
    "registrationKind": "要件类别", "filename": "文件名", "contentType": "文件类型", "sizeBytes": "大小（字节）",
    "url": "下载链接", "developer": "开发建设单位", "buildings": "楼幢", "totalBuildingArea": "总建筑面积（m²）",
    "field": "字段", "label": "字段名称", "units": "单元", "floors": "楼层", "accountStatus": "分户账状态",
    "ledger": "分户账", "buildingName": "楼幢名称", "progress": "进度（%）", "processed": "已处理",
    "startedAt": "开始时间", "finishedAt": "结束时间", "errors": "行错误", "result": "结果文件", "row": "行",
    "column": "列", "balanceAfter": "记账后余额（元）", "memo": "摘要", "token": "令牌", "expiresAt": "有效期至",
    "user": "用户", "adminName": "管理员姓名", "adminPassword": "管理员密码", "adminUsername": "管理员用户名",
    "agreementAccepted": "同意注册协议", "bankAccount": "专户账号", "completedAt": "完成时间",
    "confirmedAt": "确认时间", "document": "文件", "file": "文件", "issuedAt": "开具时间", "job": "后台任务",
    "lines": "明细", "materialsVerified": "要件已核验", "notice": "交存通知单", "payerKind": "交款人类别",
    "payerName": "交款人", "payment": "交款", "receipt": "交款凭证", "role": "角色", "standard": "交存标准",
    "totalAmount": "合计（元）", "layout": "户型", "refundForm": "退款申请表",
}

FIELD_OVERRIDES = {
    "Estate.code": "物业区域编号", "House.code": "房屋编号", "HouseSnapshot.code": "房屋编号",
    "Bank.code": "银行代码", "BankInput.code": "银行代码", "Bank.name": "银行名称", "BankInput.name": "银行名称",
    "Bank.accountName": "专户户名", "BankInput.accountName": "专户户名", "Bank.accountNumber": "专户账号",
    "BankInput.accountNumber": "专户账号", "Application.number": "业务单号", "PaymentNotice.number": "通知单号",
    "Estate.name": "物业区域名称", "Building.name": "楼幢名称", "Organization.name": "机构名称",
    "Owner.name": "业主姓名", "OwnerInput.name": "业主姓名", "User.name": "姓名", "House.address": "房屋坐落",
    "HouseSnapshot.address": "房屋坐落", "Building.address": "楼幢地址", "Estate.address": "物业区域地址",
    "Organization.address": "地址", "Refund.accountName": "退款账户户名", "Refund.accountNumber": "退款账号",
    "Refund.bankName": "退款开户银行", "DepositStandard.name": "标准名称", "JobError.code": "错误代码",
    "Query.node": "按 ID 查询任一对象", "Query.me": "当前登录用户", "Query.registrationAgreement": "机构注册协议",
    "Query.banks": "专户银行", "Query.users": "用户查询", "Query.organization": "开发建设单位",
    "Query.organizations": "开发建设单位列表", "Query.estates": "物业区域列表", "Query.estate": "物业区域",
    "Query.building": "楼幢", "Query.house": "房屋", "Query.houses": "房屋查询",
    "Query.importTemplate": "模板下载", "Query.applications": "业务单列表", "Query.application": "业务单",
    "Query.job": "后台任务", "Query.paymentNotices": "交存通知单列表", "Query.paymentNotice": "按通知单号查询",
    "Query.payments": "对账", "Query.refunds": "退款列表", "Query.depositStandards": "交存标准",
    "Subscription.jobUpdated": "任务进度", "Subscription.applicationStatusChanged": "业务单状态变化",
    "ApplicationEvent.status": "流转后状态", "Job.message": "说明或失败原因", "Job.total": "总数",
    "Payment.amount": "交款金额（元）", "Refund.amount": "退款金额（元）", "Refund.form": "退款申请表",
    "Application.form": "申请表", "PaymentNotice.total": "合计（元）", "NoticeLine.amount": "本次应交（元）",
    "LedgerEntry.amount": "发生额（元）", "Estate.history": "物业区域变更记录",
    "Organization.history": "机构信息变更记录", "LoginPayload.user": "登录用户", "Agreement.text": "协议正文",
    "Document.kind": "文件类别",
}

MUTATIONS = {
    "createEstateCollection": "物业区域采集：新建业务单（草稿）", "updateEstate": "物业区域变更：地址和备注，立即生效",
    "createBuildingChange": "楼幢变更：新建业务单", "createHouseSplitMerge": "房屋拆分合并：新建业务单",
    "createHouseSupplement": "房屋补充：新建业务单", "createHouseInfoChange": "房屋信息变更：新建业务单",
    "createOwnershipChange": "房屋权属批量变更：新建业务单", "createHouseCancellation": "房屋注销：新建业务单",
    "updateEstateCollection": "修改物业区域采集业务单", "updateBuildingChange": "修改楼幢变更业务单",
    "updateHouseSplitMerge": "修改房屋拆分合并业务单", "updateHouseSupplement": "修改房屋补充业务单",
    "updateHouseInfoChange": "修改房屋信息变更业务单", "updateOwnershipChange": "修改房屋权属变更业务单",
    "updateHouseCancellation": "修改房屋注销业务单", "importHouses": "导入房屋", "exportHouses": "导出房屋",
    "addAttachment": "上传附件", "removeAttachment": "删除附件", "submitApplication": "提交",
    "withdrawApplication": "撤回", "acceptApplication": "受理", "approveApplication": "审核通过",
    "rejectApplication": "退回", "setDepositStandard": "设定交存标准", "recalculateDeposits": "重新计算应交",
    "issueBuildingNotices": "开发建设单位批量交款：按楼幢开具交存通知单",
    "issueOwnerNotices": "代打交款通知单：按户为业主开具", "issueCustomNotices": "自定义交款：开具通知单",
    "exportRenewalAmounts": "续筹导出", "importCustomAmounts": "自定义交款金额导入",
    "cancelPaymentNotice": "作废交存通知单", "printPaymentNotices": "打印交存通知单",
    "confirmPayment": "确认交款", "completeRefund": "确认退款", "registerDeveloper": "开发建设单位注册",
    "login": "登录", "logout": "退出", "changePassword": "修改密码", "updateOrganization": "信息变更",
    "markMaterialsVerified": "核验要件", "createOrgUser": "添加用户", "updateOrgUser": "修改用户",
    "deactivateUser": "注销用户", "activateUser": "激活用户", "createBank": "新增专户银行",
    "updateBank": "修改专户银行", "createStaffUser": "新增工作人员",
}

ARGS = {
    "id": "标识（全局 ID）", "input": "内容", "first": "每页条数（至多 100）", "after": "游标：从它之后开始",
    "applicationId": "业务单 ID", "filter": "筛选条件", "estateId": "物业区域 ID", "file": "文件",
    "houseIds": "房屋 ID 列表", "comment": "意见", "organizationId": "机构 ID", "offset": "跳过条数",
    "documentId": "文件 ID", "refundAccount": "退款账户", "buildingIds": "楼幢 ID 列表", "items": "明细",
    "type": "类型", "ids": "标识列表（ID）", "username": "用户名", "password": "密码", "oldPassword": "原密码",
    "newPassword": "新密码", "kind": "类别", "number": "编号", "date": "日期", "status": "状态",
    "search": "搜索", "materialsVerified": "要件已核验",
}

ENUM_VALUES = {
    "AccountStatus": {"UNOPENED": "未开户", "OPENED": "已开户", "CLOSED": "已销户"},
    "ApplicationStatus": {"DRAFT": "草稿（保存）", "SUBMITTED": "已提交", "ACCEPTED": "已受理",
                          "APPROVED": "审核通过", "REJECTED": "已退回", "WITHDRAWN": "已撤回"},
    "ApplicationType": {"ESTATE_COLLECTION": "物业区域采集", "BUILDING_CHANGE": "楼幢变更",
                        "HOUSE_SPLIT_MERGE": "房屋拆分合并", "HOUSE_SUPPLEMENT": "房屋补充",
                        "HOUSE_INFO_CHANGE": "房屋信息变更", "OWNERSHIP_CHANGE": "房屋权属批量变更",
                        "HOUSE_CANCELLATION": "房屋注销"},
    "BuildingStructure": {"REINFORCED_CONCRETE": "钢混", "MIXED": "混合", "FRAME": "框架",
                          "FRAME_SHEAR_WALL": "框剪", "STEEL": "钢结构", "BRICK_WOOD": "砖木", "OTHER": "其他"},
    "DepositBasis": {"PER_SQUARE_METRE": "按建筑面积：每平方米 rate 元", "FRACTION_OF_PRICE": "按房款：房款 × rate"},
    "DepositTiming": {"BEFORE_CONTRACT_FILING": "网签备案前", "BEFORE_INITIAL_REGISTRATION": "首次登记前",
                      "BEFORE_HANDOVER": "交付前"},
    "DocumentKind": {"ATTACHMENT": "附件", "APPLICATION_FORM": "申请表", "PAYMENT_NOTICE": "交存通知单",
                     "REFUND_FORM": "退款申请表", "PAYMENT_RECEIPT": "交款凭证", "HOUSE_EXPORT": "房屋导出",
                     "AMOUNT_EXPORT": "金额导出", "TEMPLATE": "模板"},
    "HouseUsage": {"RESIDENTIAL": "住宅", "COMMERCIAL": "商业", "OFFICE": "办公", "GARAGE": "车库",
                   "PARKING_SPACE": "车位", "STORAGE": "储藏", "OTHER": "其他"},
    "IdType": {"RESIDENT_ID": "居民身份证", "PASSPORT": "护照", "HK_MACAO_PERMIT": "港澳居民来往内地通行证",
               "TAIWAN_PERMIT": "台湾居民来往大陆通行证", "FOREIGN_PERMANENT_RESIDENT_ID": "外国人永久居留身份证",
               "CREDIT_CODE": "统一社会信用代码", "OTHER": "其他"},
    "JobKind": {"HOUSE_IMPORT": "房屋导入", "HOUSE_EXPORT": "房屋导出", "AMOUNT_EXPORT": "金额导出",
                "AMOUNT_IMPORT": "金额导入", "DEPOSIT_RECALCULATION": "重新计算应交", "PDF_RENDER": "生成 PDF"},
    "JobStatus": {"QUEUED": "排队中", "RUNNING": "进行中", "SUCCEEDED": "已完成", "FAILED": "失败"},
    "LedgerKind": {"DEPOSIT": "交存", "REFUND": "退款", "TRANSFER_IN": "转入", "TRANSFER_OUT": "转出",
                   "ADJUSTMENT": "调整"},
    "NoticeStatus": {"ISSUED": "未交款", "PAID": "已交款", "CANCELLED": "已作废"},
    "PayerKind": {"DEVELOPER": "开发建设单位", "OWNER": "业主"},
    "PaymentChannel": {"BANK_COUNTER": "专户银行柜台", "CITY_WINDOW": "侨都之窗", "POS": "维修资金专用POS机"},
    "PaymentType": {"FIRST_DEPOSIT": "首期交存", "MAKE_UP": "补交", "RENEWAL": "续筹", "OTHER": "其他"},
    "RecordStatus": {"PENDING": "待审核（业务单未通过）", "ACTIVE": "正常", "CANCELLED": "已注销"},
    "RefundStatus": {"PENDING": "待退款", "COMPLETED": "已退款"},
    "RegistrationFileKind": {"BUSINESS_LICENCE": "营业执照", "LEGAL_REPRESENTATIVE_ID": "法定代表人身份证明",
                             "AUTHORIZATION_LETTER": "授权委托书", "OTHER": "其他"},
    "Role": {"ORG_ADMIN": "机构管理员", "ESTATE_OPERATOR": "物业区域经办", "PAYMENT_OPERATOR": "交款经办",
             "CLERK": "受理 / 审核（维修资金管理部门）", "BANK": "专户银行", "ADMIN": "系统管理员"},
    "SalesStatus": {"UNSOLD": "未售", "SOLD": "已售"},
    "TemplateKind": {"HOUSES": "房屋信息导入模板（采集、补充）", "RENEWAL_AMOUNTS": "续筹金额导入模板"},
    "UserStatus": {"ACTIVE": "有效", "DEACTIVATED": "已注销"},
}


def _with_term(term: str, existing: str | None) -> str:
    """The term first; an English description from the code follows it. One that already
    begins in Chinese is kept (it names its term itself)."""
    if existing and CJK.match(existing):
        return existing
    return f"{term}：{existing}" if existing else term


def field_term(type_name: str, name: str) -> str | None:
    if type_name == "Mutation" and name in MUTATIONS:
        return MUTATIONS[name]
    return FIELD_OVERRIDES.get(f"{type_name}.{name}") or FIELDS.get(name)


def apply(schema: GraphQLSchema) -> None:
    """Sets the descriptions on the schema's types in place (printing and introspection read them)."""
    for name, gql_type in schema.type_map.items():
        if name.startswith("__"):
            continue
        if name in TYPES:
            gql_type.description = _with_term(TYPES[name], gql_type.description)
        if isinstance(gql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in gql_type.fields.items():
                term = field_term(name, field_name)
                if term:
                    field.description = _with_term(term, field.description)
                for arg_name, arg in getattr(field, "args", {}).items():
                    if arg_name in ARGS:
                        arg.description = _with_term(ARGS[arg_name], arg.description)
        if isinstance(gql_type, GraphQLEnumType):
            for value_name, value in gql_type.values.items():
                term = ENUM_VALUES.get(name, {}).get(value_name)
                if term:
                    value.description = _with_term(term, value.description)
