"""The invoice requests' API shapes; the rules are ``payments.services.invoices`` and
``payments.invoice_titles``."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from courtyard.models import Model
from payments.invoice_titles import tax_number_problem
from payments.models import _Request
from payments.repositories.invoices import InvoiceRequest


class InvoiceRequestCreate(_Request):
    title_type: Literal["company", "personal"] = Field(
        description="company: a firm's title with its tax number; personal: a person's name, no tax number"
    )
    title: str = Field(min_length=2, max_length=100, description="抬头: the company's or the person's name")
    tax_number: str | None = Field(
        default=None,
        min_length=15,
        max_length=20,
        description="纳税人识别号 (company titles only): the 18-character unified social credit code with "
        "its check character, or an older 15- or 20-character tax number",
        examples=["91350100M000100Y43"],
    )

    @field_validator("tax_number")
    @classmethod
    def _tax_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        number = value.upper()
        problem = tax_number_problem(number)
        if problem:
            raise ValueError(problem)
        return number

    @model_validator(mode="after")
    def _title_takes_its_number(self) -> Self:
        if self.title_type == "company" and not self.tax_number:
            raise ValueError("a company title needs its tax number (tax_number)")
        if self.title_type == "personal" and self.tax_number:
            raise ValueError("a personal title takes no tax number")
        return self


class InvoiceIssue(_Request):
    invoice_no: str = Field(
        pattern=r"^[0-9]{8,20}$",
        description="the invoice's number: 8 digits (paper) or 20 (fully digital e-invoice, 数电票)",
        examples=["26442000000123456789"],
    )


class InvoiceReject(_Request):
    reason: str = Field(min_length=2, max_length=200, description="what the resident should correct")


class InvoiceRequestOut(Model):
    request_id: str
    payment_id: str
    site_id: str
    unit_ids: list[str]
    amount: int = Field(description="what the invoice is for: the payment less its refunds, in minor units")
    currency: str
    title_type: str
    title: str
    tax_number: str | None
    status: Literal["pending", "issued", "rejected"]
    requested_by: str
    requested_at: str
    invoice_no: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None

    @classmethod
    def from_domain(cls, request: InvoiceRequest) -> InvoiceRequestOut:
        return cls(
            request_id=request.request_id,
            payment_id=request.payment_id,
            site_id=request.site_id,
            unit_ids=list(request.unit_ids),
            amount=request.amount,
            currency=request.currency,
            title_type=request.title_type,
            title=request.title,
            tax_number=request.tax_number,
            status=request.status,
            requested_by=request.requested_by,
            requested_at=request.requested_at,
            invoice_no=request.invoice_no,
            reason=request.reason,
            decided_by=request.decided_by,
            decided_at=request.decided_at,
        )


class InvoiceRequestPageOut(Model):
    items: list[InvoiceRequestOut]
    next_cursor: str | None = None
