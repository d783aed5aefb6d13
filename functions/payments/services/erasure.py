"""An erased resident's payments keep their money, not the person (``ResidentErased``, issue 17): the
payments on the ledgers (and the checkouts in flight) of every unit they are or were linked to forget who
paid when it was them, the bank statement lines that named them lose the name (repositories/erasure.py), and
their invoice requests forget who asked and a personal title (repositories/invoices.py).
Idempotent: a scrubbed payment no longer names them, a scrubbed line no longer lists them."""

from __future__ import annotations

from courtyard.directory import DirectoryReader
from payments.repositories.erasure import ERASED, ERASED_NAME, PayerScrubber
from payments.repositories.invoices import InvoiceRequests
from schemas.events import ResidentErased


class PayerErasure:
    def __init__(
        self, scrubber: PayerScrubber, directory: DirectoryReader, invoices: InvoiceRequests | None = None
    ) -> None:
        self._scrubber = scrubber
        self._directory = directory
        self._invoices = invoices

    def forget(self, erased: ResidentErased) -> int:
        """Scrub the person's payments and statement lines; how many records changed."""
        t = erased.tenant_id
        links = self._directory.every_unit_link(t, erased.resident_id)
        changed = 0
        for site_id in sorted({link.site_id for link in links if link.site_id}):
            for line in self._scrubber.lines_naming(t, site_id, erased.resident_id):
                self._scrubber.scrub_line(t, site_id, line)
                changed += 1
        payment_ids = set().union(*(self._scrubber.unit_payment_ids(t, link.unit_id) for link in links))
        for payment_id in sorted(payment_ids):
            if self._scrubber.scrub_payment(t, payment_id, erased.user_id, erased.resident_id):
                changed += 1
        if self._invoices is not None and erased.user_id:
            for request in self._invoices.requested_by(t, erased.user_id):
                self._invoices.forget_requester(request, ERASED, ERASED_NAME)
                changed += 1
        return changed
