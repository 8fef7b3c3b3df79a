# Test-bed helper (not part of the collection): the fault tests of the Molecule scenarios, run ON the target by
# molecule/_shared/fault_kill.yml and fault_docker_restart.yml through ansible.builtin.script, so that the timing is
# taken inside the host (a round trip from the controller per poll would measure Ansible, not the service).
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kill services and containers with SIGKILL, or restart the Docker engine under load, and time the way back.

    FAULT_SPEC='{...}' python3 fault_runner.py kill
    FAULT_SPEC='{...}' python3 fault_runner.py docker-restart
    FAULT_SPEC='{...}' python3 fault_runner.py kill-when

kill: FAULT_SPEC = {"timeout": 90, "targets": [TARGET, ...]}, every target killed at once, then polled in parallel.
    TARGET = {"name": label, "unit": systemd unit} or {"name": label, "container": Docker container}, plus
    "probes": [PROBE, ...] (all must pass). A target is back when a NEW main process runs (unit: MainPID changed and
    ActiveState active; container: State.Pid changed and State.Running) and every probe passes.
    PROBE = {"http": URL, "status": [200], "host": Host header (optional)}   (no redirects followed, TLS unverified)
          | {"tcp": "HOST:PORT", "expect": "SSH-" (optional: the first bytes the server sends)}
          | {"cmd": [argv...], "expect": "text in stdout" (optional)}
          | {"health": true}   (a container's own HEALTHCHECK command, run with docker exec)
    Prints {"results": [{"name", "old_pid", "new_pid", "back", "seconds", "detail"}]}; seconds from the kill to the
    first good answer.

kill-when: as kill, plus "glob" (a file pattern), "wait" (seconds, default 60) and "out" (a file): waits until a file
    matching the pattern is non-empty (a download under way), then kills and times as kill, and writes the result,
    with "trigger": {"path", "size"} (null when nothing matched in time), to "out" (meant to run detached, under
    systemd-run, while the caller drives the operation it interrupts).

docker-restart: FAULT_SPEC = {"timeout": 90, "url": URL, "status": [200], "containers": [names]}.
    Sends GET URL every 50 ms (1 s timeout) from before `systemctl restart docker` until every container runs and the
    URL has answered again for 1 s. Prints {"restart_s", "answered_s", "requests", "failed", "outage_s",
    "containers": [{"name", "before": {pid, started, restarts}, "after": {...}, "running", "kept"}]};
    kept = the same process before and after (live-restore), answered_s = from the restart command to the first good
    answer sent after it returned.
"""

import glob
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE
_OPENER = urllib.request.build_opener(_NoRedirect(), urllib.request.HTTPSHandler(context=_TLS))


def run(argv, timeout=5):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, "", str(exc)
    return done.returncode, done.stdout, done.stderr


def last_line(text):
    lines = text.strip().splitlines()
    return repr(" ".join(lines[-1].split())[:80]) if lines else "(no output)"


def http_status(url, host=None, timeout=1.0):
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError):
        return None


def unit_state(unit):
    rc, out, _err = run(["systemctl", "show", "-p", "MainPID", "-p", "ActiveState", unit])
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line) if rc == 0 else {}
    pid = int(fields.get("MainPID", "0") or 0)
    return pid, fields.get("ActiveState") == "active"


def container_state(name):
    rc, out, _err = run(["docker", "inspect", "-f", "{{json .State}} {{.RestartCount}}", name])
    if rc != 0:
        return {"pid": 0, "running": False, "started": "", "restarts": -1}
    state, restarts = out.strip().rsplit(" ", 1)
    state = json.loads(state)
    return {"pid": state.get("Pid", 0), "running": bool(state.get("Running")), "started": state.get("StartedAt", ""),
            "restarts": int(restarts)}


def probe_ok(target, probe):
    """(ok, detail) for one probe."""
    if "http" in probe:
        status = http_status(probe["http"], probe.get("host"))
        return status in probe.get("status", [200]), "HTTP %s from %s" % (status, probe["http"])
    if "tcp" in probe:
        host, port = probe["tcp"].rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=1) as sock:
                if not probe.get("expect"):
                    return True, "connected to %s" % probe["tcp"]
                sock.settimeout(1)
                first = sock.recv(64).decode("latin-1")
                return first.startswith(probe["expect"]), "%s sent %r" % (probe["tcp"], first[:40])
        except OSError as exc:
            return False, "%s: %s" % (probe["tcp"], exc)
    if "cmd" in probe:
        rc, out, err = run(probe["cmd"], timeout=5)
        ok = rc == 0 and probe.get("expect", "") in out
        return ok, "%s: rc %s %s" % (" ".join(probe["cmd"]), rc, last_line(out + err))
    if probe.get("health"):
        rc, out, _err = run(["docker", "inspect", "-f", "{{json .Config.Healthcheck}}", target["container"]])
        test = (json.loads(out) or {}).get("Test") if rc == 0 and out.strip() else None
        if not test or test[0] not in ("CMD", "CMD-SHELL"):
            return False, "%s has no healthcheck command: %s" % (target["container"], out.strip())
        argv = test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", test[1]]
        rc, out, err = run(["docker", "exec", target["container"]] + argv, timeout=10)
        return rc == 0, "healthcheck %s: rc %s %s" % (test, rc, last_line(out + err))
    return False, "unknown probe %r" % (probe,)


def current_pid(target):
    """(pid, running) of the target's main process."""
    if "unit" in target:
        return unit_state(target["unit"])
    state = container_state(target["container"])
    return state["pid"], state["running"]


def watch(target, old_pid, t0, deadline, result):
    detail = "no new process yet"
    while time.monotonic() < deadline:
        pid, running = current_pid(target)
        if pid > 0 and pid != old_pid and running:
            checks = [probe_ok(target, probe) for probe in target.get("probes", [])]
            if all(ok for ok, _detail in checks):
                result.update(new_pid=pid, back=True, seconds=round(time.monotonic() - t0, 2),
                              detail="; ".join(d for _ok, d in checks))
                return
            detail = "pid %s runs, waiting for: %s" % (pid, "; ".join(d for ok, d in checks if not ok))
        else:
            detail = "pid %s, running %s (killed %s)" % (pid, running, old_pid)
        time.sleep(0.1)
    result.update(back=False, seconds=round(time.monotonic() - t0, 2), detail=detail)


def kill(spec):
    targets = spec["targets"]
    results, threads = [], []
    olds = [current_pid(target)[0] for target in targets]
    for target, old in zip(targets, olds):
        result = {"name": target["name"], "old_pid": old, "new_pid": 0, "back": False, "seconds": 0.0}
        results.append(result)
        if old <= 0:
            result["detail"] = "no main process to kill"
            continue
        try:
            os.kill(old, 9)
        except OSError as exc:
            result["detail"] = "kill -9 %s: %s" % (old, exc)
            continue
        t0 = time.monotonic()
        thread = threading.Thread(target=watch, args=(target, old, t0, t0 + float(spec.get("timeout", 90)), result))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return {"results": results}


def kill_when(spec):
    deadline = time.monotonic() + float(spec.get("wait", 60))
    seen = None
    while seen is None and time.monotonic() < deadline:
        for path in glob.glob(spec["glob"]):
            try:
                size = os.path.getsize(path)
            except OSError:
                continue
            if size > 0:
                seen = {"path": path, "size": size}
                break
        else:
            time.sleep(0.02)
    result = kill(spec) if seen else {"results": []}
    result["trigger"] = seen
    tmp = spec["out"] + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(result, handle)
    os.replace(tmp, spec["out"])
    return result


def docker_restart(spec):
    url, good = spec["url"], spec.get("status", [200])
    names = spec.get("containers", [])
    before = {name: container_state(name) for name in names}
    log, stop = [], threading.Event()

    def load():
        while not stop.is_set():
            sent = time.monotonic()
            ok = http_status(url) in good
            log.append((sent, time.monotonic(), ok))
            time.sleep(0.05)

    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    rc, _out, err = run(["systemctl", "restart", "docker"], timeout=float(spec.get("timeout", 90)))
    t_restarted = time.monotonic()
    deadline = t0 + float(spec.get("timeout", 90))
    answered = None
    while time.monotonic() < deadline:
        states = {name: container_state(name) for name in names}
        if answered is None:
            answered = next((sent for sent, _done, ok in list(log) if ok and sent >= t_restarted), None)
        if answered is not None and all(state["running"] for state in states.values()):
            break
        time.sleep(0.1)
    time.sleep(1)
    stop.set()
    loader.join()
    after = {name: container_state(name) for name in names}
    failed = [(sent, done) for sent, done, ok in log if not ok]
    return {
        "restart_rc": rc,
        "restart_err": err.strip()[-200:],
        "restart_s": round(t_restarted - t0, 2),
        "answered_s": round(answered - t0, 2) if answered is not None else None,
        "requests": len(log),
        "failed": len(failed),
        "outage_s": round(failed[-1][1] - failed[0][0], 2) if failed else 0.0,
        "containers": [{"name": name, "before": before[name], "after": after[name], "running": after[name]["running"],
                        "kept": after[name]["pid"] == before[name]["pid"] and after[name]["started"] == before[name]["started"]}
                       for name in names],
    }


def main():
    spec = json.loads(os.environ["FAULT_SPEC"])
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "kill":
        print(json.dumps(kill(spec)))
    elif mode == "kill-when":
        print(json.dumps(kill_when(spec)))
    elif mode == "docker-restart":
        print(json.dumps(docker_restart(spec)))
    else:
        sys.exit("usage: FAULT_SPEC=JSON fault_runner.py kill|kill-when|docker-restart")


if __name__ == "__main__":
    main()
