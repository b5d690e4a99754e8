# SPDX-License-Identifier: GPL-2.0
"""The emulator's lockup, for selftests/run-all and selftests/initramfs/run.

QEMU 7.2's TCG (Debian 12's), -cpu max, two vCPUs, sometimes locks up in
the guest kernel's own crypto self-test threads, before or beside anything
keyferry does: both vCPUs spin in cryptomgr_test for ever (seen in CI:
"soft lockup - CPU#1 stuck for 1304s! [cryptomgr_test:49]", the boot then
killed at its 1500 s bound).  keyferry registers no algorithm, so no
keyferry code runs in that thread.  A soft lockup in any other task is a
test's own failure.  docs/development.md, "An emulator lockup".
"""
import re

CRYPTOMGR_LOCKUP = re.compile(r"BUG: soft lockup - CPU#\d+ stuck for \d+s! \[cryptomgr_test:\d+\]")


def in_console(path):
    """The console's cryptomgr_test lockup line, or None."""
    try:
        with open(path, errors="replace") as f:
            m = CRYPTOMGR_LOCKUP.search(f.read())
    except OSError:
        return None
    return m.group(0) if m else None
