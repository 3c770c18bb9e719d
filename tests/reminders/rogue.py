"""Plain-socket SMTP impostors on loopback, for what aiosmtpd will not do.

``silent``         accepts the TCP connection and never says a word (no greeting).
``drop-mid-data``  talks SMTP until DATA, answers 354 and hangs up at once, so the
                   message body never reaches it (the final dot certainly not).
``reset-mid-body`` answers 354, reads the first bytes of the body and resets the
                   connection while a large body is still being written.

One thread accepts and serves connections one after another; ``stop`` ends it and
closes every socket it holds.
"""

from __future__ import annotations

import socket
import struct
import threading

MODES = ("silent", "drop-mid-data", "reset-mid-body")


class RogueServer:
    def __init__(self, mode: str) -> None:
        assert mode in MODES
        self.mode = mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = int(self.listener.getsockname()[1])
        self.connections = 0
        self.dropped_mid_data = 0
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.mode == "silent":
                self._held.append(conn)  # open, and silent, until stopped
            else:
                self._serve_until_data(conn)

    def _serve_until_data(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        reader = conn.makefile("rb")
        try:
            conn.sendall(b"220 rogue.test ESMTP\r\n")
            for line in reader:
                verb = line[:4].upper()
                if verb == b"DATA" and self.mode == "reset-mid-body":
                    conn.sendall(b"354 go ahead\r\n")
                    reader.read(4096)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))  # close with a reset
                    self.dropped_mid_data += 1
                    return
                if verb == b"DATA":
                    # 354 and the FIN leave together (MSG_MORE holds the 354 back until
                    # close), so the client learns of the hang-up with the 354 itself.
                    conn.send(b"354 go ahead\r\n", socket.MSG_MORE)
                    self.dropped_mid_data += 1
                    return
                if verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                conn.sendall(b"250 rogue.test\r\n" if verb in (b"EHLO", b"HELO")
                             else b"250 OK\r\n")
        except OSError:
            return
        finally:
            reader.close()
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.listener.close()
        for conn in self._held:
            conn.close()
