"""An SMTP server that accepts every message and appends its Message-ID to a file.

    python -m bench.outreach_support.smtp_sink PORT OUT_FILE

The fan-out benchmark's e-mail goes here over real SMTP (Django's SMTP backend, one session per
batch); afterwards the file says which deliveries' e-mails arrived. Runs until SIGTERM.
"""

import re
import signal
import sys

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        found = _MESSAGE_ID.search(head.replace(b"\r\n", b"\n"))
        self.out.write((found.group(1).decode("ascii", "replace") if found else "-") + "\n")
        self.out.flush()
        return "250 Message accepted"


def main(port: int, path: str) -> None:
    with open(path, "a", encoding="ascii") as out:
        controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
        controller.start()
        print(f"smtp sink on 127.0.0.1:{port}", flush=True)
        try:
            signal.sigwait({signal.SIGTERM, signal.SIGINT})
        finally:
            controller.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main(int(sys.argv[1]), sys.argv[2])
