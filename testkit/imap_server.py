"""A real IMAP server on loopback for the Apple Notes import: Debian's Dovecot with a throwaway config.

iCloud cannot be reached from a test, so Dovecot stands in for it: a real IMAP4rev1 server, started
here in the foreground on a free 127.0.0.1 port, with one user (a plain password from a file), Maildir
storage under the test's folder, no TLS (loopback only), and logs in that folder. The test fills the
"Notes" mailboxes with IMAP APPEND, as iCloud's own Notes sync would. Dovecot refuses to run mail
processes as root, so under root the mail belongs to `nobody`.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
PACKAGE = "dovecot-imapd"


def available() -> bool:
    return Path(DOVECOT).is_file() and shutil.which("doveconf") is not None


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    root: Path

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, mailbox: str, message: bytes) -> None:
        client = self.client()
        try:
            typ, _ = client.create(f'"{mailbox}"')
            typ, data = client.append(f'"{mailbox}"', "(\\Seen)", None, message)
            if typ != "OK":
                raise RuntimeError(f"APPEND to {mailbox} failed: {data}")
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def dovecot(user: str = "me@icloud.test", password: str = "app-specific-pass") -> Iterator[ImapServer]:
    """Start Dovecot; its folder is made here (Dovecot's own users must be able to enter it, which
    pytest's private temporary folders do not allow) and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="lifeos-imap-"))
    root.chmod(0o755)
    try:
        with _running(root, user, password) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _running(root: Path, user: str, password: str) -> Iterator[ImapServer]:
    port = _free_port()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("nobody")
        uid, gid = owner.pw_uid, owner.pw_gid
        login_user, internal_user = "dovenull", "dovecot"
    else:
        uid, gid = os.getuid(), os.getgid()
        login_user = internal_user = pwd.getpwuid(uid).pw_name
    mail = root / "mail"
    mail.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        os.chown(mail, uid, gid)
    (root / "users").write_text(f"{user}:{{PLAIN}}{password}\n", encoding="utf-8")
    config = root / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {grp.getgrgid(gid).gr_name if os.geteuid() != 0 else "dovecot"}
first_valid_uid = {min(uid, 1)}
mail_location = maildir:{mail}/%u
namespace inbox {{
  inbox = yes
  separator = /
}}
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                log = (
                    (root / "dovecot.log").read_text(errors="replace")
                    if (root / "dovecot.log").exists()
                    else ""
                )
                out = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(f"dovecot exited: {out}\n{log}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("dovecot did not start listening in 15 s")
            time.sleep(0.1)
        yield ImapServer("127.0.0.1", port, user, password, root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
