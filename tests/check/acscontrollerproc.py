# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real acs-controller for end-to-end tests: started on 127.0.0.1, port 0
(--port-file), with a temporary state directory (its self-signed
certificate is `cert`), tokens from `mint-token`. Shared by
acssignal-e2e.py and acscall-e2e.py."""

import os
import shutil
import signal
import subprocess
import tempfile
import time


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Controller:
    def __init__(self, binary, prefix="acs-e2e-"):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.state = os.path.join(self.dir, "state")
        port_file = os.path.join(self.dir, "port")
        with open(os.path.join(self.dir, "stderr"), "w") as err:
            self.proc = subprocess.Popen(
                [binary, "--listen", "127.0.0.1:0", "--port-file", port_file,
                 "--state-dir", self.state], stdout=subprocess.DEVNULL,
                stderr=err)
        deadline = time.monotonic() + 30
        while True:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.port = int(text)
                    break
            check(self.proc.poll() is None, "the controller exited")
            check(time.monotonic() < deadline, "the controller never listened")
            time.sleep(0.02)
        self.cert = os.path.join(self.state, "cert.pem")

    def token(self, user):
        out = subprocess.run([self.binary, "mint-token", "--state-dir",
                              self.state, "--user", user],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def stop(self):
        """SIGTERM, then the exit code (-1 if it had to be killed); the
        state directory is removed."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = -1
        shutil.rmtree(self.dir, ignore_errors=True)
        return code
