"""The revision fingerprint of a source document.

Two reads of the same revision give the same fingerprint; any change to what matters to the
books (vendor id, reference, dates, total, hold flag, cancellation, and every line's amount,
account, cost code and job) gives a different one. Fields ServiceTitan changes on its own or
because of us (`modifiedOn`, `syncStatus` after mark-as-exported, reconciliation status,
batch) and wording (vendor and business unit names, descriptions) are left out, so that our
own write-back or a renamed vendor never looks like an edit of a written bill.
"""

from __future__ import annotations

import hashlib
import json

from ml_connector.sync.documents.source import SourceDocument

VERSION = "v1"


def fingerprint(doc: SourceDocument) -> str:
    """'v1:' + 32 hex characters of SHA-256 over a canonical JSON of the content."""
    content = {
        "kind": str(doc.kind),
        "id": doc.doc_id,
        "vendor": doc.st_vendor_id if doc.st_vendor_id is not None else doc.vendor_name,
        "reference": doc.reference,
        "total": None if doc.total is None else str(doc.total),
        "date": None if doc.document_date is None else doc.document_date.isoformat(),
        "due": None if doc.due_date is None else doc.due_date.isoformat(),
        "hold": doc.hold_payment,
        "canceled": doc.canceled,
        "job": doc.job_number,
        "route": doc.route,
        "lines": [
            [
                line.ref,
                line.kind,
                str(line.amount),
                line.st_gl_account,
                line.budget_code_id,
                line.job_number,
            ]
            for line in doc.lines
        ],
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return f"{VERSION}:{hashlib.sha256(text.encode('ascii')).hexdigest()[:32]}"
