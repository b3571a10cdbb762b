"""An e-mail backend that counts hand-overs across processes, for bench/faults.py.

``EMAIL_BACKEND=bench.intake_support.mailcount.EmailBackend`` with ``BENCH_MAIL_LOG=/path``: each
message sent appends one line, its Message-ID, with a single ``write`` on an ``O_APPEND`` file
(whole lines even when several workers write at once). A Message-ID on two lines was handed over
twice. The hand-over is a local file append, far quicker than an SMTP transaction.
"""

import os

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        path = os.environ["BENCH_MAIL_LOG"]
        for message in email_messages:
            message_id = message.extra_headers.get("Message-ID") or message.message()["Message-ID"]
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{message_id}\n".encode())
            finally:
                os.close(fd)
        return len(email_messages)
