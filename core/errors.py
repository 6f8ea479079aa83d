"""One exception per code of contract/errors.md. Services raise them; the schema's error
extension (schema/errors.py) turns them into GraphQL errors with `extensions.code`."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    code = "INTERNAL"
    default_message = "系统内部错误"

    def __init__(self, message: str | None = None, *, field: str | None = None, **extra: Any):
        self.message = message or self.default_message
        super().__init__(self.message)
        self.extensions: dict[str, Any] = {"code": self.code}
        if field is not None:
            self.extensions["field"] = field
        self.extensions.update({k: v for k, v in extra.items() if v is not None})


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"
    default_message = "请先登录，或登录已失效"


class Forbidden(AppError):
    code = "FORBIDDEN"
    default_message = "没有权限执行此操作"


class NotFound(AppError):
    code = "NOT_FOUND"
    default_message = "记录不存在"


class ValidationFailed(AppError):
    code = "VALIDATION_FAILED"
    default_message = "输入不正确"


class Conflict(AppError):
    code = "CONFLICT"
    default_message = "数据已存在或已被修改"


class InvalidState(AppError):
    code = "INVALID_STATE"
    default_message = "当前状态不允许此操作"


class HouseLocked(AppError):
    code = "HOUSE_LOCKED"
    default_message = "房屋或楼幢正被其他业务办理中"


class AgreementRequired(AppError):
    code = "AGREEMENT_REQUIRED"
    default_message = "请阅读并同意机构注册协议"


class LastAdmin(AppError):
    code = "LAST_ADMIN"
    default_message = "不能注销或撤销机构最后一个有效的机构管理员"


class AmountMismatch(AppError):
    code = "AMOUNT_MISMATCH"
    default_message = "交款金额与通知单金额不符"


class AlreadyPaid(AppError):
    code = "ALREADY_PAID"
    default_message = "通知单已由其他银行流水缴清"


class FileRejected(AppError):
    code = "FILE_REJECTED"
    default_message = "文件无法接受"


class AreaMismatch(AppError):
    code = "AREA_MISMATCH"
    default_message = "拆分合并后的面积与原房屋面积不一致"


class RateLimited(AppError):
    code = "RATE_LIMITED"
    default_message = "尝试次数过多，请稍后再试"

    def __init__(self, message: str | None = None, *, retry_after: int, **extra: Any):
        super().__init__(message, retryAfter=int(retry_after), **extra)


class QueryTooComplex(AppError):
    code = "QUERY_TOO_COMPLEX"
    default_message = "查询过于复杂"


def together(problems: list[AppError]) -> AppError:
    """Several problems as one error: the first one's code and field, every message, and each
    problem in `extensions.problems` ({code, message, field}), so the user mends all at once."""
    first = problems[0]
    first.extensions["problems"] = [{"code": p.code, "message": p.message, "field": p.extensions.get("field")}
                                    for p in problems]
    if len(problems) > 1:
        first.message = "；".join(p.message for p in problems)
    return first
