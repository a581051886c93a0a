"""One machine of the test fleet: a process tree in its own PID, mount and UTS namespaces inside a network namespace.

``ip netns exec <ns> unshare --pid --fork --kill-child --mount-proc --uts --propagation private sh -c ...`` gives the
host its own process table, hostname and mounts: a private tmpfs on ``/srv`` (so every host has its own
``/srv/app``), on ``/run`` (sshd's privilege-separation directory and pid file) and on ``/root`` (an empty home).
The shell then becomes sshd (or HAProxy), the namespace's PID 1: when it dies the kernel kills everything else in the
namespace, and ``--kill-child`` makes it die with the ``unshare`` we started, so stopping one pid stops the machine.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

WEB_PORT = 8080
# The service's interpreter: the system's, which needs nothing from root's home, else this one.
WEB_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
# supervisord and supervisorctl come with opsready's own environment (supervisor is one of its dependencies).
SUPERVISOR_BIN = Path(sys.executable).parent
RELEASES = ("1", "2")  # the releases every app host has; ``current`` points at the first
FLAWED_RELEASE = "3"  # installed too, but never ready (its /readyz answers 503)
# installed too: healthy and ready, but its users get 500 once it has run DEGRADE_AFTER seconds (the rolling
# deploy's triggers must find it through the balancer's counters, after more than one host was switched)
DEGRADING_RELEASE = "5"
DEGRADE_AFTER = 3.5
INITIAL_RELEASE = RELEASES[0]
SERVICE = "web"  # the supervisor program serving the app
SUPERVISOR_CONF = "/srv/app/supervisord.conf"
# A user that is not root on every fleet host (its own /etc/passwd line, bind-mounted in the host's mount namespace:
# the machine's own /etc/passwd is not touched), for the tests of ``sudo`` from the configuration.
DEPLOY_USER = "deploy"
DEPLOY_UID = 4711
DEPLOY_HOME = f"/run/{DEPLOY_USER}-home"


@dataclass
class HostProcess:
    """The ``unshare`` we started for one machine, known by pid and start time so we never signal another process."""

    name: str
    popen: subprocess.Popen[bytes]
    started: float
    log: Path
    _log_file: IO[bytes]
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        """The pid of the machine's ``unshare`` (which ``ip netns exec`` became)."""
        return self.popen.pid

    def alive(self) -> bool:
        """True while the very process we started is running."""
        if self.popen.poll() is not None:
            return False
        try:
            return psutil.Process(self.pid).create_time() == self.started
        except psutil.NoSuchProcess:
            return False

    def stop(self) -> list[str]:
        """Stop the machine (SIGTERM, then SIGKILL); the problems met."""
        problems = []
        if self.alive():
            # unshare ignores SIGTERM while it waits for its child: stop the namespace's PID 1 (its child) instead,
            # which ends the namespace and then unshare; SIGKILL to unshare is the fallback (--kill-child).
            with contextlib.suppress(psutil.NoSuchProcess):
                for child in psutil.Process(self.pid).children():
                    child.send_signal(self.stop_signal)
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                if self.alive():
                    self.popen.kill()
                try:
                    self.popen.wait(5)
                except subprocess.TimeoutExpired:
                    problems.append(f"{self.name}: pid {self.pid} survived SIGKILL")
        with contextlib.suppress(OSError):
            self._log_file.close()
        return problems

    def log_tail(self) -> str:
        """The last lines the machine wrote, for a failure message."""
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
        except OSError:
            return ""


def keygen(path: Path, comment: str) -> None:
    """An ed25519 key pair without a passphrase, at ``path`` and ``path.pub``."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )


def sshd_config(workdir: Path, name: str, address: str) -> Path:
    """sshd's configuration for one host: root by key only, host key and authorized keys from the fleet's directory."""
    home = workdir / name
    lines = [
        f"ListenAddress {address}:22",
        f"HostKey {home / 'ssh_host_ed25519_key'}",
        "PidFile /run/sshd.pid",
        f"AuthorizedKeysFile {workdir / 'authorized_keys'}",
        "StrictModes no",  # the key files live under /tmp, which StrictModes would reject
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "X11Forwarding no",
        "AllowAgentForwarding no",
        "PrintMotd no",
        "MaxStartups 50",
        "MaxSessions 50",
        "LogLevel VERBOSE",
        f"Match User {DEPLOY_USER}",
        f"    AuthorizedKeysFile {DEPLOY_HOME}/.ssh/authorized_keys",
    ]
    path = home / "sshd_config"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_machine(
    workdir: Path,
    namespace: str,
    name: str,
    address: str,
    *,
    web: bool,
    command: list[str] | None = None,
    stop_signal: int = signal.SIGTERM,
) -> HostProcess:
    """Start one machine in ``namespace``: its own PID/mount/UTS namespaces, then sshd (or ``command``) as PID 1."""
    home = workdir / name
    home.mkdir(mode=0o700, exist_ok=True)
    balancer = command is not None
    if command is None:
        keygen(home / "ssh_host_ed25519_key", f"host key of {name}")
        command = ["/usr/sbin/sshd", "-D", "-e", "-f", str(sshd_config(workdir, name, address))]
    script = [
        "set -e",
        f"hostname {shlex.quote(name)}",
        "mount -t tmpfs -o mode=0755,size=32m fleet-srv /srv",
        "mount -t tmpfs -o mode=0755,size=8m fleet-run /run",
        "mkdir -p /run/sshd /srv/app",
        f"echo {shlex.quote(name)} > /srv/app/hostname",
        "mkdir -p -m 1777 /run/lock",  # as Debian makes it: any user may take a lock there
    ]
    if not WEB_PYTHON.startswith("/root/"):
        # root's home of its own: this machine's dotfiles (a .bashrc that bash reads for every ssh command) stay out,
        # but the interpreter supervisor runs on stays visible when it lives under /root (pyenv).
        script += _root_of_its_own()
    if web:
        script += app_host_script(workdir, address)
    if not balancer:
        script += cgroup_script() + deploy_user_script(workdir)
    script.append("exec " + shlex.join(command))
    argv = ["ip", "netns", "exec", namespace, "unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--uts"]
    argv += ["--propagation", "private", "sh", "-c", "\n".join(script)]
    log = home / "console.log"
    log_file = log.open("ab")
    popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, start_new_session=True)
    try:
        started = psutil.Process(popen.pid).create_time()
    except psutil.NoSuchProcess:
        started = 0.0
    return HostProcess(name, popen, started, log, log_file, stop_signal)


CGROUP_CONTROLLERS = ("cpu", "memory")  # the cgroup v1 hierarchies a host gets, for the CPU and memory faults


def cgroup_v1_mounts() -> dict[str, tuple[str, str]]:
    """This machine's cgroup v1 hierarchies holding the CPU and memory controllers: controller -> (mount point,
    controllers mounted together there), e.g. ``cpu -> (/sys/fs/cgroup/cpu,cpuacct, cpu,cpuacct)``."""
    found: dict[str, tuple[str, str]] = {}
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        for line in mounts:
            _, point, fstype, options, *_ = line.split()
            if fstype != "cgroup":
                continue
            together = [o for o in options.split(",") if o in _CONTROLLERS]
            for controller in CGROUP_CONTROLLERS:
                if controller in together:
                    found[controller] = (point, ",".join(together))
    return found


_CONTROLLERS = ("cpu", "cpuacct", "cpuset", "memory", "blkio", "devices", "freezer", "net_cls", "pids", "perf_event")


def cgroup_script() -> list[str]:
    """Shell lines mounting the machine's cgroup v1 cpu and memory hierarchies where the host expects them.

    ``ip netns exec`` mounts a sysfs of its own over /sys, which hides /sys/fs/cgroup: a real host has its cgroup
    hierarchies mounted, so each machine mounts the same hierarchies again (a tmpfs under them, in the machine's own
    mount namespace). A group a host makes is the machine's (cgroup v1 has no namespaces): the faults' tests check
    that none is left."""
    mounts = cgroup_v1_mounts()
    if not mounts:
        return []
    lines = ["mount -t tmpfs -o mode=0755,size=1m fleet-cgroup /sys/fs/cgroup"]
    for point, together in sorted(set(mounts.values())):
        quoted = shlex.quote(point)
        lines += [f"mkdir -p {quoted}", f"mount -t cgroup -o {together} fleet-cgroup {quoted}"]
    return lines


def deploy_user_script(workdir: Path) -> list[str]:
    """Shell lines adding DEPLOY_USER to the host's own copies of /etc/passwd, /etc/group and /etc/shadow
    (bind-mounted over the machine's in the host's private mount namespace), with a home under /run holding the
    fleet's authorized key (sshd reads a user's authorized keys as that user: the fleet's directory is root's alone)."""
    home = DEPLOY_HOME
    keys = shlex.quote(str(workdir / "authorized_keys"))
    return [
        "cp /etc/passwd /run/passwd && cp /etc/group /run/group",
        f"echo '{DEPLOY_USER}:x:{DEPLOY_UID}:{DEPLOY_UID}:fleet deploy user:{home}:/bin/sh' >> /run/passwd",
        f"echo '{DEPLOY_USER}:x:{DEPLOY_UID}:' >> /run/group",
        "mount --bind /run/passwd /etc/passwd && mount --bind /run/group /etc/group",
        # a shadow entry (no password: key logins only), or PAM's account check refuses the user (sudo does ask it)
        f"cp -a /etc/shadow /run/shadow && echo '{DEPLOY_USER}:*:20000:0:99999:7:::' >> /run/shadow && "
        "mount --bind /run/shadow /etc/shadow",
        f"mkdir -p -m 0700 {home}/.ssh && cp {keys} {home}/.ssh/authorized_keys",
        f"chown -R {DEPLOY_UID}:{DEPLOY_UID} {home} && chmod 0755 {home}",
        # where sudo is installed: DEPLOY_USER may run anything as root without a password, in this host only
        "if [ -d /etc/sudoers.d ]; then mkdir -p /run/sudoers.d && cp -a /etc/sudoers.d/. /run/sudoers.d/ && "
        f"echo '{DEPLOY_USER} ALL=(root) NOPASSWD: ALL' > /run/sudoers.d/fleet-deploy && "
        "chmod 0440 /run/sudoers.d/fleet-deploy && mount --bind /run/sudoers.d /etc/sudoers.d; fi",
    ]


def _root_of_its_own() -> list[str]:
    """Shell lines mounting an empty /root, keeping the interpreter's own directory when it lives under /root."""
    prefix = Path(sys.executable).resolve().parents[1]
    if not str(prefix).startswith("/root/"):
        return ["mount -t tmpfs -o mode=0700,size=8m fleet-root /root"]
    keep = shlex.quote(str(prefix))
    return [
        f"mkdir -p /run/keep && mount --bind {keep} /run/keep",
        "mount -t tmpfs -o mode=0700,size=8m fleet-root /root",
        f"mkdir -p {keep} && mount --move /run/keep {keep}",
    ]


def supervisord_conf(address: str) -> str:
    """The app host's supervisord configuration: one program, the release ``current`` points at, on ``address``."""
    return "\n".join(
        [
            "[unix_http_server]",
            "file=/run/supervisor.sock",
            "chmod=0700",
            "[supervisord]",
            "user=root",
            "logfile=/srv/app/supervisord.log",
            "pidfile=/run/supervisord.pid",
            "childlogdir=/srv/app",
            "nodaemon=true",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "[supervisorctl]",
            "serverurl=unix:///run/supervisor.sock",
            f"[program:{SERVICE}]",
            f"command={WEB_PYTHON} /srv/app/current/app.py 0.0.0.0 {WEB_PORT}",
            "startsecs=0",
            "stopwaitsecs=5",
            "autorestart=true",
            "",
        ]
    )


def app_host_script(workdir: Path, address: str) -> list[str]:
    """Shell lines that install the releases under /srv/app, point ``current`` at the first and start supervisord."""
    source = Path(__file__).with_name("app.py")
    conf = workdir / f"supervisord-{address}.conf"
    conf.write_text(supervisord_conf(address), encoding="utf-8")
    lines = [f"cp {shlex.quote(str(conf))} {SUPERVISOR_CONF}"]
    for release in (*RELEASES, FLAWED_RELEASE, DEGRADING_RELEASE):
        lines += [
            f"mkdir -p /srv/app/releases/{release}",
            f"cp {shlex.quote(str(source))} /srv/app/releases/{release}/app.py",
        ]
    lines.append(f"touch /srv/app/releases/{FLAWED_RELEASE}/unready")
    lines.append(f"echo {DEGRADE_AFTER} > /srv/app/releases/{DEGRADING_RELEASE}/degrade_after")
    lines += [
        f"ln -s /srv/app/releases/{INITIAL_RELEASE} /srv/app/current",
        f"{shlex.quote(str(SUPERVISOR_BIN / 'supervisord'))} -c {SUPERVISOR_CONF} >/dev/null 2>&1 &",
    ]
    return lines


def wait_for_port(address: str, port: int, machine: HostProcess, timeout: float = 15.0) -> None:
    """Wait until ``address:port`` accepts connections; RuntimeError with the machine's log if it died or never did."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=0.5):
            return
        if not machine.alive():
            raise RuntimeError(f"{machine.name} exited before listening on {port}:\n{machine.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{machine.name} did not listen on {address}:{port} in {timeout:g} s:\n{machine.log_tail()}"
            )
        time.sleep(0.05)
