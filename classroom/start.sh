#!/usr/bin/env bash
# `sudo make classroom`: JupyterHub for the class on this server (docs/classroom.md).
# Learners are the members of group $DIGITS_HUB_GROUP (default digits); the teacher is admin.
set -eu
cd "$(dirname "$0")/.."
py=.venv/bin/python
if [ "$(id -u)" != 0 ]; then
  echo "error: the hub starts each learner's server as that learner, so it runs as root: sudo make classroom" >&2
  echo "       (without root, install by hand: $py -m pip install jupyterhub; npm install --prefix .hub configurable-http-proxy)" >&2
  exit 1
fi
$py -c 'import jupyterhub' 2>/dev/null || $py -m pip install --disable-pip-version-check -e '.[classroom]'
classroom/install-proxy.sh
[ -x .hub/node_modules/.bin/configurable-http-proxy ] || command -v configurable-http-proxy >/dev/null \
  || { echo "error: no configurable-http-proxy: sudo apt-get install npm, then make classroom again" >&2; exit 1; }
# Learners' servers run the venv's Python: it must be theirs to run (not a Python under /root).
# Through env: setpriv itself still holds root's capabilities when it starts the program.
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups env "$py" -c 'import jupyterhub, torch' 2>/dev/null; then
  echo "error: other users cannot run $py with its packages (is the venv made from a Python in a private" >&2
  echo "       home, or is the course folder closed to them?): make it again from /usr/bin/python3 (make clean venv PYTHON=/usr/bin/python3)" >&2
  exit 1
fi
group=${DIGITS_HUB_GROUP:-digits}
getent group "$group" >/dev/null || { groupadd "$group"; echo "made group $group"; }
# MNIST unpacked once here, so 30 learners read it in place instead of keeping 55 MB each
$py -c 'import digitlib.data as d; d.prepare_mnist()'
echo "learners: useradd -m -G $group NAME && passwd NAME   (or usermod -aG $group NAME)"
echo "teacher (admin): ${DIGITS_HUB_TEACHER:-${SUDO_USER:-nobody set: DIGITS_HUB_TEACHER=you}}"
exec .venv/bin/jupyterhub -f classroom/jupyterhub_config.py
