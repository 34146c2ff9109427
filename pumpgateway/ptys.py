"""Serial-port quirks that need no Django (shared by the bridge runner and the benchmarks)."""

import os
import termios


def pty_parity_clear(url: str) -> None:
    """A Linux pty keeps PARODD but drops PARENB, and then rejects PARENB|PARODD with EINVAL, so a second
    bridge could never reopen the simulator's pty. Clearing both first lets the line settings through."""
    path = os.path.realpath(url)
    if not path.startswith("/dev/pts/"):
        return
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        attributes = termios.tcgetattr(fd)
        attributes[2] &= ~(termios.PARENB | termios.PARODD)
        termios.tcsetattr(fd, termios.TCSANOW, attributes)
    finally:
        os.close(fd)
