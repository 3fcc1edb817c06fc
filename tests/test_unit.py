"""Runs each C unit test binary (TAP output) as one pytest test."""
import os
import subprocess

import pytest

from vpcdtest import BUILD, ROOT

UNIT_DIR = os.path.join(BUILD, "tests", "unit")
BINARIES = sorted(f for f in os.listdir(UNIT_DIR) if f.startswith("test_")
                  and os.path.isfile(os.path.join(UNIT_DIR, f))
                  and os.access(os.path.join(UNIT_DIR, f), os.X_OK)) if os.path.isdir(UNIT_DIR) else []


@pytest.mark.parametrize("binary", BINARIES)
def test_c_unit(binary):
    env = dict(os.environ, VPCD_SHARED=os.path.join(os.path.dirname(ROOT), "shared"),
               VPCD_SOURCE_ROOT=ROOT)
    r = subprocess.run([os.path.join(UNIT_DIR, binary)], capture_output=True, text=True,
                       errors="replace",
                       env=env, timeout=300, stdin=subprocess.DEVNULL)
    failed = [l for l in r.stdout.splitlines() if l.startswith("not ok")]
    assert r.returncode == 0 and not failed, "\n".join(failed[:50]) + r.stderr[-2000:]
    assert "1.." in r.stdout, "no TAP plan: the test binary did not finish"


def test_generated_code_is_current():
    r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "spec", "gen_ec2.py"), "--check",
                        "--out", os.path.join(ROOT, "src", "api")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
