"""Bank confirmation (专户银行确认交款), reconciliation (对账), and refunds (退款).

confirmPayment is idempotent on the bank's transaction id: the notice row is locked first, so
concurrent confirmations queue; the first records the payment and credits each house's ledger
line by line, the others find that payment and return it unchanged."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AlreadyPaid, AmountMismatch, Conflict, InvalidState, NotFound, ValidationFailed
from models import NoticeLine, Payment, PaymentNotice
from models.enums import JobKind, LedgerKind, NoticeStatus, PaymentChannel, Role
from services import audit, events, jobs
from services.access import Viewer, require_role
from services.payments import ledger, receipts
from services.payments.notices import close
from services.pagination import Page, keyset_page
from services.records import PaymentRecord

CHINA = timezone(timedelta(hours=8))
TWO = Decimal("0.01")


async def confirm(session: AsyncSession, viewer: Viewer | None, *, notice_number: str, amount: Decimal,
                  bank_transaction_id: str, paid_at: datetime, channel: PaymentChannel) -> Payment:
    viewer = require_role(viewer, Role.BANK)
    tx = (bank_transaction_id or "").strip()
    if not tx or len(tx) > 64:
        raise ValidationFailed("银行流水号不能为空且不超过 64 位", field="input.bankTransactionId")
    if amount <= 0 or amount != amount.quantize(TWO):
        raise ValidationFailed("金额应大于 0，最多两位小数", field="input.amount")
    if paid_at > datetime.now(timezone.utc) + timedelta(minutes=10):
        raise ValidationFailed("交款时间不能晚于当前时间", field="input.paidAt")
    notice = await session.scalar(select(PaymentNotice).where(PaymentNotice.number == notice_number.strip()).with_for_update())
    if notice is None or notice.bank_id != viewer.bank_id:
        raise NotFound("通知单不存在", field="input.noticeNumber")
    existing = await session.scalar(select(Payment).where(Payment.bank_transaction_id == tx))
    if existing is not None:
        if existing.notice_id != notice.id or existing.amount != amount:
            raise Conflict("该银行流水号已用于其他交款", field="input.bankTransactionId")
        return existing  # the same confirmation again: the effect of once
    if notice.status == NoticeStatus.CANCELLED:
        raise InvalidState("通知单已作废，不能交款", field="input.noticeNumber")
    if notice.status == NoticeStatus.PAID:
        raise AlreadyPaid("通知单已由其他银行流水缴清", field="input.noticeNumber")
    if amount != notice.total:
        raise AmountMismatch(f"交款金额 {amount} 与通知单金额 {notice.total} 不符", field="input.amount")
    payment = Payment(notice_id=notice.id, bank_id=viewer.bank_id, amount=amount, bank_transaction_id=tx,
                      channel=channel, paid_at=paid_at, confirmed_by_id=viewer.user_id)
    session.add(payment)
    lines = list(await session.scalars(select(NoticeLine).where(NoticeLine.notice_id == notice.id).order_by(NoticeLine.position)))
    await ledger.post_many(session, [(line.house_id, line.amount) for line in lines], LedgerKind.DEPOSIT,
                           memo=f"交存 {notice.number}")
    await close(session, [notice.id], NoticeStatus.PAID, at=paid_at)
    await session.flush()
    receipt_job = await receipts.schedule(session, payment, viewer, notice.organization_id)
    audit.record(session, actor=viewer, action="payment.confirm", entity_type="Payment", entity_id=payment.id,
                 organization_id=notice.organization_id,
                 after={"notice": notice.number, "amount": amount, "bankTransactionId": tx, "channel": channel.value})
    try:
        await session.commit()
    except IntegrityError:  # the same transaction id confirmed at once on another notice row
        await session.rollback()
        existing = await session.scalar(select(Payment).where(Payment.bank_transaction_id == tx))
        if existing is None or existing.notice_id != notice.id:
            raise Conflict("该银行流水号已用于其他交款", field="input.bankTransactionId")
        return existing
    await jobs.enqueue(receipt_job, JobKind.PDF_RENDER)
    await events.publish(events.PAYMENTS, {"noticeId": notice.id, "number": notice.number, "paymentId": payment.id,
                                          "organizationId": notice.organization_id})
    return payment


# The days whose bounds in Asia/Shanghai are representable (date.min's start is before year 1
# in UTC, date.max has no next day); no payment is that old or that far ahead.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9999, 12, 30)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationFailed(f"日期应在 {FIRST_DAY} 至 {LAST_DAY} 之间", field="date")
    start = datetime.combine(day, time.min, CHINA)
    return start, start + timedelta(days=1)


async def payments_page(session: AsyncSession, viewer: Viewer | None, *, day: date, first: int | None,
                        after: str | None) -> tuple[Page, Decimal]:
    """对账: one day's confirmed payments (by paid time, Asia/Shanghai) with their total; a bank
    sees its own, clerks and admins all."""
    viewer = require_role(viewer, Role.BANK, Role.CLERK, Role.ADMIN)
    start, end = day_bounds(day)
    q = select(*Payment.__table__.c).where(Payment.paid_at >= start, Payment.paid_at < end)
    if not viewer.is_staff:
        q = q.where(Payment.bank_id == viewer.bank_id)
    total = await session.scalar(select(func.coalesce(func.sum(q.subquery().c.amount), 0)))
    return await keyset_page(session, q, Payment.id, PaymentRecord, first=first, after=after), Decimal(total)
