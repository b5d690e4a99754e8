# SPDX-License-Identifier: GPL-2.0
"""The emulator's faults that are not keyferry's, for selftests/run-all and
selftests/initramfs/run.

QEMU 7.2's TCG (Debian 12's), -cpu max, two vCPUs, sometimes locks up in
the guest kernel's own crypto self-test threads, before or beside anything
keyferry does: both vCPUs spin in cryptomgr_test for ever (seen in CI:
"soft lockup - CPU#1 stuck for 1304s! [cryptomgr_test:49]", the boot then
killed at its 1500 s bound).  keyferry registers no algorithm, so no
keyferry code runs in that thread.  A soft lockup in any other task is a
test's own failure.

The debug kernel under TCG once reported a fault while it booted, long
before /init ran or keyferry.ko was loaded (CI, 2 December: "BUG: KASAN:
wild-memory-access in do_raw_spin_lock", kernel message 109, during SMP
bring-up).  The guest's /init (selftests/qemu/init) looks for a fault
before the first test, and if there is one writes "KF-BOOT-FAULT: <line>"
on the console and stops.  A fault once keyferry.ko is loaded is a test's
failure, never retried.  docs/development.md, "An emulator lockup".
"""
import re

CRYPTOMGR_LOCKUP = re.compile(r"BUG: soft lockup - CPU#\d+ stuck for \d+s! \[cryptomgr_test:\d+\]")
BOOT_FAULT = re.compile(r"KF-BOOT-FAULT: [^\r\n]*")
STOP = re.compile(f"{CRYPTOMGR_LOCKUP.pattern}|{BOOT_FAULT.pattern}")


def _search(pattern, path):
    try:
        with open(path, errors="replace") as f:
            m = pattern.search(f.read())
    except OSError:
        return None
    return m.group(0) if m else None


def in_console(path):
    """The console's cryptomgr_test lockup line, or None."""
    return _search(CRYPTOMGR_LOCKUP, path)


def stop_line(path):
    """The console's cryptomgr_test lockup line, or its KF-BOOT-FAULT line
    (a kernel fault logged before any test ran), or None: why a guest is
    booted again."""
    return _search(STOP, path)
