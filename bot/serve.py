"""`make run`: the action server, Rasa and the follow-up worker under one supervisor, a health check,
and the banner.

Settings come from the environment through bot/settings.py (see README), and the channels'
credentials through bot/runtime_config.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import string
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime_config import ConfigError, allowed_origins, write_runtime_files
from bot.settings import Settings, public_base_url
from bot.store.database import database_url
from bot.store.migrate import SchemaAhead, upgrade
from bot.supervisor import ServiceSpec, StartupError, Supervisor

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BALANCER_TEMPLATE = PROJECT_ROOT / "deploy" / "haproxy.cfg.template"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
FOLLOWUPS_SILENT_SECONDS = 300.0


@dataclass(frozen=True)
class ServeSettings:
    rasa_host: str
    rasa_port: int
    actions_port: int
    health_port: int
    var_dir: Path
    model: Path
    venv: Path
    actions_silent_seconds: Optional[float]
    public_base_url: str
    followups_port: int
    # Where the workers reach Rasa's API when it is not this machine's Rasa or balancer (a container's).
    rasa_url: str
    # `make cluster`: a balancer (HAProxy) on rasa_port and actions_port in front of several instances,
    # which listen on loopback ports counted from cluster_ports_from.
    cluster: bool
    rasa_instances: int
    action_servers: int
    followup_workers: int
    cluster_ports_from: int
    balancer_status_port: int

    @classmethod
    def from_env(cls, env: Mapping[str, str], cluster: bool = False) -> "ServeSettings":
        settings = Settings.from_env(env)
        counts = {
            name: getattr(settings, name) or (2 if cluster else 1)
            for name in ("rasa_instances", "action_servers", "followup_workers")
        }
        if not cluster and any(count != 1 for count in counts.values()):
            raise ConfigError("several instances need the balancer: run `make cluster` (python -m bot serve --cluster)")
        return cls(
            rasa_host=settings.rasa_host,
            rasa_port=settings.rasa_port,
            actions_port=settings.actions_port,
            health_port=settings.health_port,
            var_dir=settings.var_dir,
            model=settings.model,
            venv=settings.venv,
            actions_silent_seconds=settings.restart_silent_actions_seconds,
            public_base_url=settings.public_base_url,
            followups_port=settings.followups_port,
            rasa_url=settings.rasa_url,
            cluster=cluster,
            cluster_ports_from=settings.cluster_ports_from,
            balancer_status_port=settings.balancer_status_port,
            **counts,
        )

    def rasa_ports(self) -> list[int]:
        return [self.cluster_ports_from + n for n in range(self.rasa_instances)] if self.cluster else [self.rasa_port]

    def action_ports(self) -> list[int]:
        return [self.cluster_ports_from + 20 + n for n in range(self.action_servers)] if self.cluster else [self.actions_port]

    def followup_ports(self) -> list[int]:
        return [self.cluster_ports_from + 40 + n for n in range(self.followup_workers)] if self.cluster else [self.followups_port]


def service_specs(settings: ServeSettings, runtime: Mapping[str, str], env: Mapping[str, str]) -> list[ServiceSpec]:
    """What the supervisor runs: one of each for `make run`; for `make cluster` the balancer and several
    of each, named rasa-1, rasa-2, ... ."""
    base_env = {**env, "VAR_DIR": str(settings.var_dir), "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    log_dir = settings.var_dir / "log"

    def named(kind: str, number: int) -> str:
        return f"{kind}-{number + 1}" if settings.cluster else kind

    actions = [
        ServiceSpec(
            name=named("actions", n),
            argv=[str(settings.venv / "bin" / "python"), "-m", "bot", "actions", "--port", str(port)],
            # Only Rasa calls it: loopback, unless SANIC_HOST says otherwise (a container's 0.0.0.0).
            env={**base_env, "SANIC_HOST": env.get("SANIC_HOST", "127.0.0.1")},
            log_file=log_dir / f"{named('actions', n)}.log",
            ready_url=f"http://127.0.0.1:{port}/health",
            restart_when_silent_seconds=settings.actions_silent_seconds,
        )
        for n, port in enumerate(settings.action_ports())
    ]
    # Behind the balancer, Sanic takes the client's address from its X-Forwarded-For (per-address limits).
    rasa_env = {**base_env, "SANIC_PROXIES_COUNT": "1"} if settings.cluster else base_env
    rasa_host = "127.0.0.1" if settings.cluster else settings.rasa_host
    rasa = [
        ServiceSpec(
            name=named("rasa", n),
            argv=[
                str(settings.venv / "bin" / "rasa"),
                "run",
                "--model",
                str(settings.model),
                "--enable-api",
                "--auth-token",
                runtime["token"],
                "--interface",
                rasa_host,
                "--port",
                str(port),
                "--endpoints",
                runtime["endpoints"],
                "--credentials",
                runtime["credentials"],
                # Browsers on other sites may call the HTTP API only from the configured origins.
                *cors_arguments(env),
            ],
            env=rasa_env,
            log_file=log_dir / f"{named('rasa', n)}.log",
            ready_url=f"http://{rasa_host}:{port}/",
        )
        for n, port in enumerate(settings.rasa_ports())
    ]
    # Start due check-ins through Rasa's HTTP API (bot/followups/worker.py), so they need the API token;
    # in a cluster they go through the balancer, so any instance may take them.
    followups = [
        ServiceSpec(
            name=named("followups", n),
            argv=[str(settings.venv / "bin" / "python"), "-m", "bot", "followups", "run"],
            env={
                **base_env,
                # A container names Rasa's Service in RASA_URL; here it is this machine's Rasa or balancer.
                "RASA_URL": settings.rasa_url or f"http://{_local_host(settings.rasa_host)}:{settings.rasa_port}",
                "RASA_AUTH_TOKEN": runtime["token"],
                "FOLLOWUPS_PORT": str(port),
            },
            log_file=log_dir / f"{named('followups', n)}.log",
            ready_url=f"http://127.0.0.1:{port}/health",
            # Its /health fails once no round has finished for 5 minutes; a loop stuck that long is restarted.
            restart_when_silent_seconds=FOLLOWUPS_SILENT_SECONDS,
        )
        for n, port in enumerate(settings.followup_ports())
    ]
    balancer = (
        [
            ServiceSpec(
                name="balancer",
                argv=[HAPROXY, "-db", "-f", runtime["balancer_config"]],
                env=base_env,
                log_file=log_dir / "balancer.log",
                ready_url=f"http://127.0.0.1:{settings.balancer_status_port}/health",
            )
        ]
        if settings.cluster
        else []
    )
    return [*actions, *rasa, *followups, *balancer]


def balancer_config(settings: ServeSettings) -> str:
    """deploy/haproxy.cfg.template with this cluster's addresses and servers."""
    rasa_servers = "\n".join(
        f"    server rasa-{n + 1} 127.0.0.1:{port} check cookie rasa-{n + 1}" for n, port in enumerate(settings.rasa_ports())
    )
    action_servers = "\n".join(
        f"    server actions-{n + 1} 127.0.0.1:{port} check" for n, port in enumerate(settings.action_ports())
    )
    return string.Template(BALANCER_TEMPLATE.read_text()).substitute(
        public_bind=f"{settings.rasa_host}:{settings.rasa_port}",
        actions_bind=f"127.0.0.1:{settings.actions_port}",
        status_bind=f"127.0.0.1:{settings.balancer_status_port}",
        rasa_servers=rasa_servers,
        action_servers=action_servers,
    )


def _local_host(host: str) -> str:
    """Where a process on this machine reaches a server listening on `host`."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        # As the servers themselves do: a port left in TIME_WAIT by a server just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def banner(settings: ServeSettings, runtime: Mapping[str, str], health: Mapping[str, Any]) -> str:
    host, port = settings.rasa_host, settings.rasa_port
    parts = ", ".join(f"{name} {state['status']}" for name, state in health["services"].items())
    return f"""
Poplit is running.
  Chat page:       {public_base_url_of(settings)}/chat
                   embed it elsewhere with <script src="{public_base_url_of(settings)}/chat/embed.js" async></script>
  Chat over REST:  curl -s -X POST http://{host}:{port}/webhooks/rest/webhook \\
                     -H 'Content-Type: application/json' -d '{{"sender": "me", "message": "hi"}}'
  Socket.IO:       http://{host}:{port}/socket.io (events user_uttered / bot_uttered)
  HTTP API token:  from {runtime['token_source']}
                   e.g. curl -s "http://{host}:{port}/conversations/rest:me/tracker?token=$(cat {settings.var_dir}/rasa-auth-token)"
  Health:          http://127.0.0.1:{settings.health_port}/health ({parts})
  Check-ins:       {settings.followup_workers} follow-up worker(s) trigger due check-ins (health on 127.0.0.1:{", ".join(map(str, settings.followup_ports()))})
  Tracker store:   {runtime['tracker_store']}; lock store: {runtime['lock_store']}
  Logs:            {settings.var_dir}/log/ (one file per server){_cluster_lines(settings)}
  A server that crashes is restarted; Ctrl-C stops everything.
Press Ctrl-C to stop."""


def _cluster_lines(settings: ServeSettings) -> str:
    if not settings.cluster:
        return ""
    return f"""
  Balancer:        HAProxy on {settings.rasa_host}:{settings.rasa_port} in front of {settings.rasa_instances} Rasa instances \
(127.0.0.1:{", ".join(map(str, settings.rasa_ports()))}) and on 127.0.0.1:{settings.actions_port} in front of \
{settings.action_servers} action servers; {settings.followup_workers} follow-up workers
  Balancer status: http://127.0.0.1:{settings.balancer_status_port}/stats"""


def cors_arguments(env: Mapping[str, str]) -> list[str]:
    origins = allowed_origins(env)
    return ["--cors", *origins] if origins else []


def public_base_url_of(settings: ServeSettings) -> str:
    return public_base_url(
        {"PUBLIC_BASE_URL": settings.public_base_url, "RASA_HOST": settings.rasa_host, "RASA_PORT": str(settings.rasa_port)}
    )


async def _health_app(supervisor: Supervisor, port: int) -> web.AppRunner:
    async def health(_: web.Request) -> web.Response:
        report = supervisor.health()
        return web.json_response(report, status=200 if report["status"] == "ok" else 503)

    app = web.Application()
    app.router.add_get("/health", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def cluster_problem(env: Mapping[str, str]) -> Optional[str]:
    """Why these settings cannot run several instances, or None: they share PostgreSQL and Redis."""
    if not env.get("REDIS_URL", "").strip():
        return "a cluster needs REDIS_URL (the conversation lock, Socket.IO and the platforms' retries are shared there)"
    if not database_url(env).startswith("postgresql"):
        return "a cluster needs DATABASE_URL=postgresql://... (every instance reads and writes the same conversations)"
    if not Path(HAPROXY).exists():
        return "a cluster needs HAProxy (Debian's haproxy package; `make cluster` installs it)"
    return None


async def serve(env: Mapping[str, str], cluster: bool = False) -> int:
    try:
        settings = ServeSettings.from_env(env, cluster)
    except (ConfigError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Rasa finds the action server (in a cluster: the balancer in front of them) through the endpoints file.
    env = {"ACTION_SERVER_URL": f"http://127.0.0.1:{settings.actions_port}/webhook", **env}
    if not settings.model.exists():
        print(f"error: no trained model at {settings.model}; run 'make train' first", file=sys.stderr)
        return 1
    problem = cluster_problem(env) if cluster else None
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    for name, host, port in _ports(settings):
        if not _port_is_free(host, port):
            print(f"error: port {port} for the {name} is in use (is Poplit already running?)", file=sys.stderr)
            return 1
    try:
        runtime = write_runtime_files(settings.var_dir, env)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if cluster:
        balancer_file = settings.var_dir / "haproxy.cfg"
        balancer_file.write_text(balancer_config(settings))
        runtime = {**runtime, "balancer_config": str(balancer_file)}
    # Poplit's own tables (audit, check-ins) are brought to the current schema before anything uses them.
    store_url = database_url({**env, "VAR_DIR": str(settings.var_dir)})
    try:
        revision = upgrade(store_url)
    except (SchemaAhead, SQLAlchemyError) as error:
        print(f"error: could not bring Poplit's database up to date: {error}", file=sys.stderr)
        return 1
    print(f"Poplit's database is at schema revision {revision}.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Supervisor(service_specs(settings, runtime, env)) as supervisor:
        runner = await _health_app(supervisor, settings.health_port)
        try:
            starting = asyncio.create_task(supervisor.start())
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set():
                starting.cancel()
                return 0
            stopped.cancel()
            try:
                starting.result()
            except StartupError as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
            print(banner(settings, runtime, supervisor.health()), flush=True)
            await supervisor.watch(stop)
        finally:
            await runner.cleanup()
    return 0


def main(env: Optional[Mapping[str, str]] = None, cluster: bool = False) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    return asyncio.run(serve(dict(os.environ if env is None else env), cluster))


def run_part(part: str, env: Optional[Mapping[str, str]] = None) -> int:
    """One server in the foreground, as a container runs it (Kubernetes is then the supervisor, and its
    Services the balancer): the runtime files written and the store migrated first, then the same
    command line `make run` gives that server, in place of this process."""
    env = dict(os.environ if env is None else env)
    settings = ServeSettings.from_env(env)
    env = {"ACTION_SERVER_URL": f"http://127.0.0.1:{settings.actions_port}/webhook", **env}
    try:
        runtime = write_runtime_files(settings.var_dir, env)
        upgrade(database_url({**env, "VAR_DIR": str(settings.var_dir)}))
    except (ConfigError, SchemaAhead, SQLAlchemyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    spec = next(spec for spec in service_specs(settings, runtime, env) if spec.name == part)
    sys.stdout.flush()
    os.execve(spec.argv[0], spec.argv, spec.env)


def _ports(settings: ServeSettings) -> list[tuple[str, str, int]]:
    """Every address the servers will listen on, named for the error when one is taken."""
    ports = [("health check", "127.0.0.1", settings.health_port)]
    if settings.cluster:
        ports += [
            ("balancer", settings.rasa_host, settings.rasa_port),
            ("balancer (action servers)", "127.0.0.1", settings.actions_port),
            ("balancer status", "127.0.0.1", settings.balancer_status_port),
        ]
    rasa_host = "127.0.0.1" if settings.cluster else settings.rasa_host
    ports += [("Rasa", rasa_host, port) for port in settings.rasa_ports()]
    ports += [("action server", "127.0.0.1", port) for port in settings.action_ports()]
    ports += [("follow-up worker", "127.0.0.1", port) for port in settings.followup_ports()]
    return ports


def health_report(port: int) -> dict[str, Any]:
    """What the health check of a running `make run` says (for `python -m bot health`)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())
