"""What describes a deployment beyond this machine: the Kubernetes manifests (validated offline against
the Kubernetes schemas with kubernetes-validate, from .venv-tools), the Dockerfile they name, and the
balancer's configuration as `make cluster` writes it (checked by HAProxy itself)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.serve import ServeSettings, balancer_config, service_specs
from tests.support.assistant import PROJECT_ROOT

MANIFESTS = PROJECT_ROOT / "deploy" / "k8s" / "poplit.yaml"
KUBERNETES_VALIDATE = PROJECT_ROOT / ".venv-tools" / "bin" / "kubernetes-validate"
KUBERNETES_VERSION = "1.30.0"
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "DATABASE_URL", "REDIS_URL")


def resources() -> list[dict[str, Any]]:
    return [resource for resource in yaml.safe_load_all(MANIFESTS.read_text()) if resource]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources() if r["kind"] == kind}


def test_the_manifests_are_valid_kubernetes_objects() -> None:
    if not KUBERNETES_VALIDATE.exists():
        pytest.fail("kubernetes-validate is not installed: run the tests with `make test` (it makes .venv-tools)")
    result = subprocess.run(
        [str(KUBERNETES_VALIDATE), "--strict", "-k", KUBERNETES_VERSION, str(MANIFESTS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == len(resources())


def test_each_server_has_its_health_probes_and_runs_its_part_of_the_image() -> None:
    deployments = of_kind("Deployment")
    assert set(deployments) == {"poplit-rasa", "poplit-actions", "poplit-followups"}
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [name.removeprefix("poplit-")]
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["path"] in ("/", "/health"), (name, probe)
        assert deployment["spec"]["replicas"] >= 2


def test_secrets_are_read_by_reference_only() -> None:
    for resource in resources():
        if resource["kind"] == "ConfigMap":
            assert not [key for key in resource["data"] if any(word in key for word in SECRET_WORDS)]
        for container in resource.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            assert {"secretRef": {"name": "poplit-secrets"}} in container["envFrom"]
            literal = [e["name"] for e in container.get("env", []) if "value" in e]
            assert not [name for name in literal if any(word in name for word in SECRET_WORDS)]


def test_the_ingress_keeps_a_socket_on_one_pod_and_postgres_and_redis_are_external() -> None:
    annotations = of_kind("Ingress")["poplit"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    services = of_kind("Service")
    assert services["poplit-postgres"]["spec"]["type"] == services["poplit-redis"]["spec"]["type"] == "ExternalName"


def test_the_dockerfile_builds_the_image_that_runs_each_part() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "bot", "run-part"]' in dockerfile
    assert "requirements.txt" in dockerfile and "models/poplit.tar.gz" in dockerfile


def test_a_container_runs_one_server_with_the_command_line_make_run_gives_it(tmp_path: Path) -> None:
    env = {"RASA_HOST": "0.0.0.0", "RASA_URL": "http://poplit-rasa:5005", "VENV": "/opt/venv", "SANIC_HOST": "0.0.0.0"}
    specs = {
        spec.name: spec
        for spec in service_specs(ServeSettings.from_env(env), {"token": "t", "endpoints": "e", "credentials": "c"}, env)
    }
    assert specs["rasa"].argv[specs["rasa"].argv.index("--interface") + 1] == "0.0.0.0"
    assert specs["followups"].env["RASA_URL"] == "http://poplit-rasa:5005"  # the Service, not loopback
    assert specs["actions"].env["SANIC_HOST"] == "0.0.0.0"


def test_the_balancer_configuration_is_valid_for_haproxy(tmp_path: Path) -> None:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.fail("HAProxy is not installed: run the tests with `make test` (it installs Debian's haproxy)")
    settings = ServeSettings.from_env({"RASA_INSTANCES": "3"}, cluster=True)
    config = tmp_path / "haproxy.cfg"
    config.write_text(balancer_config(settings))
    result = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert config.read_text().count("check cookie rasa-") == 3
