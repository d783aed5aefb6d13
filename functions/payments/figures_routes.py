"""The month's finance figures route: a Router ``payments.handler`` includes (before ``/payments/<id>``).
The rules are in ``payments.figures``, the reads in ``payments.services.figures``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field

from courtyard.api import CourtyardRouter
from courtyard.models import Model
from payments import figures, wiring
from payments.arrears import COLLECTION_TARGET_PCT

router = CourtyardRouter()


class FiguresOut(Model):
    site_id: str | None = Field(description="the community; null for the whole firm")
    name: str = Field(description="the community's name; empty for the firm")
    collected: int = Field(description="money taken in the month, in minor units")
    collected_by_channel: dict[str, int] = Field(
        description="wechat, alipay, cash, pos, bank_transfer, stripe, sandbox (each present, 0 if none)"
    )
    payments: int
    arrears: int = Field(description="owed at the month's end (or today): bills due before then, unpaid then")
    arrears_by_age: dict[str, int] = Field(description="by days overdue: 0-30, 31-90, 90+")
    overdue_bills: int
    bills: int = Field(description="bills of the month's period")
    billed: int
    collected_on_bills: int = Field(description="what was collected of those bills so far")
    paid_bills: int
    rate_pct: float | None = Field(description="collection rate of the month's bills, percent (null: none)")
    on_target: bool | None

    @classmethod
    def from_figures(cls, part: figures.Figures, name: str = "") -> FiguresOut:
        return cls(
            site_id=part.site_id,
            name=name,
            collected=part.collected,
            collected_by_channel=dict(part.collected_by_channel),
            payments=part.payments,
            arrears=part.arrears,
            arrears_by_age=dict(part.arrears_by_age),
            overdue_bills=part.overdue_bills,
            bills=part.bills,
            billed=part.billed,
            collected_on_bills=part.collected_on_bills,
            paid_bills=part.paid_bills,
            rate_pct=part.rate_pct,
            on_target=part.on_target,
        )


class PaymentFiguresOut(Model):
    month: str
    as_of: str = Field(description="the day the arrears are counted at: the month's last day, or today")
    currency: str
    target_pct: float
    firm: FiguresOut
    communities: list[FiguresOut]


@router.get(
    "/payments/figures",
    summary="A month's finance figures: collected by channel, arrears by age, collection rate vs 95 %",
    description="Per community and for the firm (or one community with `site_id`); manager, finance. The "
    "month is the firm's calendar month; a month not begun yet is 422.",
)
def payment_figures(
    month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
    site_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> PaymentFiguresOut:
    found = wiring.figures().month(router.tenant(), month, site_id)
    return PaymentFiguresOut(
        month=found.month,
        as_of=found.as_of.isoformat(),
        currency=found.currency,
        target_pct=COLLECTION_TARGET_PCT,
        firm=FiguresOut.from_figures(found.firm),
        communities=[FiguresOut.from_figures(part, name) for name, part in found.communities],
    )
