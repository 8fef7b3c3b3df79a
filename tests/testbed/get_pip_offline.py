# Stand-in for pip's get-pip.py bootstrap that ansible-test downloads from a host unreachable here.
# SPDX-License-Identifier: GPL-3.0-or-later
# ansible-test runs it (as ~/.ansible/test/cache/get_pip_<ver>.py) inside each fresh sanity venv with pip's
# install options and the pinned infrastructure packages. It bootstraps pip from the interpreter's own ensurepip
# (in a subprocess: in-process ensurepip hides /etc/pip.conf and its cert line), then installs what was asked.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
