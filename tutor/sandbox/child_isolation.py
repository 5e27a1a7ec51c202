"""Isolation primitives for the sandbox child (stdlib only; runs inside the sandboxed interpreter).

This module is imported by `child_main` as a top-level module inside a `python -I -S` process, never by
the host. Everything talks to the kernel through ctypes because the interpreter runs without
site-packages. Each function either applies one layer or raises `OSError`; the caller decides whether
a missing layer is fatal (fail closed) or merely absent from the reported isolation list.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import signal
import struct
import sys
import time
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
_NS_FLAGS = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36

# First uid used for sandboxed programs when the host runs as root: one uid per run (offset by the
# supervisor's pid), so RLIMIT_NPROC counts exactly that run's processes and runs cannot signal each other.
UID_BASE = 1_000_000


def _check(ret: int, what: str) -> int:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def prctl(option: int, arg2: int = 0) -> None:
    _check(
        _libc.prctl(option, ctypes.c_ulong(arg2), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)),
        f"prctl({option})",
    )


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return None if s is None else s.encode()

    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _pivot_root_nr() -> int:
    return {"x86_64": 155, "aarch64": 41}[platform.machine()]


def set_process_name(name: str) -> None:
    """Name shown in /proc/PID/comm (idle pool processes are named so tests can tell them apart)."""
    _libc.prctl(
        15, ctypes.c_char_p(name.encode()[:15]), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)
    )  # PR_SET_NAME


def set_parent_death_signal(sig: int) -> None:
    prctl(PR_SET_PDEATHSIG, sig)


def become_subreaper() -> None:
    """Orphans of our descendants are re-parented to us, so a detached child can still be found and killed."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


# --- user namespace (only when the host is not root) --------------------------------------------------


def enter_user_namespace(extra_flags: int) -> None:
    """Unshare a user namespace (plus `extra_flags`) and map our uid/gid to root inside it."""
    uid, gid = os.geteuid(), os.getegid()
    unshare(CLONE_NEWUSER | extra_flags)
    with open("/proc/self/setgroups", "w") as fh:
        fh.write("deny")
    with open("/proc/self/uid_map", "w") as fh:
        fh.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as fh:
        fh.write(f"0 {gid} 1")


def drop_all_capabilities() -> None:
    """Clear effective, permitted and inheritable capabilities (used inside a user namespace)."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


# --- filesystem view -----------------------------------------------------------------------------------


def _mkdirs(path: str) -> None:
    os.makedirs(path, mode=0o755, exist_ok=True)


def _open_sources(paths: list[str]) -> list[tuple[str, str | int, bool]]:
    """(path, symlink target or O_PATH descriptor, is a directory) for each existing path.

    Taken before the staging tmpfs goes up, because that mount may hide a source (an import path
    under /tmp, say); binding from /proc/self/fd/N still reaches it.
    """
    sources: list[tuple[str, str | int, bool]] = []
    for path in paths:
        if os.path.islink(path):
            sources.append((path, os.readlink(path), False))
        elif os.path.exists(path):
            sources.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC), os.path.isdir(path)))
    return sources


def _bind_readonly(src: str, handle: str | int, is_dir: bool, root: str) -> None:
    """Mirror `src` at the same path under `root`, read-only; symlinks stay symlinks."""
    dst = root + src
    if isinstance(handle, str):
        _mkdirs(os.path.dirname(dst))
        if not os.path.lexists(dst):
            os.symlink(handle, dst)
        return
    if is_dir:
        _mkdirs(dst)
    else:
        _mkdirs(os.path.dirname(dst))
        open(dst, "a").close()
    mount(f"/proc/self/fd/{handle}", dst, None, MS_BIND | MS_REC)
    mount(None, dst, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.close(handle)


def build_private_root(readonly_paths: list[str], disk_bytes: int, owner: int, workdir: str, with_proc: bool) -> None:
    """Replace `/` of this (already private) mount namespace by a minimal tree and chdir into `workdir`.

    The new root holds read-only binds of `readonly_paths` (system libraries and the interpreter), a
    fresh `/proc` (`with_proc`, else mounted later), a tiny `/dev`, and a size-limited tmpfs at `/tmp`
    that holds `workdir`. Nothing else of the host is reachable: no home directories, no project files,
    no databases. The tmpfs vanishes with the namespace, so the workdir needs no cleanup.
    """
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    sources = _open_sources(readonly_paths)
    root = "/tmp"  # any existing directory works: mounts here are invisible outside this namespace
    mount("sandbox-root", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=755")
    _mkdirs(root + "/tmp")
    mount(
        "sandbox-tmp",
        root + "/tmp",
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={max(disk_bytes, 65536)},nr_inodes=2048,mode=1777",
    )
    for src, handle, is_dir in sources:  # after /tmp, or an import path under /tmp would be hidden
        _bind_readonly(src, handle, is_dir, root)
    _mkdirs(root + "/proc")
    if with_proc:  # else init mounts it later (only a process inside the new pid namespace can)
        # In a user namespace this must happen while the host's /proc is still visible: the kernel
        # refuses a new proc mount that would reveal more than an existing one.
        mount_proc(root + "/proc")
    _mkdirs(root + "/dev")
    mount("sandbox-dev", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for dev in ("null", "zero", "full", "random", "urandom"):
        open(f"{root}/dev/{dev}", "a").close()
        mount(f"/dev/{dev}", f"{root}/dev/{dev}", None, MS_BIND)
    os.symlink("/proc/self/fd", root + "/dev/fd")
    os.mkdir(root + workdir, 0o755)
    os.chown(root + workdir, owner, owner)
    old = root + "/.old-root"
    os.mkdir(old)
    os.chdir(root)
    _check(_libc.syscall(_pivot_root_nr(), b".", b".old-root"), "pivot_root")
    os.chroot(".")
    _check(_libc.umount2(b"/.old-root", MNT_DETACH), "umount old root")
    os.rmdir("/.old-root")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(workdir)


def set_hostname(name: str) -> None:
    raw = name.encode()
    _check(_libc.sethostname(raw, len(raw)), "sethostname")


def remount_tmp(disk_bytes: int) -> None:
    """Resize the private /tmp (built before the request told us the disk limit)."""
    mount(
        None, "/tmp", None, MS_REMOUNT | MS_NOSUID | MS_NODEV, f"size={max(disk_bytes, 65536)},nr_inodes=2048,mode=1777"
    )


def mount_proc(target: str = "/proc") -> None:
    """A /proc showing only the current pid namespace (called by its init)."""
    try:
        mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        pass  # inside some containers proc cannot be mounted again; the program then has no /proc


# --- processes -------------------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Direct children of `pid`, found by scanning /proc (no CONFIG_PROC_CHILDREN needed)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def kill_descendants() -> None:
    """Kill every descendant of this process (a child subreaper): orphans re-parent to us, so repeat."""
    me = os.getpid()
    for _ in range(200):
        kids = children_of(me)
        if not kids:
            return
        for kid in kids:
            try:
                os.kill(kid, signal.SIGKILL)
            except OSError:
                pass
        reap_all()
        time.sleep(0.001)


def reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def count_user_processes(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def close_fds_except(keep: set[int]) -> None:
    """Close every descendant-visible fd but `keep` (close_range between the kept ones: no /proc needed)."""
    low = 0
    for fd in [*sorted(keep), resource.getrlimit(resource.RLIMIT_NOFILE)[0]]:
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1


# --- resource limits and identity ------------------------------------------------------------------------


def apply_rlimits(cpu_s: float, memory_bytes: int, file_bytes: int, processes: int, open_files: int) -> None:
    """Kernel-enforced limits; the CPU hard limit (soft + 1 s) is the SIGKILL backstop after SIGXCPU."""
    cpu = max(1, int(cpu_s + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_MEMLOCK, (0, 0))
    # glibc reserves 64 MiB of address space per malloc arena; one arena keeps threads inside RLIMIT_AS.
    _libc.mallopt(ctypes.c_int(-8), ctypes.c_int(1))  # M_ARENA_MAX


def drop_privileges(uid: int) -> None:
    """Become `uid` (no supplementary groups); all capabilities are lost with the switch away from root."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


# --- seccomp ---------------------------------------------------------------------------------------------

_ARCH = {
    # audit arch, syscall numbers
    "x86_64": (
        0xC000003E,
        {
            "socket": 41,
            "execve": 59,
            "execveat": 322,
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "mount": 165,
            "umount2": 166,
            "pivot_root": 155,
            "chroot": 161,
            "unshare": 272,
            "setns": 308,
            "bpf": 321,
            "perf_event_open": 298,
            "keyctl": 250,
            "add_key": 248,
            "request_key": 249,
            "kexec_load": 246,
            "kexec_file_load": 320,
            "init_module": 175,
            "finit_module": 313,
            "delete_module": 176,
            "userfaultfd": 323,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "swapon": 167,
            "swapoff": 168,
            "reboot": 169,
            "acct": 163,
            "open_by_handle_at": 304,
            "name_to_handle_at": 303,
            "open_tree": 428,
            "move_mount": 429,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "mount_setattr": 442,
            "pidfd_getfd": 438,
            "quotactl": 179,
            "clone": 56,
            "clone3": 435,
            "kill": 62,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "socket": 198,
            "execve": 221,
            "execveat": 281,
            "ptrace": 117,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "mount": 40,
            "umount2": 39,
            "pivot_root": 41,
            "chroot": 51,
            "unshare": 97,
            "setns": 268,
            "bpf": 280,
            "perf_event_open": 241,
            "keyctl": 219,
            "add_key": 217,
            "request_key": 218,
            "kexec_load": 104,
            "kexec_file_load": 294,
            "init_module": 105,
            "finit_module": 273,
            "delete_module": 106,
            "userfaultfd": 282,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "swapon": 224,
            "swapoff": 225,
            "reboot": 142,
            "acct": 89,
            "open_by_handle_at": 265,
            "name_to_handle_at": 264,
            "open_tree": 428,
            "move_mount": 429,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "mount_setattr": 442,
            "pidfd_getfd": 438,
            "quotactl": 60,
            "clone": 220,
            "clone3": 435,
            "kill": 129,
        },
    ),
}

_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000
_LD_ABS_W = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06


def seccomp_supported() -> bool:
    return platform.machine() in _ARCH


def _seccomp_program() -> bytes:
    """Assemble the filter: deny networking, exec, namespace and kernel-admin syscalls.

    Denied calls fail with EPERM (the program sees an ordinary PermissionError); a syscall of a foreign
    ABI kills the process. `clone3` answers ENOSYS so libc falls back to `clone`, whose flags can be
    inspected; `kill` with a negative pid (process groups, "everyone") is refused.
    """
    audit_arch, nr = _ARCH[platform.machine()]
    denied = [v for k, v in nr.items() if k not in ("clone", "clone3", "kill")]
    # Instructions as (code, jt-label, jf-label, k); labels resolve to relative jumps below.
    prog: list[tuple[Any, ...]] = [
        (_LD_ABS_W, 0, 0, 4),
        (_JEQ, 0, "kill", audit_arch),
        (_LD_ABS_W, 0, 0, 0),
    ]
    if platform.machine() == "x86_64":
        prog.append((_JGE, "eperm", 0, 0x40000000))  # x32 ABI
    for n in denied:
        prog.append((_JEQ, "eperm", 0, n))
    prog += [
        (_JEQ, "enosys", 0, nr["clone3"]),
        (_JEQ, "clone", 0, nr["clone"]),
        (_JEQ, "killsys", 0, nr["kill"]),
        (_RET, 0, 0, _RET_ALLOW),
        ("clone", 0, 0, 0),  # label
        (_LD_ABS_W, 0, 0, 16),  # args[0], low 32 bits (little endian)
        (_JSET, "eperm", 0, _NS_FLAGS),
        (_RET, 0, 0, _RET_ALLOW),
        ("killsys", 0, 0, 0),
        (_LD_ABS_W, 0, 0, 16),
        (_JSET, "eperm", 0, 0x80000000),
        (_RET, 0, 0, _RET_ALLOW),
        ("eperm", 0, 0, 0),
        (_RET, 0, 0, _RET_ERRNO | errno.EPERM),
        ("enosys", 0, 0, 0),
        (_RET, 0, 0, _RET_ERRNO | errno.ENOSYS),
        ("kill", 0, 0, 0),
        (_RET, 0, 0, _RET_KILL_PROCESS),
    ]
    labels: dict[str, int] = {}
    code: list[tuple[Any, ...]] = []
    for ins in prog:
        if isinstance(ins[0], str):
            labels[ins[0]] = len(code)
        else:
            code.append(ins)
    out = b""
    for i, (op, jt, jf, k) in enumerate(code):
        rel = [labels[j] - i - 1 if isinstance(j, str) else j for j in (jt, jf)]
        out += struct.pack("=HBBI", op, rel[0], rel[1], k)
    return out


def install_seccomp() -> None:
    """Set no_new_privs and load the filter for this thread and every process it forks."""
    raw = _seccomp_program()
    buf = ctypes.create_string_buffer(raw, len(raw))

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Prog(len(raw) // 8, ctypes.cast(buf, ctypes.c_void_p).value)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    _check(
        _libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(2), ctypes.byref(prog), ctypes.c_ulong(0), ctypes.c_ulong(0)),
        "seccomp",
    )


# --- audit hook (second, in-interpreter layer) -------------------------------------------------------------

_BLOCKED_EVENTS = {
    "socket.__new__": "network access is disabled in the sandbox",
    "socket.connect": "network access is disabled in the sandbox",
    "socket.bind": "network access is disabled in the sandbox",
    "socket.getaddrinfo": "network access is disabled in the sandbox",
    "socket.gethostbyname": "network access is disabled in the sandbox",
    "subprocess.Popen": "starting programs is disabled in the sandbox",
    "os.system": "starting programs is disabled in the sandbox",
    "os.exec": "starting programs is disabled in the sandbox",
    "os.posix_spawn": "starting programs is disabled in the sandbox",
    "os.spawn": "starting programs is disabled in the sandbox",
}
_CTYPES_EVENTS = (
    "ctypes.dlopen",
    "ctypes.dlsym",
    "ctypes.dlsym/handle",
    "ctypes.cdata",
    "ctypes.addressof",
    "ctypes.call_function",
)


# Audit events that change the filesystem, and which of their arguments are paths.
_WRITE_EVENTS = {
    "os.mkdir": (0,),
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.rename": (0, 1),
    "os.replace": (0, 1),
    "os.symlink": (1,),
    "os.link": (1,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _outside(path: object, root: str) -> bool:
    if isinstance(path, int) or path is None:
        return False  # an already-open descriptor
    try:
        real = os.path.realpath(os.fsdecode(path))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True
    return real != "/dev/null" and real != root and not real.startswith(root + "/")


def _count_new_file(created: list[int], limit: int) -> None:
    created[0] += 1
    if created[0] > limit:
        raise OSError(errno.ENOSPC, "No space left in the sandbox working directory")


def install_audit_hook(block_ctypes: bool, write_root: str | None = None, max_new_files: int = 0) -> None:
    """Refuse network and process creation at the Python level with a clear message.

    The kernel filter does the real enforcement where available; this layer explains the refusal and,
    when no kernel layer could be installed (`block_ctypes`), also closes the ctypes escape hatch so the
    in-interpreter layer cannot simply be stepped around. Without a private root (`write_root` given),
    it also keeps Python-level writes inside the working directory and, as there is no size-limited
    tmpfs either, bounds the number of files created there (each is bounded by RLIMIT_FSIZE).
    """
    created = [0]
    blocked = dict(_BLOCKED_EVENTS)
    if block_ctypes:
        blocked.update({e: "ctypes is disabled in the sandbox" for e in _CTYPES_EVENTS})

    def hook(event: str, args: tuple[Any, ...]) -> None:
        reason = blocked.get(event)
        if reason is not None:
            raise PermissionError(reason)
        if write_root is None:
            return
        if event == "open":
            path, mode, flags = args
            writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & _WRITE_FLAGS)
            if writing and _outside(path, write_root):
                raise PermissionError(f"writing outside the working directory is disabled: {path}")
            if writing and not isinstance(path, int) and not os.path.exists(path):
                _count_new_file(created, max_new_files)
        elif event in _WRITE_EVENTS:
            if any(_outside(args[i], write_root) for i in _WRITE_EVENTS[event] if i < len(args)):
                raise PermissionError("changing files outside the working directory is disabled")
            if event in ("os.mkdir", "os.symlink", "os.link"):
                _count_new_file(created, max_new_files)

    sys.addaudithook(hook)
